// An ingested event: one Segment message, validated and normalised, as the writer stores it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cdp/clock.h"
#include "cdp/identifier.h"
#include "cdp/person.h"

namespace cdp {

enum class EventType : std::uint8_t { kIdentify, kTrack, kPage, kScreen, kGroup, kAlias };

// "identify", "track", ...
std::string_view EventTypeName(EventType type);
std::optional<EventType> ParseEventType(std::string_view name);

// Longest messageId accepted (API.md).
inline constexpr std::size_t kMaxMessageIdLength = 100;

struct Event {
  EventType type = EventType::kTrack;
  // The deduplication key: the client's messageId, or one the server generated.
  std::string message_id;
  Timestamp received_at;
  // The client's timestamp corrected for clock skew (API.md), or received_at when absent.
  Timestamp timestamp;
  // The normalised message as a JSON object: the client's fields, batch context merged in,
  // messageId, receivedAt and the corrected timestamp set by the server.
  std::string json;
  // The identifiers the message carries, normalised, each (type, value) once, in the order of
  // IdentifierType then first appearance. Not stored: re-extracted from `json` when needed.
  std::vector<Identifier> identifiers;
  // The person attributes the message carries (traits), when they are enough to match on;
  // their encoding is also among `identifiers` as a `record`. Not stored: re-extracted.
  std::optional<PersonRecord> person;
};

}  // namespace cdp
