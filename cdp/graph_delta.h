// The durable form of the identity graph: the records the graph asks storage to write with each
// group of events (so that the graph on disk always matches the event log) and hands back to
// the graph at start-up. Key and value layouts are storage's business (storage/FORMAT.md).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cdp/clock.h"
#include "cdp/identifier.h"
#include "cdp/profile_traits.h"

namespace cdp {

// Why two identifiers are linked.
enum class LinkRule : std::uint8_t {
  kCoOccurrence = 0,   // both appeared in one event
  kAlias = 1,          // an alias event (previousId -> userId)
  kProbabilistic = 2,  // person records whose match weight passed the link threshold
  kReview = 3,         // a person decided `match` on a review item
};
std::string_view LinkRuleName(LinkRule rule);

enum class EdgeState : std::uint8_t {
  kLinked = 0,   // part of its profile
  kRefused = 1,  // asserted, but linking would break an identifier limit or a cannot-link
  kRemoved = 2,  // cut by a split; never links again
};
std::string_view EdgeStateName(EdgeState state);

// One identifier node: its value, when it was seen and the profile it belongs to.
struct NodeRecord {
  std::uint32_t node = 0;
  IdentifierType type = kUserId;
  std::string value;
  // XXH3-64 (unseeded) of the type byte followed by the value; checked at load.
  std::uint64_t hash = 0;
  // Earliest and latest (to within an hour: see ProfileIdentifier) event timestamps that
  // carried it, in seconds since the epoch.
  std::uint32_t first_seen = 0;
  std::uint32_t last_seen = 0;
  std::uint64_t profile = 0;
};

// One field's part of a match weight (cdp/match_model.h names fields and levels).
struct FieldContribution {
  std::uint8_t field = 0;  // a MatchField
  std::uint8_t level = 0;  // its comparison level
  float weight = 0;        // log2(m / u); 0 when the field is missing on either side
  friend bool operator==(const FieldContribution&, const FieldContribution&) = default;
};

// Why the matcher linked (or proposed) a person record and a profile: a waterfall from the
// prior to the total of the record-to-cluster comparison (each field at its best level over
// the profile's records, missing when none of them has it).
struct MatchEvidence {
  std::uint32_t model_version = 0;
  float prior = 0;             // log2 of the prior odds of a match
  float weight = 0;            // prior + the field weights: what the thresholds are compared with
  float best_pair_weight = 0;  // the total of the best single record pair, for comparison
  std::vector<FieldContribution> fields;
  friend bool operator==(const MatchEvidence&, const MatchEvidence&) = default;
};

// One edge, with the evidence that first asserted it (the earliest by event timestamp, ties by
// messageId hash: the same whatever order events arrive in).
struct EdgeRecord {
  std::uint32_t a = 0;  // a < b
  std::uint32_t b = 0;
  EdgeState state = EdgeState::kLinked;
  LinkRule rule = LinkRule::kCoOccurrence;
  Timestamp evidence_time;              // the asserting event's timestamp
  std::string evidence_message;         // its messageId
  std::uint64_t evidence_sequence = 0;  // its position in the event log
  // For kProbabilistic and kReview edges: the match weights.
  std::optional<MatchEvidence> match;
  // Only `state` changed and the evidence fields are not filled in: storage keeps the stored
  // evidence and rewrites the state.
  bool state_only = false;
};

enum class ProfileState : std::uint8_t { kActive = 0, kMerged = 1 };

struct ProfileRecord {
  std::uint64_t id = 0;
  ProfileState state = ProfileState::kActive;
  std::uint64_t merged_into = 0;  // for kMerged: the profile that absorbed it
  Timestamp created_at;           // the timestamp of the event (or split) that created it
};

// A cannot-link constraint recorded by a split: no node of one side may ever share a profile
// with a node of the other.
struct CannotLinkRecord {
  std::uint32_t id = 0;
  std::array<std::vector<std::uint32_t>, 2> sides;
  Timestamp at;
  // The sequence of the last event stored before the split that recorded it: rebuilding the
  // graph from the log replays the split right after that event.
  std::uint64_t after_sequence = 0;
};

enum class ReviewState : std::uint8_t { kPending = 0, kMatch = 1, kNoMatch = 2 };
std::string_view ReviewStateName(ReviewState state);

// A possible match between the review and link thresholds, waiting for a person's decision
// (GET /v1/review), and the decision once made.
struct ReviewRecord {
  std::uint32_t id = 0;
  std::uint32_t record_node = 0;     // the record that was scored
  std::uint32_t candidate_node = 0;  // the best-scoring record of the candidate profile
  // The two profiles when the item was created.
  std::uint64_t left_profile = 0;
  std::uint64_t right_profile = 0;
  MatchEvidence evidence;
  Timestamp created_at;        // the proposing event's timestamp
  std::string message_id;      // the proposing event
  std::uint64_t sequence = 0;  // its position in the event log
  ReviewState state = ReviewState::kPending;
  Timestamp decided_at;  // when decided
  // The sequence of the last event stored before the decision (for `cdp rebuild`).
  std::uint64_t decided_after_sequence = 0;
};

// What a change-feed entry says happened to a profile (API.md, Change feed).
enum class ChangeType : std::uint8_t {
  kUpsert = 0,  // created, or its identifiers or data changed: read it again
  kMerge = 1,   // absorbed by `merged_into`: its id now redirects there
  kSplit = 2,   // created by splitting another profile (an operator's split or a recompute)
  kDelete = 3,  // erased
};
std::string_view ChangeTypeName(ChangeType type);

// One entry of the change feed, written in the same atomic write as its cause. Storage gives
// it its feed sequence when it writes it.
struct ChangeRecord {
  ChangeType type = ChangeType::kUpsert;
  std::uint64_t profile = 0;
  std::uint64_t merged_into = 0;  // for kMerge: the surviving profile
  Timestamp at;                   // when the cause was received (or the operator acted)
  // The event log sequence of the causing event; for a change made by an operator, that of the
  // last event stored before it.
  std::uint64_t event_sequence = 0;
  friend bool operator==(const ChangeRecord&, const ChangeRecord&) = default;
};

// Which identifier node an event belongs to (its anchor: the linking identifier of the highest
// priority), for the profile timeline: the event is in the timeline of the profile holding
// that node, whatever merges and splits happen later.
struct EventAnchor {
  std::uint64_t sequence = 0;  // the event's position in the log
  std::uint32_t node = 0;
  friend bool operator==(const EventAnchor&, const EventAnchor&) = default;
};

// A profile's unified and computed traits as written with a delta: the full new value, or none
// to delete them (the profile was merged away).
struct ProfileTraitsRecord {
  std::uint64_t profile = 0;
  std::optional<ProfileTraits> traits;
};

// What one batch of graph changes writes. Each record is the full current state of its item;
// an item appears at most once per delta.
struct GraphDelta {
  std::vector<NodeRecord> nodes;
  std::vector<EdgeRecord> edges;
  std::vector<ProfileRecord> profiles;
  std::vector<CannotLinkRecord> cannot_links;
  std::vector<ReviewRecord> reviews;
  // The change-feed entries, in the order the changes happened.
  std::vector<ChangeRecord> changes;
  // The anchor of each applied event that has one, in log order.
  std::vector<EventAnchor> anchors;
  // Profiles whose identifiers were recomputed (a split, a conflicted component decided
  // again), ascending: state derived from their events must be refolded. Not stored.
  std::vector<std::uint64_t> reshaped;
  // Traits of the profiles the delta touched (filled by the profile traits writer).
  std::vector<ProfileTraitsRecord> traits;

  bool empty() const {
    return nodes.empty() && edges.empty() && profiles.empty() && cannot_links.empty() &&
           reviews.empty() && changes.empty() && anchors.empty() && reshaped.empty() &&
           traits.empty();
  }
  void clear() {
    nodes.clear();
    edges.clear();
    profiles.clear();
    cannot_links.clear();
    reviews.clear();
    changes.clear();
    anchors.clear();
    reshaped.clear();
    traits.clear();
  }
};

// Receives the stored graph records at start-up (storage's LoadGraph), in any order. OnNode
// calls do not overlap each other, nor do the other four among themselves, but an OnNode call
// may run concurrently with an OnEdge, OnProfile, OnCannotLink or OnReview call (on another
// thread).
class GraphRecordSink {
 public:
  virtual ~GraphRecordSink() = default;
  virtual void OnNode(const NodeRecord& record) = 0;
  virtual void OnEdge(const EdgeRecord& record) = 0;
  virtual void OnProfile(const ProfileRecord& record) = 0;
  virtual void OnCannotLink(const CannotLinkRecord& record) = 0;
  virtual void OnReview(const ReviewRecord& /*record*/) {}
};

}  // namespace cdp
