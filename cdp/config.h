// The server's configuration as read from the JSON config file (see docs/CONFIG.md).
// Parsing lives in ingest/config_parser.h; this is the plain data.
#pragma once

#include <vector>

#include "cdp/auth.h"
#include "cdp/identifier.h"
#include "cdp/matcher.h"
#include "cdp/profile_traits.h"

namespace cdp {

struct Config {
  // API keys with their scopes. Empty means "none configured": the server creates a demo set.
  std::vector<ApiKey> keys;
  // Identifier types, their rules and the block list (the "identity" section).
  IdentityConfig identity = IdentityConfig::Defaults();
  // The probabilistic matcher's thresholds and limits (the "matching" section).
  MatcherOptions matching;
  // The survivorship rules of unified traits (the "profiles" section).
  TraitsOptions profiles;
};

}  // namespace cdp
