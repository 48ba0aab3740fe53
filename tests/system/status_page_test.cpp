// The status page in a real browser: headless Chromium loads GET / from the control port, the page
// polls /v1/status, and its DOM and screenshot show a drained endpoint as drained.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <sstream>

#include "../headless_chromium.h"  // system tests see only tests/system
#include "control_fixtures.h"
#include "etcd_cluster.h"
#include "harness.h"
#include "http_backend.h"
#include "http_client.h"
#include "replica_fixtures.h"

using namespace meridian::test;

namespace {

// The status page once it has loaded: virtual time runs the page's timers until the budget is
// spent, but waits for network replies, so the first /v1/status fetch completes.
BrowserRun run_page(const std::string& chromium, const std::string& profile_dir,
                    const std::vector<std::string>& extra, const std::string& url) {
  auto args = headless_flags(profile_dir);
  args.push_back("--virtual-time-budget=5000");
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back(url);
  return run_headless(chromium, std::move(args));
}

std::string tail(const std::string& text, size_t size = 3000) {
  return text.size() <= size ? text : "..." + text.substr(text.size() - size);
}

// One <tr> of the serialized DOM: its attributes (in whatever order Chromium wrote them) and
// its markup up to </tr>.
struct Row {
  std::map<std::string, std::string> attributes;
  std::string html;
};

std::vector<Row> rows_of(const std::string& dom) {
  static const std::regex row_start(R"(<tr\b([^>]*)>)");
  static const std::regex attribute(R"re(([A-Za-z_:][-A-Za-z0-9_:.]*)\s*=\s*"([^"]*)")re");
  std::vector<Row> rows;
  for (auto it = std::sregex_iterator(dom.begin(), dom.end(), row_start); it != std::sregex_iterator();
       ++it) {
    Row row;
    const std::string attributes = (*it)[1];
    for (auto a = std::sregex_iterator(attributes.begin(), attributes.end(), attribute);
         a != std::sregex_iterator(); ++a)
      row.attributes[(*a)[1]] = (*a)[2];
    const size_t start = it->position(0);
    const size_t end = dom.find("</tr>", start);
    row.html = dom.substr(start, end == std::string::npos ? std::string::npos : end + 5 - start);
    rows.push_back(std::move(row));
  }
  return rows;
}

std::optional<Row> endpoint_row(const std::vector<Row>& rows, const std::string& profile,
                                const std::string& endpoint) {
  for (const auto& row : rows) {
    auto attribute = [&](const char* name) {
      const auto found = row.attributes.find(name);
      return found == row.attributes.end() ? std::string() : found->second;
    };
    // Endpoint rows carry data-status too; rows of "Recent changes" name an endpoint as well.
    if (attribute("data-profile") == profile && attribute("data-endpoint") == endpoint &&
        row.attributes.count("data-status"))
      return row;
  }
  return std::nullopt;
}

std::string trimmed(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

// The text of the first cell of `html` whose class list holds `name`, with its tags stripped;
// nullopt when there is no such cell.
std::optional<std::string> cell_text(const std::string& html, const std::string& name) {
  static const std::regex cell(R"re(<td\b[^>]*\bclass="([^"]*)"[^>]*>([\s\S]*?)</td>)re");
  static const std::regex tag("<[^>]*>");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), cell); it != std::sregex_iterator(); ++it) {
    std::istringstream classes((*it)[1].str());
    for (std::string one; classes >> one;)
      if (one == name) return trimmed(std::regex_replace((*it)[2].str(), tag, ""));
  }
  return std::nullopt;
}

std::string attribute_or(const Row& row, const std::string& name, const std::string& otherwise = "(absent)") {
  const auto found = row.attributes.find(name);
  return found == row.attributes.end() ? otherwise : found->second;
}

}  // namespace

TEST_CASE(
    "the status page, in a real browser, shows a drained endpoint as drained and the other as serving") {
  const std::string chromium = find_chromium();
  if (chromium.empty())
    FAIL(
        "chromium is not installed: the status page test needs a headless browser. Install it "
        "(apt-get install chromium) or set MERIDIAN_CHROMIUM to a Chromium or Chrome binary.");

  // always_serve: no probes, so both endpoints serve from the start and only the drain moves them.
  Server server(two_endpoints);
  const uint16_t port = server.control_port();
  REQUIRE(port != 0);

  const auto page = http_get(port, "/");
  REQUIRE_MESSAGE(page.status == 200, page.body);
  CHECK(page.content_type.starts_with("text/html"));

  const auto drained = http_post(port, "/v1/profiles/web/endpoints/primary/drain");
  REQUIRE_MESSAGE(drained.status == 200, drained.body, "\n", server.log());
  const auto status = http_get(port, "/v1/status");
  REQUIRE_MESSAGE(status.status == 200, status.body);

  TempDir dir;
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/";

  // The DOM once the page has fetched and rendered /v1/status.
  const auto dom_run = run_page(chromium, dir.path() + "/profile-dom", {"--dump-dom"}, url);
  REQUIRE_MESSAGE(dom_run.finished, "chromium did not finish within 30 s; it was killed\n",
                  tail(dom_run.err));
  REQUIRE_MESSAGE(dom_run.exit_code == 0, "chromium exited with ", dom_run.exit_code, "\n",
                  tail(dom_run.err));
  const std::string& dom = dom_run.out;

  static const std::regex loaded(R"re(<body\b[^>]*\bdata-loaded="true")re");
  REQUIRE_MESSAGE(std::regex_search(dom, loaded),
                  "the page never rendered a status (no data-loaded on <body>):\n", tail(dom), "\n",
                  tail(dom_run.err));

  // The header shows the generation /v1/status reports.
  std::smatch match;
  static const std::regex json_generation(R"re("generation"\s*:\s*(\d+))re");
  static const std::regex page_generation(R"re(<[^>]*\bid="generation"[^>]*>\s*(\d+)\s*<)re");
  REQUIRE(std::regex_search(status.body, match, json_generation));
  const std::string generation = match[1];
  REQUIRE_MESSAGE(std::regex_search(dom, match, page_generation), tail(dom));
  CHECK(match[1] == generation);

  const auto rows = rows_of(dom);
  const auto primary = endpoint_row(rows, "web", "primary");
  const auto secondary = endpoint_row(rows, "web", "secondary");
  REQUIRE_MESSAGE(primary.has_value(), "no row for web/primary in:\n", tail(dom));
  REQUIRE_MESSAGE(secondary.has_value(), "no row for web/secondary in:\n", tail(dom));

  CHECK(attribute_or(*primary, "data-override") == "drain");
  CHECK(attribute_or(*primary, "data-status") == "Disabled");
  CHECK(cell_text(primary->html, "override").value_or("(no override cell)") == "drained");
  CHECK(cell_text(primary->html, "status").value_or("(no status cell)") == "Disabled");

  CHECK(attribute_or(*secondary, "data-override") == "none");
  CHECK(attribute_or(*secondary, "data-status") != "Disabled");
  CHECK(cell_text(secondary->html, "override").value_or("(no override cell)") == "");

  // The answer the page shows has moved to the secondary.
  static const std::regex a_answer(R"re(<div\b[^>]*\bdata-qtype="A"[^>]*>([\s\S]*?)</div>)re");
  REQUIRE_MESSAGE(std::regex_search(dom, match, a_answer), tail(dom));
  CHECK(match[1].str().find("127.0.0.12") != std::string::npos);
  CHECK(match[1].str().find("127.0.0.11") == std::string::npos);

  // And it renders: a blank or broken page makes a tiny PNG.
  const std::string screenshot = dir.path() + "/status.png";
  const auto shot_run = run_page(chromium, dir.path() + "/profile-shot",
                                 {"--screenshot=" + screenshot, "--window-size=1280,900"}, url);
  REQUIRE_MESSAGE(shot_run.finished, "chromium did not finish within 30 s; it was killed\n",
                  tail(shot_run.err));
  REQUIRE_MESSAGE(shot_run.exit_code == 0, "chromium exited with ", shot_run.exit_code, "\n",
                  tail(shot_run.err));
  REQUIRE_MESSAGE(std::filesystem::exists(screenshot), "no screenshot was written\n", tail(shot_run.err));
  const auto size = std::filesystem::file_size(screenshot);
  MESSAGE("screenshot: " << size << " bytes");
  CHECK(size > 10 * 1024);
  std::ifstream png(screenshot, std::ios::binary);
  char signature[8] = {};
  png.read(signature, sizeof signature);
  CHECK(std::string(signature, sizeof signature) == std::string("\x89PNG\r\n\x1a\n", 8));
}

TEST_CASE("the status page shows, with replication, how many live sites vote each endpoint Online or Degraded") {
  const std::string chromium = find_chromium();
  if (chromium.empty()) FAIL("chromium is not installed: the status page test needs a headless browser");
  EtcdCluster etcd(1);
  HttpBackend backend("127.0.0.11");
  Server server(lone_replica("westeurope", etcd.client_url(0), "", backend.port()));
  const uint16_t port = server.control_port();
  REQUIRE_MESSAGE(eventually([&] {
                    const auto status = http_get(port, "/v1/status").body;
                    return status.find("\"connected\": true") != std::string::npos &&
                           status.find("\"westeurope\": \"Online\"") != std::string::npos;
                  }),
                  server.log());
  TempDir dir;
  const auto run = run_page(chromium, dir.path() + "/profile", {"--dump-dom"}, "http://127.0.0.1:" + std::to_string(port) + "/");
  REQUIRE_MESSAGE(run.exit_code == 0, tail(run.err));
  const auto primary = endpoint_row(rows_of(run.out), "web", "primary");
  REQUIRE_MESSAGE(primary.has_value(), tail(run.out));
  CHECK(cell_text(primary->html, "probe-status").value_or("") == "Onlinesites 1 online \u00b7 0 degraded");
  CHECK(primary->html.find("title=\"westeurope: Online\"") != std::string::npos);
}
