// ProbeService: owns the probe thread and the reports; starts and stops the ProbeLoop, and
// for a reload hands the new loop what it keeps of the previous service (probes/carry.h).
#include <pthread.h>

#include <mutex>
#include <stdexcept>
#include <thread>

#include "probes/carry.h"
#include "probes/curl_handle.h"
#include "probes/plan.h"
#include "probes/probe_loop.h"
#include "probes/probes.h"
#include "probes/report_board.h"

namespace meridian::probes {

namespace {

const model::Config& require(const std::shared_ptr<const model::Config>& config) {
  if (!config) throw std::invalid_argument("probes: no config");
  return *config;
}

std::vector<EndpointReport> initial_reports(const std::vector<EndpointPlan>& plans) {
  std::vector<EndpointReport> reports;
  reports.reserve(plans.size());
  for (const auto& plan : plans) reports.push_back(make_report(plan, nullptr, Timestamp{}));
  return reports;
}

}  // namespace

class ProbeService::Impl {
 public:
  Impl(std::shared_ptr<const model::Config> config, std::shared_ptr<HealthTable> health,
       std::shared_ptr<resolver::ResolvedTable> resolved, const Impl* previous)
      : config_(std::move(config)),
        health_(std::move(health)),
        resolved_(resolved ? std::move(resolved)
                           : std::make_shared<resolver::ResolvedTable>(require(config_).endpoint_count)),
        plans_(plan_endpoints(require(config_))),
        board_(initial_reports(plans_), previous ? previous->generation() + 1 : 0) {
    if (!health_ || health_->size() < config_->endpoint_count)
      throw std::invalid_argument("probes: health table smaller than the config's endpoints");
    if (resolved_->size() < config_->endpoint_count)
      throw std::invalid_argument("probes: resolved table smaller than the config's endpoints");
    // The previous service keeps probing meanwhile: what it learns after this is lost, and
    // learnt again by the new probes within an interval or so.
    if (previous)
      carry_ = carry_over(*previous->config_, previous->plans_, previous->board_.all(), *config_, plans_);
    kept_ = carry_.kept;
  }

  void start() {
    std::lock_guard lock(lifecycle_);
    if (started_) return;
    started_ = true;
    curl_global_once();
    loop_ = std::make_unique<ProbeLoop>(config_, plans_, *health_, board_, resolved_,
                                        std::chrono::system_clock::now(), carry_);
    carry_ = Carry{};  // in the loop now
    thread_ = std::thread([loop = loop_.get()] {
      pthread_setname_np(pthread_self(), "probes");  // top -H, perf, and the stall test find it by name
      loop->run();
    });
  }

  void stop() {
    std::lock_guard lock(lifecycle_);
    if (!loop_) return;
    loop_->request_stop();
    thread_.join();
    loop_.reset();
  }

  EndpointReport report(model::EndpointId id) const {
    if (id >= plans_.size()) throw std::out_of_range("probes: no endpoint " + std::to_string(id));
    return board_.get(id);
  }
  std::vector<EndpointReport> reports() const { return board_.all(); }
  uint64_t generation() const { return board_.generation(); }
  std::shared_ptr<const resolver::ResolvedTable> resolved() const { return resolved_; }
  size_t kept_status() const { return kept_; }

 private:
  std::shared_ptr<const model::Config> config_;
  std::shared_ptr<HealthTable> health_;
  std::shared_ptr<resolver::ResolvedTable> resolved_;
  std::vector<EndpointPlan> plans_;
  ReportBoard board_;
  Carry carry_;  // from the previous service, until start()
  size_t kept_ = 0;
  std::mutex lifecycle_;
  bool started_ = false;
  std::unique_ptr<ProbeLoop> loop_;
  std::thread thread_;
};

ProbeService::ProbeService(std::shared_ptr<const model::Config> config, std::shared_ptr<HealthTable> health,
                           std::shared_ptr<resolver::ResolvedTable> resolved)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(health), std::move(resolved), nullptr)) {}

ProbeService::ProbeService(std::shared_ptr<const model::Config> config, std::shared_ptr<HealthTable> health,
                           std::shared_ptr<resolver::ResolvedTable> resolved, const ProbeService& previous)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(health), std::move(resolved),
                                   previous.impl_.get())) {}

ProbeService::~ProbeService() {
  stop();
}

void ProbeService::start() {
  impl_->start();
}
void ProbeService::stop() {
  impl_->stop();
}
EndpointReport ProbeService::report(model::EndpointId id) const {
  return impl_->report(id);
}
std::vector<EndpointReport> ProbeService::reports() const {
  return impl_->reports();
}
uint64_t ProbeService::generation() const {
  return impl_->generation();
}
std::shared_ptr<const resolver::ResolvedTable> ProbeService::resolved() const {
  return impl_->resolved();
}
size_t ProbeService::kept_status() const {
  return impl_->kept_status();
}

}  // namespace meridian::probes
