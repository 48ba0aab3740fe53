// loadgen/workload.h: the queries a run sends (from a query file), the ECS client addresses
// they carry (drawn from the networks of a GeoIP database) and the answer each one expects.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "loadgen/wire.h"

namespace loadgen {

// One line of a query file: `QNAME QTYPE RCODE ANSWERS`, ANSWERS being `-` (no answer records),
// `*` (anything), `geo` (the address --geo-answers gives for the ECS client's country) or
// `ADDR|ADDR|...` (every A/AAAA in the answer is one of these, and there is at least one).
struct QueryLine {
  std::string qname;
  uint16_t qtype = 1;
  Expectation expectation;
  bool geo = false;
  std::string source;  // FILE:LINE
};

std::vector<QueryLine> read_query_file(const std::string& path);  // throws std::runtime_error

struct WorkloadOptions {
  std::string query_file;
  bool edns = true;
  bool check = true;
  std::string geo_db;             // ECS clients come from its networks; also the geo expectations
  std::string geo_answers;        // "GB=192.0.2.11,DE=192.0.2.12,*=192.0.2.10"
  unsigned ecs_clients = 4096;    // distinct client subnets
  double ecs_v4_share = 0.8;      // share of IPv4 clients (the rest IPv6), as far as the DB allows
  unsigned ecs_v4_prefix = 24;    // source prefix length resolvers send (RFC 7871 recommends 24/56)
  unsigned ecs_v6_prefix = 56;
  uint64_t seed = 1;
};

// What the sender cycles through: one wire message and its expectation per entry.
struct Workload {
  std::vector<std::vector<uint8_t>> queries;  // ID bytes zero
  std::vector<Expectation> expectations;      // same index; empty when checks are off
  size_t largest_query = 0;
  std::string summary;  // one line for the log: how many queries, clients, countries

  const Expectation* expectation(size_t index) const {
    return expectations.empty() ? nullptr : &expectations[index];
  }
};

Workload build_workload(const WorkloadOptions& options);  // throws std::runtime_error

}  // namespace loadgen
