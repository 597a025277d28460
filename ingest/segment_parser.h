// Parses and validates Segment HTTP Tracking API bodies (/v1/identify ... /v1/batch and
// WebSocket frames) into normalised events, with the limits of API.md.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cdp/clock.h"
#include "cdp/event.h"
#include "cdp/status.h"

namespace cdp::ingest {

// Limits on untrusted input. Defaults are API.md's.
struct IngestLimits {
  // Largest message (one item, as re-serialised); over it the message is invalid (400).
  std::size_t max_message_bytes = std::size_t{32} * 1024;
  // Largest request body after decompression; over it the request is refused (413).
  std::size_t max_request_bytes = std::size_t{500} * 1024;
  // Most messages in one batch; over it the request is refused (413).
  std::size_t max_batch_messages = 2500;
  // Deepest JSON nesting accepted; deeper documents are malformed (400).
  std::size_t max_depth = 64;
  // Longest userId, anonymousId, groupId, previousId and event name.
  std::size_t max_id_length = 255;

  // kInvalidArgument naming the first bad field.
  Status Validate() const;
};

// One invalid message of a request.
struct ItemError {
  std::size_t index = 0;
  std::string message;
};

// What a request body holds.
struct ParsedRequest {
  std::vector<Event> events;
  // The body's top-level "writeKey", when present.
  std::optional<std::string> write_key;
  // For a WebSocket frame: its "seq", when present.
  std::optional<std::int64_t> seq;
  // Non-empty when some messages are invalid: the request is refused whole (400).
  std::vector<ItemError> errors;
};

// Why a request failed, for the rejection metrics: a short snake_case reason.
struct ParseFailure {
  Status status;
  std::string_view reason;
};

// Reusable parser; keep one per thread. Not thread-safe.
class SegmentParser {
 public:
  explicit SegmentParser(const IngestLimits& limits);
  ~SegmentParser();
  SegmentParser(const SegmentParser&) = delete;
  SegmentParser& operator=(const SegmentParser&) = delete;

  // Parses a /v1/batch body. Returns false and fills `failure` when the body as a whole is
  // refused: not JSON, invalid UTF-8, too deep, not an object, "batch" missing or not an
  // array (kInvalidArgument), too large or too many messages (kPayloadTooLarge). Otherwise
  // fills `out`; invalid messages are listed in out->errors with their index.
  bool ParseBatch(std::string_view body, Timestamp received_at, ParsedRequest* out,
                  ParseFailure* failure);

  // Parses the body of /v1/identify, /v1/track, ... whose type the route gives. A "type"
  // field, when present, must agree.
  bool ParseSingle(EventType type, std::string_view body, Timestamp received_at, ParsedRequest* out,
                   ParseFailure* failure);

  // Parses a WebSocket frame: one message (with its "type"), or {"batch": [...], "seq": N}.
  bool ParseFrame(std::string_view frame, Timestamp received_at, ParsedRequest* out,
                  ParseFailure* failure);

 private:
  struct Rep;
  std::unique_ptr<Rep> rep_;
};

}  // namespace cdp::ingest
