#include "common/metrics/registry.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "common/metrics/exposition.h"

namespace drover::metrics {
namespace {

[[noreturn]] void Misuse(std::string_view name, const std::string& what) {
  std::fprintf(stderr, "drover metrics: metric \"%.*s\": %s\n", static_cast<int>(name.size()),
               name.data(), what.c_str());
  std::abort();
}

const char* TypeName(int type) {
  static const char* const kNames[] = {"counter", "gauge", "histogram"};
  return kNames[type];
}

// `{a="x",b="y"}`, with `extra` (already formatted, e.g. `le="0.5"`) last;
// empty when there is nothing to print.
std::string LabelText(const Labels& labels, const std::string& extra = "") {
  std::string out;
  for (const auto& [k, v] : labels) {
    out += (out.empty() ? "" : ",") + k + "=\"" + EscapeLabelValue(v) + "\"";
  }
  if (!extra.empty()) out += (out.empty() ? "" : ",") + extra;
  return out.empty() ? out : "{" + out + "}";
}

void Sample(const std::string& name, const std::string& labels, double value, std::string* out) {
  *out += name + labels + " " + FormatValue(value) + "\n";
}

}  // namespace

MetricsRegistry::Family& MetricsRegistry::FamilyFor(std::string_view name, std::string_view help,
                                                    Type type,
                                                    const std::vector<double>& upper_bounds,
                                                    const Labels& labels) {
  if (!IsValidMetricName(name)) Misuse(name, "invalid metric name");
  for (const auto& [k, v] : labels) {
    if (!IsValidLabelName(k)) Misuse(name, "invalid label name \"" + k + "\"");
    if (type == Type::kHistogram && k == "le") Misuse(name, "label \"le\" is reserved");
  }
  for (size_t i = 0; i < upper_bounds.size(); ++i) {
    if (!std::isfinite(upper_bounds[i]) || (i > 0 && upper_bounds[i] <= upper_bounds[i - 1])) {
      Misuse(name, "bucket bounds must be finite and strictly increasing");
    }
  }
  auto it = families_.find(name);
  if (it == families_.end()) {
    it = families_
             .emplace(std::string(name), Family{type, std::string(help), upper_bounds, {}, {}, {}})
             .first;
  }
  Family& f = it->second;
  if (f.type != type) {
    Misuse(name, std::string("already registered as a ") + TypeName(static_cast<int>(f.type)));
  }
  if (f.help != help) Misuse(name, "already registered with another help text");
  if (f.upper_bounds != upper_bounds) Misuse(name, "already registered with other bounds");
  return f;
}

Counter* MetricsRegistry::GetCounter(std::string_view name, std::string_view help,
                                     const Labels& labels) {
  std::lock_guard lock(mu_);
  auto& slot = FamilyFor(name, help, Type::kCounter, {}, labels).counters[labels];
  if (!slot) slot = std::make_unique<Counter>();
  return slot.get();
}

Gauge* MetricsRegistry::GetGauge(std::string_view name, std::string_view help,
                                 const Labels& labels) {
  std::lock_guard lock(mu_);
  auto& slot = FamilyFor(name, help, Type::kGauge, {}, labels).gauges[labels];
  if (!slot) slot = std::make_unique<Gauge>();
  return slot.get();
}

Histogram* MetricsRegistry::GetHistogram(std::string_view name, std::string_view help,
                                         const std::vector<double>& upper_bounds,
                                         const Labels& labels) {
  std::lock_guard lock(mu_);
  auto& slot = FamilyFor(name, help, Type::kHistogram, upper_bounds, labels).histograms[labels];
  if (!slot) slot = std::make_unique<Histogram>(upper_bounds);
  return slot.get();
}

void MetricsRegistry::RenderFamily(const std::string& name, const Family& f, std::string* out) {
  *out += "# HELP " + name + " " + EscapeHelp(f.help) + "\n";
  *out += "# TYPE " + name + " " + TypeName(static_cast<int>(f.type)) + "\n";
  for (const auto& [labels, c] : f.counters) Sample(name, LabelText(labels), c->Value(), out);
  for (const auto& [labels, g] : f.gauges) Sample(name, LabelText(labels), g->Value(), out);
  for (const auto& [labels, h] : f.histograms) {
    Histogram::Snapshot s = h->Read();
    for (size_t i = 0; i < s.cumulative.size(); ++i) {
      std::string le = i < s.upper_bounds.size() ? FormatValue(s.upper_bounds[i]) : "+Inf";
      Sample(name + "_bucket", LabelText(labels, "le=\"" + le + "\""),
             static_cast<double>(s.cumulative[i]), out);
    }
    Sample(name + "_sum", LabelText(labels), s.sum, out);
    Sample(name + "_count", LabelText(labels), static_cast<double>(s.count()), out);
  }
}

std::string MetricsRegistry::Render() const {
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& [name, family] : families_) RenderFamily(name, family, &out);
  return out;
}

}  // namespace drover::metrics
