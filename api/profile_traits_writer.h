// Keeps each profile's unified and computed traits (cdp/profile_traits.h) in step with the
// identity graph: with every delta it folds the new events into their profiles' traits,
// merges the traits of merged profiles, and refolds from the timeline the profiles a split or
// a recompute reshaped. The records go into the delta, so they are written in the same
// WriteBatch as the events and graph changes that caused them.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "cdp/identity_service.h"
#include "cdp/metrics.h"
#include "cdp/profile_traits.h"
#include "ingest/segment_parser.h"
#include "storage/store.h"

namespace cdp::api {

// Called on the writer's thread only (DerivedStateWriter). The store must outlive it.
class ProfileTraitsWriter final : public DerivedStateWriter {
 public:
  // `parser_options` read stored events back when a profile is refolded. `profile_id_end` is
  // the graph's ProfileIdEnd() when the writer starts: the traits of profiles created after it
  // are not looked for in the store. `metrics` may be null; when set it must outlive the
  // writer.
  ProfileTraitsWriter(storage::Store* store, TraitsOptions options,
                      ingest::SegmentParserOptions parser_options, std::uint64_t profile_id_end,
                      MetricsRegistry* metrics);
  ~ProfileTraitsWriter() override;

  void Prepare(const IdentityGraph& graph, std::span<const Event* const> events,
               std::span<const std::uint64_t> sequences, const GraphDelta& delta) override;
  // Adds a ProfileTraitsRecord for every profile the delta touched. A profile whose stored
  // traits cannot be read is left as it is (logged and counted in
  // cdp_profile_traits_errors_total): the events are stored, and a later refold repairs it.
  void Finish(std::span<const Event* const> events, std::span<const std::uint64_t> sequences,
              GraphDelta* delta) override;

 private:
  // What Prepare took from the graph for Finish.
  struct Plan {
    // Per event: the active profile of its anchor after the delta, 0 for none.
    std::vector<std::uint64_t> event_profiles;
    // (absorbed, survivor) in the order the merges happened.
    std::vector<std::pair<std::uint64_t, std::uint64_t>> merges;
    // The active profiles the delta reshaped, and those that absorbed one of them, with their
    // nodes: refolded from their events.
    std::vector<std::pair<std::uint64_t, std::vector<std::uint32_t>>> refold;
    // Profiles whose traits are deleted (merged away).
    std::vector<std::uint64_t> deleted;
    // Profiles with an id from here on were created by the delta: nothing is stored for them.
    std::uint64_t first_new_profile = 0;
  };

  // The traits of `profile` folded from its stored events at `nodes` and the delta's events
  // in `plan` that belong to it.
  Result<ProfileTraits> Refold(std::uint64_t profile, const std::vector<std::uint32_t>& nodes,
                               std::span<const Event* const> events,
                               std::span<const std::uint64_t> sequences);
  void Fold(ProfileTraits& traits, const Event& event, std::uint64_t sequence);
  void CountError(const Status& status);

  storage::Store* store_;
  const TraitsOptions options_;
  ingest::SegmentParser parser_;
  Plan plan_;
  std::uint64_t profile_id_end_;  // the graph's ProfileIdEnd() after the last delta
  Counter* errors_ = nullptr;
  Counter* refolds_ = nullptr;
};

}  // namespace cdp::api
