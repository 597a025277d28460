// End-to-end: the identity graph behind the profile endpoints of API.md, against the real
// `cdp serve` over real sockets: merges, conflicts, redirects, links, split, restart and
// `cdp rebuild`; and the probabilistic matcher: links with their waterfall, the review queue.
#include <gtest/gtest.h>
#include <signal.h>
#include <simdjson.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "tests/support/http_client.h"
#include "tests/support/metrics_scrape.h"
#include "tests/support/server_process.h"
#include "tests/support/server_test.h"

namespace cdp::testing {
namespace {

namespace fs = std::filesystem;

class ProfilesE2eTest : public ServerTest {
 protected:
  ProfilesE2eTest()
      : ServerTest("profiles", R"({"keys": [
          {"key": "wk_test", "scopes": ["write"]},
          {"key": "rk_test", "scopes": ["read"]},
          {"key": "ak_test", "scopes": ["read", "admin"]}]})") {}

  void Ingest(std::string_view batch) {
    const HttpReply r = Call("POST", "/v1/batch", "wk_test", batch);
    ASSERT_EQ(r.status, 200) << r.body;
  }
  // GET /v1/profiles/{ref}: the parsed body (status 200 expected).
  simdjson::dom::element Profile(std::string_view ref) {
    last_ = Call("GET", "/v1/profiles/" + std::string(ref), "rk_test");
    EXPECT_EQ(last_.status, 200) << ref << ": " << last_.body;
    return Parse(last_.body);
  }
  simdjson::dom::element Parse(const std::string& body) {
    simdjson::dom::element root;
    const auto error = parser_.parse(body).get(root);
    EXPECT_FALSE(error) << body;
    return root;
  }
  std::string ProfileId(std::string_view ref) {
    auto p = Profile(ref);
    std::string_view id;
    if (p["id"].get(id)) return "";
    return std::string(id);
  }
  // "type:value" of each identifier of a profile.
  std::set<std::string> Identifiers(std::string_view ref) {
    std::set<std::string> out;
    simdjson::dom::array ids;
    if (Profile(ref)["identifiers"].get(ids)) return out;
    for (auto id : ids) {
      std::string_view type, value;
      if (id["type"].get(type) || id["value"].get(value)) continue;
      out.insert(std::string(type) + ":" + std::string(value));
    }
    return out;
  }

  simdjson::dom::parser parser_;
  HttpReply last_;
};

TEST_F(ProfilesE2eTest, MergesByCoOccurrenceAliasAndTransitively) {
  Start();
  Ingest(R"({"batch":[
    {"type":"identify","messageId":"m1","userId":"u1","anonymousId":"a1",
     "traits":{"email":"Maria.Garcia@Example.ES"}},
    {"type":"track","messageId":"m2","anonymousId":"a2","event":"Page Viewed"},
    {"type":"alias","messageId":"m3","userId":"u1","previousId":"a2"},
    {"type":"track","messageId":"m4","anonymousId":"a3","event":"X",
     "context":{"device":{"id":"dev-1"}}},
    {"type":"track","messageId":"m5","anonymousId":"a2","event":"Y",
     "context":{"device":{"id":"dev-1"}}}]})");
  const std::set<std::string> expected = {"user_id:u1",
                                          "anonymous_id:a1",
                                          "anonymous_id:a2",
                                          "anonymous_id:a3",
                                          "email:maria.garcia@example.es",
                                          "device_id:dev-1"};
  EXPECT_EQ(Identifiers("user_id:u1"), expected);
  const std::string id = ProfileId("user_id:u1");
  EXPECT_EQ(ProfileId("anonymous_id:a3"), id);
  // The value is normalised as on ingest: upper-case email letters find the profile.
  EXPECT_EQ(ProfileId("email:MARIA.GARCIA%40example.es"), id);
  // By its own id.
  EXPECT_EQ(ProfileId(id), id);
  // Unknown and malformed references.
  EXPECT_EQ(Call("GET", "/v1/profiles/user_id:nobody", "rk_test").status, 404);
  EXPECT_EQ(Call("GET", "/v1/profiles/p_99999", "rk_test").status, 404);
  EXPECT_EQ(Call("GET", "/v1/profiles/shoe_size:42", "rk_test").status, 400);
  EXPECT_EQ(Call("GET", "/v1/profiles/nonsense", "rk_test").status, 400);
  EXPECT_EQ(Call("GET", "/v1/profiles/user_id:u1", "wk_test").status, 403);

  // The links carry their evidence.
  const HttpReply links = Call("GET", "/v1/profiles/user_id:u1/links", "rk_test");
  ASSERT_EQ(links.status, 200) << links.body;
  simdjson::dom::array list;
  ASSERT_FALSE(Parse(links.body)["links"].get(list));
  std::set<std::string> evidence;
  bool alias = false;
  for (auto link : list) {
    std::string_view message, rule, from, to;
    ASSERT_FALSE(link["message_id"].get(message));
    ASSERT_FALSE(link["rule"].get(rule));
    ASSERT_FALSE(link["from"].get(from));
    ASSERT_FALSE(link["to"].get(to));
    evidence.insert(std::string(message));
    if (rule == "alias") {
      alias = true;
      EXPECT_EQ(message, "m3");
    }
  }
  EXPECT_TRUE(alias);
  EXPECT_EQ(evidence, (std::set<std::string>{"m1", "m3", "m4", "m5"}));
}

TEST_F(ProfilesE2eTest, MergedIdsRedirectToTheSurvivor) {
  Start();
  Ingest(R"({"batch":[{"type":"track","messageId":"m1","anonymousId":"a1","event":"E"}]})");
  const std::string older = ProfileId("anonymous_id:a1");
  Ingest(R"({"batch":[{"type":"track","messageId":"m2","anonymousId":"a2","event":"E"}]})");
  const std::string newer = ProfileId("anonymous_id:a2");
  ASSERT_NE(older, newer);
  Ingest(R"({"batch":[{"type":"identify","messageId":"m3","userId":"u1","anonymousId":"a2"},
                      {"type":"identify","messageId":"m4","userId":"u1","anonymousId":"a1"}]})");
  // The merge kept the older id, and the newer one answers with the survivor.
  EXPECT_EQ(ProfileId("user_id:u1"), older);
  EXPECT_EQ(ProfileId(newer), older);
  simdjson::dom::array merged;
  ASSERT_FALSE(Profile(older)["merged_ids"].get(merged));
  std::set<std::string> ids;
  for (auto m : merged) ids.insert(std::string(std::string_view(m)));
  EXPECT_TRUE(ids.contains(newer));
  // u1 joined a2's profile (a new identifier takes no id of its own); a1's profile merged.
  auto merges = ScrapeMetric(server_->port(), "cdp_identity_merges_total");
  ASSERT_TRUE(merges.ok());
  EXPECT_EQ(*merges, 1);
}

TEST_F(ProfilesE2eTest, TwoNationalIdsNeverMergeAndBlockedValuesNeverLink) {
  Start();
  Ingest(R"({"batch":[
    {"type":"identify","messageId":"m1","userId":"u1","traits":{"nationalId":"87654321-x"}},
    {"type":"identify","messageId":"m2","userId":"u2","traits":{"nationalId":"44556677L"}},
    {"type":"identify","messageId":"m3","anonymousId":"shared","traits":{"nationalId":"87654321X"}},
    {"type":"identify","messageId":"m4","anonymousId":"shared","traits":{"nationalId":"44556677L"}},
    {"type":"identify","messageId":"m5","userId":"undefined","anonymousId":"b1"},
    {"type":"identify","messageId":"m6","userId":"undefined","anonymousId":"b2"},
    {"type":"identify","messageId":"m7","anonymousId":"c1","traits":{"nationalId":"87654321A"}},
    {"type":"identify","messageId":"m8","anonymousId":"c2","traits":{"nationalId":"87654321A"}}]})");
  EXPECT_NE(ProfileId("national_id:87654321X"), ProfileId("national_id:44556677L"));
  EXPECT_EQ(ProfileId("user_id:u1"), ProfileId("national_id:87654321X"));
  auto conflicts = ScrapeMetric(server_->port(), "cdp_identity_conflicts");
  ASSERT_TRUE(conflicts.ok());
  EXPECT_GE(*conflicts, 1);
  // "undefined" is a placeholder: it links nobody.
  EXPECT_NE(ProfileId("anonymous_id:b1"), ProfileId("anonymous_id:b2"));
  // A DNI with a wrong check letter is an attribute, not a link.
  EXPECT_NE(ProfileId("anonymous_id:c1"), ProfileId("anonymous_id:c2"));
}

TEST_F(ProfilesE2eTest, SplitMovesIdentifiersAndCannotLinkHoldsAcrossRestart) {
  Start();
  Ingest(R"({"batch":[
    {"type":"identify","messageId":"m1","userId":"u1","anonymousId":"a1"},
    {"type":"identify","messageId":"m2","userId":"u1","traits":{"email":"wrong@example.es"}},
    {"type":"track","messageId":"m3","anonymousId":"a2","event":"E",
     "context":{"traits":{"email":"wrong@example.es"}}}]})");
  const std::string id = ProfileId("user_id:u1");
  const std::string body = R"({"identifiers":["email:wrong@example.es","anonymous_id:a2"]})";
  // Scope, body and membership checks.
  EXPECT_EQ(Call("POST", "/v1/profiles/user_id:u1/split", "rk_test", body).status, 403);
  EXPECT_EQ(Call("POST", "/v1/profiles/user_id:u1/split", "ak_test", "{").status, 400);
  EXPECT_EQ(
      Call("POST", "/v1/profiles/user_id:u1/split", "ak_test", R"({"identifiers":[]})").status,
      400);
  EXPECT_EQ(Call("POST", "/v1/profiles/user_id:u1/split", "ak_test",
                 R"({"identifiers":["anonymous_id:elsewhere"]})")
                .status,
            409);
  EXPECT_EQ(Call("POST", "/v1/profiles/user_id:u1/split", "ak_test",
                 R"({"identifiers":["user_id:u1","anonymous_id:a1","email:wrong@example.es",
                                    "anonymous_id:a2"]})")
                .status,
            409);
  const HttpReply split = Call("POST", "/v1/profiles/user_id:u1/split", "ak_test", body);
  ASSERT_EQ(split.status, 200) << split.body;
  auto result = Parse(split.body);
  std::string_view original, created;
  ASSERT_FALSE(result["original"]["id"].get(original));
  ASSERT_FALSE(result["created"]["id"].get(created));
  EXPECT_EQ(original, id);
  const std::string created_id(created);
  EXPECT_NE(created_id, id);
  EXPECT_EQ(ProfileId("email:wrong@example.es"), created_id);
  EXPECT_EQ(ProfileId("anonymous_id:a1"), id);
  // A later event asserting the cut link does not merge them again.
  Ingest(R"({"batch":[
    {"type":"identify","messageId":"m4","userId":"u1","traits":{"email":"wrong@example.es"}}]})");
  EXPECT_EQ(ProfileId("email:wrong@example.es"), created_id);
  EXPECT_EQ(ProfileId("user_id:u1"), id);
  const HttpReply before = Call("GET", "/v1/profiles/" + created_id, "rk_test");
  Stop();
  Start();
  const HttpReply after = Call("GET", "/v1/profiles/" + created_id, "rk_test");
  EXPECT_EQ(after.body, before.body);
  Ingest(R"({"batch":[
    {"type":"identify","messageId":"m5","anonymousId":"a1","traits":{"email":"wrong@example.es"}}]})");
  EXPECT_NE(ProfileId("anonymous_id:a1"), ProfileId("email:wrong@example.es"));
}

TEST_F(ProfilesE2eTest, RestartAndRebuildGiveIdenticalProfiles) {
  Start();
  std::string batch = R"({"batch":[)";
  for (int i = 0; i < 300; ++i) {
    if (i > 0) batch += ',';
    const std::string p = std::to_string(i % 40);
    batch += R"({"type":"identify","messageId":"r)" + std::to_string(i) + R"(","userId":"u)" + p +
             R"(","anonymousId":"a)" + std::to_string(i % 70) + R"(","traits":{"email":"e)" +
             std::to_string(i % 55) + R"(@example.es"}})";
  }
  batch += "]}";
  Ingest(batch);
  // An operator's split in the middle of the log: rebuild replays it at its place.
  Ingest(R"({"batch":[{"type":"identify","messageId":"s1","userId":"su","anonymousId":"sa"},
                      {"type":"identify","messageId":"s2","userId":"su","anonymousId":"sb"}]})");
  const HttpReply split = Call("POST", "/v1/profiles/user_id:su/split", "ak_test",
                               R"({"identifiers":["anonymous_id:sa"]})");
  ASSERT_EQ(split.status, 200) << split.body;
  Ingest(R"({"batch":[{"type":"identify","messageId":"late","userId":"su","anonymousId":"sa"},
                      {"type":"identify","messageId":"late2","userId":"u5","anonymousId":"a69"}]})");
  const std::string split_off = ProfileId("anonymous_id:sa");
  EXPECT_NE(split_off, ProfileId("user_id:su"));
  std::vector<std::string> before;
  for (int i = 0; i < 70; ++i) {
    before.push_back(
        Call("GET", "/v1/profiles/anonymous_id:a" + std::to_string(i), "rk_test").body);
  }
  Stop();
  // The graph recomputed from the event log equals the one built event by event.
  std::string output;
  auto code = RunCdp({"rebuild", "--data", data_, "--config", config_, "--check", "--no-progress"},
                     &output);
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 0) << output;
  EXPECT_NE(output.find("identical"), std::string::npos) << output;
  code = RunCdp({"rebuild", "--data", data_, "--config", config_, "--no-progress"}, &output);
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 0) << output;
  Start();
  for (int i = 0; i < 70; ++i) {
    EXPECT_EQ(Call("GET", "/v1/profiles/anonymous_id:a" + std::to_string(i), "rk_test").body,
              before[static_cast<std::size_t>(i)]);
  }
  EXPECT_EQ(ProfileId("anonymous_id:sa"), split_off);
}

// An identify message of Maria Garcia Lopez as channel `channel` writes her.
std::string Maria(const std::string& message_id, const std::string& anonymous_id,
                  const std::string& extra_traits) {
  return R"({"type":"identify","messageId":")" + message_id + R"(","anonymousId":")" +
         anonymous_id + R"(","traits":{"firstName":"María","lastName":"García López",)" +
         extra_traits + "}}";
}

TEST_F(ProfilesE2eTest, AProbabilisticLinkShowsItsWaterfall) {
  Start();
  Ingest(
      R"({"batch":[)" +
      Maria(
          "p1", "pa1",
          R"("birthday":"1980-05-17","address":{"street":"Calle Mayor 5","city":"Madrid","postalCode":"28013"})") +
      "," +
      Maria(
          "p2", "pa2",
          R"("birthday":"1980-05-17","address":{"street":"C/ Mayor, 5","city":"MADRID","postalCode":"28013"})") +
      "]}");
  EXPECT_EQ(ProfileId("anonymous_id:pa1"), ProfileId("anonymous_id:pa2"));
  const HttpReply links = Call("GET", "/v1/profiles/anonymous_id:pa1/links", "rk_test");
  ASSERT_EQ(links.status, 200) << links.body;
  simdjson::dom::array list;
  ASSERT_FALSE(Parse(links.body)["links"].get(list));
  int probabilistic = 0;
  for (auto link : list) {
    std::string_view rule;
    ASSERT_FALSE(link["rule"].get(rule));
    if (rule != "probabilistic") continue;
    ++probabilistic;
    double weight = 0, prior = 0, total = 0;
    EXPECT_FALSE(link["weight"].get(weight));
    EXPECT_GE(weight, 12.0);
    EXPECT_FALSE(link["explanation"]["prior"].get(prior));
    EXPECT_FALSE(link["explanation"]["total"].get(total));
    EXPECT_DOUBLE_EQ(total, weight);
    simdjson::dom::array fields;
    ASSERT_FALSE(link["explanation"]["fields"].get(fields));
    double sum = prior;
    std::set<std::string> names;
    for (auto f : fields) {
      double w = 0;
      std::string_view name, level;
      EXPECT_FALSE(f["weight"].get(w));
      EXPECT_FALSE(f["field"].get(name));
      EXPECT_FALSE(f["level"].get(level));
      names.insert(std::string(name));
      sum += w;
      double contribution = 0;
      EXPECT_FALSE(link["contributions"][name].get(contribution));
      EXPECT_DOUBLE_EQ(contribution, w);
    }
    EXPECT_NEAR(sum, total, 1e-3);
    EXPECT_TRUE(names.contains("given") && names.contains("surnames") &&
                names.contains("birth_date") && names.contains("street"))
        << links.body;
  }
  EXPECT_EQ(probabilistic, 1) << links.body;
}

TEST_F(ProfilesE2eTest, TheReviewQueueDecidesPossibleMatchesDurably) {
  Start();
  // Same name and birth year: between the review and link thresholds.
  Ingest(R"({"batch":[)" + Maria("q1", "qa1", R"("birthday":"1980-05-17")") + "," +
         Maria("q2", "qa2", R"("birthday":"1980-11-02")") + "]}");
  EXPECT_NE(ProfileId("anonymous_id:qa1"), ProfileId("anonymous_id:qa2"));
  EXPECT_EQ(Call("GET", "/v1/review", "rk_test").status, 403);
  HttpReply page = Call("GET", "/v1/review", "ak_test");
  ASSERT_EQ(page.status, 200) << page.body;
  simdjson::dom::array items;
  ASSERT_FALSE(Parse(page.body)["items"].get(items));
  ASSERT_EQ(items.size(), 1u) << page.body;
  std::string_view id_view, left, right;
  ASSERT_FALSE(items.at(0)["id"].get(id_view));
  ASSERT_FALSE(items.at(0)["left"].get(left));
  ASSERT_FALSE(items.at(0)["right"].get(right));
  // Copied before the next parse reuses the parser's buffer.
  const std::string id(id_view);
  const std::string left_id(left);
  const std::string right_id(right);
  EXPECT_EQ(left_id, ProfileId("anonymous_id:qa2"));
  EXPECT_EQ(right_id, ProfileId("anonymous_id:qa1"));
  EXPECT_EQ(Call("GET", "/v1/review?limit=0", "ak_test").status, 400);
  EXPECT_EQ(Call("GET", "/v1/review?cursor=x", "ak_test").status, 400);
  EXPECT_EQ(Call("POST", "/v1/review/" + id, "ak_test", R"({"decision":"perhaps"})").status, 400);
  EXPECT_EQ(Call("POST", "/v1/review/r_999", "ak_test", R"({"decision":"match"})").status, 404);
  EXPECT_EQ(Call("POST", "/v1/review/" + id, "rk_test", R"({"decision":"match"})").status, 403);
  const HttpReply decided = Call("POST", "/v1/review/" + id, "ak_test", R"({"decision":"match"})");
  ASSERT_EQ(decided.status, 200) << decided.body;
  EXPECT_EQ(ProfileId("anonymous_id:qa1"), ProfileId("anonymous_id:qa2"));
  EXPECT_EQ(Call("POST", "/v1/review/" + id, "ak_test", R"({"decision":"no_match"})").status, 409);
  // A second pair, rejected: it stays apart, also after a restart and a rebuild.
  Ingest(
      R"({"batch":[)" +
      std::string(
          R"({"type":"identify","messageId":"n1","anonymousId":"na1","traits":{"firstName":"Luis","lastName":"Martín Ruiz","birthday":"1971-03-03"}},)") +
      R"({"type":"identify","messageId":"n2","anonymousId":"na2","traits":{"firstName":"Luis","lastName":"Martín Ruiz","birthday":"1971-09-30"}}]})");
  page = Call("GET", "/v1/review", "ak_test");
  ASSERT_FALSE(Parse(page.body)["items"].get(items));
  ASSERT_EQ(items.size(), 1u) << page.body;
  ASSERT_FALSE(items.at(0)["id"].get(id_view));
  const std::string second(id_view);
  ASSERT_EQ(Call("POST", "/v1/review/" + second, "ak_test", R"({"decision":"no_match"})").status,
            200);
  EXPECT_NE(ProfileId("anonymous_id:na1"), ProfileId("anonymous_id:na2"));
  page = Call("GET", "/v1/review", "ak_test");
  ASSERT_FALSE(Parse(page.body)["items"].get(items));
  EXPECT_EQ(items.size(), 0u) << page.body;
  const std::string merged = ProfileId("anonymous_id:qa1");
  const std::string apart1 = ProfileId("anonymous_id:na1");
  const std::string apart2 = ProfileId("anonymous_id:na2");
  Stop();
  std::string output;
  auto code = RunCdp({"rebuild", "--data", data_, "--config", config_, "--check", "--no-progress"},
                     &output);
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 0) << output;
  EXPECT_NE(output.find("identical"), std::string::npos) << output;
  Start();
  EXPECT_EQ(ProfileId("anonymous_id:qa2"), merged);
  EXPECT_EQ(ProfileId("anonymous_id:na1"), apart1);
  EXPECT_EQ(ProfileId("anonymous_id:na2"), apart2);
  page = Call("GET", "/v1/review", "ak_test");
  ASSERT_FALSE(Parse(page.body)["items"].get(items));
  EXPECT_EQ(items.size(), 0u) << page.body;
  EXPECT_EQ(Call("POST", "/v1/review/" + id, "ak_test", R"({"decision":"match"})").status, 409);
}

TEST_F(ProfilesE2eTest, TrainStoresAModelTheServerLoads) {
  Start();
  // 400 office records of 200 people (two each, one with a street typo): enough pairs sharing
  // blocking keys to fit on.
  const char* const given[] = {"Ana", "Luis", "Pedro", "Carmen", "Jorge", "Elena", "Pablo", "Rosa"};
  const char* const surnames[] = {"Garcia", "Ruiz", "Ortega", "Navarro", "Molina"};
  std::string batch = R"({"batch":[)";
  for (int i = 0; i < 400; ++i) {
    const int person = i / 2;
    if (i > 0) batch += ',';
    batch += R"({"type":"identify","messageId":"t)" + std::to_string(i) + R"(","anonymousId":"ta)" +
             std::to_string(i) + R"(","traits":{"firstName":")" + given[person % 8] +
             R"(","lastName":")" + surnames[person % 5] + " " + surnames[(person / 5) % 5] +
             R"(","birthday":")" + std::to_string(1940 + person % 50) + "-0" +
             std::to_string(1 + person % 9) + R"(-1)" + std::to_string(person % 10) +
             R"(","address":{"street":"Calle )" + (i % 2 ? "Mayr " : "Mayor ") +
             std::to_string(person) + R"(","postalCode":"280)" + std::to_string(10 + person % 40) +
             R"("}}})";
  }
  batch += "]}";
  Ingest(batch);
  Stop();
  std::string output;
  auto code = RunCdp({"train", "--data", data_, "--config", config_, "--no-progress"}, &output);
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 0) << output;
  EXPECT_NE(output.find("model version 1 stored"), std::string::npos) << output;
  EXPECT_NE(output.find("birth_date exact"), std::string::npos) << output;
  // A server holding the data directory makes train refuse it; a stopped one loads the model.
  Start();
  code = RunCdp({"train", "--data", data_, "--no-progress"}, &output);
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 1) << output;
  Stop();
  code = RunCdp({"train", "--data", data_, "--dry-run", "--no-progress"}, &output);
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 0) << output;
  EXPECT_NE(output.find("model version 2 not stored (--dry-run)"), std::string::npos) << output;
}

}  // namespace
}  // namespace cdp::testing
