// Tests for storage/profile_traits_codec.h: round trips, the exact bytes of a small value, and
// a table of malformed values.
#include "storage/profile_traits_codec.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace cdp::storage {
namespace {

Timestamp At(std::int64_t ms) { return Timestamp(std::chrono::milliseconds(ms)); }

EventFacts Facts(std::uint64_t sequence, std::int64_t ms, std::string channel) {
  EventFacts facts;
  facts.type = EventType::kIdentify;
  facts.sequence = sequence;
  facts.timestamp = At(ms);
  facts.message_id = "msg-" + std::to_string(sequence);
  facts.channel = std::move(channel);
  return facts;
}

// Every part of a ProfileTraits in use, caps included.
ProfileTraits Rich() {
  TraitsOptions options;
  options.source_priority = {"civil_register", "web"};
  ProfileTraits traits;
  EventFacts a = Facts(1, -5000, "web");  // before the epoch
  a.key_name = "civil_register";
  a.traits = {{"address", R"({"street":"Calle Mayor 1","city":"Toledo"})"},
              {"birthday", "\"1950-01-02\""},
              {"nombre",
               "\"Mar\xC3\xAD"
               "a\""}};
  a.service_id = "svc-1";
  traits.Apply(a, options);
  EventFacts b = Facts(2, 1'700'000'000'000, "office");
  b.type = EventType::kTrack;
  b.event_name = "Payment Failed";
  b.traits = {{"email", "\"m@x.es\""}, {"big", "\"" + std::string(20'000, 'x') + "\""}};
  traits.Apply(b, options);
  for (std::uint64_t i = 0; i < 40; ++i) {
    EventFacts c =
        Facts(10 + i, 1'700'000'000'000 + static_cast<std::int64_t>(i), "ch" + std::to_string(i));
    c.type = EventType::kPage;
    c.service_id = "svc-" + std::to_string(1000 + i);
    traits.Apply(c, options);
  }
  return traits;
}

TEST(ProfileTraitsCodecTest, RoundTripGivesTheSameValue) {
  for (const ProfileTraits& traits : {ProfileTraits(), Rich()}) {
    const std::string bytes = EncodeProfileTraits(traits);
    auto decoded = DecodeProfileTraits(bytes);
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    EXPECT_EQ(*decoded, traits);
    EXPECT_EQ(EncodeProfileTraits(*decoded), bytes);
  }
  EXPECT_EQ(Rich().computed().other_channel_events, 10u);
  EXPECT_EQ(Rich().dropped_values(), 1u);
}

TEST(ProfileTraitsCodecTest, CappedProfileRoundTrips) {
  ProfileTraits traits;
  for (std::uint64_t i = 0; i < kMaxTraitsPerProfile + 2; ++i) {
    EventFacts facts = Facts(i, 1, "");
    facts.traits = {{"t" + std::to_string(1000 + i), std::to_string(i)}};
    facts.service_id = "s" + std::to_string(1000 + i);
    traits.Apply(facts, TraitsOptions{});
  }
  ASSERT_TRUE(traits.trait_cap_reached());
  ASSERT_TRUE(traits.computed().services_capped);
  auto decoded = DecodeProfileTraits(EncodeProfileTraits(traits));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, traits);
}

// The layout of storage/FORMAT.md, byte by byte, for one event with one trait.
TEST(ProfileTraitsCodecTest, EncodingMatchesTheDocumentedLayout) {
  EventFacts facts = Facts(7, 0x0102, "web");
  facts.traits = {{"k", "1"}};
  ProfileTraits traits;
  traits.Apply(facts, TraitsOptions{{"web"}});
  std::string expected;
  expected += '\x01';                                      // version
  expected += '\x00';                                      // flags
  expected += std::string(8, '\0');                        // dropped_values
  expected += std::string("\x01") + std::string(7, '\0');  // event_count 1
  for (int i = 0; i < 2; ++i) expected += std::string("\x02\x01") + std::string(6, '\0');
  expected += std::string("\x01") + std::string(7, '\0');  // identify count
  expected += std::string(5 * 8, '\0');                    // other types
  expected += std::string(8, '\0');                        // other_channel_events
  expected += std::string("\x01\0\0\0", 4);                // one trait
  expected += std::string("\x01\0k", 3);                   // name
  expected += std::string(
      "\x01\0"
      "1",
      3);                                                      // value_json
  expected += std::string("\x03\0web", 5);                     // source
  expected += std::string(4, '\0');                            // rank 0
  expected += std::string("\x05\0msg-7", 7);                   // message_id
  expected += std::string("\x02\x01") + std::string(6, '\0');  // timestamp
  expected += std::string("\x07") + std::string(7, '\0');      // sequence
  expected += std::string("\x01\0\0\0", 4);                    // one channel
  expected += std::string("\x03\0web", 5) + std::string("\x01") + std::string(7, '\0');
  expected += std::string("\x01\0\0\0", 4);  // one interaction
  expected += std::string("\x02\x01") + std::string(6, '\0') + std::string("\x07") +
              std::string(7, '\0') + std::string("\x03\0web", 5);
  expected += std::string(4, '\0');  // no services
  EXPECT_EQ(EncodeProfileTraits(traits), expected);
}

struct Malformed {
  const char* name;
  std::string bytes;
};

std::vector<Malformed> MalformedTable() {
  const std::string good = EncodeProfileTraits(Rich());
  const std::string empty = EncodeProfileTraits(ProfileTraits());
  std::vector<Malformed> table = {
      {"empty", ""},
      {"version only", good.substr(0, 1)},
      {"unknown version", "\x02" + good.substr(1)},
      {"unknown flag bit", good.substr(0, 1) + "\x04" + good.substr(2)},
      {"trailing byte", good + "x"},
      {"trailing byte after an empty value", empty + std::string(1, '\0')},
      {"trait count beyond the value",
       empty.substr(0, 90) + std::string("\xFF\x01\0\0", 4) + empty.substr(94)},
      {"trait count over the cap",
       empty.substr(0, 90) + std::string("\x01\x02\0\0", 4) + empty.substr(94)},
      {"events without any type", empty.substr(0, 10) + std::string("\x01") + empty.substr(11)},
  };
  // Every strict prefix of a good value is truncated.
  for (std::size_t n = 1; n < good.size(); n += 37) {
    table.push_back({"truncated", good.substr(0, n)});
  }
  // A trait name length that runs past the end.
  std::string long_name = good;
  long_name[94] = '\xFF';
  long_name[95] = '\xFF';
  table.push_back({"name length beyond the value", long_name});
  // Two traits out of order: swap the first bytes of the first two names ("address" and
  // "birthday" become "bddress" and "airthday").
  std::string disordered = good;
  const std::size_t first = 96;
  const std::size_t second = disordered.find("birthday", first);
  std::swap(disordered[first], disordered[second]);
  table.push_back({"names out of order", disordered});
  // The first trait's value cut to nothing: the lengths all agree, the value is empty.
  std::string zero_value = good;
  const std::size_t value_at = 96 + 7;  // after "address"
  const std::size_t length =
      static_cast<unsigned char>(zero_value[value_at]) |
      (static_cast<std::size_t>(static_cast<unsigned char>(zero_value[value_at + 1])) << 8);
  zero_value.replace(value_at, 2 + length, std::string("\0\0", 2));
  table.push_back({"empty trait value", zero_value});
  return table;
}

TEST(ProfileTraitsCodecTest, MalformedValuesAreCorruption) {
  for (const Malformed& m : MalformedTable()) {
    auto decoded = DecodeProfileTraits(m.bytes);
    EXPECT_EQ(decoded.status().code(), StatusCode::kCorruption)
        << m.name << " (" << m.bytes.size() << " bytes)";
  }
}

TEST(ProfileTraitsCodecTest, CorruptionMessagesDoNotCarryContents) {
  std::string bytes = EncodeProfileTraits(Rich());
  bytes.push_back('x');
  auto decoded = DecodeProfileTraits(bytes);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().message().find("Toledo"), std::string_view::npos);
  EXPECT_EQ(decoded.status().message(), "profile traits record: trailing bytes");
}

}  // namespace
}  // namespace cdp::storage
