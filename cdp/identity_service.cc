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
  // Matching.
  Gauge* records = nullptr;
  Gauge* reviews = nullptr;
  Gauge* oversized_blocks = nullptr;
  Counter* match_links = nullptr;
  Counter* match_refused = nullptr;
  Counter* pairs = nullptr;
  MatcherStats last_match;
};

IdentityService::IdentityService(IdentityState state, Reloader reload, MetricsRegistry* metrics)
    : graph_(std::move(state.graph)),
      matcher_(std::move(state.matcher)),
      reload_(std::move(reload)) {
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
  g.records = &metrics->AddGauge("cdp_match_records", "Person records held by the matcher");
  g.reviews = &metrics->AddGauge("cdp_match_review_queue",
                                 "Possible matches waiting for a person's decision");
  g.oversized_blocks = &metrics->AddGauge("cdp_match_oversized_blocks",
                                          "Blocking keys shared by too many records to be used");
  g.match_links = &metrics->AddCounter("cdp_match_links_total",
                                       "Probabilistic links made by the matcher (since start)");
  g.match_refused = &metrics->AddCounter(
      "cdp_match_refused_total",
      "Candidate profiles never linked because of a conflict or cannot-link (since start)");
  g.pairs = &metrics->AddCounter("cdp_match_pairs_scored_total",
                                 "Record pairs scored by the matcher (since start)");
  g.last = graph_->Stats();
  if (matcher_) g.last_match = matcher_->Stats();
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
  if (!matcher_) return;
  const MatcherStats m = matcher_->Stats();
  g.records->Set(static_cast<std::int64_t>(m.records));
  g.reviews->Set(static_cast<std::int64_t>(m.reviews_pending));
  g.oversized_blocks->Set(static_cast<std::int64_t>(m.oversized_blocks));
  if (m.links > g.last_match.links) g.match_links->Increment(m.links - g.last_match.links);
  if (m.refused > g.last_match.refused) {
    g.match_refused->Increment(m.refused - g.last_match.refused);
  }
  if (m.pairs_scored > g.last_match.pairs_scored) {
    g.pairs->Increment(m.pairs_scored - g.last_match.pairs_scored);
  }
  g.last_match = m;
}

void IdentityService::TakeDeltaLocked(GraphDelta* delta) {
  graph_->TakeDelta(delta);
  if (matcher_) matcher_->TakeDelta(delta);
}

void IdentityService::Apply(std::span<const Event* const> events,
                            std::span<const std::uint64_t> sequences, GraphDelta* delta) {
  {
    std::unique_lock lock(mu_);
    graph_->ApplyEvents(events, sequences);
    TakeDeltaLocked(delta);
    if (derived_ != nullptr) derived_->Prepare(*graph_, events, sequences, *delta);
    PublishLocked();
  }
  if (derived_ != nullptr) derived_->Finish(events, sequences, delta);
}

void IdentityService::Abandon() {
  std::unique_lock lock(mu_);
  graph_->DiscardDelta();
  if (matcher_) matcher_->DiscardDelta();
  // The graph is ahead of storage: reload it so that it matches the log again.
  auto reloaded =
      reload_ ? reload_() : Result<IdentityState>(FailedPreconditionError("no reloader"));
  if (!reloaded.ok()) {
    // Keep serving the graph we have; it may show links whose events were not stored.
    if (reload_failures_ != nullptr) reload_failures_->Increment();
    Log(LogLevel::kError,
        "identity graph reload after a failed write failed: " + reloaded.status().ToString());
    return;
  }
  graph_ = std::move(reloaded->graph);
  matcher_ = std::move(reloaded->matcher);
  if (gauges_) {
    gauges_->last = graph_->Stats();
    if (matcher_) gauges_->last_match = matcher_->Stats();
  }
  PublishLocked();
}

}  // namespace cdp
