// `cdp loadgen --mode profiles` and `--mode changes`: the flags each mode takes, and runs
// against the real `cdp serve` on a free port, filled by `cdp loadgen --mode http`.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/support/server_process.h"

namespace cdp::testing {
namespace {

namespace fs = std::filesystem;

// Runs `cdp loadgen ARGS...`; returns the exit code and fills `output` (stdout and stderr).
int Loadgen(std::vector<std::string> args, std::string* output) {
  args.insert(args.begin(), "loadgen");
  auto code = RunCdp(args, output, std::chrono::seconds(120));
  EXPECT_TRUE(code.ok()) << code.status().ToString();
  return code.ok() ? *code : -1;
}

// The `loadgen-result {...}` line of a run's output; empty if there is none.
std::string ResultLine(const std::string& output) {
  const std::size_t at = output.find("loadgen-result {");
  if (at == std::string::npos) return "";
  return output.substr(at, output.find('\n', at) - at);
}

// The number after `"name":` in a result line; NaN when absent.
double Field(const std::string& line, const std::string& name) {
  const std::size_t at = line.find("\"" + name + "\":");
  if (at == std::string::npos) return std::nan("");
  return std::strtod(line.c_str() + at + name.size() + 3, nullptr);
}

// The string after `"name":"` in a result line.
std::string StringField(const std::string& line, const std::string& name) {
  const std::string key = "\"" + name + "\":\"";
  const std::size_t at = line.find(key);
  if (at == std::string::npos) return "";
  const std::size_t begin = at + key.size();
  return line.substr(begin, line.find('"', begin) - begin);
}

TEST(LoadgenReadsFlagsTest, FlagsOfAnotherModeAreRejectedWithExitCode2) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"--mode", "profiles", "--key", "k", "--batch-size", "10"},
       "--batch-size does not apply to --mode profiles"},
      {{"--mode", "profiles", "--key", "k", "--window", "2"}, "--window does not apply"},
      {{"--mode", "profiles", "--key", "k", "--gzip"}, "--gzip does not apply"},
      {{"--mode", "profiles", "--key", "k", "--page-size", "10"}, "--page-size does not apply"},
      {{"--mode", "profiles", "--key", "k", "--dump", "3"}, "--dump does not apply"},
      {{"--mode", "changes", "--key", "k", "--rate", "100"}, "--rate does not apply"},
      {{"--mode", "changes", "--key", "k", "--count", "100"}, "--count does not apply"},
      {{"--mode", "changes", "--key", "k", "--population", "100"}, "--population does not apply"},
      {{"--mode", "changes", "--key", "k", "--dry-run"}, "--dry-run does not apply"},
      {{"--mode", "http", "--key", "k", "--page-size", "10"},
       "--page-size does not apply to --mode http"},
      {{"--mode", "ws", "--key", "k", "--after", "10"}, "--after does not apply to --mode ws"},
      {{"--mode", "changes", "--key", "k", "--page-size", "0"}, "--page-size must be in 1..10000"},
      {{"--mode", "changes", "--key", "k", "--page-size", "10001"},
       "--page-size must be in 1..10000"},
      {{"--mode", "profiles"}, "--key is required (a read key)"},
      {{"--mode", "changes"}, "--key is required (a read key)"},
      {{"--mode", "profiles", "--key", "k", "--population", "0"}, "--population must be in"},
      {{"--mode", "profiles", "--key", "k", "--connections", "0"}, "--connections must be in"},
      {{"--mode", "profiles", "--key", "k", "--duration", "0"}, "--duration must be in"},
      {{"--mode", "profiles", "--key", "k", "--target", "nohost"}, "--target must be HOST:PORT"},
  };
  for (const Case& c : cases) {
    std::string output;
    EXPECT_EQ(Loadgen(c.args, &output), 2) << c.message << "\n" << output;
    EXPECT_NE(output.find(c.message), std::string::npos) << output;
    EXPECT_EQ(ResultLine(output), "") << output;
  }
}

TEST(LoadgenReadsFlagsTest, UnreachableServerIsAClearErrorWithExitCode1) {
  // Nothing listens on port 1 of the loopback address.
  for (const std::string mode : {"profiles", "changes"}) {
    std::string output;
    EXPECT_EQ(Loadgen({"--mode", mode, "--target", "127.0.0.1:1", "--key", "k", "--warmup", "0",
                       "--duration", "20"},
                      &output),
              1)
        << output;
    EXPECT_NE(output.find("target unreachable"), std::string::npos) << output;
  }
}

class LoadgenReadsE2eTest : public ::testing::Test {
 protected:
  // A server filled once for the whole suite: 5,000 loadgen events over 100 users (each user
  // has a user_id event about 40 times over).
  static void SetUpTestSuite() {
    dir_ = new fs::path(FreshTestDirectory("loadgen_reads"));
    const std::string config = (*dir_ / "config.json").string();
    std::ofstream(config) << R"({"keys": [
      {"key": "wk_test", "scopes": ["write"]},
      {"key": "rk_test", "scopes": ["read"]}]})";
    auto server = ServerProcess::Start((*dir_ / "data").string(), {"--config", config});
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value().release();
    std::string output;
    ASSERT_EQ(Loadgen({"--mode", "http", "--target", Target(), "--key", "wk_test", "--warmup", "0",
                       "--count", "5000", "--batch-size", "100", "--connections", "2",
                       "--population", "100"},
                      &output),
              0)
        << output;
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
    if (dir_ != nullptr) fs::remove_all(*dir_);
    delete dir_;
    dir_ = nullptr;
  }

  static std::string Target() { return "127.0.0.1:" + std::to_string(server_->port()); }

  static fs::path* dir_;
  static ServerProcess* server_;
};

fs::path* LoadgenReadsE2eTest::dir_ = nullptr;
ServerProcess* LoadgenReadsE2eTest::server_ = nullptr;

TEST_F(LoadgenReadsE2eTest, ProfileReadsOfTheIngestedPopulationAllFindAProfile) {
  std::string output;
  ASSERT_EQ(Loadgen({"--mode", "profiles", "--target", Target(), "--key", "rk_test", "--warmup",
                     "0.5", "--duration", "1", "--connections", "2", "--population", "100"},
                    &output),
            0)
      << output;
  const std::string line = ResultLine(output);
  EXPECT_NE(line.find(R"("mode":"profiles")"), std::string::npos) << line;
  EXPECT_GT(Field(line, "requests_per_s"), 0) << line;
  EXPECT_GT(Field(line, "http_200"), 0) << line;
  EXPECT_EQ(Field(line, "http_404"), 0) << line;
  EXPECT_EQ(Field(line, "http_other"), 0) << line;
  EXPECT_EQ(Field(line, "errors"), 0) << line;
  EXPECT_GT(Field(line, "requests_measured"), 0) << line;
  EXPECT_LE(Field(line, "p50_ms"), Field(line, "p99_ms")) << line;
  EXPECT_LE(Field(line, "p99_ms"), Field(line, "max_ms")) << line;
  EXPECT_EQ(Field(line, "answered"), Field(line, "http_200")) << line;
  EXPECT_NE(output.find("HTTP status: 200 "), std::string::npos) << output;
}

TEST_F(LoadgenReadsE2eTest, ProfileReadsAtARateAreOpenLoop) {
  std::string output;
  ASSERT_EQ(
      Loadgen({"--mode", "profiles", "--target", Target(), "--key", "rk_test", "--warmup", "0",
               "--duration", "1", "--connections", "2", "--population", "100", "--rate", "200"},
              &output),
      0)
      << output;
  const std::string line = ResultLine(output);
  // 200 requests/s for one second: the schedule, give or take the request at either end.
  EXPECT_NEAR(Field(line, "requests_measured"), 200, 3) << line;
  EXPECT_EQ(Field(line, "rate"), 200) << line;
  EXPECT_NE(output.find("open loop at 200 requests/s offered"), std::string::npos) << output;
}

TEST_F(LoadgenReadsE2eTest, UsersOutsideTheIngestedPopulationAreCountedAs404) {
  // Ids drawn from 10 million users when 100 were ingested: nearly all miss.
  std::string output;
  const int code = Loadgen({"--mode", "profiles", "--target", Target(), "--key", "rk_test",
                            "--warmup", "0", "--duration", "1", "--population", "10000000"},
                           &output);
  const std::string line = ResultLine(output);
  EXPECT_GT(Field(line, "http_404"), 0) << line;
  EXPECT_EQ(Field(line, "errors"), 0) << line;
  if (Field(line, "http_200") == 0) {
    EXPECT_EQ(code, 1) << output;
    EXPECT_NE(output.find("no profile was found"), std::string::npos) << output;
  }
}

TEST_F(LoadgenReadsE2eTest, AWriteKeyCannotReadProfiles) {
  std::string output;
  EXPECT_EQ(Loadgen({"--mode", "profiles", "--target", Target(), "--key", "wk_test", "--warmup",
                     "0", "--duration", "5"},
                    &output),
            1)
      << output;
  EXPECT_NE(output.find("the key lacks the read scope (403)"), std::string::npos) << output;
}

TEST_F(LoadgenReadsE2eTest, ChangesArePagedToTheEndWhateverThePageSize) {
  std::string output;
  ASSERT_EQ(
      Loadgen({"--mode", "changes", "--target", Target(), "--key", "rk_test", "--duration", "60"},
              &output),
      0)
      << output;
  const std::string whole = ResultLine(output);
  const double changes = Field(whole, "changes");
  EXPECT_GT(changes, 0) << whole;
  EXPECT_NE(whole.find(R"("drained":true)"), std::string::npos) << whole;
  EXPECT_EQ(Field(whole, "page_size"), 10000) << whole;
  EXPECT_EQ(Field(whole, "connections"), 1) << whole;
  EXPECT_EQ(Field(whole, "errors"), 0) << whole;
  EXPECT_GT(Field(whole, "changes_per_s"), 0) << whole;
  EXPECT_GT(Field(whole, "bytes"), 0) << whole;
  // Measured to the last page, not to the end of --duration.
  EXPECT_LT(Field(whole, "measured_s"), 30) << whole;
  const std::string next = StringField(whole, "next");
  ASSERT_FALSE(next.empty()) << whole;

  // Small pages: the same changes, each page full but the last two (a partial one, then an
  // empty one; or a full one, then the empty one).
  output.clear();
  ASSERT_EQ(Loadgen({"--mode", "changes", "--target", Target(), "--key", "rk_test", "--duration",
                     "60", "--page-size", "7", "--connections", "2"},
                    &output),
            0)
      << output;
  const std::string paged = ResultLine(output);
  EXPECT_EQ(Field(paged, "changes"), 2 * changes) << paged;
  EXPECT_EQ(Field(paged, "pages"), 2 * (std::ceil(changes / 7) + 1)) << paged;
  EXPECT_EQ(StringField(paged, "next"), next) << paged;

  // From the last cursor: one empty page.
  output.clear();
  ASSERT_EQ(
      Loadgen({"--mode", "changes", "--target", Target(), "--key", "rk_test", "--after", next},
              &output),
      0)
      << output;
  const std::string tail = ResultLine(output);
  EXPECT_EQ(Field(tail, "changes"), 0) << tail;
  EXPECT_EQ(Field(tail, "pages"), 1) << tail;
  EXPECT_NE(tail.find(R"("drained":true)"), std::string::npos) << tail;
}

TEST_F(LoadgenReadsE2eTest, AWriteKeyCannotReadTheChangeFeed) {
  std::string output;
  EXPECT_EQ(Loadgen({"--mode", "changes", "--target", Target(), "--key", "wk_test"}, &output), 1)
      << output;
  EXPECT_NE(output.find("the key lacks the read scope (403)"), std::string::npos) << output;
}

}  // namespace
}  // namespace cdp::testing
