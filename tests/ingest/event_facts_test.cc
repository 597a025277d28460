// Tests for ingest/event_facts.h: the facts of stored events as the segment parser writes them,
// and a table of malformed stored events.
#include "ingest/event_facts.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "cdp/time_format.h"
#include "ingest/segment_parser.h"

namespace cdp::ingest {
namespace {

const Timestamp kReceivedAt = [] {
  auto t = ParseIso8601("2026-03-01T12:00:00Z");
  return t.ok() ? *t : Timestamp();
}();

// The stored event the parser makes of `body` on the `type` endpoint, sent with a key named
// `source`.
Event Stored(EventType type, std::string_view body, std::string_view source = {}) {
  SegmentParser parser{IngestLimits()};
  ParsedRequest request;
  ParseFailure failure;
  EXPECT_TRUE(parser.ParseSingle(type, body, kReceivedAt, &request, &failure, source))
      << failure.status.ToString();
  EXPECT_TRUE(request.errors.empty()) << request.errors[0].message;
  return request.events.empty() ? Event() : request.events[0];
}

EventFacts Facts(const Event& event, std::uint64_t sequence = 1) {
  auto facts = ExtractEventFacts(event, sequence);
  EXPECT_TRUE(facts.ok()) << facts.status().ToString();
  return facts.ok() ? *facts : EventFacts();
}

TEST(EventFactsTest, IdentifyTraitsAreReadWithNestedValuesKeptWhole) {
  const Event event = Stored(EventType::kIdentify, R"({"userId":"u1","messageId":"m-1",
      "timestamp":"2026-02-01T10:00:00Z","context":{"channel":"office","traits":{"x":1}},
      "traits":{"name":"Mar\u00eda","age":70,"address":{"street":"Mayor 1","zip":"45001"},
                "tags":["a", {"b": null}],"unset":null,"vip":true}})",
                             "civil_register");
  const EventFacts facts = Facts(event, 42);
  EXPECT_EQ(facts.type, EventType::kIdentify);
  EXPECT_EQ(facts.message_id, "m-1");
  EXPECT_EQ(facts.timestamp, event.timestamp);
  EXPECT_EQ(facts.sequence, 42u);
  EXPECT_EQ(facts.key_name, "civil_register");
  EXPECT_EQ(facts.channel, "office");
  const std::vector<TraitValue> expected = {
      {"address", R"({"street":"Mayor 1","zip":"45001"})"},
      {"age", "70"},
      {"name",
       "\"Mar\xC3\xAD"
       "a\""},
      {"tags", R"(["a",{"b":null}])"},
      {"vip", "true"},
  };
  EXPECT_EQ(facts.traits, expected);
}

TEST(EventFactsTest, OtherTypesReadContextTraitsAndAGroupsOwnTraitsAreNotRead) {
  const EventFacts track = Facts(Stored(EventType::kTrack, R"({"userId":"u","event":"Form Sent",
      "traits":{"ignored":1},"context":{"traits":{"email":"a@b.es"}}})"));
  EXPECT_EQ(track.event_name, "Form Sent");
  EXPECT_EQ(track.traits, (std::vector<TraitValue>{{"email", "\"a@b.es\""}}));
  const EventFacts group = Facts(Stored(EventType::kGroup, R"({"userId":"u","groupId":"g",
      "traits":{"employees":5},"context":{"traits":{"role":"owner"}}})"));
  EXPECT_EQ(group.traits, (std::vector<TraitValue>{{"role", "\"owner\""}}));
  EXPECT_TRUE(group.event_name.empty());
}

TEST(EventFactsTest, ServiceIdIsAStringOrAnInteger) {
  auto service = [](std::string_view value) {
    return Facts(Stored(EventType::kTrack,
                        std::string(R"({"userId":"u","event":"E","properties":{"service_id":)") +
                            std::string(value) + "}}"))
        .service_id;
  };
  EXPECT_EQ(service(R"("svc-7")"), "svc-7");
  EXPECT_EQ(service("1234"), "1234");
  EXPECT_EQ(service("-5"), "-5");
  EXPECT_EQ(service("18446744073709551615"), "18446744073709551615");
  EXPECT_EQ(service("1.5"), "");
  EXPECT_EQ(service("true"), "");
  EXPECT_EQ(service("{}"), "");
}

TEST(EventFactsTest, SuccessIsFalseOnlyForALiteralFalse) {
  auto success = [](std::string_view properties) {
    return Facts(Stored(EventType::kTrack, std::string(R"({"userId":"u","event":"E",)") +
                                               std::string(properties) + "}"))
        .success;
  };
  EXPECT_FALSE(success(R"("properties":{"success":false})"));
  EXPECT_TRUE(success(R"("properties":{"success":true})"));
  EXPECT_TRUE(success(R"("properties":{"success":"false"})"));
  EXPECT_TRUE(success(R"("properties":{"success":0})"));
  EXPECT_TRUE(success(R"("properties":{})"));
  EXPECT_TRUE(success(R"("properties":null)"));
}

TEST(EventFactsTest, TheSourceIsOnlyTheOneTheServerStamped) {
  const EventFacts stamped = Facts(
      Stored(EventType::kIdentify, R"({"userId":"u","source":"civil_register"})", "web_form"));
  EXPECT_EQ(stamped.key_name, "web_form");
  const EventFacts unnamed =
      Facts(Stored(EventType::kIdentify, R"({"userId":"u","source":"civil_register"})"));
  EXPECT_EQ(unnamed.key_name, "");
}

TEST(EventFactsTest, OddlyTypedOptionalFieldsAreIgnored) {
  // The parser does not check inside context, so stored events may hold anything there.
  Event event;
  event.type = EventType::kPage;
  event.message_id = "m";
  event.json = R"({"type":"page","source":"bad\tname","context":{"channel":7,"traits":"x"},
                   "properties":{"service_id":null}})";
  EventFacts facts = Facts(event);
  EXPECT_EQ(facts.key_name, "");
  EXPECT_EQ(facts.channel, "");
  EXPECT_TRUE(facts.traits.empty());
  EXPECT_EQ(facts.service_id, "");
  event.json = R"({"context":[],"source":5})";
  facts = Facts(event);
  EXPECT_EQ(facts.key_name, "");
}

TEST(EventFactsTest, ANameGivenTwiceKeepsItsLastValue) {
  Event event;
  event.type = EventType::kIdentify;
  event.json = R"({"traits":{"b":1,"a":2,"b":3,"a":null}})";
  EXPECT_EQ(Facts(event).traits, (std::vector<TraitValue>{{"a", "2"}, {"b", "3"}}));
}

TEST(EventFactsTest, MalformedStoredEventsAreInvalidArgument) {
  struct Case {
    const char* name;
    EventType type;
    std::string json;
  };
  const std::string deep =
      std::string(R"({"traits":{"a":)") + std::string(1100, '[') + std::string(1100, ']') + "}}";
  const Case cases[] = {
      {"empty", EventType::kIdentify, ""},
      {"not JSON", EventType::kIdentify, "{"},
      {"truncated", EventType::kIdentify, R"({"traits":{"a":1)"},
      {"not an object", EventType::kIdentify, "[1,2]"},
      {"a string", EventType::kIdentify, R"("x")"},
      {"traits not an object", EventType::kIdentify, R"({"traits":[1]})"},
      {"traits a string on a track", EventType::kTrack, R"({"traits":"x"})"},
      {"properties not an object", EventType::kTrack, R"({"properties":5})"},
      {"deep nesting", EventType::kIdentify, deep},
      {"invalid UTF-8", EventType::kIdentify, "{\"traits\":{\"a\":\"\xC3\x28\"}}"},
      {"overlong UTF-8", EventType::kIdentify, "{\"traits\":{\"\xC0\xAF\":1}}"},
      {"trailing content", EventType::kIdentify, R"({"traits":{}} x)"},
      {"too large", EventType::kIdentify,
       R"({"traits":{"a":")" + std::string(kMaxEventFactsJsonBytes, 'a') + R"("}})"},
  };
  for (const Case& c : cases) {
    Event event;
    event.type = c.type;
    event.json = c.json;
    auto facts = ExtractEventFacts(event, 1);
    EXPECT_EQ(facts.status().code(), StatusCode::kInvalidArgument) << c.name;
  }
}

TEST(EventFactsTest, OneThreadReadsManyEventsWithOneParser) {
  for (int i = 0; i < 50; ++i) {
    Event event;
    event.type = EventType::kIdentify;
    // Every seventh event is larger than the parser's first allocation.
    const std::string value =
        i % 7 == 0 ? "\"" + std::string(100'000, 'p') + "\"" : std::to_string(i);
    event.json = R"({"traits":{"n":)" + value + "}}";
    auto facts = ExtractEventFacts(event, 1);
    ASSERT_TRUE(facts.ok()) << i;
    ASSERT_EQ(facts->traits.size(), 1u);
    EXPECT_EQ(facts->traits[0].value_json, value);
  }
}

}  // namespace
}  // namespace cdp::ingest
