#include "cdp/identity_graph.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace cdp {
namespace {

Timestamp At(std::int64_t seconds) { return Timestamp(std::chrono::seconds(seconds)); }

Identifier Id(IdentifierType type, std::string value) {
  return Identifier{type, std::move(value), true, IdentifierSource::kMessage};
}

Event MakeEvent(std::string message_id, std::int64_t seconds, std::vector<Identifier> ids) {
  Event e;
  e.type = EventType::kIdentify;
  e.message_id = std::move(message_id);
  e.timestamp = At(seconds);
  e.received_at = e.timestamp;
  std::sort(ids.begin(), ids.end(),
            [](const Identifier& x, const Identifier& y) { return x.type < y.type; });
  e.identifiers = std::move(ids);
  return e;
}

// Records every delta, so that the stored image can be rebuilt like storage would.
class GraphHarness {
 public:
  explicit GraphHarness(IdentityConfig config = IdentityConfig::Defaults())
      : config_(std::move(config)), graph_(std::make_unique<IdentityGraph>(config_)) {}

  IdentityGraph& graph() { return *graph_; }

  void Apply(const Event& e) {
    graph_->ApplyEvent(e, ++sequence_);
    Flush();
  }

  void Flush() {
    GraphDelta delta;
    graph_->TakeDelta(&delta);
    for (auto& n : delta.nodes) nodes_[n.node] = n;
    for (auto& e : delta.edges) {
      if (e.state_only) {
        ASSERT_TRUE(edges_.contains({e.a, e.b})) << "state_only write of an unknown edge";
        edges_[{e.a, e.b}].state = e.state;
      } else {
        edges_[{e.a, e.b}] = e;
      }
    }
    for (auto& p : delta.profiles) profiles_[p.id] = p;
    for (auto& c : delta.cannot_links) cannot_links_[c.id] = c;
  }

  // A graph loaded from the recorded image, as after a restart.
  std::unique_ptr<IdentityGraph> Reload() const {
    auto g = std::make_unique<IdentityGraph>(config_);
    for (const auto& [id, n] : nodes_) g->LoadNode(n);
    for (const auto& [k, e] : edges_) g->LoadEdge(e);
    for (const auto& [id, p] : profiles_) g->LoadProfile(p);
    for (const auto& [id, c] : cannot_links_) g->LoadCannotLink(c);
    const Status s = g->FinishLoad();
    EXPECT_TRUE(s.ok()) << s.ToString();
    return g;
  }

  std::uint64_t Profile(IdentifierType type, const std::string& value) {
    auto p = graph_->FindProfile(type, value);
    EXPECT_TRUE(p.has_value()) << value;
    return p.value_or(0);
  }

  const std::map<std::pair<std::uint32_t, std::uint32_t>, EdgeRecord>& edges() const {
    return edges_;
  }

 private:
  IdentityConfig config_;
  std::unique_ptr<IdentityGraph> graph_;
  std::uint64_t sequence_ = 0;
  std::map<std::uint32_t, NodeRecord> nodes_;
  std::map<std::pair<std::uint32_t, std::uint32_t>, EdgeRecord> edges_;
  std::map<std::uint64_t, ProfileRecord> profiles_;
  std::map<std::uint32_t, CannotLinkRecord> cannot_links_;
};

TEST(IdentityGraphTest, CoOccurrenceMergesIdentifiers) {
  GraphHarness h;
  h.Apply(MakeEvent("m1", 100, {Id(kUserId, "u1"), Id(kAnonymousId, "a1")}));
  EXPECT_EQ(h.Profile(kUserId, "u1"), h.Profile(kAnonymousId, "a1"));
  EXPECT_EQ(h.graph().Stats().profiles, 1u);
}

TEST(IdentityGraphTest, MergeIsTransitiveAndKeepsTheOlderId) {
  GraphHarness h;
  h.Apply(MakeEvent("m1", 100, {Id(kAnonymousId, "a1")}));
  const std::uint64_t older = h.Profile(kAnonymousId, "a1");
  h.Apply(MakeEvent("m2", 101, {Id(kEmail, "x@example.es"), Id(kAnonymousId, "a2")}));
  const std::uint64_t newer = h.Profile(kEmail, "x@example.es");
  ASSERT_NE(older, newer);
  h.Apply(
      MakeEvent("m3", 102, {Id(kUserId, "u1"), Id(kAnonymousId, "a1"), Id(kAnonymousId, "a2")}));
  EXPECT_EQ(h.Profile(kEmail, "x@example.es"), older);
  EXPECT_EQ(h.Profile(kUserId, "u1"), older);
  // The merged id redirects to the survivor.
  EXPECT_EQ(h.graph().ResolveProfileId(newer), older);
  const ProfileView view = h.graph().View(older);
  EXPECT_EQ(view.identifiers.size(), 4u);
  EXPECT_NE(std::find(view.merged_ids.begin(), view.merged_ids.end(), newer),
            view.merged_ids.end());
}

TEST(IdentityGraphTest, AliasLinksWithTheAliasRule) {
  GraphHarness h;
  Event alias = MakeEvent("m1", 100, {Id(kUserId, "u1")});
  alias.type = EventType::kAlias;
  alias.identifiers.push_back(Identifier{kAnonymousId, "a1", true, IdentifierSource::kPreviousId});
  h.Apply(alias);
  EXPECT_EQ(h.Profile(kUserId, "u1"), h.Profile(kAnonymousId, "a1"));
  ASSERT_EQ(h.edges().size(), 1u);
  EXPECT_EQ(h.edges().begin()->second.rule, LinkRule::kAlias);
  EXPECT_EQ(h.edges().begin()->second.evidence_message, "m1");
}

TEST(IdentityGraphTest, TwoNationalIdsNeverMergeWhateverThePath) {
  GraphHarness h;
  h.Apply(MakeEvent("m1", 100, {Id(kNationalId, "12345678Z"), Id(kEmail, "a@x.es")}));
  h.Apply(MakeEvent("m2", 101, {Id(kNationalId, "87654321X"), Id(kAnonymousId, "d1")}));
  // A path through shared identifiers: email -> device -> the other DNI.
  h.Apply(MakeEvent("m3", 102, {Id(kEmail, "a@x.es"), Id(kAnonymousId, "d9")}));
  h.Apply(MakeEvent("m4", 103, {Id(kAnonymousId, "d9"), Id(kDeviceId, "dev")}));
  h.Apply(MakeEvent("m5", 104, {Id(kDeviceId, "dev"), Id(kAnonymousId, "d1")}));
  EXPECT_NE(h.Profile(kNationalId, "12345678Z"), h.Profile(kNationalId, "87654321X"));
  EXPECT_GE(h.graph().Stats().conflicts, 1u);
  bool refused = false;
  for (const auto& [k, e] : h.edges()) refused |= e.state == EdgeState::kRefused;
  EXPECT_TRUE(refused);
}

TEST(IdentityGraphTest, ConflictAttachesTheRestToTheHighestPriorityIdentifier) {
  GraphHarness h;
  h.Apply(MakeEvent("m1", 100, {Id(kNationalId, "12345678Z"), Id(kEmail, "a@x.es")}));
  // A second DNI with the same email and a new anonymous id: email stays, anon joins DNI 2.
  h.Apply(MakeEvent("m2", 101,
                    {Id(kNationalId, "87654321X"), Id(kEmail, "a@x.es"), Id(kAnonymousId, "new")}));
  EXPECT_EQ(h.Profile(kEmail, "a@x.es"), h.Profile(kNationalId, "12345678Z"));
  EXPECT_EQ(h.Profile(kAnonymousId, "new"), h.Profile(kNationalId, "87654321X"));
  EXPECT_NE(h.Profile(kNationalId, "12345678Z"), h.Profile(kNationalId, "87654321X"));
}

TEST(IdentityGraphTest, EarliestEvidenceWinsAConflictWhateverTheArrivalOrder) {
  // The second event (by time) arrives first; the first by time still wins the email.
  GraphHarness h;
  h.Apply(MakeEvent("late", 200, {Id(kUserId, "u2"), Id(kEmail, "shared@x.es")}));
  h.Apply(MakeEvent("early", 100, {Id(kUserId, "u1"), Id(kEmail, "shared@x.es")}));
  EXPECT_EQ(h.Profile(kEmail, "shared@x.es"), h.Profile(kUserId, "u1"));
  EXPECT_NE(h.Profile(kUserId, "u1"), h.Profile(kUserId, "u2"));
}

TEST(IdentityGraphTest, EmailLimitAllowsFive) {
  GraphHarness h;
  for (int i = 0; i < 7; ++i) {
    h.Apply(MakeEvent("m" + std::to_string(i), 100 + i,
                      {Id(kUserId, "u1"), Id(kEmail, "e" + std::to_string(i) + "@x.es")}));
  }
  const ProfileView v = h.graph().View(h.Profile(kUserId, "u1"));
  std::size_t emails = 0;
  for (const auto& id : v.identifiers) emails += id.type == kEmail;
  EXPECT_EQ(emails, 5u);
}

TEST(IdentityGraphTest, NonLinkingIdentifiersAreIgnored) {
  GraphHarness h;
  Event e = MakeEvent("m1", 100, {Id(kUserId, "u1")});
  e.identifiers.push_back(Identifier{kPhone, "+34600111222", false, IdentifierSource::kMessage});
  e.identifiers.push_back(Identifier{kNationalId, "12345678A", false, IdentifierSource::kMessage});
  h.Apply(e);
  EXPECT_FALSE(h.graph().FindProfile(kPhone, "+34600111222").has_value());
  EXPECT_FALSE(h.graph().FindProfile(kNationalId, "12345678A").has_value());
  EXPECT_EQ(h.graph().Stats().nodes, 1u);
}

TEST(IdentityGraphTest, SplitMovesIdentifiersToANewProfileAndCannotLinkHolds) {
  GraphHarness h;
  h.Apply(MakeEvent("m1", 100, {Id(kUserId, "u1"), Id(kAnonymousId, "a1")}));
  h.Apply(MakeEvent("m2", 101, {Id(kUserId, "u1"), Id(kEmail, "wrong@x.es")}));
  h.Apply(MakeEvent("m3", 102, {Id(kEmail, "wrong@x.es"), Id(kAnonymousId, "a2")}));
  const std::uint64_t p = h.Profile(kUserId, "u1");
  const std::vector<Identifier> move = {Id(kEmail, "wrong@x.es"), Id(kAnonymousId, "a2")};
  auto outcome = h.graph().Split(p, move, At(200), 3);
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  h.Flush();
  EXPECT_EQ(outcome->kept, p);
  ASSERT_EQ(outcome->split_off.size(), 1u);
  const std::uint64_t q = outcome->split_off[0];
  EXPECT_EQ(h.Profile(kEmail, "wrong@x.es"), q);
  EXPECT_EQ(h.Profile(kAnonymousId, "a2"), q);
  EXPECT_EQ(h.Profile(kAnonymousId, "a1"), p);
  // A later event asserting the cut link again does not merge.
  h.Apply(MakeEvent("m4", 300, {Id(kUserId, "u1"), Id(kEmail, "wrong@x.es")}));
  EXPECT_NE(h.Profile(kUserId, "u1"), h.Profile(kEmail, "wrong@x.es"));
  // Nor does one through another identifier of each side.
  h.Apply(MakeEvent("m5", 301, {Id(kAnonymousId, "a1"), Id(kDeviceId, "d")}));
  h.Apply(MakeEvent("m6", 302, {Id(kAnonymousId, "a2"), Id(kDeviceId, "d")}));
  EXPECT_NE(h.Profile(kAnonymousId, "a1"), h.Profile(kAnonymousId, "a2"));
  // And it survives a restart.
  auto reloaded = h.Reload();
  EXPECT_EQ(reloaded->NodeProfiles(), h.graph().NodeProfiles());
}

TEST(IdentityGraphTest, SplitErrors) {
  GraphHarness h;
  h.Apply(MakeEvent("m1", 100, {Id(kUserId, "u1"), Id(kAnonymousId, "a1")}));
  h.Apply(MakeEvent("m2", 100, {Id(kUserId, "u2")}));
  const std::uint64_t p = h.Profile(kUserId, "u1");
  EXPECT_EQ(h.graph().Split(999, std::vector{Id(kUserId, "u1")}, At(1), 2).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(h.graph().Split(p, {}, At(1), 2).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(h.graph().Split(p, std::vector{Id(kUserId, "nope")}, At(1), 2).status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(h.graph().Split(p, std::vector{Id(kUserId, "u2")}, At(1), 2).status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(h.graph()
                .Split(p, std::vector{Id(kUserId, "u1"), Id(kAnonymousId, "a1")}, At(1), 2)
                .status()
                .code(),
            StatusCode::kFailedPrecondition);
}

TEST(IdentityGraphTest, RestartGivesIdenticalProfiles) {
  GraphHarness h;
  h.Apply(MakeEvent("m1", 100, {Id(kUserId, "u1"), Id(kAnonymousId, "a1")}));
  h.Apply(MakeEvent("m2", 101, {Id(kAnonymousId, "a2")}));
  h.Apply(MakeEvent("m3", 102, {Id(kUserId, "u1"), Id(kAnonymousId, "a2")}));
  h.Apply(MakeEvent("m4", 103, {Id(kNationalId, "12345678Z"), Id(kUserId, "u1")}));
  h.Apply(MakeEvent("m5", 104, {Id(kNationalId, "87654321X"), Id(kAnonymousId, "a1")}));
  auto reloaded = h.Reload();
  EXPECT_EQ(reloaded->NodeProfiles(), h.graph().NodeProfiles());
  const std::uint64_t p = h.Profile(kUserId, "u1");
  const ProfileView a = h.graph().View(p);
  const ProfileView b = reloaded->View(p);
  EXPECT_EQ(a.merged_ids, b.merged_ids);
  ASSERT_EQ(a.identifiers.size(), b.identifiers.size());
  for (std::size_t i = 0; i < a.identifiers.size(); ++i) {
    EXPECT_EQ(a.identifiers[i].value, b.identifiers[i].value);
    EXPECT_EQ(a.identifiers[i].first_seen, b.identifiers[i].first_seen);
    EXPECT_EQ(a.identifiers[i].last_seen, b.identifiers[i].last_seen);
  }
  EXPECT_EQ(reloaded->Stats().conflicts, h.graph().Stats().conflicts);
  // The reloaded graph keeps working: a new event lands on the same profiles.
  GraphDelta delta;
  reloaded->ApplyEvent(MakeEvent("m6", 105, {Id(kUserId, "u1"), Id(kEmail, "z@x.es")}), 6);
  EXPECT_EQ(reloaded->FindProfile(kEmail, "z@x.es"), p);
}

TEST(IdentityGraphTest, CorruptImageIsRefused) {
  IdentityGraph g(IdentityConfig::Defaults());
  NodeRecord n;
  n.node = 0;
  n.type = kUserId;
  n.value = "u1";
  n.hash = 42;  // wrong
  n.profile = 1;
  g.LoadNode(n);
  ProfileRecord p;
  p.id = 1;
  g.LoadProfile(p);
  EXPECT_EQ(g.FinishLoad().code(), StatusCode::kCorruption);
}

// The partition as a set of sets of identifier values: independent of node and profile ids.
std::set<std::set<std::string>> Partition(const IdentityGraph& g) {
  std::map<std::uint64_t, std::set<std::string>> by_profile;
  const auto profiles = g.NodeProfiles();
  for (std::size_t n = 0; n < profiles.size(); ++n) {
    const ProfileIdentifier id = g.NodeIdentifier(static_cast<std::uint32_t>(n));
    by_profile[profiles[n]].insert(std::to_string(id.type) + ":" + id.value);
  }
  std::set<std::set<std::string>> out;
  for (auto& [p, s] : by_profile) out.insert(std::move(s));
  return out;
}

TEST(IdentityGraphTest, PartitionIsIndependentOfEventOrder) {
  // Random event sets over small value pools, so that merges, conflicts (two DNIs, two user
  // ids, six emails) and repeated assertions are frequent; each applied in several orders.
  std::mt19937_64 rng(7);
  for (int round = 0; round < 60; ++round) {
    std::vector<Event> events;
    const int n = 20 + static_cast<int>(rng() % 60);
    for (int i = 0; i < n; ++i) {
      std::vector<Identifier> ids;
      auto add = [&](IdentifierType t, const std::string& prefix, int pool) {
        const std::string v = prefix + std::to_string(rng() % static_cast<unsigned>(pool));
        for (const auto& x : ids) {
          if (x.type == t && x.value == v) return;
        }
        ids.push_back(Id(t, v));
      };
      const int k = 1 + static_cast<int>(rng() % 3);
      for (int j = 0; j < k; ++j) {
        switch (rng() % 5) {
          case 0: add(kNationalId, "dni", 4); break;
          case 1: add(kUserId, "u", 6); break;
          case 2: add(kEmail, "e", 8); break;
          case 3: add(kAnonymousId, "a", 12); break;
          default: add(kDeviceId, "d", 6); break;
        }
      }
      // Timestamps collide on purpose: ties break on the messageId hash.
      events.push_back(
          MakeEvent("m" + std::to_string(i), 1000 + static_cast<int>(rng() % 20), std::move(ids)));
    }
    GraphHarness first;
    for (const Event& e : events) first.Apply(e);
    const auto expected = Partition(first.graph());
    for (int order = 0; order < 4; ++order) {
      std::shuffle(events.begin(), events.end(), rng);
      GraphHarness other;
      for (const Event& e : events) other.Apply(e);
      ASSERT_EQ(Partition(other.graph()), expected) << "round " << round << " order " << order;
      // Limits hold in every profile.
      for (const auto& profile : expected) {
        int dnis = 0, users = 0, emails = 0;
        for (const auto& v : profile) {
          dnis += v.starts_with(std::to_string(kNationalId) + ":");
          users += v.starts_with(std::to_string(kUserId) + ":");
          emails += v.starts_with(std::to_string(kEmail) + ":");
        }
        ASSERT_LE(dnis, 1);
        ASSERT_LE(users, 1);
        ASSERT_LE(emails, 5);
      }
      // The reloaded image equals the live graph.
      ASSERT_EQ(Partition(*other.Reload()), expected);
    }
  }
}

}  // namespace
}  // namespace cdp

namespace cdp {
namespace {

TEST(IdentityGraphChangesTest, DeltaListsUpsertsMergesAndAnchorsInOrder) {
  IdentityGraph graph(IdentityConfig::Defaults());
  const Event e1 = MakeEvent("m1", 100, {Id(kAnonymousId, "a1")});
  const Event e2 = MakeEvent("m2", 101, {Id(kAnonymousId, "a2"), Id(kUserId, "u2")});
  const Event e3 = MakeEvent("m3", 102, {Id(kAnonymousId, "a2")});
  const Event e4 = MakeEvent("m4", 103, {Id(kAnonymousId, "a1"), Id(kUserId, "u2")});
  const Event* events[] = {&e1, &e2, &e3, &e4};
  const std::uint64_t sequences[] = {11, 12, 13, 14};
  graph.ApplyEvents(events, sequences);
  GraphDelta delta;
  graph.TakeDelta(&delta);
  const std::uint64_t p1 = *graph.FindProfile(kAnonymousId, "a1");
  ASSERT_EQ(delta.changes.size(), 4u);
  // e3's upsert of the second profile is coalesced into e2's; e4 merges the younger profile
  // into the older one, which is then upserted.
  EXPECT_EQ(delta.changes[0].type, ChangeType::kUpsert);
  EXPECT_EQ(delta.changes[0].profile, p1);
  EXPECT_EQ(delta.changes[0].event_sequence, 11u);
  EXPECT_EQ(delta.changes[0].at, At(100));
  const std::uint64_t p2 = delta.changes[1].profile;
  EXPECT_EQ(delta.changes[1].type, ChangeType::kUpsert);
  EXPECT_NE(p2, p1);
  EXPECT_EQ(delta.changes[2].type, ChangeType::kMerge);
  EXPECT_EQ(delta.changes[2].profile, p2);
  EXPECT_EQ(delta.changes[2].merged_into, p1);
  EXPECT_EQ(delta.changes[2].event_sequence, 14u);
  EXPECT_EQ(delta.changes[3].type, ChangeType::kUpsert);
  EXPECT_EQ(delta.changes[3].profile, p1);
  // Each event is anchored at its highest-priority identifier.
  ASSERT_EQ(delta.anchors.size(), 4u);
  EXPECT_EQ(delta.anchors[0], (EventAnchor{11, *graph.FindNode(kAnonymousId, "a1")}));
  EXPECT_EQ(delta.anchors[1], (EventAnchor{12, *graph.FindNode(kUserId, "u2")}));
  EXPECT_EQ(delta.anchors[2], (EventAnchor{13, *graph.FindNode(kAnonymousId, "a2")}));
  EXPECT_EQ(delta.anchors[3], (EventAnchor{14, *graph.FindNode(kUserId, "u2")}));
  // The next delta starts afresh: the same profile is upserted again.
  graph.ApplyEvent(MakeEvent("m5", 104, {Id(kAnonymousId, "a1")}), 15);
  graph.TakeDelta(&delta);
  ASSERT_EQ(delta.changes.size(), 1u);
  EXPECT_EQ(delta.changes[0].profile, p1);
}

TEST(IdentityGraphChangesTest, SplitListsTheNewProfileAsASplit) {
  IdentityGraph graph(IdentityConfig::Defaults());
  graph.ApplyEvent(MakeEvent("m1", 100, {Id(kAnonymousId, "a1"), Id(kUserId, "u1")}), 1);
  GraphDelta delta;
  graph.TakeDelta(&delta);
  const std::uint64_t p = *graph.FindProfile(kUserId, "u1");
  const Identifier moved[] = {Id(kAnonymousId, "a1")};
  auto outcome = graph.Split(p, moved, At(200), 1);
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  graph.TakeDelta(&delta);
  ASSERT_EQ(outcome->split_off.size(), 1u);
  bool split = false;
  for (const ChangeRecord& c : delta.changes) {
    if (c.type == ChangeType::kSplit) {
      split = true;
      EXPECT_EQ(c.profile, outcome->split_off[0]);
      EXPECT_EQ(c.at, At(200));
      EXPECT_EQ(c.event_sequence, 1u);
    }
  }
  EXPECT_TRUE(split);
  EXPECT_TRUE(delta.anchors.empty());
}

}  // namespace
}  // namespace cdp
