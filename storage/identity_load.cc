#include "storage/identity_load.h"

#include <vector>

namespace cdp::storage {
namespace {

// Feeds the graph and keeps the review items for the matcher.
class IdentityLoader final : public GraphRecordSink {
 public:
  explicit IdentityLoader(IdentityGraph* graph) : graph_(graph) {}
  void OnNode(const NodeRecord& record) override { graph_.OnNode(record); }
  void OnEdge(const EdgeRecord& record) override { graph_.OnEdge(record); }
  void OnProfile(const ProfileRecord& record) override { graph_.OnProfile(record); }
  void OnCannotLink(const CannotLinkRecord& record) override { graph_.OnCannotLink(record); }
  void OnReview(const ReviewRecord& record) override { reviews.push_back(record); }

  std::vector<ReviewRecord> reviews;

 private:
  IdentityGraphLoader graph_;
};

}  // namespace

Result<std::unique_ptr<IdentityGraph>> LoadIdentityGraph(const Store& store,
                                                         const IdentityConfig& config) {
  auto graph = std::make_unique<IdentityGraph>(config);
  IdentityGraphLoader sink(graph.get());
  CDP_RETURN_IF_ERROR(store.LoadGraph(&sink).WithContext("loading the identity graph"));
  CDP_RETURN_IF_ERROR(graph->FinishLoad().WithContext("loading the identity graph"));
  return graph;
}

Result<MatchModel> LoadMatchModel(const Store& store) {
  CDP_ASSIGN_OR_RETURN(std::optional<std::string> text, store.GetMeta(kMatchModelMetaKey));
  if (!text) return MatchModel::Defaults();
  Result<MatchModel> model = MatchModel::FromText(*text);
  if (!model.ok()) {
    return CorruptionError("the stored match model does not parse: " +
                           std::string(model.status().message()));
  }
  return model;
}

Result<IdentityState> LoadIdentity(const Store& store, const IdentityConfig& config,
                                   const MatcherOptions& matching) {
  IdentityState state;
  state.graph = std::make_unique<IdentityGraph>(config);
  IdentityLoader sink(state.graph.get());
  CDP_RETURN_IF_ERROR(store.LoadGraph(&sink).WithContext("loading the identity graph"));
  CDP_RETURN_IF_ERROR(state.graph->FinishLoad().WithContext("loading the identity graph"));
  CDP_ASSIGN_OR_RETURN(MatchModel model, LoadMatchModel(store));
  state.matcher = std::make_unique<Matcher>(matching, model);
  for (const ReviewRecord& review : sink.reviews) state.matcher->LoadReview(review);
  CDP_RETURN_IF_ERROR(
      state.matcher->LoadFromGraph(*state.graph).WithContext("indexing the person records"));
  state.graph->SetRecordResolver(state.matcher.get());
  return state;
}

}  // namespace cdp::storage
