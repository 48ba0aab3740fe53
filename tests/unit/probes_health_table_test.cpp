// probes::HealthTable and apply_override: what routing sees of a verdict under an admin override.
#include <doctest/doctest.h>

#include <initializer_list>
#include <string>

#include "conf/model.h"
#include "probes/health_table.h"

using namespace meridian;
using model::Status;
using probes::HealthTable;
using probes::Override;

namespace {

constexpr std::initializer_list<Status> every_status = {
    Status::CheckingEndpoint, Status::Online,  Status::Degraded,     Status::Disabled,
    Status::Inactive,         Status::Stopped, Status::NotMonitored,
};

}  // namespace

TEST_CASE("without an override routing sees the verdict as it is") {
  for (const Status verdict : every_status) {
    CAPTURE(model::to_string(verdict));
    CHECK(probes::apply_override(verdict, Override::none) == verdict);
  }
}

TEST_CASE("a drain makes every verdict Disabled") {
  for (const Status verdict : every_status) {
    CAPTURE(model::to_string(verdict));
    CHECK(probes::apply_override(verdict, Override::drain) == Status::Disabled);
  }
}

TEST_CASE("force-up lifts the statuses probes decide to Online") {
  CHECK(probes::apply_override(Status::CheckingEndpoint, Override::force_up) == Status::Online);
  CHECK(probes::apply_override(Status::Degraded, Override::force_up) == Status::Online);
  CHECK(probes::apply_override(Status::Online, Override::force_up) == Status::Online);
}

TEST_CASE("force-up leaves the statuses the config fixes as they are") {
  for (const Status verdict : {Status::Disabled, Status::Inactive, Status::Stopped, Status::NotMonitored}) {
    CAPTURE(model::to_string(verdict));
    CHECK(probes::apply_override(verdict, Override::force_up) == verdict);
  }
}

TEST_CASE("overrides are named none, drain and force-up") {
  CHECK(std::string(probes::to_string(Override::none)) == "none");
  CHECK(std::string(probes::to_string(Override::drain)) == "drain");
  CHECK(std::string(probes::to_string(Override::force_up)) == "force-up");
}

TEST_CASE("a new table is CheckingEndpoint everywhere, with no override") {
  HealthTable table(3);
  CHECK(table.size() == 3);
  CHECK(table.view().size() == 3);
  for (model::EndpointId id = 0; id < 3; ++id) {
    CHECK(table.get(id) == Status::CheckingEndpoint);
    CHECK(table.verdict(id) == Status::CheckingEndpoint);
    CHECK(table.override_of(id) == Override::none);
  }
}

TEST_CASE("a drained endpoint is Disabled in the table whatever its verdict") {
  HealthTable table(1);
  table.set(0, Status::Online);
  table.set_override(0, Override::drain);
  CHECK(table.get(0) == Status::Disabled);
  CHECK(table.view()[0].load() == uint8_t(Status::Disabled));
  CHECK(table.override_of(0) == Override::drain);
  CHECK(table.verdict(0) == Status::Online);  // the probes' view is kept apart
}

TEST_CASE("a forced-up endpoint is Online over a Degraded or unchecked verdict") {
  HealthTable table(2);
  table.set(0, Status::Degraded);
  table.set_override(0, Override::force_up);
  table.set_override(1, Override::force_up);  // still CheckingEndpoint
  CHECK(table.get(0) == Status::Online);
  CHECK(table.get(1) == Status::Online);
}

TEST_CASE("a forced-up endpoint keeps a status the config fixes") {
  HealthTable table(4);
  const Status fixed[] = {Status::Disabled, Status::Inactive, Status::Stopped, Status::NotMonitored};
  for (model::EndpointId id = 0; id < 4; ++id) {
    table.set(id, fixed[id]);
    table.set_override(id, Override::force_up);
  }
  for (model::EndpointId id = 0; id < 4; ++id) {
    CAPTURE(model::to_string(fixed[id]));
    CHECK(table.get(id) == fixed[id]);
  }
}

TEST_CASE("a verdict written after a drain does not undo it") {
  HealthTable table(1);
  table.set_override(0, Override::drain);
  table.set(0, Status::Online);  // the probe loop's next result
  CHECK(table.get(0) == Status::Disabled);
  CHECK(table.verdict(0) == Status::Online);
  CHECK(table.override_of(0) == Override::drain);
}

TEST_CASE("a verdict written after a force-up does not undo it") {
  HealthTable table(1);
  table.set(0, Status::Online);
  table.set_override(0, Override::force_up);
  table.set(0, Status::Degraded);  // the probes now find it down
  CHECK(table.get(0) == Status::Online);
  CHECK(table.verdict(0) == Status::Degraded);
  CHECK(table.override_of(0) == Override::force_up);
}

TEST_CASE("clearing an override restores the latest verdict") {
  HealthTable table(1);
  table.set(0, Status::Online);
  table.set_override(0, Override::drain);
  table.set(0, Status::Degraded);  // written while drained
  table.set_override(0, Override::none);
  CHECK(table.get(0) == Status::Degraded);

  table.set_override(0, Override::force_up);
  table.set(0, Status::Online);
  table.set(0, Status::Degraded);
  table.set_override(0, Override::none);
  CHECK(table.get(0) == Status::Degraded);
  CHECK(table.override_of(0) == Override::none);
}

TEST_CASE("an override touches only its own endpoint") {
  HealthTable table(3);
  for (model::EndpointId id = 0; id < 3; ++id) table.set(id, Status::Online);
  table.set_override(1, Override::drain);
  CHECK(table.get(0) == Status::Online);
  CHECK(table.get(1) == Status::Disabled);
  CHECK(table.get(2) == Status::Online);
  CHECK(table.override_of(0) == Override::none);
  CHECK(table.override_of(2) == Override::none);
}

TEST_CASE("a drain replaces a force-up, and a force-up replaces a drain") {
  HealthTable table(1);
  table.set(0, Status::Degraded);
  table.set_override(0, Override::force_up);
  table.set_override(0, Override::drain);
  CHECK(table.get(0) == Status::Disabled);
  table.set_override(0, Override::force_up);
  CHECK(table.get(0) == Status::Online);
}

TEST_CASE("the replicas' combined verdict stands in for the probes' own, under the override") {
  HealthTable table(2);
  table.set(0, Status::Degraded);  // this site's probes fail it...
  table.set_shared(0, Status::Online);  // ...the others reach it
  CHECK(table.get(0) == Status::Online);
  CHECK(table.verdict(0) == Status::Degraded);  // the probes' own is kept for publishing
  CHECK(table.shared(0) == Status::Online);
  table.set(0, Status::Online);
  table.set(0, Status::Degraded);  // probe writes do not undo the combined verdict
  CHECK(table.get(0) == Status::Online);
  table.set_override(0, Override::drain);
  CHECK(table.get(0) == Status::Disabled);
  table.set_override(0, Override::none);
  table.set_shared(0, std::nullopt);  // back to this site's probes
  CHECK(table.get(0) == Status::Degraded);
  CHECK(table.get(1) == Status::CheckingEndpoint);
}

TEST_CASE("verdict_changes moves with every changed probe verdict and with nothing else") {
  HealthTable table(2);
  const auto start = table.verdict_changes();
  table.set(0, Status::Online);
  CHECK(table.verdict_changes() == start + 1);
  table.set(0, Status::Online);  // the same verdict again
  table.set_shared(1, Status::Degraded);
  table.set_override(1, Override::drain);
  CHECK(table.verdict_changes() == start + 1);
  table.set(1, Status::Degraded);
  CHECK(table.verdict_changes() == start + 2);
}
