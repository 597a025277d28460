// Reads what a stored event contributes to its profile's unified traits (cdp::EventFacts) from
// its normalised JSON.
#pragma once

#include <cstddef>
#include <cstdint>

#include "cdp/event.h"
#include "cdp/profile_traits.h"
#include "cdp/status.h"

namespace cdp::ingest {

// Largest Event::json read, and deepest nesting; anything larger or deeper is refused.
inline constexpr std::size_t kMaxEventFactsJsonBytes = std::size_t{4} << 20;
inline constexpr std::size_t kMaxEventFactsDepth = 1024;

// The facts of `event`, a stored event (Event::json as SegmentParser wrote it), at log position
// `sequence`. Type, messageId and timestamp come from `event`'s fields; from `event.json`:
// - traits: each member of `traits` (identify) or `context.traits` (other types, a group
//   included: a group's own `traits` describe the group), its value re-serialised as compact
//   JSON, objects and arrays whole; a null member is left out; a name given twice keeps its
//   last value; names in bytewise order;
// - the channel: `context.channel` when a string;
// - the key name: the server-set top-level `source` when it is a valid key name
//   (cdp::IsValidKeyName), else none;
// - the event name: a track's `event`;
// - the service: `properties.service_id`, a string or an integer (its decimal text);
// - success: false only when `properties.success` is false.
// Fields of other types than these are ignored (a client may send any context). Errors:
// kInvalidArgument when `event.json` is not JSON (invalid UTF-8, deeper than
// kMaxEventFactsDepth, larger than kMaxEventFactsJsonBytes), not an object, or has a
// `traits` or `properties` that is neither an object nor null (the parser stores no such
// event). Thread-safe: one parser per thread, reused.
Result<EventFacts> ExtractEventFacts(const Event& event, std::uint64_t sequence);

}  // namespace cdp::ingest
