#include "cdp/profile_traits.h"

#include <algorithm>
#include <iterator>
#include <tuple>

namespace cdp {
namespace {

static_assert(static_cast<std::size_t>(EventType::kAlias) + 1 == kEventTypeCount);

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool ValidSourceName(std::string_view name) {
  return !name.empty() && name.size() <= kMaxSourceNameBytes;
}

// The index of `source` in `options.source_priority`, or kUnrankedSource.
std::uint32_t RankOf(std::string_view source, const TraitsOptions& options) {
  const auto& list = options.source_priority;
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (list[i] == source) return static_cast<std::uint32_t>(i);
  }
  return kUnrankedSource;
}

// Adds with saturation: counts never wrap, whatever a decoded value held.
std::uint64_t SaturatingAdd(std::uint64_t a, std::uint64_t b) {
  return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

// The caps below keep the entries that sort first, so the kept set is the same whatever the
// order of insertion: an entry past the cap is larger than every kept one and stays out.

void AddChannel(ComputedTraits& c, std::string_view channel, std::uint64_t count) {
  auto it = c.channel_counts.find(channel);
  if (it == c.channel_counts.end()) it = c.channel_counts.emplace(std::string(channel), 0).first;
  it->second = SaturatingAdd(it->second, count);
  if (c.channel_counts.size() > kMaxChannelsPerProfile) {
    auto last = std::prev(c.channel_counts.end());
    c.other_channel_events = SaturatingAdd(c.other_channel_events, last->second);
    c.channel_counts.erase(last);
  }
}

void AddService(ComputedTraits& c, std::string_view id) {
  auto it = std::lower_bound(c.services.begin(), c.services.end(), id);
  if (it != c.services.end() && *it == id) return;
  c.services.insert(it, std::string(id));
  if (c.services.size() > kMaxServicesPerProfile) {
    c.services.pop_back();
    c.services_capped = true;
  }
}

void AddInteraction(ComputedTraits& c, const Interaction& interaction) {
  auto& recent = c.recent_interactions;
  // After the entries at least as new, so equal interactions keep a stable order.
  auto it = std::find_if(recent.begin(), recent.end(),
                         [&](const Interaction& r) { return IsNewerInteraction(interaction, r); });
  if (it == recent.end() && recent.size() >= kRecentInteractions) return;
  recent.insert(it, interaction);
  if (recent.size() > kRecentInteractions) recent.pop_back();
}

void OfferTrait(ProfileTraitsParts& parts, std::string_view name, const TraitEntry& entry) {
  auto it = parts.traits.find(name);
  if (it != parts.traits.end()) {
    if (IsBetterTrait(entry, it->second)) it->second = entry;
    return;
  }
  parts.traits.emplace(std::string(name), entry);
  if (parts.traits.size() > kMaxTraitsPerProfile) {
    parts.traits.erase(std::prev(parts.traits.end()));
    parts.trait_cap_reached = true;
  }
}

Status Invalid(std::string_view what) {
  return InvalidArgumentError(std::string("profile traits: ") + std::string(what));
}

}  // namespace

Status TraitsOptions::Validate() const {
  if (source_priority.size() > kMaxSourcePriorityEntries) {
    return InvalidArgumentError("source_priority: more than " +
                                std::to_string(kMaxSourcePriorityEntries) + " entries");
  }
  for (std::size_t i = 0; i < source_priority.size(); ++i) {
    const std::string where = "source_priority[" + std::to_string(i) + "]";
    const std::string& name = source_priority[i];
    if (name.empty()) return InvalidArgumentError(where + ": empty source name");
    if (name.size() > kMaxSourceNameBytes) {
      return InvalidArgumentError(where + ": longer than " + std::to_string(kMaxSourceNameBytes) +
                                  " bytes");
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (source_priority[j] == name) return InvalidArgumentError(where + ": listed twice");
    }
  }
  return Status::Ok();
}

bool IsSuccessfulInteraction(const EventFacts& facts) {
  if (!ValidSourceName(facts.channel) || !facts.success) return false;
  if (facts.type == EventType::kTrack) {
    for (std::string_view suffix : {" Failed", " Abandoned", " Declined"}) {
      if (EndsWith(facts.event_name, suffix)) return false;
    }
  }
  return true;
}

RankedSource RankSource(const EventFacts& facts, const TraitsOptions& options) {
  const bool has_key = ValidSourceName(facts.key_name);
  const bool has_channel = ValidSourceName(facts.channel);
  const std::uint32_t key_rank = has_key ? RankOf(facts.key_name, options) : kUnrankedSource;
  const std::uint32_t channel_rank = has_channel ? RankOf(facts.channel, options) : kUnrankedSource;
  if (has_channel && channel_rank < key_rank) return {facts.channel, channel_rank};
  if (has_key) return {facts.key_name, key_rank};
  if (has_channel) return {facts.channel, channel_rank};
  return {kUnknownSource, kUnrankedSource};
}

bool IsBetterTrait(const TraitEntry& a, const TraitEntry& b) {
  if (a.rank != b.rank) return a.rank < b.rank;
  if (a.timestamp != b.timestamp) return a.timestamp > b.timestamp;
  if (a.sequence != b.sequence) return a.sequence > b.sequence;
  return std::tie(a.message_id, a.value_json, a.source) >
         std::tie(b.message_id, b.value_json, b.source);
}

bool IsNewerInteraction(const Interaction& a, const Interaction& b) {
  return std::tie(a.timestamp, a.sequence, a.channel) >
         std::tie(b.timestamp, b.sequence, b.channel);
}

Result<ProfileTraits> ProfileTraits::FromParts(ProfileTraitsParts parts) {
  const ComputedTraits& c = parts.computed;
  if (c.event_count == 0) {
    if (!(parts == ProfileTraitsParts{})) return Invalid("state without events");
    return ProfileTraits(std::move(parts));
  }
  if (c.first_seen > c.last_seen) return Invalid("first_seen after last_seen");
  std::uint64_t typed = 0;
  for (std::uint64_t n : c.type_counts) {
    if (n > c.event_count - typed) return Invalid("type counts exceed the event count");
    typed += n;
  }
  if (typed != c.event_count) return Invalid("type counts do not sum to the event count");

  if (parts.traits.size() > kMaxTraitsPerProfile) return Invalid("too many traits");
  if (parts.trait_cap_reached && parts.traits.size() != kMaxTraitsPerProfile) {
    return Invalid("trait cap reached below the cap");
  }
  for (const auto& [name, entry] : parts.traits) {
    if (name.empty() || name.size() > kMaxTraitNameBytes) return Invalid("bad trait name");
    if (entry.value_json.empty() || entry.value_json.size() > kMaxTraitValueBytes) {
      return Invalid("bad trait value");
    }
    if (!ValidSourceName(entry.source)) return Invalid("bad trait source");
    if (entry.message_id.size() > kMaxMessageIdLength) return Invalid("bad trait messageId");
  }

  if (c.channel_counts.size() > kMaxChannelsPerProfile) return Invalid("too many channels");
  std::uint64_t channelled = c.other_channel_events;
  if (channelled > c.event_count) return Invalid("channel counts exceed the event count");
  for (const auto& [channel, n] : c.channel_counts) {
    if (!ValidSourceName(channel)) return Invalid("bad channel");
    if (n == 0) return Invalid("zero channel count");
    if (n > c.event_count - channelled) return Invalid("channel counts exceed the event count");
    channelled += n;
  }

  if (c.recent_interactions.size() > kRecentInteractions) return Invalid("too many interactions");
  for (std::size_t i = 0; i < c.recent_interactions.size(); ++i) {
    if (!ValidSourceName(c.recent_interactions[i].channel)) return Invalid("bad channel");
    if (i > 0 && IsNewerInteraction(c.recent_interactions[i], c.recent_interactions[i - 1])) {
      return Invalid("interactions out of order");
    }
  }

  if (c.services.size() > kMaxServicesPerProfile) return Invalid("too many services");
  if (c.services_capped && c.services.size() != kMaxServicesPerProfile) {
    return Invalid("service cap reached below the cap");
  }
  for (std::size_t i = 0; i < c.services.size(); ++i) {
    if (c.services[i].empty() || c.services[i].size() > kMaxServiceIdBytes) {
      return Invalid("bad service id");
    }
    if (i > 0 && !(c.services[i - 1] < c.services[i])) return Invalid("services out of order");
  }
  return ProfileTraits(std::move(parts));
}

void ProfileTraits::Apply(const EventFacts& facts, const TraitsOptions& options) {
  ComputedTraits& c = parts_.computed;
  if (c.event_count == 0) {
    c.first_seen = facts.timestamp;
    c.last_seen = facts.timestamp;
  } else {
    c.first_seen = std::min(c.first_seen, facts.timestamp);
    c.last_seen = std::max(c.last_seen, facts.timestamp);
  }
  c.event_count = SaturatingAdd(c.event_count, 1);
  auto& type_count = c.type_counts[static_cast<std::size_t>(facts.type)];
  type_count = SaturatingAdd(type_count, 1);
  if (ValidSourceName(facts.channel)) AddChannel(c, facts.channel, 1);
  if (IsSuccessfulInteraction(facts)) {
    AddInteraction(c, Interaction{facts.timestamp, facts.sequence, facts.channel});
  }
  if (!facts.service_id.empty() && facts.service_id.size() <= kMaxServiceIdBytes) {
    AddService(c, facts.service_id);
  }

  if (facts.traits.empty()) return;
  if (facts.message_id.size() > kMaxMessageIdLength) {
    parts_.dropped_values = SaturatingAdd(parts_.dropped_values, facts.traits.size());
    return;
  }
  const RankedSource ranked = RankSource(facts, options);
  TraitEntry entry;
  entry.source = std::string(ranked.source);
  entry.rank = ranked.rank;
  entry.message_id = facts.message_id;
  entry.timestamp = facts.timestamp;
  entry.sequence = facts.sequence;
  for (const TraitValue& trait : facts.traits) {
    if (trait.name.empty() || trait.name.size() > kMaxTraitNameBytes || trait.value_json.empty() ||
        trait.value_json.size() > kMaxTraitValueBytes) {
      parts_.dropped_values = SaturatingAdd(parts_.dropped_values, 1);
      continue;
    }
    entry.value_json = trait.value_json;
    OfferTrait(parts_, trait.name, entry);
  }
}

void ProfileTraits::MergeFrom(const ProfileTraits& other) {
  if (other.empty()) return;
  if (empty()) {
    parts_ = other.parts_;
    return;
  }
  const ProfileTraitsParts& o = other.parts_;
  ComputedTraits& c = parts_.computed;
  c.first_seen = std::min(c.first_seen, o.computed.first_seen);
  c.last_seen = std::max(c.last_seen, o.computed.last_seen);
  c.event_count = SaturatingAdd(c.event_count, o.computed.event_count);
  for (std::size_t i = 0; i < kEventTypeCount; ++i) {
    c.type_counts[i] = SaturatingAdd(c.type_counts[i], o.computed.type_counts[i]);
  }
  for (const auto& [channel, n] : o.computed.channel_counts) AddChannel(c, channel, n);
  c.other_channel_events = SaturatingAdd(c.other_channel_events, o.computed.other_channel_events);
  for (const Interaction& interaction : o.computed.recent_interactions) {
    AddInteraction(c, interaction);
  }
  for (const std::string& id : o.computed.services) AddService(c, id);
  c.services_capped = c.services_capped || o.computed.services_capped;
  for (const auto& [name, entry] : o.traits) OfferTrait(parts_, name, entry);
  parts_.trait_cap_reached = parts_.trait_cap_reached || o.trait_cap_reached;
  parts_.dropped_values = SaturatingAdd(parts_.dropped_values, o.dropped_values);
}

const TraitEntry* ProfileTraits::FindTrait(std::string_view name) const {
  auto it = parts_.traits.find(name);
  return it == parts_.traits.end() ? nullptr : &it->second;
}

std::optional<std::string_view> ProfileTraits::PreferredChannel() const {
  const auto& recent = parts_.computed.recent_interactions;
  std::optional<std::string_view> best;
  std::size_t best_count = 0;
  // Newest first: a later channel must be strictly more frequent to win a tie.
  for (std::size_t i = 0; i < recent.size(); ++i) {
    const std::string_view channel = recent[i].channel;
    bool counted = false;
    for (std::size_t j = 0; j < i && !counted; ++j) counted = recent[j].channel == channel;
    if (counted) continue;
    std::size_t count = 0;
    for (const Interaction& r : recent) count += r.channel == channel ? 1u : 0u;
    if (count > best_count) {
      best = channel;
      best_count = count;
    }
  }
  return best;
}

}  // namespace cdp
