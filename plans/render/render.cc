#include "plans/render/render.h"

#include <cmath>
#include <cstdio>

#include "plans/model/plan_json.h"

namespace drover::plans {

std::optional<Format> ParseFormat(std::string_view s) {
  if (s == "text") return Format::kText;
  if (s == "json") return Format::kJson;
  if (s == "dot") return Format::kDot;
  if (s == "svg") return Format::kSvg;
  return std::nullopt;
}

std::string RenderJson(const Plan& plan) { return PlanToJson(plan).dump(2) + "\n"; }

std::string Render(const Plan& plan, Format f) {
  switch (f) {
    case Format::kText:
      return RenderText(plan);
    case Format::kJson:
      return RenderJson(plan);
    case Format::kDot:
      return RenderDot(plan);
    case Format::kSvg:
      return RenderSvg(plan);
  }
  return {};
}

std::string FormatDuration(double s) {
  char buf[64];
  if (s < 60) {
    std::snprintf(buf, sizeof buf, "%.1f s", s);
  } else if (s < 3600) {
    long t = std::lround(s);
    std::snprintf(buf, sizeof buf, "%ldm %02lds", t / 60, t % 60);
  } else {
    long m = std::lround(s / 60);
    std::snprintf(buf, sizeof buf, "%ldh %02ldm", m / 60, m % 60);
  }
  return buf;
}

std::string FormatBytes(double b) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  int u = 0;
  while (b >= 1024 && u < 5) b /= 1024, ++u;
  char buf[64];
  std::snprintf(buf, sizeof buf, b >= 100 || u == 0 ? "%.0f %s" : "%.2f %s", b, kUnits[u]);
  return buf;
}

}  // namespace drover::plans
