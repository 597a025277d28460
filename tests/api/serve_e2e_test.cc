// End-to-end: the real `cdp serve` on a free loopback port with a temporary data directory.
#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <signal.h>
#include <simdjson.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/http_client.h"
#include "tests/support/server_process.h"

namespace cdp::testing {
namespace {

namespace fs = std::filesystem;

class ServeE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = FreshTestDirectory("e2e");
    config_ = (dir_ / "config.json").string();
    std::ofstream(config_) << R"({"keys": [
      {"key": "wk_test", "scopes": ["write"]},
      {"key": "rk_test", "scopes": ["read"]},
      {"key": "ak_test", "scopes": ["read", "write", "admin"]}]})";
    data_ = (dir_ / "data").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<ServerProcess> StartServer(std::vector<std::string> extra = {}) {
    extra.insert(extra.begin(), {"--config", config_, "--threads", "2"});
    auto server = ServerProcess::Start(data_, extra);
    EXPECT_TRUE(server.ok()) << server.status().ToString();
    return server.ok() ? std::move(server).value() : nullptr;
  }

  fs::path dir_;
  std::string config_;
  std::string data_;
};

TEST_F(ServeE2eTest, HealthReadyAndMetricsAnswerWithoutKey) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  auto health = HttpCall(server->port(), "GET", "/healthz");
  ASSERT_TRUE(health.ok()) << health.status().ToString();
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->body, R"({"status":"ok"})");

  auto ready = HttpCall(server->port(), "GET", "/readyz");
  ASSERT_TRUE(ready.ok());
  EXPECT_EQ(ready->status, 200);

  auto metrics = HttpCall(server->port(), "GET", "/metrics");
  ASSERT_TRUE(metrics.ok());
  EXPECT_EQ(metrics->status, 200);
  EXPECT_NE(metrics->Header("content-type")->find("text/plain"), std::string::npos);
  EXPECT_NE(metrics->body.find("# TYPE cdp_http_requests_total counter"), std::string::npos);
  // The two earlier requests were counted.
  EXPECT_NE(metrics->body.find("cdp_http_requests_total{code=\"200\"} 2"), std::string::npos)
      << metrics->body;
  EXPECT_NE(metrics->body.find("cdp_ready 1"), std::string::npos);
}

// The OpenAPI document stays true to the server: each operation marked `x-cdp-status: served`
// reaches a handler of the real server (path parameters filled with sample values, a JSON body
// for writes, a WebSocket upgrade where `x-cdp-websocket` describes frames), and needs the key its
// `x-cdp-scope` says (401 without a key, 403 with a key lacking the scope); each one marked
// `planned` is not routed yet (404 "no route for this path"), so that a route that arrives must be
// marked.
TEST_F(ServeE2eTest, OpenApiDocumentIsServedAndMatchesTheRoutes) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  auto doc = HttpCall(server->port(), "GET", "/openapi.json");
  ASSERT_TRUE(doc.ok());
  ASSERT_EQ(doc->status, 200);
  EXPECT_NE(doc->body.find("\"openapi\""), std::string::npos);
  simdjson::dom::parser parser;
  simdjson::dom::object paths;
  ASSERT_EQ(parser.parse(doc->body).at_key("paths").get_object().get(paths), simdjson::SUCCESS);
  struct Operation {
    std::string method;
    std::string target;
    std::string status;
    std::string scope;
    bool websocket = false;
  };
  std::vector<Operation> operations;
  for (auto [path, methods] : paths) {
    std::string target;
    for (std::size_t i = 0; i < path.size();) {
      if (path[i] != '{') {
        target += path[i++];
        continue;
      }
      const std::size_t end = path.find('}', i);
      ASSERT_NE(end, std::string_view::npos) << path;
      const std::string_view name = path.substr(i + 1, end - i - 1);
      target += name == "ref" ? "anonymous_id:nobody" : "1";
      i = end + 1;
    }
    simdjson::dom::object by_method;
    ASSERT_EQ(methods.get_object().get(by_method), simdjson::SUCCESS) << path;
    for (auto [method, operation] : by_method) {
      Operation op;
      for (char c : method) op.method += static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
      op.target = target;
      std::string_view text;
      ASSERT_EQ(operation["x-cdp-status"].get_string().get(text), simdjson::SUCCESS) << path;
      op.status = std::string(text);
      if (operation["x-cdp-scope"].get_string().get(text) == simdjson::SUCCESS) {
        op.scope = std::string(text);
      }
      // A WebSocket operation describes its frames under `x-cdp-websocket`.
      op.websocket = operation["x-cdp-websocket"].error() == simdjson::SUCCESS;
      operations.push_back(std::move(op));
    }
  }
  ASSERT_GE(operations.size(), 20u);
  std::size_t served = 0;
  for (const Operation& op : operations) {
    const std::string what = op.method + " " + op.target;
    std::vector<std::pair<std::string, std::string>> headers;
    if (op.websocket) {
      headers = {{"Connection", "Upgrade"},
                 {"Upgrade", "websocket"},
                 {"Sec-WebSocket-Version", "13"},
                 {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}};
    }
    const bool write = op.method == "POST" || op.method == "PUT";
    const auto call = [&](std::optional<std::string_view> key) {
      auto with = headers;
      if (key) with.push_back(BearerAuth(*key));
      return HttpCall(server->port(), op.method, op.target, with, write ? "{}" : "");
    };
    auto reply = call("ak_test");
    ASSERT_TRUE(reply.ok()) << what << ": " << reply.status().ToString();
    const bool routed =
        reply->body.find("no route for this path") == std::string::npos && reply->status != 405;
    if (op.status == "planned") {
      EXPECT_FALSE(routed) << what << " is served: mark it `served`";
      continue;
    }
    ASSERT_EQ(op.status, "served") << what;
    ++served;
    EXPECT_TRUE(routed) << what << ": " << reply->status << " " << reply->body;
    if (op.websocket) {
      EXPECT_EQ(reply->status, 101) << what;
    }
    if (op.scope.empty()) continue;
    auto anonymous = call(std::nullopt);
    ASSERT_TRUE(anonymous.ok()) << what;
    EXPECT_EQ(anonymous->status, 401) << what << " without a key";
    const std::string_view lacking = op.scope == "read" ? "wk_test" : "rk_test";
    if (op.scope == "any") continue;
    auto denied = call(lacking);
    ASSERT_TRUE(denied.ok()) << what;
    EXPECT_EQ(denied->status, 403) << what << " with a key lacking the " << op.scope << " scope";
  }
  EXPECT_GE(served, 15u);
}

TEST_F(ServeE2eTest, KeysAndScopesAreEnforced) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  const std::uint16_t port = server->port();

  auto no_key = HttpCall(port, "GET", "/v1/admin/info");
  ASSERT_TRUE(no_key.ok());
  EXPECT_EQ(no_key->status, 401);
  EXPECT_EQ(no_key->body.find("{\"error\":{\"code\":\"unauthenticated\""), 0u) << no_key->body;

  auto wrong_key = HttpCall(port, "GET", "/v1/admin/info", {BearerAuth("nope_nope")});
  ASSERT_TRUE(wrong_key.ok());
  EXPECT_EQ(wrong_key->status, 401);

  auto garbled = HttpCall(port, "GET", "/v1/admin/info", {{"Authorization", "Basic !!!"}});
  ASSERT_TRUE(garbled.ok());
  EXPECT_EQ(garbled->status, 401);

  auto lacks_scope = HttpCall(port, "GET", "/v1/admin/info", {BasicAuth("rk_test")});
  ASSERT_TRUE(lacks_scope.ok());
  EXPECT_EQ(lacks_scope->status, 403);
  EXPECT_NE(lacks_scope->body.find("permission_denied"), std::string::npos);

  auto admin = HttpCall(port, "GET", "/v1/admin/info", {BasicAuth("ak_test")});
  ASSERT_TRUE(admin.ok());
  EXPECT_EQ(admin->status, 200);
  EXPECT_NE(admin->body.find("\"format_version\":1"), std::string::npos) << admin->body;

  auto whoami = HttpCall(port, "GET", "/v1/whoami", {BearerAuth("wk_test")});
  ASSERT_TRUE(whoami.ok());
  EXPECT_EQ(whoami->status, 200);
  EXPECT_EQ(whoami->body, R"({"scopes":["write"]})");
}

TEST_F(ServeE2eTest, UnknownRouteIsJson404AndWrongMethodIs405) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  auto missing = HttpCall(server->port(), "GET", "/v1/nothing-here");
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(missing->Header("content-type"), "application/json");
  EXPECT_NE(missing->body.find("\"code\":\"not_found\""), std::string::npos);

  auto wrong_method = HttpCall(server->port(), "POST", "/healthz", {}, "{}");
  ASSERT_TRUE(wrong_method.ok());
  EXPECT_EQ(wrong_method->status, 405);
  EXPECT_EQ(wrong_method->Header("allow"), "GET");
}

TEST_F(ServeE2eTest, SigtermShutsDownCleanlyAndTheStoreReopens) {
  {
    auto server = StartServer();
    ASSERT_NE(server, nullptr);
    // A keep-alive connection stays open across the signal: the server must close it.
    auto idle = HttpConnection::Connect(server->port());
    ASSERT_TRUE(idle.ok());
    ASSERT_TRUE(idle->Send(RenderRequest("GET", "/healthz")).ok());
    ASSERT_TRUE(idle->ReadReply().ok());
    server->Signal(SIGTERM);
    auto code = server->Wait(std::chrono::seconds(30));
    ASSERT_TRUE(code.ok()) << code.status().ToString();
    EXPECT_EQ(*code, 0);
    EXPECT_TRUE(idle->WaitForClose(std::chrono::seconds(5)));
  }
  auto again = StartServer();
  ASSERT_NE(again, nullptr);
  auto ready = HttpCall(again->port(), "GET", "/readyz");
  ASSERT_TRUE(ready.ok());
  EXPECT_EQ(ready->status, 200);
  again->Signal(SIGINT);
  auto code = again->Wait(std::chrono::seconds(30));
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 0);
}

TEST_F(ServeE2eTest, WithoutConfigDemoKeysAreCreatedOncePrintedOnceAndReused) {
  std::string first_output;
  {
    auto server = ServerProcess::Start(data_, {"--threads", "1"});
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    first_output = (*server)->startup_output();
    EXPECT_NE(first_output.find("admin key: ak_"), std::string::npos) << first_output;
    (*server)->Signal(SIGTERM);
    ASSERT_TRUE((*server)->Wait(std::chrono::seconds(30)).ok());
  }
  ASSERT_TRUE(fs::exists(fs::path(data_) / "keys.json"));
  EXPECT_EQ(fs::status(fs::path(data_) / "keys.json").permissions() & fs::perms::others_read,
            fs::perms::none);
  const std::size_t at = first_output.find("admin key: ") + 11;
  const std::string admin_key = first_output.substr(at, first_output.find('\n', at) - at);

  auto server = ServerProcess::Start(data_, {"--threads", "1"});
  ASSERT_TRUE(server.ok());
  EXPECT_EQ((*server)->startup_output().find("admin key"), std::string::npos);
  auto admin = HttpCall((*server)->port(), "GET", "/v1/admin/info", {BasicAuth(admin_key)});
  ASSERT_TRUE(admin.ok());
  EXPECT_EQ(admin->status, 200);
}

TEST_F(ServeE2eTest, FutureFormatStoreIsRefusedAndLeftUntouched) {
  {
    auto server = StartServer();
    ASSERT_NE(server, nullptr);
    server->Signal(SIGTERM);
    ASSERT_TRUE(server->Wait(std::chrono::seconds(30)).ok());
  }
  {
    // Rewrite the format version as a future build would.
    rocksdb::DBOptions options;
    std::vector<std::string> names;
    ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(options, data_, &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    for (const auto& n : names) descriptors.emplace_back(n, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, data_, descriptors, &handles, &db).ok());
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (names[i] == "meta") {
        ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), handles[i], "format_version", "7").ok());
      }
    }
    for (auto* h : handles) ASSERT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
    ASSERT_TRUE(db->Close().ok());
    delete db;
  }
  std::map<std::string, std::string> before;
  for (const auto& entry : fs::directory_iterator(data_)) {
    std::ifstream in(entry.path(), std::ios::binary);
    before[entry.path().filename().string()] = std::string(std::istreambuf_iterator<char>(in), {});
  }
  std::string output;
  auto code =
      RunCdp({"serve", "--data", data_, "--listen", "127.0.0.1:0", "--config", config_}, &output);
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 1);
  EXPECT_NE(output.find("format version 7"), std::string::npos) << output;
  EXPECT_NE(output.find("newer than this build"), std::string::npos) << output;
  std::map<std::string, std::string> after;
  for (const auto& entry : fs::directory_iterator(data_)) {
    std::ifstream in(entry.path(), std::ios::binary);
    after[entry.path().filename().string()] = std::string(std::istreambuf_iterator<char>(in), {});
  }
  EXPECT_EQ(before, after);
}

TEST_F(ServeE2eTest, InvalidConfigFailsWithAClearMessage) {
  std::ofstream(config_) << R"({"keys": [{"key": "wk_test", "scopes": ["wrtie"]}]})";
  std::string output;
  auto code =
      RunCdp({"serve", "--data", data_, "--listen", "127.0.0.1:0", "--config", config_}, &output);
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 1);
  EXPECT_NE(output.find("keys[0].scopes[0]"), std::string::npos) << output;
}

TEST_F(ServeE2eTest, PortInUseFailsWithAClearMessage) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  std::string output;
  auto code = RunCdp({"serve", "--data", (dir_ / "other").string(), "--listen",
                      "127.0.0.1:" + std::to_string(server->port()), "--config", config_},
                     &output);
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 1);
  EXPECT_NE(output.find("cannot listen"), std::string::npos) << output;
}

TEST_F(ServeE2eTest, SecondServerOnTheSameDataDirectoryIsRefused) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  std::string output;
  auto code =
      RunCdp({"serve", "--data", data_, "--listen", "127.0.0.1:0", "--config", config_}, &output);
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 1);
  EXPECT_NE(output.find("another cdp process"), std::string::npos) << output;
}

}  // namespace
}  // namespace cdp::testing
