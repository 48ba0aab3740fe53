// The lookup rules: which addresses to keep, the TTL clamp, the retry backoff, what to log.
#include "resolver/lookup.h"

#include <algorithm>

#include "resolver/resolved_table.h"

namespace meridian::resolver {

FamilyAnswer FamilyAnswer::found(std::vector<geo::Address> addresses, uint32_t ttl) {
  FamilyAnswer answer;
  answer.kind = Kind::addresses;
  answer.addresses = std::move(addresses);
  answer.ttl = ttl;
  return answer;
}

FamilyAnswer FamilyAnswer::nothing() {
  FamilyAnswer answer;
  answer.kind = Kind::no_data;
  return answer;
}

FamilyAnswer FamilyAnswer::failure(std::string reason) {
  FamilyAnswer answer;
  answer.kind = Kind::failed;
  answer.reason = std::move(reason);
  return answer;
}

std::vector<geo::Address> canonical(std::vector<geo::Address> addresses, geo::Family family, size_t limit) {
  std::erase_if(addresses, [family](const geo::Address& address) { return address.family != family; });
  std::sort(addresses.begin(), addresses.end(),
            [](const geo::Address& a, const geo::Address& b) { return a.bytes < b.bytes; });
  addresses.erase(std::unique(addresses.begin(), addresses.end()), addresses.end());
  if (addresses.size() > limit) addresses.resize(limit);
  return addresses;
}

std::string join_addresses(std::span<const geo::Address> addresses) {
  if (addresses.empty()) return "none";
  std::string text;
  for (const auto& address : addresses) {
    if (!text.empty()) text += ',';
    text += address.to_string();
  }
  return text;
}

namespace {

bool has_addresses(const FamilyAnswer& answer) {
  return answer.kind == FamilyAnswer::Kind::addresses && !answer.addresses.empty();
}

// Why a lookup that found no address failed: one reason when both families agree, else each
// family's own ("A: timeout, AAAA: SERVFAIL"; a family that had no records says so).
std::string no_address_reason(const FamilyAnswer& v4, const FamilyAnswer& v6) {
  using Kind = FamilyAnswer::Kind;
  auto reason_of = [](const FamilyAnswer& answer) {
    return answer.kind == Kind::failed ? answer.reason : std::string("no records");
  };
  if (v4.kind != Kind::failed && v6.kind != Kind::failed) return "no address records";
  if (v4.kind == Kind::failed && v6.kind == Kind::failed && v4.reason == v6.reason) return v4.reason;
  return "A: " + reason_of(v4) + ", AAAA: " + reason_of(v6);
}

}  // namespace

Lookup::Lookup(Timing timing) : timing_(timing) {}

std::vector<geo::Address> Lookup::addresses() const {
  std::vector<geo::Address> all = v4_;
  all.insert(all.end(), v6_.begin(), v6_.end());
  return all;
}

model::Duration Lookup::ttl_delay(uint32_t ttl) const {
  return std::clamp(model::Duration(std::chrono::seconds(ttl)), timing_.min_ttl, timing_.max_ttl);
}

model::Duration Lookup::retry_delay() const {
  // failures_ >= 1 here; the shift is capped long before it could overflow.
  unsigned doublings = std::min(failures_ - 1, 20u);
  return std::min(timing_.retry_first * (int64_t(1) << doublings), timing_.retry_max);
}

Step Lookup::record(const FamilyAnswer& v4, const FamilyAnswer& v6) {
  using Kind = FamilyAnswer::Kind;
  constexpr size_t limit = ResolvedTable::max_per_family;
  Step step;
  step.found = has_addresses(v4) || has_addresses(v6);
  const std::string previous_failure = failure_;
  const bool was_answered = answered_;

  if (step.found) {
    // A family that failed keeps its last good addresses; one that has no records has none.
    auto fresh = [&](const FamilyAnswer& answer, const std::vector<geo::Address>& kept, geo::Family family) {
      if (answer.kind == Kind::failed) return kept;
      return canonical(answer.addresses, family, limit);
    };
    auto next_v4 = fresh(v4, v4_, geo::Family::v4);
    auto next_v6 = fresh(v6, v6_, geo::Family::v6);
    step.changed = next_v4 != v4_ || next_v6 != v6_;
    v4_ = std::move(next_v4);
    v6_ = std::move(next_v6);
    answered_ = true;
    if (v4.kind == Kind::failed) step.failure = "A: " + v4.reason;
    if (v6.kind == Kind::failed) step.failure = "AAAA: " + v6.reason;
    uint32_t ttl = UINT32_MAX;
    if (has_addresses(v4)) ttl = std::min(ttl, v4.ttl);
    if (has_addresses(v6)) ttl = std::min(ttl, v6.ttl);
    step.ttl = ttl;
  } else {
    step.failure = no_address_reason(v4, v6);
  }

  failure_ = step.failure;
  failures_ = step.failure.empty() ? 0 : failures_ + 1;
  if (step.failure.empty())
    step.next = ttl_delay(step.ttl);
  else if (step.found)
    step.next = std::min(ttl_delay(step.ttl), retry_delay());
  else
    step.next = retry_delay();

  step.addresses = addresses();
  step.log_answer = step.found && (step.changed || !was_answered || (!previous_failure.empty() && step.failure.empty()));
  step.log_failure = !step.failure.empty() && step.failure != previous_failure;
  return step;
}

}  // namespace meridian::resolver
