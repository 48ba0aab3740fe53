// The Resolver: per target a timer and a Lookup; each lookup sends A and AAAA through the
// Channel, and once both are back publishes, logs and tells the listener.
#include "resolver/resolver.h"

#include <arpa/nameser.h>
#include <spdlog/spdlog.h>
#include <uv.h>

#include <atomic>
#include <optional>
#include <stdexcept>

#include "resolver/answer.h"
#include "resolver/channel.h"
#include "resolver/lookup.h"
#include "resolver/uv_handle.h"

namespace meridian::resolver {

Options options_from(const model::Config& config) {
  Options options;
  options.servers = config.resolver.servers;
  return options;
}

class Resolver::Impl {
 public:
  Impl(uv_loop_t* loop, Options options, std::vector<Target> targets, std::shared_ptr<ResolvedTable> table,
       Listener listener)
      : table_(std::move(table)), listener_(std::move(listener)) {
    if (!table_) throw std::invalid_argument("resolver: no table");
    channel_ = std::make_unique<Channel>(loop, Channel::Settings{options.servers, options.query_timeout, options.tries});
    for (auto& target : targets) {
      if (target.id >= table_->size())
        throw std::invalid_argument("resolver: endpoint " + target.label + " has no slot in the table");
      // Braces, not make_unique: clang 14 (the fuzz build) has no parenthesised aggregate init.
      auto entry = std::unique_ptr<Entry>(new Entry{.owner = this, .target = std::move(target), .lookup = Lookup(options.timing)});
      entry->timer = make_timer(loop, entry.get());
      entries_.push_back(std::move(entry));
    }
  }

  ~Impl() {
    // The channel first: it drops the queries in flight, whose callbacks point at entries.
    channel_.reset();
    entries_.clear();
  }

  void start() {
    if (started_) return;
    started_ = true;
    for (auto& entry : entries_) look_up(*entry);
  }

  uint64_t lookups() const { return lookups_.load(std::memory_order_relaxed); }

 private:
  struct Entry {
    Impl* owner;
    Target target;
    Lookup lookup;
    UvPtr<uv_timer_t> timer{};
    std::optional<FamilyAnswer> v4{};
    std::optional<FamilyAnswer> v6{};
  };

  void look_up(Entry& entry) {
    entry.v4.reset();
    entry.v6.reset();
    Entry* target = &entry;
    // Either callback may run before query() returns (c-ares failing at once); finish() waits
    // for both, so the second query is always sent before the entry is finished.
    channel_->query(entry.target.fqdn, ns_t_a, [target](int status, std::span<const uint8_t> reply) {
      target->v4 = parse_answer(geo::Family::v4, status, reply);
      target->owner->finish(*target);
    });
    channel_->query(entry.target.fqdn, ns_t_aaaa, [target](int status, std::span<const uint8_t> reply) {
      target->v6 = parse_answer(geo::Family::v6, status, reply);
      target->owner->finish(*target);
    });
  }

  void finish(Entry& entry) {
    if (!entry.v4 || !entry.v6) return;
    Step step = entry.lookup.record(*entry.v4, *entry.v6);
    entry.v4.reset();
    entry.v6.reset();
    ++lookups_;
    if (step.changed) table_->publish(entry.target.id, step.addresses);
    const std::string answer = join_addresses(step.addresses);
    if (step.log_answer)
      spdlog::info("resolver: {} {} -> {} ttl={}", entry.target.label, entry.target.fqdn, answer, step.ttl);
    if (step.log_failure)
      spdlog::warn("resolver: {} {} lookup failed reason=\"{}\" keeping={}", entry.target.label, entry.target.fqdn,
                   step.failure, answer);
    uv_timer_start(
        entry.timer.get(),
        [](uv_timer_t* timer) {
          auto* due = static_cast<Entry*>(timer->data);
          due->owner->look_up(*due);
        },
        uint64_t(step.next.count()), 0);
    if (listener_) listener_(Update{entry.target.id, step.found, step.failure, step.addresses, step.changed});
  }

  std::shared_ptr<ResolvedTable> table_;
  Listener listener_;
  std::unique_ptr<Channel> channel_;
  std::vector<std::unique_ptr<Entry>> entries_;
  bool started_ = false;
  std::atomic<uint64_t> lookups_{0};  // read by other threads
};

Resolver::Resolver(uv_loop_s* loop, Options options, std::vector<Target> targets,
                   std::shared_ptr<ResolvedTable> table, Listener listener)
    : impl_(std::make_unique<Impl>(loop, std::move(options), std::move(targets), std::move(table),
                                   std::move(listener))) {}

Resolver::~Resolver() = default;

void Resolver::start() {
  impl_->start();
}

uint64_t Resolver::lookups() const {
  return impl_->lookups();
}

}  // namespace meridian::resolver
