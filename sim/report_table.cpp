// The report as plain text for a terminal: aligned columns, no colour codes, so it reads the
// same in a pipe, a CI log or a pasted issue.
#include <fmt/format.h>

#include <string>
#include <string_view>
#include <vector>

#include "sim/report.h"
#include "sim/report_format.h"

namespace meridian::sim {
namespace {

using Row = std::vector<std::string>;

// Columns are padded by code points, not bytes: the spans hold an en dash.
size_t display_width(std::string_view text) {
  size_t width = 0;
  for (const unsigned char byte : text)
    if ((byte & 0xC0) != 0x80) ++width;
  return width;
}

// Rows as columns two spaces apart, each line starting with `indent`; no trailing blanks.
void append_aligned(std::string& out, const std::vector<Row>& rows, std::string_view indent) {
  std::vector<size_t> widths;
  for (const auto& row : rows)
    for (size_t column = 0; column < row.size(); ++column) {
      if (widths.size() <= column) widths.push_back(0);
      widths[column] = std::max(widths[column], display_width(row[column]));
    }
  for (const auto& row : rows) {
    std::string line(indent);
    for (size_t column = 0; column < row.size(); ++column) {
      line += row[column];
      if (column + 1 < row.size()) line.append(widths[column] - display_width(row[column]) + 2, ' ');
    }
    line.erase(line.find_last_not_of(' ') + 1);
    out += line + "\n";
  }
}

void append_recoveries(std::string& out, std::string_view title, const std::vector<Recovery>& recoveries,
                       Seconds duration, const std::string& indent) {
  if (recoveries.empty()) {
    out += fmt::format("{}{}  none\n", indent, title);
    return;
  }
  out += fmt::format("{}{}\n", indent, title);
  std::vector<Row> rows{{"region", "fault at", "measured", "worst case", ""}};
  for (const auto& recovery : recoveries)
    rows.push_back({recovery.region, format_time(recovery.fault_at), format_took(recovery),
                    format_time(recovery.worst),
                    over_worst_case(recovery, duration) ? "OVER WORST CASE" : ""});
  append_aligned(out, rows, indent + "  ");
}

void append_view(std::string& out, const View& view, Seconds duration, const std::string& indent) {
  out += indent + "Answers\n";
  std::vector<Row> rows;
  for (const auto& segment : view.segments)
    rows.push_back(
        {format_span(segment.from, segment.to), format_answer(segment), segment.dead ? "DEAD" : ""});
  if (rows.empty()) rows.push_back({"none"});
  append_aligned(out, rows, indent + "  ");
  append_recoveries(out, "Failovers", view.failovers, duration, indent);
  append_recoveries(out, "Failbacks", view.failbacks, duration, indent);
  out += fmt::format("{}Dead answers  {}\n", indent, format_dead_share(view));
}

}  // namespace

std::string render_table(const Report& report) {
  std::string out;
  append_aligned(
      out, {{"Scenario", report.scenario}, {"Mode", report.mode}, {"Duration", format_time(report.duration)}},
      "");

  out += "\nOutages\n";
  if (report.outages.empty()) out += "  none\n";
  std::vector<Row> outages{{"region", "endpoint", "kind", "from", "to"}};
  for (const auto& outage : report.outages)
    outages.push_back({outage.region, outage.endpoint, outage.kind, format_time(outage.from),
                       outage.to ? format_time(*outage.to) : "(end)"});
  if (!report.outages.empty()) append_aligned(out, outages, "  ");

  for (const auto& client : report.clients) {
    out += fmt::format("\nClient {}  {}  {}\n", client.name, client.where, client.query);
    append_view(out, client.server, report.duration, "  ");
    if (client.cached) {
      out += "\n  With resolver cache (TTL)\n";
      append_view(out, *client.cached, report.duration, "    ");
    }
  }
  return out;
}

}  // namespace meridian::sim
