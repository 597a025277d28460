// Request bodies of the profile endpoints (API.md, Profiles), parsed and bounded.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "cdp/status.h"

namespace cdp::ingest {

// Largest body of POST /v1/profiles/{ref}/split, and most identifiers in it.
inline constexpr std::size_t kMaxSplitBodyBytes = std::size_t{64} * 1024;
inline constexpr std::size_t kMaxSplitIdentifiers = 1000;

// Parses `{"identifiers": ["type:value", ...]}`: the references as given (not normalised).
// kInvalidArgument for malformed JSON, invalid UTF-8, nesting deeper than 8, a missing or
// empty list, a non-string element, an unknown or repeated field or more than
// kMaxSplitIdentifiers references; kPayloadTooLarge over kMaxSplitBodyBytes.
Result<std::vector<std::string>> ParseSplitRequest(std::string_view body);

// Largest body of POST /v1/review/{id}.
inline constexpr std::size_t kMaxReviewBodyBytes = 1024;

// Parses `{"decision": "match" | "no_match"}` into true for "match", false for "no_match".
// kInvalidArgument for malformed JSON, invalid UTF-8, deep nesting, a missing or repeated
// decision, another value or an unknown field; kPayloadTooLarge over kMaxReviewBodyBytes.
Result<bool> ParseReviewDecision(std::string_view body);

}  // namespace cdp::ingest
