// What the DNS threads count for /metrics, without locks or shared cache lines on the query path.
//
// Every counter has one writer, the thread that answers; it bumps it with a relaxed load and
// store (a plain increment, no lock prefix), and a scrape on the control thread reads it with a
// relaxed load: no torn values, no data race, nothing waits. A thread's counters that depend on
// the config (by zone, profile and endpoint) live in the snapshot (AnswerCounters), indexed as the
// snapshot indexes them; those that do not (Counters) live with the thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace meridian::server {

class Counter {
 public:
  void bump(uint64_t by = 1) {
    value_.store(value_.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
  }
  uint64_t get() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

// One answering thread's counters that outlive reloads.
struct Counters {
  unsigned slot = 0;  // this thread's AnswerCounters slot in every snapshot (CounterSlots)
  Counter dropped;    // datagrams or messages that got no answer at all
  Counter truncated;  // UDP answers sent with TC
  // Answers over the rate limit (server/rate_limiter.h): dropped, or sent truncated (slipped).
  Counter rate_limit_dropped;
  Counter rate_limit_slipped;
  Counter tcp_opened;
  Counter tcp_closed;
  // TCP connections the server refused or ended, by the limit that did it (server/worker.cpp).
  struct TcpLimited {
    Counter per_client;       // closed at accept: tcp_max_connections_per_client
    Counter max_connections;  // the quietest, closed for a new one: tcp_max_connections
    Counter max_queries;      // ended after tcp_max_queries_per_connection
    Counter max_time;         // ended at tcp_max_connection_time
    Counter message_timeout;  // a message begun and not finished in tcp_message_timeout
    Counter idle_timeout;     // tcp_idle_timeout with nothing to send
    Counter stalled;          // answers unread for tcp_stalled_timeouts idle timeouts
  } tcp_limited;
};

// How many threads answer over each transport: slots [0, tcp) are TCP, [tcp, tcp + udp) UDP.
struct CounterSlots {
  unsigned tcp = 1;
  unsigned udp = 1;
  unsigned total() const { return tcp + udp; }
  bool is_tcp(unsigned slot) const { return slot < tcp; }
};

inline constexpr size_t rcode_count = 24;  // RCODE values we send, BADVERS (16) included

// Per slot, for one snapshot: responses by (zone, rcode), where zone 0 is "no zone of ours"
// (REFUSED, FORMERR before a name is known) and zone i + 1 the snapshot's zone i; routed answers
// by profile; and how often each endpoint was in an answer.
class AnswerCounters {
 public:
  AnswerCounters(CounterSlots slots, size_t zones, size_t profiles, size_t endpoints)
      : slots_(slots),
        zones_(zones),
        profiles_(profiles),
        endpoints_(endpoints),
        // Each slot starts a cache line of its own: two threads never write one line.
        stride_(round_up((zones + 1) * rcode_count + 2 * profiles + endpoints, 8)),
        cells_(std::make_unique<Counter[]>(stride_ * slots.total() + 8)),
        first_(aligned(cells_.get())) {}

  // One thread's counters, as pointers into its slot: counting is an indexed increment.
  struct Slot {
    Counter* responses;  // [zone position * rcode_count + rcode], zone position 0 = none
    Counter* answers;    // [profile position]
    Counter* nodata;     // [profile position]
    Counter* endpoints;  // [EndpointId]
    Counter& response(size_t zone_position, unsigned rcode) const {
      return responses[zone_position * rcode_count + rcode];
    }
    Counter& profile_answer(size_t profile) const { return answers[profile]; }
    Counter& profile_nodata(size_t profile) const { return nodata[profile]; }
    Counter& endpoint_answer(uint32_t endpoint) const { return endpoints[endpoint]; }
  };
  // A slot outside the layout (a test's Responder) shares slot 0.
  Slot slot(unsigned index) const {
    if (index >= slots_.total()) index = 0;
    Counter* base = first_ + stride_ * index;
    const size_t answers = (zones_ + 1) * rcode_count;
    return {base, base + answers, base + answers + profiles_, base + answers + 2 * profiles_};
  }
  CounterSlots slots() const { return slots_; }
  size_t zones() const { return zones_; }
  size_t profiles() const { return profiles_; }
  size_t endpoints() const { return endpoints_; }

 private:
  static size_t round_up(size_t n, size_t to) { return (n + to - 1) / to * to; }
  static Counter* aligned(Counter* cells) {
    const auto address = reinterpret_cast<uintptr_t>(cells);
    return cells + (round_up(address, 64) - address) / sizeof(Counter);
  }
  CounterSlots slots_;
  size_t zones_, profiles_, endpoints_, stride_;
  std::unique_ptr<Counter[]> cells_;
  Counter* first_;  // cells_ rounded up to a cache line
};

}  // namespace meridian::server
