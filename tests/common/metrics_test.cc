// The metrics registry and its Prometheus text exposition.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <thread>
#include <vector>

#include "common/metrics/exposition.h"
#include "common/metrics/registry.h"

namespace drover::metrics {
namespace {

using ::testing::HasSubstr;

TEST(MetricsRegistryTest, GoldenExposition) {
  MetricsRegistry r;
  r.GetCounter("drover_steps_total", "Steps by state.", {{"state", "done"}})->Increment(3);
  r.GetCounter("drover_steps_total", "Steps by state.", {{"state", "failed"}})->Increment();
  r.GetGauge("drover_agents_connected", "Agents with a live session.")->Set(12);
  Histogram* h = r.GetHistogram("drover_downtime_seconds", "Measured downtime.", {0.25, 0.5, 1});
  h->Observe(0.125);
  h->Observe(0.25);  // le is inclusive
  h->Observe(0.75);
  h->Observe(3);
  EXPECT_EQ(r.Render(),
            "# HELP drover_agents_connected Agents with a live session.\n"
            "# TYPE drover_agents_connected gauge\n"
            "drover_agents_connected 12\n"
            "# HELP drover_downtime_seconds Measured downtime.\n"
            "# TYPE drover_downtime_seconds histogram\n"
            "drover_downtime_seconds_bucket{le=\"0.25\"} 2\n"
            "drover_downtime_seconds_bucket{le=\"0.5\"} 2\n"
            "drover_downtime_seconds_bucket{le=\"1\"} 3\n"
            "drover_downtime_seconds_bucket{le=\"+Inf\"} 4\n"
            "drover_downtime_seconds_sum 4.125\n"
            "drover_downtime_seconds_count 4\n"
            "# HELP drover_steps_total Steps by state.\n"
            "# TYPE drover_steps_total counter\n"
            "drover_steps_total{state=\"done\"} 3\n"
            "drover_steps_total{state=\"failed\"} 1\n");
}

TEST(MetricsRegistryTest, SameSeriesSamePointerLabelsSortedByName) {
  MetricsRegistry r;
  Counter* a = r.GetCounter("x_total", "x", {{"b", "2"}, {"a", "1"}});
  Counter* b = r.GetCounter("x_total", "x", {{"a", "1"}, {"b", "2"}});
  EXPECT_EQ(a, b);
  EXPECT_NE(a, r.GetCounter("x_total", "x", {{"a", "1"}}));
  a->Increment(2);
  EXPECT_THAT(r.Render(), HasSubstr("x_total{a=\"1\",b=\"2\"} 2\n"));
}

TEST(MetricsRegistryTest, LabelValuesAndHelpAreEscaped) {
  MetricsRegistry r;
  r.GetGauge("g", "a \\ help\nwith \"quotes\"", {{"path", "C:\\dir\n\"x\""}})->Set(1);
  EXPECT_EQ(r.Render(),
            "# HELP g a \\\\ help\\nwith \"quotes\"\n"
            "# TYPE g gauge\n"
            "g{path=\"C:\\\\dir\\n\\\"x\\\"\"} 1\n");
}

TEST(MetricsRegistryTest, HistogramLabelsComeBeforeLe) {
  MetricsRegistry r;
  r.GetHistogram("h", "h", {1}, {{"guest", "db1"}})->Observe(2);
  EXPECT_EQ(r.Render(),
            "# HELP h h\n# TYPE h histogram\n"
            "h_bucket{guest=\"db1\",le=\"1\"} 0\n"
            "h_bucket{guest=\"db1\",le=\"+Inf\"} 1\n"
            "h_sum{guest=\"db1\"} 2\n"
            "h_count{guest=\"db1\"} 1\n");
}

TEST(MetricsRegistryTest, FamilyWithoutSeriesPrintsHelpAndType) {
  MetricsRegistry r;
  EXPECT_EQ(r.Render(), "");
  r.GetCounter("c_total", "c", {{"state", "done"}});
  EXPECT_EQ(r.Render(), "# HELP c_total c\n# TYPE c_total counter\nc_total{state=\"done\"} 0\n");
}

TEST(MetricsRegistryTest, CounterIgnoresNegativeAndNan) {
  Counter c;
  c.Increment(2.5);
  c.Increment(-1);
  c.Increment(std::nan(""));
  EXPECT_EQ(c.Value(), 2.5);
}

TEST(MetricsRegistryTest, GaugeGoesBothWays) {
  Gauge g;
  g.Add(5);
  g.Add(-7);
  EXPECT_EQ(g.Value(), -2);
  g.Set(0.25);
  EXPECT_EQ(g.Value(), 0.25);
}

TEST(MetricsRegistryTest, HistogramBucketsAreCumulative) {
  Histogram h(ExponentialBuckets(1, 2, 4));  // 1 2 4 8
  EXPECT_EQ(h.upper_bounds(), (std::vector<double>{1, 2, 4, 8}));
  for (double v : {0.5, 1.0, 1.5, 3.0, 3.5, 8.0, 9.0, -1.0}) h.Observe(v);
  h.Observe(std::nan(""));
  Histogram::Snapshot s = h.Read();
  EXPECT_EQ(s.cumulative, (std::vector<uint64_t>{3, 4, 6, 7, 8}));
  EXPECT_EQ(s.count(), 8u);
  EXPECT_DOUBLE_EQ(s.sum, 25.5);
}

TEST(MetricsRegistryTest, ConcurrentUpdatesAreAllCounted) {
  MetricsRegistry r;
  constexpr int kThreads = 8, kEach = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&r, t] {
      // Looking the series up concurrently must give every thread the same one.
      Counter* c = r.GetCounter("hits_total", "hits", {{"kind", "heartbeat"}});
      Gauge* g = r.GetGauge("load", "load");
      Histogram* h = r.GetHistogram("lat", "lat", {0.5});
      for (int i = 0; i < kEach; ++i) {
        c->Increment();
        g->Add(1);
        h->Observe(i % 2 == 0 ? 0.25 : 1.0);
        if (i % 5000 == 0) (void)r.Render();
      }
      r.GetCounter("per_thread_total", "p", {{"t", std::to_string(t)}})->Increment();
    });
  }
  for (auto& th : threads) th.join();
  const double total = kThreads * kEach;
  EXPECT_EQ(r.GetCounter("hits_total", "hits", {{"kind", "heartbeat"}})->Value(), total);
  EXPECT_EQ(r.GetGauge("load", "load")->Value(), total);
  Histogram::Snapshot s = r.GetHistogram("lat", "lat", {0.5})->Read();
  EXPECT_EQ(s.cumulative, (std::vector<uint64_t>{kThreads * kEach / 2, kThreads * kEach}));
  EXPECT_DOUBLE_EQ(s.sum, total / 2 * 1.25);
  std::string text = r.Render();
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_THAT(text, HasSubstr("per_thread_total{t=\"" + std::to_string(t) + "\"} 1\n"));
  }
}

TEST(MetricsExpositionTest, Values) {
  EXPECT_EQ(FormatValue(0), "0");
  EXPECT_EQ(FormatValue(42), "42");
  EXPECT_EQ(FormatValue(0.1), "0.1");
  EXPECT_EQ(FormatValue(-2.5), "-2.5");
  EXPECT_EQ(FormatValue(125521367753), "125521367753");
  EXPECT_EQ(FormatValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(FormatValue(std::nan("")), "NaN");
}

TEST(MetricsExpositionTest, Names) {
  EXPECT_TRUE(IsValidMetricName("drover_steps_total"));
  EXPECT_TRUE(IsValidMetricName("job:rate5m"));
  EXPECT_FALSE(IsValidMetricName(""));
  EXPECT_FALSE(IsValidMetricName("9lives"));
  EXPECT_FALSE(IsValidMetricName("a-b"));
  EXPECT_TRUE(IsValidLabelName("state"));
  EXPECT_FALSE(IsValidLabelName("__name__"));
  EXPECT_FALSE(IsValidLabelName("a:b"));
  EXPECT_FALSE(IsValidLabelName("1a"));
}

using MetricsRegistryDeathTest = ::testing::Test;

TEST_F(MetricsRegistryDeathTest, MisuseAbortsNamingTheMetric) {
  MetricsRegistry r;
  r.GetCounter("c_total", "c");
  EXPECT_DEATH(r.GetGauge("c_total", "c"), "\"c_total\": already registered as a counter");
  EXPECT_DEATH(r.GetCounter("c_total", "other"), "another help text");
  EXPECT_DEATH(r.GetCounter("bad-name", "x"), "invalid metric name");
  EXPECT_DEATH(r.GetCounter("x", "x", {{"bad label", "v"}}), "invalid label name");
  EXPECT_DEATH(r.GetHistogram("h", "h", {1}, {{"le", "1"}}), "reserved");
  EXPECT_DEATH(r.GetHistogram("h2", "h", {2, 1}), "strictly increasing");
  r.GetHistogram("h3", "h", {1, 2});
  EXPECT_DEATH(r.GetHistogram("h3", "h", {1, 3}), "other bounds");
}

}  // namespace
}  // namespace drover::metrics
