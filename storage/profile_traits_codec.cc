#include "storage/profile_traits_codec.h"

#include <chrono>
#include <cstdint>
#include <limits>
#include <utility>

namespace cdp::storage {
namespace {

// Integers are little-endian and fixed-width (storage/FORMAT.md).
void PutU8(std::string& out, std::uint8_t v) { out.push_back(static_cast<char>(v)); }

void PutU16(std::string& out, std::uint16_t v) {
  for (int i = 0; i < 2; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFFu));
}

void PutU32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFFu));
}

void PutU64(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFFu));
}

void PutTime(std::string& out, Timestamp t) {
  PutU64(out, static_cast<std::uint64_t>(t.time_since_epoch().count()));
}

// REQUIRES: s.size() <= 0xFFFF (every string of a valid ProfileTraits is).
void PutString(std::string& out, std::string_view s) {
  PutU16(out, static_cast<std::uint16_t>(s.size()));
  out.append(s);
}

// Reads the fields in order; the first failure sticks and later reads return zeros.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  std::size_t left() const { return bytes_.size() - at_; }

  void Fail(std::string_view what) {
    if (error_.empty()) error_ = what;
  }

  std::uint64_t Fixed(int width, std::string_view what) {
    if (!ok()) return 0;
    if (left() < static_cast<std::size_t>(width)) {
      Fail(std::string("truncated ") + std::string(what));
      return 0;
    }
    std::uint64_t v = 0;
    for (int i = 0; i < width; ++i) {
      v |= static_cast<std::uint64_t>(
               static_cast<unsigned char>(bytes_[at_ + static_cast<std::size_t>(i)]))
           << (8 * i);
    }
    at_ += static_cast<std::size_t>(width);
    return v;
  }
  std::uint8_t U8(std::string_view what) { return static_cast<std::uint8_t>(Fixed(1, what)); }
  std::uint32_t U32(std::string_view what) { return static_cast<std::uint32_t>(Fixed(4, what)); }
  std::uint64_t U64(std::string_view what) { return Fixed(8, what); }
  Timestamp Time(std::string_view what) {
    return Timestamp(std::chrono::milliseconds(static_cast<std::int64_t>(U64(what))));
  }

  // A u16 length and that many bytes, at most `max` of them.
  std::string_view String(std::size_t max, std::string_view what) {
    const std::size_t length = static_cast<std::size_t>(Fixed(2, what));
    if (!ok()) return {};
    if (length > left()) {
      Fail(std::string(what) + " length beyond the value");
      return {};
    }
    if (length > max) {
      Fail(std::string(what) + " longer than its limit");
      return {};
    }
    std::string_view s = bytes_.substr(at_, length);
    at_ += length;
    return s;
  }

  // A u32 count of entries of at least `min_entry` bytes each, at most `max` of them: checked
  // against the bytes present before anything is allocated.
  std::size_t Count(std::size_t max, std::size_t min_entry, std::string_view what) {
    const std::uint32_t count = U32(what);
    if (!ok()) return 0;
    if (count > max) {
      Fail(std::string(what) + " over its limit");
      return 0;
    }
    if (count > left() / min_entry) {
      Fail(std::string(what) + " beyond the value");
      return 0;
    }
    return count;
  }

 private:
  std::string_view bytes_;
  std::size_t at_ = 0;
  std::string error_;
};

constexpr std::uint8_t kTraitCapReached = 1;
constexpr std::uint8_t kServicesCapped = 2;
// The smallest encoded entry of each list: its fixed fields and empty strings.
constexpr std::size_t kMinTraitEntry = 2 + 2 + 2 + 4 + 2 + 8 + 8;
constexpr std::size_t kMinChannelEntry = 2 + 8;
constexpr std::size_t kMinInteractionEntry = 8 + 8 + 2;
constexpr std::size_t kMinServiceEntry = 2;

Status Corrupt(std::string_view defect) {
  return CorruptionError("profile traits record: " + std::string(defect));
}

}  // namespace

std::string EncodeProfileTraits(const ProfileTraits& traits) {
  const ProfileTraitsParts& p = traits.parts();
  const ComputedTraits& c = p.computed;
  std::string out;
  std::size_t size = 94 + c.recent_interactions.size() * kMinInteractionEntry + 12;
  for (const auto& [name, e] : p.traits) {
    size +=
        kMinTraitEntry + name.size() + e.value_json.size() + e.source.size() + e.message_id.size();
  }
  out.reserve(size);
  PutU8(out, static_cast<std::uint8_t>(kProfileTraitsVersion));
  PutU8(out, static_cast<std::uint8_t>((p.trait_cap_reached ? kTraitCapReached : 0) |
                                       (c.services_capped ? kServicesCapped : 0)));
  PutU64(out, p.dropped_values);
  PutU64(out, c.event_count);
  PutTime(out, c.first_seen);
  PutTime(out, c.last_seen);
  for (std::uint64_t n : c.type_counts) PutU64(out, n);
  PutU64(out, c.other_channel_events);
  PutU32(out, static_cast<std::uint32_t>(p.traits.size()));
  for (const auto& [name, e] : p.traits) {
    PutString(out, name);
    PutString(out, e.value_json);
    PutString(out, e.source);
    PutU32(out, e.rank);
    PutString(out, e.message_id);
    PutTime(out, e.timestamp);
    PutU64(out, e.sequence);
  }
  PutU32(out, static_cast<std::uint32_t>(c.channel_counts.size()));
  for (const auto& [channel, n] : c.channel_counts) {
    PutString(out, channel);
    PutU64(out, n);
  }
  PutU32(out, static_cast<std::uint32_t>(c.recent_interactions.size()));
  for (const Interaction& i : c.recent_interactions) {
    PutTime(out, i.timestamp);
    PutU64(out, i.sequence);
    PutString(out, i.channel);
  }
  PutU32(out, static_cast<std::uint32_t>(c.services.size()));
  for (const std::string& id : c.services) PutString(out, id);
  return out;
}

Result<ProfileTraits> DecodeProfileTraits(std::string_view bytes) {
  if (bytes.empty()) return Corrupt("empty value");
  if (bytes[0] != kProfileTraitsVersion) return Corrupt("unknown version byte");
  Reader r(bytes.substr(1));
  ProfileTraitsParts p;
  ComputedTraits& c = p.computed;
  const std::uint8_t flags = r.U8("flags");
  if (r.ok() && (flags & ~(kTraitCapReached | kServicesCapped)) != 0) r.Fail("unknown flag bits");
  p.trait_cap_reached = (flags & kTraitCapReached) != 0;
  c.services_capped = (flags & kServicesCapped) != 0;
  p.dropped_values = r.U64("dropped count");
  c.event_count = r.U64("event count");
  c.first_seen = r.Time("first seen");
  c.last_seen = r.Time("last seen");
  for (std::uint64_t& n : c.type_counts) n = r.U64("type counts");
  c.other_channel_events = r.U64("other channel count");

  const std::size_t traits = r.Count(kMaxTraitsPerProfile, kMinTraitEntry, "trait count");
  std::string_view previous;
  for (std::size_t i = 0; i < traits && r.ok(); ++i) {
    const std::string_view name = r.String(kMaxTraitNameBytes, "trait name");
    TraitEntry e;
    e.value_json = r.String(kMaxTraitValueBytes, "trait value");
    e.source = r.String(kMaxSourceNameBytes, "trait source");
    e.rank = r.U32("trait rank");
    e.message_id = r.String(kMaxMessageIdLength, "trait messageId");
    e.timestamp = r.Time("trait timestamp");
    e.sequence = r.U64("trait sequence");
    if (!r.ok()) break;
    if (i > 0 && !(previous < name)) r.Fail("trait names not in increasing order");
    previous = name;
    p.traits.emplace_hint(p.traits.end(), std::string(name), std::move(e));
  }

  const std::size_t channels = r.Count(kMaxChannelsPerProfile, kMinChannelEntry, "channel count");
  for (std::size_t i = 0; i < channels && r.ok(); ++i) {
    const std::string_view channel = r.String(kMaxSourceNameBytes, "channel");
    const std::uint64_t n = r.U64("channel event count");
    if (!r.ok()) break;
    if (i > 0 && !(previous < channel)) r.Fail("channels not in increasing order");
    previous = channel;
    c.channel_counts.emplace_hint(c.channel_counts.end(), std::string(channel), n);
  }

  const std::size_t interactions =
      r.Count(kRecentInteractions, kMinInteractionEntry, "interaction count");
  c.recent_interactions.reserve(interactions);
  for (std::size_t i = 0; i < interactions && r.ok(); ++i) {
    Interaction interaction;
    interaction.timestamp = r.Time("interaction timestamp");
    interaction.sequence = r.U64("interaction sequence");
    interaction.channel = r.String(kMaxSourceNameBytes, "interaction channel");
    c.recent_interactions.push_back(std::move(interaction));
  }

  const std::size_t services = r.Count(kMaxServicesPerProfile, kMinServiceEntry, "service count");
  c.services.reserve(services);
  for (std::size_t i = 0; i < services && r.ok(); ++i) {
    c.services.emplace_back(r.String(kMaxServiceIdBytes, "service id"));
  }

  if (!r.ok()) return Corrupt(r.error());
  if (r.left() != 0) return Corrupt("trailing bytes");
  auto result = ProfileTraits::FromParts(std::move(p));
  // FromParts names the broken invariant, never contents.
  if (!result.ok()) return CorruptionError(result.status().message());
  return result;
}

}  // namespace cdp::storage
