// The HTTP/1.1 server: one listener, one session per connection, keep-alive, limits on
// headers, bodies and time, and a graceful drain. Request handling is the handler's business.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "api/http_types.h"
#include "cdp/metrics.h"
#include "cdp/status.h"

namespace cdp::api {

struct HttpServerOptions {
  // Address and port to listen on; port 0 picks a free one (see HttpServer::port()).
  std::string address = "127.0.0.1";
  std::uint16_t port = 8080;
  // Network threads; 0 means one per hardware thread.
  int threads = 0;
  // Largest request header block; over it: 431 and the connection closes.
  std::size_t header_limit = 16 * 1024;
  // Largest request body as received; over it: 413 and the connection closes.
  std::size_t body_limit = 500 * 1024;
  // Time allowed to receive a request's header block (including the wait for it on an idle
  // keep-alive connection), and then again its body. On expiry the connection closes.
  std::chrono::milliseconds read_timeout{30'000};
  // Time allowed to send one response.
  std::chrono::milliseconds write_timeout{30'000};
  // How long Shutdown() waits for in-flight requests before closing every connection.
  std::chrono::milliseconds drain_timeout{10'000};
  // Connections beyond this many are closed at once on accept.
  std::size_t max_connections = 10'000;

  // kInvalidArgument naming the first bad field.
  Status Validate() const;
};

// A running server. Thread-safe; handlers run on the network threads.
class HttpServer {
 public:
  // Binds, listens and starts the network threads. `metrics` must outlive the server.
  // Errors: kInvalidArgument for bad options, kIoError when the address cannot be bound.
  static Result<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options,
                                                   RequestHandler handler,
                                                   MetricsRegistry* metrics);
  ~HttpServer();  // Shuts down.
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The bound port (useful with port 0).
  std::uint16_t port() const;
  // The number of network threads running.
  int threads() const;

  // Stops accepting, lets in-flight requests finish and answer (with Connection: close), closes
  // idle connections, waits up to drain_timeout, then stops the threads. Idempotent; blocks.
  void Shutdown();

 private:
  struct Rep;
  explicit HttpServer(std::unique_ptr<Rep> rep);
  std::unique_ptr<Rep> rep_;
};

}  // namespace cdp::api
