// The streaming probabilistic matcher (DESIGN.md, Probabilistic matching): each new person
// record (with the other records of the profile its event's identifiers put it in) is compared
// with the records of candidate profiles found through several blocking keys and scored
// cluster-to-cluster with the Fellegi-Sunter model: every field at its best level over the
// pairs of records, so that a field the candidate holds and never agrees on counts against it
// (one agreeing record cannot chain two people). At or above the link threshold, when given
// names and birth dates do not disagree outright, it is linked into each such profile with a
// probabilistic edge holding the weights; between the review and link thresholds a review
// item waits for a person's decision. A link that would break an identifier limit (two
// different valid national ids) or a cannot-link is never made, whatever the score.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "cdp/graph_delta.h"
#include "cdp/identity_graph.h"
#include "cdp/match_model.h"
#include "cdp/person.h"
#include "cdp/status.h"

namespace cdp {

struct MatcherOptions {
  // Whether new records are matched at all (records are still stored as graph nodes).
  bool enabled = true;
  // Record-to-cluster match weights (bits: log2 of the odds) at or above `link_threshold`
  // link; at or above `review_threshold` (and below the link threshold) go to review.
  double link_threshold = 12.0;
  double review_threshold = 4.0;
  // A blocking key shared by more records than this is not used for candidates any more (a
  // residence's phone, a very common surname and birth year): it is "oversized". A large
  // block adds candidates that the record's other keys rarely miss: on 400,000 generated
  // people, 20 (against 100) raised precision from 0.978 to 0.984 and streaming ingest from
  // 28,600 to 36,000 events/s (docs/BENCHMARKS.md).
  std::size_t max_block_size = 20;
  // Most candidate profiles scored per record (those sharing most blocking keys first).
  std::size_t max_candidates = 24;
  // Most records of one candidate profile scored against the new record.
  std::size_t max_cluster_records = 16;
  // A link also needs this many fields besides the names and gender that agree (a positive
  // weight: birth date, address, phone, e-mail, document): a name alone, however rare, goes
  // to review instead, since namesakes exist.
  std::size_t min_corroborating_fields = 1;
  // A record whose given names disagree outright with every record of the profile is not
  // linked (it may go to review): in a population of Spanish households, a sibling, parent or
  // child shares the surnames, the address and the phone, and the given name tells them
  // apart. Data sets whose errors replace given names (FEBRL) do better without it.
  bool given_must_agree = true;
  // The same for birth dates: a record whose birth date disagrees outright (not a typo of a
  // digit, not day and month swapped, not the same year) with every record of the profile that
  // has one is not linked. Household fields (surnames, address, phone) agree among siblings
  // born on other dates; the birth date tells them apart.
  bool birth_must_agree = true;
  // Most review items one record may create.
  std::size_t max_reviews_per_record = 2;
  // Two profiles whose person records all disagree on who they are (names, birth date,
  // document, gender: their weights summing below this, for every pair of records) are
  // different people: the graph refuses to join them, whatever links them (a shared e-mail
  // address, a household device). Applies with `enabled` false too.
  double contradiction_threshold = -8.0;

  // kInvalidArgument naming the first bad option.
  Status Validate() const;
};

struct MatcherStats {
  std::size_t records = 0;
  std::size_t blocks = 0;
  std::size_t oversized_blocks = 0;
  std::size_t resolved = 0;      // new records resolved, since start
  std::size_t pairs_scored = 0;  // since start
  std::size_t links = 0;         // probabilistic links made, since start
  std::size_t refused = 0;       // candidates skipped: an identifier limit or cannot-link, or
                                 // (scoring candidates) records that cannot be one person
  std::size_t reviews_pending = 0;
  std::size_t reviews_created = 0;  // since start
};

// A review item as the API lists it.
struct ReviewItem {
  ReviewRecord record;
  // The profiles of both records now (they may have moved since the item was created).
  std::uint64_t left_profile = 0;
  std::uint64_t right_profile = 0;
};

enum class ReviewDecision : std::uint8_t { kMatch, kNoMatch };

struct ReviewOutcome {
  ReviewDecision decision = ReviewDecision::kMatch;
  std::uint64_t profile = 0;  // after kMatch: the surviving profile
};

// Thread-compatible, like the graph it serves: the writer calls the mutating members under
// the graph's write lock, readers the const ones under its read lock.
class Matcher final : public RecordResolver {
 public:
  // REQUIRES: options.Validate() and model.Validate() are ok.
  Matcher(const MatcherOptions& options, const MatchModel& model);
  ~Matcher() override;
  Matcher(const Matcher&) = delete;
  Matcher& operator=(const Matcher&) = delete;

  const MatcherOptions& options() const;
  const MatchModel& model() const;

  // Indexes every `record` node of a loaded graph, and takes the stored review items
  // (LoadReview, before). kCorruption for a record node whose value does not decode.
  Status LoadFromGraph(const IdentityGraph& graph);
  void LoadReview(const ReviewRecord& record);

  // RecordResolver: scores and links (or proposes) a new record node.
  void ResolveRecord(IdentityGraph& graph, std::uint32_t node, const Event& event,
                     std::uint64_t sequence) override;
  void RecordsResolved(const IdentityGraph& graph) override;
  bool RecordsCompatible(const IdentityGraph& graph, std::span<const std::uint32_t> a,
                         std::span<const std::uint32_t> b) const override;

  // The pending review items with an id above `after`, oldest first, at most `limit`.
  std::vector<ReviewItem> PendingReviews(const IdentityGraph& graph, std::uint32_t after,
                                         std::size_t limit) const;
  // Decides review item `id`: kMatch links the pair (kReview edge), kNoMatch records a
  // cannot-link between them. kNotFound for an unknown id; kConflict when it was already
  // decided, or for kMatch when the link would break an identifier limit or a cannot-link.
  Result<ReviewOutcome> Decide(IdentityGraph& graph, std::uint32_t id, ReviewDecision decision,
                               Timestamp at, std::uint64_t after_sequence);

  // Moves the review records created or decided since the last call into `delta->reviews`
  // (appended). DiscardDelta forgets them (after a failed write, before reloading).
  void TakeDelta(GraphDelta* delta);
  void DiscardDelta();

  MatcherStats Stats() const;

  // Scores one record against a profile's records as ResolveRecord does (for tests and
  // `cdp train`): the record-to-cluster match weight (each field at its best level over the
  // profile's records; a very low number when the profile holds no record), the record of the
  // best single pair and the evidence (each may be null), and adds the number of record pairs
  // compared to `*pairs` (may be null).
  double ScoreAgainstProfile(const IdentityGraph& graph, const PreparedRecord& record,
                             std::uint32_t profile_node, std::uint32_t* best_node,
                             MatchEvidence* best, std::size_t* pairs = nullptr) const;
  // The same with several records on the new side (the first weighs the names' frequency):
  // each field at its best level over every pair.
  double ScoreProfiles(const IdentityGraph& graph, std::span<const PreparedRecord* const> own,
                       std::uint32_t profile_node, std::uint32_t* best_node, MatchEvidence* best,
                       std::size_t* pairs = nullptr) const;

 private:
  struct Rep;
  std::unique_ptr<Rep> rep_;
};

// The blocking keys of a record: 64-bit hashes of (key kind, key text); at most 8. When `kinds`
// is not null, kinds[i] is the kind of out[i] (an index below kBlockingKeyKinds).
inline constexpr std::size_t kBlockingKeyKinds = 8;
std::size_t BlockingKeys(const PreparedRecord& record, std::span<std::uint64_t, 8> out,
                         std::array<std::uint8_t, 8>* kinds = nullptr);
// The fields a blocking key kind is made of (bit f for MatchField f): pairs sharing such a key
// agree on them by construction, so `cdp train` leaves them out when it fits m on those pairs.
std::uint16_t BlockingKeyFields(std::uint8_t kind);

}  // namespace cdp
