// Tests for api/http_types.h: status mapping, error bodies, targets and percent-decoding.
#include "api/http_types.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cdp::api {
namespace {

std::optional<std::string_view> FindHeader(const HttpResponse& response, std::string_view name) {
  for (const auto& [k, v] : response.headers) {
    if (k == name) return std::string_view(v);
  }
  return std::nullopt;
}

TEST(HttpStatusForTest, MapsEveryStatusCode) {
  const std::vector<std::pair<StatusCode, int>> cases = {
      {StatusCode::kOk, 200},
      {StatusCode::kInvalidArgument, 400},
      {StatusCode::kUnauthenticated, 401},
      {StatusCode::kPermissionDenied, 403},
      {StatusCode::kNotFound, 404},
      {StatusCode::kConflict, 409},
      {StatusCode::kPayloadTooLarge, 413},
      {StatusCode::kResourceExhausted, 429},
      {StatusCode::kUnavailable, 503},
      {StatusCode::kFailedPrecondition, 409},
      {StatusCode::kIoError, 500},
      {StatusCode::kCorruption, 500},
      {StatusCode::kInternal, 500},
  };
  for (const auto& [code, http] : cases) {
    EXPECT_EQ(HttpStatusFor(code), http) << StatusCodeName(code);
  }
}

TEST(ErrorResponseTest, BodyCarriesCodeAndMessage) {
  const HttpResponse r = ErrorResponse(NotFoundError("no such profile"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.body, R"({"error":{"code":"not_found","message":"no such profile"}})");
  EXPECT_TRUE(r.headers.empty());
}

TEST(ErrorResponseTest, ClientErrorsEchoTheirMessage) {
  const std::vector<Status> cases = {
      InvalidArgumentError("bad field"),       UnauthenticatedError("missing API key"),
      PermissionDeniedError("lacks scope"),    ConflictError("version mismatch"),
      PayloadTooLargeError("body over 1 MiB"), FailedPreconditionError("not ready"),
  };
  for (const Status& s : cases) {
    const HttpResponse r = ErrorResponse(s);
    EXPECT_EQ(r.status, HttpStatusFor(s.code()));
    EXPECT_EQ(r.body, std::string(R"({"error":{"code":")") + std::string(StatusCodeName(s.code())) +
                          R"(","message":")" + std::string(s.message()) + R"("}})");
    EXPECT_FALSE(FindHeader(r, "Retry-After").has_value()) << s.ToString();
  }
}

TEST(ErrorResponseTest, MessageIsJsonEscaped) {
  const HttpResponse r = ErrorResponse(InvalidArgumentError("field \"a\\b\"\n"));
  EXPECT_EQ(r.body, R"({"error":{"code":"invalid_argument","message":"field \"a\\b\"\n"}})");
}

TEST(ErrorResponseTest, InternalErrorsHideTheirMessage) {
  const std::vector<std::pair<Status, std::string>> cases = {
      {InternalError("pointer 0xdeadbeef was null"), "internal"},
      {IoError("/var/lib/cdp/000123.sst: No space left on device"), "io_error"},
      {CorruptionError("block checksum mismatch in /var/lib/cdp"), "corruption"},
  };
  for (const auto& [status, code] : cases) {
    const HttpResponse r = ErrorResponse(status);
    EXPECT_EQ(r.status, 500);
    EXPECT_EQ(r.body, R"({"error":{"code":")" + code + R"(","message":"internal error"}})");
    EXPECT_EQ(r.body.find(std::string(status.message())), std::string::npos);
    EXPECT_FALSE(FindHeader(r, "Retry-After").has_value());
  }
}

TEST(ErrorResponseTest, TooManyRequestsCarriesRetryAfter) {
  const HttpResponse r = ErrorResponse(ResourceExhaustedError("queue full"));
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.body, R"({"error":{"code":"resource_exhausted","message":"queue full"}})");
  EXPECT_EQ(FindHeader(r, "Retry-After"), "1");

  const HttpResponse later = ErrorResponse(ResourceExhaustedError("queue full"), 30);
  EXPECT_EQ(FindHeader(later, "Retry-After"), "30");
}

TEST(ErrorResponseTest, UnavailableCarriesRetryAfterAndKeepsMessage) {
  const HttpResponse r = ErrorResponse(UnavailableError("shutting down"), 5);
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, R"({"error":{"code":"unavailable","message":"shutting down"}})");
  EXPECT_EQ(FindHeader(r, "Retry-After"), "5");
  EXPECT_EQ(r.headers.size(), 1u);
}

TEST(JsonResponseTest, CarriesBodyAndStatus) {
  const HttpResponse ok = JsonResponse(R"({"a":1})");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.content_type, "application/json");
  EXPECT_EQ(ok.body, R"({"a":1})");
  EXPECT_EQ(JsonResponse("{}", 201).status, 201);
}

TEST(SplitTargetTest, SplitsAtTheFirstQuestionMark) {
  const std::vector<std::pair<std::string, std::pair<std::string, std::string>>> cases = {
      {"", {"", ""}},
      {"/", {"/", ""}},
      {"/v1/events", {"/v1/events", ""}},
      {"/v1/events?", {"/v1/events", ""}},
      {"/v1/profiles?limit=10&after=x", {"/v1/profiles", "limit=10&after=x"}},
      {"/a?b?c", {"/a", "b?c"}},
      {"?only=query", {"", "only=query"}},
  };
  for (const auto& [target, want] : cases) {
    EXPECT_EQ(SplitTarget(target), want) << target;
  }
}

TEST(PercentDecodeTest, DecodesValidInput) {
  struct Case {
    std::string in;
    bool plus_as_space;
    std::string out;
  };
  const std::vector<Case> cases = {
      {"", false, ""},
      {"plain", false, "plain"},
      {"%41", false, "A"},
      {"a%41", false, "aA"},
      {"%41b", false, "Ab"},
      {"a%20b", false, "a b"},
      {"%2f%2F", false, "//"},
      {"%e2%82%AC", false, "\xE2\x82\xAC"},
      {"100%25", false, "100%"},
      {"%2541", false, "%41"},
      {"%00", false, std::string(1, '\0')},
      {"%ff", false, "\xFF"},
      {"a+b", false, "a+b"},
      {"a+b", true, "a b"},
      {"++", true, "  "},
      {"%2B", true, "+"},
      {"%2b+%20", true, "+  "},
  };
  for (const Case& c : cases) {
    auto out = PercentDecode(c.in, c.plus_as_space);
    ASSERT_TRUE(out.ok()) << c.in << ": " << out.status().ToString();
    EXPECT_EQ(*out, c.out) << c.in << " plus_as_space=" << c.plus_as_space;
  }
}

TEST(PercentDecodeTest, RejectsMalformedEscapes) {
  for (std::string_view in :
       {"%", "%4", "%zz", "%g0", "%0g", "a%", "ab%4", "%%41", "%4%41", "% 41", "%-1", "%+1"}) {
    for (bool plus_as_space : {false, true}) {
      auto out = PercentDecode(in, plus_as_space);
      ASSERT_FALSE(out.ok()) << in << " gave " << *out;
      EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument) << in;
    }
  }
}

HttpRequest RequestWithQuery(std::string query) {
  HttpRequest request;
  request.method = "GET";
  request.path = "/v1/profiles";
  request.query = std::move(query);
  return request;
}

TEST(HttpRequestTest, QueryParamFindsPresentDecodedValues) {
  const HttpRequest r =
      RequestWithQuery("limit=10&email=a%40b.example&name=Ada+Lovelace&empty=&flag&x=%2B1");
  EXPECT_EQ(r.QueryParam("limit"), "10");
  EXPECT_EQ(r.QueryParam("email"), "a@b.example");
  EXPECT_EQ(r.QueryParam("name"), "Ada Lovelace");
  EXPECT_EQ(r.QueryParam("empty"), "");
  EXPECT_EQ(r.QueryParam("flag"), "");
  EXPECT_EQ(r.QueryParam("x"), "+1");
}

TEST(HttpRequestTest, QueryParamAbsentIsNullopt) {
  const HttpRequest r = RequestWithQuery("limit=10&limits=3&xlimit=4");
  EXPECT_FALSE(r.QueryParam("lim").has_value());
  EXPECT_FALSE(r.QueryParam("offset").has_value());
  EXPECT_FALSE(r.QueryParam("").has_value());
  EXPECT_FALSE(RequestWithQuery("").QueryParam("limit").has_value());
}

TEST(HttpRequestTest, QueryParamRepeatedKeyReturnsTheFirst) {
  const HttpRequest r = RequestWithQuery("a=1&b=2&a=3");
  EXPECT_EQ(r.QueryParam("a"), "1");
  EXPECT_EQ(r.QueryParam("b"), "2");
}

TEST(HttpRequestTest, QueryParamSkipsEmptyPairs) {
  const HttpRequest r = RequestWithQuery("&&a=1&&b=2&");
  EXPECT_EQ(r.QueryParam("a"), "1");
  EXPECT_EQ(r.QueryParam("b"), "2");
}

TEST(HttpRequestTest, QueryParamValueMayHoldEqualsSign) {
  const HttpRequest r = RequestWithQuery("token=abc==&q=a=b");
  EXPECT_EQ(r.QueryParam("token"), "abc==");
  EXPECT_EQ(r.QueryParam("q"), "a=b");
}

TEST(HttpRequestTest, QueryParamWithBadEscapeIsNullopt) {
  const HttpRequest r = RequestWithQuery("a=%zz&b=ok");
  EXPECT_FALSE(r.QueryParam("a").has_value());
  EXPECT_EQ(r.QueryParam("b"), "ok");
}

TEST(HttpRequestTest, HeaderFindsFirstByLowerCaseName) {
  HttpRequest r;
  r.headers = {{"content-type", "application/json"}, {"x-a", "1"}, {"x-a", "2"}};
  EXPECT_EQ(r.Header("content-type"), "application/json");
  EXPECT_EQ(r.Header("x-a"), "1");
  EXPECT_FALSE(r.Header("authorization").has_value());
}

TEST(HttpRequestTest, PathParamFindsByName) {
  HttpRequest r;
  r.path_params = {{"ref", "abc"}, {"kind", "email"}};
  EXPECT_EQ(r.PathParam("ref"), "abc");
  EXPECT_EQ(r.PathParam("kind"), "email");
  EXPECT_FALSE(r.PathParam("other").has_value());
}

}  // namespace
}  // namespace cdp::api
