// Tests for ingest/segment_parser.h: each endpoint, batch merging, clock-skew correction,
// messageId handling, a table of malformed inputs, WebSocket frames and parser reuse.
#include "ingest/segment_parser.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cdp/time_format.h"

namespace cdp::ingest {
namespace {

// Small limits keep the malformed inputs small. They pass IngestLimits::Validate().
IngestLimits TestLimits() {
  IngestLimits limits;
  limits.max_message_bytes = 1024;
  limits.max_request_bytes = 4096;
  limits.max_batch_messages = 4;
  limits.max_depth = 8;
  limits.max_id_length = 32;
  return limits;
}

Timestamp At(std::string_view iso) {
  auto t = ParseIso8601(iso);
  EXPECT_TRUE(t.ok()) << iso;
  return t.ok() ? *t : Timestamp();
}

const Timestamp kReceivedAt = At("2026-03-01T12:00:00Z");
constexpr std::string_view kReceivedAtText = "2026-03-01T12:00:00.000Z";

// A parsed copy of an Event::json, queried by JSON pointer.
class Json {
 public:
  explicit Json(const std::string& text) {
    ok_ = parser_.parse(text).get(root_) == simdjson::SUCCESS;
  }
  Json(const Json&) = delete;
  Json& operator=(const Json&) = delete;

  bool ok() const { return ok_; }
  bool Has(std::string_view pointer) {
    simdjson::dom::element e;
    return ok_ && root_.at_pointer(pointer).get(e) == simdjson::SUCCESS;
  }
  std::optional<std::string> String(std::string_view pointer) {
    std::string_view s;
    if (!ok_ || root_.at_pointer(pointer).get_string().get(s) != simdjson::SUCCESS) {
      return std::nullopt;
    }
    return std::string(s);
  }
  std::optional<std::int64_t> Int(std::string_view pointer) {
    std::int64_t v = 0;
    if (!ok_ || root_.at_pointer(pointer).get_int64().get(v) != simdjson::SUCCESS) {
      return std::nullopt;
    }
    return v;
  }
  // The keys of the object at `pointer` ("" for the root), in document order, repeats kept.
  std::vector<std::string> Keys(std::string_view pointer) {
    std::vector<std::string> keys;
    simdjson::dom::object object;
    if (!ok_ || root_.at_pointer(pointer).get_object().get(object) != simdjson::SUCCESS) {
      return keys;
    }
    for (auto [key, value] : object) keys.emplace_back(key);
    return keys;
  }
  // How often `key` occurs in the object at `pointer`.
  std::size_t Count(std::string_view pointer, std::string_view key) {
    std::size_t n = 0;
    for (const std::string& k : Keys(pointer)) n += k == key ? 1u : 0u;
    return n;
  }

 private:
  bool ok_ = false;
  simdjson::dom::parser parser_;
  simdjson::dom::element root_;
};

// The result of one parse call.
struct Parse {
  bool ok = false;
  ParsedRequest request;
  ParseFailure failure;
};

Parse Batch(SegmentParser& parser, std::string_view body, Timestamp received_at = kReceivedAt) {
  Parse p;
  p.ok = parser.ParseBatch(body, received_at, &p.request, &p.failure);
  return p;
}

Parse Single(SegmentParser& parser, EventType type, std::string_view body,
             Timestamp received_at = kReceivedAt) {
  Parse p;
  p.ok = parser.ParseSingle(type, body, received_at, &p.request, &p.failure);
  return p;
}

Parse Frame(SegmentParser& parser, std::string_view body, Timestamp received_at = kReceivedAt) {
  Parse p;
  p.ok = parser.ParseFrame(body, received_at, &p.request, &p.failure);
  return p;
}

// Parses `body` on the `type` endpoint and expects exactly one valid event.
Event ParseOne(SegmentParser& parser, EventType type, std::string_view body) {
  Parse p = Single(parser, type, body);
  EXPECT_TRUE(p.ok) << p.failure.status.ToString();
  EXPECT_TRUE(p.request.errors.empty())
      << (p.request.errors.empty() ? "" : p.request.errors[0].message);
  EXPECT_EQ(p.request.events.size(), 1u);
  return p.request.events.empty() ? Event() : std::move(p.request.events[0]);
}

std::vector<std::size_t> ErrorIndexes(const ParsedRequest& request) {
  std::vector<std::size_t> indexes;
  for (const ItemError& e : request.errors) indexes.push_back(e.index);
  return indexes;
}

bool IsUuidForm(std::string_view id) {
  if (id.size() != 36) return false;
  for (std::size_t i = 0; i < id.size(); ++i) {
    const char c = id[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

TEST(IngestLimitsTest, DefaultsAndTestLimitsAreValid) {
  EXPECT_TRUE(IngestLimits().Validate().ok());
  EXPECT_TRUE(TestLimits().Validate().ok());
  IngestLimits limits;
  limits.max_batch_messages = 0;
  EXPECT_EQ(limits.Validate().code(), StatusCode::kInvalidArgument);
  limits = IngestLimits();
  limits.max_id_length = 0;
  EXPECT_EQ(limits.Validate().code(), StatusCode::kInvalidArgument);
  limits = IngestLimits();
  limits.max_request_bytes = limits.max_message_bytes - 1;
  EXPECT_EQ(limits.Validate().code(), StatusCode::kInvalidArgument);
}

TEST(SegmentParserTest, IdentifyWithTraits) {
  SegmentParser parser(TestLimits());
  Event e = ParseOne(parser, EventType::kIdentify,
                     R"({"userId":"u1","traits":{"email":"a@example.com","age":41}})");
  EXPECT_EQ(e.type, EventType::kIdentify);
  Json json(e.json);
  ASSERT_TRUE(json.ok()) << e.json;
  EXPECT_EQ(json.String("/type"), "identify");
  EXPECT_EQ(json.String("/userId"), "u1");
  EXPECT_EQ(json.String("/traits/email"), "a@example.com");
  EXPECT_EQ(json.Int("/traits/age"), 41);
  EXPECT_EQ(json.String("/messageId"), e.message_id);
}

TEST(SegmentParserTest, TrackNeedsOnlyAnAnonymousId) {
  SegmentParser parser(TestLimits());
  Event e = ParseOne(parser, EventType::kTrack,
                     R"({"anonymousId":"a1","event":"Order Completed","properties":{"total":9}})");
  EXPECT_EQ(e.type, EventType::kTrack);
  Json json(e.json);
  EXPECT_EQ(json.String("/type"), "track");
  EXPECT_EQ(json.String("/anonymousId"), "a1");
  EXPECT_FALSE(json.Has("/userId"));
  EXPECT_EQ(json.String("/event"), "Order Completed");
  EXPECT_EQ(json.Int("/properties/total"), 9);
}

TEST(SegmentParserTest, PageAndScreenWithName) {
  SegmentParser parser(TestLimits());
  Event page = ParseOne(parser, EventType::kPage,
                        R"({"userId":"u1","name":"Home","properties":{"path":"/"}})");
  EXPECT_EQ(page.type, EventType::kPage);
  Json page_json(page.json);
  EXPECT_EQ(page_json.String("/type"), "page");
  EXPECT_EQ(page_json.String("/name"), "Home");
  EXPECT_EQ(page_json.String("/properties/path"), "/");

  Event screen = ParseOne(parser, EventType::kScreen, R"({"anonymousId":"a1","name":"Login"})");
  EXPECT_EQ(screen.type, EventType::kScreen);
  Json screen_json(screen.json);
  EXPECT_EQ(screen_json.String("/type"), "screen");
  EXPECT_EQ(screen_json.String("/name"), "Login");
}

TEST(SegmentParserTest, GroupWithGroupId) {
  SegmentParser parser(TestLimits());
  Event e = ParseOne(parser, EventType::kGroup,
                     R"({"userId":"u1","groupId":"g1","traits":{"name":"Acme"}})");
  EXPECT_EQ(e.type, EventType::kGroup);
  Json json(e.json);
  EXPECT_EQ(json.String("/type"), "group");
  EXPECT_EQ(json.String("/groupId"), "g1");
  EXPECT_EQ(json.String("/traits/name"), "Acme");
}

TEST(SegmentParserTest, AliasWithPreviousIdAndUserId) {
  SegmentParser parser(TestLimits());
  Event e = ParseOne(parser, EventType::kAlias, R"({"userId":"u1","previousId":"a1"})");
  EXPECT_EQ(e.type, EventType::kAlias);
  Json json(e.json);
  EXPECT_EQ(json.String("/type"), "alias");
  EXPECT_EQ(json.String("/previousId"), "a1");
  EXPECT_EQ(json.String("/userId"), "u1");
}

TEST(SegmentParserTest, MatchingTypeFieldIsAccepted) {
  SegmentParser parser(TestLimits());
  Event e = ParseOne(parser, EventType::kTrack, R"({"type":"track","userId":"u","event":"E"})");
  EXPECT_EQ(e.type, EventType::kTrack);
  EXPECT_EQ(Json(e.json).Count("", "type"), 1u);
}

TEST(SegmentParserTest, TypeFieldDisagreeingWithTheEndpointIsAnItemError) {
  SegmentParser parser(TestLimits());
  Parse p = Single(parser, EventType::kTrack, R"({"type":"identify","userId":"u","event":"E"})");
  ASSERT_TRUE(p.ok) << p.failure.status.ToString();
  EXPECT_TRUE(p.request.events.empty());
  ASSERT_EQ(ErrorIndexes(p.request), std::vector<std::size_t>{0});
  EXPECT_FALSE(p.request.errors[0].message.empty());

  Parse unknown = Single(parser, EventType::kIdentify, R"({"type":"purchase","userId":"u"})");
  ASSERT_TRUE(unknown.ok);
  EXPECT_EQ(ErrorIndexes(unknown.request), std::vector<std::size_t>{0});
}

TEST(SegmentParserTest, BatchOfEveryType) {
  SegmentParser parser(TestLimits());
  Parse p = Batch(parser, R"({"batch":[
      {"type":"identify","userId":"u","traits":{"plan":"pro"}},
      {"type":"track","userId":"u","event":"Signed Up"},
      {"type":"page","anonymousId":"a","name":"Home"},
      {"type":"group","userId":"u","groupId":"g"}]})");
  ASSERT_TRUE(p.ok) << p.failure.status.ToString();
  EXPECT_TRUE(p.request.errors.empty());
  ASSERT_EQ(p.request.events.size(), 4u);
  EXPECT_EQ(p.request.events[0].type, EventType::kIdentify);
  EXPECT_EQ(p.request.events[1].type, EventType::kTrack);
  EXPECT_EQ(p.request.events[2].type, EventType::kPage);
  EXPECT_EQ(p.request.events[3].type, EventType::kGroup);
  EXPECT_EQ(Json(p.request.events[1].json).String("/event"), "Signed Up");
  EXPECT_FALSE(p.request.write_key.has_value());
  EXPECT_FALSE(p.request.seq.has_value());

  Parse rest = Batch(parser, R"({"batch":[{"type":"screen","userId":"u","name":"S"},
                                          {"type":"alias","userId":"u","previousId":"a"}]})");
  ASSERT_TRUE(rest.ok);
  ASSERT_EQ(rest.request.events.size(), 2u);
  EXPECT_EQ(rest.request.events[0].type, EventType::kScreen);
  EXPECT_EQ(rest.request.events[1].type, EventType::kAlias);
}

TEST(SegmentParserTest, EmptyBatchIsAccepted) {
  SegmentParser parser(TestLimits());
  Parse p = Batch(parser, R"({"batch":[]})");
  ASSERT_TRUE(p.ok) << p.failure.status.ToString();
  EXPECT_TRUE(p.request.events.empty());
  EXPECT_TRUE(p.request.errors.empty());
}

TEST(SegmentParserTest, BatchContextAndIntegrationsMergeIntoItemsAndItemKeysWin) {
  SegmentParser parser(TestLimits());
  Parse p = Batch(parser, R"({
      "context": {"ip": "10.0.0.1", "channel": "web", "library": {"name": "batch-lib"}},
      "integrations": {"All": false, "Mixpanel": true},
      "batch": [
        {"type": "track", "userId": "u", "event": "E",
         "context": {"channel": "app", "locale": "fi-FI"},
         "integrations": {"Mixpanel": false, "Amplitude": true}},
        {"type": "identify", "userId": "u"}
      ]})");
  ASSERT_TRUE(p.ok) << p.failure.status.ToString();
  ASSERT_TRUE(p.request.errors.empty()) << p.request.errors[0].message;
  ASSERT_EQ(p.request.events.size(), 2u);

  Json first(p.request.events[0].json);
  ASSERT_TRUE(first.ok()) << p.request.events[0].json;
  EXPECT_EQ(first.String("/context/channel"), "app");  // the item's value wins
  EXPECT_EQ(first.String("/context/locale"), "fi-FI");
  EXPECT_EQ(first.String("/context/ip"), "10.0.0.1");  // batch-only keys are added
  EXPECT_EQ(first.String("/context/library/name"), "batch-lib");
  EXPECT_EQ(first.Keys("/context").size(), 4u);
  EXPECT_EQ(first.Count("/context", "channel"), 1u);
  EXPECT_EQ(first.Count("", "context"), 1u);
  EXPECT_EQ(first.Keys("/integrations").size(), 3u);
  EXPECT_EQ(first.Count("/integrations", "Mixpanel"), 1u);
  EXPECT_EQ(first.Count("", "integrations"), 1u);
  simdjson::dom::parser p2;
  simdjson::dom::element root;
  ASSERT_EQ(p2.parse(p.request.events[0].json).get(root), simdjson::SUCCESS);
  bool mixpanel = true, amplitude = false, all = true;
  ASSERT_EQ(root.at_pointer("/integrations/Mixpanel").get(mixpanel), simdjson::SUCCESS);
  ASSERT_EQ(root.at_pointer("/integrations/Amplitude").get(amplitude), simdjson::SUCCESS);
  ASSERT_EQ(root.at_pointer("/integrations/All").get(all), simdjson::SUCCESS);
  EXPECT_FALSE(mixpanel);
  EXPECT_TRUE(amplitude);
  EXPECT_FALSE(all);

  // An item without context of its own gets the batch's.
  Json second(p.request.events[1].json);
  EXPECT_EQ(second.String("/context/channel"), "web");
  EXPECT_EQ(second.String("/context/ip"), "10.0.0.1");
  EXPECT_EQ(second.Keys("/context").size(), 3u);
  EXPECT_EQ(second.Keys("/integrations").size(), 2u);
}

TEST(SegmentParserTest, ItemContextIsKeptWithoutBatchContext) {
  SegmentParser parser(TestLimits());
  Parse p = Batch(parser, R"({"batch":[{"type":"identify","userId":"u","context":{"ip":"1.2.3.4"}},
                                      {"type":"identify","userId":"v"}]})");
  ASSERT_TRUE(p.ok);
  ASSERT_EQ(p.request.events.size(), 2u);
  Json first(p.request.events[0].json);
  EXPECT_EQ(first.String("/context/ip"), "1.2.3.4");
  EXPECT_EQ(first.Keys("/context").size(), 1u);
  EXPECT_FALSE(Json(p.request.events[1].json).Has("/context"));
}

TEST(SegmentParserTest, ReceivedAtIsTheGivenTimeAndOverwritesTheClients) {
  SegmentParser parser(TestLimits());
  Event e = ParseOne(parser, EventType::kIdentify,
                     R"({"userId":"u","receivedAt":"1999-01-01T00:00:00Z"})");
  EXPECT_EQ(e.received_at, kReceivedAt);
  Json json(e.json);
  EXPECT_EQ(json.String("/receivedAt"), kReceivedAtText);
  EXPECT_EQ(json.Count("", "receivedAt"), 1u);

  const Timestamp later = At("2026-03-02T08:30:15.250Z");
  Parse p = Batch(parser, R"({"batch":[{"type":"identify","userId":"u"}]})", later);
  ASSERT_EQ(p.request.events.size(), 1u);
  EXPECT_EQ(p.request.events[0].received_at, later);
  EXPECT_EQ(Json(p.request.events[0].json).String("/receivedAt"), "2026-03-02T08:30:15.250Z");
}

TEST(SegmentParserTest, ClockSkewIsCorrectedWithBatchSentAt) {
  SegmentParser parser(TestLimits());
  // The client's clock is 2 h behind: it sent at 10:00:05 what happened 5 s earlier.
  Parse p = Batch(parser, R"({"sentAt":"2026-03-01T10:00:05Z","batch":[
      {"type":"track","userId":"u","event":"E","timestamp":"2026-03-01T10:00:00Z"}]})");
  ASSERT_TRUE(p.ok) << p.failure.status.ToString();
  ASSERT_EQ(p.request.events.size(), 1u);
  const Event& e = p.request.events[0];
  EXPECT_EQ(e.timestamp, At("2026-03-01T11:59:55Z"));
  EXPECT_EQ(e.received_at, kReceivedAt);
  Json json(e.json);
  EXPECT_EQ(json.String("/timestamp"), "2026-03-01T11:59:55.000Z");
  EXPECT_EQ(json.String("/originalTimestamp"), "2026-03-01T10:00:00.000Z");
  EXPECT_EQ(json.String("/sentAt"), "2026-03-01T10:00:05.000Z");
  EXPECT_EQ(json.Count("", "timestamp"), 1u);
}

TEST(SegmentParserTest, ItemSentAtOverridesBatchSentAt) {
  SegmentParser parser(TestLimits());
  Parse p = Batch(parser, R"({"sentAt":"2026-03-01T10:00:05Z","batch":[
      {"type":"track","userId":"u","event":"E","timestamp":"2026-03-01T10:00:00Z",
       "sentAt":"2026-03-01T10:00:02Z"},
      {"type":"track","userId":"u","event":"E","timestamp":"2026-03-01T10:00:00Z"}]})");
  ASSERT_TRUE(p.ok) << p.failure.status.ToString();
  ASSERT_EQ(p.request.events.size(), 2u);
  EXPECT_EQ(p.request.events[0].timestamp, At("2026-03-01T11:59:58Z"));
  EXPECT_EQ(p.request.events[1].timestamp, At("2026-03-01T11:59:55Z"));
}

TEST(SegmentParserTest, SingleMessageSentAtCorrectsTimestamp) {
  SegmentParser parser(TestLimits());
  Event e = ParseOne(parser, EventType::kTrack,
                     R"({"userId":"u","event":"E","timestamp":"2026-03-01T13:00:00.500+01:00",)"
                     R"("sentAt":"2026-03-01T12:00:01Z"})");
  // 12:00:00.500Z happened 0.5 s before the client sent it.
  EXPECT_EQ(e.timestamp, At("2026-03-01T11:59:59.500Z"));
}

TEST(SegmentParserTest, AbsurdSkewKeepsTheClientTimestamp) {
  SegmentParser parser(TestLimits());
  // Correcting by eight thousand years would leave the years ISO 8601 parsing reads back.
  Event e = ParseOne(parser, EventType::kTrack,
                     R"({"userId":"u","event":"E","timestamp":"1000-01-01T00:00:00Z",)"
                     R"("sentAt":"9999-12-31T00:00:00Z"})");
  EXPECT_EQ(e.timestamp, At("1000-01-01T00:00:00Z"));
  EXPECT_EQ(Json(e.json).String("/timestamp"), "1000-01-01T00:00:00.000Z");
}

TEST(SegmentParserTest, WithoutSentAtTheClientTimestampIsKept) {
  SegmentParser parser(TestLimits());
  Event e = ParseOne(parser, EventType::kTrack,
                     R"({"userId":"u","event":"E","timestamp":"2026-02-28T23:59:59.123Z"})");
  EXPECT_EQ(e.timestamp, At("2026-02-28T23:59:59.123Z"));
  EXPECT_EQ(Json(e.json).String("/timestamp"), "2026-02-28T23:59:59.123Z");
}

TEST(SegmentParserTest, WithoutTimestampTheTimestampIsReceivedAt) {
  SegmentParser parser(TestLimits());
  Event e = ParseOne(parser, EventType::kTrack, R"({"userId":"u","event":"E"})");
  EXPECT_EQ(e.timestamp, kReceivedAt);
  Json json(e.json);
  EXPECT_EQ(json.String("/timestamp"), kReceivedAtText);
  EXPECT_FALSE(json.Has("/originalTimestamp"));

  // sentAt alone does not move it.
  Event sent = ParseOne(parser, EventType::kTrack,
                        R"({"userId":"u","event":"E","sentAt":"2026-03-01T10:00:00Z"})");
  EXPECT_EQ(sent.timestamp, kReceivedAt);
}

TEST(SegmentParserTest, OriginalTimestampIsPreferredOverTimestamp) {
  SegmentParser parser(TestLimits());
  Parse p = Batch(parser, R"({"sentAt":"2026-03-01T10:00:05Z","batch":[
      {"type":"track","userId":"u","event":"E","originalTimestamp":"2026-03-01T10:00:00Z",
       "timestamp":"2026-03-01T10:00:03Z"}]})");
  ASSERT_TRUE(p.ok) << p.failure.status.ToString();
  ASSERT_EQ(p.request.events.size(), 1u);
  EXPECT_EQ(p.request.events[0].timestamp, At("2026-03-01T11:59:55Z"));
  Json json(p.request.events[0].json);
  EXPECT_EQ(json.String("/originalTimestamp"), "2026-03-01T10:00:00.000Z");
  EXPECT_EQ(json.Count("", "originalTimestamp"), 1u);

  Event no_sent_at = ParseOne(parser, EventType::kTrack,
                              R"({"userId":"u","event":"E","timestamp":"2026-03-01T10:00:03Z",)"
                              R"("originalTimestamp":"2026-03-01T10:00:00Z"})");
  EXPECT_EQ(no_sent_at.timestamp, At("2026-03-01T10:00:00Z"));
}

TEST(SegmentParserTest, MessageIdIsKeptWhenGiven) {
  SegmentParser parser(TestLimits());
  Event e = ParseOne(parser, EventType::kTrack,
                     R"({"userId":"u","event":"E","messageId":"ajs-next-1700000000000-abc"})");
  EXPECT_EQ(e.message_id, "ajs-next-1700000000000-abc");
  Json json(e.json);
  EXPECT_EQ(json.String("/messageId"), "ajs-next-1700000000000-abc");
  EXPECT_EQ(json.Count("", "messageId"), 1u);

  const std::string longest(kMaxMessageIdLength, 'm');
  Event at_limit =
      ParseOne(parser, EventType::kIdentify, R"({"userId":"u","messageId":")" + longest + R"("})");
  EXPECT_EQ(at_limit.message_id, longest);
}

TEST(SegmentParserTest, MessageIdIsGeneratedWhenAbsentAndUnique) {
  SegmentParser parser(TestLimits());
  SegmentParser other(TestLimits());
  std::set<std::string> ids;
  for (int i = 0; i < 100; ++i) {
    Parse p = Batch(i % 2 == 0 ? parser : other,
                    R"({"batch":[{"type":"identify","userId":"u"},)"
                    R"({"type":"identify","userId":"u","messageId":null}]})");
    ASSERT_TRUE(p.ok);
    ASSERT_EQ(p.request.events.size(), 2u);
    for (const Event& e : p.request.events) {
      EXPECT_TRUE(IsUuidForm(e.message_id)) << e.message_id;
      EXPECT_EQ(Json(e.json).String("/messageId"), e.message_id);
      ids.insert(e.message_id);
    }
  }
  EXPECT_EQ(ids.size(), 200u);
}

TEST(SegmentParserTest, WriteKeyIsReadAndNotStored) {
  SegmentParser parser(TestLimits());
  Parse single = Single(parser, EventType::kIdentify, R"({"writeKey":"wk_demo","userId":"u"})");
  ASSERT_TRUE(single.ok);
  EXPECT_EQ(single.request.write_key, "wk_demo");
  ASSERT_EQ(single.request.events.size(), 1u);
  EXPECT_FALSE(Json(single.request.events[0].json).Has("/writeKey"));
  EXPECT_EQ(single.request.events[0].json.find("wk_demo"), std::string::npos);

  Parse batch = Batch(parser, R"({"writeKey":"wk_batch","batch":[
      {"type":"identify","userId":"u","writeKey":"wk_item"}]})");
  ASSERT_TRUE(batch.ok);
  EXPECT_EQ(batch.request.write_key, "wk_batch");
  ASSERT_EQ(batch.request.events.size(), 1u);
  EXPECT_EQ(batch.request.events[0].json.find("wk_"), std::string::npos)
      << batch.request.events[0].json;

  Parse none = Single(parser, EventType::kIdentify, R"({"userId":"u"})");
  EXPECT_FALSE(none.request.write_key.has_value());
}

TEST(SegmentParserTest, TheKeysNameIsStampedAsSourceOnEveryEvent) {
  SegmentParser parser(TestLimits());
  Parse single;
  single.ok = parser.ParseSingle(EventType::kIdentify, R"({"userId":"u"})", kReceivedAt,
                                 &single.request, &single.failure, "civil_register");
  ASSERT_TRUE(single.ok);
  ASSERT_EQ(single.request.events.size(), 1u);
  Json json(single.request.events[0].json);
  EXPECT_EQ(json.String("/source"), "civil_register");
  EXPECT_EQ(json.Count("", "source"), 1u);

  Parse batch;
  batch.ok = parser.ParseBatch(
      R"({"batch":[{"type":"track","userId":"u","event":"E"},{"type":"page","userId":"u"}]})",
      kReceivedAt, &batch.request, &batch.failure, "office");
  ASSERT_TRUE(batch.ok);
  ASSERT_EQ(batch.request.events.size(), 2u);
  for (const Event& e : batch.request.events) EXPECT_EQ(Json(e.json).String("/source"), "office");

  Parse frame;
  frame.ok = parser.ParseFrame(R"({"type":"track","userId":"u","event":"E"})", kReceivedAt,
                               &frame.request, &frame.failure, "kiosk");
  ASSERT_TRUE(frame.ok);
  ASSERT_EQ(frame.request.events.size(), 1u);
  EXPECT_EQ(Json(frame.request.events[0].json).String("/source"), "kiosk");

  // The next request, without a name, carries none.
  Event unnamed = ParseOne(parser, EventType::kIdentify, R"({"userId":"u"})");
  EXPECT_FALSE(Json(unnamed.json).Has("/source"));
}

TEST(SegmentParserTest, AClientsSourceIsDroppedOrOverwritten) {
  SegmentParser parser(TestLimits());
  Event dropped =
      ParseOne(parser, EventType::kIdentify, R"({"userId":"u","source":"civil_register"})");
  EXPECT_FALSE(Json(dropped.json).Has("/source"));
  EXPECT_EQ(dropped.json.find("civil_register"), std::string::npos);

  Parse p;
  p.ok = parser.ParseBatch(
      R"({"batch":[{"type":"identify","userId":"u","source":{"x":"civil_register"}}]})",
      kReceivedAt, &p.request, &p.failure, "web_form");
  ASSERT_TRUE(p.ok);
  ASSERT_EQ(p.request.events.size(), 1u);
  Json json(p.request.events[0].json);
  EXPECT_EQ(json.String("/source"), "web_form");
  EXPECT_EQ(json.Count("", "source"), 1u);
  EXPECT_EQ(p.request.events[0].json.find("civil_register"), std::string::npos);
}

TEST(SegmentParserTest, TheStampedSourceCountsTowardsTheMessageLimit) {
  SegmentParser parser(TestLimits());
  // A message that fits without the source, and not with it.
  const std::string name(64, 'n');
  for (std::size_t pad = 700; pad < 1024; ++pad) {
    const std::string body = R"({"userId":"u","p":")" + std::string(pad, 'p') + R"("})";
    Parse without = Single(parser, EventType::kIdentify, body);
    Parse with;
    with.ok = parser.ParseSingle(EventType::kIdentify, body, kReceivedAt, &with.request,
                                 &with.failure, name);
    if (without.request.errors.empty() && !with.request.errors.empty()) {
      EXPECT_NE(with.request.errors[0].message.find("larger than"), std::string::npos);
      return;
    }
  }
  ADD_FAILURE() << "no message between the two sizes";
}

TEST(SegmentParserTest, ClientFieldsAreCopiedVerbatim) {
  SegmentParser parser(TestLimits());
  Event e = ParseOne(parser, EventType::kTrack,
                     R"({"userId":"u","event":"E","properties":{"list":[1,2.5,"x",null,true]},)"
                     R"("version":2,"note":"caf\u00e9 \"q\""})");
  Json json(e.json);
  EXPECT_EQ(json.Int("/properties/list/0"), 1);
  EXPECT_EQ(json.String("/properties/list/2"), "x");
  EXPECT_EQ(json.Int("/version"), 2);
  EXPECT_EQ(json.String("/note"), "caf\xC3\xA9 \"q\"");
}

// One row of the malformed-input table.
enum class Route { kBatch, kIdentify, kTrack, kGroup, kAlias, kFrame };

struct Expected {
  // Refused whole: the failure's code and reason.
  std::optional<StatusCode> code;
  std::string_view reason;
  // Otherwise: the indexes of invalid messages and the number of valid events.
  std::vector<std::size_t> error_indexes;
  std::size_t events = 0;
};

Expected Refused(StatusCode code, std::string_view reason) { return {code, reason, {}, 0}; }
Expected ItemErrors(std::vector<std::size_t> indexes, std::size_t events = 0) {
  return {std::nullopt, "", std::move(indexes), events};
}
Expected Accepted(std::size_t events = 1) { return {std::nullopt, "", {}, events}; }

struct MalformedCase {
  std::string name;
  Route route;
  std::string body;
  Expected expected;
};

Parse ParseOn(SegmentParser& parser, Route route, std::string_view body) {
  switch (route) {
    case Route::kBatch: return Batch(parser, body);
    case Route::kIdentify: return Single(parser, EventType::kIdentify, body);
    case Route::kTrack: return Single(parser, EventType::kTrack, body);
    case Route::kGroup: return Single(parser, EventType::kGroup, body);
    case Route::kAlias: return Single(parser, EventType::kAlias, body);
    case Route::kFrame: return Frame(parser, body);
  }
  return Parse();
}

// `levels` nested objects, the innermost holding a number: {"a":{"a":1}} is 2 levels.
std::string Nested(int levels) {
  std::string out;
  for (int i = 0; i < levels - 1; ++i) out += R"({"a":)";
  out += R"({"a":1})";
  for (int i = 0; i < levels - 1; ++i) out += '}';
  return out;
}

std::string BatchOf(int n) {
  std::string out = R"({"batch":[)";
  for (int i = 0; i < n; ++i) {
    if (i > 0) out += ',';
    out += R"({"type":"track","userId":"u","event":"E"})";
  }
  return out + "]}";
}

std::vector<MalformedCase> MalformedCases() {
  const IngestLimits limits = TestLimits();
  const std::string id_at_limit(limits.max_id_length, 'i');
  const std::string id_over_limit(limits.max_id_length + 1, 'i');
  const std::string long_message_id(kMaxMessageIdLength + 1, 'm');
  const std::string big_trait(limits.max_message_bytes, 'x');
  const std::string oversize_body =
      R"({"userId":"u","traits":{"t":")" + std::string(limits.max_request_bytes, 'x') + R"("}})";
  const std::string body_at_limit =
      R"({"userId":"u","p":")" +
      std::string(limits.max_request_bytes - std::string_view(R"({"userId":"u","p":""})").size(),
                  ' ') +
      R"("})";
  const auto invalid = [](std::string_view reason) {
    return Refused(StatusCode::kInvalidArgument, reason);
  };
  const auto too_large = [](std::string_view reason) {
    return Refused(StatusCode::kPayloadTooLarge, reason);
  };
  // The nesting limit counts the root object: 8 levels in all pass, 9 do not.
  const int max_depth = static_cast<int>(limits.max_depth);
  return {
      {"MalformedJson", Route::kTrack, R"({"userId":"u","event":"E",})", invalid("malformed_json")},
      {"MissingColon", Route::kBatch, R"({"batch" []})", invalid("malformed_json")},
      {"TrailingGarbage", Route::kIdentify, R"({"userId":"u"} x)", invalid("malformed_json")},
      {"EmptyBody", Route::kBatch, "", invalid("malformed_json")},
      {"WhitespaceBody", Route::kIdentify, "  \n ", invalid("malformed_json")},
      {"TruncatedBatch", Route::kBatch, R"({"batch":[{"type":"track","userId":"u","event":"E"})",
       invalid("malformed_json")},
      {"TruncatedString", Route::kIdentify, R"({"userId":"ab)", invalid("malformed_json")},
      {"TruncatedAfterKey", Route::kIdentify, R"({"userId")", invalid("malformed_json")},
      {"InvalidUtf8InValue", Route::kIdentify, "{\"userId\":\"u\xFF\"}", invalid("invalid_utf8")},
      {"InvalidUtf8InKey", Route::kIdentify, "{\"userId\":\"u\",\"k\xC3\x28\":1}",
       invalid("invalid_utf8")},
      {"OverlongUtf8", Route::kBatch, "{\"batch\":[],\"x\":\"\xC0\xAF\"}", invalid("invalid_utf8")},
      {"NestingAtMaxDepth", Route::kIdentify,
       R"({"userId":"u","traits":)" + Nested(max_depth - 1) + "}", Accepted()},
      {"NestingOverMaxDepth", Route::kIdentify,
       R"({"userId":"u","traits":)" + Nested(max_depth) + "}", invalid("too_deep")},
      {"BatchNestingOverMaxDepth", Route::kBatch,
       R"({"batch":[{"type":"identify","userId":"u","traits":)" + Nested(max_depth - 2) + "}]}",
       invalid("too_deep")},
      {"DeepArrays", Route::kBatch, std::string(20, '[') + std::string(20, ']'),
       invalid("too_deep")},
      {"BodyIsArray", Route::kBatch, R"([{"type":"identify","userId":"u"}])",
       invalid("invalid_message")},
      {"BodyIsString", Route::kIdentify, R"("userId")", invalid("invalid_message")},
      {"BodyIsNumber", Route::kTrack, "42", invalid("invalid_message")},
      {"BodyIsNull", Route::kFrame, "null", invalid("invalid_message")},
      {"BatchMissing", Route::kBatch, R"({"context":{}})", invalid("invalid_message")},
      {"BatchIsObject", Route::kBatch, R"({"batch":{}})", invalid("invalid_message")},
      {"BatchIsString", Route::kBatch, R"({"batch":"[]"})", invalid("invalid_message")},
      {"BatchIsNull", Route::kBatch, R"({"batch":null})", invalid("invalid_message")},
      {"BatchContextIsString", Route::kBatch, R"({"context":"web","batch":[]})",
       invalid("invalid_message")},
      {"BatchSentAtInvalid", Route::kBatch, R"({"sentAt":"yesterday","batch":[]})",
       invalid("invalid_message")},
      {"WriteKeyIsNumber", Route::kIdentify, R"({"writeKey":5,"userId":"u"})",
       invalid("invalid_message")},
      {"BatchItemIsNumber", Route::kBatch, R"({"batch":[1,{"type":"identify","userId":"u"}]})",
       ItemErrors({0}, 1)},
      {"BatchItemsNotObjects", Route::kBatch, R"({"batch":["x",[],null]})", ItemErrors({0, 1, 2})},
      {"BatchItemWithoutType", Route::kBatch, R"({"batch":[{"userId":"u"}]})", ItemErrors({0})},
      {"BatchItemUnknownType", Route::kBatch, R"({"batch":[{"type":"buy","userId":"u"}]})",
       ItemErrors({0})},
      {"BatchItemTypeIsNumber", Route::kBatch, R"({"batch":[{"type":1,"userId":"u"}]})",
       ItemErrors({0})},
      {"UserIdIsNumber", Route::kIdentify, R"({"userId":42})", ItemErrors({0})},
      {"AnonymousIdIsBool", Route::kIdentify, R"({"anonymousId":true})", ItemErrors({0})},
      {"EventIsNumber", Route::kTrack, R"({"userId":"u","event":7})", ItemErrors({0})},
      {"ContextIsString", Route::kTrack, R"({"userId":"u","event":"E","context":"web"})",
       ItemErrors({0})},
      {"IntegrationsIsArray", Route::kTrack, R"({"userId":"u","event":"E","integrations":[]})",
       ItemErrors({0})},
      {"TraitsIsArray", Route::kIdentify, R"({"userId":"u","traits":["a"]})", ItemErrors({0})},
      {"PropertiesIsString", Route::kTrack, R"({"userId":"u","event":"E","properties":"p"})",
       ItemErrors({0})},
      {"TimestampIsNumber", Route::kTrack,
       R"({"userId":"u","event":"E","timestamp":1700000000000})", ItemErrors({0})},
      {"MessageIdIsNumber", Route::kTrack, R"({"userId":"u","event":"E","messageId":12})",
       ItemErrors({0})},
      {"NoUserIdOrAnonymousId", Route::kIdentify, R"({"traits":{"a":1}})", ItemErrors({0})},
      {"NullUserIdOnly", Route::kIdentify, R"({"userId":null})", ItemErrors({0})},
      {"EmptyUserId", Route::kIdentify, R"({"userId":""})", ItemErrors({0})},
      {"TrackWithoutEvent", Route::kTrack, R"({"userId":"u"})", ItemErrors({0})},
      {"TrackWithEmptyEvent", Route::kTrack, R"({"userId":"u","event":""})", ItemErrors({0})},
      {"GroupWithoutGroupId", Route::kGroup, R"({"userId":"u"})", ItemErrors({0})},
      {"AliasWithoutPreviousId", Route::kAlias, R"({"userId":"u"})", ItemErrors({0})},
      {"AliasWithoutUserId", Route::kAlias, R"({"anonymousId":"a","previousId":"p"})",
       ItemErrors({0})},
      {"MessageIdAtLimit", Route::kIdentify,
       R"({"userId":"u","messageId":")" + std::string(kMaxMessageIdLength, 'm') + R"("})",
       Accepted()},
      {"MessageIdOverLimit", Route::kIdentify,
       R"({"userId":"u","messageId":")" + long_message_id + R"("})", ItemErrors({0})},
      {"UserIdAtLimit", Route::kIdentify, R"({"userId":")" + id_at_limit + R"("})", Accepted()},
      {"UserIdOverLimit", Route::kIdentify, R"({"userId":")" + id_over_limit + R"("})",
       ItemErrors({0})},
      {"AnonymousIdOverLimit", Route::kIdentify, R"({"anonymousId":")" + id_over_limit + R"("})",
       ItemErrors({0})},
      {"EventOverLimit", Route::kTrack, R"({"userId":"u","event":")" + id_over_limit + R"("})",
       ItemErrors({0})},
      {"GroupIdOverLimit", Route::kGroup, R"({"userId":"u","groupId":")" + id_over_limit + R"("})",
       ItemErrors({0})},
      {"PreviousIdOverLimit", Route::kAlias,
       R"({"userId":"u","previousId":")" + id_over_limit + R"("})", ItemErrors({0})},
      {"TimestampYesterday", Route::kTrack, R"({"userId":"u","event":"E","timestamp":"yesterday"})",
       ItemErrors({0})},
      {"TimestampFebruary30", Route::kTrack,
       R"({"userId":"u","event":"E","timestamp":"2026-02-30T00:00:00Z"})", ItemErrors({0})},
      {"OriginalTimestampInvalid", Route::kTrack,
       R"({"userId":"u","event":"E","originalTimestamp":"2026-13-01T00:00:00Z"})", ItemErrors({0})},
      {"ItemSentAtInvalid", Route::kTrack,
       R"({"userId":"u","event":"E","sentAt":"2026-03-01T25:00:00Z"})", ItemErrors({0})},
      {"OversizeMessage", Route::kIdentify,
       R"({"userId":"u","traits":{"t":")" + big_trait + R"("}})", ItemErrors({0})},
      {"OversizeMessageInBatch", Route::kBatch,
       R"({"batch":[{"type":"identify","userId":"u"},{"type":"identify","userId":"u",)"
       R"("traits":{"t":")" +
           big_trait + R"("}}]})",
       ItemErrors({1}, 1)},
      {"BodyAtLimit", Route::kIdentify, body_at_limit, ItemErrors({0})},
      {"OversizeBody", Route::kIdentify, oversize_body, too_large("request_too_large")},
      {"OversizeMalformedBody", Route::kBatch, std::string(limits.max_request_bytes + 1, '{'),
       too_large("request_too_large")},
      {"BatchAtMessageLimit", Route::kBatch, BatchOf(static_cast<int>(limits.max_batch_messages)),
       Accepted(limits.max_batch_messages)},
      {"TooManyMessages", Route::kBatch, BatchOf(static_cast<int>(limits.max_batch_messages) + 1),
       too_large("too_many_messages")},
      {"OneInvalidItemAmongValid", Route::kBatch,
       R"({"batch":[{"type":"track","userId":"u","event":"A"},)"
       R"({"type":"identify","userId":"u"},)"
       R"({"type":"track","userId":"u"},)"
       R"({"type":"page","anonymousId":"a"}]})",
       ItemErrors({2}, 3)},
      {"FirstAndLastItemsInvalid", Route::kBatch,
       R"({"batch":[{"type":"group","userId":"u"},)"
       R"({"type":"identify","userId":"u"},)"
       R"({"type":"alias","userId":"u"}]})",
       ItemErrors({0, 2}, 1)},
  };
}

// Names the row in failure messages instead of dumping its bytes.
void PrintTo(const MalformedCase& c, std::ostream* os) { *os << c.name; }

class SegmentParserMalformedTest : public ::testing::TestWithParam<MalformedCase> {};

TEST_P(SegmentParserMalformedTest, GivesTheExpectedOutcome) {
  const MalformedCase& c = GetParam();
  SegmentParser parser(TestLimits());
  Parse p = ParseOn(parser, c.route, c.body);
  if (c.expected.code.has_value()) {
    ASSERT_FALSE(p.ok) << "accepted; events " << p.request.events.size() << ", errors "
                       << p.request.errors.size();
    EXPECT_EQ(p.failure.status.code(), *c.expected.code) << p.failure.status.ToString();
    EXPECT_EQ(p.failure.reason, c.expected.reason) << p.failure.status.ToString();
    EXPECT_FALSE(p.failure.status.message().empty());
  } else {
    ASSERT_TRUE(p.ok) << p.failure.status.ToString() << " (" << p.failure.reason << ")";
    std::string messages;
    for (const ItemError& e : p.request.errors) messages += e.message + "; ";
    EXPECT_EQ(ErrorIndexes(p.request), c.expected.error_indexes) << messages;
    for (const ItemError& e : p.request.errors) EXPECT_FALSE(e.message.empty());
    EXPECT_EQ(p.request.events.size(), c.expected.events) << messages;
  }
  // The parser recovers: a valid body right after parses.
  Parse next = Single(parser, EventType::kIdentify, R"({"userId":"after"})");
  ASSERT_TRUE(next.ok);
  ASSERT_EQ(next.request.events.size(), 1u);
  EXPECT_EQ(Json(next.request.events[0].json).String("/userId"), "after");
}

INSTANTIATE_TEST_SUITE_P(Table, SegmentParserMalformedTest, ::testing::ValuesIn(MalformedCases()),
                         [](const ::testing::TestParamInfo<MalformedCase>& row) {
                           return row.param.name;
                         });

TEST(SegmentParserFrameTest, SingleMessageFrame) {
  SegmentParser parser(TestLimits());
  Parse p = Frame(parser, R"({"type":"track","userId":"u","event":"Clicked","writeKey":"wk"})");
  ASSERT_TRUE(p.ok) << p.failure.status.ToString();
  EXPECT_FALSE(p.request.seq.has_value());
  EXPECT_TRUE(p.request.errors.empty());
  ASSERT_EQ(p.request.events.size(), 1u);
  EXPECT_EQ(p.request.events[0].type, EventType::kTrack);
  Json json(p.request.events[0].json);
  EXPECT_EQ(json.String("/event"), "Clicked");
  EXPECT_FALSE(json.Has("/writeKey"));
}

TEST(SegmentParserFrameTest, SingleMessageFrameNeedsAType) {
  SegmentParser parser(TestLimits());
  Parse p = Frame(parser, R"({"userId":"u","event":"Clicked"})");
  ASSERT_TRUE(p.ok);
  EXPECT_TRUE(p.request.events.empty());
  EXPECT_EQ(ErrorIndexes(p.request), std::vector<std::size_t>{0});
}

TEST(SegmentParserFrameTest, BatchFrameWithSeq) {
  SegmentParser parser(TestLimits());
  Parse p = Frame(parser, R"({"seq":42,"context":{"channel":"app"},"sentAt":"2026-03-01T10:00:05Z",
      "batch":[{"type":"identify","userId":"u"},
               {"type":"track","userId":"u","event":"E","timestamp":"2026-03-01T10:00:00Z"},
               {"type":"track","userId":"u"}]})");
  ASSERT_TRUE(p.ok) << p.failure.status.ToString();
  EXPECT_EQ(p.request.seq, 42);
  ASSERT_EQ(p.request.events.size(), 2u);
  EXPECT_EQ(ErrorIndexes(p.request), std::vector<std::size_t>{2});
  EXPECT_EQ(Json(p.request.events[0].json).String("/context/channel"), "app");
  EXPECT_EQ(p.request.events[1].timestamp, At("2026-03-01T11:59:55Z"));

  Parse zero = Frame(parser, R"({"batch":[],"seq":0})");
  ASSERT_TRUE(zero.ok);
  EXPECT_EQ(zero.request.seq, 0);
}

TEST(SegmentParserFrameTest, SeqMustBeAnInteger) {
  SegmentParser parser(TestLimits());
  for (std::string_view body :
       {R"({"seq":"1","batch":[]})", R"({"seq":1.5,"batch":[]})", R"({"seq":null,"batch":[]})",
        R"({"seq":[1],"batch":[]})", R"({"seq":18446744073709551615,"batch":[]})"}) {
    Parse p = Frame(parser, body);
    EXPECT_FALSE(p.ok) << body;
    EXPECT_EQ(p.failure.status.code(), StatusCode::kInvalidArgument) << body;
    EXPECT_EQ(p.failure.reason, "invalid_message") << body;
  }
}

TEST(SegmentParserFrameTest, FrameBatchMustBeAnArrayAndIsBounded) {
  SegmentParser parser(TestLimits());
  Parse not_array = Frame(parser, R"({"seq":1,"batch":{"type":"identify","userId":"u"}})");
  EXPECT_FALSE(not_array.ok);
  EXPECT_EQ(not_array.failure.reason, "invalid_message");

  std::string many = BatchOf(5);
  many.insert(1, R"("seq":3,)");
  Parse too_many = Frame(parser, many);
  EXPECT_FALSE(too_many.ok);
  EXPECT_EQ(too_many.failure.status.code(), StatusCode::kPayloadTooLarge);
  EXPECT_EQ(too_many.failure.reason, "too_many_messages");

  Parse bad = Frame(parser, "{\"seq\":1,");
  EXPECT_FALSE(bad.ok);
  EXPECT_EQ(bad.failure.reason, "malformed_json");
}

TEST(SegmentParserTest, OneParserReusedForManyBodiesGivesCorrectResults) {
  SegmentParser parser(TestLimits());
  for (int i = 0; i < 1000; ++i) {
    const std::string n = std::to_string(i);
    // Bodies grow and shrink, so stale bytes of a longer body would show.
    const std::string pad(static_cast<std::size_t>((i * 37) % 400),
                          static_cast<char>('a' + i % 26));
    const std::string message_id = i % 2 == 0 ? R"(,"messageId":"m-)" + n + R"(")" : "";
    const std::string item = R"({"type":"track","userId":"user-)" + n + R"(","event":"Event )" + n +
                             R"(","properties":{"pad":")" + pad + R"("})" + message_id + "}";
    Parse p;
    std::size_t expected_events = 1;
    switch (i % 5) {
      case 0:
        p = Batch(parser, R"({"context":{"n":)" + n + R"(},"batch":[)" + item + "," + item + "]}");
        expected_events = 2;
        break;
      case 1: p = Single(parser, EventType::kTrack, item); break;
      case 2: p = Frame(parser, R"({"seq":)" + n + R"(,"batch":[)" + item + "]}"); break;
      case 3: p = Frame(parser, item); break;
      case 4: {
        // A malformed body in between must not disturb the next parse.
        Parse bad = Batch(parser, item.substr(0, item.size() / 2));
        ASSERT_FALSE(bad.ok) << i;
        EXPECT_EQ(bad.failure.reason, "malformed_json") << i;
        p = Single(parser, EventType::kTrack, item);
        break;
      }
    }
    ASSERT_TRUE(p.ok) << i << ": " << p.failure.status.ToString();
    ASSERT_TRUE(p.request.errors.empty()) << i << ": " << p.request.errors[0].message;
    ASSERT_EQ(p.request.events.size(), expected_events) << i;
    if (i % 5 == 2) {
      EXPECT_EQ(p.request.seq, i);
    }
    for (const Event& e : p.request.events) {
      Json json(e.json);
      ASSERT_TRUE(json.ok()) << i << ": " << e.json;
      EXPECT_EQ(json.String("/userId"), "user-" + n) << i;
      EXPECT_EQ(json.String("/event"), "Event " + n) << i;
      EXPECT_EQ(json.String("/properties/pad"), pad) << i;
      if (i % 5 == 0) {
        EXPECT_EQ(json.Int("/context/n"), i) << i;
      }
      if (i % 2 == 0) {
        EXPECT_EQ(e.message_id, "m-" + n) << i;
      } else {
        EXPECT_TRUE(IsUuidForm(e.message_id)) << i << ": " << e.message_id;
      }
      EXPECT_EQ(json.String("/messageId"), e.message_id) << i;
    }
  }
}

}  // namespace
}  // namespace cdp::ingest
