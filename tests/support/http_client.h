// A deliberately small HTTP/1.1 client over raw POSIX sockets, so that tests can send exactly
// the bytes they want (malformed, oversized, slow) to the real server.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cdp/status.h"

namespace cdp::testing {

struct HttpReply {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::optional<std::string> Header(std::string_view name) const;
};

// One TCP connection to 127.0.0.1:port. Not thread-safe.
class HttpConnection {
 public:
  static Result<HttpConnection> Connect(std::uint16_t port);
  HttpConnection(HttpConnection&& other) noexcept;
  HttpConnection& operator=(HttpConnection&& other) noexcept;
  ~HttpConnection();

  // Sends all of `bytes`. kIoError when the peer has closed.
  Status Send(std::string_view bytes);
  // Reads one response (header and Content-Length body). kUnavailable on timeout or when
  // the connection closes first.
  Result<HttpReply> ReadReply(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // True when the peer closes the connection (EOF or reset) within `timeout`; bytes that
  // arrive meanwhile are discarded.
  bool WaitForClose(std::chrono::milliseconds timeout);

 private:
  explicit HttpConnection(int fd) : fd_(fd) {}
  int fd_ = -1;
  std::string buffer_;
};

// A request line, headers and body rendered as HTTP/1.1 bytes (Content-Length added when a
// body is present).
std::string RenderRequest(std::string_view method, std::string_view target,
                          const std::vector<std::pair<std::string, std::string>>& headers = {},
                          std::string_view body = {});

// Opens a connection, sends one request, reads the reply.
Result<HttpReply> HttpCall(std::uint16_t port, std::string_view method, std::string_view target,
                           const std::vector<std::pair<std::string, std::string>>& headers = {},
                           std::string_view body = {});

// "Authorization: Basic base64(key:)" and "Authorization: Bearer key".
std::pair<std::string, std::string> BasicAuth(std::string_view key);
std::pair<std::string, std::string> BearerAuth(std::string_view key);

}  // namespace cdp::testing
