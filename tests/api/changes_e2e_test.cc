// End-to-end: the change feed and the profile timeline of API.md against the real `cdp serve`
// over real sockets: the order of upserts, merges and splits, durable cursors across a
// restart, no acknowledged change lost across a SIGKILL, live pushes to a WebSocket
// subscriber, a stalled subscriber cut off while ingest goes on; the timeline across merged
// ids, its pages, and after a split.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <simdjson.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/http_client.h"
#include "tests/support/metrics_scrape.h"
#include "tests/support/server_process.h"
#include "tests/support/server_test.h"
#include "tests/support/ws_client.h"

namespace cdp::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

const std::pair<std::string, std::string> kJson = {"Content-Type", "application/json"};

struct Change {
  std::uint64_t seq = 0;
  std::string type;
  std::string profile;
  std::string merged_into;
  friend bool operator==(const Change&, const Change&) = default;
};

class ChangesE2eTest : public ServerTest {
 protected:
  ChangesE2eTest()
      : ServerTest("changes", R"({"keys": [
          {"key": "wk_test", "scopes": ["write"]},
          {"key": "wk_civil", "name": "civil_register", "scopes": ["write"]},
          {"key": "wk_web", "name": "web_form", "scopes": ["write"]},
          {"key": "rk_test", "scopes": ["read"]},
          {"key": "ak_test", "scopes": ["read", "admin"]}],
          "profiles": {"source_priority": ["civil_register", "office", "web_form"]}})") {}

  void Ingest(std::string_view batch) {
    const HttpReply r = Call("POST", "/v1/batch", "wk_test", batch);
    ASSERT_EQ(r.status, 200) << r.body;
  }
  std::string ProfileId(std::string_view ref) {
    const HttpReply r = Call("GET", "/v1/profiles/" + std::string(ref), "rk_test");
    EXPECT_EQ(r.status, 200) << ref << ": " << r.body;
    simdjson::dom::element root;
    std::string_view id;
    if (parser_.parse(r.body).get(root) || root["id"].get(id)) return "";
    return std::string(id);
  }

  // The changes of one frame or page body, and its "next" cursor.
  std::vector<Change> ParseChanges(const std::string& body, std::string* next = nullptr) {
    std::vector<Change> out;
    simdjson::dom::element root;
    EXPECT_FALSE(parser_.parse(body).get(root)) << body;
    simdjson::dom::array list;
    if (root["changes"].get(list)) {
      ADD_FAILURE() << "no changes array: " << body;
      return out;
    }
    for (auto item : list) {
      Change c;
      std::string_view type, profile, merged;
      EXPECT_FALSE(item["seq"].get(c.seq));
      EXPECT_FALSE(item["type"].get(type));
      EXPECT_FALSE(item["profile_id"].get(profile));
      std::string_view at;
      EXPECT_FALSE(item["at"].get(at));
      if (!item["merged_into"].get(merged)) c.merged_into = std::string(merged);
      c.type = std::string(type);
      c.profile = std::string(profile);
      out.push_back(std::move(c));
    }
    std::string_view n;
    EXPECT_FALSE(root["next"].get(n)) << body;
    if (next != nullptr) *next = std::string(n);
    return out;
  }
  // GET /v1/changes?after=AFTER&limit=LIMIT.
  std::vector<Change> Page(std::string_view after, std::size_t limit, std::string* next) {
    const HttpReply r =
        Call("GET", "/v1/changes?after=" + std::string(after) + "&limit=" + std::to_string(limit),
             "rk_test");
    EXPECT_EQ(r.status, 200) << r.body;
    return ParseChanges(r.body, next);
  }
  // The whole feed, page by page.
  std::vector<Change> All(std::size_t page = 1000) {
    std::vector<Change> out;
    std::string cursor = "0";
    for (;;) {
      std::string next;
      std::vector<Change> got = Page(cursor, page, &next);
      if (got.empty()) {
        EXPECT_EQ(next, cursor);
        return out;
      }
      out.insert(out.end(), got.begin(), got.end());
      cursor = next;
    }
  }

  simdjson::dom::parser parser_;
};

TEST_F(ChangesE2eTest, UpsertsMergesAndSplitsAreFedInTheOrderTheyHappened) {
  Start();
  Ingest(R"({"batch":[
    {"type":"identify","messageId":"m1","anonymousId":"a1","traits":{"email":"ana@example.es"}},
    {"type":"identify","messageId":"m2","anonymousId":"a2","userId":"u2"},
    {"type":"track","messageId":"m3","anonymousId":"a2","event":"Page Viewed"}]})");
  Ingest(R"({"batch":[
    {"type":"identify","messageId":"m4","userId":"u2","traits":{"email":"ana@example.es"}}]})");
  const std::string p1 = ProfileId("anonymous_id:a1");
  std::vector<Change> feed = All();
  ASSERT_EQ(feed.size(), 4u);
  // m1 created p1, m2 created p2 (m3 coalesced into that upsert), m4 merged p2 into p1.
  EXPECT_EQ(feed[0], (Change{1, "upsert", p1, ""}));
  const std::string p2 = feed[1].profile;
  EXPECT_NE(p2, p1);
  EXPECT_EQ(feed[1], (Change{2, "upsert", p2, ""}));
  EXPECT_EQ(feed[2], (Change{3, "merge", p2, p1}));
  EXPECT_EQ(feed[3], (Change{4, "upsert", p1, ""}));
  EXPECT_EQ(ProfileId("user_id:u2"), p1);

  // An operator's split: the new profile is a split entry, the old one an upsert.
  const HttpReply split = Call("POST", "/v1/profiles/" + p1 + "/split", "ak_test",
                               R"({"identifiers": ["anonymous_id:a1"]})");
  ASSERT_EQ(split.status, 200) << split.body;
  std::string next;
  std::vector<Change> after = Page("4", 100, &next);
  std::set<std::string> types;
  for (const Change& c : after) types.insert(c.type);
  EXPECT_TRUE(types.contains("split")) << split.body;
  const std::string moved = ProfileId("anonymous_id:a1");
  EXPECT_NE(moved, ProfileId("user_id:u2"));
  bool split_of_moved = false;
  for (const Change& c : after) split_of_moved |= c.type == "split" && c.profile == moved;
  bool split_of_other = false;
  for (const Change& c : after) {
    split_of_other |= c.type == "split" && c.profile == ProfileId("user_id:u2");
  }
  EXPECT_TRUE(split_of_moved || split_of_other);
  EXPECT_EQ(next, std::to_string(after.back().seq));

  // Cursors and limits: bad ones are refused, an exhausted cursor returns itself.
  EXPECT_EQ(Call("GET", "/v1/changes?after=abc", "rk_test").status, 400);
  EXPECT_EQ(Call("GET", "/v1/changes?after=01", "rk_test").status, 400);
  EXPECT_EQ(Call("GET", "/v1/changes?limit=0", "rk_test").status, 400);
  EXPECT_EQ(Call("GET", "/v1/changes?limit=10001", "rk_test").status, 400);
  EXPECT_EQ(Call("GET", "/v1/changes", "wk_test").status, 403);
  EXPECT_TRUE(Page(next, 10, &next).empty());
}

TEST_F(ChangesE2eTest, CursorsReturnTheSameChangesAfterARestart) {
  Start();
  for (int b = 0; b < 5; ++b) {
    std::string batch = R"({"batch":[)";
    for (int i = 0; i < 20; ++i) {
      const int n = b * 20 + i;
      if (i > 0) batch += ",";
      // Every third message joins the previous person: merges among the upserts.
      const std::string anon = "a" + std::to_string(n);
      const std::string user = "u" + std::to_string(n % 3 == 0 && n > 0 ? n - 1 : n);
      batch += R"({"type":"identify","messageId":"m)" + std::to_string(n) + R"(","anonymousId":")" +
               anon + R"(","userId":")" + user + R"("})";
    }
    batch += "]}";
    Ingest(batch);
  }
  std::map<std::string, std::pair<std::vector<Change>, std::string>> pages;
  std::string cursor = "0";
  for (;;) {
    std::string next;
    std::vector<Change> got = Page(cursor, 7, &next);
    pages[cursor] = {got, next};
    if (got.empty()) break;
    cursor = next;
  }
  ASSERT_GT(pages.size(), 5u);
  Stop();
  Start();
  for (const auto& [after, page] : pages) {
    std::string next;
    EXPECT_EQ(Page(after, 7, &next), page.first) << "after=" << after;
    EXPECT_EQ(next, page.second);
  }
  // New changes continue the sequence.
  Ingest(R"({"batch":[{"type":"identify","messageId":"late","anonymousId":"late"}]})");
  std::string next;
  std::vector<Change> late = Page(cursor, 10, &next);
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(late[0].seq, std::stoull(cursor) + 1);
}

TEST_F(ChangesE2eTest, NoAcknowledgedChangeIsLostAcrossASigkill) {
  Start();
  std::atomic<bool> stop{false};
  std::vector<std::string> acked;  // anonymous ids of acknowledged events
  std::thread sender([&] {
    for (int b = 0; !stop.load(); ++b) {
      std::string batch = R"({"batch":[)";
      std::vector<std::string> ids;
      for (int i = 0; i < 50; ++i) {
        const std::string anon = "k" + std::to_string(b) + "_" + std::to_string(i);
        if (i > 0) batch += ",";
        batch += R"({"type":"identify","anonymousId":")" + anon + R"(","userId":"ku)" +
                 std::to_string(b) + "_" + std::to_string(i / 2) + R"("})";
        ids.push_back(anon);
      }
      batch += "]}";
      auto r = HttpCall(server_->port(), "POST", "/v1/batch", {BasicAuth("wk_test"), kJson}, batch);
      if (!r.ok() || r->status != 200) return;
      acked.insert(acked.end(), ids.begin(), ids.end());
    }
  });
  // Killed while batches are in flight: some acknowledged, one maybe half-done.
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  server_->Signal(SIGKILL);
  stop.store(true);
  sender.join();
  ASSERT_TRUE(server_->Wait(std::chrono::seconds(30)).ok());
  server_.reset();
  ASSERT_GT(acked.size(), 100u);

  Start();
  std::set<std::string> upserted;
  std::uint64_t expected_seq = 1;
  for (const Change& c : All()) {
    EXPECT_EQ(c.seq, expected_seq++);  // dense: nothing half-written
    if (c.type == "upsert" || c.type == "split") upserted.insert(c.profile);
  }
  std::size_t missing = 0;
  for (const std::string& anon : acked) {
    if (!upserted.contains(ProfileId("anonymous_id:" + anon))) ++missing;
  }
  EXPECT_EQ(missing, 0u) << "of " << acked.size() << " acknowledged events";
}

TEST_F(ChangesE2eTest, SubscriberCatchesUpThenReceivesChangesWithin100Ms) {
  Start();
  Ingest(R"({"batch":[{"type":"identify","messageId":"old","anonymousId":"old"}]})");
  auto ws = WsClient::Connect(server_->port(), "/v1/subscribe?after=0", {BasicAuth("rk_test")});
  ASSERT_TRUE(ws.ok()) << ws.status().ToString();
  // Catch-up: the change made before the subscription.
  auto first = (*ws)->Read();
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  std::vector<Change> got = ParseChanges(*first);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].seq, 1u);

  std::vector<double> latencies_ms;
  for (int i = 0; i < 10; ++i) {
    const std::string anon = "live" + std::to_string(i);
    Ingest(R"({"batch":[{"type":"identify","anonymousId":")" + anon + R"("}]})");
    const auto acked = Clock::now();
    auto frame = (*ws)->Read();
    ASSERT_TRUE(frame.ok()) << frame.status().ToString();
    latencies_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - acked).count());
    got = ParseChanges(*frame);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].seq, static_cast<std::uint64_t>(i) + 2);
    EXPECT_EQ(got[0].profile, ProfileId("anonymous_id:" + anon));
  }
  std::sort(latencies_ms.begin(), latencies_ms.end());
  // Measured from the acknowledgement's arrival at the client: the push may even come first.
  EXPECT_LT(latencies_ms[latencies_ms.size() / 2], 100.0);
  EXPECT_LT(latencies_ms.back(), 1000.0);
  std::printf("subscriber latency after ack: median %.2f ms, max %.2f ms\n",
              latencies_ms[latencies_ms.size() / 2], latencies_ms.back());

  // Bad subscriptions are refused at the upgrade.
  auto bad = WsClient::Connect(server_->port(), "/v1/subscribe?after=x", {BasicAuth("rk_test")});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("400"), std::string::npos) << bad.status().ToString();
  auto forbidden = WsClient::Connect(server_->port(), "/v1/subscribe", {BasicAuth("wk_test")});
  ASSERT_FALSE(forbidden.ok());
  EXPECT_NE(forbidden.status().message().find("403"), std::string::npos);
}

// The messageIds of GET /v1/profiles/{ref}/events pages, newest first, following `next`.
TEST_F(ChangesE2eTest, TimelineSpansMergedIdsNewestFirstInPages) {
  Start();
  Ingest(R"({"batch":[
    {"type":"track","messageId":"e1","anonymousId":"a1","event":"Page Viewed"},
    {"type":"track","messageId":"e2","anonymousId":"a2","event":"Page Viewed"},
    {"type":"track","messageId":"e3","anonymousId":"other","event":"Page Viewed"},
    {"type":"identify","messageId":"e4","anonymousId":"a1","userId":"u1"},
    {"type":"track","messageId":"e5","anonymousId":"a2","event":"Form Started"}]})");
  Ingest(R"({"batch":[
    {"type":"alias","messageId":"e6","previousId":"a2","userId":"u1"},
    {"type":"track","messageId":"e7","userId":"u1","event":"Form Sent"}]})");
  const auto page = [&](std::string_view ref, std::string_view query, std::string* next) {
    const HttpReply r =
        Call("GET", "/v1/profiles/" + std::string(ref) + "/events" + std::string(query), "rk_test");
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<std::string> ids;
    simdjson::dom::element root;
    simdjson::dom::array events;
    if (parser_.parse(r.body).get(root) || root["events"].get(events)) {
      ADD_FAILURE() << r.body;
      return ids;
    }
    for (auto e : events) {
      std::string_view id;
      EXPECT_FALSE(e["messageId"].get(id));
      ids.emplace_back(id);
    }
    std::string_view n;
    next->clear();
    if (!root["next"].get(n)) *next = std::string(n);
    return ids;
  };
  std::string next;
  // Every event of the merged profile, whichever identifier it came with, newest first.
  const std::vector<std::string> all = {"e7", "e6", "e5", "e4", "e2", "e1"};
  EXPECT_EQ(page("user_id:u1", "", &next), all);
  EXPECT_TRUE(next.empty());
  EXPECT_EQ(page("anonymous_id:a2", "", &next), all);
  EXPECT_EQ(page("anonymous_id:other", "", &next), std::vector<std::string>{"e3"});
  // Pages of two.
  std::vector<std::string> paged;
  std::string query = "?limit=2";
  for (int i = 0; i < 10; ++i) {
    std::vector<std::string> got = page("user_id:u1", query, &next);
    EXPECT_LE(got.size(), 2u);
    paged.insert(paged.end(), got.begin(), got.end());
    if (next.empty()) break;
    query = "?limit=2&cursor=" + next;
  }
  EXPECT_EQ(paged, all);
  // Bad paging and unknown profiles.
  EXPECT_EQ(Call("GET", "/v1/profiles/user_id:u1/events?limit=0", "rk_test").status, 400);
  EXPECT_EQ(Call("GET", "/v1/profiles/user_id:u1/events?limit=1001", "rk_test").status, 400);
  EXPECT_EQ(Call("GET", "/v1/profiles/user_id:u1/events?cursor=x", "rk_test").status, 400);
  EXPECT_EQ(Call("GET", "/v1/profiles/user_id:nobody/events", "rk_test").status, 404);
  EXPECT_EQ(Call("GET", "/v1/profiles/user_id:u1/events", "wk_test").status, 403);

  // A split takes its identifier's events with it; they survive a restart and `cdp rebuild`.
  const std::string id = ProfileId("user_id:u1");
  const HttpReply split = Call("POST", "/v1/profiles/" + id + "/split", "ak_test",
                               R"({"identifiers": ["anonymous_id:a2"]})");
  ASSERT_EQ(split.status, 200) << split.body;
  const std::vector<std::string> moved = {"e5", "e2"};
  const std::vector<std::string> kept = {"e7", "e6", "e4", "e1"};
  EXPECT_EQ(page("anonymous_id:a2", "", &next), moved);
  EXPECT_EQ(page("user_id:u1", "", &next), kept);
  Stop();
  std::string output;
  auto rebuilt =
      RunCdp({"rebuild", "--data", data_, "--config", config_, "--no-progress"}, &output);
  ASSERT_TRUE(rebuilt.ok());
  EXPECT_EQ(*rebuilt, 0) << output;
  Start();
  EXPECT_EQ(page("anonymous_id:a2", "", &next), moved);
  EXPECT_EQ(page("user_id:u1", "", &next), kept);
}

// Traits of GET /v1/profiles/{ref}: the surviving value of each, its lineage, the computed ones.
struct TraitsView {
  std::map<std::string, std::string> values;    // name -> compact JSON
  std::map<std::string, std::string> sources;   // name -> source
  std::map<std::string, std::string> messages;  // name -> messageId
  std::uint64_t event_count = 0;
  std::map<std::string, std::uint64_t> by_channel;
  std::string preferred_channel;
  std::vector<std::string> services;
};

TEST_F(ChangesE2eTest, TraitsSurviveByPriorityThenRecencyAndFollowMergesAndSplits) {
  Start();
  const auto send = [&](std::string_view key, const std::string& batch) {
    const HttpReply r = Call("POST", "/v1/batch", key, batch);
    ASSERT_EQ(r.status, 200) << r.body;
  };
  const auto traits = [&](std::string_view ref) {
    TraitsView v;
    const HttpReply r = Call("GET", "/v1/profiles/" + std::string(ref), "rk_test");
    EXPECT_EQ(r.status, 200) << r.body;
    simdjson::dom::element root;
    if (parser_.parse(r.body).get(root)) {
      ADD_FAILURE() << r.body;
      return v;
    }
    simdjson::dom::object object;
    if (!root["traits"].get(object)) {
      for (auto [name, value] : object) v.values[std::string(name)] = simdjson::minify(value);
    }
    if (!root["trait_sources"].get(object)) {
      for (auto [name, lineage] : object) {
        std::string_view source, message, timestamp;
        EXPECT_FALSE(lineage["source"].get(source));
        EXPECT_FALSE(lineage["message_id"].get(message));
        EXPECT_FALSE(lineage["timestamp"].get(timestamp));
        v.sources[std::string(name)] = std::string(source);
        v.messages[std::string(name)] = std::string(message);
      }
    }
    simdjson::dom::element computed = root["computed"];
    EXPECT_FALSE(computed["event_count"].get(v.event_count)) << r.body;
    if (!computed["events_by_channel"].get(object)) {
      for (auto [channel, count] : object) v.by_channel[std::string(channel)] = count.get_uint64();
    }
    std::string_view preferred;
    if (!computed["preferred_channel"].get(preferred)) v.preferred_channel = std::string(preferred);
    simdjson::dom::array services;
    if (!computed["services"].get(services)) {
      for (auto service : services) v.services.emplace_back(service.get_string().value());
    }
    return v;
  };

  // The civil register's older values outrank the web form's newer ones; between values of
  // one source, the newer wins; nested values are kept whole.
  send("wk_civil", R"({"batch":[{"type":"identify","messageId":"c1","userId":"u1",
    "timestamp":"2026-01-01T00:00:00Z",
    "traits":{"name":"Maria","address":{"city":"Madrid","zip":"28001"}}}]})");
  send("wk_web", R"({"batch":[
    {"type":"identify","messageId":"w1","userId":"u1","timestamp":"2026-02-01T00:00:00Z",
     "traits":{"name":"Mary","contact_pref":"sms","address":{"city":"Toledo"}},
     "context":{"channel":"web"}},
    {"type":"identify","messageId":"w2","userId":"u1","timestamp":"2026-03-01T00:00:00Z",
     "traits":{"contact_pref":"email"},"context":{"channel":"web"}},
    {"type":"identify","messageId":"w0","userId":"u1","timestamp":"2025-12-01T00:00:00Z",
     "traits":{"contact_pref":"post"},"context":{"channel":"web"}}]})");
  TraitsView a = traits("user_id:u1");
  EXPECT_EQ(a.values["name"], R"("Maria")");
  EXPECT_EQ(a.sources["name"], "civil_register");
  EXPECT_EQ(a.messages["name"], "c1");
  EXPECT_EQ(a.values["address"], R"({"city":"Madrid","zip":"28001"})");
  EXPECT_EQ(a.values["contact_pref"], R"("email")");  // newest, not the last to arrive
  EXPECT_EQ(a.sources["contact_pref"], "web_form");
  EXPECT_EQ(a.messages["contact_pref"], "w2");
  EXPECT_EQ(a.event_count, 4u);

  // A second person seen at the office, with a service interaction by phone.
  send("wk_test", R"({"batch":[
    {"type":"identify","messageId":"o1","anonymousId":"a9","timestamp":"2026-01-15T00:00:00Z",
     "traits":{"income":9000,"name":"Mari"},"context":{"channel":"office"}},
    {"type":"track","messageId":"o2","anonymousId":"a9","event":"Service Offered",
     "timestamp":"2026-01-16T00:00:00Z","properties":{"service_id":"svc-7"},
     "context":{"channel":"phone"}}]})");
  TraitsView b = traits("anonymous_id:a9");
  EXPECT_EQ(b.values["name"], R"("Mari")");
  EXPECT_EQ(b.sources["income"], "office");
  EXPECT_EQ(b.preferred_channel, "phone");
  EXPECT_EQ(b.services, std::vector<std::string>{"svc-7"});

  // The merge recomputes the survivor from both sides' lineage.
  send("wk_web", R"({"batch":[{"type":"identify","messageId":"join","userId":"u1",
    "anonymousId":"a9","timestamp":"2026-01-20T00:00:00Z","context":{"channel":"web"}}]})");
  TraitsView merged = traits("anonymous_id:a9");
  EXPECT_EQ(merged.values["name"], R"("Maria")");
  EXPECT_EQ(merged.values["income"], "9000");
  EXPECT_EQ(merged.sources["income"], "office");
  EXPECT_EQ(merged.values["contact_pref"], R"("email")");
  EXPECT_EQ(merged.event_count, 7u);
  EXPECT_EQ(merged.by_channel["web"], 4u);
  EXPECT_EQ(merged.by_channel["office"], 1u);
  EXPECT_EQ(merged.services, std::vector<std::string>{"svc-7"});

  // The split recomputes both sides from their events.
  const std::string id = ProfileId("user_id:u1");
  const HttpReply split = Call("POST", "/v1/profiles/" + id + "/split", "ak_test",
                               R"({"identifiers": ["anonymous_id:a9"]})");
  ASSERT_EQ(split.status, 200) << split.body;
  TraitsView left = traits("user_id:u1");
  TraitsView right = traits("anonymous_id:a9");
  EXPECT_EQ(left.values.count("income"), 0u);
  EXPECT_EQ(left.values["name"], R"("Maria")");
  EXPECT_EQ(left.event_count, 5u);  // the joining event is anchored at u1
  EXPECT_TRUE(left.services.empty());
  EXPECT_EQ(right.values["name"], R"("Mari")");
  EXPECT_EQ(right.values["income"], "9000");
  EXPECT_EQ(right.event_count, 2u);
  EXPECT_EQ(right.services, std::vector<std::string>{"svc-7"});

  // Durable: the same after a restart.
  Stop();
  Start();
  TraitsView again = traits("anonymous_id:a9");
  EXPECT_EQ(again.values, right.values);
  EXPECT_EQ(again.sources, right.sources);
  EXPECT_EQ(again.event_count, right.event_count);
}

// Whatever merges, conflicts and recomputes happened, each profile's event count is the number
// of events on its timeline: traits folded in and traits refolded agree.
TEST_F(ChangesE2eTest, ComputedEventCountMatchesTheTimelineThroughConflicts) {
  Start();
  // Two people with different DNIs who share an e-mail address: the second link is refused
  // and the component is decided again (recomputed) by every later event that touches it.
  Ingest(R"({"batch":[
    {"type":"identify","messageId":"k1","userId":"u1",
     "traits":{"nationalId":"12345678Z","email":"shared@example.es"}},
    {"type":"track","messageId":"k2","userId":"u1","event":"A","context":{"channel":"web"}},
    {"type":"identify","messageId":"k3","userId":"u2",
     "traits":{"nationalId":"87654321X","email":"shared@example.es"}}]})");
  Ingest(R"({"batch":[
    {"type":"identify","messageId":"k4","anonymousId":"z1","traits":{"email":"shared@example.es"}},
    {"type":"track","messageId":"k5","anonymousId":"z1","event":"B"},
    {"type":"identify","messageId":"k6","anonymousId":"z2","userId":"u2"},
    {"type":"track","messageId":"k7","userId":"u2","event":"C","context":{"channel":"phone"}},
    {"type":"alias","messageId":"k8","previousId":"z3","userId":"u1"},
    {"type":"track","messageId":"k9","anonymousId":"z3","event":"D"}]})");
  Ingest(R"({"batch":[
    {"type":"identify","messageId":"k10","anonymousId":"z4","userId":"u2",
     "traits":{"email":"shared@example.es"}}]})");
  // The test is about these paths: a refused link, and traits refolded after a recompute.
  auto conflicts = ScrapeMetric(server_->port(), "cdp_identity_conflicts");
  auto refolds = ScrapeMetric(server_->port(), "cdp_profile_traits_refolds_total");
  ASSERT_TRUE(conflicts.ok() && refolds.ok());
  EXPECT_GE(*conflicts, 1.0);
  EXPECT_GE(*refolds, 1.0);
  std::set<std::string> profiles;
  for (const char* ref : {"user_id:u1", "user_id:u2", "anonymous_id:z1", "anonymous_id:z2",
                          "anonymous_id:z3", "anonymous_id:z4", "email:shared@example.es"}) {
    profiles.insert(ProfileId(ref));
  }
  EXPECT_GE(profiles.size(), 2u);
  std::uint64_t total = 0;
  for (const std::string& id : profiles) {
    const HttpReply profile = Call("GET", "/v1/profiles/" + id, "rk_test");
    ASSERT_EQ(profile.status, 200) << profile.body;
    simdjson::dom::element root;
    ASSERT_FALSE(parser_.parse(profile.body).get(root));
    std::uint64_t count = 0;
    ASSERT_FALSE(root["computed"]["event_count"].get(count)) << profile.body;
    const HttpReply events = Call("GET", "/v1/profiles/" + id + "/events?limit=1000", "rk_test");
    ASSERT_EQ(events.status, 200) << events.body;
    simdjson::dom::array list;
    ASSERT_FALSE(parser_.parse(events.body).get(root));
    ASSERT_FALSE(root["events"].get(list));
    EXPECT_EQ(count, list.size()) << id << ": " << profile.body;
    total += count;
  }
  EXPECT_EQ(total, 10u);
  // The same after a restart (nothing is recomputed on load).
  Stop();
  Start();
  for (const std::string& id : profiles) {
    const HttpReply profile = Call("GET", "/v1/profiles/" + id, "rk_test");
    EXPECT_EQ(profile.status, 200) << profile.body;
  }
}

// Opens /v1/subscribe on a raw socket with a small receive buffer and never reads after the
// handshake: a stalled subscriber.
int OpenStalledSubscriber(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  int small = 4096;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  const std::string request =
      "GET /v1/subscribe?after=0 HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
      "Sec-WebSocket-Version: 13\r\nAuthorization: Bearer rk_test\r\n\r\n";
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    ::close(fd);
    return -1;
  }
  // The 101 response, byte by byte so that nothing after it is read.
  std::string head;
  char c;
  while (head.find("\r\n\r\n") == std::string::npos && ::recv(fd, &c, 1, 0) == 1) head += c;
  if (head.find(" 101 ") == std::string::npos) {
    ::close(fd);
    return -1;
  }
  return fd;
}

TEST_F(ChangesE2eTest, StalledSubscriberIsCutOffWhileIngestGoesOn) {
  Start({"--subscriber-stall-ms", "300", "--subscriber-buffer-bytes", "65536"});
  const int fd = OpenStalledSubscriber(server_->port());
  ASSERT_GE(fd, 0);
  auto cut_off = [&] {
    auto v = ScrapeMetric(server_->port(), "cdp_change_subscribers_cut_off_total");
    return v.ok() ? *v : -1.0;
  };
  // Enough changes to fill the socket buffers on both sides many times over.
  int batches = 0;
  const auto start = Clock::now();
  while (cut_off() < 1.0 && Clock::now() - start < std::chrono::seconds(60)) {
    std::string batch = R"({"batch":[)";
    for (int i = 0; i < 500; ++i) {
      if (i > 0) batch += ",";
      batch += R"({"type":"identify","anonymousId":"s)" + std::to_string(batches) + "_" +
               std::to_string(i) + R"("})";
    }
    batch += "]}";
    Ingest(batch);  // every batch acknowledged while the subscriber is stalled
    ++batches;
  }
  EXPECT_EQ(cut_off(), 1.0) << batches << " batches";
  // Ingest and other subscribers are unaffected afterwards.
  Ingest(R"({"batch":[{"type":"identify","anonymousId":"after-cut"}]})");
  auto ws = WsClient::Connect(server_->port(), "/v1/subscribe", {BasicAuth("rk_test")});
  ASSERT_TRUE(ws.ok());
  Ingest(R"({"batch":[{"type":"identify","anonymousId":"after-cut-2"}]})");
  auto frame = (*ws)->Read();
  ASSERT_TRUE(frame.ok());
  std::vector<Change> got = ParseChanges(*frame);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].profile, ProfileId("anonymous_id:after-cut-2"));
  ::close(fd);
}

}  // namespace
}  // namespace cdp::testing
