// Fuzzes the Segment body parser: any bytes, as a /v1/batch body, a /v1/track body and a
// WebSocket frame, must give a request or a failure that keeps the parser's invariants, and
// events whose identifiers ExtractIdentifiers gives back from their stored JSON.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "cdp/event.h"
#include "cdp/person.h"
#include "ingest/segment_parser.h"

namespace {

using cdp::ingest::IngestLimits;
using cdp::ingest::ParsedRequest;
using cdp::ingest::ParseFailure;
using cdp::ingest::SegmentParser;

// Small limits, so that the fuzzer reaches each of them.
IngestLimits FuzzLimits() {
  IngestLimits limits;
  limits.max_message_bytes = 2048;
  limits.max_request_bytes = std::size_t{16} * 1024;
  limits.max_batch_messages = 16;
  limits.max_depth = 16;
  limits.max_id_length = 64;
  return limits;
}

void Check(bool condition) {
  if (!condition) __builtin_trap();
}

// Checks one parse call's result. `single` when the body holds exactly one message.
void CheckResult(bool ok, const ParsedRequest& out, const ParseFailure& failure,
                 cdp::Timestamp received_at, bool single) {
  const IngestLimits limits = FuzzLimits();
  if (!ok) {
    Check(!failure.status.ok());
    Check(!failure.reason.empty());
    return;
  }
  const std::size_t items = out.events.size() + out.errors.size();
  Check(items <= limits.max_batch_messages);
  if (single) Check(items == 1);
  for (const cdp::Event& e : out.events) {
    Check(!e.message_id.empty());
    Check(e.message_id.size() <= cdp::kMaxMessageIdLength);
    Check(e.json.size() >= 2 && e.json.front() == '{' && e.json.back() == '}');
    Check(e.json.size() <= limits.max_message_bytes);
    Check(e.received_at == received_at);
  }
  std::size_t previous = 0;
  for (std::size_t i = 0; i < out.errors.size(); ++i) {
    const cdp::ingest::ItemError& error = out.errors[i];
    Check(error.index < items);
    Check(i == 0 || error.index > previous);
    Check(!error.message.empty());
    previous = error.index;
  }
}

// Each event's identifiers are normalised, in type order, with one `record` exactly when
// the event has a person (its encoding), and what ExtractIdentifiers and ReadStoredEvent give
// back from the stored JSON.
void CheckIdentifiers(SegmentParser& parser, const ParsedRequest& out) {
  for (const cdp::Event& e : out.events) {
    std::size_t records = 0;
    for (std::size_t i = 0; i < e.identifiers.size(); ++i) {
      const cdp::Identifier& id = e.identifiers[i];
      Check(!id.value.empty() && id.value.size() <= cdp::kMaxIdentifierValueLength);
      Check(id.type < cdp::kBuiltinIdentifierTypes);
      Check(i == 0 || e.identifiers[i - 1].type <= id.type);
      if (id.type == cdp::kPersonRecord) {
        ++records;
        auto decoded = cdp::DecodePersonRecord(id.value);
        Check(decoded.ok() && e.person.has_value() && *decoded == *e.person);
      }
    }
    Check(records == (e.person.has_value() ? 1u : 0u));
    auto again = parser.ExtractIdentifiers(e.json);
    Check(again.ok() && *again == e.identifiers);
    auto stored = parser.ReadStoredEvent(e.json);
    Check(stored.ok() && stored->identifiers == e.identifiers && stored->person == e.person);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static SegmentParser parser(FuzzLimits());
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const cdp::Timestamp received_at{std::chrono::milliseconds(1'772'366'400'000)};

  ParsedRequest batch;
  ParseFailure batch_failure;
  const bool batch_ok = parser.ParseBatch(input, received_at, &batch, &batch_failure);
  CheckResult(batch_ok, batch, batch_failure, received_at, /*single=*/false);
  CheckIdentifiers(parser, batch);

  // The reused parser keeps no state between calls: the same body gives the same outcome.
  ParsedRequest again;
  ParseFailure again_failure;
  Check(parser.ParseBatch(input, received_at, &again, &again_failure) == batch_ok);
  Check(again.events.size() == batch.events.size());
  Check(again.errors.size() == batch.errors.size());
  if (!batch_ok) Check(again_failure.reason == batch_failure.reason);

  ParsedRequest track;
  ParseFailure track_failure;
  const bool track_ok =
      parser.ParseSingle(cdp::EventType::kTrack, input, received_at, &track, &track_failure);
  CheckResult(track_ok, track, track_failure, received_at, /*single=*/true);
  for (const cdp::Event& e : track.events) Check(e.type == cdp::EventType::kTrack);

  ParsedRequest frame;
  ParseFailure frame_failure;
  const bool frame_ok = parser.ParseFrame(input, received_at, &frame, &frame_failure);
  CheckResult(frame_ok, frame, frame_failure, received_at, /*single=*/false);
  CheckIdentifiers(parser, frame);
  return 0;
}
