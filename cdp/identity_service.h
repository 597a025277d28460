// The identity graph as the server shares it: the ingest writer applies events to it inside
// each commit, network threads read profiles from it concurrently.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>

#include "cdp/event_store.h"
#include "cdp/identity_graph.h"
#include "cdp/metrics.h"

namespace cdp {

// Thread-safe: one writer at a time (the ingest writer thread, or an operator's split that
// runs on it) against any number of readers, with a shared_mutex.
class IdentityService final : public CommitApplier {
 public:
  // Restores the graph from storage after a failed write (loads it into a fresh graph).
  using Reloader = std::function<Result<std::unique_ptr<IdentityGraph>>()>;

  // `graph` is the loaded graph. Registers the graph's metrics when `metrics` is not null
  // (which must then outlive the service).
  IdentityService(std::unique_ptr<IdentityGraph> graph, Reloader reload, MetricsRegistry* metrics);
  ~IdentityService() override;

  // CommitApplier, called by EventStore::Commit on the writer thread.
  void Apply(std::span<const Event* const> events, std::span<const std::uint64_t> sequences,
             GraphDelta* delta) override;
  void Abandon() override;

  // Runs `fn` with shared (read) access to the graph; `fn` must not keep references into it.
  template <typename Fn>
  auto Read(Fn&& fn) const {
    std::shared_lock lock(mu_);
    return fn(static_cast<const IdentityGraph&>(*graph_));
  }

  // Runs `fn` with exclusive access, then moves the graph's pending changes into `delta`.
  // For operator actions (split); run it where the event writes are serialised.
  template <typename Fn>
  auto Write(Fn&& fn, GraphDelta* delta) {
    std::unique_lock lock(mu_);
    auto result = fn(*graph_);
    graph_->TakeDelta(delta);
    PublishLocked();
    return result;
  }

 private:
  struct Gauges;
  void PublishLocked();  // REQUIRES: mu_ held

  mutable std::shared_mutex mu_;
  std::unique_ptr<IdentityGraph> graph_;  // guarded by mu_
  Reloader reload_;
  std::unique_ptr<Gauges> gauges_;  // guarded by mu_
  Counter* reload_failures_ = nullptr;
};

}  // namespace cdp
