// End-to-end: the ingest endpoints of API.md against the real `cdp serve`, over real sockets.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "ingest/gzip.h"
#include "tests/support/http_client.h"
#include "tests/support/metrics_scrape.h"
#include "tests/support/server_process.h"
#include "tests/support/server_test.h"
#include "tests/support/ws_client.h"

namespace cdp::testing {
namespace {

namespace fs = std::filesystem;

const std::pair<std::string, std::string> kJson = {"Content-Type", "application/json"};

// A /v1/batch body of `n` track messages with messageIds ID_PREFIX0 .. ID_PREFIX(n-1).
std::string TrackBatch(const std::string& id_prefix, int n) {
  std::string batch = R"({"batch":[)";
  for (int k = 0; k < n; ++k) {
    if (k > 0) batch += ',';
    batch += R"({"type":"track","userId":"u","event":"E","messageId":")" + id_prefix +
             std::to_string(k) + "\"}";
  }
  batch += "]}";
  return batch;
}

class IngestE2eTest : public ServerTest {
 protected:
  IngestE2eTest()
      : ServerTest("ingest", R"({"keys": [
          {"key": "wk_test", "scopes": ["write"]},
          {"key": "rk_test", "scopes": ["read"]}]})") {}

  HttpReply Post(std::string_view path, std::string_view body,
                 std::vector<std::pair<std::string, std::string>> headers = {
                     BasicAuth("wk_test")}) {
    headers.push_back(kJson);
    auto reply = HttpCall(server_->port(), "POST", path, headers, body);
    EXPECT_TRUE(reply.ok()) << reply.status().ToString();
    return reply.ok() ? *reply : HttpReply{};
  }

  double Stored() {
    auto v = ScrapeMetric(server_->port(), "cdp_events_stored");
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.ok() ? *v : -1;
  }

  double Rejected(std::string_view reason) {
    auto v = ScrapeMetric(server_->port(),
                          "cdp_ingest_rejected_total{reason=\"" + std::string(reason) + "\"}");
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.ok() ? *v : -1;
  }
};

TEST_F(IngestE2eTest, EverySingleEndpointStoresItsMessage) {
  Start();
  const std::pair<const char*, const char*> cases[] = {
      {"/v1/identify", R"({"userId":"u1","traits":{"email":"a@example.es"}})"},
      {"/v1/track", R"({"userId":"u1","event":"Service Presented","properties":{"s":"x"}})"},
      {"/v1/page", R"({"anonymousId":"a1","name":"Home"})"},
      {"/v1/screen", R"({"anonymousId":"a1","name":"Login"})"},
      {"/v1/group", R"({"userId":"u1","groupId":"g1"})"},
      {"/v1/alias", R"({"userId":"u1","previousId":"a1"})"},
  };
  double expected = 0;
  for (const auto& [path, body] : cases) {
    SCOPED_TRACE(path);
    HttpReply reply = Post(path, body);
    EXPECT_EQ(reply.status, 200) << reply.body;
    EXPECT_EQ(reply.body, R"({"success":true})");
    EXPECT_EQ(Stored(), ++expected);
  }
}

TEST_F(IngestE2eTest, KeysComeFromBasicBearerOrTheBody) {
  Start();
  const std::string message = R"({"userId":"u1","event":"E"})";
  EXPECT_EQ(Post("/v1/track", message, {BasicAuth("wk_test")}).status, 200);
  EXPECT_EQ(Post("/v1/track", message, {BearerAuth("wk_test")}).status, 200);
  EXPECT_EQ(Post("/v1/track", R"({"writeKey":"wk_test","userId":"u1","event":"E"})", {}).status,
            200);
  EXPECT_EQ(
      Post("/v1/batch",
           R"({"writeKey":"wk_test","batch":[{"type":"track","userId":"u","event":"E"}]})", {})
          .status,
      200);
  EXPECT_EQ(Stored(), 4);

  HttpReply no_key = Post("/v1/track", message, {});
  EXPECT_EQ(no_key.status, 401);
  EXPECT_TRUE(no_key.Header("www-authenticate").has_value());
  EXPECT_EQ(Post("/v1/track", message, {BasicAuth("wk_wrong")}).status, 401);
  EXPECT_EQ(Post("/v1/track", R"({"writeKey":"nope","userId":"u1","event":"E"})", {}).status, 401);
  HttpReply read_key = Post("/v1/track", message, {BasicAuth("rk_test")});
  EXPECT_EQ(read_key.status, 403);
  EXPECT_NE(read_key.body.find("permission_denied"), std::string::npos);
  EXPECT_EQ(Stored(), 4);
  EXPECT_EQ(Rejected("unauthenticated"), 3);
  EXPECT_EQ(Rejected("forbidden"), 1);
}

TEST_F(IngestE2eTest, GzipBodiesAreAcceptedAndBadOnesRefused) {
  Start();
  auto gz = ingest::Gzip(R"({"batch":[{"type":"page","userId":"u9","name":"Home"}]})");
  ASSERT_TRUE(gz.ok());
  EXPECT_EQ(Post("/v1/batch", *gz, {BasicAuth("wk_test"), {"Content-Encoding", "gzip"}}).status,
            200);
  EXPECT_EQ(Stored(), 1);

  HttpReply bad =
      Post("/v1/batch", "this is not gzip", {BasicAuth("wk_test"), {"Content-Encoding", "gzip"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(Rejected("bad_gzip"), 1);

  // 4 MB of spaces inflates past the 500 KB request limit: refused as too large.
  auto bomb = ingest::Gzip(std::string(4u << 20, ' '));
  ASSERT_TRUE(bomb.ok());
  EXPECT_EQ(Post("/v1/batch", *bomb, {BasicAuth("wk_test"), {"Content-Encoding", "gzip"}}).status,
            413);
  EXPECT_EQ(Post("/v1/batch", "{}", {BasicAuth("wk_test"), {"Content-Encoding", "br"}}).status,
            400);
  EXPECT_EQ(Stored(), 1);
}

struct BadInput {
  const char* name;
  const char* path;
  std::string body;
  int status;
  const char* reason;
};

TEST_F(IngestE2eTest, BadInputGetsTheRightStatusAndStoresNothing) {
  Start();
  std::string deep = R"({"userId":"u","event":"E","properties":)";
  for (int i = 0; i < 200; ++i) deep += "[";
  for (int i = 0; i < 200; ++i) deep += "]";
  deep += "}";
  std::string big_message =
      R"({"batch":[{"type":"track","userId":"u","event":"E","properties":{"pad":")" +
      std::string(40'000, 'x') + "\"}}]}";
  std::string big_batch = R"({"batch":[)";
  for (int i = 0; i < 30; ++i) {
    if (i > 0) big_batch += ',';
    big_batch += R"({"type":"track","userId":"u","event":"E","properties":{"pad":")" +
                 std::string(20'000, 'y') + "\"}}";
  }
  big_batch += "]}";
  std::string many = R"({"batch":[)";
  for (int i = 0; i < 2501; ++i) {
    if (i > 0) many += ',';
    many += R"({"type":"page","userId":"u"})";
  }
  many += "]}";
  const std::vector<BadInput> cases = {
      {"malformed json", "/v1/batch", R"({"batch":[{"type":"track",)", 400, "malformed_json"},
      {"not json", "/v1/track", "hello", 400, "malformed_json"},
      {"invalid utf-8", "/v1/track", "{\"userId\":\"u\xff\xfe\",\"event\":\"E\"}", 400,
       "invalid_utf8"},
      {"deep nesting", "/v1/track", deep, 400, "too_deep"},
      {"wrong type: userId number", "/v1/track", R"({"userId":42,"event":"E"})", 400,
       "invalid_message"},
      {"wrong type: batch not array", "/v1/batch", R"({"batch":{"type":"page"}})", 400,
       "invalid_message"},
      {"wrong type: context string", "/v1/page", R"({"userId":"u","context":"web"})", 400,
       "invalid_message"},
      {"missing ids", "/v1/track", R"({"event":"E"})", 400, "invalid_message"},
      {"track without event", "/v1/track", R"({"userId":"u"})", 400, "invalid_message"},
      {"oversize message", "/v1/batch", big_message, 400, "invalid_message"},
      {"oversize batch", "/v1/batch", big_batch, 413, "request_too_large"},
      {"too many messages", "/v1/batch", many, 413, "too_many_messages"},
      {"one invalid item", "/v1/batch",
       R"({"batch":[{"type":"page","userId":"u"},{"type":"track","userId":"u"},{"type":"page","userId":"v"}]})",
       400, "invalid_message"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const double before = Rejected(c.reason);
    HttpReply reply = Post(c.path, c.body);
    EXPECT_EQ(reply.status, c.status) << reply.body;
    EXPECT_NE(reply.body.find("\"error\""), std::string::npos) << reply.body;
    EXPECT_EQ(Rejected(c.reason), before + 1);
    EXPECT_EQ(Stored(), 0);
  }
  // The per-item error names each invalid index.
  HttpReply mixed = Post(
      "/v1/batch",
      R"({"batch":[{"type":"page","userId":"u"},{"type":"track","userId":"u"},{"type":"nope","userId":"u"}]})");
  EXPECT_EQ(mixed.status, 400);
  EXPECT_NE(mixed.body.find(R"({"index":1,)"), std::string::npos) << mixed.body;
  EXPECT_NE(mixed.body.find(R"({"index":2,)"), std::string::npos) << mixed.body;
  EXPECT_EQ(mixed.body.find(R"({"index":0,)"), std::string::npos) << mixed.body;
  EXPECT_EQ(Stored(), 0);
  // And the server still takes good input.
  EXPECT_EQ(Post("/v1/page", R"({"userId":"u"})").status, 200);
  EXPECT_EQ(Stored(), 1);
}

TEST_F(IngestE2eTest, DuplicatesAreAcknowledgedButStoredOnceAlsoAfterRestart) {
  Start();
  const std::string batch =
      R"({"batch":[{"type":"track","userId":"u","event":"E","messageId":"dup-1"},)"
      R"({"type":"track","userId":"u","event":"E","messageId":"dup-2"},)"
      R"({"type":"track","userId":"u","event":"E","messageId":"dup-1"}]})";
  EXPECT_EQ(Post("/v1/batch", batch).status, 200);
  EXPECT_EQ(Stored(), 2);
  EXPECT_EQ(Post("/v1/batch", batch).status, 200);
  EXPECT_EQ(Stored(), 2);
  Stop();
  Start();
  EXPECT_EQ(Stored(), 2);
  EXPECT_EQ(Post("/v1/track", R"({"userId":"u","event":"E","messageId":"dup-2"})").status, 200);
  EXPECT_EQ(Stored(), 2);
  EXPECT_EQ(Post("/v1/track", R"({"userId":"u","event":"E","messageId":"new-3"})").status, 200);
  EXPECT_EQ(Stored(), 3);
}

TEST_F(IngestE2eTest, WebSocketFramesArePipelinedAndAckedInOrder) {
  Start();
  auto ws = WsClient::Connect(server_->port(), "/v1/stream", {BasicAuth("wk_test")});
  ASSERT_TRUE(ws.ok()) << ws.status().ToString();
  constexpr int kFrames = 50;
  for (int i = 1; i <= kFrames; ++i) {
    std::string frame = R"({"seq":)" + std::to_string(i * 10) + R"(,"batch":[)";
    for (int k = 0; k < i % 4 + 1; ++k) {
      if (k > 0) frame += ',';
      frame += R"({"type":"track","userId":"u","event":"E"})";
    }
    frame += "]}";
    ASSERT_TRUE((*ws)->Send(frame).ok());
  }
  ASSERT_TRUE((*ws)->Send(R"({"type":"track","userId":"u"})").ok());  // invalid: no event
  ASSERT_TRUE((*ws)->Send(R"({"type":"page","userId":"u"})").ok());   // a single message
  int expected_events = 0;
  for (int i = 1; i <= kFrames; ++i) {
    auto reply = (*ws)->Read();
    ASSERT_TRUE(reply.ok()) << reply.status().ToString();
    const int n = i % 4 + 1;
    expected_events += n;
    EXPECT_EQ(*reply,
              R"({"ack":)" + std::to_string(i * 10) + R"(,"accepted":)" + std::to_string(n) + "}");
  }
  auto nack = (*ws)->Read();
  ASSERT_TRUE(nack.ok());
  EXPECT_EQ(nack->find(R"({"nack":51,"error":{"code":"invalid_argument")"), 0u) << *nack;
  auto single = (*ws)->Read();
  ASSERT_TRUE(single.ok());
  EXPECT_EQ(*single, R"({"ack":52,"accepted":1})");
  EXPECT_EQ(Stored(), expected_events + 1);
}

TEST_F(IngestE2eTest, WebSocketUpgradeNeedsAWriteKey) {
  Start();
  auto none = WsClient::Connect(server_->port(), "/v1/stream");
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("401"), std::string::npos) << none.status().ToString();
  auto read_key = WsClient::Connect(server_->port(), "/v1/stream", {BasicAuth("rk_test")});
  ASSERT_FALSE(read_key.ok());
  EXPECT_NE(read_key.status().message().find("403"), std::string::npos);
  auto query_key = WsClient::Connect(server_->port(), "/v1/stream?writeKey=wk_test");
  ASSERT_TRUE(query_key.ok()) << query_key.status().ToString();
}

TEST_F(IngestE2eTest, WebSocketMessageOverTheLimitClosesTheConnection) {
  Start();
  auto ws = WsClient::Connect(server_->port(), "/v1/stream", {BasicAuth("wk_test")});
  ASSERT_TRUE(ws.ok());
  ASSERT_TRUE((*ws)->Send(std::string(std::size_t{600} * 1024, ' ')).ok());
  auto reply = (*ws)->Read();
  EXPECT_FALSE(reply.ok());
  EXPECT_EQ((*ws)->close_code(), 1009);
  EXPECT_EQ(Post("/v1/page", R"({"userId":"u"})").status, 200);
}

TEST_F(IngestE2eTest, OverloadSheds429WithRetryAfterAndRecovers) {
  // A tiny queue: concurrent batches overflow it while a commit is in flight.
  Start({"--max-queued-events", "100"});
  std::atomic<int> ok{0}, shed{0}, other{0};
  std::atomic<bool> retry_after_present{true};
  std::vector<std::thread> senders;
  for (int t = 0; t < 8; ++t) {
    senders.emplace_back([&, t] {
      auto conn = HttpConnection::Connect(server_->port());
      if (!conn.ok()) {
        ++other;
        return;
      }
      for (int i = 0; i < 30; ++i) {
        const std::string batch =
            TrackBatch("o-" + std::to_string(t) + "-" + std::to_string(i) + "-", 100);
        if (!conn->Send(RenderRequest("POST", "/v1/batch", {BasicAuth("wk_test"), kJson}, batch))
                 .ok()) {
          ++other;
          return;
        }
        auto reply = conn->ReadReply();
        if (!reply.ok()) {
          ++other;
          return;
        }
        if (reply->status == 200) {
          ++ok;
        } else if (reply->status == 429) {
          ++shed;
          if (!reply->Header("retry-after").has_value()) retry_after_present = false;
        } else {
          ++other;
        }
      }
    });
  }
  for (auto& t : senders) t.join();
  EXPECT_EQ(other.load(), 0);
  EXPECT_GT(shed.load(), 0);
  EXPECT_GT(ok.load(), 0);
  EXPECT_TRUE(retry_after_present.load());
  EXPECT_EQ(Stored(), ok.load() * 100);
  EXPECT_EQ(Rejected("overloaded"), shed.load());
  // Recovers without a restart.
  EXPECT_EQ(Post("/v1/page", R"({"userId":"u"})").status, 200);
}

TEST_F(IngestE2eTest, SigtermAnswersEveryRequestInFlightAndExitsPromptly) {
  Start({"--drain-timeout-ms", "30000"});
  const std::uint16_t port = server_->port();
  std::atomic<bool> stop{false};
  std::atomic<int> acked{0};
  std::vector<std::thread> senders;
  for (int t = 0; t < 4; ++t) {
    senders.emplace_back([&, t] {
      auto conn = HttpConnection::Connect(port);
      for (int i = 0; conn.ok() && !stop.load(); ++i) {
        const std::string batch =
            TrackBatch("s-" + std::to_string(t) + "-" + std::to_string(i) + "-", 100);
        if (!conn->Send(RenderRequest("POST", "/v1/batch", {BasicAuth("wk_test"), kJson}, batch))
                 .ok()) {
          return;
        }
        auto reply = conn->ReadReply(std::chrono::seconds(40));
        if (!reply.ok()) return;  // an idle connection closed before our request was read
        if (reply->status == 200) acked += 100;
        if (reply->Header("connection") == "close") return;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  const auto signalled = std::chrono::steady_clock::now();
  server_->Signal(SIGTERM);
  auto code = server_->Wait(std::chrono::seconds(40));
  const auto took = std::chrono::steady_clock::now() - signalled;
  stop = true;
  for (auto& t : senders) t.join();
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 0);
  // In-flight requests finish at once; nothing waits for the 30 s drain timeout.
  EXPECT_LT(took, std::chrono::seconds(10));
  EXPECT_GT(acked.load(), 0);
  server_.reset();
  // Every stored event was acknowledged: no request was committed and left unanswered.
  Start();
  EXPECT_EQ(Stored(), acked.load());
}

TEST_F(IngestE2eTest, ImportLoadsValidLinesSkipsInvalidOnesAndDeduplicates) {
  const std::string file = (dir_ / "events.ndjson").string();
  std::ofstream(file) << R"({"type":"identify","userId":"u1","messageId":"imp-1"})"
                      << "\n"
                      << R"({"type":"track","userId":"u1"})"
                      << "\n"  // invalid: no event
                      << "\n"
                      << R"({"type":"track","userId":"u1","event":"E","messageId":"imp-2"})"
                      << "\n"
                      << R"({"type":"identify","userId":"u1","messageId":"imp-1"})"
                      << "\n"
                      << "not json\n";
  std::string output;
  auto code = RunCdp({"import", file, "--data", data_, "--no-progress"}, &output);
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 1) << output;  // some lines were invalid
  EXPECT_NE(output.find("line 2: "), std::string::npos) << output;
  EXPECT_NE(output.find("line 6: "), std::string::npos) << output;
  EXPECT_NE(output.find("6 lines"), std::string::npos) << output;
  EXPECT_NE(output.find("2 stored, 1 duplicates, 2 invalid, 1 blank"), std::string::npos) << output;

  // Importing again stores nothing new; --strict stops at the first invalid line.
  output.clear();
  code = RunCdp({"import", file, "--data", data_, "--no-progress", "--strict"}, &output);
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 1);
  EXPECT_NE(output.find("0 stored, 1 duplicates, 1 invalid"), std::string::npos) << output;

  // The server sees the imported events and deduplicates against them.
  Start();
  EXPECT_EQ(Stored(), 2);
  EXPECT_EQ(Post("/v1/track", R"({"userId":"u1","event":"E","messageId":"imp-2"})").status, 200);
  EXPECT_EQ(Stored(), 2);

  // A running server holds the directory: import refuses it with a clear message.
  output.clear();
  code = RunCdp({"import", file, "--data", data_, "--no-progress"}, &output);
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 1);
  EXPECT_NE(output.find("another cdp process"), std::string::npos) << output;
}

TEST_F(IngestE2eTest, StoredEventCarriesServerFields) {
  Start();
  EXPECT_EQ(
      Post(
          "/v1/batch",
          R"({"batch":[{"type":"track","userId":"u","event":"E","messageId":"m-1","timestamp":"2026-01-01T00:00:00Z","context":{"ip":"1.1.1.1"}}],)"
          R"("context":{"channel":"office","ip":"9.9.9.9"},"sentAt":"2026-01-01T00:00:05Z"})")
          .status,
      200);
  Stop();
  std::string output;
  auto code = RunCdp({"events", "--data", data_, "--limit", "1"}, &output);
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 0) << output;
  EXPECT_NE(output.find(R"("messageId":"m-1")"), std::string::npos) << output;
  EXPECT_NE(output.find(R"("receivedAt":")"), std::string::npos) << output;
  EXPECT_NE(output.find(R"("originalTimestamp":"2026-01-01T00:00:00.000Z")"), std::string::npos)
      << output;
  EXPECT_NE(output.find(R"("context":{"ip":"1.1.1.1","channel":"office"})"), std::string::npos)
      << output;
}

TEST_F(IngestE2eTest, StoredEventsCarryTheKeysNameAsTheirSource) {
  std::ofstream(config_) << R"({"keys": [
      {"key": "wk_test", "scopes": ["write"], "name": "civil_register"},
      {"key": "wk_anon", "scopes": ["write"]}]})";
  Start();
  const std::string forged = R"("source":"forged",)";
  EXPECT_EQ(Post("/v1/track", "{" + forged + R"("userId":"u","event":"E","messageId":"m-header"})")
                .status,
            200);
  EXPECT_EQ(Post("/v1/track",
                 R"({"writeKey":"wk_test","userId":"u","event":"E","messageId":"m-body"})", {})
                .status,
            200);
  EXPECT_EQ(Post("/v1/batch",
                 R"({"writeKey":"wk_test","batch":[)"
                 R"({"type":"track","userId":"u","event":"E","messageId":"m-batch"}]})",
                 {})
                .status,
            200);
  EXPECT_EQ(Post("/v1/track", "{" + forged + R"("userId":"u","event":"E","messageId":"m-anon"})",
                 {BasicAuth("wk_anon")})
                .status,
            200);
  {
    auto ws = WsClient::Connect(server_->port(), "/v1/stream?writeKey=wk_test", {});
    ASSERT_TRUE(ws.ok()) << ws.status().ToString();
    ASSERT_TRUE(
        (*ws)->Send(R"({"type":"track","userId":"u","event":"E","messageId":"m-ws"})").ok());
    auto reply = (*ws)->Read();
    ASSERT_TRUE(reply.ok()) << reply.status().ToString();
    EXPECT_EQ(*reply, R"({"ack":1,"accepted":1})");
  }
  Stop();
  std::string output;
  auto code = RunCdp({"events", "--data", data_, "--limit", "10"}, &output);
  ASSERT_TRUE(code.ok());
  ASSERT_EQ(*code, 0) << output;
  EXPECT_EQ(output.find("forged"), std::string::npos) << output;
  std::istringstream lines(output);
  std::set<std::string> named, unnamed;
  for (std::string line; std::getline(lines, line);) {
    const std::size_t at = line.find(R"("messageId":"m-)");
    if (at == std::string::npos) continue;
    const std::size_t start = at + 13;
    const std::string id = line.substr(start, line.find('"', start) - start);
    (line.find(R"("source":"civil_register")") != std::string::npos ? named : unnamed).insert(id);
  }
  EXPECT_EQ(named, (std::set<std::string>{"m-header", "m-body", "m-batch", "m-ws"})) << output;
  EXPECT_EQ(unnamed, (std::set<std::string>{"m-anon"})) << output;
}

}  // namespace
}  // namespace cdp::testing
