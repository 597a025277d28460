// End-to-end: `cdp eval` against the real `cdp serve` on a free port, with records that only
// deterministic identifiers link (no names or birth dates, so no probabilistic match applies):
// the printed precision and recall are known exactly.
#include <gtest/gtest.h>

#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/support/server_process.h"

namespace cdp::testing {
namespace {

namespace fs = std::filesystem;

// Six people, ten records. A: three records linked by a user id and an e-mail; B: two linked
// by a user id; C: two e-mails, never linked (one false-negative pair); D: one record; E and F:
// two people sharing a family e-mail (one false-positive pair). True pairs 3 + 1 + 1 = 5,
// predicted pairs 3 + 1 + 1 = 5, of which 4 right: precision = recall = F1 = 0.8.
constexpr char kEvents[] =
    R"({"type":"identify","messageId":"m1","anonymousId":"t-1","userId":"u-a","traits":{"email":"a@example.es"}}
{"type":"identify","messageId":"m2","anonymousId":"t-2","traits":{"email":"A@Example.ES"}}
{"type":"identify","messageId":"m3","anonymousId":"t-3","userId":"u-a","context":{"channel":"web"}}
{"type":"identify","messageId":"m4","anonymousId":"t-4","userId":"u-b"}
{"type":"identify","messageId":"m5","anonymousId":"t-5","userId":"u-b","traits":{"gender":"male"}}
{"type":"identify","messageId":"m6","anonymousId":"t-6","traits":{"email":"c1@example.es"}}
{"type":"identify","messageId":"m7","anonymousId":"t-7","traits":{"email":"c2@example.es"}}
{"type":"identify","messageId":"m8","anonymousId":"t-8","traits":{"email":"d@example.es"}}
{"type":"identify","messageId":"m9","anonymousId":"t-9","traits":{"email":"family@example.es"}}
{"type":"identify","messageId":"m10","anonymousId":"t-10","traits":{"email":"family@example.es"}}
)";
constexpr char kTruth[] =
    "anonymous_id,person_id\nt-1,A\nt-2,A\nt-3,A\nt-4,B\nt-5,B\nt-6,C\nt-7,C\nt-8,D\nt-9,E\n"
    "t-10,F\n";

class EvalE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = FreshTestDirectory("eval");
    const std::string config = (dir_ / "config.json").string();
    std::ofstream(config) << R"({"keys": [
      {"key": "wk_test", "scopes": ["write"]},
      {"key": "rk_test", "scopes": ["read"]},
      {"key": "ak_test", "scopes": ["read", "write", "admin"]}]})";
    std::ofstream(dir_ / "events.ndjson") << kEvents;
    std::ofstream(dir_ / "truth.csv") << kTruth;
    auto server = ServerProcess::Start((dir_ / "data").string(), {"--config", config});
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
    url_ = "http://127.0.0.1:" + std::to_string(server_->port());
  }
  void TearDown() override {
    server_.reset();
    fs::remove_all(dir_);
  }

  // Runs `cdp eval ARGS...`; returns the exit code and fills `output`.
  int Eval(std::vector<std::string> args, std::string* output) {
    if (std::find(args.begin(), args.end(), "--url") == args.end()) {
      args.insert(args.begin(), {"--url", url_});
    }
    args.insert(args.begin(), {"eval", "--no-progress"});
    auto code = RunCdp(args, output, std::chrono::seconds(120));
    EXPECT_TRUE(code.ok()) << code.status().ToString();
    return code.ok() ? *code : -1;
  }

  // The machine-readable line.
  static std::string ResultLine(const std::string& output) {
    const std::size_t at = output.rfind("\neval: ");
    if (at == std::string::npos) return "";
    return output.substr(at + 1, output.find('\n', at + 1) - at - 1);
  }

  fs::path dir_;
  std::unique_ptr<ServerProcess> server_;
  std::string url_;
};

TEST_F(EvalE2eTest, ScoresDeterministicLinksAndReportsWrongPairs) {
  const std::string events = (dir_ / "events.ndjson").string();
  const std::string truth = (dir_ / "truth.csv").string();
  std::string output;
  ASSERT_EQ(
      Eval({"--key", "ak_test", "--events", events, "--truth", truth, "--batch", "3"}, &output), 0)
      << output;
  const std::string line = ResultLine(output);
  EXPECT_NE(line.find("precision=0.800000 recall=0.800000 f1=0.800000"), std::string::npos)
      << output;
  EXPECT_NE(line.find("records=10 entities=6"), std::string::npos) << line;
  EXPECT_NE(line.find("true_pairs=5 predicted_pairs=5 true_positives=4"), std::string::npos)
      << line;
  EXPECT_NE(line.find("not_found=0 rejected=0 errors=0"), std::string::npos) << line;
  // The report names the wrong pairs by anonymous id and compares their fields.
  EXPECT_NE(output.find("t-6  t-7"), std::string::npos) << output;
  EXPECT_NE(output.find("t-9  t-10"), std::string::npos) << output;
  EXPECT_NE(output.find("email"), std::string::npos) << output;
  EXPECT_EQ(output.find("example.es"), std::string::npos) << "no personal data in the report";

  // Already sent: --no-send looks the same records up again, with separate read key.
  output.clear();
  ASSERT_EQ(Eval({"--key", "wk_test", "--read-key", "rk_test", "--events", events, "--truth", truth,
                  "--no-send"},
                 &output),
            0)
      << output;
  EXPECT_NE(ResultLine(output).find("precision=0.800000 recall=0.800000"), std::string::npos)
      << output;
}

TEST_F(EvalE2eTest, ScoresALabelledCsv) {
  // fake_1000's layout; only e-mails, so only deterministic links: {0,1} linked, 2 apart.
  const std::string csv = (dir_ / "tiny.csv").string();
  std::ofstream(csv) << "unique_id,first_name,surname,dob,city,email,cluster\n"
                        "0,,,,,p@example.es,0\n"
                        "1,,,,,p@example.es,0\n"
                        "2,,,,,q@example.es,0\n"
                        "3,,,,,r@example.es,1\n"
                        "bad line\n";
  std::string output;
  ASSERT_EQ(Eval({"--key", "ak_test", "--csv", csv}, &output), 0) << output;
  // True pairs 3, predicted 1 (right): precision 1, recall 1/3.
  EXPECT_NE(ResultLine(output).find("precision=1.000000 recall=0.333333 f1=0.500000"),
            std::string::npos)
      << output;
  EXPECT_NE(output.find("1 of 5 rows skipped"), std::string::npos) << output;
}

TEST_F(EvalE2eTest, RecordsNeverSentAreNotFound) {
  std::string output;
  ASSERT_EQ(Eval({"--key", "ak_test", "--events", (dir_ / "events.ndjson").string(), "--truth",
                  (dir_ / "truth.csv").string(), "--no-send"},
                 &output),
            0)
      << output;
  const std::string line = ResultLine(output);
  EXPECT_NE(line.find("not_found=10"), std::string::npos) << output;
  EXPECT_NE(line.find("precision=1.000000 recall=0.000000 f1=0.000000"), std::string::npos)
      << output;
}

TEST_F(EvalE2eTest, AKeyWithoutTheWriteScopeStopsTheRun) {
  std::string output;
  EXPECT_EQ(Eval({"--key", "rk_test", "--events", (dir_ / "events.ndjson").string(), "--truth",
                  (dir_ / "truth.csv").string()},
                 &output),
            1);
  EXPECT_NE(output.find("HTTP 403"), std::string::npos) << output;
}

TEST_F(EvalE2eTest, BadArgumentsAndUnreachableServers) {
  std::string output;
  EXPECT_NE(Eval({"--key", "ak_test"}, &output), 0) << "neither --events nor --csv";
  output.clear();
  EXPECT_EQ(
      Eval({"--key", "ak_test", "--url", "https://x:1", "--csv", "/nonexistent.csv"}, &output), 2)
      << output;
  output.clear();
  EXPECT_EQ(Eval({"--key", "ak_test", "--csv", (dir_ / "missing.csv").string()}, &output), 1)
      << output;
  // A port nobody listens on.
  server_->Signal(SIGKILL);
  ASSERT_TRUE(server_->Wait(std::chrono::seconds(10)).ok());
  output.clear();
  EXPECT_EQ(Eval({"--key", "ak_test", "--events", (dir_ / "events.ndjson").string(), "--truth",
                  (dir_ / "truth.csv").string(), "--timeout", "2"},
                 &output),
            1);
  EXPECT_NE(output.find("cannot connect"), std::string::npos) << output;
}

}  // namespace
}  // namespace cdp::testing
