// How the report's renderers write times and shares, so the table and the SVG read the same.
#pragma once

#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sim/report.h"

namespace meridian::sim {

// "31.2s", "1m05.0s", "1h02m05.0s": tenths of a second, because the probes' settings are whole
// seconds and a simulation's clock is finer than that, but not by much that matters to a reader.
inline std::string format_time(Seconds seconds) {
  if (!std::isfinite(seconds)) return "?";
  if (seconds < 0) return "-" + format_time(-seconds);
  // Round once, up front: 59.96 must read "1m00.0s", not "60.0s".
  const auto tenths = static_cast<int64_t>(std::llround(seconds * 10));
  const int64_t tenth = tenths % 10, whole = tenths / 10;
  if (whole < 60) return fmt::format("{}.{}s", whole, tenth);
  const int64_t minutes = whole / 60, second = whole % 60;
  if (minutes < 60) return fmt::format("{}m{:02}.{}s", minutes, second, tenth);
  return fmt::format("{}h{:02}m{:02}.{}s", minutes / 60, minutes % 60, second, tenth);
}

// An axis tick: a round number by construction, so no tenths ("30s", "1m", "1m30s", "0.5s").
inline std::string format_tick(Seconds seconds) {
  const auto tenths = static_cast<int64_t>(std::llround(seconds * 10));
  if (tenths % 10 != 0) return fmt::format("{}.{}s", tenths / 10, tenths % 10);
  const int64_t whole = tenths / 10;
  if (whole < 60) return fmt::format("{}s", whole);
  const int64_t minutes = whole / 60, second = whole % 60;
  if (minutes < 60) return second ? fmt::format("{}m{:02}s", minutes, second) : fmt::format("{}m", minutes);
  const int64_t hours = minutes / 60, minute = minutes % 60;
  return minute ? fmt::format("{}h{:02}m", hours, minute) : fmt::format("{}h", hours);
}

inline std::string format_span(Seconds from, Seconds to) {
  return format_time(from) + "\u2013" + format_time(to);
}

// "3.2% (12 of 375)"; a view without answers has no share to give.
inline std::string format_dead_share(const View& view) {
  if (view.answers == 0) return "no answers";
  const double percent = 100.0 * static_cast<double>(view.dead_answers) / static_cast<double>(view.answers);
  return fmt::format("{:.1f}% ({} of {})", percent, view.dead_answers, view.answers);
}

// What a segment answered: its endpoints, or for NODATA, a timeout or an error, the outcome.
inline std::string format_answer(const Segment& segment) {
  if (segment.endpoints.empty()) return segment.outcome;
  std::string text;
  for (const auto& endpoint : segment.endpoints) text += (text.empty() ? "" : ", ") + endpoint;
  if (segment.outcome != "answer") text += " (" + segment.outcome + ")";
  return text;
}

inline std::string format_took(const Recovery& recovery) {
  return recovery.took ? format_time(*recovery.took) : "never";
}

// Slower than the settings allow. A recovery that never came counts when the run (and, for a
// failover, the outage) went on past its worst case: it should have happened and did not.
inline bool over_worst_case(const Recovery& recovery, Seconds duration) {
  if (recovery.took) return *recovery.took > recovery.worst;
  return recovery.ended.value_or(duration) - recovery.fault_at > recovery.worst;
}

}  // namespace meridian::sim
