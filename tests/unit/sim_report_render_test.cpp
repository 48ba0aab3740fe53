// The failover report's renderers: the table's figures, JSON that reads back to the same report,
// and an SVG that is well-formed XML with a lane per client and a rect per segment.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "sim/report.h"
#include "sim/report_format.h"
#include "tests/unit/sim_report_fixture.h"

using namespace meridian::sim;
using meridian::sim::test::two_region_outage;
using nlohmann::json;

namespace {

// The line of `text` that holds every one of `parts`, or "" when none does.
std::string line_with(const std::string& text, std::initializer_list<std::string_view> parts) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    bool all = true;
    for (const auto part : parts) all = all && line.find(part) != std::string::npos;
    if (all) return line;
  }
  return "";
}

size_t count_of(const std::string& text, const std::string& needle) {
  size_t count = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size()))
    ++count;
  return count;
}

// Well-formed enough for a browser's XML parser: tags nest and close, attribute values are
// quoted, and every '&' starts one of the five entities. Returns the first problem, or "".
std::string xml_problem(const std::string& xml) {
  std::vector<std::string> open;
  static const std::regex entity(R"(&(amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);)");
  for (size_t at = 0; at < xml.size(); ++at) {
    if (xml[at] == '&' && !std::regex_search(xml.begin() + at, std::min(xml.begin() + at + 10, xml.end()),
                                             entity, std::regex_constants::match_continuous))
      return "a bare & at " + std::to_string(at);
    if (xml[at] != '<') continue;
    const size_t end = xml.find('>', at);
    if (end == std::string::npos) return "an unclosed tag at " + std::to_string(at);
    const std::string tag = xml.substr(at + 1, end - at - 1);
    if (tag.find('<') != std::string::npos) return "a '<' inside a tag at " + std::to_string(at);
    if (count_of(tag, "\"") % 2) return "an unbalanced quote in <" + tag + ">";
    at = end;
    if (tag.starts_with("?") || tag.starts_with("!")) continue;
    if (tag.starts_with("/")) {
      if (open.empty() || open.back() != tag.substr(1)) return "</" + tag.substr(1) + "> closes nothing open";
      open.pop_back();
      continue;
    }
    if (tag.ends_with("/")) continue;
    open.push_back(tag.substr(0, tag.find_first_of(" \t\n")));
  }
  return open.empty() ? "" : "<" + open.back() + "> is never closed";
}

// From JSON back to a Report, by the documented key names; a missing key throws.
std::optional<Seconds> optional_seconds(const json& value) {
  return value.is_null() ? std::nullopt : std::optional<Seconds>(value.get<Seconds>());
}

std::vector<Recovery> recoveries_from(const json& array) {
  std::vector<Recovery> recoveries;
  for (const auto& item : array)
    recoveries.push_back({item.at("region"), item.at("fault_at"), optional_seconds(item.at("took")),
                          item.at("worst"), optional_seconds(item.at("ended"))});
  return recoveries;
}

View view_from(const json& object) {
  View view;
  for (const auto& item : object.at("segments"))
    view.segments.push_back({item.at("from"), item.at("to"),
                             item.at("endpoints").get<std::vector<std::string>>(), item.at("outcome"),
                             item.at("dead")});
  view.failovers = recoveries_from(object.at("failovers"));
  view.failbacks = recoveries_from(object.at("failbacks"));
  view.answers = object.at("answers");
  view.dead_answers = object.at("dead_answers");
  return view;
}

Report report_from(const json& document) {
  Report report;
  report.scenario = document.at("scenario");
  report.mode = document.at("mode");
  report.duration = document.at("duration");
  report.endpoints = document.at("endpoints").get<std::vector<std::string>>();
  for (const auto& item : document.at("outages"))
    report.outages.push_back({item.at("region"), item.at("endpoint"), item.at("kind"), item.at("from"),
                              optional_seconds(item.at("to")), item.at("worst_failover"),
                              item.at("worst_failback"), item.at("interval")});
  for (const auto& item : document.at("marks"))
    report.marks.push_back({item.at("at"), item.at("kind"), item.at("target")});
  for (const auto& item : document.at("statuses"))
    report.statuses.push_back({item.at("at"), item.at("endpoint"), item.at("from"), item.at("to")});
  for (const auto& item : document.at("clients")) {
    ClientReport client{item.at("name"), item.at("where"), item.at("query"), view_from(item.at("server")),
                        std::nullopt};
    if (!item.at("cached").is_null()) client.cached = view_from(item.at("cached"));
    report.clients.push_back(std::move(client));
  }
  return report;
}

void check_same(const std::vector<Recovery>& got, const std::vector<Recovery>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    CHECK(got[i].region == want[i].region);
    CHECK(got[i].fault_at == want[i].fault_at);
    CHECK(got[i].ended == want[i].ended);
    CHECK(got[i].took == want[i].took);
    CHECK(got[i].worst == want[i].worst);
  }
}

void check_same(const View& got, const View& want) {
  REQUIRE(got.segments.size() == want.segments.size());
  for (size_t i = 0; i < got.segments.size(); ++i) {
    CHECK(got.segments[i].from == want.segments[i].from);
    CHECK(got.segments[i].to == want.segments[i].to);
    CHECK(got.segments[i].endpoints == want.segments[i].endpoints);
    CHECK(got.segments[i].outcome == want.segments[i].outcome);
    CHECK(got.segments[i].dead == want.segments[i].dead);
  }
  check_same(got.failovers, want.failovers);
  check_same(got.failbacks, want.failbacks);
  CHECK(got.answers == want.answers);
  CHECK(got.dead_answers == want.dead_answers);
}

}  // namespace

TEST_CASE("report times read as seconds with tenths, and minutes past a minute") {
  CHECK(format_time(0) == "0.0s");
  CHECK(format_time(31.24) == "31.2s");
  CHECK(format_time(59.96) == "1m00.0s");
  CHECK(format_time(65) == "1m05.0s");
  CHECK(format_time(3725.5) == "1h02m05.5s");
  CHECK(format_tick(30) == "30s");
  CHECK(format_tick(60) == "1m");
  CHECK(format_tick(90) == "1m30s");
  CHECK(format_tick(0.5) == "0.5s");
}

TEST_CASE("the table heads with the scenario and lists the outages") {
  const std::string table = render_table(two_region_outage());
  CHECK(line_with(table, {"Scenario", "westeurope & eastus <outage>"}) != "");
  CHECK(line_with(table, {"Mode", "virtual time"}) != "");
  CHECK(line_with(table, {"Duration", "2m00.0s"}) != "");
  CHECK(line_with(table, {"westeurope", "app/westeurope", "fail", "30.0s", "1m30.0s"}) != "");
  CHECK(line_with(table, {"eastus", "app/eastus", "hang", "1m00.0s", "(end)"}) != "");
  CHECK(table.find('\x1b') == std::string::npos);  // no colour codes
}

TEST_CASE("the table shows each client's answer timeline with dead and empty answers marked") {
  const std::string table = render_table(two_region_outage());
  CHECK(line_with(table, {"Client london", "GB (81.2.69.0/24)", "www.example.com A"}) != "");
  CHECK(line_with(table, {"0.0s\u201330.0s", "app/westeurope"}).find("DEAD") == std::string::npos);
  CHECK(line_with(table, {"30.0s\u201345.0s", "app/westeurope", "DEAD"}) != "");
  CHECK(line_with(table, {"0.0s\u201320.0s", "app/eastus, app/northeurope"}) != "");
  CHECK(line_with(table, {"1m40.0s\u20131m50.0s", "timeout"}) != "");
  CHECK(line_with(table, {"1m50.0s\u20132m00.0s", "NODATA"}) != "");
}

TEST_CASE("the table gives failovers measured against the worst case, never and over flagged") {
  const std::string table = render_table(two_region_outage());
  const auto london_failover = line_with(table, {"westeurope", "30.0s", "15.0s", "35.0s"});
  CHECK(london_failover != "");
  CHECK(london_failover.find("OVER") == std::string::npos);
  CHECK(line_with(table, {"westeurope", "1m30.0s", "5.0s", "25.0s"}) != "");  // the failback
  CHECK(line_with(table, {"eastus", "1m00.0s", "never", "35.0s", "OVER WORST CASE"}) != "");
  CHECK(line_with(table, {"westeurope", "30.0s", "45.0s", "40.0s", "OVER WORST CASE"}) != "");  // cached
  CHECK(line_with(table, {"Dead answers", "12.5% (30 of 240)"}) != "");
  CHECK(line_with(table, {"Dead answers", "33.3% (40 of 120)"}) != "");
}

TEST_CASE("the table gives the cached view under its own heading, after the server's") {
  const std::string table = render_table(two_region_outage());
  const auto heading = table.find("With resolver cache (TTL)");
  REQUIRE(heading != std::string::npos);
  CHECK(count_of(table, "resolver cache") == 1);  // only london has the cache model
  CHECK(table.find("12.5% (30 of 240)") < heading);
  CHECK(table.find("37.5% (90 of 240)") > heading);
  CHECK(table.find("30.0s\u20131m15.0s") > heading);
  CHECK(table.find("Client R&D <lab>") > heading);
}

TEST_CASE("the table's columns line up") {
  const std::string table = render_table(two_region_outage());
  const auto header = line_with(table, {"region", "endpoint", "kind", "from", "to"});
  const auto row = line_with(table, {"eastus", "app/eastus", "hang"});
  REQUIRE(header != "");
  CHECK(header.find("kind") == row.find("hang"));
  CHECK(header.find("from") == row.find("1m00.0s"));
}

TEST_CASE("the JSON reads back to the same report") {
  const Report want = two_region_outage();
  const json document = json::parse(render_json(want));
  const Report got = report_from(document);
  CHECK(got.scenario == want.scenario);
  CHECK(got.mode == want.mode);
  CHECK(got.duration == want.duration);
  CHECK(got.endpoints == want.endpoints);
  REQUIRE(got.outages.size() == want.outages.size());
  for (size_t i = 0; i < got.outages.size(); ++i) {
    CHECK(got.outages[i].region == want.outages[i].region);
    CHECK(got.outages[i].endpoint == want.outages[i].endpoint);
    CHECK(got.outages[i].kind == want.outages[i].kind);
    CHECK(got.outages[i].from == want.outages[i].from);
    CHECK(got.outages[i].to == want.outages[i].to);
    CHECK(got.outages[i].worst_failover == want.outages[i].worst_failover);
    CHECK(got.outages[i].worst_failback == want.outages[i].worst_failback);
    CHECK(got.outages[i].interval == want.outages[i].interval);
  }
  REQUIRE(got.marks.size() == want.marks.size());
  for (size_t i = 0; i < got.marks.size(); ++i) {
    CHECK(got.marks[i].at == want.marks[i].at);
    CHECK(got.marks[i].kind == want.marks[i].kind);
    CHECK(got.marks[i].target == want.marks[i].target);
  }
  REQUIRE(got.statuses.size() == want.statuses.size());
  for (size_t i = 0; i < got.statuses.size(); ++i) {
    CHECK(got.statuses[i].at == want.statuses[i].at);
    CHECK(got.statuses[i].endpoint == want.statuses[i].endpoint);
    CHECK(got.statuses[i].from == want.statuses[i].from);
    CHECK(got.statuses[i].to == want.statuses[i].to);
  }
  REQUIRE(got.clients.size() == want.clients.size());
  for (size_t i = 0; i < got.clients.size(); ++i) {
    CHECK(got.clients[i].name == want.clients[i].name);
    CHECK(got.clients[i].where == want.clients[i].where);
    CHECK(got.clients[i].query == want.clients[i].query);
    check_same(got.clients[i].server, want.clients[i].server);
    REQUIRE(got.clients[i].cached.has_value() == want.clients[i].cached.has_value());
    if (got.clients[i].cached) check_same(*got.clients[i].cached, *want.clients[i].cached);
  }
}

TEST_CASE("the JSON writes times as numbers of seconds and what never happened as null") {
  const json document = json::parse(render_json(two_region_outage()));
  CHECK(document.at("duration").is_number());
  CHECK(document.at("outages")[1].at("to").is_null());
  CHECK(document.at("clients")[1].at("server").at("failovers")[0].at("took").is_null());
  CHECK(document.at("clients")[1].at("cached").is_null());
  CHECK(document.at("statuses")[1].at("at") == 92.25);
  CHECK(render_json(two_region_outage()).find("\n  \"scenario\"") != std::string::npos);  // indent 2
}

TEST_CASE("the SVG is a standalone, well-formed document") {
  const std::string svg = render_svg(two_region_outage());
  CHECK(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
  CHECK(
      std::regex_search(svg, std::regex(R"re(^<svg [^>]*width="\d+" height="\d+" viewBox="0 0 \d+ \d+")re")));
  CHECK(svg.ends_with("</svg>\n"));
  CHECK(xml_problem(svg) == "");
  CHECK(svg.find("href") == std::string::npos);  // nothing external
}

TEST_CASE("the SVG escapes names for XML") {
  const std::string svg = render_svg(two_region_outage());
  CHECK(svg.find("R&amp;D &lt;lab&gt;") != std::string::npos);
  CHECK(svg.find("westeurope &amp; eastus &lt;outage&gt;") != std::string::npos);
  CHECK(svg.find("R&D") == std::string::npos);
  CHECK(svg.find("<lab") == std::string::npos);
}

TEST_CASE("the SVG draws a labelled lane per client and a rect per segment") {
  const Report report = two_region_outage();
  const std::string svg = render_svg(report);
  CHECK(svg.find(">london</text>") != std::string::npos);
  CHECK(svg.find(">GB (81.2.69.0/24)</text>") != std::string::npos);
  CHECK(svg.find(">R&amp;D &lt;lab&gt;</text>") != std::string::npos);
  CHECK(svg.find(">10.0.0.0/8</text>") != std::string::npos);
  CHECK(count_of(svg, "class=\"segment\"") == 4 + 4 + 5);
  CHECK(count_of(svg, "data-view=\"cached\"") == 4);
  for (size_t index = 0; index < 5; ++index)
    CHECK(svg.find(fmt::format("data-client=\"1\" data-view=\"server\" data-index=\"{}\"", index)) !=
          std::string::npos);
  CHECK(count_of(svg, "class=\"dead\"") == 3);
  CHECK(count_of(svg, "class=\"stripe\"") == 1);  // the two-endpoint answer's second colour
  CHECK(count_of(svg, "fill=\"url(#no-answer)\"") >= 2);
}

TEST_CASE("the SVG marks the timeline and keeps the axis to six to twelve round ticks") {
  const std::string svg = render_svg(two_region_outage());
  CHECK(count_of(svg, "class=\"mark\"") == 3);
  CHECK(svg.find(">fail westeurope</text>") != std::string::npos);
  CHECK(svg.find(">recover westeurope</text>") != std::string::npos);
  const auto ticks = count_of(svg, "class=\"tick\"");
  CHECK(ticks >= 6);
  CHECK(ticks <= 12);
  CHECK(svg.find(">1m</text>") != std::string::npos);
  CHECK(svg.find(">2m</text>") != std::string::npos);
  CHECK(count_of(svg, "class=\"outage\"") == 2);
}

TEST_CASE("the SVG's footer gives each view's failovers against the worst case") {
  const std::string svg = render_svg(two_region_outage());
  CHECK(svg.find("failover westeurope 15.0s (worst 35.0s)") != std::string::npos);
  CHECK(svg.find("failover eastus never (worst 35.0s) <tspan") != std::string::npos);
  CHECK(svg.find("london, with resolver cache (TTL):") != std::string::npos);
  CHECK(svg.find("dead answers 37.5% (90 of 240)") != std::string::npos);
  CHECK(count_of(svg, "class=\"legend\"") == 3 + 3);
}

TEST_CASE("the SVG's axis keeps to round steps at five to twelve ticks, whatever the duration") {
  for (const Seconds duration :
       {1.5, 7.0, 12.0, 22.1, 45.0, 90.0, 120.0, 300.0, 600.0, 1000.0, 3600.0, 7200.0}) {
    Report report;
    report.duration = duration;
    const auto ticks = count_of(render_svg(report), "class=\"tick\"");
    CHECK_MESSAGE(ticks >= 5, duration);
    CHECK_MESSAGE(ticks <= 12, duration);
  }
}

TEST_CASE("an empty report still renders: a table, JSON and a well-formed SVG") {
  const Report empty;
  CHECK(render_table(empty).find("Outages\n  none") != std::string::npos);
  CHECK(json::parse(render_json(empty)).at("clients").empty());
  CHECK(xml_problem(render_svg(empty)) == "");
}
