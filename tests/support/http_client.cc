#include "tests/support/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "cdp/auth.h"

namespace cdp::testing {
namespace {

using Clock = std::chrono::steady_clock;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

std::optional<std::string> HttpReply::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return std::nullopt;
}

Result<HttpConnection> HttpConnection::Connect(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return IoError("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return IoError("connect failed");
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return HttpConnection(fd);
}

HttpConnection::HttpConnection(HttpConnection&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), buffer_(std::move(other.buffer_)) {}

HttpConnection& HttpConnection::operator=(HttpConnection&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    buffer_ = std::move(other.buffer_);
  }
  return *this;
}

HttpConnection::~HttpConnection() {
  if (fd_ >= 0) ::close(fd_);
}

Status HttpConnection::Send(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return IoError("send failed");
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return Status::Ok();
}

Result<HttpReply> HttpConnection::ReadReply(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::size_t header_end = std::string::npos;
  std::size_t content_length = 0;
  HttpReply reply;
  while (true) {
    if (header_end == std::string::npos) {
      header_end = buffer_.find("\r\n\r\n");
      if (header_end != std::string::npos) {
        const std::string head = buffer_.substr(0, header_end);
        std::size_t line_end = head.find("\r\n");
        const std::string status_line = head.substr(0, line_end);
        if (status_line.size() < 12 || !status_line.starts_with("HTTP/1.")) {
          return InvalidArgumentError("bad status line");
        }
        reply.status = std::stoi(status_line.substr(9, 3));
        while (line_end != std::string::npos) {
          const std::size_t start = line_end + 2;
          line_end = head.find("\r\n", start);
          const std::string line = head.substr(
              start, line_end == std::string::npos ? std::string::npos : line_end - start);
          const std::size_t colon = line.find(':');
          if (colon == std::string::npos) continue;
          std::string value = line.substr(colon + 1);
          while (!value.empty() && value.front() == ' ') value.erase(0, 1);
          reply.headers.emplace_back(Lower(line.substr(0, colon)), value);
        }
        if (auto cl = reply.Header("content-length")) content_length = std::stoul(*cl);
      }
    }
    if (header_end != std::string::npos && buffer_.size() >= header_end + 4 + content_length) {
      reply.body = buffer_.substr(header_end + 4, content_length);
      buffer_.erase(0, header_end + 4 + content_length);
      return reply;
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return UnavailableError("timed out waiting for a reply");
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[16384];
    const ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
    if (n <= 0) return UnavailableError("connection closed before a full reply");
    buffer_.append(buf, static_cast<std::size_t>(n));
  }
}

bool HttpConnection::WaitForClose(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
    if (n <= 0) return true;
  }
}

std::string RenderRequest(std::string_view method, std::string_view target,
                          const std::vector<std::pair<std::string, std::string>>& headers,
                          std::string_view body) {
  std::string out;
  out += method;
  out += ' ';
  out += target;
  out += " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (const auto& [k, v] : headers) out += k + ": " + v + "\r\n";
  if (!body.empty()) out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  out += "\r\n";
  out += body;
  return out;
}

Result<HttpReply> HttpCall(std::uint16_t port, std::string_view method, std::string_view target,
                           const std::vector<std::pair<std::string, std::string>>& headers,
                           std::string_view body) {
  CDP_ASSIGN_OR_RETURN(HttpConnection conn, HttpConnection::Connect(port));
  CDP_RETURN_IF_ERROR(conn.Send(RenderRequest(method, target, headers, body)));
  return conn.ReadReply();
}

std::pair<std::string, std::string> BasicAuth(std::string_view key) {
  return {"Authorization", "Basic " + Base64Encode(std::string(key) + ":")};
}

std::pair<std::string, std::string> BearerAuth(std::string_view key) {
  return {"Authorization", "Bearer " + std::string(key)};
}

}  // namespace cdp::testing
