// A GoogleTest fixture for end-to-end tests against the real `cdp serve`: a fresh temporary
// directory with a config file, a server started on it with two network threads, stopped
// cleanly, and one-request calls with a key.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tests/support/http_client.h"
#include "tests/support/server_process.h"

namespace cdp::testing {

class ServerTest : public ::testing::Test {
 protected:
  // `prefix` names the test directory; `config_json` is written as the server's config file.
  ServerTest(std::string_view prefix, std::string config_json)
      : prefix_(prefix), config_json_(std::move(config_json)) {}

  void SetUp() override {
    dir_ = FreshTestDirectory(prefix_);
    config_ = (dir_ / "config.json").string();
    std::ofstream(config_) << config_json_;
    data_ = (dir_ / "data").string();
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Starts `cdp serve --config CONFIG --threads 2 EXTRA...` on the data directory.
  void Start(std::vector<std::string> extra = {}) {
    extra.insert(extra.begin(), {"--config", config_, "--threads", "2"});
    auto server = ServerProcess::Start(data_, extra);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
  }
  // SIGTERM, and a clean exit expected.
  void Stop() {
    server_->Signal(SIGTERM);
    auto code = server_->Wait(std::chrono::seconds(30));
    ASSERT_TRUE(code.ok());
    EXPECT_EQ(*code, 0);
    server_.reset();
  }

  // One request with `key` as the Basic user name and a JSON content type.
  HttpReply Call(std::string_view method, std::string_view path, std::string_view key,
                 std::string_view body = {}) {
    auto reply = HttpCall(server_->port(), method, path,
                          {BasicAuth(key), {"Content-Type", "application/json"}}, body);
    EXPECT_TRUE(reply.ok()) << reply.status().ToString();
    return reply.ok() ? *reply : HttpReply{};
  }

  std::filesystem::path dir_;
  std::string config_;
  std::string data_;
  std::unique_ptr<ServerProcess> server_;

 private:
  std::string prefix_;
  std::string config_json_;
};

}  // namespace cdp::testing
