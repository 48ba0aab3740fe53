// Random: seeded, reproducible and uniform within a bound.
#include "tests/unit/routing_fixture.h"

using namespace meridian::routing;
using namespace meridian::routing::testing;

TEST_CASE("Random: the same seed gives the same sequence") {
  Random first(1234);
  Random second(1234);
  for (int i = 0; i < 100; ++i) CHECK(first.next() == second.next());
}

TEST_CASE("Random: different seeds give different sequences, seed 0 included") {
  Random zero(0);
  Random one(1);
  CHECK(zero.next() != one.next());
  CHECK(zero.next() != 0);
}

TEST_CASE("Random: below(bound) stays under the bound and covers it uniformly") {
  Random random(99);
  std::vector<double> counts(7, 0);
  for (int i = 0; i < 70000; ++i) {
    const auto value = random.below(7);
    REQUIRE(value < 7);
    ++counts[value];
  }
  CHECK(chi_square(counts, std::vector<double>(7, 1)) < 22.46);  // df 6, p = 0.001
}

TEST_CASE("Random: below(0) and below(1) are 0") {
  Random random(5);
  CHECK(random.below(0) == 0);
  CHECK(random.below(1) == 0);
}
