// Fake regions: the loopback backends a simulation's health probes check, broken on its timeline.
//
// Every region is a real listening socket, so Meridian's own probes (libcurl for HTTP, a libuv
// connect for TCP) see exactly what they would see from a failing backend: a refused connect, a
// request that never gets an answer, a 503, or a slow 200. All regions run on one thread of
// their own with one libuv loop (docs/ARCHITECTURE.md, "Threads").
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "conf/model.h"
#include "geo/net.h"

namespace meridian::sim {

enum class Behaviour {
  healthy,  // HTTP: 200 for the health path (404 for others) after the region's latency
  fail,     // connections are refused: the listening socket is closed, open ones are reset
  hang,     // requests are read and never answered; the connection closes when this ends
  degrade,  // HTTP: 503 Service Unavailable
  slow,     // HTTP: 200 after set()'s delay instead of the latency
};
const char* to_string(Behaviour behaviour);

class FakeRegions {
 public:
  FakeRegions();
  // Stops the thread and closes every socket.
  ~FakeRegions();
  FakeRegions(const FakeRegions&) = delete;
  FakeRegions& operator=(const FakeRegions&) = delete;

  // A region listening on address:port (port 0 picks a free one), healthy. The socket is bound
  // here, so a bad address fails at once: throws std::runtime_error("region NAME cannot listen
  // on ADDR:PORT: reason"). `protocol` is http or tcp; an HTTP region answers 200 on `path` (a
  // missing leading '/' is added, as the probes do) after `latency`, which also delays its 404s
  // and 503s. Only before start(). Returns the region's index for set(), port(), requests().
  size_t add(std::string name, const geo::Address& address, uint16_t port, model::MonitorProtocol protocol,
             std::string path, model::Duration latency);
  // Starts the thread. Once only.
  void start();

  // Thread-safe (not from the regions' own thread); returns once the loop has applied it, so a
  // connect after set(fail) is refused and one after recovering is accepted. It applies to
  // connections already open too: set(fail) resets them; ending a hang closes the requests it
  // held; an answer still waiting for its latency or delay is due at its arrival plus the new
  // behaviour's wait (at once if that has passed), with the new behaviour's status. `delay` is
  // slow's wait. A TCP region knows only accepting and refusing: hang, degrade and slow are
  // treated as healthy (the scenario loader rejects them for TCP endpoints). Throws
  // std::runtime_error as add() does when leaving fail cannot bind the port again.
  void set(size_t region, Behaviour behaviour, model::Duration delay = {});

  uint16_t port(size_t region) const;  // the bound port
  // HTTP: requests read in full (or refused as too large); TCP: connections accepted.
  // Thread-safe, for tests to wait on.
  uint64_t requests(size_t region) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace meridian::sim
