// Tests for api/router.h: matching, 404/405, path parameters and key checks, via Dispatch.
#include "api/router.h"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace cdp::api {
namespace {

std::shared_ptr<const KeySet> TestKeys() {
  auto keys = KeySet::Create({
      {"wk_test", {Scope::kWrite}},
      {"rk_test", {Scope::kRead}},
      {"ak_test", {Scope::kRead, Scope::kWrite, Scope::kAdmin}},
  });
  EXPECT_TRUE(keys.ok()) << keys.status().ToString();
  return std::make_shared<const KeySet>(std::move(keys).value());
}

// A handler that answers 200 with "<name>" followed by " k=v" for each path parameter.
RequestHandler Echo(std::string name) {
  return [name = std::move(name)](HttpRequest&& request, Responder respond) {
    std::string body = name;
    for (const auto& [k, v] : request.path_params) body += " " + k + "=" + v;
    respond(JsonResponse(std::move(body)));
  };
}

class RouterTest : public ::testing::Test {
 protected:
  RouterTest() : router_(TestKeys()) {
    router_.Add("GET", "/healthz", std::nullopt, Echo("healthz"));
    router_.Add("POST", "/v1/events", Scope::kWrite, Echo("events"));
    router_.Add("GET", "/v1/profiles/{ref}", Scope::kRead, Echo("profile"));
    router_.Add("DELETE", "/v1/profiles/{ref}", Scope::kAdmin, Echo("delete_profile"));
    router_.Add("GET", "/v1/profiles/{ref}/links", Scope::kRead, Echo("links"));
    router_.Add("GET", "/v1/sources/{source}/ids/{id}", Scope::kRead, Echo("source_id"));
    router_.AddWithAnyKey("GET", "/v1/whoami", Echo("whoami"));
  }

  // Dispatches and returns the one response; fails the test unless the responder ran once.
  HttpResponse Call(std::string method, std::string_view target,
                    std::optional<std::string> authorization = std::nullopt) {
    HttpRequest request;
    request.method = std::move(method);
    std::tie(request.path, request.query) = SplitTarget(target);
    if (authorization.has_value()) request.headers.emplace_back("authorization", *authorization);
    int calls = 0;
    HttpResponse got;
    got.status = -1;
    router_.Dispatch(std::move(request), [&calls, &got](HttpResponse response) {
      ++calls;
      got = std::move(response);
    });
    EXPECT_EQ(calls, 1) << target;
    return got;
  }

  Router router_;
};

// The challenge a 401 carries.
const std::string kChallenge = "Basic realm=\"cdp\"";

std::string Basic(std::string_view user_and_password) {
  return "Basic " + Base64Encode(user_and_password);
}

std::string Bearer(std::string_view key) { return "Bearer " + std::string(key); }

std::optional<std::string> FindHeader(const HttpResponse& response, std::string_view name) {
  for (const auto& [k, v] : response.headers) {
    if (k == name) return v;
  }
  return std::nullopt;
}

TEST_F(RouterTest, ExactPathMatchCallsTheHandler) {
  const HttpResponse r = Call("GET", "/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "healthz");
}

TEST_F(RouterTest, QueryStringDoesNotAffectMatching) {
  const HttpResponse r = Call("GET", "/v1/profiles/abc?fields=all", Bearer("rk_test"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "profile ref=abc");
}

TEST_F(RouterTest, UnknownPathIsJson404) {
  for (std::string_view target :
       {"/nope", "/", "", "/v1", "/v1/profiles", "/v1/profiles/abc/links/extra", "/HEALTHZ",
        "/healthzz", "/v1/events/1"}) {
    const HttpResponse r = Call("GET", target, Bearer("ak_test"));
    EXPECT_EQ(r.status, 404) << target;
    EXPECT_EQ(r.content_type, "application/json") << target;
    EXPECT_EQ(r.body, R"({"error":{"code":"not_found","message":"no route for this path"}})")
        << target;
  }
}

TEST_F(RouterTest, UnknownPathIs404EvenWithoutKey) {
  EXPECT_EQ(Call("POST", "/v1/unknown").status, 404);
}

TEST_F(RouterTest, WrongMethodIs405WithAllowHeader) {
  const HttpResponse r = Call("GET", "/v1/events", Bearer("ak_test"));
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(FindHeader(r, "Allow"), "POST");
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_NE(r.body.find("method not allowed"), std::string::npos) << r.body;
}

TEST_F(RouterTest, AllowListsEveryMethodOfThePath) {
  const HttpResponse r = Call("PUT", "/v1/profiles/abc", Bearer("ak_test"));
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(FindHeader(r, "Allow"), "GET, DELETE");
}

TEST_F(RouterTest, MethodsAreCaseSensitive) {
  const HttpResponse r = Call("get", "/healthz");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(FindHeader(r, "Allow"), "GET");
}

TEST_F(RouterTest, WrongMethodIs405WithoutAKey) {
  EXPECT_EQ(Call("DELETE", "/v1/events").status, 405);
}

TEST_F(RouterTest, PatternSegmentBecomesPathParam) {
  const HttpResponse r = Call("GET", "/v1/profiles/p_123/links", Bearer("rk_test"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "links ref=p_123");
}

TEST_F(RouterTest, SeveralPathParamsAreFilledInOrder) {
  const HttpResponse r = Call("GET", "/v1/sources/crm/ids/42", Bearer("rk_test"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "source_id source=crm id=42");
}

TEST_F(RouterTest, PathParamsArePercentDecoded) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/v1/profiles/ada%40example.org/links", "links ref=ada@example.org"},
      {"/v1/profiles/a%20b/links", "links ref=a b"},
      {"/v1/profiles/a+b/links", "links ref=a+b"},    // '+' is not a space in a path
      {"/v1/profiles/a%2Fb/links", "links ref=a/b"},  // an encoded '/' stays in its segment
      {"/v1/profiles/%E2%82%AC/links", "links ref=\xE2\x82\xAC"},
  };
  for (const auto& [target, body] : cases) {
    const HttpResponse r = Call("GET", target, Bearer("rk_test"));
    EXPECT_EQ(r.status, 200) << target;
    EXPECT_EQ(r.body, body) << target;
  }
}

TEST_F(RouterTest, BadPercentEscapeInPathParamDoesNotMatch) {
  EXPECT_EQ(Call("GET", "/v1/profiles/%zz/links", Bearer("rk_test")).status, 404);
  EXPECT_EQ(Call("GET", "/v1/profiles/abc%4/links", Bearer("rk_test")).status, 404);
}

TEST_F(RouterTest, MissingKeyIs401WithChallenge) {
  const HttpResponse r = Call("POST", "/v1/events");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.body, R"({"error":{"code":"unauthenticated","message":"missing API key"}})");
  EXPECT_EQ(FindHeader(r, "WWW-Authenticate"), kChallenge);
}

TEST_F(RouterTest, UnknownKeyIs401) {
  for (const std::string& auth : {Bearer("xx_test"), Basic("xx_test:"), Bearer("WK_TEST")}) {
    const HttpResponse r = Call("POST", "/v1/events", auth);
    EXPECT_EQ(r.status, 401) << auth;
    EXPECT_EQ(r.body, R"({"error":{"code":"unauthenticated","message":"unknown API key"}})")
        << auth;
    EXPECT_EQ(FindHeader(r, "WWW-Authenticate"), kChallenge) << auth;
  }
}

TEST_F(RouterTest, MalformedAuthorizationIs401) {
  for (const std::string& auth : {std::string("Basic !!!"), std::string("Bearer"),
                                  std::string("Digest x=y"), std::string(""), Basic(":wk_test")}) {
    const HttpResponse r = Call("POST", "/v1/events", auth);
    EXPECT_EQ(r.status, 401) << "[" << auth << "]";
    EXPECT_NE(r.body.find("\"unauthenticated\""), std::string::npos) << r.body;
  }
}

// RFC 9110 section 15.5.2: a 401 response must carry a WWW-Authenticate challenge.
TEST_F(RouterTest, Every401CarriesAChallenge) {
  for (const std::optional<std::string>& auth :
       {std::optional<std::string>(), std::optional<std::string>(Bearer("xx_test")),
        std::optional<std::string>("Basic !!!"), std::optional<std::string>("Digest x=y")}) {
    const HttpResponse r = Call("POST", "/v1/events", auth);
    ASSERT_EQ(r.status, 401);
    EXPECT_EQ(FindHeader(r, "WWW-Authenticate"), kChallenge)
        << "[" << auth.value_or("(none)") << "]";
  }
}

TEST_F(RouterTest, KeyLackingScopeIs403) {
  const HttpResponse r = Call("POST", "/v1/events", Bearer("rk_test"));
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("\"permission_denied\""), std::string::npos) << r.body;
  EXPECT_FALSE(FindHeader(r, "WWW-Authenticate").has_value());

  EXPECT_EQ(Call("GET", "/v1/profiles/abc", Bearer("wk_test")).status, 403);
  EXPECT_EQ(Call("DELETE", "/v1/profiles/abc", Bearer("rk_test")).status, 403);
  EXPECT_EQ(Call("DELETE", "/v1/profiles/abc", Basic("wk_test:")).status, 403);
}

TEST_F(RouterTest, BasicCredentialsAreAccepted) {
  const HttpResponse r = Call("POST", "/v1/events", Basic("wk_test:"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "events");
  EXPECT_EQ(Call("POST", "/v1/events", Basic("wk_test:ignored-password")).status, 200);
}

TEST_F(RouterTest, BearerTokenIsAccepted) {
  const HttpResponse r = Call("POST", "/v1/events", Bearer("wk_test"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "events");
}

TEST_F(RouterTest, AdminKeyReachesEveryScopedRoute) {
  EXPECT_EQ(Call("POST", "/v1/events", Bearer("ak_test")).status, 200);
  EXPECT_EQ(Call("GET", "/v1/profiles/x", Bearer("ak_test")).status, 200);
  const HttpResponse r = Call("DELETE", "/v1/profiles/x", Bearer("ak_test"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "delete_profile ref=x");
}

TEST_F(RouterTest, AnyKeyRouteAcceptsEveryValidKey) {
  for (std::string_view key : {"wk_test", "rk_test", "ak_test"}) {
    const HttpResponse r = Call("GET", "/v1/whoami", Bearer(key));
    EXPECT_EQ(r.status, 200) << key;
    EXPECT_EQ(r.body, "whoami") << key;
  }
  EXPECT_EQ(Call("GET", "/v1/whoami", Basic("rk_test:")).status, 200);
}

TEST_F(RouterTest, AnyKeyRouteRefusesMissingUnknownOrMalformedKey) {
  const HttpResponse missing = Call("GET", "/v1/whoami");
  EXPECT_EQ(missing.status, 401);
  EXPECT_EQ(missing.body, R"({"error":{"code":"unauthenticated","message":"missing API key"}})");
  EXPECT_EQ(Call("GET", "/v1/whoami", Bearer("xx_test")).status, 401);
  EXPECT_EQ(Call("GET", "/v1/whoami", std::string("Basic !!!")).status, 401);
}

TEST_F(RouterTest, RouteWithoutScopeNeedsNoKey) {
  EXPECT_EQ(Call("GET", "/healthz").status, 200);
  EXPECT_EQ(Call("GET", "/healthz", Bearer("ak_test")).status, 200);
}

TEST_F(RouterTest, RouteWithoutScopeIgnoresTheAuthorizationHeader) {
  EXPECT_EQ(Call("GET", "/healthz", Bearer("xx_test")).status, 200);
  EXPECT_EQ(Call("GET", "/healthz", std::string("Basic !!!")).status, 200);
}

// The router splits the path on '/' and ignores empty segments, so a trailing slash and
// repeated slashes reach the same route as the canonical path.
TEST_F(RouterTest, TrailingSlashMatchesTheSameRoute) {
  EXPECT_EQ(Call("GET", "/healthz/").body, "healthz");
  const HttpResponse r = Call("GET", "/v1/profiles/abc/links/", Bearer("rk_test"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "links ref=abc");
}

TEST_F(RouterTest, RepeatedSlashesAreIgnored) {
  EXPECT_EQ(Call("GET", "//healthz").body, "healthz");
  EXPECT_EQ(Call("GET", "healthz").body, "healthz");
  const HttpResponse r = Call("GET", "/v1//profiles///abc//links", Bearer("rk_test"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "links ref=abc");
}

// A consequence of ignoring empty segments: an empty `{ref}` does not make the path unknown,
// it shifts the remaining segments, so "/v1/profiles//links" is the profile "links".
TEST_F(RouterTest, EmptySegmentShiftsTheRemainingSegments) {
  const HttpResponse r = Call("GET", "/v1/profiles//links", Bearer("rk_test"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "profile ref=links");
}

TEST_F(RouterTest, HandlerReceivesTheRequest) {
  Router router(TestKeys());
  HttpRequest seen;
  router.Add("POST", "/v1/things/{id}", Scope::kWrite,
             [&seen](HttpRequest&& request, Responder respond) {
               seen = std::move(request);
               respond(JsonResponse("{}", 201));
             });
  HttpRequest request;
  request.method = "POST";
  request.path = "/v1/things/t%201";
  request.query = "dry_run=true";
  request.body = R"({"a":1})";
  request.headers = {{"authorization", Bearer("wk_test")}, {"x-request-id", "r1"}};
  std::optional<HttpResponse> response;
  router.Dispatch(std::move(request), [&response](HttpResponse r) { response = std::move(r); });
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 201);
  EXPECT_EQ(seen.method, "POST");
  EXPECT_EQ(seen.path, "/v1/things/t%201");
  EXPECT_EQ(seen.QueryParam("dry_run"), "true");
  EXPECT_EQ(seen.body, R"({"a":1})");
  EXPECT_EQ(seen.Header("x-request-id"), "r1");
  EXPECT_EQ(seen.PathParam("id"), "t 1");
  EXPECT_EQ(seen.path_params.size(), 1u);
}

TEST_F(RouterTest, FirstRegisteredMatchingRouteWins) {
  Router router(TestKeys());
  router.Add("GET", "/v1/items/{id}", std::nullopt, Echo("pattern"));
  router.Add("GET", "/v1/items/special", std::nullopt, Echo("literal"));
  std::string body;
  HttpRequest request;
  request.method = "GET";
  request.path = "/v1/items/special";
  router.Dispatch(std::move(request), [&body](HttpResponse r) { body = r.body; });
  EXPECT_EQ(body, "pattern id=special");
}

TEST(RouterRequestKeyTest, NoHeaderIsNoKey) {
  HttpRequest request;
  auto key = Router::RequestKey(request);
  ASSERT_TRUE(key.ok());
  EXPECT_FALSE(key->has_value());
}

TEST(RouterRequestKeyTest, ReadsBasicAndBearer) {
  HttpRequest basic;
  basic.headers = {{"authorization", Basic("rk_test:")}};
  auto key = Router::RequestKey(basic);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(*key, std::optional<std::string>("rk_test"));

  HttpRequest bearer;
  bearer.headers = {{"authorization", Bearer("wk_test")}};
  key = Router::RequestKey(bearer);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(*key, std::optional<std::string>("wk_test"));
}

TEST(RouterRequestKeyTest, MalformedHeaderIsUnauthenticated) {
  HttpRequest request;
  request.headers = {{"authorization", "Basic !!!"}};
  EXPECT_EQ(Router::RequestKey(request).status().code(), StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace cdp::api
