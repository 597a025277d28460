// Tests for ingest/profile_requests.h: valid split and review bodies and tables of malformed
// ones.
#include "ingest/profile_requests.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <vector>

namespace cdp::ingest {
namespace {

// `{"identifiers": [...]}` with `count` references "user_id:u0", "user_id:u1", ...
std::string BodyWithIdentifiers(std::size_t count) {
  std::string body = R"({"identifiers": [)";
  for (std::size_t i = 0; i < count; ++i) {
    if (i > 0) body += ',';
    body += "\"user_id:u" + std::to_string(i) + "\"";
  }
  body += "]}";
  return body;
}

TEST(ParseSplitRequestTest, ReferencesComeBackInOrderAsGiven) {
  auto refs = ParseSplitRequest(R"({"identifiers": ["email:Ana@Example.ES", "user_id:u1"]})");
  ASSERT_TRUE(refs.ok()) << refs.status().ToString();
  EXPECT_EQ(*refs, (std::vector<std::string>{"email:Ana@Example.ES", "user_id:u1"}));
}

TEST(ParseSplitRequestTest, WhitespaceAndEscapesAreAccepted) {
  auto refs = ParseSplitRequest(" \n{ \"identifiers\" :\t[ \"user_id:\\u0075\\/1\" ] }\r\n");
  ASSERT_TRUE(refs.ok()) << refs.status().ToString();
  EXPECT_EQ(*refs, std::vector<std::string>{"user_id:u/1"});
}

TEST(ParseSplitRequestTest, RepeatedReferenceIsKept) {
  auto refs = ParseSplitRequest(R"({"identifiers": ["user_id:u1", "user_id:u1"]})");
  ASSERT_TRUE(refs.ok()) << refs.status().ToString();
  EXPECT_EQ(refs->size(), 2u);
}

TEST(ParseSplitRequestTest, NonAsciiUtf8IsAccepted) {
  const std::string ref =
      "user_id:Mar\xC3\xAD"
      "a";  // "María"
  auto refs = ParseSplitRequest(R"({"identifiers": [")" + ref + R"("]})");
  ASSERT_TRUE(refs.ok()) << refs.status().ToString();
  EXPECT_EQ(*refs, std::vector<std::string>{ref});
}

TEST(ParseSplitRequestTest, ExactlyTheMostIdentifiersIsAccepted) {
  auto refs = ParseSplitRequest(BodyWithIdentifiers(kMaxSplitIdentifiers));
  ASSERT_TRUE(refs.ok()) << refs.status().ToString();
  ASSERT_EQ(refs->size(), kMaxSplitIdentifiers);
  EXPECT_EQ(refs->back(), "user_id:u" + std::to_string(kMaxSplitIdentifiers - 1));
}

TEST(ParseSplitRequestTest, BodyOfExactlyTheLimitIsAccepted) {
  std::string body = R"({"identifiers": ["user_id:u1"]})";
  body.resize(kMaxSplitBodyBytes, ' ');
  auto refs = ParseSplitRequest(body);
  ASSERT_TRUE(refs.ok()) << refs.status().ToString();
  EXPECT_EQ(*refs, std::vector<std::string>{"user_id:u1"});
}

struct MalformedCase {
  std::string name;
  std::string body;
  StatusCode code = StatusCode::kInvalidArgument;
};

std::vector<MalformedCase> MalformedCases() {
  std::string oversize = R"({"identifiers": ["user_id:u1"]})";
  oversize.resize(kMaxSplitBodyBytes + 1, ' ');
  const std::string deep_arrays = std::string(1000, '[') + std::string(1000, ']');
  const std::string nine_deep = std::string(7, '[') + R"("user_id:u1")" + std::string(7, ']');
  return {
      {"empty body", ""},
      {"only whitespace", " \n\t "},
      {"not JSON", "identifiers=user_id:u1"},
      {"truncated object", R"({"identifiers": ["user_id:u1"])"},
      {"truncated inside a string", R"({"identifiers": ["user_id:u)"},
      {"truncated after the key", R"({"identifiers")"},
      {"truncated after the colon", R"({"identifiers":)"},
      {"only an opening brace", "{"},
      {"trailing comma", R"({"identifiers": ["user_id:u1",]})"},
      {"trailing content", R"({"identifiers": ["user_id:u1"]} x)"},
      {"second document", R"({"identifiers": ["user_id:u1"]} {"identifiers": ["user_id:u2"]})"},
      {"top level array", R"(["user_id:u1"])"},
      {"top level string", R"("user_id:u1")"},
      {"top level number", "42"},
      {"top level null", "null"},
      {"top level true", "true"},
      {"empty object", "{}"},
      {"identifiers is null", R"({"identifiers": null})"},
      {"identifiers is a string", R"({"identifiers": "user_id:u1"})"},
      {"identifiers is a number", R"({"identifiers": 1})"},
      {"identifiers is an object", R"({"identifiers": {"user_id": "u1"}})"},
      {"empty list", R"({"identifiers": []})"},
      {"number element", R"({"identifiers": [1]})"},
      {"null element", R"({"identifiers": [null]})"},
      {"boolean element", R"({"identifiers": ["user_id:u1", false]})"},
      {"object element", R"({"identifiers": [{"type": "user_id", "value": "u1"}]})"},
      {"array element", R"({"identifiers": [["user_id:u1"]]})"},
      {"unknown field", R"({"identifiers": ["user_id:u1"], "reason": "fraud"})"},
      {"unknown field first", R"({"profile": "p1", "identifiers": ["user_id:u1"]})"},
      {"field with wrong case", R"({"Identifiers": ["user_id:u1"]})"},
      {"repeated field", R"({"identifiers": ["user_id:u1"], "identifiers": ["user_id:u2"]})"},
      {"invalid UTF-8 in a reference", "{\"identifiers\": [\"user_id:u\xFF\"]}"},
      {"truncated UTF-8 sequence", "{\"identifiers\": [\"user_id:\xC3\"]}"},
      {"overlong UTF-8", "{\"identifiers\": [\"user_id:\xC0\xAF\"]}"},
      {"UTF-16 surrogate in UTF-8", "{\"identifiers\": [\"user_id:\xED\xA0\x80\"]}"},
      {"invalid UTF-8 in a field name", "{\"identifiers\xFF\": [\"user_id:u1\"]}"},
      {"deeply nested arrays", R"({"identifiers": )" + deep_arrays + "}"},
      {"nested just past the limit", R"({"identifiers": )" + nine_deep + "}"},
      {"unbalanced deep nesting", R"({"identifiers": )" + std::string(1000, '[')},
      {"deeply nested objects", std::string(1000, '{')},
      {"too many identifiers", BodyWithIdentifiers(kMaxSplitIdentifiers + 1)},
      {"far too many identifiers", BodyWithIdentifiers(3000)},
      {"oversize body", oversize, StatusCode::kPayloadTooLarge},
      {"oversize body of garbage", std::string(kMaxSplitBodyBytes + 1, '\xFF'),
       StatusCode::kPayloadTooLarge},
  };
}

TEST(ParseSplitRequestTest, MalformedBodiesAreRefused) {
  for (const MalformedCase& c : MalformedCases()) {
    SCOPED_TRACE(c.name);
    auto refs = ParseSplitRequest(c.body);
    ASSERT_FALSE(refs.ok());
    EXPECT_EQ(refs.status().code(), c.code) << refs.status().ToString();
  }
}

TEST(ParseReviewDecisionTest, MatchAndNoMatchAreRead) {
  auto match = ParseReviewDecision(R"({"decision": "match"})");
  ASSERT_TRUE(match.ok()) << match.status().ToString();
  EXPECT_TRUE(*match);
  auto no_match = ParseReviewDecision(" {\"decision\":\"no_match\"}\n");
  ASSERT_TRUE(no_match.ok()) << no_match.status().ToString();
  EXPECT_FALSE(*no_match);
}

TEST(ParseReviewDecisionTest, MalformedBodiesAreRefused) {
  std::string oversize = R"({"decision": "match"})";
  oversize.resize(kMaxReviewBodyBytes + 1, ' ');
  const std::vector<MalformedCase> cases = {
      {"empty body", ""},
      {"not JSON", "decision=match"},
      {"truncated", R"({"decision": "mat)"},
      {"truncated after the colon", R"({"decision":)"},
      {"top level string", R"("match")"},
      {"top level array", R"(["match"])"},
      {"empty object", "{}"},
      {"decision is null", R"({"decision": null})"},
      {"decision is true", R"({"decision": true})"},
      {"decision is a number", R"({"decision": 1})"},
      {"unknown value", R"({"decision": "maybe"})"},
      {"value with wrong case", R"({"decision": "Match"})"},
      {"unknown field", R"({"decision": "match", "note": "x"})"},
      {"repeated field", R"({"decision": "match", "decision": "no_match"})"},
      {"invalid UTF-8", "{\"decision\": \"match\xFF\"}"},
      {"deeply nested", std::string(1000, '[')},
      {"trailing content", R"({"decision": "match"} x)"},
      {"oversize body", oversize, StatusCode::kPayloadTooLarge},
  };
  for (const MalformedCase& c : cases) {
    SCOPED_TRACE(c.name);
    auto decision = ParseReviewDecision(c.body);
    ASSERT_FALSE(decision.ok());
    EXPECT_EQ(decision.status().code(), c.code) << decision.status().ToString();
  }
}

}  // namespace
}  // namespace cdp::ingest
