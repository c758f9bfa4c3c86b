// Review output of a finished plan (one with timing and estimates, as the
// planners and FinishPlan make it): text for people, JSON (the plan
// document), DOT for the step graph and an SVG timeline with one lane per
// host. Pure functions of the plan; deterministic.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "plans/model/plan.h"

namespace drover::plans {

enum class Format { kText, kJson, kDot, kSvg };

std::optional<Format> ParseFormat(std::string_view s);

std::string RenderText(const Plan& plan);
std::string RenderJson(const Plan& plan);
std::string RenderDot(const Plan& plan);
std::string RenderSvg(const Plan& plan);
std::string Render(const Plan& plan, Format f);

// "1h 02m", "3m 30s", "12.5 s"; "1.50 TiB", "200 GiB", "12.0 MiB".
std::string FormatDuration(double seconds);
std::string FormatBytes(double bytes);

}  // namespace drover::plans
