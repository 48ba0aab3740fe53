// Writes trace steps only when a trace was asked for, so the query path never formats a string.
#pragma once

#include <fmt/format.h>

#include <iterator>
#include <string>
#include <utility>

#include "routing/routing.h"

namespace meridian::routing {

class TraceWriter {
 public:
  explicit TraceWriter(Trace* trace) : trace_(trace) {}

  // Callers guard argument expressions that allocate (address.to_string()) with this, because
  // arguments are evaluated even when no trace is kept.
  explicit operator bool() const { return trace_ != nullptr; }

  // Steps inside a child profile are indented, so an operator sees the nesting at a glance.
  void enter_child() { ++indent_; }
  void leave_child() { --indent_; }

  template <typename... Args>
  void note(fmt::format_string<Args...> format, Args&&... args) {
    if (!trace_) return;
    std::string step(indent_ * 2, ' ');
    fmt::format_to(std::back_inserter(step), format, std::forward<Args>(args)...);
    trace_->steps.push_back(std::move(step));
  }

 private:
  Trace* trace_;
  unsigned indent_ = 0;
};

}  // namespace meridian::routing
