// `cdp gen`: determinism, ground truth, valid DNI/NIE numbers, households, and the noise it
// promises (nicknames, typos) at about the configured rates.
#include "tools/gen.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "cdp/identifier.h"
#include "tests/support/server_process.h"
#include "tools/linkage_csv.h"

namespace cdp::tools {
namespace {

std::unique_ptr<Generator> MakeGenerator(const GenOptions& options) {
  auto gen = Generator::Create(options);
  EXPECT_TRUE(gen.ok()) << gen.status().ToString();
  return gen.ok() ? std::move(gen).value() : nullptr;
}

std::vector<GeneratedEvent> RenderAll(Generator& gen) {
  std::vector<GeneratedEvent> out(gen.event_count());
  for (std::size_t i = 0; i < gen.event_count(); ++i) gen.Render(i, &out[i]);
  return out;
}

// The string at `pointer` ("/traits/firstName"), or "" when absent.
std::string Field(simdjson::dom::parser& parser, const std::string& json, const char* pointer) {
  simdjson::dom::element root;
  if (parser.parse(json).get(root) != simdjson::SUCCESS) return "";
  std::string_view value;
  if (root.at_pointer(pointer).get(value) != simdjson::SUCCESS) return "";
  return std::string(value);
}

TEST(GenTest, SameSeedGivesSameEventsAndAnotherSeedOthers) {
  GenOptions options;
  options.people = 300;
  options.seed = 11;
  auto a = MakeGenerator(options);
  auto b = MakeGenerator(options);
  options.seed = 12;
  auto c = MakeGenerator(options);
  ASSERT_TRUE(a && b && c);
  const auto ea = RenderAll(*a);
  const auto eb = RenderAll(*b);
  const auto ec = RenderAll(*c);
  ASSERT_EQ(ea.size(), eb.size());
  for (std::size_t i = 0; i < ea.size(); ++i) {
    EXPECT_EQ(ea[i].json, eb[i].json);
    EXPECT_EQ(ea[i].person_id, eb[i].person_id);
  }
  std::size_t same = 0;
  for (std::size_t i = 0; i < std::min(ea.size(), ec.size()); ++i) same += ea[i].json == ec[i].json;
  EXPECT_EQ(same, 0u);
}

TEST(GenTest, EveryEventIsAnIdentifyWithAUniqueAnonymousIdAndAPerson) {
  GenOptions options;
  options.people = 500;
  options.seed = 3;
  auto gen = MakeGenerator(options);
  ASSERT_TRUE(gen);
  EXPECT_EQ(gen->person_count(), 500u);
  simdjson::dom::parser parser;
  std::set<std::string> ids;
  std::set<std::uint64_t> people;
  std::string last_timestamp;
  for (const GeneratedEvent& e : RenderAll(*gen)) {
    EXPECT_EQ(Field(parser, e.json, "/type"), "identify");
    EXPECT_EQ(Field(parser, e.json, "/anonymousId"), e.anonymous_id);
    EXPECT_EQ(Field(parser, e.json, "/context/channel"), GenChannelName(e.channel));
    const std::string timestamp = Field(parser, e.json, "/timestamp");
    EXPECT_GE(timestamp, last_timestamp) << "events are in time order";
    last_timestamp = timestamp;
    EXPECT_TRUE(ids.insert(e.anonymous_id).second);
    EXPECT_LT(e.person_id, 500u);
    people.insert(e.person_id);
  }
  EXPECT_EQ(people.size(), 500u) << "everyone has at least one event";
  const GenSummary& s = gen->summary();
  EXPECT_EQ(s.events, gen->event_count());
  std::uint64_t channels = 0;
  for (std::uint64_t n : s.per_channel) channels += n;
  EXPECT_EQ(channels, s.events);
  // The mean is 2.5 events per person.
  EXPECT_NEAR(static_cast<double>(s.events) / 500.0, 2.5, 0.25);
}

TEST(GenTest, RunGenWritesEventsAndATruthThatCoversEveryEvent) {
  const std::filesystem::path dir = testing::FreshTestDirectory("gen");
  GenRunOptions options;
  options.gen.people = 200;
  options.gen.seed = 5;
  options.events_path = (dir / "events.ndjson").string();
  options.truth_path = (dir / "truth.csv").string();
  options.progress = false;
  ASSERT_EQ(RunGen(options), 0);
  LinkageReadStats stats;
  auto messages = ReadGeneratedEvents(options.events_path, options.truth_path, &stats);
  ASSERT_TRUE(messages.ok()) << messages.status().ToString();
  EXPECT_EQ(stats.skipped, 0u);
  EXPECT_EQ(messages->size(), stats.rows);
  std::set<std::string> entities;
  for (const LabelledMessage& m : *messages) entities.insert(m.entity);
  EXPECT_EQ(entities.size(), 200u);
  std::filesystem::remove_all(dir);
}

TEST(GenTest, NationalIdsHaveValidCheckLettersAndAreUnique) {
  GenOptions options;
  options.people = 3000;
  options.seed = 9;
  options.national_id_typo_rate = 0;
  auto gen = MakeGenerator(options);
  ASSERT_TRUE(gen);
  const IdentityConfig config = IdentityConfig::Defaults();
  std::set<std::string> seen;
  std::size_t nie = 0;
  for (std::size_t p = 0; p < gen->person_count(); ++p) {
    const std::string id(gen->person(p).national_id);
    if (id.empty()) continue;
    EXPECT_TRUE(IsValidNationalId(id)) << id;
    EXPECT_EQ(NormalizeIdentifier(config, kNationalId, id, nullptr).quality,
              IdentifierQuality::kValid)
        << id;
    EXPECT_TRUE(seen.insert(id).second) << "two people share " << id;
    nie += id[0] >= 'X';
  }
  EXPECT_GT(seen.size(), 2500u);
  EXPECT_GT(nie, 100u) << "some foreigners hold an NIE";
  // Without typos every DNI/NIE an event carries is valid, whatever its formatting.
  simdjson::dom::parser parser;
  std::size_t carried = 0;
  for (const GeneratedEvent& e : RenderAll(*gen)) {
    const std::string id = Field(parser, e.json, "/traits/nationalId");
    if (id.empty()) continue;
    ++carried;
    EXPECT_EQ(NormalizeIdentifier(config, kNationalId, id, nullptr).quality,
              IdentifierQuality::kValid)
        << id;
  }
  EXPECT_GT(carried, 1000u);
}

TEST(GenTest, NationalIdTyposAreAlwaysInvalid) {
  GenOptions options;
  options.people = 3000;
  options.seed = 10;
  options.national_id_typo_rate = 0.3;
  auto gen = MakeGenerator(options);
  ASSERT_TRUE(gen);
  const IdentityConfig config = IdentityConfig::Defaults();
  simdjson::dom::parser parser;
  std::size_t office = 0;
  std::size_t weak = 0;
  for (const GeneratedEvent& e : RenderAll(*gen)) {
    const std::string id = Field(parser, e.json, "/traits/nationalId");
    if (id.empty() || e.channel != GenChannel::kOffice) continue;
    ++office;
    const NormalizedIdentifier n = NormalizeIdentifier(config, kNationalId, id, nullptr);
    if (n.quality != IdentifierQuality::kValid) {
      ++weak;
      EXPECT_NE(n.value, gen->person(e.person_id).national_id) << id;
    }
  }
  ASSERT_GT(office, 500u);
  EXPECT_NEAR(static_cast<double>(weak) / static_cast<double>(office), 0.3, 0.05);
}

TEST(GenTest, HouseholdsShareAnAddressAndChildrenTheirParentsSurnames) {
  GenOptions options;
  options.people = 2000;
  options.seed = 21;
  options.mover_rate = 0;  // nobody moves: one address per household
  options.typo_rate = 0;
  auto gen = MakeGenerator(options);
  ASSERT_TRUE(gen);
  simdjson::dom::parser parser;
  std::map<std::uint32_t, std::set<std::string>> postal_codes;
  std::map<std::uint32_t, std::set<std::uint64_t>> members_seen;
  for (const GeneratedEvent& e : RenderAll(*gen)) {
    const std::string postal = Field(parser, e.json, "/traits/address/postalCode");
    if (postal.empty()) continue;
    const std::uint32_t household = gen->person(e.person_id).household;
    postal_codes[household].insert(postal);
    members_seen[household].insert(e.person_id);
  }
  std::size_t shared = 0;
  for (const auto& [household, codes] : postal_codes) {
    EXPECT_EQ(codes.size(), 1u) << "household " << household;
    shared += members_seen[household].size() > 1;
  }
  EXPECT_GT(shared, 100u) << "several members of a household gave its address";

  // Households of three or more: two adults and children named after both.
  std::map<std::uint32_t, std::vector<GenPerson>> households;
  for (std::size_t p = 0; p < gen->person_count(); ++p) {
    households[gen->person(p).household].push_back(gen->person(p));
  }
  std::size_t children = 0;
  for (const auto& [id, members] : households) {
    if (members.size() < 3) continue;
    const std::set<std::string_view> parents = {members[0].surname1, members[1].surname1};
    for (std::size_t c = 2; c < members.size(); ++c) {
      ++children;
      EXPECT_TRUE(parents.count(members[c].surname1)) << "household " << id;
      if (!members[c].surname2.empty()) {
        EXPECT_TRUE(parents.count(members[c].surname2)) << "household " << id;
      }
      EXPECT_GE(members[c].birth_year, std::min(members[0].birth_year, members[1].birth_year));
    }
  }
  EXPECT_GT(children, 300u);
  EXPECT_GT(gen->summary().households, 500u);
}

TEST(GenTest, NamesakesOccur) {
  GenOptions options;
  options.people = 5000;
  options.seed = 4;
  options.namesake_rate = 0.02;
  auto gen = MakeGenerator(options);
  ASSERT_TRUE(gen);
  std::map<std::string, std::set<std::size_t>> by_name;
  for (std::size_t p = 0; p < gen->person_count(); ++p) {
    const GenPerson person = gen->person(p);
    by_name[std::string(person.given) + "|" + std::string(person.surname1) + "|" +
            std::string(person.surname2)]
        .insert(p);
  }
  std::size_t namesakes = 0;
  for (const auto& [name, people] : by_name) namesakes += people.size() > 1 ? people.size() : 0;
  EXPECT_EQ(namesakes, gen->summary().namesakes);
  EXPECT_GT(namesakes, 80u);
  EXPECT_GT(gen->summary().namesakes_same_year, 10u);
}

// Channels without the phone channel, whose typo rate is doubled.
GenOptions NoiseOptions() {
  GenOptions options;
  options.people = 6000;
  options.seed = 17;
  options.typo_rate = 0.1;
  options.nickname_rate = 0.3;
  options.channel_weights = {30, 20, 0, 30, 20};
  return options;
}

TEST(GenTest, NicknamesAppearAtTheConfiguredRateOnInformalChannelsOnly) {
  auto gen = MakeGenerator(NoiseOptions());
  ASSERT_TRUE(gen);
  simdjson::dom::parser parser;
  std::size_t informal = 0;
  std::size_t informal_nick = 0;
  std::size_t formal = 0;
  std::size_t formal_nick = 0;
  for (const GeneratedEvent& e : RenderAll(*gen)) {
    const std::string first = Field(parser, e.json, "/traits/firstName");
    if (first.empty()) continue;
    const auto nicks = NicknamesOf(gen->person(e.person_id).given);
    if (nicks.empty()) continue;
    bool is_nick = false;
    for (std::string_view n : nicks) is_nick = is_nick || FoldName(first) == FoldName(n);
    const bool informal_channel = e.channel == GenChannel::kWeb || e.channel == GenChannel::kApp;
    (informal_channel ? informal : formal) += 1;
    (informal_channel ? informal_nick : formal_nick) += is_nick;
  }
  ASSERT_GT(informal, 300u);
  ASSERT_GT(formal, 300u);
  // 30%, less the nicknames a typo then changed (10%).
  EXPECT_NEAR(static_cast<double>(informal_nick) / static_cast<double>(informal), 0.3 * 0.9, 0.05);
  EXPECT_LT(static_cast<double>(formal_nick) / static_cast<double>(formal), 0.01);
}

TEST(GenTest, TyposAppearAtTheConfiguredRate) {
  auto gen = MakeGenerator(NoiseOptions());
  ASSERT_TRUE(gen);
  simdjson::dom::parser parser;
  std::size_t values = 0;
  std::size_t typos = 0;
  for (const GeneratedEvent& e : RenderAll(*gen)) {
    const std::string last = Field(parser, e.json, "/traits/lastName");
    if (last.empty()) continue;
    const GenPerson p = gen->person(e.person_id);
    const std::string s1(p.surname1);
    const std::string s2(p.surname2);
    const std::set<std::string> clean = {FoldName(s1), FoldName(s1 + " " + s2),
                                         FoldName(s2 + " " + s1)};
    ++values;
    typos += clean.count(FoldName(last)) == 0;
  }
  ASSERT_GT(values, 3000u);
  EXPECT_NEAR(static_cast<double>(typos) / static_cast<double>(values), 0.1, 0.02);
}

TEST(GenTest, CompoundNamesAccentsAndCaseVary) {
  GenOptions options;
  options.people = 3000;
  options.seed = 8;
  auto gen = MakeGenerator(options);
  ASSERT_TRUE(gen);
  simdjson::dom::parser parser;
  std::size_t compound = 0;
  std::size_t upper = 0;
  std::size_t lower = 0;
  std::size_t unaccented = 0;
  std::size_t full_name = 0;
  for (const GeneratedEvent& e : RenderAll(*gen)) {
    const std::string first = Field(parser, e.json, "/traits/firstName");
    full_name += !Field(parser, e.json, "/traits/name").empty();
    if (first.empty()) continue;
    compound += first.find(' ') != std::string::npos;
    bool has_upper = false;
    bool has_lower = false;
    for (char c : first) {
      has_upper = has_upper || (c >= 'A' && c <= 'Z');
      has_lower = has_lower || (c >= 'a' && c <= 'z');
    }
    upper += has_upper && !has_lower;
    lower += has_lower && !has_upper;
    const std::string given(gen->person(e.person_id).given);
    unaccented += given != FoldName(given) && first.find('\xC3') == std::string::npos;
  }
  EXPECT_GT(compound, 500u);
  EXPECT_GT(upper, 300u);
  EXPECT_GT(lower, 200u);
  EXPECT_GT(unaccented, 200u);
  EXPECT_GT(full_name, 500u);
}

TEST(GenTest, InvalidOptionsAreRejected) {
  GenOptions options;
  options.people = 0;
  EXPECT_FALSE(options.Validate().ok());
  options = GenOptions();
  options.events_per_person_mean = 0.5;
  EXPECT_FALSE(options.Validate().ok());
  options = GenOptions();
  options.start_date = "yesterday";
  EXPECT_FALSE(options.Validate().ok());
  options = GenOptions();
  options.typo_rate = 1.5;
  EXPECT_FALSE(options.Validate().ok());
  options = GenOptions();
  options.id_prefix = "a b";
  EXPECT_FALSE(options.Validate().ok());
  EXPECT_FALSE(Generator::Create(options).ok());
}

TEST(GenTest, FoldNameAndNationalIdCheck) {
  EXPECT_EQ(FoldName("María del CARMEN Muñoz"), "maria del carmen munoz");
  EXPECT_EQ(FoldName("ÁLVARO Íñigo"), "alvaro inigo");
  EXPECT_TRUE(IsValidNationalId("12345678Z"));
  EXPECT_FALSE(IsValidNationalId("12345678A"));
  EXPECT_TRUE(IsValidNationalId("X1234567L"));
  EXPECT_FALSE(IsValidNationalId("X1234567"));
  EXPECT_EQ(NicknamesOf("José"), (std::vector<std::string_view>{"Pepe", "Pepito"}));
  EXPECT_TRUE(NicknamesOf("Zacarías").empty());
}

}  // namespace
}  // namespace cdp::tools
