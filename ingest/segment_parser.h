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
#include "cdp/identifier.h"
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

// What a SegmentParser needs besides the limits.
struct SegmentParserOptions {
  IngestLimits limits;
  // Which identifiers events carry and how they are normalised. REQUIRES: Validate() is ok.
  IdentityConfig identity = IdentityConfig::Defaults();
  // Converts phone numbers; null means DefaultPhoneNormalizer() (libphonenumber). Not owned:
  // it must outlive the parser.
  const PhoneNormalizer* phones = nullptr;
};

// kInvalidArgument when identifiers cannot be read at `path` (an IdentifierRule::paths entry)
// because its first segment is a field the server sets or replaces (type, messageId,
// timestamp, originalTimestamp, sentAt, receivedAt, writeKey, integrations, source).
// "context.*" paths are read through the batch context merged into the message.
Status CheckIdentifierPath(std::string_view path);

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
//
// Each event's identifiers (Event::identifiers) come from userId (user_id), anonymousId
// (anonymous_id), an alias's previousId (anonymous_id, source kPreviousId), traits.email,
// traits.phone, traits.nationalId and traits.crmId and the same under context.traits, and
// context.device.id (device_id), then each type's configured paths. A value is a string or,
// from traits and paths, an integer (its decimal text). Invalid and blocked values are
// dropped; weak values and values of non-linking types are kept with linking = false.
//
// The person record (Event::person, and its encoding as one `record` identifier, placed
// after the built-in types and before custom ones) comes from traits.firstName, lastName,
// secondLastName, name, birthday, gender, documentId and address.street, .city,
// .postalCode (or .postal_code, .zip), each folded with FoldText, and from the identifiers
// traits.email, traits.phone and traits.nationalId gave (valid or weak; a value that did not
// normalise is not used; documentId only without a nationalId). Each attribute is read from
// traits, or from context.traits when traits lack it; a group's own traits describe the
// group and are not read. A value that is not a string, or is longer than 256 bytes, is
// ignored. There is no record without a name or a birth date (cdp/person.h). Configured
// paths of the `record` type are ignored: record values are only built here.
class SegmentParser {
 public:
  // With the default identity rules and phone normalizer.
  explicit SegmentParser(const IngestLimits& limits);
  explicit SegmentParser(SegmentParserOptions options);
  ~SegmentParser();
  SegmentParser(const SegmentParser&) = delete;
  SegmentParser& operator=(const SegmentParser&) = delete;

  // Each event's json holds the server-set fields type, messageId, receivedAt, timestamp
  // (and originalTimestamp and sentAt when the client gave them) and, when `source` is not
  // empty, "source": `source`, the name of the write key the request was authorised with
  // (cdp::ApiKey::name). A client's top-level "source" is never stored, so a stored "source"
  // is always the server's.

  // Parses a /v1/batch body. Returns false and fills `failure` when the body as a whole is
  // refused: not JSON, invalid UTF-8, too deep, not an object, "batch" missing or not an
  // array (kInvalidArgument), too large or too many messages (kPayloadTooLarge). Otherwise
  // fills `out`; invalid messages are listed in out->errors with their index.
  bool ParseBatch(std::string_view body, Timestamp received_at, ParsedRequest* out,
                  ParseFailure* failure, std::string_view source = {});

  // Parses the body of /v1/identify, /v1/track, ... whose type the route gives. A "type"
  // field, when present, must agree.
  bool ParseSingle(EventType type, std::string_view body, Timestamp received_at, ParsedRequest* out,
                   ParseFailure* failure, std::string_view source = {});

  // Parses a WebSocket frame: one message (with its "type"), or {"batch": [...], "seq": N}.
  bool ParseFrame(std::string_view frame, Timestamp received_at, ParsedRequest* out,
                  ParseFailure* failure, std::string_view source = {});

  // The identifiers of a stored event: parses `stored_json` (an Event::json this parser, or
  // one with the same options, produced) and returns the Event::identifiers the original
  // parse gave, to rebuild the identity graph from the event log. kInvalidArgument when
  // `stored_json` is not a JSON object with a valid "type" (kPayloadTooLarge over
  // max_request_bytes).
  Result<std::vector<Identifier>> ExtractIdentifiers(std::string_view stored_json);

  // A stored event read back for replay (`cdp rebuild`): type, messageId, timestamp,
  // receivedAt and identifiers as the original parse gave them; `json` is left empty.
  // kInvalidArgument when `stored_json` is not a stored event within the limits.
  Result<Event> ReadStoredEvent(std::string_view stored_json);

 private:
  struct Rep;
  std::unique_ptr<Rep> rep_;
};

}  // namespace cdp::ingest
