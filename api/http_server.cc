#include "api/http_server.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include "cdp/log.h"

namespace cdp::api {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;

constexpr std::array<int, 15> kTrackedStatuses = {101, 200, 400, 401, 403, 404, 405, 408,
                                                  409, 413, 429, 431, 500, 503, 0};

// Time allowed to drain the peer's unread bytes before closing after an error response, so
// the response is not lost to a TCP reset.
constexpr std::chrono::milliseconds kLingerTimeout{500};

struct HttpMetrics {
  explicit HttpMetrics(MetricsRegistry& registry) {
    for (std::size_t i = 0; i < kTrackedStatuses.size(); ++i) {
      const int s = kTrackedStatuses[i];
      requests[i] =
          &registry.AddCounter("cdp_http_requests_total", "HTTP requests answered, by status code",
                               {{"code", s == 0 ? "other" : std::to_string(s)}});
    }
    latency = &registry.AddHistogram("cdp_http_request_duration_seconds",
                                     "Time from a complete request to its response",
                                     LatencyBucketsSeconds());
    connections_active = &registry.AddGauge("cdp_http_connections_active", "Open HTTP connections");
    connections_total =
        &registry.AddCounter("cdp_http_connections_total", "HTTP connections accepted");
    connections_rejected = &registry.AddCounter("cdp_http_connections_rejected_total",
                                                "Connections closed at once: over max_connections");
    for (const char* reason : {"timeout", "malformed", "header_limit", "body_limit"}) {
      errors.push_back(&registry.AddCounter("cdp_http_request_errors_total",
                                            "Requests that failed before a handler ran",
                                            {{"reason", reason}}));
    }
  }
  void CountStatus(int status) {
    for (std::size_t i = 0; i + 1 < kTrackedStatuses.size(); ++i) {
      if (kTrackedStatuses[i] == status) {
        requests[i]->Increment();
        return;
      }
    }
    requests.back()->Increment();
  }
  std::array<Counter*, kTrackedStatuses.size()> requests{};
  Histogram* latency = nullptr;
  Gauge* connections_active = nullptr;
  Counter* connections_total = nullptr;
  Counter* connections_rejected = nullptr;
  std::vector<Counter*> errors;  // timeout, malformed, header_limit, body_limit
};

// A connection the server can ask to drain at shutdown.
class Connection {
 public:
  virtual ~Connection() = default;
  // Posts the drain to the connection's strand: an idle one closes now, a busy one after
  // its in-flight work.
  virtual void Drain() = 0;
};

// State shared by the listener and all connections.
struct Shared {
  HttpServerOptions options;
  RequestHandler handler;
  std::vector<WebSocketRoute> websocket_routes;
  HttpMetrics metrics;
  Gauge* websockets_active = nullptr;
  Counter* websocket_frames = nullptr;
  std::atomic<bool> draining{false};
  std::mutex mu;
  std::condition_variable sessions_done;
  std::unordered_map<const Connection*, std::weak_ptr<Connection>> sessions;

  Shared(HttpServerOptions o, RequestHandler h, std::vector<WebSocketRoute> routes,
         MetricsRegistry& registry)
      : options(std::move(o)),
        handler(std::move(h)),
        websocket_routes(std::move(routes)),
        metrics(registry) {
    websockets_active =
        &registry.AddGauge("cdp_websocket_connections_active", "Open WebSocket connections");
    websocket_frames =
        &registry.AddCounter("cdp_websocket_frames_total", "WebSocket messages received");
  }

  void Register(const Connection* c, std::weak_ptr<Connection> weak) {
    std::lock_guard lock(mu);
    sessions.emplace(c, std::move(weak));
  }
  void Unregister(const Connection* c) {
    std::lock_guard lock(mu);
    sessions.erase(c);
    if (sessions.empty()) sessions_done.notify_all();
  }
  const WebSocketRoute* FindWebSocketRoute(std::string_view path) const {
    for (const auto& r : websocket_routes) {
      if (r.path == path) return &r;
    }
    return nullptr;
  }
};

// A connection's entry in the registry that Shutdown() waits on. Declared as a session's first
// member, it is destroyed last, after the session's stream: Shutdown() may destroy the
// io_context as soon as the registry is empty, and a session can be destroyed on another thread
// (the ingest writer's, which holds a reply callback until the reply is posted).
class Registration {
 public:
  explicit Registration(std::shared_ptr<Shared> shared) : shared_(std::move(shared)) {}
  ~Registration() {
    if (self_ != nullptr) shared_->Unregister(self_);
  }
  Registration(const Registration&) = delete;
  Registration& operator=(const Registration&) = delete;

  void Register(const Connection* self, std::weak_ptr<Connection> weak) {
    self_ = self;
    shared_->Register(self, std::move(weak));
  }

 private:
  std::shared_ptr<Shared> shared_;
  const Connection* self_ = nullptr;
};

std::string LowerCase(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// The method, target and headers of `message` as an HttpRequest (the body is left out).
HttpRequest ToHttpRequest(const http::request<http::string_body>& message) {
  HttpRequest request;
  request.method = std::string(message.method_string());
  auto [path, query] = SplitTarget(message.target());
  request.path = std::move(path);
  request.query = std::move(query);
  request.headers.reserve(16);
  for (const auto& field : message) {
    request.headers.emplace_back(LowerCase(field.name_string()), std::string(field.value()));
  }
  return request;
}

class WebSocketSession;

// The handler's view of a session: holds it weakly, so that it may outlive it.
class SessionPeer final : public WebSocketPeer {
 public:
  explicit SessionPeer(std::weak_ptr<WebSocketSession> session) : session_(std::move(session)) {}
  bool Send(std::string text) override;
  std::size_t QueuedBytes() const override { return queued_.load(); }
  void Close(std::uint16_t code, std::string reason) override;
  bool closed() const override { return closed_.load(); }

  void SetClosed() { closed_.store(true); }
  void Written(std::size_t bytes) { queued_.fetch_sub(bytes); }

 private:
  std::weak_ptr<WebSocketSession> session_;
  std::atomic<std::size_t> queued_{0};
  std::atomic<bool> closed_{false};
};

// One WebSocket connection: reads messages, hands each to the handler, and writes the
// replies in message order, and the handler's pushes between them. At most
// `websocket_window` messages wait for replies; past that it stops reading until replies
// drain. All work runs on its strand.
class WebSocketSession : public Connection, public std::enable_shared_from_this<WebSocketSession> {
 public:
  WebSocketSession(beast::tcp_stream&& stream, std::shared_ptr<WebSocketHandler> handler,
                   std::shared_ptr<Shared> shared)
      : registration_(shared),
        ws_(std::move(stream)),
        handler_(std::move(handler)),
        shared_(std::move(shared)) {}

  ~WebSocketSession() override {
    if (peer_) peer_->SetClosed();
    shared_->websockets_active->Add(-1);
  }

  // From SessionPeer, on any thread.
  void Push(std::string text) {
    net::post(ws_.get_executor(), [self = shared_from_this(), t = std::move(text)]() mutable {
      if (self->closed_ || self->closing_) {
        self->peer_->Written(t.size());
        return;
      }
      self->pushes_.push_back(std::move(t));
      self->Flush();
    });
  }
  void CloseWith(std::uint16_t code, std::string reason) {
    net::post(ws_.get_executor(), [self = shared_from_this(), code,
                                   r = std::move(reason)]() mutable {
      if (self->closed_ || self->close_sent_) return;
      for (const std::string& t : self->pushes_) self->peer_->Written(t.size());
      self->pushes_.clear();
      self->close_reason_ = websocket::close_reason(static_cast<websocket::close_code>(code), r);
      self->closing_ = true;
      self->peer_->SetClosed();
      if (self->writing_) {
        // The peer is not taking the message being written: give it a moment, then cut it.
        self->grace_timer_.expires_after(self->shared_->options.websocket_close_grace);
        self->grace_timer_.async_wait([self](beast::error_code ec) {
          if (ec || self->closed_ || self->close_sent_) return;
          self->closed_ = true;
          beast::error_code ignored;
          beast::get_lowest_layer(self->ws_).socket().close(ignored);
        });
      }
      self->MaybeClose();
    });
  }

  void Run(http::request<http::string_body> upgrade) {
    registration_.Register(this, weak_from_this());
    shared_->websockets_active->Add(1);
    beast::get_lowest_layer(ws_).expires_never();
    websocket::stream_base::timeout timeout{};
    timeout.handshake_timeout = shared_->options.read_timeout;
    timeout.idle_timeout = shared_->options.websocket_idle_timeout;
    timeout.keep_alive_pings = true;
    ws_.set_option(timeout);
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, "cdp"); }));
    ws_.read_message_max(shared_->options.websocket_max_message);
    ws_.auto_fragment(false);
    ws_.async_accept(upgrade,
                     beast::bind_front_handler(&WebSocketSession::OnAccept, shared_from_this()));
  }

  void Drain() override {
    net::post(ws_.get_executor(), [self = shared_from_this()] {
      self->closing_ = true;
      self->MaybeClose();
    });
  }

 private:
  struct Slot {
    bool ready = false;
    std::string text;
  };

  void OnAccept(beast::error_code ec) {
    if (ec) return;
    accepted_ = true;
    peer_ = std::make_shared<SessionPeer>(weak_from_this());
    try {
      handler_->OnOpen(peer_);
    } catch (const std::exception& e) {
      LogError(std::string("websocket handler threw: ") + e.what());
      closed_ = true;
      return;
    }
    if (shared_->draining.load()) closing_ = true;
    MaybeRead();
    MaybeClose();
  }

  void MaybeRead() {
    if (reading_ || closing_ || closed_ || pending_.size() >= shared_->options.websocket_window) {
      return;
    }
    reading_ = true;
    ws_.async_read(buffer_,
                   beast::bind_front_handler(&WebSocketSession::OnRead, shared_from_this()));
  }

  void OnRead(beast::error_code ec, std::size_t /*bytes*/) {
    reading_ = false;
    if (ec) {
      // Closed by the peer, timed out, or a message over the limit (Beast has sent 1009).
      closed_ = true;
      if (peer_) peer_->SetClosed();
      return;
    }
    shared_->websocket_frames->Increment();
    std::string frame = beast::buffers_to_string(buffer_.data());
    buffer_.consume(buffer_.size());
    const std::uint64_t index = next_index_++;
    pending_.emplace_back();
    auto self = shared_from_this();
    try {
      handler_->OnFrame(std::move(frame), [self, index](std::string reply) {
        net::post(self->ws_.get_executor(), [self, index, r = std::move(reply)]() mutable {
          self->OnReply(index, std::move(r));
        });
      });
    } catch (const std::exception& e) {
      LogError(std::string("websocket handler threw: ") + e.what());
      closed_ = true;
      return;
    }
    MaybeRead();
  }

  void OnReply(std::uint64_t index, std::string text) {
    Slot& slot = pending_[static_cast<std::size_t>(index - first_index_)];
    slot.ready = true;
    slot.text = std::move(text);
    Flush();
  }

  void Flush() {
    if (writing_ || closed_ || close_sent_) return;
    out_pushed_ = 0;
    if (!pending_.empty() && pending_.front().ready) {
      out_ = std::move(pending_.front().text);
      pending_.pop_front();
      ++first_index_;
    } else if (!pushes_.empty()) {
      out_ = std::move(pushes_.front());
      pushes_.pop_front();
      out_pushed_ = out_.size();
    } else {
      return;
    }
    writing_ = true;
    ws_.text(true);
    ws_.async_write(net::buffer(out_),
                    beast::bind_front_handler(&WebSocketSession::OnWrite, shared_from_this()));
  }

  void OnWrite(beast::error_code ec, std::size_t /*bytes*/) {
    writing_ = false;
    if (out_pushed_ != 0) peer_->Written(out_pushed_);
    out_pushed_ = 0;
    if (ec) {
      closed_ = true;
      peer_->SetClosed();
      return;
    }
    Flush();
    MaybeRead();
    MaybeClose();
  }

  // Once draining and every reply is written, closes with "going away".
  void MaybeClose() {
    if (!closing_ || !accepted_ || closed_ || close_sent_ || writing_) return;
    if (!pending_.empty() && !close_reason_) return;
    close_sent_ = true;
    grace_timer_.cancel();
    if (peer_) peer_->SetClosed();
    const websocket::close_reason reason =
        close_reason_ ? *close_reason_ : websocket::close_reason(websocket::close_code::going_away);
    ws_.async_close(reason,
                    [self = shared_from_this()](beast::error_code) { self->closed_ = true; });
  }

  Registration registration_;  // first: destroyed after ws_
  websocket::stream<beast::tcp_stream> ws_;
  std::shared_ptr<WebSocketHandler> handler_;
  std::shared_ptr<Shared> shared_;
  beast::flat_buffer buffer_;
  std::deque<Slot> pending_;
  std::uint64_t first_index_ = 0;  // index of pending_.front()
  std::uint64_t next_index_ = 0;
  std::shared_ptr<SessionPeer> peer_;  // set on accept
  std::deque<std::string> pushes_;
  std::optional<websocket::close_reason> close_reason_;  // set by the handler's Close
  net::steady_timer grace_timer_{ws_.get_executor()};
  std::string out_;
  std::size_t out_pushed_ = 0;  // bytes of out_ counted in the peer's queue
  bool accepted_ = false;
  bool reading_ = false;
  bool writing_ = false;
  bool closing_ = false;
  bool close_sent_ = false;
  bool closed_ = false;
};

bool SessionPeer::Send(std::string text) {
  if (closed_.load()) return false;
  std::shared_ptr<WebSocketSession> session = session_.lock();
  if (!session) return false;
  queued_.fetch_add(text.size());
  session->Push(std::move(text));
  return true;
}

void SessionPeer::Close(std::uint16_t code, std::string reason) {
  if (reason.size() > 123) reason.resize(123);
  if (std::shared_ptr<WebSocketSession> session = session_.lock()) {
    session->CloseWith(code, std::move(reason));
  }
  closed_.store(true);
}

// One connection. All its work runs on its strand.
class Session : public Connection, public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, std::shared_ptr<Shared> shared)
      : registration_(shared), stream_(std::move(socket)), shared_(std::move(shared)) {}

  ~Session() override { shared_->metrics.connections_active->Add(-1); }

  void Run() {
    registration_.Register(this, weak_from_this());
    shared_->metrics.connections_active->Add(1);
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&Session::ReadHeader, shared_from_this()));
  }

  void Drain() override {
    net::post(stream_.get_executor(), [self = shared_from_this()] { self->OnDrain(); });
  }

  beast::tcp_stream::executor_type executor() { return stream_.get_executor(); }

 private:
  // An idle connection closes now; a busy one closes after its response.
  void OnDrain() {
    if (upgraded_) return;
    if (idle_ && buffer_.size() == 0 && (!parser_ || !parser_->got_some())) Close();
  }

  void ReadHeader() {
    if (shared_->draining.load()) return Close();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(shared_->options.header_limit));
    parser_->body_limit(shared_->options.body_limit);
    idle_ = true;
    stream_.expires_after(shared_->options.read_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&Session::OnHeader, shared_from_this()));
  }

  void OnHeader(beast::error_code ec, std::size_t /*bytes*/) {
    idle_ = false;
    if (ec) return OnReadError(ec);
    const auto& header = parser_->get();
    auto expect = header.find(http::field::expect);
    if (expect != header.end() && beast::iequals(expect->value(), "100-continue")) {
      continue_.emplace(http::status::continue_, header.version());
      stream_.expires_after(shared_->options.write_timeout);
      http::async_write(stream_, *continue_,
                        [self = shared_from_this()](beast::error_code wec, std::size_t) {
                          self->continue_.reset();
                          if (wec) return self->Close();
                          self->ReadBody();
                        });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    stream_.expires_after(shared_->options.read_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::OnRead, shared_from_this()));
  }

  void OnReadError(beast::error_code ec) {
    if (ec == beast::error::timeout) {
      // Only a request that had begun counts; an idle keep-alive connection just closes.
      if (parser_ && parser_->got_some()) shared_->metrics.errors[0]->Increment();
      return Close();
    }
    if (ec == http::error::end_of_stream || ec == net::error::eof ||
        ec == net::error::connection_reset || ec == net::error::operation_aborted ||
        ec == net::error::broken_pipe || ec == net::error::bad_descriptor) {
      return Close();
    }
    HttpResponse response;
    if (ec == http::error::header_limit) {
      shared_->metrics.errors[2]->Increment();
      response = ErrorResponse(InvalidArgumentError("request header too large"));
      response.status = 431;
    } else if (ec == http::error::body_limit) {
      shared_->metrics.errors[3]->Increment();
      response = ErrorResponse(PayloadTooLargeError("request body too large"));
    } else {
      shared_->metrics.errors[1]->Increment();
      response = ErrorResponse(InvalidArgumentError("malformed HTTP request"));
    }
    keep_alive_ = false;
    version_ = 11;
    Write(std::move(response));
  }

  void OnRead(beast::error_code ec, std::size_t /*bytes*/) {
    if (ec) return OnReadError(ec);
    stream_.expires_never();
    http::request<http::string_body> message = parser_->release();
    keep_alive_ = message.keep_alive();
    version_ = message.version();
    if (websocket::is_upgrade(message)) {
      auto [path, query] = SplitTarget(message.target());
      if (const WebSocketRoute* route = shared_->FindWebSocketRoute(path)) {
        return Upgrade(*route, std::move(message));
      }
    }
    HttpRequest request = ToHttpRequest(message);
    request.body = std::move(message.body());
    started_ = std::chrono::steady_clock::now();
    auto self = shared_from_this();
    Responder respond = [self](HttpResponse response) {
      net::post(self->executor(),
                [self, r = std::move(response)]() mutable { self->Write(std::move(r)); });
    };
    try {
      shared_->handler(std::move(request), std::move(respond));
    } catch (const std::exception& e) {
      LogError(std::string("request handler threw: ") + e.what());
      Write(ErrorResponse(InternalError("handler failed")));
    }
  }

  // Hands the connection to a WebSocket session when the route accepts it.
  void Upgrade(const WebSocketRoute& route, http::request<http::string_body> message) {
    const HttpRequest request = ToHttpRequest(message);
    Result<std::shared_ptr<WebSocketHandler>> handler = Status::Ok();
    try {
      handler = route.accept(request);
    } catch (const std::exception& e) {
      LogError(std::string("websocket acceptor threw: ") + e.what());
      handler = InternalError("acceptor failed");
    }
    if (!handler.ok()) {
      HttpResponse response = ErrorResponse(handler.status());
      if (response.status == 401) {
        response.headers.emplace_back("WWW-Authenticate", "Basic realm=\"cdp\"");
      }
      keep_alive_ = false;
      return Write(std::move(response));
    }
    if (shared_->draining.load()) {
      keep_alive_ = false;
      return Write(ErrorResponse(UnavailableError("the server is shutting down")));
    }
    upgraded_ = true;
    shared_->metrics.CountStatus(101);
    std::make_shared<WebSocketSession>(std::move(stream_), std::move(handler).value(), shared_)
        ->Run(std::move(message));
  }

  void Write(HttpResponse response) {
    const bool keep_alive = keep_alive_ && !shared_->draining.load();
    response_ = {};
    response_.version(version_);
    response_.result(static_cast<unsigned>(response.status));
    response_.set(http::field::server, "cdp");
    response_.set(http::field::content_type, response.content_type);
    for (const auto& [name, value] : response.headers) response_.set(name, value);
    response_.body() = std::move(response.body);
    response_.keep_alive(keep_alive);
    response_.prepare_payload();
    shared_->metrics.CountStatus(response.status);
    if (started_.has_value()) {
      const std::chrono::duration<double> took = std::chrono::steady_clock::now() - *started_;
      shared_->metrics.latency->Observe(took.count());
      started_.reset();
    }
    stream_.expires_after(shared_->options.write_timeout);
    http::async_write(stream_, response_,
                      beast::bind_front_handler(&Session::OnWrite, shared_from_this()));
  }

  void OnWrite(beast::error_code ec, std::size_t /*bytes*/) {
    if (ec) return Close();
    if (!response_.keep_alive()) return LingerClose();
    ReadHeader();
  }

  // Half-closes, then discards what the peer still sends for a moment, so that it reads our
  // response before the connection goes away.
  void LingerClose() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return Close();
    stream_.expires_after(kLingerTimeout);
    Discard();
  }

  void Discard() {
    stream_.async_read_some(net::buffer(discard_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              if (ec) return self->Close();
                              self->Discard();
                            });
  }

  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
  }

  Registration registration_;  // first: destroyed after stream_
  beast::tcp_stream stream_;
  std::shared_ptr<Shared> shared_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::empty_body>> continue_;
  http::response<http::string_body> response_;
  std::array<char, 4096> discard_{};
  std::optional<std::chrono::steady_clock::time_point> started_;
  bool keep_alive_ = false;
  unsigned version_ = 11;
  bool idle_ = false;
  bool upgraded_ = false;
};

}  // namespace

Status HttpServerOptions::Validate() const {
  if (threads < 0 || threads > 1024) return InvalidArgumentError("threads: must be 0 to 1024");
  if (header_limit < 1024) return InvalidArgumentError("header_limit: at least 1024 bytes");
  if (body_limit < 1024) return InvalidArgumentError("body_limit: at least 1024 bytes");
  if (read_timeout.count() <= 0) return InvalidArgumentError("read_timeout: must be positive");
  if (write_timeout.count() <= 0) return InvalidArgumentError("write_timeout: must be positive");
  if (drain_timeout.count() < 0) return InvalidArgumentError("drain_timeout: must not be negative");
  if (max_connections == 0) return InvalidArgumentError("max_connections: must be positive");
  if (websocket_max_message < 1024) {
    return InvalidArgumentError("websocket_max_message: at least 1024 bytes");
  }
  if (websocket_window == 0) return InvalidArgumentError("websocket_window: at least 1");
  if (websocket_idle_timeout.count() <= 0) {
    return InvalidArgumentError("websocket_idle_timeout: must be positive");
  }
  if (websocket_close_grace.count() <= 0) {
    return InvalidArgumentError("websocket_close_grace: must be positive");
  }
  return Status::Ok();
}

struct HttpServer::Rep {
  net::io_context ioc;
  // Keeps the network threads running while a request waits for a reply from outside the
  // io_context (the ingest writer): without it run() returns once no socket operation is
  // pending, and the reply would never be written.
  net::executor_work_guard<net::io_context::executor_type> work{ioc.get_executor()};
  tcp::acceptor acceptor{net::make_strand(ioc)};
  std::shared_ptr<Shared> shared;
  std::vector<std::thread> threads;
  std::uint16_t port = 0;
  int thread_count = 0;
  std::mutex shutdown_mu;
  bool stopped = false;

  explicit Rep(int concurrency) : ioc(concurrency) {}

  void Accept() {
    acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
      if (ec) {
        if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
        LogWarning("accept failed: " + ec.message());
      } else {
        shared->metrics.connections_total->Increment();
        std::size_t open = 0;
        {
          std::lock_guard lock(shared->mu);
          open = shared->sessions.size();
        }
        if (open >= shared->options.max_connections || shared->draining.load()) {
          shared->metrics.connections_rejected->Increment();
          beast::error_code ignored;
          socket.close(ignored);
        } else {
          std::make_shared<Session>(std::move(socket), shared)->Run();
        }
      }
      if (acceptor.is_open()) Accept();
    });
  }

  void RunLoop() {
    for (;;) {
      try {
        ioc.run();
        return;
      } catch (const std::exception& e) {
        LogError(std::string("network thread caught: ") + e.what());
      }
    }
  }
};

HttpServer::HttpServer(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}

HttpServer::~HttpServer() { Shutdown(); }

std::uint16_t HttpServer::port() const { return rep_->port; }

int HttpServer::threads() const { return rep_->thread_count; }

Result<std::unique_ptr<HttpServer>> HttpServer::Start(
    const HttpServerOptions& options, RequestHandler handler, MetricsRegistry* metrics,
    std::vector<WebSocketRoute> websocket_routes) {
  CDP_RETURN_IF_ERROR(options.Validate());
  int threads = options.threads;
  if (threads == 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  beast::error_code ec;
  const auto address = net::ip::make_address(options.address, ec);
  if (ec) return InvalidArgumentError("listen address: not an IP address");

  auto rep = std::make_unique<Rep>(threads);
  rep->shared =
      std::make_shared<Shared>(options, std::move(handler), std::move(websocket_routes), *metrics);
  const tcp::endpoint endpoint(address, options.port);
  rep->acceptor.open(endpoint.protocol(), ec);
  if (!ec) rep->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) rep->acceptor.bind(endpoint, ec);
  if (!ec) rep->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return IoError("cannot listen on " + options.address + ":" + std::to_string(options.port) +
                   ": " + ec.message());
  }
  rep->port = rep->acceptor.local_endpoint().port();
  rep->thread_count = threads;
  rep->Accept();
  for (int i = 0; i < threads; ++i) {
    rep->threads.emplace_back([r = rep.get()] { r->RunLoop(); });
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(rep)));
}

void HttpServer::Shutdown() {
  std::lock_guard shutdown_lock(rep_->shutdown_mu);
  if (rep_->stopped) return;
  rep_->stopped = true;
  Shared& shared = *rep_->shared;
  shared.draining.store(true);
  net::post(rep_->acceptor.get_executor(), [r = rep_.get()] {
    beast::error_code ec;
    r->acceptor.close(ec);
  });
  std::vector<std::shared_ptr<Connection>> sessions;
  {
    std::lock_guard lock(shared.mu);
    for (auto& [raw, weak] : shared.sessions) {
      if (auto s = weak.lock()) sessions.push_back(std::move(s));
    }
  }
  for (auto& s : sessions) s->Drain();
  sessions.clear();
  {
    std::unique_lock lock(shared.mu);
    const bool drained = shared.sessions_done.wait_for(lock, shared.options.drain_timeout,
                                                       [&] { return shared.sessions.empty(); });
    if (!drained) {
      LogWarning("shutdown: " + std::to_string(shared.sessions.size()) +
                 " connections still open after the drain timeout; closing them");
    }
  }
  rep_->work.reset();
  rep_->ioc.stop();
  for (auto& t : rep_->threads) t.join();
  rep_->threads.clear();
}

}  // namespace cdp::api
