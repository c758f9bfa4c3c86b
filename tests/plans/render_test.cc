// Renderers: text summary and table, JSON document, DOT graph, SVG timeline.
#include "plans/render/render.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "plans/planners/planner.h"
#include "plans/render/escape.h"
#include "tests/plans/testing/inventory_builder.h"

namespace drover::plans {
namespace {

using ::testing::HasSubstr;

Plan Sample() {
  testing::InventoryBuilder b;
  b.Host("h1", 16, 65536, 1000).Host("h2", 16, 65536, 1000).Host("h<3>", 16, 65536, 1000);
  b.Guest("db", "h1", 2, 4096, 100, {0.1, 0.9, 0.1}, "", 2)
      .Guest("web", "h1", 2, 4096, 20, {0.9, 0.1, 0.1});
  b.Guest("hot", "h1", 2, 4096, 20, {0.2, 0.2, 0.9}, "", 400);  // does not converge over 1 Gbit/s
  auto plan = PlanEvacuate(b.Load(), {{"h1"}, ""});
  EXPECT_TRUE(plan) << plan.error().ToString();
  return *plan;
}

TEST(RenderTest, TextHasSummaryWavesTableLinksAndWarnings) {
  std::string t = RenderText(Sample());
  EXPECT_THAT(t, HasSubstr("plan evacuate h1"));
  EXPECT_THAT(t, HasSubstr("steps        3 in "));
  EXPECT_THAT(t, HasSubstr("makespan"));
  EXPECT_THAT(t, HasSubstr("critical path"));
  EXPECT_THAT(t, HasSubstr("downtime     worst"));
  EXPECT_THAT(t, HasSubstr("\nwaves\n  1: "));
  EXPECT_THAT(t, HasSubstr("step   action   guest"));
  EXPECT_THAT(t, HasSubstr("\nlinks\n"));
  EXPECT_THAT(t, HasSubstr("guest hot dirties 400 MiB/s"));
}

TEST(RenderTest, JsonDotSvg) {
  Plan p = Sample();
  std::string j = RenderJson(p);
  EXPECT_THAT(j, HasSubstr("\"drover_plan\": 1"));
  EXPECT_THAT(j, HasSubstr("\"est_start_seconds\""));
  std::string d = RenderDot(p);
  EXPECT_THAT(d, HasSubstr("digraph \"drover_plan\""));
  EXPECT_THAT(d, HasSubstr("color=red"));
  std::string s = RenderSvg(p);
  EXPECT_THAT(s, HasSubstr("<svg xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_THAT(s, HasSubstr(">h1</text>"));
  EXPECT_THAT(s, HasSubstr("h&lt;3&gt;"));  // names are escaped
  EXPECT_THAT(s, ::testing::Not(HasSubstr("h<3>")));
  EXPECT_THAT(s, HasSubstr("<title>s1 migrate"));
  EXPECT_EQ(s.substr(s.size() - 7), "</svg>\n");
}

TEST(RenderTest, Formats) {
  EXPECT_EQ(ParseFormat("svg"), Format::kSvg);
  EXPECT_FALSE(ParseFormat("pdf"));
  EXPECT_EQ(FormatDuration(12.34), "12.3 s");
  EXPECT_EQ(FormatDuration(210.5), "3m 31s");
  EXPECT_EQ(FormatDuration(3720), "1h 02m");
  EXPECT_EQ(FormatBytes(200.0 * (1 << 30)), "200 GiB");
  EXPECT_EQ(FormatBytes(1.5 * (1 << 20)), "1.50 MiB");
  EXPECT_EQ(XmlEscape("a&\"<"), "a&amp;&quot;&lt;");
  EXPECT_EQ(DotEscape("a\"b\n"), "a\\\"b\\n");
}

}  // namespace
}  // namespace drover::plans
