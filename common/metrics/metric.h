// The three kinds of metric value: Counter, Gauge and Histogram.
//
// Each is one time series (one metric name with one set of label values) and
// is made and owned by a MetricsRegistry (registry.h), which hands out stable
// pointers to them. Every method is thread-safe and lock-free: an update is
// one or two relaxed atomic operations, cheap enough for the heartbeat path
// of a thousand agents. Readers (the exposition) may see an update to a
// histogram's sum before the one to its bucket, never a torn value.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

namespace drover::metrics {

// A value that only goes up (bytes moved, steps finished).
class Counter {
 public:
  // Adds `delta`. Counters never go down: a negative or NaN delta is ignored.
  void Increment(double delta = 1);
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// A value that goes up and down (agents connected, transfer rate).
class Gauge {
 public:
  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  void Add(double delta) { value_.fetch_add(delta, std::memory_order_relaxed); }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Counts observations into buckets with fixed upper bounds (inclusive, as
// Prometheus' `le`), plus their sum. The +Inf bucket is implicit.
class Histogram {
 public:
  // `upper_bounds`: finite, strictly increasing (the registry checks this).
  explicit Histogram(std::vector<double> upper_bounds);

  // Records `value` in the first bucket whose bound is >= value. NaN is ignored.
  void Observe(double value);

  struct Snapshot {
    std::vector<double> upper_bounds;  // without +Inf
    std::vector<uint64_t> cumulative;  // one per bound, then +Inf (the count)
    double sum = 0;
    uint64_t count() const { return cumulative.empty() ? 0 : cumulative.back(); }
  };
  Snapshot Read() const;
  const std::vector<double>& upper_bounds() const { return upper_bounds_; }

 private:
  const std::vector<double> upper_bounds_;
  const std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds + 1, not cumulative
  std::atomic<double> sum_{0};
};

// `count` bounds start, start*factor, ... (start > 0, factor > 1, count >= 1).
std::vector<double> ExponentialBuckets(double start, double factor, int count);

}  // namespace drover::metrics
