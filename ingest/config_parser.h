// Parses the server's JSON config file (docs/CONFIG.md) into cdp::Config.
#pragma once

#include <string_view>

#include "cdp/config.h"
#include "cdp/status.h"

namespace cdp::ingest {

// Largest config document accepted.
inline constexpr std::size_t kMaxConfigBytes = 4u << 20;

// Parses `json`. Unknown top-level sections are ignored (later versions add them); within a
// known section every field is checked. Errors: kInvalidArgument naming the offending path,
// e.g. "keys[1].scopes[0]: unknown scope". The keys are validated as KeySet::Create does; the
// "identity" section is applied over IdentityConfig::Defaults() and validated with
// IdentityConfig::Validate and CheckIdentifierPath.
Result<Config> ParseConfig(std::string_view json);

}  // namespace cdp::ingest
