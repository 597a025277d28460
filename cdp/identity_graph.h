// The in-memory identity graph (DESIGN.md, Identity model): identifier nodes linked by edges
// that keep their evidence, clustered into profiles by union-find under the identifier limits
// and cannot-link constraints, with stable profile ids, redirects of merged ids and splits.
//
// Partition semantics (independent of arrival order): the profiles are what adding every
// non-removed edge in canonical order (earliest evidence first) gives, where an edge whose
// union would exceed a type's limit or join the two sides of a cannot-link is refused. The fast
// path is plain union-find; a component that holds a refused edge is recomputed in canonical
// order whenever an event touches it (the slow path).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cdp/clock.h"
#include "cdp/event.h"
#include "cdp/graph_delta.h"
#include "cdp/identifier.h"
#include "cdp/status.h"

namespace cdp {

struct IdentityGraphOptions {
  // A conflicted component larger than this (in nodes) is not recomputed in canonical order;
  // its new links are decided in arrival order instead, and counted.
  std::size_t max_recompute_nodes = 20'000;
};

struct IdentityGraphStats {
  std::size_t nodes = 0;
  std::size_t edges = 0;
  std::size_t profiles = 0;              // active
  std::size_t merges = 0;                // profiles absorbed by another, since start
  std::size_t conflicts = 0;             // refused edges in the graph
  std::size_t recomputes = 0;            // slow-path recomputations, since start
  std::size_t oversized_components = 0;  // conflicted components too large to recompute
  std::size_t memory_bytes = 0;          // approximate heap held by the graph
};

// One identifier of a profile, as the API shows it.
struct ProfileIdentifier {
  IdentifierType type = kUserId;
  std::string value;
  // Seconds since the epoch: the earliest event timestamp that carried it, and the latest to
  // within an hour (last_seen moves only when an event is an hour or more past it, so that an
  // identifier seen all day is rewritten once an hour rather than once per event).
  std::uint32_t first_seen = 0;
  std::uint32_t last_seen = 0;
};

// An edge of a profile, without its evidence (storage has that: EdgeRecord).
struct ProfileEdge {
  std::uint32_t a = 0;
  std::uint32_t b = 0;
  EdgeState state = EdgeState::kLinked;
};

struct ProfileView {
  std::uint64_t id = 0;
  std::vector<ProfileIdentifier> identifiers;  // by type, then value
  std::vector<std::uint64_t> merged_ids;       // ascending
  // The edges touching the profile's nodes, refused and removed ones included (their other
  // end may lie in another profile).
  std::vector<ProfileEdge> edges;
  std::vector<std::uint32_t> nodes;  // parallel to `identifiers`
};

struct SplitOutcome {
  std::uint64_t kept = 0;                // the profile that keeps the original id
  std::vector<std::uint64_t> split_off;  // the new profiles, ascending
};

class IdentityGraph;

// Resolves person records probabilistically as they arrive (the matcher): called by ApplyEvent
// for each `record` node the event created, after the event's deterministic links and before
// its new identifiers get a profile id, so that a record the resolver links into an existing
// profile creates no throwaway id.
class RecordResolver {
 public:
  virtual ~RecordResolver() = default;
  virtual void ResolveRecord(IdentityGraph& graph, std::uint32_t node, const Event& event,
                             std::uint64_t sequence) = 0;
  // Called once the event that called ResolveRecord has its profile ids assigned.
  virtual void RecordsResolved(const IdentityGraph& /*graph*/) {}
  // Whether two profiles holding these person record nodes (a few of each) may be one person.
  // The graph asks before every union of two profiles that both hold records, whatever the
  // link (an event's identifiers, an alias, a match); false refuses the union as a conflict,
  // like two different national ids: two clearly different people never merge, even through
  // an identifier they share (a household's e-mail address).
  virtual bool RecordsCompatible(const IdentityGraph& /*graph*/,
                                 std::span<const std::uint32_t> /*a*/,
                                 std::span<const std::uint32_t> /*b*/) const {
    return true;
  }
};

// Thread-compatible: callers serialise writers against readers (for instance with a
// shared_mutex: many readers or one writer).
class IdentityGraph {
 public:
  // REQUIRES: config.Validate() is ok.
  explicit IdentityGraph(const IdentityConfig& config, const IdentityGraphOptions& options = {});
  ~IdentityGraph();
  IdentityGraph(const IdentityGraph&) = delete;
  IdentityGraph& operator=(const IdentityGraph&) = delete;

  const IdentityConfig& config() const;

  // Applies the linking identifiers of one stored event (`sequence` is its log position) and
  // marks what changed for the next TakeDelta. Events without linking identifiers change
  // nothing.
  void ApplyEvent(const Event& event, std::uint64_t sequence);
  // ApplyEvent for each event in order (faster on a large graph: it prefetches).
  // REQUIRES: events.size() == sequences.size().
  void ApplyEvents(std::span<const Event* const> events, std::span<const std::uint64_t> sequences);

  // Splits the profile of `profile` (any of its ids, merged ones included): the nodes of
  // `identifiers` leave it, the edges between them and the rest are removed, a cannot-link
  // between both sides is recorded and the components are recomputed. The part holding the
  // rest keeps the id. Errors: kNotFound (unknown profile), kInvalidArgument (no identifier
  // given), kFailedPrecondition (an identifier not in this profile, or all of them).
  // REQUIRES: each identifier's type < config().types.size().
  // `after_sequence` is the last stored event's sequence (kept for `cdp rebuild`).
  Result<SplitOutcome> Split(std::uint64_t profile, std::span<const Identifier> identifiers,
                             Timestamp at, std::uint64_t after_sequence);

  // The resolver ApplyEvent calls for new `record` nodes (null: none). Not owned.
  void SetRecordResolver(RecordResolver* resolver);

  // Node-level access for the matcher. Node ids are dense, from 0.
  std::optional<std::uint32_t> FindNode(IdentifierType type, std::string_view value) const;
  std::size_t NodeCount() const;
  // One past the highest profile id given so far (ids are given in increasing order).
  std::uint64_t ProfileIdEnd() const;
  IdentifierType NodeType(std::uint32_t node) const;     // REQUIRES: node exists
  std::string_view NodeValue(std::uint32_t node) const;  // valid until the next change
  // The profile id of a node's profile (0 while the applying event's new identifiers have
  // none yet). REQUIRES: node exists.
  std::uint64_t NodeProfile(std::uint32_t node) const;
  // Whether two nodes share a profile.
  bool SameProfile(std::uint32_t a, std::uint32_t b) const;
  // A number equal for two nodes exactly when they share a profile (SameProfile), also while
  // a profile is being formed and has no id yet; valid until the graph next changes.
  std::uint32_t ProfileKey(std::uint32_t node) const;
  // Up to out.size() nodes of `type` in `node`'s profile (walking at most `max_walk` members);
  // returns how many were written.
  std::size_t ProfileNodesOfType(std::uint32_t node, IdentifierType type,
                                 std::span<std::uint32_t> out, std::size_t max_walk) const;
  // Whether the profiles of `a` and `b` may be joined: no identifier limit and no cannot-link
  // would be broken (true when they already share one).
  bool CanLink(std::uint32_t a, std::uint32_t b) const;
  // CanLink without asking the record resolver whether the person records may be one person:
  // the identifier limits and cannot-links only, which is cheap.
  bool CanLinkByIdentifiers(std::uint32_t a, std::uint32_t b) const;
  // Asserts an edge between two nodes with its evidence (`match` for probabilistic and review
  // links) and joins their profiles as an event's edge would (refused when CanLink is false).
  // Returns whether the two nodes share a profile afterwards. A removed edge stays removed.
  bool LinkNodes(std::uint32_t a, std::uint32_t b, LinkRule rule, Timestamp at,
                 std::string_view message_id, std::uint64_t sequence, const MatchEvidence* match);
  // Records a cannot-link between two sets of nodes (as a split does, without cutting
  // anything): their profiles never join. kFailedPrecondition when a node of one side shares a
  // profile with a node of the other; kInvalidArgument for an empty side or an unknown node.
  Status AddCannotLink(std::span<const std::uint32_t> side_a, std::span<const std::uint32_t> side_b,
                       Timestamp at, std::uint64_t after_sequence);

  // Moves everything changed since the last call into `delta` (cleared first).
  void TakeDelta(GraphDelta* delta);
  // Forgets pending changes (after a failed write, before reloading).
  void DiscardDelta();

  // Loading from storage: call Load* for every stored record in any order, then FinishLoad.
  // kCorruption when records contradict each other (unknown node, duplicate identifier,
  // hash mismatch).
  void LoadNode(const NodeRecord& record);
  void LoadEdge(const EdgeRecord& record);
  void LoadProfile(const ProfileRecord& record);
  void LoadCannotLink(const CannotLinkRecord& record);
  Status FinishLoad();

  // The active profile an identifier belongs to, or nullopt when it is unknown.
  std::optional<std::uint64_t> FindProfile(IdentifierType type, std::string_view value) const;
  // The active profile for a profile id, following redirects of merged ids; nullopt when the
  // id was never issued.
  std::optional<std::uint64_t> ResolveProfileId(std::uint64_t id) const;
  // The profile's identifiers, merged ids and edges. REQUIRES: `id` is active.
  ProfileView View(std::uint64_t id) const;
  // The identifier of a node. REQUIRES: node exists.
  ProfileIdentifier NodeIdentifier(std::uint32_t node) const;

  IdentityGraphStats Stats() const;

  // Every node's profile, indexed by node id: a canonical image of the partition for tests
  // and `cdp rebuild`.
  std::vector<std::uint64_t> NodeProfiles() const;

  // XXH3-64 of the type byte followed by the value (persisted: stable across versions).
  static std::uint64_t HashIdentifier(IdentifierType type, std::string_view value);

 private:
  struct Rep;
  std::unique_ptr<Rep> rep_;
};

// Feeds stored records (storage's LoadGraph) to a graph being loaded; call FinishLoad after.
class IdentityGraphLoader final : public GraphRecordSink {
 public:
  explicit IdentityGraphLoader(IdentityGraph* graph) : graph_(graph) {}
  void OnNode(const NodeRecord& record) override { graph_->LoadNode(record); }
  void OnEdge(const EdgeRecord& record) override { graph_->LoadEdge(record); }
  void OnProfile(const ProfileRecord& record) override { graph_->LoadProfile(record); }
  void OnCannotLink(const CannotLinkRecord& record) override { graph_->LoadCannotLink(record); }

 private:
  IdentityGraph* graph_;
};

}  // namespace cdp
