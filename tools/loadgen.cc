#include "tools/loadgen.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "ingest/gzip.h"
#include "tools/loadgen_client.h"
#include "tools/loadgen_events.h"

namespace cdp::loadgen {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr int kMaxBatchSize = 2'500;  // the API's limit of messages per batch
// Give up early when the run cannot succeed.
constexpr std::chrono::seconds kUnreachableAfter{3};
constexpr std::chrono::seconds kAllDownFor{10};
constexpr std::chrono::seconds kNothingAckedFor{10};
// After the end, how long replies still in flight are awaited when the run was aborted.
constexpr std::chrono::seconds kAbortGrace{2};

volatile std::sig_atomic_t g_interrupted = 0;
extern "C" void OnInterrupt(int) { g_interrupted = 1; }

SteadyClock::duration Seconds(double s) {
  return std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(s));
}

double SecondsBetween(SteadyTime from, SteadyTime to) {
  return std::chrono::duration<double>(to - from).count();
}

std::string RandomRunId() {
  std::random_device device;
  const std::uint64_t bits =
      (std::uint64_t{device()} << 32) ^ device() ^
      static_cast<std::uint64_t>(SteadyClock::now().time_since_epoch().count());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  for (int shift = 28; shift >= 0; shift -= 4) id += kHex[(bits >> shift) & 15];
  return id;
}

// "1,234,567".
std::string Grouped(std::uint64_t v) {
  const std::string digits = std::to_string(v);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

const char* ModeName(Mode mode) {
  switch (mode) {
    case Mode::kHttp: return "http";
    case Mode::kWebSocket: return "ws";
    case Mode::kProfiles: return "profiles";
    case Mode::kChanges: return "changes";
  }
  return "?";
}

double Millis(std::uint64_t micros) { return static_cast<double>(micros) / 1000.0; }

double PerSecond(std::uint64_t n, double seconds) {
  return seconds > 0 ? static_cast<double>(n) / seconds : 0.0;
}

// One machine-readable line: `TAG {"name":value,...}`. Names and string values are plain
// ASCII identifiers (no escaping needed).
class JsonLine {
 public:
  explicit JsonLine(std::string_view tag) : text_(tag) { text_ += " {"; }
  JsonLine& Add(std::string_view name, std::uint64_t value) {
    return Raw(name, std::to_string(value));
  }
  JsonLine& Add(std::string_view name, double value, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
    return Raw(name, buf);
  }
  JsonLine& Add(std::string_view name, bool value) { return Raw(name, value ? "true" : "false"); }
  JsonLine& Add(std::string_view name, const char* value) {
    return Raw(name, std::string("\"") + value + "\"");
  }
  // Writes the line and a newline to stdout.
  void Print() {
    text_ += "}\n";
    std::fwrite(text_.data(), 1, text_.size(), stdout);
    std::fflush(stdout);
  }

 private:
  JsonLine& Raw(std::string_view name, std::string_view value) {
    if (text_.back() != '{') text_ += ',';
    text_ += '"';
    text_ += name;
    text_ += "\":";
    text_ += value;
    return *this;
  }
  std::string text_;
};

// A generator for the runs that send nothing (--dry-run, --dump).
EventGenerator OfflineGenerator(const LoadgenOptions& options, std::string message_id_prefix) {
  GeneratorOptions g;
  g.seed = options.seed;
  g.message_id_prefix = std::move(message_id_prefix);
  g.population = options.population;
  return EventGenerator(g);
}

// Generates bodies on this thread, without a network, as the connections would, and reports
// the rate.
int RunDryRun(const LoadgenOptions& options) {
  EventGenerator generator = OfflineGenerator(options, "lg-dry-0-");
  ingest::GzipEncoder gzip(options.gzip_level);
  std::string body;
  std::string compressed;
  std::uint64_t raw_bytes = 0;
  std::uint64_t wire_bytes = 0;
  std::uint64_t batches = 0;
  std::uint64_t events_left = options.count;
  const SteadyTime start = SteadyClock::now();
  const SteadyTime end = start + Seconds(options.duration_s);
  while (options.count > 0 ? events_left > 0 : SteadyClock::now() < end) {
    int n = options.batch_size;
    if (options.count > 0) {
      n = static_cast<int>(std::min<std::uint64_t>(events_left, static_cast<std::uint64_t>(n)));
      events_left -= static_cast<std::uint64_t>(n);
    }
    body.clear();
    if (options.mode == Mode::kHttp) {
      generator.AppendHttpBatch(body, n, std::chrono::system_clock::now());
    } else {
      generator.AppendStreamBatch(body, n, batches + 1, std::chrono::system_clock::now());
    }
    raw_bytes += body.size();
    if (options.gzip) {
      if (Status s = gzip.Encode(body, compressed); !s.ok()) {
        std::fprintf(stderr, "cdp loadgen: %s\n", s.ToString().c_str());
        return 1;
      }
      wire_bytes += compressed.size();
    } else {
      wire_bytes += body.size();
    }
    ++batches;
  }
  const double seconds = SecondsBetween(start, SteadyClock::now());
  const GeneratorCounts& c = generator.counts();
  const double events_per_s = PerSecond(c.events, seconds);
  const double mean_size =
      c.events > 0 ? static_cast<double>(c.bytes) / static_cast<double>(c.events) : 0.0;
  std::printf("cdp loadgen dry run: %s bodies of %d events%s, one thread, %.2f s, no network\n",
              ModeName(options.mode), options.batch_size, options.gzip ? ", gzip" : "", seconds);
  std::printf("generated %s events in %s batches: %.0f events/s, %.1f MB/s of JSON\n",
              Grouped(c.events).c_str(), Grouped(batches).c_str(), events_per_s,
              PerSecond(raw_bytes, seconds) / 1e6);
  if (options.gzip) {
    std::printf(
        "gzip level %d: %.1f MB/s on the wire, ratio %.2f\n", options.gzip_level,
        PerSecond(wire_bytes, seconds) / 1e6,
        wire_bytes > 0 ? static_cast<double>(raw_bytes) / static_cast<double>(wire_bytes) : 0.0);
  }
  std::printf("event size: min %u, mean %.1f, max %u bytes; identify %s, track %s, page %s\n",
              c.min_size, mean_size, c.max_size, Grouped(c.identify).c_str(),
              Grouped(c.track).c_str(), Grouped(c.page).c_str());
  JsonLine line("loadgen-dry-run");
  line.Add("mode", ModeName(options.mode))
      .Add("batch_size", static_cast<std::uint64_t>(options.batch_size))
      .Add("gzip", options.gzip)
      .Add("events", c.events)
      .Add("seconds", seconds, 3)
      .Add("events_per_s", events_per_s, 0)
      .Add("mean_event_bytes", mean_size, 1)
      .Add("min_event_bytes", std::uint64_t{c.min_size})
      .Add("max_event_bytes", std::uint64_t{c.max_size});
  line.Print();
  return 0;
}

// Prints `options.dump` events, one per line.
int RunDump(const LoadgenOptions& options) {
  EventGenerator generator = OfflineGenerator(options, "lg-dump-0-");
  std::string timestamp;
  AppendIso8601(timestamp, std::chrono::system_clock::now());
  std::string line;
  for (int i = 0; i < options.dump; ++i) {
    line.clear();
    generator.AppendEvent(line, timestamp);
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), stdout);
  }
  return 0;
}

struct Outcome {
  WorkerStats stats;
  double measured_s = 0;
  std::string abort_reason;  // empty when the run ended normally
  bool unreachable = false;
};

void PrintSummary(const LoadgenOptions& options, const Outcome& outcome) {
  const WorkerStats& s = outcome.stats;
  const LatencyHistogram& h = s.latency;
  const double events_per_s = PerSecond(s.measured_events, outcome.measured_s);
  // Bytes of JSON per event (batch envelope included), averaged over everything sent.
  const double bytes_per_event =
      s.sent_events > 0 ? static_cast<double>(s.raw_bytes) / static_cast<double>(s.sent_events)
                        : 0.0;
  const double bytes_per_s = events_per_s * bytes_per_event;
  const std::uint64_t errors = s.ErrorCount();

  std::string shape = std::string(ModeName(options.mode)) + ", " +
                      std::to_string(options.connections) + " connections, batch " +
                      std::to_string(options.batch_size);
  if (options.mode == Mode::kWebSocket) shape += ", window " + std::to_string(options.window);
  if (options.gzip) shape += ", gzip " + std::to_string(options.gzip_level);
  char load[96];
  if (options.rate > 0) {
    std::snprintf(load, sizeof load, "open loop at %.0f events/s offered", options.rate);
  } else {
    std::snprintf(load, sizeof load, "closed loop");
  }
  std::printf("cdp loadgen: %s, %s, target %s\n", shape.c_str(), load, options.target.c_str());
  if (!outcome.abort_reason.empty()) std::printf("aborted: %s\n", outcome.abort_reason.c_str());
  std::printf("measured %.1f s after %.1f s of warm-up\n", outcome.measured_s, options.warmup_s);
  std::printf("throughput: %.0f events/s acked (%.1f MB/s of JSON), %.1f batches/s\n", events_per_s,
              bytes_per_s / 1e6, PerSecond(s.measured_batches, outcome.measured_s));
  std::printf(
      "ack latency per batch (ms, from %s): p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f  "
      "mean %.3f  (%s batches)\n",
      options.rate > 0 ? "scheduled send time" : "send", Millis(h.ValueAtQuantile(0.5)),
      Millis(h.ValueAtQuantile(0.9)), Millis(h.ValueAtQuantile(0.99)),
      Millis(h.ValueAtQuantile(0.999)), Millis(h.max()), h.mean() / 1000.0,
      Grouped(h.count()).c_str());
  std::printf("whole run (warm-up included): events sent %s, acked %s",
              Grouped(s.sent_events).c_str(), Grouped(s.acked_events).c_str());
  if (options.mode == Mode::kWebSocket) {
    std::printf(" (server accepted %s)", Grouped(s.accepted_events).c_str());
  }
  std::printf("; wire bytes %s; %.0f bytes of JSON per event, %u users\n",
              Grouped(s.wire_bytes).c_str(), bytes_per_event, options.population);
  if (options.mode == Mode::kHttp) {
    std::printf("HTTP status: 200 %s, 400 %s, 413 %s, 429 %s, 503 %s, other %s\n",
                Grouped(s.http_200).c_str(), Grouped(s.http_400).c_str(),
                Grouped(s.http_413).c_str(), Grouped(s.http_429).c_str(),
                Grouped(s.http_503).c_str(), Grouped(s.http_other).c_str());
  } else {
    std::printf("nacks %s (retryable: resource_exhausted or unavailable %s), protocol errors %s\n",
                Grouped(s.nacks).c_str(), Grouped(s.nacks_overload).c_str(),
                Grouped(s.protocol_errors).c_str());
  }
  std::printf(
      "errors %s: connect %s, connection %s (timeouts %s), lost batches %s; back-offs %s, "
      "reconnects %s, server closes %s, internal %s\n",
      Grouped(errors).c_str(), Grouped(s.connect_errors).c_str(),
      Grouped(s.connection_errors).c_str(), Grouped(s.timeouts).c_str(),
      Grouped(s.lost_batches).c_str(), Grouped(s.backoffs).c_str(), Grouped(s.reconnects).c_str(),
      Grouped(s.server_closes).c_str(), Grouped(s.internal_errors).c_str());
  if (options.rate > 0) {
    std::printf("open loop: worst start lag behind schedule %.3f ms, batches never started %s\n",
                static_cast<double>(s.max_lag.count()) / 1000.0, Grouped(s.unsent_batches).c_str());
  }
  JsonLine line("loadgen-result");
  line.Add("mode", ModeName(options.mode))
      .Add("connections", static_cast<std::uint64_t>(options.connections))
      .Add("batch_size", static_cast<std::uint64_t>(options.batch_size))
      .Add("rate", options.rate, 0)
      .Add("gzip", options.gzip)
      .Add("window", static_cast<std::uint64_t>(options.window))
      .Add("measured_s", outcome.measured_s, 3)
      .Add("events_per_s", events_per_s, 1)
      .Add("bytes_per_s", bytes_per_s, 0)
      .Add("p50_ms", Millis(h.ValueAtQuantile(0.5)), 3)
      .Add("p90_ms", Millis(h.ValueAtQuantile(0.9)), 3)
      .Add("p99_ms", Millis(h.ValueAtQuantile(0.99)), 3)
      .Add("p999_ms", Millis(h.ValueAtQuantile(0.999)), 3)
      .Add("max_ms", Millis(h.max()), 3)
      .Add("batches_measured", h.count())
      .Add("measured_acked", s.measured_events)
      .Add("acked", s.acked_events)
      .Add("sent", s.sent_events)
      .Add("errors", errors)
      .Add("http_200", s.http_200)
      .Add("http_400", s.http_400)
      .Add("http_413", s.http_413)
      .Add("http_429", s.http_429)
      .Add("http_503", s.http_503)
      .Add("http_other", s.http_other)
      .Add("nacks", s.nacks)
      .Add("connect_errors", s.connect_errors)
      .Add("connection_errors", s.connection_errors)
      .Add("unsent_batches", s.unsent_batches)
      .Add("aborted", !outcome.abort_reason.empty());
  line.Print();
}

// The summary of a read mode: requests (kProfiles) or pages and changes (kChanges).
void PrintReadSummary(const LoadgenOptions& options, const Outcome& outcome) {
  const WorkerStats& s = outcome.stats;
  const LatencyHistogram& h = s.latency;
  const bool profiles = options.mode == Mode::kProfiles;
  const double requests_per_s = PerSecond(s.measured_batches, outcome.measured_s);
  const double changes_per_s = PerSecond(s.measured_events, outcome.measured_s);
  const double bytes_per_s = PerSecond(s.measured_reply_bytes, outcome.measured_s);
  const std::uint64_t errors = s.ErrorCount();
  const std::uint64_t refused = s.http_400 + s.http_413 + s.http_429 + s.http_503 + s.http_other;
  const bool drained =
      !profiles && s.drained_connections == static_cast<std::uint64_t>(options.connections);

  std::string what;
  char load[96];
  if (profiles) {
    what = "profiles (GET /v1/profiles/user_id:u...), " + std::to_string(options.connections) +
           " connections, one request in flight on each";
    if (options.rate > 0) {
      std::snprintf(load, sizeof load, ", open loop at %.0f requests/s offered", options.rate);
    } else {
      std::snprintf(load, sizeof load, ", closed loop");
    }
  } else {
    what = "changes (GET /v1/changes?after=" + std::to_string(options.after) +
           "&limit=" + std::to_string(options.page_size) + ", following next), " +
           std::to_string(options.connections) +
           (options.connections == 1 ? " connection" : " connections each reading the feed");
    load[0] = '\0';
  }
  std::printf("cdp loadgen: %s%s, target %s\n", what.c_str(), load, options.target.c_str());
  if (!outcome.abort_reason.empty()) std::printf("aborted: %s\n", outcome.abort_reason.c_str());
  std::printf("measured %.3f s after %.1f s of warm-up%s\n", outcome.measured_s, options.warmup_s,
              drained ? " (to the end of the feed)" : "");
  if (profiles) {
    std::printf("throughput: %.0f requests/s answered (200 or 404), %.1f MB/s of JSON read\n",
                requests_per_s, bytes_per_s / 1e6);
  } else {
    std::printf("throughput: %.0f changes/s, %.1f pages/s, %.1f MB/s of JSON read\n", changes_per_s,
                requests_per_s, bytes_per_s / 1e6);
  }
  std::printf(
      "latency per %s (ms, from %s): p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f  "
      "mean %.3f  (%s %s)\n",
      profiles ? "request" : "page", options.rate > 0 ? "scheduled send time" : "send",
      Millis(h.ValueAtQuantile(0.5)), Millis(h.ValueAtQuantile(0.9)),
      Millis(h.ValueAtQuantile(0.99)), Millis(h.ValueAtQuantile(0.999)), Millis(h.max()),
      h.mean() / 1000.0, Grouped(h.count()).c_str(), profiles ? "requests" : "pages");
  if (profiles) {
    std::printf(
        "whole run (warm-up included): requests sent %s, answered %s; %s bytes of JSON read; "
        "user ids drawn from %u users\n",
        Grouped(s.sent_batches).c_str(), Grouped(s.acked_events).c_str(),
        Grouped(s.reply_bytes).c_str(), options.population);
    std::printf("HTTP status: 200 %s, 404 %s, other %s (400 %s, 429 %s, 503 %s)\n",
                Grouped(s.http_200).c_str(), Grouped(s.http_404).c_str(), Grouped(refused).c_str(),
                Grouped(s.http_400).c_str(), Grouped(s.http_429).c_str(),
                Grouped(s.http_503).c_str());
  } else {
    std::printf(
        "whole run (warm-up included): %s changes in %s pages, %s bytes of JSON; %s of %d "
        "connections read to the end; last cursor %s\n",
        Grouped(s.acked_events).c_str(), Grouped(s.http_200).c_str(),
        Grouped(s.reply_bytes).c_str(), Grouped(s.drained_connections).c_str(), options.connections,
        s.last_cursor.empty() ? "none" : s.last_cursor.c_str());
    std::printf("HTTP status: 200 %s, other %s (400 %s, 429 %s, 503 %s)\n",
                Grouped(s.http_200).c_str(), Grouped(refused).c_str(), Grouped(s.http_400).c_str(),
                Grouped(s.http_429).c_str(), Grouped(s.http_503).c_str());
  }
  std::printf(
      "errors %s: connect %s, connection %s (timeouts %s), lost requests %s, protocol %s; "
      "back-offs %s, reconnects %s, server closes %s, internal %s\n",
      Grouped(errors).c_str(), Grouped(s.connect_errors).c_str(),
      Grouped(s.connection_errors).c_str(), Grouped(s.timeouts).c_str(),
      Grouped(s.lost_batches).c_str(), Grouped(s.protocol_errors).c_str(),
      Grouped(s.backoffs).c_str(), Grouped(s.reconnects).c_str(), Grouped(s.server_closes).c_str(),
      Grouped(s.internal_errors).c_str());
  if (options.rate > 0) {
    std::printf("open loop: worst start lag behind schedule %.3f ms, requests never started %s\n",
                static_cast<double>(s.max_lag.count()) / 1000.0, Grouped(s.unsent_batches).c_str());
  }
  JsonLine line("loadgen-result");
  line.Add("mode", ModeName(options.mode))
      .Add("connections", static_cast<std::uint64_t>(options.connections))
      .Add("measured_s", outcome.measured_s, 3);
  if (profiles) {
    line.Add("rate", options.rate, 0)
        .Add("requests_per_s", requests_per_s, 1)
        .Add("bytes_per_s", bytes_per_s, 0);
  } else {
    line.Add("page_size", static_cast<std::uint64_t>(options.page_size))
        .Add("after", options.after)
        .Add("changes_per_s", changes_per_s, 1)
        .Add("pages_per_s", requests_per_s, 2)
        .Add("bytes_per_s", bytes_per_s, 0);
  }
  line.Add("p50_ms", Millis(h.ValueAtQuantile(0.5)), 3)
      .Add("p90_ms", Millis(h.ValueAtQuantile(0.9)), 3)
      .Add("p99_ms", Millis(h.ValueAtQuantile(0.99)), 3)
      .Add("p999_ms", Millis(h.ValueAtQuantile(0.999)), 3)
      .Add("max_ms", Millis(h.max()), 3);
  if (profiles) {
    line.Add("requests_measured", h.count())
        .Add("answered", s.acked_events)
        .Add("sent", s.sent_batches)
        .Add("http_200", s.http_200)
        .Add("http_404", s.http_404);
  } else {
    line.Add("pages_measured", h.count())
        .Add("changes_measured", s.measured_events)
        .Add("changes", s.acked_events)
        .Add("pages", s.http_200)
        .Add("bytes", s.reply_bytes)
        .Add("drained", drained)
        .Add("next", s.last_cursor.c_str());
  }
  line.Add("http_other", refused)
      .Add("errors", errors)
      .Add("connect_errors", s.connect_errors)
      .Add("connection_errors", s.connection_errors)
      .Add("protocol_errors", s.protocol_errors);
  if (profiles) line.Add("unsent_requests", s.unsent_batches);
  line.Add("aborted", !outcome.abort_reason.empty());
  line.Print();
}

std::string FatalStatusReason(Mode mode, int status) {
  const bool read = IsReadMode(mode);
  switch (status) {
    case 400:
      return "the server rejected the request (400); is --page-size over its limit, or --after "
             "not a cursor it issued?";
    case 401: return "the server rejected the key (401)";
    case 403:
      return read ? "the key lacks the read scope (403)" : "the key lacks the write scope (403)";
    case 404:
      return read ? "the server has no such route (404); is the change feed served?"
                  : "the server has no such route (404); is ingest served?";
    default: return "the server refused the method (" + std::to_string(status) + ")";
  }
}

// Runs the workers, prints progress once a second, and stops them at the end of the run or
// as soon as it cannot succeed.
Outcome RunNetwork(const LoadgenOptions& options) {
  Outcome outcome;
  SharedState shared;
  const bool read = IsReadMode(options.mode);
  RunPlan plan;
  plan.start = SteadyClock::now();
  plan.measure_start = plan.start + Seconds(options.warmup_s);
  plan.end = plan.measure_start + Seconds(options.duration_s);
  plan.by_count = options.count > 0;
  shared.remaining.store(static_cast<std::int64_t>(options.count));
  const std::string run_id = options.run_id.empty() ? RandomRunId() : options.run_id;

  const int threads = std::min(options.threads, options.connections);
  std::vector<std::unique_ptr<Worker>> workers;
  for (int t = 0; t < threads; ++t) {
    auto worker = Worker::Create(options, plan, run_id, t, threads, &shared);
    if (!worker.ok()) {
      outcome.abort_reason = std::string(worker.status().message());
      outcome.unreachable = true;
      return outcome;
    }
    workers.push_back(std::move(*worker));
  }
  std::fprintf(stderr, "cdp loadgen: run %s, %s to %s, %d connections on %d threads\n",
               run_id.c_str(), ModeName(options.mode), options.target.c_str(), options.connections,
               threads);

  g_interrupted = 0;
  const auto previous_int = std::signal(SIGINT, OnInterrupt);
  const auto previous_term = std::signal(SIGTERM, OnInterrupt);
  for (auto& worker : workers) worker->Start();

  SteadyTime stop_at{};  // when stop was requested; replies are awaited for a while after
  SteadyTime next_report = plan.start + std::chrono::seconds(1);
  SteadyTime last_up = plan.start;
  std::uint64_t last_acked = 0;
  SteadyTime last_report = plan.start;
  auto all_done = [&workers] {
    return std::all_of(workers.begin(), workers.end(), [](const auto& w) { return w->done(); });
  };
  auto request_stop = [&](std::string reason) {
    if (stop_at != SteadyTime{}) return;
    stop_at = SteadyClock::now();
    if (outcome.abort_reason.empty()) outcome.abort_reason = std::move(reason);
    shared.stop.store(true);
  };
  while (!all_done()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const SteadyTime now = SteadyClock::now();
    const std::uint64_t acked = shared.acked_events.load();
    // Read modes: an answered request is progress even when it held no change.
    const std::uint64_t answered = read ? shared.replies.load() : acked;
    if (shared.connections_up.load() > 0) last_up = now;
    if (g_interrupted != 0) request_stop("interrupted");
    if (const int status = shared.fatal_status.load(); status != 0) {
      request_stop(FatalStatusReason(options.mode, status));
    }
    if (!shared.ever_connected.load() && now - plan.start >= kUnreachableAfter) {
      outcome.unreachable = true;
      request_stop("target unreachable: no connection in " +
                   std::to_string(kUnreachableAfter.count()) + " s");
    }
    if (shared.ever_connected.load() && now - last_up >= kAllDownFor) {
      request_stop("every connection was down for " + std::to_string(kAllDownFor.count()) + " s");
    }
    if (answered == 0 && now - plan.start >= kNothingAckedFor) {
      request_stop(std::string(read ? "nothing answered in " : "nothing acked in ") +
                   std::to_string(kNothingAckedFor.count()) + " s");
    }
    if (!plan.by_count && now >= plan.end && stop_at == SteadyTime{}) {
      stop_at = now;  // a normal end: the workers stop by themselves
      shared.stop.store(true);
    }
    if (stop_at != SteadyTime{}) {
      const auto grace = outcome.abort_reason.empty()
                             ? Seconds(options.timeout_s) + std::chrono::seconds(1)
                             : std::chrono::duration_cast<SteadyClock::duration>(kAbortGrace);
      if (now - stop_at >= grace) break;
    }
    if (now >= next_report) {
      const double interval = SecondsBetween(last_report, now);
      const char* phase = last_report < plan.measure_start ? "warm-up" : "measure";
      if (options.mode == Mode::kProfiles) {
        std::fprintf(
            stderr, "[%5.0fs] %-8s %9.0f req/s  answered %s  errors %s  connections %d/%d\n",
            SecondsBetween(plan.start, now), phase, PerSecond(acked - last_acked, interval),
            Grouped(acked).c_str(), Grouped(shared.errors.load()).c_str(),
            shared.connections_up.load(), options.connections);
      } else if (options.mode == Mode::kChanges) {
        std::fprintf(
            stderr,
            "[%5.0fs] %-8s %9.0f changes/s  read %s in %s pages  errors %s  connections %d/%d\n",
            SecondsBetween(plan.start, now), phase, PerSecond(acked - last_acked, interval),
            Grouped(acked).c_str(), Grouped(answered).c_str(),
            Grouped(shared.errors.load()).c_str(), shared.connections_up.load(),
            options.connections);
      } else {
        std::fprintf(stderr, "[%5.0fs] %-8s %9.0f ev/s  acked %s  errors %s  connections %d/%d\n",
                     SecondsBetween(plan.start, now), phase,
                     PerSecond(acked - last_acked, interval), Grouped(acked).c_str(),
                     Grouped(shared.errors.load()).c_str(), shared.connections_up.load(),
                     options.connections);
      }
      last_acked = acked;
      last_report = now;
      next_report += std::chrono::seconds(1);
    }
  }
  const SteadyTime finished = SteadyClock::now();
  for (auto& worker : workers) worker->Abort();
  for (auto& worker : workers) worker->Join();
  std::signal(SIGINT, previous_int);
  std::signal(SIGTERM, previous_term);

  for (const auto& worker : workers) outcome.stats.Merge(worker->stats());
  // Duration mode: the measured window runs to the end (or the last ack after it, or the
  // stop). Count mode: to the last measured ack.
  SteadyTime window_end = outcome.stats.last_measured_ack;
  if (options.mode == Mode::kChanges && outcome.abort_reason.empty() &&
      outcome.stats.drained_connections == static_cast<std::uint64_t>(options.connections)) {
    // Every connection read to the end of the feed: the window ends with the last page
    // (an empty one), before the end of the run.
    window_end = std::max(window_end, plan.measure_start);
  } else if (!plan.by_count) {
    window_end =
        std::max(window_end, outcome.abort_reason.empty() ? plan.end : std::min(finished, stop_at));
  }
  outcome.measured_s = std::max(0.0, SecondsBetween(plan.measure_start, window_end));
  return outcome;
}

// Runs a read mode and prints its summary; returns the exit code (see RunLoadgen).
int RunReads(const LoadgenOptions& options) {
  const Outcome outcome = RunNetwork(options);
  PrintReadSummary(options, outcome);
  const WorkerStats& s = outcome.stats;
  const std::uint64_t answered = options.mode == Mode::kProfiles ? s.acked_events : s.http_200;
  if (outcome.unreachable) {
    std::fprintf(stderr, "cdp loadgen: %s\n", outcome.abort_reason.c_str());
    return 1;
  }
  if (answered == 0) {
    std::fprintf(stderr, "cdp loadgen: no request was answered%s%s\n",
                 outcome.abort_reason.empty() ? "" : ": ", outcome.abort_reason.c_str());
    return 1;
  }
  if (!outcome.abort_reason.empty()) {
    std::fprintf(stderr, "cdp loadgen: the run did not complete: %s\n",
                 outcome.abort_reason.c_str());
    return 1;
  }
  if (options.mode == Mode::kProfiles && s.http_200 == 0) {
    std::fprintf(stderr,
                 "cdp loadgen: no profile was found (every answer was 404): was the store filled "
                 "by `cdp loadgen` with this --population?\n");
    return 1;
  }
  return 0;
}

bool ValidRunId(const std::string& id) {
  return id.size() <= 32 && std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-';
         });
}

}  // namespace

bool IsReadMode(Mode mode) { return mode == Mode::kProfiles || mode == Mode::kChanges; }

Status LoadgenOptions::Validate() const {
  const bool offline = dry_run || dump > 0;
  const bool read = IsReadMode(mode);
  if (read && offline) {
    return InvalidArgumentError("--dry-run and --dump generate events: use --mode http or ws");
  }
  if (auto target_ok = ParseTarget(target); !target_ok.ok()) return target_ok.status();
  if (!offline && key.empty()) {
    return InvalidArgumentError(read ? "--key is required (a read key)"
                                     : "--key is required (a write key)");
  }
  for (char c : key) {
    if (c <= ' ' || c == 127 || c == ':') {
      return InvalidArgumentError("--key must be printable ASCII without spaces or ':'");
    }
  }
  if (connections < 1 || connections > 10'000) {
    return InvalidArgumentError("--connections must be in 1..10000");
  }
  if (batch_size < 1 || batch_size > kMaxBatchSize) {
    return InvalidArgumentError("--batch-size must be in 1..2500 (the API's batch limit)");
  }
  if (!(duration_s > 0 && duration_s <= 7 * 86'400)) {
    return InvalidArgumentError("--duration must be in (0, 604800] seconds");
  }
  if (count > std::uint64_t{1} << 40) return InvalidArgumentError("--count is too large");
  if (!(warmup_s >= 0 && warmup_s <= 3'600)) {
    return InvalidArgumentError("--warmup must be in [0, 3600] seconds");
  }
  if (!(rate >= 0 && rate <= 1e9)) return InvalidArgumentError("--rate must be in [0, 1e9]");
  if (mode == Mode::kChanges && rate > 0) {
    return InvalidArgumentError(
        "--rate does not apply to --mode changes (pages are read closed loop)");
  }
  if (mode == Mode::kChanges && count > 0) {
    return InvalidArgumentError(
        "--count does not apply to --mode changes (it reads to the end of the feed or --duration)");
  }
  // The read modes send one request at a time whatever --batch-size says.
  const int per_request = read ? 1 : batch_size;
  if (rate > 0 && per_request * static_cast<double>(connections) / rate < 1e-6) {
    return InvalidArgumentError(
        read ? "--rate is too high for --connections (over a million requests/s per connection)"
             : "--rate is too high for --batch-size and --connections (over a million batches/s)");
  }
  if (gzip && mode != Mode::kHttp) return InvalidArgumentError("--gzip applies to --mode http");
  if (gzip_level < 1 || gzip_level > 9) return InvalidArgumentError("--gzip-level must be 1..9");
  if (window < 1 || window > 4'096) return InvalidArgumentError("--window must be in 1..4096");
  if (threads < 1 || threads > 256) return InvalidArgumentError("--threads must be in 1..256");
  if (!(timeout_s >= 0.1 && timeout_s <= 3'600)) {
    return InvalidArgumentError("--timeout must be in [0.1, 3600] seconds");
  }
  if (population < 1 || population > 10'000'000) {
    return InvalidArgumentError("--population must be in 1..10000000");
  }
  if (!ValidRunId(run_id)) {
    return InvalidArgumentError("--run-id must be at most 32 of [A-Za-z0-9_-]");
  }
  if (dump < 0 || dump > 10'000'000) return InvalidArgumentError("--dump must be in 0..10000000");
  if (page_size < 1 || page_size > kMaxChangesPageSize) {
    return InvalidArgumentError("--page-size must be in 1..10000 (the API's page limit)");
  }
  return Status::Ok();
}

int RunLoadgen(const LoadgenOptions& options) {
  if (Status s = options.Validate(); !s.ok()) {
    std::fprintf(stderr, "cdp loadgen: %s\n", std::string(s.message()).c_str());
    return 2;
  }
  if (options.dump > 0) return RunDump(options);
  if (options.dry_run) return RunDryRun(options);
  if (IsReadMode(options.mode)) {
    LoadgenOptions read = options;
    read.batch_size = 1;  // one request, one item (kChanges counts a page's changes itself)
    return RunReads(read);
  }
  const Outcome outcome = RunNetwork(options);
  PrintSummary(options, outcome);
  if (outcome.unreachable) {
    std::fprintf(stderr, "cdp loadgen: %s\n", outcome.abort_reason.c_str());
    return 1;
  }
  if (outcome.stats.acked_events > 0 && !outcome.abort_reason.empty()) {
    std::fprintf(stderr, "cdp loadgen: the run did not complete: %s\n",
                 outcome.abort_reason.c_str());
    return 1;
  }
  if (outcome.stats.acked_events == 0) {
    std::fprintf(stderr, "cdp loadgen: nothing was acked%s%s\n",
                 outcome.abort_reason.empty() ? "" : ": ", outcome.abort_reason.c_str());
    return 1;
  }
  return 0;
}

}  // namespace cdp::loadgen
