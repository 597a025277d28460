// End-to-end: malformed, oversized and slow requests against the real server, over real
// sockets. Each gets an error or a closed connection, and the server keeps serving others.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "tests/support/http_client.h"
#include "tests/support/server_process.h"

namespace cdp::testing {
namespace {

namespace fs = std::filesystem;

class HttpLimitsE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() / ("cdp_limits_" + std::to_string(::getpid())));
    fs::remove_all(*dir_);
    auto server = ServerProcess::Start((*dir_ / "data").string(),
                                       {"--threads", "2", "--read-timeout-ms", "1000",
                                        "--max-body-bytes", "4096", "--max-header-bytes", "2048"});
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value().release();
  }
  static void TearDownTestSuite() {
    if (server_ != nullptr) {
      server_->Signal(SIGTERM);
      auto code = server_->Wait(std::chrono::seconds(30));
      EXPECT_TRUE(code.ok() && *code == 0);
      delete server_;
      server_ = nullptr;
    }
    fs::remove_all(*dir_);
    delete dir_;
  }

  // The server still answers a well-formed request on a fresh connection.
  static void ExpectStillServing() {
    auto health = HttpCall(server_->port(), "GET", "/healthz");
    ASSERT_TRUE(health.ok()) << health.status().ToString();
    EXPECT_EQ(health->status, 200);
  }

  static Result<HttpReply> SendRaw(std::string_view bytes) {
    CDP_ASSIGN_OR_RETURN(HttpConnection conn, HttpConnection::Connect(server_->port()));
    CDP_RETURN_IF_ERROR(conn.Send(bytes));
    return conn.ReadReply(std::chrono::seconds(5));
  }

  static fs::path* dir_;
  static ServerProcess* server_;
};

fs::path* HttpLimitsE2eTest::dir_ = nullptr;
ServerProcess* HttpLimitsE2eTest::server_ = nullptr;

struct MalformedCase {
  const char* name;
  std::string bytes;
  int status;
};

TEST_F(HttpLimitsE2eTest, MalformedRequestsGet400AndTheConnectionCloses) {
  const std::vector<MalformedCase> cases = {
      {"garbage", "this is not http\r\n\r\n", 400},
      {"bad version", "GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n", 400},
      {"space in method", "G ET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 400},
      {"header without colon", "GET /healthz HTTP/1.1\r\nHost x\r\n\r\n", 400},
      {"bad content length", "POST /healthz HTTP/1.1\r\nContent-Length: abc\r\n\r\n", 400},
      {"two content lengths",
       "POST /healthz HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400},
      {"bad chunk size",
       "POST /healthz HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n", 400},
      {"control character in header", std::string("GET /healthz HTTP/1.1\r\nX: a\x01b\r\n\r\n"),
       400},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto conn = HttpConnection::Connect(server_->port());
    ASSERT_TRUE(conn.ok());
    ASSERT_TRUE(conn->Send(c.bytes).ok());
    auto reply = conn->ReadReply(std::chrono::seconds(5));
    ASSERT_TRUE(reply.ok()) << reply.status().ToString();
    EXPECT_EQ(reply->status, c.status);
    EXPECT_NE(reply->body.find("\"error\""), std::string::npos);
    EXPECT_TRUE(conn->WaitForClose(std::chrono::seconds(5)));
  }
  ExpectStillServing();
}

TEST_F(HttpLimitsE2eTest, OversizedHeaderGets431) {
  const std::string big(4000, 'a');
  auto reply = SendRaw("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + big + "\r\n\r\n");
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->status, 431);
  ExpectStillServing();
}

TEST_F(HttpLimitsE2eTest, OversizedBodyGets413) {
  const std::string body(10000, 'x');
  auto reply = SendRaw(RenderRequest("POST", "/healthz", {}, body));
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->status, 413);
  EXPECT_NE(reply->body.find("payload_too_large"), std::string::npos);
  ExpectStillServing();
}

TEST_F(HttpLimitsE2eTest, OversizedChunkedBodyGets413) {
  std::string chunked = "POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 5; ++i) chunked += "400\r\n" + std::string(1024, 'y') + "\r\n";
  chunked += "0\r\n\r\n";
  auto reply = SendRaw(chunked);
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->status, 413);
  ExpectStillServing();
}

TEST_F(HttpLimitsE2eTest, SlowClientThatNeverFinishesIsDisconnected) {
  auto slow_header = HttpConnection::Connect(server_->port());
  ASSERT_TRUE(slow_header.ok());
  ASSERT_TRUE(slow_header->Send("GET /healthz HTTP/1.1\r\nHost: x\r\n").ok());
  auto slow_body = HttpConnection::Connect(server_->port());
  ASSERT_TRUE(slow_body.ok());
  ASSERT_TRUE(slow_body->Send("POST /healthz HTTP/1.1\r\nContent-Length: 100\r\n\r\nabc").ok());
  // While both stall, others are served.
  ExpectStillServing();
  EXPECT_TRUE(slow_header->WaitForClose(std::chrono::seconds(10)));
  EXPECT_TRUE(slow_body->WaitForClose(std::chrono::seconds(10)));
  ExpectStillServing();
}

TEST_F(HttpLimitsE2eTest, DrippingClientIsDisconnectedByTheRequestDeadline) {
  auto drip = HttpConnection::Connect(server_->port());
  ASSERT_TRUE(drip.ok());
  const std::string request = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: aaaaaaaaaaaaaaaaaaaa\r\n";
  bool closed = false;
  const auto start = std::chrono::steady_clock::now();
  for (char c : request) {
    if (!drip->Send(std::string_view(&c, 1)).ok()) {
      closed = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (!closed) closed = drip->WaitForClose(std::chrono::seconds(10));
  EXPECT_TRUE(closed);
  // One byte every 100 ms never completes; the 1 s deadline cut it off well before the end.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(9));
  ExpectStillServing();
}

TEST_F(HttpLimitsE2eTest, KeepAliveServesManyRequestsOnOneConnection) {
  auto conn = HttpConnection::Connect(server_->port());
  ASSERT_TRUE(conn.ok());
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(conn->Send(RenderRequest("GET", "/healthz")).ok());
    auto reply = conn->ReadReply();
    ASSERT_TRUE(reply.ok()) << i;
    EXPECT_EQ(reply->status, 200);
  }
}

TEST_F(HttpLimitsE2eTest, PipelinedRequestsAreAnsweredInOrder) {
  auto conn = HttpConnection::Connect(server_->port());
  ASSERT_TRUE(conn.ok());
  ASSERT_TRUE(conn->Send(RenderRequest("GET", "/healthz") + RenderRequest("GET", "/nope") +
                         RenderRequest("GET", "/readyz"))
                  .ok());
  auto a = conn->ReadReply();
  auto b = conn->ReadReply();
  auto c = conn->ReadReply();
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(a->status, 200);
  EXPECT_EQ(b->status, 404);
  EXPECT_EQ(c->status, 200);
}

TEST_F(HttpLimitsE2eTest, ExpectContinueIsHonoured) {
  auto conn = HttpConnection::Connect(server_->port());
  ASSERT_TRUE(conn.ok());
  ASSERT_TRUE(conn->Send("POST /healthz HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                         "Content-Length: 2\r\n\r\n")
                  .ok());
  auto interim = conn->ReadReply(std::chrono::seconds(5));
  ASSERT_TRUE(interim.ok());
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(conn->Send("{}").ok());
  auto reply = conn->ReadReply(std::chrono::seconds(5));
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->status, 405);
}

TEST_F(HttpLimitsE2eTest, MetricsCountTheRejections) {
  auto metrics = HttpCall(server_->port(), "GET", "/metrics");
  ASSERT_TRUE(metrics.ok());
  EXPECT_NE(metrics->body.find("cdp_http_request_errors_total{reason=\"malformed\"}"),
            std::string::npos);
}

}  // namespace
}  // namespace cdp::testing
