// TCP checks through libuv connects on the probe thread's loop, each bounded by a uv_timer:
// success is a completed handshake, and the connection is closed at once.
#pragma once

#include <uv.h>

#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

#include "conf/model.h"
#include "geo/net.h"
#include "probes/result.h"
#include "probes/uv_handle.h"

namespace meridian::probes {

class TcpChecker {
 public:
  using Callback = std::function<void(Result)>;

  // Connects leave from the source in `sources` of their target's family (server.probe_source).
  TcpChecker(uv_loop_t* loop, std::vector<geo::Address> sources);
  // Cancels the attempts in flight without calling them back.
  ~TcpChecker();
  TcpChecker(const TcpChecker&) = delete;
  TcpChecker& operator=(const TcpChecker&) = delete;

  // `done` runs once on the loop thread, never before check() returns.
  void check(const geo::Address& address, uint16_t port, model::Duration timeout, Callback done);
  size_t in_flight() const { return attempts_.size(); }

 private:
  struct Attempt;
  void finish(Attempt* attempt, Result result);

  uv_loop_t* loop_;
  std::vector<geo::Address> sources_;
  std::unordered_map<Attempt*, std::unique_ptr<Attempt>> attempts_;
};

}  // namespace meridian::probes
