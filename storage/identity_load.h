// Start-up of the identity graph: the graph stored in a store, loaded into memory, with its
// matcher (the stored match model, the person records indexed, the review items).
#pragma once

#include <memory>

#include "cdp/identifier.h"
#include "cdp/identity_graph.h"
#include "cdp/identity_service.h"
#include "cdp/match_model.h"
#include "cdp/matcher.h"
#include "cdp/status.h"
#include "storage/store.h"

namespace cdp::storage {

// The `meta` key of the current match model (MatchModel::ToText).
inline constexpr std::string_view kMatchModelMetaKey = "match/model";

// The graph of `store` under `config`. kCorruption when the stored records contradict each
// other or do not decode; kIoError on read failures.
Result<std::unique_ptr<IdentityGraph>> LoadIdentityGraph(const Store& store,
                                                         const IdentityConfig& config);

// The stored match model, or the built-in defaults when none was stored. kCorruption when the
// stored one does not parse.
Result<MatchModel> LoadMatchModel(const Store& store);

// The graph and a matcher under `matching` (the stored model, the record nodes indexed, the
// stored review items), the graph calling the matcher for new records. Errors as
// LoadIdentityGraph and LoadMatchModel.
Result<IdentityState> LoadIdentity(const Store& store, const IdentityConfig& config,
                                   const MatcherOptions& matching);

}  // namespace cdp::storage
