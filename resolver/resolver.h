// resolver/: resolves FQDN endpoint targets with c-ares on a libuv loop (the probe thread's),
// re-resolves them when their TTL runs out, and publishes the answers to a ResolvedTable that
// DNS workers read without locks. This header is what other modules may use.
//
// Semantics:
// - A lookup queries A and AAAA for the name as given (no search domains) at the configured
//   servers (`resolver.servers`), or those of /etc/resolv.conf when none are configured.
// - The answer is the set of addresses found, sorted (IPv4 first, then by value), without
//   duplicates, at most ResolvedTable::max_per_family per family; a server's round-robin order
//   is not a change.
// - The next lookup comes when the smallest TTL of the answer runs out, clamped to
//   [Timing::min_ttl, Timing::max_ttl] (default [1s, 1h]; a TTL of 0 waits 1s).
// - A lookup fails when neither family yields an address: NXDOMAIN, SERVFAIL, REFUSED, a
//   timeout, or NODATA for both ("no address records"). The last good answer is kept (and
//   stays published) and the lookup is retried after Timing::retry_first, doubling per
//   consecutive failure up to Timing::retry_max (default 1s, 2s, 4s ... 60s).
// - When one family answers and the other fails (a server that drops AAAA queries), the answer
//   takes the fresh family and keeps the failed family's last good addresses; the failure is
//   reported and retried like a failed lookup (at the TTL if that comes sooner).
// - Logs, one line per change: `info resolver: web/cdn app.cdn.example.net -> 192.0.2.1,2001:db8::1
//   ttl=300` when the answer changes (or first arrives, or recovers from a failure; the TTL as
//   the server sent it), and `warning resolver: web/cdn app.cdn.example.net lookup failed
//   reason="NXDOMAIN" keeping=192.0.2.1` (keeping=none before any answer) when a failure starts
//   or its reason changes.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "conf/model.h"
#include "geo/net.h"
#include "resolver/resolved_table.h"

struct uv_loop_s;  // uv_loop_t, without pulling uv.h into every user of this header

namespace meridian::resolver {

struct Timing {
  model::Duration min_ttl = std::chrono::seconds(1);      // a shorter TTL (or 0) waits this long
  model::Duration max_ttl = std::chrono::hours(1);        // a longer TTL is re-checked this often
  model::Duration retry_first = std::chrono::seconds(1);  // the first retry after a failed lookup
  model::Duration retry_max = std::chrono::seconds(60);   // retries double up to this
};

struct Options {
  std::vector<geo::SocketAddress> servers;                  // empty: /etc/resolv.conf
  model::Duration query_timeout = std::chrono::seconds(2);  // per try; c-ares doubles it per round
  unsigned tries = 2;                                       // per server
  Timing timing;
};

// The options a config asks for: its `resolver.servers`, default timings.
Options options_from(const model::Config& config);

// A name to keep resolved, and the endpoint whose table slot gets its addresses.
struct Target {
  model::EndpointId id = 0;
  std::string label;  // "profile/endpoint", for logs
  std::string fqdn;   // presentation form, without the final dot
};

// What one finished lookup means for its target; valid only during the listener call.
struct Update {
  model::EndpointId id = 0;
  bool found = false;                       // this lookup yielded addresses
  std::string failure;                      // why it (or one family) failed; empty when it did not
  std::span<const geo::Address> addresses;  // what is published now: the last good answer on failure
  bool changed = false;                     // the published addresses changed with this lookup
};

// Keeps every target resolved. Runs on one libuv loop: construct, start, and destroy it on the
// loop's thread (or while the loop is not running); the listener runs there too.
class Resolver {
 public:
  using Listener = std::function<void(const Update&)>;

  // Throws std::runtime_error when c-ares cannot be set up (bad servers, no memory).
  Resolver(uv_loop_s* loop, Options options, std::vector<Target> targets, std::shared_ptr<ResolvedTable> table,
           Listener listener = {});
  // Cancels lookups in flight without calling the listener and closes its handles (the loop
  // must run afterwards to free them).
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  // Starts the first lookup of every target at once. Only the first call does anything.
  void start();
  // Lookups finished so far, over all targets (for tests and the control API).
  uint64_t lookups() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace meridian::resolver
