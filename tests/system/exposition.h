// A strict parser of the Prometheus text exposition format 0.0.4, for tests of /metrics.
//
// Strict where the format is: HELP and TYPE lines (at most one of each per family, TYPE before
// the family's first sample), metric and label name syntax, label values with only \\ \" \n
// escapes, no repeated label or series, a family's samples in one group, values as Go's
// ParseFloat reads them in decimal (and NaN, +Inf, -Inf), an optional integer timestamp, and a
// final newline. Stricter than the format on purpose: every sample must belong to a family with
// a TYPE line, counters are never negative, and each histogram series has cumulative buckets
// ending in le="+Inf" equal to its _count, and a _sum.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace meridian::test {

using Labels = std::map<std::string, std::string>;

struct Sample {
  std::string name;  // as written: a histogram's are NAME_bucket, NAME_sum, NAME_count
  Labels labels;
  double value = 0;
  size_t line = 0;  // 1-based, where it was written
};

struct Family {
  std::string type;  // counter, gauge, histogram, summary, untyped
  std::string help;  // unescaped; empty without a HELP line
};

struct Exposition {
  std::map<std::string, Family> families;  // by family name
  std::vector<Sample> samples;             // in the order written

  // The value of the series with exactly these labels, or nothing.
  std::optional<double> value(const std::string& name, const Labels& labels = {}) const;
  // Every sample of `name` whose labels include `subset`.
  std::vector<Sample> matching(const std::string& name, const Labels& subset = {}) const;
};

// Parses `text`; on the first error, returns nothing and sets `error` to "line N: reason: LINE"
// (a histogram's error names the line of the series that breaks the rule).
std::optional<Exposition> parse_exposition(const std::string& text, std::string& error);

}  // namespace meridian::test
