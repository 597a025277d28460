// Start-up of the identity graph: the graph stored in a store, loaded into memory.
#pragma once

#include <memory>

#include "cdp/identifier.h"
#include "cdp/identity_graph.h"
#include "cdp/status.h"
#include "storage/store.h"

namespace cdp::storage {

// The graph of `store` under `config`. kCorruption when the stored records contradict each
// other or do not decode; kIoError on read failures.
Result<std::unique_ptr<IdentityGraph>> LoadIdentityGraph(const Store& store,
                                                         const IdentityConfig& config);

}  // namespace cdp::storage
