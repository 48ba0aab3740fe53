// The tests' Prometheus text-format 0.0.4 parser: one pass over the lines, then histogram checks.
#include "exposition.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <regex>
#include <set>
#include <stdexcept>
#include <string_view>

namespace meridian::test {

namespace {

// A parse error with the line it was found on.
struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

bool is_name_start(char c, bool colon_allowed) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon_allowed && c == ':');
}

bool is_name_char(char c, bool colon_allowed) {
  return is_name_start(c, colon_allowed) || (c >= '0' && c <= '9');
}

// Reads a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*) or a label name ([a-zA-Z_][a-zA-Z0-9_]*) at `at`.
std::string read_name(std::string_view line, size_t& at, bool metric) {
  if (at >= line.size() || !is_name_start(line[at], metric))
    throw Failure(metric ? "expected a metric name" : "expected a label name");
  const size_t begin = at;
  while (at < line.size() && is_name_char(line[at], metric)) ++at;
  return std::string(line.substr(begin, at - begin));
}

void skip_blanks(std::string_view line, size_t& at) {
  while (at < line.size() && is_blank(line[at])) ++at;
}

// A float as the format has it: Go's ParseFloat in decimal, and NaN, +Inf, -Inf (any case, as
// Go accepts). Hexadecimal floats and underscores are refused: no exposition writes them.
double parse_value(const std::string& text) {
  static const std::regex decimal(R"([+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?)");
  static const std::regex special(R"([+-]?(inf|infinity)|nan)", std::regex::icase);
  if (std::regex_match(text, special)) {
    if (text.find_first_of("nN") == 0) return std::nan("");
    return text[0] == '-' ? -INFINITY : INFINITY;
  }
  if (!std::regex_match(text, decimal)) throw Failure("not a number: \"" + text + "\"");
  errno = 0;
  const double value = std::strtod(text.c_str(), nullptr);
  if (errno == ERANGE && std::isinf(value)) throw Failure("out of range: \"" + text + "\"");
  return value;
}

// HELP text: only \\ and \n are escapes; any other backslash stands for itself.
std::string unescape_help(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size() && (text[i + 1] == '\\' || text[i + 1] == 'n')) {
      out += text[i + 1] == 'n' ? '\n' : '\\';
      ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

// A label value from the opening quote at `at` to its closing one; \\ \" \n are the only escapes.
std::string read_label_value(std::string_view line, size_t& at) {
  if (at >= line.size() || line[at] != '"') throw Failure("expected '\"' to open a label value");
  ++at;
  std::string value;
  while (true) {
    if (at >= line.size()) throw Failure("label value not closed");
    const char c = line[at++];
    if (c == '"') return value;
    if (c != '\\') {
      value += c;
      continue;
    }
    if (at >= line.size()) throw Failure("label value ends in a lone backslash");
    const char escaped = line[at++];
    if (escaped == '\\')
      value += '\\';
    else if (escaped == '"')
      value += '"';
    else if (escaped == 'n')
      value += '\n';
    else
      throw Failure(std::string("invalid escape \\") + escaped + " in a label value");
  }
}

Labels read_labels(std::string_view line, size_t& at) {
  Labels labels;
  ++at;  // '{'
  while (true) {
    skip_blanks(line, at);
    if (at < line.size() && line[at] == '}') break;  // also accepts a trailing comma, as 0.0.4 does
    const std::string name = read_name(line, at, false);
    if (name.starts_with("__")) throw Failure("label name " + name + " is reserved (starts with __)");
    skip_blanks(line, at);
    if (at >= line.size() || line[at] != '=') throw Failure("expected '=' after label " + name);
    ++at;
    skip_blanks(line, at);
    std::string value = read_label_value(line, at);
    if (!labels.emplace(name, std::move(value)).second) throw Failure("label " + name + " repeated");
    skip_blanks(line, at);
    if (at < line.size() && line[at] == ',') {
      ++at;
      continue;
    }
    if (at < line.size() && line[at] == '}') break;
    throw Failure("expected ',' or '}' after a label");
  }
  ++at;  // '}'
  return labels;
}

// Which family a sample name belongs to, given the families declared so far.
std::string family_of(const std::string& name, const std::map<std::string, Family>& families) {
  if (families.count(name)) return name;
  for (const std::string suffix : {"_bucket", "_sum", "_count"}) {
    if (!name.ends_with(suffix)) continue;
    const auto stem = name.substr(0, name.size() - suffix.size());
    const auto found = families.find(stem);
    if (found == families.end()) continue;
    if (found->second.type == "histogram") return stem;
    if (found->second.type == "summary" && suffix != "_bucket") return stem;
  }
  throw Failure("sample " + name + " has no # TYPE line before it");
}

std::string describe(size_t number, const std::string& reason, std::string_view line) {
  return "line " + std::to_string(number) + ": " + reason + ": " + std::string(line);
}

// After parsing: each histogram series (labels without le) has cumulative buckets sorted by le,
// a +Inf bucket equal to its _count, and a _sum.
void check_histograms(const Exposition& parsed, const std::vector<std::string_view>& lines) {
  auto at_line = [&](const Sample& sample, const std::string& reason) {
    return describe(sample.line, reason, lines.at(sample.line - 1));
  };
  for (const auto& [family, info] : parsed.families) {
    if (info.type != "histogram") continue;
    struct Bucket {
      double le, count;
      const Sample* sample;
    };
    struct Series {
      std::vector<Bucket> buckets;  // in the order written
      const Sample* count = nullptr;
      const Sample* sum = nullptr;
    };
    std::map<Labels, Series> series;
    for (const auto& sample : parsed.samples) {
      if (sample.name == family + "_bucket") {
        auto labels = sample.labels;
        const auto le = labels.find("le");
        if (le == labels.end()) throw Failure(at_line(sample, "a bucket without an le label"));
        double bound = 0;
        try {
          bound = parse_value(le->second);
        } catch (const Failure& failure) {
          throw Failure(at_line(sample, std::string("le: ") + failure.what()));
        }
        labels.erase(le);
        series[labels].buckets.push_back({bound, sample.value, &sample});
      } else if (sample.name == family + "_count") {
        series[sample.labels].count = &sample;
      } else if (sample.name == family + "_sum") {
        series[sample.labels].sum = &sample;
      }
    }
    for (const auto& [labels, one] : series) {
      std::string where = family + "{";
      for (const auto& [name, value] : labels) where += name + "=\"" + value + "\",";
      where += "}";
      const Sample& first = !one.buckets.empty() ? *one.buckets.front().sample
                            : one.count          ? *one.count
                                                 : *one.sum;
      if (one.buckets.empty()) throw Failure(at_line(first, where + " has no buckets"));
      if (!one.count) throw Failure(at_line(first, where + " has no _count"));
      if (!one.sum) throw Failure(at_line(first, where + " has no _sum"));
      for (size_t i = 1; i < one.buckets.size(); ++i) {
        if (!(one.buckets[i - 1].le < one.buckets[i].le))
          throw Failure(at_line(*one.buckets[i].sample, "buckets not in increasing le order"));
        if (one.buckets[i].count < one.buckets[i - 1].count)
          throw Failure(
              at_line(*one.buckets[i].sample, "a bucket below the one before: buckets are cumulative"));
      }
      const auto& last = one.buckets.back();
      if (!std::isinf(last.le) || last.le < 0)
        throw Failure(at_line(*last.sample, where + ": the last bucket is not le=\"+Inf\""));
      if (last.count != one.count->value)
        throw Failure(at_line(
            *one.count, "_count is not the +Inf bucket (line " + std::to_string(last.sample->line) + ")"));
      for (const auto& bucket : one.buckets)
        if (bucket.count != std::floor(bucket.count))
          throw Failure(at_line(*bucket.sample, "a bucket count is not whole"));
    }
  }
}

}  // namespace

std::optional<double> Exposition::value(const std::string& name, const Labels& labels) const {
  for (const auto& sample : samples)
    if (sample.name == name && sample.labels == labels) return sample.value;
  return std::nullopt;
}

std::vector<Sample> Exposition::matching(const std::string& name, const Labels& subset) const {
  std::vector<Sample> found;
  for (const auto& sample : samples) {
    if (sample.name != name) continue;
    const bool all = std::all_of(subset.begin(), subset.end(), [&](const auto& wanted) {
      const auto it = sample.labels.find(wanted.first);
      return it != sample.labels.end() && it->second == wanted.second;
    });
    if (all) found.push_back(sample);
  }
  return found;
}

std::optional<Exposition> parse_exposition(const std::string& text, std::string& error) {
  Exposition parsed;
  std::set<std::string> with_help;
  std::set<std::string> with_samples;  // families whose samples have started
  std::string current;                 // the family of the last sample
  std::set<std::pair<std::string, Labels>> seen;
  if (!text.empty() && text.back() != '\n') {
    error = "the exposition does not end with a newline";
    return std::nullopt;
  }
  std::vector<std::string_view> lines;
  for (size_t begin = 0; begin < text.size();) {
    const size_t end = text.find('\n', begin);
    lines.emplace_back(text.data() + begin, end - begin);
    begin = end + 1;
  }
  size_t number = 0;
  for (const std::string_view line : lines) {
    ++number;
    try {
      if (line.find('\r') != std::string_view::npos) throw Failure("carriage return in a line");
      size_t at = 0;
      skip_blanks(line, at);
      if (at == line.size()) continue;  // an empty line
      if (line[at] == '#') {
        ++at;
        skip_blanks(line, at);
        const size_t keyword_end = line.find_first_of(" \t", at);
        const auto keyword =
            line.substr(at, keyword_end == std::string_view::npos ? line.npos : keyword_end - at);
        if (keyword != "HELP" && keyword != "TYPE") continue;  // a comment
        at += keyword.size();
        if (at >= line.size() || !is_blank(line[at]))
          throw Failure(std::string(keyword) + " without a metric name");
        skip_blanks(line, at);
        const std::string name = read_name(line, at, true);
        if (keyword == "HELP") {
          if (!with_help.insert(name).second) throw Failure("a second HELP line for " + name);
          if (at < line.size() && !is_blank(line[at])) throw Failure("junk after the metric name");
          if (at < line.size()) ++at;  // the one blank that separates the docstring
          parsed.families[name].help = unescape_help(line.substr(at));
          continue;
        }
        if (at >= line.size() || !is_blank(line[at])) throw Failure("TYPE without a type");
        skip_blanks(line, at);
        const std::string type(line.substr(at));
        static const std::set<std::string> types{"counter", "gauge", "histogram", "summary", "untyped"};
        if (!types.count(type)) throw Failure("unknown type \"" + type + "\"");
        auto& family = parsed.families[name];
        if (!family.type.empty()) throw Failure("a second TYPE line for " + name);
        if (with_samples.count(name)) throw Failure("TYPE for " + name + " after its samples");
        family.type = type;
        continue;
      }

      Sample sample;
      sample.name = read_name(line, at, true);
      const size_t name_end = at;
      skip_blanks(line, at);
      if (at < line.size() && line[at] == '{') {
        sample.labels = read_labels(line, at);
        if (at >= line.size() || !is_blank(line[at])) throw Failure("expected a blank before the value");
        skip_blanks(line, at);
      } else if (at == name_end) {
        throw Failure("expected a blank or '{' after the metric name");
      }
      if (at >= line.size()) throw Failure("no value");
      const size_t value_end = line.find_first_of(" \t", at);
      sample.value =
          parse_value(std::string(line.substr(at, value_end == line.npos ? line.npos : value_end - at)));
      if (value_end != line.npos) {
        at = value_end;
        skip_blanks(line, at);
        if (at < line.size()) {
          static const std::regex timestamp(R"(-?[0-9]+)");
          const std::string stamp(line.substr(at));
          if (!std::regex_match(stamp, timestamp)) throw Failure("not a timestamp: \"" + stamp + "\"");
        }
      }

      const std::string family = family_of(sample.name, parsed.families);
      const auto& type = parsed.families[family].type;
      if (type.empty()) throw Failure("sample " + sample.name + " has no # TYPE line before it");
      if (family != current) {
        if (with_samples.count(family)) throw Failure("the samples of " + family + " are not in one group");
        with_samples.insert(family);
        current = family;
      }
      if (type == "histogram" && sample.name == family)
        throw Failure("histogram " + family + " has a sample without _bucket, _sum or _count");
      if (sample.labels.count("le") && !(type == "histogram" && sample.name == family + "_bucket"))
        throw Failure("label le outside a histogram's buckets");
      const bool distribution = (type == "histogram" || type == "summary") && sample.name != family;
      if ((type == "counter" || (distribution && !sample.name.ends_with("_sum"))) && !(sample.value >= 0))
        throw Failure("a counter is negative or NaN");
      if (!seen.emplace(sample.name, sample.labels).second) throw Failure("series repeated");
      sample.line = number;
      parsed.samples.push_back(std::move(sample));
    } catch (const Failure& failure) {
      error = describe(number, failure.what(), line);
      return std::nullopt;
    }
  }
  try {
    check_histograms(parsed, lines);
  } catch (const Failure& failure) {
    error = failure.what();
    return std::nullopt;
  }
  return parsed;
}

}  // namespace meridian::test
