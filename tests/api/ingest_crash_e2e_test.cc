// End-to-end crash safety: batches are sent while the server is killed with SIGKILL at a
// random moment; after each kill every acknowledged messageId must be in the store.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <thread>

#include "storage/store.h"
#include "tests/support/http_client.h"
#include "tests/support/metrics_scrape.h"
#include "tests/support/server_process.h"

namespace cdp::testing {
namespace {

namespace fs = std::filesystem;

TEST(IngestCrashE2eTest, AcknowledgedEventsSurviveSigkill) {
  const fs::path dir = fs::temp_directory_path() / ("cdp_crash_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string config = (dir / "config.json").string();
  std::ofstream(config) << R"({"keys": [{"key": "wk_test", "scopes": ["write"]}]})";
  const std::string data = (dir / "data").string();
  std::mt19937 rng(static_cast<unsigned>(::getpid()));
  std::vector<std::string> acked;  // every acknowledged messageId, all rounds
  constexpr int kRounds = 5;

  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    auto server = ServerProcess::Start(data, {"--config", config, "--threads", "2"});
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    const std::uint16_t port = (*server)->port();
    std::mutex mu;
    std::vector<std::string> round_acked;
    std::atomic<bool> stop{false};
    std::vector<std::thread> senders;
    for (int t = 0; t < 3; ++t) {
      senders.emplace_back([&, t] {
        auto conn = HttpConnection::Connect(port);
        for (int i = 0; !stop.load() && conn.ok(); ++i) {
          std::vector<std::string> ids;
          std::string batch = R"({"batch":[)";
          for (int k = 0; k < 50; ++k) {
            ids.push_back("r" + std::to_string(round) + "-t" + std::to_string(t) + "-" +
                          std::to_string(i) + "-" + std::to_string(k));
            if (k > 0) batch += ',';
            batch +=
                R"({"type":"track","userId":"u","event":"E","messageId":")" + ids.back() + "\"}";
          }
          batch += "]}";
          if (!conn->Send(RenderRequest("POST", "/v1/batch", {BasicAuth("wk_test")}, batch)).ok()) {
            break;
          }
          auto reply = conn->ReadReply(std::chrono::seconds(10));
          if (!reply.ok()) break;  // killed mid-request: not acknowledged
          if (reply->status == 200) {
            std::lock_guard lock(mu);
            round_acked.insert(round_acked.end(), ids.begin(), ids.end());
          }
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(150 + rng() % 600));
    (*server)->Signal(SIGKILL);
    auto code = (*server)->Wait(std::chrono::seconds(10));
    ASSERT_TRUE(code.ok());
    EXPECT_EQ(*code, 128 + SIGKILL);
    stop = true;
    for (auto& s : senders) s.join();
    EXPECT_GT(round_acked.size(), 0u);
    acked.insert(acked.end(), round_acked.begin(), round_acked.end());

    // The store opens cleanly and holds every acknowledged messageId, of all rounds.
    auto store = storage::Store::Open(data, storage::StoreOptions());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    std::size_t missing = 0;
    for (const auto& id : acked) {
      auto seq = (*store)->FindMessageId(id);
      ASSERT_TRUE(seq.ok());
      if (!seq->has_value()) ++missing;
    }
    EXPECT_EQ(missing, 0u) << "of " << acked.size() << " acknowledged";
    EXPECT_GE((*store)->EventCount(), acked.size());
    ASSERT_TRUE((*store)->Close().ok());
  }

  // Re-sending acknowledged messages is deduplicated: cdp_events_stored does not change.
  auto server = ServerProcess::Start(data, {"--config", config, "--threads", "2"});
  ASSERT_TRUE(server.ok());
  auto before = ScrapeMetric((*server)->port(), "cdp_events_stored");
  ASSERT_TRUE(before.ok());
  std::string batch = R"({"batch":[)";
  for (std::size_t i = 0; i < acked.size() && i < 500; i += 5) {
    if (i > 0) batch += ',';
    batch += R"({"type":"track","userId":"u","event":"E","messageId":")" + acked[i] + "\"}";
  }
  batch += "]}";
  auto reply = HttpCall((*server)->port(), "POST", "/v1/batch", {BasicAuth("wk_test")}, batch);
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->status, 200) << reply->body;
  auto after = ScrapeMetric((*server)->port(), "cdp_events_stored");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(*after, *before);
  (*server)->Signal(SIGTERM);
  EXPECT_TRUE((*server)->Wait(std::chrono::seconds(30)).ok());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace cdp::testing
