// The HTTP/1.1 server: one listener, one session per connection, keep-alive, limits on
// headers, bodies and time, and a graceful drain. Request handling is the handler's business.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

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
  std::size_t header_limit = std::size_t{16} * 1024;
  // Largest request body as received; over it: 413 and the connection closes. Above the
  // ingest limit (500 KB), so that ingest refuses oversize bodies itself and counts them.
  std::size_t body_limit = std::size_t{1} << 20;
  // Time allowed to receive a request's header block (including the wait for it on an idle
  // keep-alive connection), and then again its body. On expiry the connection closes.
  std::chrono::milliseconds read_timeout{30'000};
  // Time allowed to send one response.
  std::chrono::milliseconds write_timeout{30'000};
  // How long Shutdown() waits for in-flight requests before closing every connection.
  std::chrono::milliseconds drain_timeout{10'000};
  // Connections beyond this many are closed at once on accept.
  std::size_t max_connections = 10'000;
  // WebSocket: largest message accepted (larger ones close the connection with code 1009),
  // frames in flight per connection before the server stops reading (backpressure), and how
  // long a connection may stay silent (the server pings at half of it) before it is closed.
  std::size_t websocket_max_message = std::size_t{500} * 1024;
  std::size_t websocket_window = 64;
  std::chrono::milliseconds websocket_idle_timeout{60'000};
  // How long a closing WebSocket connection waits for the peer to take a pending write before
  // it is disconnected without a close frame.
  std::chrono::milliseconds websocket_close_grace{2'000};

  // kInvalidArgument naming the first bad field.
  Status Validate() const;
};

// One open WebSocket connection as its handler sees it, for messages the server sends unasked
// (a subscription's pushes). Thread-safe; it may outlive the connection (calls then do nothing).
class WebSocketPeer {
 public:
  virtual ~WebSocketPeer() = default;
  // Queues a text message behind the earlier pushes. False, and nothing queued, once the
  // connection is closed or closing.
  virtual bool Send(std::string text) = 0;
  // Bytes of pushed messages queued and not yet written to the socket.
  virtual std::size_t QueuedBytes() const = 0;
  // Drops the queued pushes and closes with `code` and `reason` (at most 123 bytes) once the
  // message being written, if any, is out; a peer that does not read within
  // `websocket_close_grace` is disconnected without the close frame.
  virtual void Close(std::uint16_t code, std::string reason) = 0;
  virtual bool closed() const = 0;
};

// The frame handler of one WebSocket connection. Its calls for one connection never overlap.
class WebSocketHandler {
 public:
  virtual ~WebSocketHandler() = default;
  // Called once the handshake is done, before any frame, on a network thread.
  virtual void OnOpen(std::shared_ptr<WebSocketPeer> /*peer*/) {}
  // Called for each message in arrival order, on a network thread. `reply` must be called
  // exactly once, from any thread; replies are sent in the order of their frames.
  virtual void OnFrame(std::string&& frame, std::function<void(std::string)> reply) = 0;
};

// Decides on an upgrade request for one path: a handler for the new connection, or an error
// answered as HTTP (401, 403, ...).
using WebSocketAcceptor =
    std::function<Result<std::shared_ptr<WebSocketHandler>>(const HttpRequest& request)>;

struct WebSocketRoute {
  std::string path;
  WebSocketAcceptor accept;
};

// A running server. Thread-safe; handlers run on the network threads.
class HttpServer {
 public:
  // Binds, listens and starts the network threads. `metrics` must outlive the server.
  // Errors: kInvalidArgument for bad options, kIoError when the address cannot be bound.
  // Upgrade requests to a path of `websocket_routes` become WebSocket connections.
  static Result<std::unique_ptr<HttpServer>> Start(
      const HttpServerOptions& options, RequestHandler handler, MetricsRegistry* metrics,
      std::vector<WebSocketRoute> websocket_routes = {});
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
