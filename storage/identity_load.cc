#include "storage/identity_load.h"

namespace cdp::storage {

Result<std::unique_ptr<IdentityGraph>> LoadIdentityGraph(const Store& store,
                                                         const IdentityConfig& config) {
  auto graph = std::make_unique<IdentityGraph>(config);
  IdentityGraphLoader sink(graph.get());
  CDP_RETURN_IF_ERROR(store.LoadGraph(&sink).WithContext("loading the identity graph"));
  CDP_RETURN_IF_ERROR(graph->FinishLoad().WithContext("loading the identity graph"));
  return graph;
}

}  // namespace cdp::storage
