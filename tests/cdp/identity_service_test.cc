#include "cdp/identity_service.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cdp {
namespace {

Event MakeEvent(std::string message_id, std::vector<Identifier> ids) {
  Event e;
  e.type = EventType::kIdentify;
  e.message_id = std::move(message_id);
  e.timestamp = Timestamp(std::chrono::seconds(1'790'000'000));
  e.received_at = e.timestamp;
  e.identifiers = std::move(ids);
  return e;
}

Identifier Id(IdentifierType type, std::string value) {
  return Identifier{type, std::move(value), true, IdentifierSource::kMessage};
}

// Applies `events` through the service as one commit would; returns the delta.
GraphDelta Apply(IdentityService& service, const std::vector<Event>& events,
                 std::uint64_t first_sequence) {
  std::vector<const Event*> pointers;
  std::vector<std::uint64_t> sequences;
  for (const Event& e : events) {
    pointers.push_back(&e);
    sequences.push_back(first_sequence++);
  }
  GraphDelta delta;
  service.Apply(pointers, sequences, &delta);
  return delta;
}

// A graph loaded from `delta`'s records, as storage would hand them back.
std::unique_ptr<IdentityGraph> Load(const GraphDelta& delta) {
  auto graph = std::make_unique<IdentityGraph>(IdentityConfig::Defaults());
  for (const auto& n : delta.nodes) graph->LoadNode(n);
  for (const auto& e : delta.edges) graph->LoadEdge(e);
  for (const auto& p : delta.profiles) graph->LoadProfile(p);
  EXPECT_TRUE(graph->FinishLoad().ok());
  return graph;
}

std::string Metric(const MetricsRegistry& metrics, const std::string& name) {
  const std::string text = metrics.RenderPrometheus();
  const std::size_t at = text.find("\n" + name + " ");
  if (at == std::string::npos) return "";
  const std::size_t start = at + name.size() + 2;
  return text.substr(start, text.find('\n', start) - start);
}

TEST(IdentityServiceTest, ApplyChangesTheGraphAndPublishesItsMetrics) {
  MetricsRegistry metrics;
  IdentityService service(
      IdentityState{std::make_unique<IdentityGraph>(IdentityConfig::Defaults()), nullptr}, nullptr,
      &metrics);
  const GraphDelta delta =
      Apply(service, {MakeEvent("m1", {Id(kUserId, "u1"), Id(kAnonymousId, "a1")})}, 1);
  EXPECT_EQ(delta.nodes.size(), 2u);
  EXPECT_EQ(delta.edges.size(), 1u);
  const auto profile =
      service.Read([](const IdentityGraph& g) { return g.FindProfile(kAnonymousId, "a1"); });
  EXPECT_TRUE(profile.has_value());
  EXPECT_EQ(Metric(metrics, "cdp_identity_identifiers"), "2");
  EXPECT_EQ(Metric(metrics, "cdp_identity_profiles"), "1");
}

TEST(IdentityServiceTest, AbandonRestoresTheGraphFromStorage) {
  MetricsRegistry metrics;
  // What storage holds: the first commit only.
  GraphDelta stored;
  IdentityService service(
      IdentityState{std::make_unique<IdentityGraph>(IdentityConfig::Defaults()), nullptr},
      [&stored]() -> Result<IdentityState> {
        return IdentityState{Load(stored), nullptr};
      },
      &metrics);
  stored = Apply(service, {MakeEvent("m1", {Id(kUserId, "u1"), Id(kAnonymousId, "a1")})}, 1);
  // The second commit's write fails after the graph took its events.
  Apply(service, {MakeEvent("m2", {Id(kUserId, "u1"), Id(kEmail, "x@example.es")})}, 2);
  EXPECT_TRUE(service.Read(
      [](const IdentityGraph& g) { return g.FindProfile(kEmail, "x@example.es").has_value(); }));
  service.Abandon();
  EXPECT_FALSE(service.Read(
      [](const IdentityGraph& g) { return g.FindProfile(kEmail, "x@example.es").has_value(); }));
  EXPECT_TRUE(service.Read(
      [](const IdentityGraph& g) { return g.FindProfile(kUserId, "u1").has_value(); }));
  EXPECT_EQ(Metric(metrics, "cdp_identity_identifiers"), "2");
  EXPECT_EQ(Metric(metrics, "cdp_identity_reload_failures_total"), "0");
}

TEST(IdentityServiceTest, AFailedReloadKeepsTheGraphAndIsCounted) {
  MetricsRegistry metrics;
  IdentityService service(
      IdentityState{std::make_unique<IdentityGraph>(IdentityConfig::Defaults()), nullptr},
      []() -> Result<IdentityState> { return IoError("disk gone"); }, &metrics);
  Apply(service, {MakeEvent("m1", {Id(kUserId, "u1")})}, 1);
  service.Abandon();
  EXPECT_TRUE(service.Read(
      [](const IdentityGraph& g) { return g.FindProfile(kUserId, "u1").has_value(); }));
  EXPECT_EQ(Metric(metrics, "cdp_identity_reload_failures_total"), "1");
}

}  // namespace
}  // namespace cdp
