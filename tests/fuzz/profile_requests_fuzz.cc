// Fuzzes the profile request parsers (ingest/profile_requests.h): any bytes give references
// (or a review decision) or an error, never a crash; what parses keeps the documented limits
// and parses back the same after a round trip through the JSON writer.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cdp/json_writer.h"
#include "ingest/profile_requests.h"

namespace {

using cdp::StatusCode;
using cdp::ingest::kMaxReviewBodyBytes;
using cdp::ingest::kMaxSplitBodyBytes;
using cdp::ingest::kMaxSplitIdentifiers;
using cdp::ingest::ParseReviewDecision;
using cdp::ingest::ParseSplitRequest;

void Check(bool condition) {
  if (!condition) __builtin_trap();
}

std::string Render(const std::vector<std::string>& refs) {
  cdp::JsonWriter writer;
  writer.BeginObject().Key("identifiers").BeginArray();
  for (const std::string& ref : refs) writer.String(ref);
  writer.EndArray().EndObject();
  return writer.Release();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto decision = ParseReviewDecision(input);
  if (decision.ok()) {
    Check(size <= kMaxReviewBodyBytes);
    cdp::JsonWriter writer;
    writer.BeginObject().Key("decision").String(*decision ? "match" : "no_match").EndObject();
    auto again = ParseReviewDecision(writer.Release());
    Check(again.ok() && *again == *decision);
  } else {
    Check(decision.status().code() == (size > kMaxReviewBodyBytes ? StatusCode::kPayloadTooLarge
                                                                  : StatusCode::kInvalidArgument));
  }
  auto refs = ParseSplitRequest(input);
  if (!refs.ok()) {
    const StatusCode code = refs.status().code();
    Check(code == (size > kMaxSplitBodyBytes ? StatusCode::kPayloadTooLarge
                                             : StatusCode::kInvalidArgument));
    Check(!refs.status().message().empty());
    return 0;
  }
  Check(size <= kMaxSplitBodyBytes);
  Check(!refs->empty() && refs->size() <= kMaxSplitIdentifiers);
  const std::string again_body = Render(*refs);
  if (again_body.size() <= kMaxSplitBodyBytes) {
    auto again = ParseSplitRequest(again_body);
    Check(again.ok() && *again == *refs);
  }
  return 0;
}
