// Unified traits of a profile: per trait the surviving value under the survivorship rules
// (source priority, then recency) with its lineage, and the computed traits (first and last
// seen, counts, preferred channel, services). A pure fold over a profile's events.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cdp/clock.h"
#include "cdp/event.h"
#include "cdp/status.h"

namespace cdp {

// Limits. Each is order-independent (see ProfileTraits): what is kept does not depend on the
// order in which events are applied.
//
// Most traits a profile keeps. Past it the names that sort first (bytewise) are kept, so that
// the result is the same in any order, and trait_cap_reached() is set.
inline constexpr std::size_t kMaxTraitsPerProfile = 512;
// Longest trait name and value (its JSON text); a longer one is ignored and counted in
// dropped_values(). Empty names are ignored the same way.
inline constexpr std::size_t kMaxTraitNameBytes = 256;
inline constexpr std::size_t kMaxTraitValueBytes = std::size_t{8} * 1024;
// Longest source name: a key name, a channel, an entry of source_priority. A channel longer
// than this is ignored, as if the event had none.
inline constexpr std::size_t kMaxSourceNameBytes = 64;
// Most entries in TraitsOptions::source_priority.
inline constexpr std::size_t kMaxSourcePriorityEntries = 64;
// Most channels counted per profile; the events of channels past it (the names that sort
// last) are counted in ComputedTraits::other_channel_events.
inline constexpr std::size_t kMaxChannelsPerProfile = 32;
// How many of the newest successful interactions are kept for the preferred channel.
inline constexpr std::size_t kRecentInteractions = 10;
// Most service ids per profile, and the longest; past the count the ids that sort first are
// kept and services_capped is set; an empty or longer id is ignored.
inline constexpr std::size_t kMaxServicesPerProfile = 256;
inline constexpr std::size_t kMaxServiceIdBytes = 128;
// The number of EventType values; ComputedTraits::type_counts is indexed by EventType.
inline constexpr std::size_t kEventTypeCount = 6;
// The rank of a source that is not in source_priority: below every listed one.
inline constexpr std::uint32_t kUnrankedSource = 0xFFFFFFFFu;
// The lineage source of an event that has neither a key name nor a channel.
inline constexpr std::string_view kUnknownSource = "unknown";

// The survivorship rules (the config's "profiles" section, docs/CONFIG.md).
struct TraitsOptions {
  // Sources from most to least trusted: write key names or `context.channel` values, e.g.
  // {"civil_register", "tax_agency", "web_form"}. A source not listed ranks below all listed.
  std::vector<std::string> source_priority;

  // kInvalidArgument naming the first bad entry: empty, longer than kMaxSourceNameBytes,
  // listed twice, or more than kMaxSourcePriorityEntries entries.
  Status Validate() const;
};

// One top-level trait an event sets: its name and its value as compact JSON text (a nested
// object or array kept whole).
struct TraitValue {
  std::string name;
  std::string value_json;
  friend bool operator==(const TraitValue&, const TraitValue&) = default;
};

// What one stored event contributes to its profile's traits (ingest/event_facts.h extracts it
// from a stored event). Any value is accepted: a key name or channel longer than
// kMaxSourceNameBytes is ignored, and an event whose message_id is longer than
// kMaxMessageIdLength sets no trait (its values are counted in dropped_values).
struct EventFacts {
  EventType type = EventType::kTrack;
  // A track event's name ("Form Submitted"); empty for other types.
  std::string event_name;
  // `context.channel`; empty when absent.
  std::string channel;
  // The name of the write key that sent the event (the server-set top-level "source"); empty
  // when the key has none.
  std::string key_name;
  // The event's corrected timestamp (Event::timestamp).
  Timestamp timestamp;
  std::string message_id;
  // The event's position in the durable log: unique per event, it breaks timestamp ties.
  std::uint64_t sequence = 0;
  // The traits it sets (`traits` of an identify, `context.traits` of other types), each name
  // once. A JSON null is not a value: it neither sets nor unsets a trait, and is left out.
  std::vector<TraitValue> traits;
  // `properties.service_id` as text; empty when absent.
  std::string service_id;
  // False only when `properties.success` is the JSON literal false.
  bool success = true;
};

// Whether `facts` is a successful interaction: it has a channel (of at most
// kMaxSourceNameBytes), `success` is true, and it is not a track event whose name ends in
// " Failed", " Abandoned" or " Declined".
bool IsSuccessfulInteraction(const EventFacts& facts);

// The source an event's values are ranked by, and its rank (0 is the most trusted).
struct RankedSource {
  std::string_view source;
  std::uint32_t rank = kUnrankedSource;
};

// The better rank of the event's key name and channel under `options`; the source is the one
// that gave it (the key name on a tie). When neither is listed: the key name when present,
// else the channel, else kUnknownSource, with rank kUnrankedSource. The view points into
// `facts` or is kUnknownSource: valid while `facts` is.
RankedSource RankSource(const EventFacts& facts, const TraitsOptions& options);

// The surviving value of one trait and its lineage.
struct TraitEntry {
  std::string value_json;
  std::string source;
  std::uint32_t rank = kUnrankedSource;
  std::string message_id;
  Timestamp timestamp;
  std::uint64_t sequence = 0;
  friend bool operator==(const TraitEntry&, const TraitEntry&) = default;
};

// The total order of survivorship: true when `a` beats `b`. A lower rank wins, then a newer
// timestamp, then a higher sequence; entries equal on those three (only one event can give
// them) are ordered by message_id, value_json and source, so that no two distinct entries tie.
bool IsBetterTrait(const TraitEntry& a, const TraitEntry& b);

// A successful interaction, for the preferred channel.
struct Interaction {
  Timestamp timestamp;
  std::uint64_t sequence = 0;
  std::string channel;
  friend bool operator==(const Interaction&, const Interaction&) = default;
};

// True when `a` is newer than `b`: a later timestamp, then a higher sequence, then the channel
// that sorts last.
bool IsNewerInteraction(const Interaction& a, const Interaction& b);

// Traits the writer computes from the events themselves.
struct ComputedTraits {
  // Events applied; every other field is empty or zero when it is 0.
  std::uint64_t event_count = 0;
  // The earliest and latest event timestamps (meaningful when event_count > 0).
  Timestamp first_seen;
  Timestamp last_seen;
  // Events per type, indexed by EventType; they sum to event_count.
  std::array<std::uint64_t, kEventTypeCount> type_counts{};
  // Events per `context.channel` (non-zero counts), at most kMaxChannelsPerProfile channels,
  // and the events of the channels past the cap. Events without a channel are in neither.
  std::map<std::string, std::uint64_t, std::less<>> channel_counts;
  std::uint64_t other_channel_events = 0;
  // The kRecentInteractions newest successful interactions, newest first (IsNewerInteraction).
  std::vector<Interaction> recent_interactions;
  // The service ids events named, sorted and unique; capped as kMaxServicesPerProfile says.
  std::vector<std::string> services;
  bool services_capped = false;
  friend bool operator==(const ComputedTraits&, const ComputedTraits&) = default;
};

using TraitMap = std::map<std::string, TraitEntry, std::less<>>;

// The state of a ProfileTraits, as the storage codec reads and writes it.
struct ProfileTraitsParts {
  // The surviving entry per trait name, at most kMaxTraitsPerProfile.
  TraitMap traits;
  // More distinct trait names were seen than kMaxTraitsPerProfile.
  bool trait_cap_reached = false;
  // Trait values ignored for an empty or overlong name or an overlong value.
  std::uint64_t dropped_values = 0;
  ComputedTraits computed;
  friend bool operator==(const ProfileTraitsParts&, const ProfileTraitsParts&) = default;
};

// A profile's unified and computed traits: a fold of its events. Apply and MergeFrom commute:
// folding a set of events in any order, or folding parts of it separately and merging them,
// gives the same value. So a merge of two profiles recomputes the survivor as the MergeFrom
// of both, and a split recomputes each side by folding its events. Each event must be applied
// once (Apply is not idempotent: counts add up).
// Thread-compatible (const methods may be called concurrently).
class ProfileTraits {
 public:
  // No events.
  ProfileTraits() = default;

  // A ProfileTraits holding `parts`; kInvalidArgument naming the broken invariant when `parts`
  // could not come from a fold (a limit exceeded, a count or order inconsistent).
  static Result<ProfileTraits> FromParts(ProfileTraitsParts parts);

  // Folds in one event. Its trait values replace the stored ones they beat (IsBetterTrait)
  // with the rank RankSource gives under `options`.
  void Apply(const EventFacts& facts, const TraitsOptions& options);

  // Folds in a profile whose events are disjoint from this one's: per trait the better entry,
  // counts summed, the newest interactions kept, services united. Ranks are kept as each
  // entry was given them (a change of source_priority takes a refold to apply).
  void MergeFrom(const ProfileTraits& other);

  const ProfileTraitsParts& parts() const { return parts_; }
  const TraitMap& traits() const { return parts_.traits; }
  const ComputedTraits& computed() const { return parts_.computed; }
  bool trait_cap_reached() const { return parts_.trait_cap_reached; }
  std::uint64_t dropped_values() const { return parts_.dropped_values; }
  // True when no event has been applied.
  bool empty() const { return parts_.computed.event_count == 0; }

  // The entry of trait `name`, or null. Valid until the next non-const call.
  const TraitEntry* FindTrait(std::string_view name) const;

  // The most frequent channel among the recent successful interactions, ties going to the
  // one used most recently; nullopt when there are none. Valid until the next non-const call.
  std::optional<std::string_view> PreferredChannel() const;

  friend bool operator==(const ProfileTraits&, const ProfileTraits&) = default;

 private:
  explicit ProfileTraits(ProfileTraitsParts parts) : parts_(std::move(parts)) {}

  ProfileTraitsParts parts_;
};

}  // namespace cdp
