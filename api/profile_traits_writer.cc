#include "api/profile_traits_writer.h"

#include <algorithm>
#include <limits>
#include <unordered_map>
#include <unordered_set>

#include "cdp/log.h"
#include "ingest/event_facts.h"

namespace cdp::api {

ProfileTraitsWriter::ProfileTraitsWriter(storage::Store* store, TraitsOptions options,
                                         ingest::SegmentParserOptions parser_options,
                                         std::uint64_t profile_id_end, MetricsRegistry* metrics)
    : store_(store),
      options_(std::move(options)),
      parser_(std::move(parser_options)),
      profile_id_end_(profile_id_end) {
  if (metrics == nullptr) return;
  errors_ = &metrics->AddCounter(
      "cdp_profile_traits_errors_total",
      "Profiles or events whose traits could not be updated (stored traits or events unreadable)");
  refolds_ = &metrics->AddCounter("cdp_profile_traits_refolds_total",
                                  "Profiles whose traits were refolded from their events after a "
                                  "split or a recompute");
}

ProfileTraitsWriter::~ProfileTraitsWriter() = default;

void ProfileTraitsWriter::CountError(const Status& status) {
  if (errors_ != nullptr) errors_->Increment();
  Log(LogLevel::kError, "profile traits: " + status.ToString());
}

void ProfileTraitsWriter::Prepare(const IdentityGraph& graph, std::span<const Event* const> events,
                                  std::span<const std::uint64_t> sequences,
                                  const GraphDelta& delta) {
  plan_ = Plan();
  // After a failed write the graph is reloaded and may give ids again: the smaller bound.
  plan_.first_new_profile = std::min(profile_id_end_, graph.ProfileIdEnd());
  profile_id_end_ = graph.ProfileIdEnd();
  // Anchors are in log order, like the events; an event without one has no profile.
  plan_.event_profiles.assign(events.size(), 0);
  std::size_t a = 0;
  for (std::size_t i = 0; i < events.size(); ++i) {
    while (a < delta.anchors.size() && delta.anchors[a].sequence < sequences[i]) ++a;
    if (a < delta.anchors.size() && delta.anchors[a].sequence == sequences[i]) {
      plan_.event_profiles[i] = graph.NodeProfile(delta.anchors[a].node);
    }
  }
  for (const ChangeRecord& change : delta.changes) {
    if (change.type == ChangeType::kMerge)
      plan_.merges.emplace_back(change.profile, change.merged_into);
  }
  for (const auto& [absorbed, survivor] : plan_.merges) {
    if (graph.ResolveProfileId(absorbed) != absorbed) plan_.deleted.push_back(absorbed);
  }
  if (delta.reshaped.empty()) return;
  // A split or a recompute moved identifiers between profiles: the traits of the profiles it
  // reshaped, and of those that absorbed one of them later in the delta, are refolded from
  // the events of the identifiers they hold now. (Refolding is always right; folding in is
  // right only for profiles that merely grew.)
  std::unordered_set<std::uint64_t> tainted(delta.reshaped.begin(), delta.reshaped.end());
  for (const auto& [absorbed, survivor] : plan_.merges) {
    if (tainted.contains(absorbed)) tainted.insert(survivor);
  }
  std::vector<std::uint64_t> refold(tainted.begin(), tainted.end());
  std::sort(refold.begin(), refold.end());
  for (std::uint64_t p : refold) {
    if (graph.ResolveProfileId(p) != p) continue;
    plan_.refold.emplace_back(p, graph.View(p).nodes);
  }
}

void ProfileTraitsWriter::Fold(ProfileTraits& traits, const Event& event, std::uint64_t sequence) {
  auto facts = ingest::ExtractEventFacts(event, sequence);
  if (!facts.ok()) {
    CountError(facts.status().WithContext("event " + std::to_string(sequence)));
    return;
  }
  traits.Apply(*facts, options_);
}

Result<ProfileTraits> ProfileTraitsWriter::Refold(std::uint64_t profile,
                                                  const std::vector<std::uint32_t>& nodes,
                                                  std::span<const Event* const> events,
                                                  std::span<const std::uint64_t> sequences) {
  ProfileTraits traits;
  std::vector<std::uint64_t> stored;
  CDP_RETURN_IF_ERROR(
      store_->ReadTimeline(nodes, 0, std::numeric_limits<std::size_t>::max(), &stored));
  // In slices, so that a long timeline is not held in memory at once.
  constexpr std::size_t kSlice = 1024;
  std::vector<std::optional<std::string>> jsons;
  for (std::size_t from = 0; from < stored.size(); from += kSlice) {
    const std::size_t n = std::min(kSlice, stored.size() - from);
    CDP_RETURN_IF_ERROR(store_->GetEvents(std::span(stored).subspan(from, n), &jsons));
    for (std::size_t i = 0; i < n; ++i) {
      if (!jsons[i]) continue;
      auto event = parser_.ReadStoredEvent(*jsons[i]);
      if (!event.ok()) {
        CountError(event.status().WithContext("event " + std::to_string(stored[from + i])));
        continue;
      }
      event->json = std::move(*jsons[i]);
      Fold(traits, *event, stored[from + i]);
    }
  }
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (plan_.event_profiles[i] == profile) Fold(traits, *events[i], sequences[i]);
  }
  if (refolds_ != nullptr) refolds_->Increment();
  return traits;
}

void ProfileTraitsWriter::Finish(std::span<const Event* const> events,
                                 std::span<const std::uint64_t> sequences, GraphDelta* delta) {
  std::unordered_map<std::uint64_t, ProfileTraits> working;
  std::vector<std::uint64_t> order;  // the profiles of `working`, in first-touch order
  std::unordered_set<std::uint64_t> touched;
  const auto touch = [&](std::uint64_t p) {
    if (touched.insert(p).second) order.push_back(p);
  };
  // Reshaped profiles: refolded whole. They take no part in the folding in below.
  std::unordered_set<std::uint64_t> refolded;
  for (const auto& [profile, nodes] : plan_.refold) {
    refolded.insert(profile);
    auto traits = Refold(profile, nodes, events, sequences);
    if (!traits.ok()) {
      CountError(traits.status());
      continue;
    }
    working.emplace(profile, std::move(*traits));
    touch(profile);
  }
  // The others: their stored traits, merged and with the new events folded in. The stored
  // traits of every profile involved come in one read.
  std::vector<std::uint64_t> wanted;
  for (const auto& [absorbed, survivor] : plan_.merges) {
    if (refolded.contains(survivor)) continue;
    wanted.push_back(absorbed);
    wanted.push_back(survivor);
  }
  for (std::uint64_t p : plan_.event_profiles) {
    if (p != 0 && !refolded.contains(p)) wanted.push_back(p);
  }
  std::sort(wanted.begin(), wanted.end());
  wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
  // New profiles have nothing stored: they start empty without a read.
  const auto first_new = std::lower_bound(wanted.begin(), wanted.end(), plan_.first_new_profile);
  for (auto it = first_new; it != wanted.end(); ++it) working.emplace(*it, ProfileTraits());
  wanted.erase(first_new, wanted.end());
  std::vector<std::optional<ProfileTraits>> stored;
  if (Status s = store_->GetProfileTraits(wanted, &stored); !s.ok()) {
    // Left as they are (the absorbed ones kept too); the refolded ones are still written.
    CountError(s);
    plan_.merges.clear();
    plan_.deleted.clear();
    std::fill(plan_.event_profiles.begin(), plan_.event_profiles.end(), 0);
  } else {
    for (std::size_t i = 0; i < wanted.size(); ++i) {
      working.emplace(wanted[i], stored[i] ? std::move(*stored[i]) : ProfileTraits());
    }
  }
  for (const auto& [absorbed, survivor] : plan_.merges) {
    if (refolded.contains(survivor)) continue;
    ProfileTraits& into = working[survivor];
    into.MergeFrom(working[absorbed]);
    working[absorbed] = ProfileTraits();
    touch(survivor);
  }
  for (std::size_t i = 0; i < events.size(); ++i) {
    const std::uint64_t p = plan_.event_profiles[i];
    if (p == 0 || refolded.contains(p)) continue;
    Fold(working[p], *events[i], sequences[i]);
    touch(p);
  }
  const std::unordered_set<std::uint64_t> deleted(plan_.deleted.begin(), plan_.deleted.end());
  for (std::uint64_t p : plan_.deleted) {
    delta->traits.push_back(ProfileTraitsRecord{p, std::nullopt});
  }
  for (std::uint64_t p : order) {
    if (!deleted.contains(p))
      delta->traits.push_back(ProfileTraitsRecord{p, std::move(working[p])});
  }
  plan_ = Plan();
}

}  // namespace cdp::api
