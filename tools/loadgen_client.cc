#include "tools/loadgen_client.h"

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <charconv>
#include <deque>
#include <exception>
#include <optional>
#include <string_view>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "cdp/auth.h"
#include "cdp/log.h"
#include "ingest/gzip.h"
#include "tools/loadgen_events.h"

namespace cdp::loadgen {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
// Replies are small; anything larger is a protocol error.
constexpr std::size_t kMaxReplyBytes = 1 << 20;
// A change-feed page of 10,000 changes is about 1.3 MB.
constexpr std::size_t kMaxPageBytes = std::size_t{64} << 20;
constexpr milliseconds kSleepSlice{50};
constexpr milliseconds kFirstBackoff{100};
constexpr milliseconds kMaxBackoff{1000};

SteadyClock::duration Seconds(double s) {
  return std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(s));
}

std::uint64_t MicrosBetween(SteadyTime from, SteadyTime to) {
  const auto d = std::chrono::duration_cast<std::chrono::microseconds>(to - from).count();
  return d < 0 ? 0 : static_cast<std::uint64_t>(d);
}

// Reads the unsigned integer after `"name":` in a small JSON reply; nullopt if absent.
std::optional<std::uint64_t> FindUint(std::string_view json, std::string_view quoted_name) {
  std::size_t at = json.find(quoted_name);
  if (at == std::string_view::npos) return std::nullopt;
  at += quoted_name.size();
  while (at < json.size() && (json[at] == ' ' || json[at] == ':')) ++at;
  std::uint64_t value = 0;
  const auto result = std::from_chars(json.data() + at, json.data() + json.size(), value);
  if (result.ec != std::errc()) return std::nullopt;
  return value;
}

// Parses a Retry-After value in seconds; the pause is min(value, 1 s), 100 ms when absent.
milliseconds BackoffFor(std::string_view retry_after) {
  std::uint64_t seconds = 0;
  const auto result =
      std::from_chars(retry_after.data(), retry_after.data() + retry_after.size(), seconds);
  if (retry_after.empty() || result.ec != std::errc()) return kFirstBackoff;
  return seconds >= 1 ? kMaxBackoff : kFirstBackoff;
}

bool IsCursorChar(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         c == '-';
}

}  // namespace

std::optional<ChangesPage> ParseChangesPage(std::string_view body) {
  constexpr std::string_view kChanges = R"("changes":[)";
  constexpr std::string_view kNext = R"("next":")";
  constexpr std::string_view kSeq = R"("seq":)";
  const std::size_t changes = body.find(kChanges);
  const std::size_t next = body.rfind(kNext);
  if (changes == std::string_view::npos || next == std::string_view::npos || next < changes) {
    return std::nullopt;
  }
  ChangesPage page;
  for (std::size_t at = body.find(kSeq, changes); at < next; at = body.find(kSeq, at + 1)) {
    ++page.changes;
  }
  const std::size_t begin = next + kNext.size();
  const std::size_t end = body.find('"', begin);
  if (end == std::string_view::npos || end == begin || end - begin > kMaxCursorSize) {
    return std::nullopt;
  }
  page.next = std::string(body.substr(begin, end - begin));
  if (!std::all_of(page.next.begin(), page.next.end(), IsCursorChar)) return std::nullopt;
  return page;
}

void WorkerStats::Merge(const WorkerStats& o) {
  latency.Merge(o.latency);
  measured_events += o.measured_events;
  measured_batches += o.measured_batches;
  measured_reply_bytes += o.measured_reply_bytes;
  last_measured_ack = std::max(last_measured_ack, o.last_measured_ack);
  sent_events += o.sent_events;
  sent_batches += o.sent_batches;
  acked_events += o.acked_events;
  accepted_events += o.accepted_events;
  wire_bytes += o.wire_bytes;
  raw_bytes += o.raw_bytes;
  reply_bytes += o.reply_bytes;
  http_200 += o.http_200;
  http_404 += o.http_404;
  http_400 += o.http_400;
  http_413 += o.http_413;
  http_429 += o.http_429;
  http_503 += o.http_503;
  http_other += o.http_other;
  nacks += o.nacks;
  nacks_overload += o.nacks_overload;
  backoffs += o.backoffs;
  connect_errors += o.connect_errors;
  connection_errors += o.connection_errors;
  timeouts += o.timeouts;
  protocol_errors += o.protocol_errors;
  lost_batches += o.lost_batches;
  reconnects += o.reconnects;
  server_closes += o.server_closes;
  internal_errors += o.internal_errors;
  unsent_batches += o.unsent_batches;
  max_lag = std::max(max_lag, o.max_lag);
  drained_connections += o.drained_connections;
  // Cursors are decimal sequence numbers: the longer one, or the larger of two as long, is
  // further.
  if (o.last_cursor.size() > last_cursor.size() ||
      (o.last_cursor.size() == last_cursor.size() && o.last_cursor > last_cursor)) {
    last_cursor = o.last_cursor;
  }
}

std::uint64_t WorkerStats::ErrorCount() const {
  return http_400 + http_413 + http_429 + http_503 + http_other + nacks + connect_errors +
         connection_errors + protocol_errors + internal_errors;
}

Result<TargetAddress> ParseTarget(const std::string& text) {
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return InvalidArgumentError("--target must be HOST:PORT or [V6]:PORT");
    }
    host = std::string_view(text).substr(1, close - 1);
    port = std::string_view(text).substr(close + 2);
  } else {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string::npos || text.find(':') != colon) {
      return InvalidArgumentError("--target must be HOST:PORT or [V6]:PORT");
    }
    host = std::string_view(text).substr(0, colon);
    port = std::string_view(text).substr(colon + 1);
  }
  unsigned value = 0;
  const auto result = std::from_chars(port.data(), port.data() + port.size(), value);
  if (host.empty() || port.empty() || result.ec != std::errc() ||
      result.ptr != port.data() + port.size() || value == 0 || value > 65535) {
    return InvalidArgumentError("--target needs a host and a port in 1..65535");
  }
  return TargetAddress{std::string(host), static_cast<std::uint16_t>(value)};
}

// ---------------------------------------------------------------------------------------------

namespace {

// What the connections of one worker share. Used on the worker's thread only, except
// `shared`.
struct WorkerContext {
  WorkerContext(const LoadgenOptions& o, const RunPlan& p, SharedState* s)
      : options(o), plan(p), shared(s), ioc(1) {}

  const LoadgenOptions options;
  const RunPlan plan;
  SharedState* const shared;
  asio::io_context ioc;
  tcp::endpoint endpoint;
  std::string host_header;
  std::string authorization;
  WorkerStats stats;
  int errors_logged = 0;
};

constexpr int kMaxErrorsLogged = 3;

// Logs the first few connection failures of a worker (what failed and the system's reason).
void LogConnectionError(WorkerContext& w, std::string_view what, const beast::error_code& ec) {
  if (w.errors_logged >= kMaxErrorsLogged) return;
  ++w.errors_logged;
  std::string line = "loadgen: ";
  line += what;
  line += ": ";
  line += ec ? ec.message() : std::string("protocol error");
  if (w.errors_logged == kMaxErrorsLogged) line += " (further errors only counted)";
  LogWarning(line);
}

GeneratorOptions GeneratorOptionsFor(const LoadgenOptions& options, int index,
                                     const std::string& run_id) {
  GeneratorOptions g;
  g.seed = options.seed * 1'000'003 + static_cast<std::uint64_t>(index);
  g.message_id_prefix = "lg-" + run_id + "-" + std::to_string(index) + "-";
  g.population = options.population;
  return g;
}

// What both protocols share: claiming and pacing batches, reconnect back-off, accounting.
// Lives on its worker's thread only.
class ConnectionBase {
 public:
  ConnectionBase(WorkerContext& worker, int index, const std::string& run_id)
      : w_(worker),
        index_(index),
        timer_(worker.ioc),
        generator_(GeneratorOptionsFor(worker.options, index, run_id)) {
    if (w_.options.rate > 0) {
      interval_ = Seconds(w_.options.batch_size * w_.options.connections / w_.options.rate);
      next_slot_ = w_.plan.start + interval_ * index_ / w_.options.connections;
    }
  }
  virtual ~ConnectionBase() = default;
  ConnectionBase(const ConnectionBase&) = delete;
  ConnectionBase& operator=(const ConnectionBase&) = delete;

  virtual asio::awaitable<void> Run() = 0;

 protected:
  struct Batch {
    int events = 0;
    SteadyTime start;  // scheduled (open loop) or claimed (closed loop) time
    bool measured = false;
  };

  bool stopping() const { return w_.shared->stop.load(std::memory_order_relaxed); }
  // Duration mode: the time to start batches is over.
  bool PastEnd() const { return !w_.plan.by_count && SteadyClock::now() >= w_.plan.end; }

  // The next batch to send, or nullopt when this connection's share of the run is over.
  // Open loop: the batch's slot on the fixed schedule, even if that is already past.
  std::optional<Batch> ClaimBatch() {
    if (stopping()) return std::nullopt;
    Batch batch;
    batch.start = interval_.count() > 0 ? next_slot_ : SteadyClock::now();
    batch.measured = batch.start >= w_.plan.measure_start;
    batch.events = w_.options.batch_size;
    if (w_.plan.by_count) {
      if (batch.measured) {
        const std::int64_t before =
            w_.shared->remaining.fetch_sub(batch.events, std::memory_order_relaxed);
        if (before <= 0) return std::nullopt;
        batch.events = static_cast<int>(std::min<std::int64_t>(before, batch.events));
      }
    } else if (batch.start >= w_.plan.end) {
      return std::nullopt;
    }
    if (interval_.count() > 0) next_slot_ += interval_;
    return batch;
  }

  // Closed loop: latency counts from now, when the batch is built and about to be written.
  // Open loop: from the scheduled time, which stays.
  void MarkSending(Batch& batch) const {
    if (interval_.count() <= 0) batch.start = SteadyClock::now();
  }

  // Returns a claimed batch that will not be sent to the count-mode budget.
  void Unclaim(const Batch& batch) {
    if (w_.plan.by_count && batch.measured) {
      w_.shared->remaining.fetch_add(batch.events, std::memory_order_relaxed);
    }
  }

  // Counts the batches an open-loop connection should have started before the end but did
  // not (it was behind schedule when the run stopped).
  void CountUnsent() {
    if (interval_.count() <= 0 || w_.plan.by_count || next_slot_ >= w_.plan.end) return;
    w_.stats.unsent_batches +=
        static_cast<std::uint64_t>((w_.plan.end - next_slot_) / interval_) + 1;
  }

  // Sleeps until `t` in short slices. Returns false when the run is stopping.
  asio::awaitable<bool> SleepUntil(SteadyTime t) {
    while (SteadyClock::now() < t) {
      if (stopping()) co_return false;
      timer_.expires_at(std::min(t, SteadyClock::now() + kSleepSlice));
      co_await timer_.async_wait(kUseTuple);
    }
    co_return !stopping();
  }

  // Waits for the batch's slot (open loop) and any back-off. Returns false when stopping.
  asio::awaitable<bool> WaitToSend(const Batch& batch) {
    if (!co_await SleepUntil(std::max(batch.start, pause_until_))) co_return false;
    const auto lag =
        std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - batch.start);
    if (interval_.count() > 0) w_.stats.max_lag = std::max(w_.stats.max_lag, lag);
    co_return true;
  }

  // After a failed connect or a broken connection: waits 100 ms, doubling up to 1 s until a
  // batch is acked again.
  asio::awaitable<void> ReconnectBackoff() {
    co_await SleepUntil(SteadyClock::now() + backoff_);
    backoff_ = std::min(backoff_ * 2, kMaxBackoff);
  }

  void OnConnected() {
    if (connected_before_) ++w_.stats.reconnects;
    connected_before_ = true;
    w_.shared->ever_connected.store(true, std::memory_order_relaxed);
    w_.shared->connections_up.fetch_add(1, std::memory_order_relaxed);
  }
  void OnDisconnected() { w_.shared->connections_up.fetch_sub(1, std::memory_order_relaxed); }

  void OnSent(const Batch& batch, std::size_t raw, std::size_t wire) {
    ++w_.stats.sent_batches;
    w_.stats.sent_events += static_cast<std::uint64_t>(batch.events);
    w_.stats.raw_bytes += raw;
    w_.stats.wire_bytes += wire;
    w_.shared->sent_events.fetch_add(static_cast<std::uint64_t>(batch.events),
                                     std::memory_order_relaxed);
  }

  void OnAcked(const Batch& batch) {
    const SteadyTime now = SteadyClock::now();
    const auto events = static_cast<std::uint64_t>(batch.events);
    w_.stats.acked_events += events;
    w_.shared->acked_events.fetch_add(events, std::memory_order_relaxed);
    backoff_ = kFirstBackoff;
    if (!batch.measured) return;
    w_.stats.latency.Record(MicrosBetween(batch.start, now));
    w_.stats.measured_events += events;
    ++w_.stats.measured_batches;
    w_.stats.last_measured_ack = std::max(w_.stats.last_measured_ack, now);
  }

  void OnError() { w_.shared->errors.fetch_add(1, std::memory_order_relaxed); }

  // Pauses this connection's sends for `d` (Retry-After or an overload nack).
  void PauseFor(milliseconds d) {
    ++w_.stats.backoffs;
    pause_until_ = std::max(pause_until_, SteadyClock::now() + d);
  }

  void NoteFatalStatus(unsigned status) {
    if (status == 401 || status == 403 || status == 404 || status == 405) SetFatalStatus(status);
  }
  // Records `status` as the reason the run cannot succeed, unless one was recorded first.
  void SetFatalStatus(unsigned status) {
    int expected = 0;
    w_.shared->fatal_status.compare_exchange_strong(expected, static_cast<int>(status));
  }

  // Closes the socket of `stream` and ignores errors.
  static void CloseQuietly(beast::tcp_stream& stream) {
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.close();
  }

  WorkerContext& w_;
  const int index_;
  asio::steady_timer timer_;
  EventGenerator generator_;
  std::string body_;

 private:
  SteadyClock::duration interval_{0};
  SteadyTime next_slot_{};
  SteadyTime pause_until_{};
  milliseconds backoff_ = kFirstBackoff;
  bool connected_before_ = false;
};

// One keep-alive HTTP/1.1 connection, one request at a time: connects (again after a failure,
// with back-off) and hands each claimed batch to Exchange(). Lives on its worker's thread.
class KeepAliveConnection : public ConnectionBase {
 public:
  KeepAliveConnection(WorkerContext& worker, int index, const std::string& run_id)
      : ConnectionBase(worker, index, run_id), stream_(worker.ioc) {}

  asio::awaitable<void> Run() override {
    while (!stopping() && !PastEnd() && !Finished()) {
      if (failed_) {
        failed_ = false;
        co_await ReconnectBackoff();
        continue;
      }
      if (!connected_ && !co_await Connect()) {
        co_await ReconnectBackoff();
        continue;
      }
      std::optional<Batch> batch = ClaimBatch();
      if (!batch) break;
      if (!co_await WaitToSend(*batch)) {
        Unclaim(*batch);
        break;
      }
      co_await Exchange(*batch);
    }
    CountUnsent();
    if (connected_) Disconnect();
  }

 protected:
  // Sends one request for `batch` and reads its reply; on a broken connection calls
  // ConnectionFailed().
  virtual asio::awaitable<void> Exchange(Batch batch) = 0;
  // True once this connection has nothing more to do, before the end of the run.
  virtual bool Finished() const { return false; }

  asio::awaitable<bool> Connect() {
    stream_.expires_after(Seconds(w_.options.timeout_s));
    auto [ec] = co_await stream_.async_connect(w_.endpoint, kUseTuple);
    if (ec) {
      LogConnectionError(w_, "connect", ec);
      ++w_.stats.connect_errors;
      OnError();
      CloseQuietly(stream_);
      co_return false;
    }
    beast::error_code ignored;
    stream_.socket().set_option(tcp::no_delay(true), ignored);
    connected_ = true;
    OnConnected();
    co_return true;
  }

  void Disconnect() {
    CloseQuietly(stream_);
    buffer_.clear();
    connected_ = false;
    OnDisconnected();
  }

  void ConnectionFailed(const beast::error_code& ec) {
    LogConnectionError(w_, "HTTP connection", ec);
    ++w_.stats.connection_errors;
    ++w_.stats.lost_batches;
    if (ec == beast::error::timeout) ++w_.stats.timeouts;
    OnError();
    Disconnect();
    failed_ = true;
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;

 private:
  bool connected_ = false;
  bool failed_ = false;  // the connection broke: back off before reconnecting
};

// POST /v1/batch on one keep-alive connection, one request at a time.
class HttpConnection final : public KeepAliveConnection {
 public:
  HttpConnection(WorkerContext& worker, int index, const std::string& run_id)
      : KeepAliveConnection(worker, index, run_id) {
    if (w_.options.gzip) gzip_.emplace(w_.options.gzip_level);
    request_.method(http::verb::post);
    request_.target("/v1/batch");
    request_.version(11);
    request_.set(http::field::host, w_.host_header);
    request_.set(http::field::authorization, w_.authorization);
    request_.set(http::field::content_type, "application/json");
    request_.set(http::field::user_agent, "cdp-loadgen/0.1");
    if (w_.options.gzip) request_.set(http::field::content_encoding, "gzip");
    request_.keep_alive(true);
  }

 private:
  asio::awaitable<void> Exchange(Batch batch) override {
    body_.clear();
    generator_.AppendHttpBatch(body_, batch.events, std::chrono::system_clock::now());
    const std::size_t raw = body_.size();
    if (gzip_) {
      if (Status s = gzip_->Encode(body_, compressed_); !s.ok()) {
        ++w_.stats.internal_errors;
        OnError();
        Unclaim(batch);
        co_return;
      }
      body_.swap(compressed_);
    }
    request_.body() = std::move(body_);
    request_.prepare_payload();
    const std::size_t wire = request_.body().size();
    MarkSending(batch);

    stream_.expires_after(Seconds(w_.options.timeout_s));
    auto [write_ec, written] = co_await http::async_write(stream_, request_, kUseTuple);
    body_ = std::move(request_.body());
    if (write_ec) {
      ConnectionFailed(write_ec);
      co_return;
    }
    OnSent(batch, raw, wire);

    http::response_parser<http::string_body> parser;
    parser.body_limit(kMaxReplyBytes);
    auto [read_ec, read] = co_await http::async_read(stream_, buffer_, parser, kUseTuple);
    if (read_ec) {
      ConnectionFailed(read_ec);
      co_return;
    }
    const auto& response = parser.get();
    const unsigned status = response.result_int();
    switch (status) {
      case 200:
        ++w_.stats.http_200;
        OnAcked(batch);
        break;
      case 400: ++w_.stats.http_400; break;
      case 413: ++w_.stats.http_413; break;
      case 429: ++w_.stats.http_429; break;
      case 503: ++w_.stats.http_503; break;
      default: ++w_.stats.http_other; break;
    }
    if (status != 200) {
      OnError();
      NoteFatalStatus(status);
    }
    if (status == 429 || status == 503) PauseFor(BackoffFor(response[http::field::retry_after]));
    if (!response.keep_alive()) {
      ++w_.stats.server_closes;
      Disconnect();
    }
  }

  http::request<http::string_body> request_;
  std::string compressed_;
  std::optional<ingest::GzipEncoder> gzip_;
};

// What the read connections share: a GET on a keep-alive connection and the accounting of its
// reply. Lives on its worker's thread.
class ReadConnection : public KeepAliveConnection {
 public:
  ReadConnection(WorkerContext& worker, int index, const std::string& run_id)
      : KeepAliveConnection(worker, index, run_id) {
    request_.method(http::verb::get);
    request_.version(11);
    request_.set(http::field::host, w_.host_header);
    request_.set(http::field::authorization, w_.authorization);
    request_.set(http::field::user_agent, "cdp-loadgen/0.1");
    request_.keep_alive(true);
  }

 protected:
  // Sends GET `target` and reads the reply (a body of at most `body_limit` bytes) into
  // parser_. Returns false when the connection failed (counted, and closed).
  asio::awaitable<bool> Get(const std::string& target, Batch& batch, std::size_t body_limit) {
    request_.target(target);
    MarkSending(batch);
    stream_.expires_after(Seconds(w_.options.timeout_s));
    auto [write_ec, written] = co_await http::async_write(stream_, request_, kUseTuple);
    if (write_ec) {
      ConnectionFailed(write_ec);
      co_return false;
    }
    OnSent(batch, 0, 0);
    parser_.emplace();
    parser_->body_limit(body_limit);
    auto [read_ec, read] = co_await http::async_read(stream_, buffer_, *parser_, kUseTuple);
    if (read_ec) {
      ConnectionFailed(read_ec);
      co_return false;
    }
    co_return true;
  }

  // Counts an answer (the request was served; `batch.events` says how many items it held).
  void Answered(const Batch& batch, std::size_t body_bytes) {
    w_.stats.reply_bytes += body_bytes;
    if (batch.measured) w_.stats.measured_reply_bytes += body_bytes;
    OnAcked(batch);
    w_.shared->replies.fetch_add(1, std::memory_order_relaxed);
  }

  // Counts a status that is not an answer; backs off on 429 and 503. `fatal` says whether the
  // run cannot succeed after it.
  void Refused(unsigned status, bool fatal) {
    switch (status) {
      case 400: ++w_.stats.http_400; break;
      case 413: ++w_.stats.http_413; break;
      case 429: ++w_.stats.http_429; break;
      case 503: ++w_.stats.http_503; break;
      default: ++w_.stats.http_other; break;
    }
    OnError();
    if (fatal) SetFatalStatus(status);
    if (status == 429 || status == 503) {
      PauseFor(BackoffFor(parser_->get()[http::field::retry_after]));
    }
  }

  // After a reply: closes the connection when the server asked to.
  void AfterReply() {
    if (!parser_->get().keep_alive()) {
      ++w_.stats.server_closes;
      Disconnect();
    }
  }

  http::request<http::empty_body> request_;
  std::optional<http::response_parser<http::string_body>> parser_;
};

// GET /v1/profiles/user_id:uNNNNNNN of users drawn uniformly from the population.
class ProfileConnection final : public ReadConnection {
 public:
  ProfileConnection(WorkerContext& worker, int index, const std::string& run_id)
      : ReadConnection(worker, index, run_id),
        users_(worker.options.seed * 1'000'003 + static_cast<std::uint64_t>(index) +
               0x70726f66696c6573ULL) {}

 private:
  asio::awaitable<void> Exchange(Batch batch) override {
    target_.assign("/v1/profiles/user_id:");
    AppendUserId(target_, users_.Below(w_.options.population));
    if (!co_await Get(target_, batch, kMaxReplyBytes)) co_return;
    const unsigned status = parser_->get().result_int();
    if (status == 200 || status == 404) {
      if (status == 200) {
        ++w_.stats.http_200;
      } else {
        ++w_.stats.http_404;
      }
      Answered(batch, parser_->get().body().size());
    } else {
      Refused(status, status == 401 || status == 403 || status == 405);
    }
    AfterReply();
  }

  Rng users_;
  std::string target_;
};

// Pages GET /v1/changes from options.after, following `next`, until a page comes back empty.
class ChangesConnection final : public ReadConnection {
 public:
  ChangesConnection(WorkerContext& worker, int index, const std::string& run_id)
      : ReadConnection(worker, index, run_id), cursor_(std::to_string(worker.options.after)) {}

 private:
  bool Finished() const override { return finished_; }

  asio::awaitable<void> Exchange(Batch batch) override {
    target_.assign("/v1/changes?after=");
    target_ += cursor_;
    target_ += "&limit=";
    target_ += std::to_string(w_.options.page_size);
    batch.events = 0;  // known once the page is read
    if (!co_await Get(target_, batch, kMaxPageBytes)) co_return;
    const unsigned status = parser_->get().result_int();
    if (status != 200) {
      // 400: a page size over the server's limit or a cursor it did not issue.
      Refused(status,
              status == 400 || status == 401 || status == 403 || status == 404 || status == 405);
      AfterReply();
      co_return;
    }
    ++w_.stats.http_200;
    const std::string& body = parser_->get().body();
    std::optional<ChangesPage> page = ParseChangesPage(body);
    if (!page) {
      // Without a cursor there is no next page: this connection is done.
      ++w_.stats.protocol_errors;
      OnError();
      LogConnectionError(w_, "change feed page without changes or next", beast::error_code());
      finished_ = true;
      AfterReply();
      co_return;
    }
    batch.events = static_cast<int>(page->changes);
    Answered(batch, body.size());
    cursor_ = std::move(page->next);
    WorkerStats& stats = w_.stats;
    if (cursor_.size() > stats.last_cursor.size() ||
        (cursor_.size() == stats.last_cursor.size() && cursor_ > stats.last_cursor)) {
      stats.last_cursor = cursor_;
    }
    if (page->changes == 0) {
      ++stats.drained_connections;
      finished_ = true;
    }
    AfterReply();
  }

  std::string cursor_;
  std::string target_;
  bool finished_ = false;
};

// GET /v1/stream: frames pipelined up to the window, acks read by a second coroutine.
class WsConnection final : public ConnectionBase {
 public:
  WsConnection(WorkerContext& worker, int index, const std::string& run_id)
      : ConnectionBase(worker, index, run_id), wake_(worker.ioc) {}

  asio::awaitable<void> Run() override {
    while (!stopping() && !PastEnd()) {
      if (!co_await Connect()) {
        co_await ReconnectBackoff();
        continue;
      }
      const bool finished = co_await Pump();
      co_await Close();
      if (finished) break;
      co_await ReconnectBackoff();
    }
    CountUnsent();
  }

 private:
  struct InFlight {
    Batch batch;
    std::uint64_t seq = 0;
  };

  asio::awaitable<bool> Connect() {
    ws_.emplace(w_.ioc);
    auto& lowest = beast::get_lowest_layer(*ws_);
    lowest.expires_after(Seconds(w_.options.timeout_s));
    auto [ec] = co_await lowest.async_connect(w_.endpoint, kUseTuple);
    if (!ec) {
      beast::error_code ignored;
      lowest.socket().set_option(tcp::no_delay(true), ignored);
      lowest.expires_never();
      const auto timeout = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          Seconds(w_.options.timeout_s));
      websocket::stream_base::timeout t{};
      t.handshake_timeout = timeout;
      t.idle_timeout = timeout;
      t.keep_alive_pings = true;
      ws_->set_option(t);
      ws_->set_option(websocket::stream_base::decorator([this](websocket::request_type& req) {
        req.set(http::field::authorization, w_.authorization);
        req.set(http::field::user_agent, "cdp-loadgen/0.1");
      }));
      ws_->read_message_max(kMaxReplyBytes);
      ws_->text(true);
      websocket::response_type response;
      std::tie(ec) =
          co_await ws_->async_handshake(response, w_.host_header, "/v1/stream", kUseTuple);
      if (ec && response.result_int() != 0) NoteFatalStatus(response.result_int());
    }
    if (ec) {
      LogConnectionError(w_, "WebSocket connect", ec);
      ++w_.stats.connect_errors;
      OnError();
      CloseQuietly(beast::get_lowest_layer(*ws_));
      ws_.reset();
      co_return false;
    }
    OnConnected();
    broken_ = false;
    reader_done_ = false;
    next_seq_ = 1;
    co_return true;
  }

  // Sends frames until this connection's share is done (returns true) or the connection
  // breaks (returns false). Starts the reader and waits for it to end before returning.
  asio::awaitable<bool> Pump() {
    asio::co_spawn(w_.ioc, Read(), [this](std::exception_ptr e) {
      if (e) {
        ++w_.stats.internal_errors;
        OnError();
        LogError("loadgen: WebSocket reader failed");
      }
      reader_done_ = true;
      broken_ = true;
      wake_.cancel();
    });
    bool finished = false;
    for (;;) {
      std::optional<Batch> batch = ClaimBatch();
      if (!batch) {
        finished = true;
        break;
      }
      while (!broken_ && inflight_.size() >= static_cast<std::size_t>(w_.options.window)) {
        co_await Wake(SteadyClock::now() + kSleepSlice);
      }
      if (broken_ || !co_await WaitToSend(*batch)) {
        Unclaim(*batch);
        finished = !broken_;
        break;
      }
      frame_.clear();
      generator_.AppendStreamBatch(frame_, batch->events, next_seq_,
                                   std::chrono::system_clock::now());
      MarkSending(*batch);
      inflight_.push_back(InFlight{*batch, next_seq_++});
      auto [ec, written] = co_await ws_->async_write(asio::buffer(frame_), kUseTuple);
      if (ec) {
        if (!broken_) ConnectionBroke(ec);
        break;
      }
      OnSent(*batch, frame_.size(), frame_.size());
    }
    // Let the replies in flight arrive, within the reply timeout.
    const SteadyTime deadline = SteadyClock::now() + Seconds(w_.options.timeout_s);
    while (!broken_ && !inflight_.empty() && SteadyClock::now() < deadline) {
      co_await Wake(std::min(deadline, SteadyClock::now() + kSleepSlice));
    }
    if (!broken_ && !inflight_.empty()) {
      ++w_.stats.timeouts;
      ConnectionBroke(beast::error::timeout);
    }
    co_return finished && !broken_;
  }

  // Closes the WebSocket (cleanly when it is healthy) and waits for the reader to end.
  asio::awaitable<void> Close() {
    if (!broken_) {
      closing_ = true;
      beast::get_lowest_layer(*ws_).expires_after(Seconds(std::min(w_.options.timeout_s, 2.0)));
      co_await ws_->async_close(websocket::close_code::normal, kUseTuple);
    }
    CloseQuietly(beast::get_lowest_layer(*ws_));
    while (!reader_done_) co_await Wake(SteadyClock::now() + kSleepSlice);
    w_.stats.lost_batches += inflight_.size();
    inflight_.clear();
    ws_.reset();
    closing_ = false;
    OnDisconnected();
  }

  asio::awaitable<void> Read() {
    beast::flat_buffer buffer;
    for (;;) {
      buffer.clear();
      auto [ec, n] = co_await ws_->async_read(buffer, kUseTuple);
      if (ec) {
        if (ec == websocket::error::closed && !closing_) ++w_.stats.server_closes;
        if (!closing_ && !broken_) ConnectionBroke(ec);
        co_return;
      }
      const std::string_view reply(static_cast<const char*>(buffer.data().data()),
                                   buffer.data().size());
      if (!HandleReply(reply)) {
        ++w_.stats.protocol_errors;
        OnError();
        ConnectionBroke(beast::error_code());
        co_return;
      }
      wake_.cancel();
    }
  }

  // Matches one reply to the oldest frame in flight. False on a protocol violation.
  bool HandleReply(std::string_view reply) {
    if (inflight_.empty()) return false;
    const InFlight front = inflight_.front();
    inflight_.pop_front();
    if (const auto ack = FindUint(reply, "\"ack\"")) {
      if (*ack != front.seq) return false;
      w_.stats.accepted_events += FindUint(reply, "\"accepted\"").value_or(0);
      OnAcked(front.batch);
      return true;
    }
    const auto nack = FindUint(reply, "\"nack\"");
    if (!nack || *nack != front.seq) return false;
    ++w_.stats.nacks;
    OnError();
    if (reply.find("\"resource_exhausted\"") != std::string_view::npos ||
        reply.find("\"unavailable\"") != std::string_view::npos) {
      ++w_.stats.nacks_overload;
      PauseFor(kFirstBackoff);
    }
    return true;
  }

  void ConnectionBroke(const beast::error_code& ec) {
    LogConnectionError(w_, "WebSocket connection", ec);
    broken_ = true;
    ++w_.stats.connection_errors;
    if (ec == beast::error::timeout) ++w_.stats.timeouts;
    OnError();
    CloseQuietly(beast::get_lowest_layer(*ws_));
    wake_.cancel();
  }

  // Waits until `t` or until the reader wakes the writer.
  asio::awaitable<void> Wake(SteadyTime t) {
    wake_.expires_at(t);
    co_await wake_.async_wait(kUseTuple);
  }

  std::optional<websocket::stream<beast::tcp_stream>> ws_;
  asio::steady_timer wake_;
  std::deque<InFlight> inflight_;
  std::string frame_;
  std::uint64_t next_seq_ = 1;
  bool broken_ = false;
  bool closing_ = false;
  bool reader_done_ = true;
};

}  // namespace

struct Worker::Rep {
  Rep(const LoadgenOptions& o, const RunPlan& p, SharedState* s) : context(o, p, s) {}

  // Runs the event loop until it has no more work or is stopped; the I/O thread's barrier.
  void RunLoop() {
    for (;;) {
      try {
        context.ioc.run();
        return;
      } catch (const std::exception& e) {
        ++context.stats.internal_errors;
        context.shared->errors.fetch_add(1, std::memory_order_relaxed);
        LogError(std::string("loadgen: worker event loop: ") + e.what());
      }
    }
  }

  WorkerContext context;  // before the connections: they hold its I/O objects
  std::vector<std::unique_ptr<ConnectionBase>> connections;
  std::atomic<int> running{0};
  std::thread thread;
};

Result<std::unique_ptr<Worker>> Worker::Create(const LoadgenOptions& options, const RunPlan& plan,
                                               std::string run_id, int first_connection, int stride,
                                               SharedState* shared) {
  CDP_ASSIGN_OR_RETURN(TargetAddress target, ParseTarget(options.target));
  auto rep = std::make_unique<Rep>(options, plan, shared);
  WorkerContext& context = rep->context;
  beast::error_code ec;
  tcp::resolver resolver(context.ioc);
  const auto results = resolver.resolve(target.host, std::to_string(target.port),
                                        tcp::resolver::numeric_service, ec);
  if (ec || results.empty()) {
    return InvalidArgumentError("--target: cannot resolve the host");
  }
  context.endpoint = results.begin()->endpoint();
  context.host_header = target.host.find(':') == std::string::npos
                            ? target.host + ":" + std::to_string(target.port)
                            : "[" + target.host + "]:" + std::to_string(target.port);
  context.authorization = "Basic " + Base64Encode(options.key + ":");
  for (int i = first_connection; i < options.connections; i += stride) {
    switch (options.mode) {
      case Mode::kHttp:
        rep->connections.push_back(std::make_unique<HttpConnection>(context, i, run_id));
        break;
      case Mode::kWebSocket:
        rep->connections.push_back(std::make_unique<WsConnection>(context, i, run_id));
        break;
      case Mode::kProfiles:
        rep->connections.push_back(std::make_unique<ProfileConnection>(context, i, run_id));
        break;
      case Mode::kChanges:
        rep->connections.push_back(std::make_unique<ChangesConnection>(context, i, run_id));
        break;
    }
  }
  return std::unique_ptr<Worker>(new Worker(std::move(rep)));
}

Worker::Worker(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}

Worker::~Worker() {
  Abort();
  Join();
}

void Worker::Start() {
  Rep& rep = *rep_;
  rep.running.store(static_cast<int>(rep.connections.size()));
  for (auto& connection : rep.connections) {
    asio::co_spawn(rep.context.ioc, connection->Run(), [&rep](std::exception_ptr e) {
      if (e) {
        ++rep.context.stats.internal_errors;
        rep.context.shared->errors.fetch_add(1, std::memory_order_relaxed);
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          LogError(std::string("loadgen: connection failed: ") + ex.what());
        } catch (...) {
          LogError("loadgen: connection failed");
        }
      }
      rep.running.fetch_sub(1);
    });
  }
  rep.thread = std::thread([&rep] { rep.RunLoop(); });
}

bool Worker::done() const { return rep_->running.load() == 0; }

void Worker::Abort() { rep_->context.ioc.stop(); }

void Worker::Join() {
  if (rep_->thread.joinable()) rep_->thread.join();
}

const WorkerStats& Worker::stats() const { return rep_->context.stats; }

}  // namespace cdp::loadgen
