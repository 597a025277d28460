// Tests for cdp/profile_traits.h: survivorship (priority, recency, ties), lineage, computed
// traits, the caps, and the property that makes merge and split recomputation sound: a fold
// gives the same value in any order and equals the merge of folds of any two halves.
#include "cdp/profile_traits.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

namespace cdp {
namespace {

Timestamp At(std::int64_t seconds) { return Timestamp(std::chrono::milliseconds(seconds * 1000)); }

TraitsOptions Priority() {
  TraitsOptions options;
  options.source_priority = {"civil_register", "tax_agency", "office", "web_form"};
  return options;
}

// An event builder: Event(seq, time).Key("web_form").Trait("email", "\"a@b.es\"")...
struct Ev {
  EventFacts facts;
  Ev(std::uint64_t sequence, std::int64_t seconds, EventType type = EventType::kIdentify) {
    facts.type = type;
    facts.sequence = sequence;
    facts.timestamp = At(seconds);
    facts.message_id = "m" + std::to_string(sequence);
  }
  Ev& Key(std::string name) {
    facts.key_name = std::move(name);
    return *this;
  }
  Ev& Channel(std::string channel) {
    facts.channel = std::move(channel);
    return *this;
  }
  Ev& Name(std::string name) {
    facts.event_name = std::move(name);
    return *this;
  }
  Ev& Trait(std::string name, std::string value_json) {
    facts.traits.push_back({std::move(name), std::move(value_json)});
    return *this;
  }
  Ev& Service(std::string id) {
    facts.service_id = std::move(id);
    return *this;
  }
  Ev& Failed() {
    facts.success = false;
    return *this;
  }
  operator EventFacts() const { return facts; }  // NOLINT(google-explicit-constructor)
};

ProfileTraits Fold(const std::vector<EventFacts>& events, const TraitsOptions& options) {
  ProfileTraits traits;
  for (const EventFacts& e : events) traits.Apply(e, options);
  return traits;
}

std::string ValueOf(const ProfileTraits& traits, std::string_view name) {
  const TraitEntry* entry = traits.FindTrait(name);
  return entry == nullptr ? std::string("<absent>") : entry->value_json;
}

TEST(ProfileTraitsTest, HigherPrioritySourceWinsOverNewerValue) {
  ProfileTraits traits = Fold({Ev(1, 100).Key("civil_register").Trait("birthday", "\"1950-01-02\""),
                               Ev(2, 200).Key("web_form").Trait("birthday", "\"1950-02-01\"")},
                              Priority());
  EXPECT_EQ(ValueOf(traits, "birthday"), "\"1950-01-02\"");
  EXPECT_EQ(traits.FindTrait("birthday")->source, "civil_register");
  EXPECT_EQ(traits.FindTrait("birthday")->rank, 0u);
}

TEST(ProfileTraitsTest, NewerValueWinsAmongEqualSources) {
  ProfileTraits traits = Fold({Ev(2, 200).Key("web_form").Trait("email", "\"new@x.es\""),
                               Ev(1, 100).Key("web_form").Trait("email", "\"old@x.es\"")},
                              Priority());
  EXPECT_EQ(ValueOf(traits, "email"), "\"new@x.es\"");
}

TEST(ProfileTraitsTest, HigherSequenceBreaksATimestampTie) {
  ProfileTraits traits = Fold({Ev(7, 100).Key("office").Trait("phone", "\"+34600000007\""),
                               Ev(3, 100).Key("office").Trait("phone", "\"+34600000003\"")},
                              Priority());
  EXPECT_EQ(ValueOf(traits, "phone"), "\"+34600000007\"");
}

TEST(ProfileTraitsTest, UnlistedSourceRanksBelowListedOnes) {
  ProfileTraits traits = Fold({Ev(1, 100).Key("web_form").Trait("city", "\"Toledo\""),
                               Ev(2, 900).Key("partner_feed").Trait("city", "\"Madrid\"")},
                              Priority());
  EXPECT_EQ(ValueOf(traits, "city"), "\"Toledo\"");
  ProfileTraits unranked =
      Fold({Ev(2, 900).Key("partner_feed").Trait("city", "\"Madrid\"")}, Priority());
  EXPECT_EQ(unranked.FindTrait("city")->rank, kUnrankedSource);
  EXPECT_EQ(unranked.FindTrait("city")->source, "partner_feed");
}

TEST(ProfileTraitsTest, TheBetterOfKeyNameAndChannelGivesTheRankAndTheSource) {
  const TraitsOptions options = Priority();
  EventFacts both = Ev(1, 1).Key("web_form").Channel("office");
  EXPECT_EQ(RankSource(both, options).source, "office");
  EXPECT_EQ(RankSource(both, options).rank, 2u);
  EventFacts key_better = Ev(1, 1).Key("tax_agency").Channel("web_form");
  EXPECT_EQ(RankSource(key_better, options).source, "tax_agency");
  EventFacts channel_only_listed = Ev(1, 1).Key("partner").Channel("web_form");
  EXPECT_EQ(RankSource(channel_only_listed, options).source, "web_form");
  EXPECT_EQ(RankSource(channel_only_listed, options).rank, 3u);
}

TEST(ProfileTraitsTest, UnrankedSourceIsTheKeyNameThenTheChannelThenUnknown) {
  const TraitsOptions options = Priority();
  EventFacts both = Ev(1, 1).Key("partner").Channel("kiosk");
  EXPECT_EQ(RankSource(both, options).source, "partner");
  EXPECT_EQ(RankSource(both, options).rank, kUnrankedSource);
  EventFacts channel = Ev(1, 1).Channel("kiosk");
  EXPECT_EQ(RankSource(channel, options).source, "kiosk");
  EventFacts neither = Ev(1, 1);
  EXPECT_EQ(RankSource(neither, options).source, kUnknownSource);
  EventFacts overlong = Ev(1, 1).Key(std::string(kMaxSourceNameBytes + 1, 'k'));
  EXPECT_EQ(RankSource(overlong, options).source, kUnknownSource);
}

TEST(ProfileTraitsTest, NestedValueIsKeptWholeAndNotMergedFieldByField) {
  ProfileTraits traits = Fold(
      {Ev(1, 100).Key("civil_register").Trait("address", R"({"street":"Mayor 1","city":"Toledo"})"),
       Ev(2, 200).Key("web_form").Trait("address", R"({"city":"Madrid"})")},
      Priority());
  EXPECT_EQ(ValueOf(traits, "address"), R"({"street":"Mayor 1","city":"Toledo"})");
}

TEST(ProfileTraitsTest, LineageNamesSourceMessageIdTimestampAndSequence) {
  ProfileTraits traits =
      Fold({Ev(42, 1234).Channel("office").Trait("name", "\"Ana\"")}, Priority());
  const TraitEntry* entry = traits.FindTrait("name");
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->source, "office");
  EXPECT_EQ(entry->rank, 2u);
  EXPECT_EQ(entry->message_id, "m42");
  EXPECT_EQ(entry->timestamp, At(1234));
  EXPECT_EQ(entry->sequence, 42u);
}

TEST(ProfileTraitsTest, EachTraitSurvivesOnItsOwn) {
  ProfileTraits traits =
      Fold({Ev(1, 100).Key("civil_register").Trait("name", "\"Ana\""),
            Ev(2, 200).Key("web_form").Trait("name", "\"Anita\"").Trait("email", "\"ana@x.es\"")},
           Priority());
  EXPECT_EQ(ValueOf(traits, "name"), "\"Ana\"");
  EXPECT_EQ(ValueOf(traits, "email"), "\"ana@x.es\"");
  EXPECT_EQ(traits.traits().size(), 2u);
}

// Events with every kind of tie: equal ranks and times (sequence decides), equal times across
// ranks, channels and key names giving ranks, repeated services and channels, interactions at
// one instant, failures.
std::vector<EventFacts> TieTable() {
  return {
      Ev(1, 100).Key("web_form").Channel("web").Trait("email", "\"a@x.es\"").Service("s2"),
      Ev(2, 100)
          .Key("web_form")
          .Channel("web")
          .Trait("email", "\"b@x.es\"")
          .Trait("city", "\"Toledo\""),
      Ev(3, 100, EventType::kTrack).Channel("office").Name("Form Submitted").Service("s1"),
      Ev(4, 50)
          .Key("civil_register")
          .Trait("city", "\"Madrid\"")
          .Trait("address", R"({"zip":"28001"})"),
      Ev(5, 300, EventType::kTrack).Channel("phone").Name("Payment Failed").Service("s2"),
      Ev(6, 100, EventType::kPage).Channel("web").Trait("email", "\"c@x.es\""),
      Ev(7, 300).Key("partner").Channel("tax_agency").Trait("address", R"({"zip":"45001"})"),
      Ev(8, 20, EventType::kTrack).Channel("office").Name("Visit").Failed(),
  };
}

TEST(ProfileTraitsTest, FoldGivesTheSameValueInEveryOrder) {
  const TraitsOptions options = Priority();
  const std::vector<EventFacts> events = TieTable();
  const ProfileTraits expected = Fold(events, options);
  std::vector<std::size_t> order(events.size());
  std::iota(order.begin(), order.end(), 0);
  std::size_t permutations = 0;
  do {
    ProfileTraits traits;
    for (std::size_t i : order) traits.Apply(events[i], options);
    ASSERT_EQ(traits, expected) << "permutation " << permutations;
    ++permutations;
  } while (std::next_permutation(order.begin(), order.end()));
  EXPECT_EQ(permutations, 40320u);
  EXPECT_EQ(ValueOf(expected, "city"), "\"Madrid\"");
  EXPECT_EQ(ValueOf(expected, "address"), R"({"zip":"28001"})");
  EXPECT_EQ(ValueOf(expected, "email"), "\"b@x.es\"");
}

TEST(ProfileTraitsTest, MergeOfAnyTwoHalvesEqualsTheFoldOfAll) {
  const TraitsOptions options = Priority();
  const std::vector<EventFacts> events = TieTable();
  const ProfileTraits expected = Fold(events, options);
  for (unsigned mask = 0; mask < (1u << events.size()); ++mask) {
    std::vector<EventFacts> left, right;
    for (std::size_t i = 0; i < events.size(); ++i) {
      ((mask >> i) & 1u ? left : right).push_back(events[i]);
    }
    ProfileTraits a = Fold(left, options);
    ProfileTraits b = Fold(right, options);
    ProfileTraits ab = a;
    ab.MergeFrom(b);
    ProfileTraits ba = b;
    ba.MergeFrom(a);
    ASSERT_EQ(ab, expected) << "mask " << mask;
    ASSERT_EQ(ba, expected) << "mask " << mask;
  }
}

TEST(ProfileTraitsTest, MergeWithAnEmptyProfileChangesNothing) {
  const ProfileTraits full = Fold(TieTable(), Priority());
  ProfileTraits merged = full;
  merged.MergeFrom(ProfileTraits());
  EXPECT_EQ(merged, full);
  ProfileTraits empty;
  EXPECT_TRUE(empty.empty());
  empty.MergeFrom(full);
  EXPECT_EQ(empty, full);
}

TEST(ProfileTraitsTest, ComputedTraitsCountEventsByTypeAndChannelAndSpanFirstToLastSeen) {
  const ProfileTraits traits = Fold(TieTable(), Priority());
  const ComputedTraits& c = traits.computed();
  EXPECT_EQ(c.event_count, 8u);
  EXPECT_EQ(c.first_seen, At(20));
  EXPECT_EQ(c.last_seen, At(300));
  EXPECT_EQ(c.type_counts[static_cast<std::size_t>(EventType::kIdentify)], 4u);
  EXPECT_EQ(c.type_counts[static_cast<std::size_t>(EventType::kTrack)], 3u);
  EXPECT_EQ(c.type_counts[static_cast<std::size_t>(EventType::kPage)], 1u);
  const std::map<std::string, std::uint64_t, std::less<>> channels = {
      {"office", 2}, {"phone", 1}, {"tax_agency", 1}, {"web", 3}};
  EXPECT_EQ(c.channel_counts, channels);
  EXPECT_EQ(c.other_channel_events, 0u);
  EXPECT_EQ(c.services, (std::vector<std::string>{"s1", "s2"}));
}

TEST(ProfileTraitsTest, FailedAbandonedDeclinedAndUnsuccessfulEventsAreNotInteractions) {
  struct Case {
    EventFacts facts;
    bool successful;
  };
  const Case cases[] = {
      {Ev(1, 1).Channel("web"), true},
      {Ev(1, 1), false},
      {Ev(1, 1).Channel(std::string(kMaxSourceNameBytes + 1, 'c')), false},
      {Ev(1, 1, EventType::kTrack).Channel("web").Name("Payment Completed"), true},
      {Ev(1, 1, EventType::kTrack).Channel("web").Name("Payment Failed"), false},
      {Ev(1, 1, EventType::kTrack).Channel("web").Name("Application Abandoned"), false},
      {Ev(1, 1, EventType::kTrack).Channel("web").Name("Service Declined"), false},
      {Ev(1, 1, EventType::kTrack).Channel("web").Name("Failed"), true},
      {Ev(1, 1, EventType::kTrack).Channel("web").Name("Visit").Failed(), false},
      {Ev(1, 1, EventType::kPage).Channel("web").Failed(), false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(IsSuccessfulInteraction(c.facts), c.successful)
        << c.facts.event_name << " / " << c.facts.channel;
  }
}

TEST(ProfileTraitsTest, PreferredChannelIsTheMostFrequentRecentOneWithTiesToTheNewest) {
  ProfileTraits traits = Fold({Ev(1, 10).Channel("office"), Ev(2, 20).Channel("web"),
                               Ev(3, 30).Channel("office"), Ev(4, 40).Channel("web")},
                              Priority());
  EXPECT_EQ(traits.PreferredChannel(), "web");
  traits.Apply(Ev(5, 5).Channel("office"), Priority());
  EXPECT_EQ(traits.PreferredChannel(), "office");
  // Failures do not count.
  traits.Apply(Ev(6, 50).Channel("web").Failed(), Priority());
  traits.Apply(Ev(7, 60, EventType::kTrack).Channel("web").Name("Form Abandoned"), Priority());
  EXPECT_EQ(traits.PreferredChannel(), "office");
  EXPECT_FALSE(ProfileTraits().PreferredChannel().has_value());
}

TEST(ProfileTraitsTest, OnlyTheNewestInteractionsDecideThePreferredChannel) {
  std::vector<EventFacts> events;
  for (std::uint64_t i = 0; i < 30; ++i)
    events.push_back(Ev(i, static_cast<std::int64_t>(i)).Channel("office"));
  for (std::uint64_t i = 0; i < kRecentInteractions; ++i) {
    events.push_back(Ev(100 + i, static_cast<std::int64_t>(100 + i)).Channel("app"));
  }
  const ProfileTraits traits = Fold(events, Priority());
  EXPECT_EQ(traits.computed().recent_interactions.size(), kRecentInteractions);
  EXPECT_EQ(traits.computed().recent_interactions.front().sequence, 100 + kRecentInteractions - 1);
  EXPECT_EQ(traits.PreferredChannel(), "app");
  EXPECT_EQ(traits.computed().channel_counts.at("office"), 30u);
}

TEST(ProfileTraitsTest, ServicesAreSortedUniqueAndCappedToTheFirstIds) {
  std::vector<EventFacts> events;
  for (std::uint64_t i = 0; i < kMaxServicesPerProfile + 10; ++i) {
    char id[16];
    std::snprintf(id, sizeof(id), "svc%04u", static_cast<unsigned>(i));
    events.push_back(Ev(i, 1).Service(id));
  }
  events.push_back(Ev(999, 1).Service("svc0000"));
  events.push_back(Ev(1000, 1).Service(""));
  events.push_back(Ev(1001, 1).Service(std::string(kMaxServiceIdBytes + 1, 's')));
  const ProfileTraits forward = Fold(events, Priority());
  std::reverse(events.begin(), events.end());
  const ProfileTraits backward = Fold(events, Priority());
  EXPECT_EQ(forward, backward);
  const auto& services = forward.computed().services;
  ASSERT_EQ(services.size(), kMaxServicesPerProfile);
  EXPECT_TRUE(std::is_sorted(services.begin(), services.end()));
  EXPECT_EQ(services.front(), "svc0000");
  EXPECT_EQ(services.back(), "svc0255");
  EXPECT_TRUE(forward.computed().services_capped);
}

TEST(ProfileTraitsTest, TraitCapKeepsTheNamesThatSortFirstWhateverTheOrder) {
  std::vector<EventFacts> events;
  for (std::uint64_t i = 0; i < kMaxTraitsPerProfile + 20; ++i) {
    char name[16];
    std::snprintf(name, sizeof(name), "t%04u", static_cast<unsigned>(i));
    events.push_back(Ev(i, 1).Trait(name, "1"));
  }
  const ProfileTraits forward = Fold(events, Priority());
  std::reverse(events.begin(), events.end());
  const ProfileTraits backward = Fold(events, Priority());
  EXPECT_EQ(forward, backward);
  EXPECT_EQ(forward.traits().size(), kMaxTraitsPerProfile);
  EXPECT_TRUE(forward.trait_cap_reached());
  EXPECT_NE(forward.FindTrait("t0000"), nullptr);
  EXPECT_NE(forward.FindTrait("t0511"), nullptr);
  EXPECT_EQ(forward.FindTrait("t0512"), nullptr);
  // A dropped name that comes again stays out.
  ProfileTraits again = forward;
  again.Apply(Ev(5000, 9).Key("civil_register").Trait("t0600", "2"), Priority());
  EXPECT_EQ(again.FindTrait("t0600"), nullptr);
  EXPECT_EQ(again.traits().size(), kMaxTraitsPerProfile);
}

TEST(ProfileTraitsTest, ChannelsPastTheCapAreCountedAsOther) {
  std::vector<EventFacts> events;
  for (std::uint64_t i = 0; i < kMaxChannelsPerProfile + 3; ++i) {
    char channel[16];
    std::snprintf(channel, sizeof(channel), "c%02u", static_cast<unsigned>(i));
    events.push_back(Ev(2 * i, 1).Channel(channel));
    events.push_back(Ev(2 * i + 1, 1).Channel(channel));
  }
  const ProfileTraits forward = Fold(events, Priority());
  std::reverse(events.begin(), events.end());
  EXPECT_EQ(Fold(events, Priority()), forward);
  EXPECT_EQ(forward.computed().channel_counts.size(), kMaxChannelsPerProfile);
  EXPECT_EQ(forward.computed().other_channel_events, 6u);
  EXPECT_EQ(forward.computed().channel_counts.count("c34"), 0u);
}

TEST(ProfileTraitsTest, OversizeValuesAndBadNamesAreDroppedAndCounted) {
  ProfileTraits traits =
      Fold({Ev(1, 1)
                .Trait("big", "\"" + std::string(kMaxTraitValueBytes, 'x') + "\"")
                .Trait("", "1")
                .Trait(std::string(kMaxTraitNameBytes + 1, 'n'), "1")
                .Trait("ok", "\"" + std::string(kMaxTraitValueBytes - 2, 'x') + "\"")},
           Priority());
  EXPECT_EQ(traits.dropped_values(), 3u);
  EXPECT_EQ(traits.traits().size(), 1u);
  EXPECT_NE(traits.FindTrait("ok"), nullptr);
}

TEST(ProfileTraitsTest, EventWithAnOverlongMessageIdSetsNoTraitButIsCounted) {
  EventFacts facts = Ev(1, 1).Trait("name", "\"Ana\"").Channel("web");
  facts.message_id = std::string(kMaxMessageIdLength + 1, 'm');
  const ProfileTraits traits = Fold({facts}, Priority());
  EXPECT_TRUE(traits.traits().empty());
  EXPECT_EQ(traits.dropped_values(), 1u);
  EXPECT_EQ(traits.computed().event_count, 1u);
}

TEST(ProfileTraitsTest, FromPartsAcceptsEveryFoldAndRejectsBrokenInvariants) {
  const ProfileTraits full = Fold(TieTable(), Priority());
  auto round = ProfileTraits::FromParts(full.parts());
  ASSERT_TRUE(round.ok()) << round.status().ToString();
  EXPECT_EQ(*round, full);
  EXPECT_TRUE(ProfileTraits::FromParts(ProfileTraitsParts{}).ok());

  using Mutation = void (*)(ProfileTraitsParts&);
  const std::pair<const char*, Mutation> cases[] = {
      {"event count off", [](ProfileTraitsParts& p) { ++p.computed.event_count; }},
      {"type counts off", [](ProfileTraitsParts& p) { ++p.computed.type_counts[1]; }},
      {"first after last",
       [](ProfileTraitsParts& p) { std::swap(p.computed.first_seen, p.computed.last_seen); }},
      {"empty value", [](ProfileTraitsParts& p) { p.traits.begin()->second.value_json.clear(); }},
      {"empty source", [](ProfileTraitsParts& p) { p.traits.begin()->second.source.clear(); }},
      {"empty name", [](ProfileTraitsParts& p) { p.traits[""] = p.traits.begin()->second; }},
      {"zero channel count", [](ProfileTraitsParts& p) { p.computed.channel_counts["x"] = 0; }},
      {"channels over events",
       [](ProfileTraitsParts& p) { p.computed.other_channel_events = p.computed.event_count; }},
      {"interactions out of order",
       [](ProfileTraitsParts& p) {
         std::reverse(p.computed.recent_interactions.begin(), p.computed.recent_interactions.end());
       }},
      {"services out of order",
       [](ProfileTraitsParts& p) { std::swap(p.computed.services[0], p.computed.services[1]); }},
      {"services capped below the cap",
       [](ProfileTraitsParts& p) { p.computed.services_capped = true; }},
      {"trait cap below the cap", [](ProfileTraitsParts& p) { p.trait_cap_reached = true; }},
      {"state without events", [](ProfileTraitsParts& p) { p.computed = ComputedTraits{}; }},
  };
  for (const auto& [name, mutate] : cases) {
    ProfileTraitsParts parts = full.parts();
    mutate(parts);
    auto result = ProfileTraits::FromParts(std::move(parts));
    EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument) << name;
  }
}

TEST(TraitsOptionsTest, ValidateRejectsEmptyLongDuplicateAndTooManySources) {
  EXPECT_TRUE(Priority().Validate().ok());
  EXPECT_TRUE(TraitsOptions{}.Validate().ok());
  TraitsOptions empty{{"a", ""}};
  EXPECT_NE(empty.Validate().message().find("source_priority[1]"), std::string_view::npos);
  TraitsOptions duplicate{{"a", "b", "a"}};
  EXPECT_NE(duplicate.Validate().message().find("source_priority[2]: listed twice"),
            std::string_view::npos);
  TraitsOptions long_name{{std::string(kMaxSourceNameBytes + 1, 'x')}};
  EXPECT_EQ(long_name.Validate().code(), StatusCode::kInvalidArgument);
  TraitsOptions many;
  for (std::size_t i = 0; i <= kMaxSourcePriorityEntries; ++i) {
    many.source_priority.push_back("s" + std::to_string(i));
  }
  EXPECT_EQ(many.Validate().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace cdp
