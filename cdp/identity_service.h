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
#include "cdp/matcher.h"
#include "cdp/metrics.h"

namespace cdp {

// The graph and its matcher (null when none), loaded together; the graph calls the matcher as
// its RecordResolver.
struct IdentityState {
  std::unique_ptr<IdentityGraph> graph;
  std::unique_ptr<Matcher> matcher;
};

// State derived from the profiles' events that is written with each graph delta (the unified
// traits). Called on the writer's thread only: Prepare under the graph's write lock, right
// after the graph filled `delta`, to take what it needs from the graph (quickly: readers wait);
// Finish after the lock is released, to add its records to `delta`. `events` are the events
// the delta came from (none for an operator's action), with their log sequences.
class DerivedStateWriter {
 public:
  virtual ~DerivedStateWriter() = default;
  virtual void Prepare(const IdentityGraph& graph, std::span<const Event* const> events,
                       std::span<const std::uint64_t> sequences, const GraphDelta& delta) = 0;
  virtual void Finish(std::span<const Event* const> events,
                      std::span<const std::uint64_t> sequences, GraphDelta* delta) = 0;
};

// Thread-safe: one writer at a time (the ingest writer thread, or an operator's split that
// runs on it) against any number of readers, with a shared_mutex.
class IdentityService final : public CommitApplier {
 public:
  // Restores the graph (and matcher) from storage after a failed write (loads them afresh).
  using Reloader = std::function<Result<IdentityState>()>;

  // `state` is the loaded graph and matcher. Registers their metrics when `metrics` is not
  // null (which must then outlive the service).
  IdentityService(IdentityState state, Reloader reload, MetricsRegistry* metrics);
  ~IdentityService() override;

  // CommitApplier, called by EventStore::Commit on the writer thread.
  void Apply(std::span<const Event* const> events, std::span<const std::uint64_t> sequences,
             GraphDelta* delta) override;
  void Abandon() override;

  // Adds derived state to every delta from now on (Apply and the Write calls); null for none.
  // Not owned; must outlive the service. Call before the first write.
  void SetDerivedStateWriter(DerivedStateWriter* writer) { derived_ = writer; }

  // Runs `fn` with shared (read) access to the graph; `fn` must not keep references into it.
  template <typename Fn>
  auto Read(Fn&& fn) const {
    std::shared_lock lock(mu_);
    return fn(static_cast<const IdentityGraph&>(*graph_));
  }

  // Runs `fn(graph, matcher)` with shared access; `matcher` is null when matching is off.
  template <typename Fn>
  auto ReadMatch(Fn&& fn) const {
    std::shared_lock lock(mu_);
    return fn(static_cast<const IdentityGraph&>(*graph_),
              static_cast<const Matcher*>(matcher_.get()));
  }

  // Runs `fn` with exclusive access, then moves the graph's pending changes into `delta`.
  // For operator actions (split); run it where the event writes are serialised.
  template <typename Fn>
  auto Write(Fn&& fn, GraphDelta* delta) {
    return WriteMatch([&](IdentityGraph& graph, Matcher*) { return fn(graph); }, delta);
  }
  // Write with the matcher too (null when matching is off): for review decisions.
  template <typename Fn>
  auto WriteMatch(Fn&& fn, GraphDelta* delta) {
    auto result = [&] {
      std::unique_lock lock(mu_);
      auto r = fn(*graph_, matcher_.get());
      TakeDeltaLocked(delta);
      if (derived_ != nullptr) derived_->Prepare(*graph_, {}, {}, *delta);
      PublishLocked();
      return r;
    }();
    if (derived_ != nullptr) derived_->Finish({}, {}, delta);
    return result;
  }

 private:
  struct Gauges;
  void PublishLocked();                     // REQUIRES: mu_ held
  void TakeDeltaLocked(GraphDelta* delta);  // REQUIRES: mu_ held

  mutable std::shared_mutex mu_;
  std::unique_ptr<IdentityGraph> graph_;  // guarded by mu_
  std::unique_ptr<Matcher> matcher_;      // guarded by mu_; may be null
  Reloader reload_;
  DerivedStateWriter* derived_ = nullptr;
  std::unique_ptr<Gauges> gauges_;  // guarded by mu_
  Counter* reload_failures_ = nullptr;
};

}  // namespace cdp
