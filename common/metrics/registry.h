// MetricsRegistry: the named families of counters, gauges and histograms a
// process exports, and their rendering in the Prometheus text format.
//
//   MetricsRegistry registry;
//   Counter* done = registry.GetCounter("drover_steps_total", "Steps by final state.",
//                                       {{"state", "done"}});
//   done->Increment();          // lock-free; cache the pointer on hot paths
//   std::string text = registry.Render();
//
// Get* finds or creates the series of `name` with exactly `labels` and
// returns a pointer that stays valid as long as the registry; it takes a
// mutex, so hot paths look a series up once and keep the pointer. Updates
// through the pointer are lock-free (metric.h). All methods are thread-safe.
//
// Metric and label names are constants of our own code, so misuse is a bug
// and aborts with a message naming the metric (Envoy's rule: crash on broken
// invariants): an invalid metric or label name, a label named "le" on a
// histogram, histogram bounds that are not finite and strictly increasing,
// or a name asked for again with another type, help text or bounds. Label
// values are data and may hold anything; they are escaped on output.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/metrics/metric.h"

namespace drover::metrics {

// Label name -> value. Ordered by name, which is also the output order.
using Labels = std::map<std::string, std::string>;

class MetricsRegistry {
 public:
  MetricsRegistry() = default;
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  Counter* GetCounter(std::string_view name, std::string_view help, const Labels& labels = {});
  Gauge* GetGauge(std::string_view name, std::string_view help, const Labels& labels = {});
  Histogram* GetHistogram(std::string_view name, std::string_view help,
                          const std::vector<double>& upper_bounds, const Labels& labels = {});

  // The text exposition (version 0.0.4) of every family in name order, each
  // with its HELP and TYPE lines and its series in label order; histograms as
  // cumulative `_bucket{le="..."}` lines ending with le="+Inf", then `_sum`
  // and `_count`. A family with no series yet prints its HELP and TYPE only.
  std::string Render() const;

 private:
  enum class Type { kCounter, kGauge, kHistogram };
  struct Family {
    Type type;
    std::string help;
    std::vector<double> upper_bounds;  // histograms only
    std::map<Labels, std::unique_ptr<Counter>> counters;
    std::map<Labels, std::unique_ptr<Gauge>> gauges;
    std::map<Labels, std::unique_ptr<Histogram>> histograms;
  };

  // Finds or makes the family, aborting on the misuses listed above.
  Family& FamilyFor(std::string_view name, std::string_view help, Type type,
                    const std::vector<double>& upper_bounds, const Labels& labels);
  static void RenderFamily(const std::string& name, const Family& f, std::string* out);

  mutable std::mutex mu_;
  std::map<std::string, Family, std::less<>> families_;  // GUARDED_BY(mu_)
};

}  // namespace drover::metrics
