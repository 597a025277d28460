#include "cdp/identity_service.h"

#include "cdp/log.h"

namespace cdp {

struct IdentityService::Gauges {
  Gauge* nodes = nullptr;
  Gauge* edges = nullptr;
  Gauge* profiles = nullptr;
  Gauge* conflicts = nullptr;
  Gauge* memory = nullptr;
  Counter* merges = nullptr;
  Counter* recomputes = nullptr;
  Counter* oversized = nullptr;
  IdentityGraphStats last;
};

IdentityService::IdentityService(std::unique_ptr<IdentityGraph> graph, Reloader reload,
                                 MetricsRegistry* metrics)
    : graph_(std::move(graph)), reload_(std::move(reload)) {
  if (metrics == nullptr) return;
  gauges_ = std::make_unique<Gauges>();
  Gauges& g = *gauges_;
  g.nodes = &metrics->AddGauge("cdp_identity_identifiers", "Identifier nodes in the graph");
  g.edges = &metrics->AddGauge("cdp_identity_edges", "Edges in the identity graph");
  g.profiles = &metrics->AddGauge("cdp_identity_profiles", "Active profiles");
  g.conflicts = &metrics->AddGauge(
      "cdp_identity_conflicts",
      "Refused links (identifier limit or cannot-link) kept in the graph with their evidence");
  g.memory = &metrics->AddGauge("cdp_identity_memory_bytes",
                                "Approximate memory held by the in-memory identity graph");
  g.merges = &metrics->AddCounter("cdp_identity_merges_total",
                                  "Profiles absorbed by another (since start)");
  g.recomputes =
      &metrics->AddCounter("cdp_identity_recomputes_total",
                           "Conflicted components recomputed in canonical order (since start)");
  g.oversized = &metrics->AddCounter(
      "cdp_identity_oversized_components_total",
      "Conflicted components too large to recompute, decided in arrival order (since start)");
  reload_failures_ =
      &metrics->AddCounter("cdp_identity_reload_failures_total",
                           "Failed reloads of the identity graph after a failed write");
  g.last = graph_->Stats();
  PublishLocked();
}

IdentityService::~IdentityService() = default;

void IdentityService::PublishLocked() {
  if (!gauges_) return;
  Gauges& g = *gauges_;
  const IdentityGraphStats s = graph_->Stats();
  g.nodes->Set(static_cast<std::int64_t>(s.nodes));
  g.edges->Set(static_cast<std::int64_t>(s.edges));
  g.profiles->Set(static_cast<std::int64_t>(s.profiles));
  g.conflicts->Set(static_cast<std::int64_t>(s.conflicts));
  g.memory->Set(static_cast<std::int64_t>(s.memory_bytes));
  if (s.merges > g.last.merges) g.merges->Increment(s.merges - g.last.merges);
  if (s.recomputes > g.last.recomputes) g.recomputes->Increment(s.recomputes - g.last.recomputes);
  if (s.oversized_components > g.last.oversized_components) {
    g.oversized->Increment(s.oversized_components - g.last.oversized_components);
  }
  g.last = s;
}

void IdentityService::Apply(std::span<const Event* const> events,
                            std::span<const std::uint64_t> sequences, GraphDelta* delta) {
  std::unique_lock lock(mu_);
  graph_->ApplyEvents(events, sequences);
  graph_->TakeDelta(delta);
  PublishLocked();
}

void IdentityService::Abandon() {
  std::unique_lock lock(mu_);
  graph_->DiscardDelta();
  // The graph is ahead of storage: reload it so that it matches the log again.
  auto reloaded =
      reload_ ? reload_()
              : Result<std::unique_ptr<IdentityGraph>>(FailedPreconditionError("no reloader"));
  if (!reloaded.ok()) {
    // Keep serving the graph we have; it may show links whose events were not stored.
    if (reload_failures_ != nullptr) reload_failures_->Increment();
    Log(LogLevel::kError,
        "identity graph reload after a failed write failed: " + reloaded.status().ToString());
    return;
  }
  graph_ = std::move(*reloaded);
  if (gauges_) gauges_->last = graph_->Stats();
  PublishLocked();
}

}  // namespace cdp
