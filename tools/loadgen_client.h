// The network side of `cdp loadgen`: workers that each run a share of the connections (HTTP
// keep-alive or WebSocket; ingest or reads) on their own thread, and the state they share with
// the reporter.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "cdp/status.h"
#include "tools/loadgen.h"
#include "tools/loadgen_histogram.h"

namespace cdp::loadgen {

using SteadyTime = std::chrono::steady_clock::time_point;

// The phases of a run, fixed before the workers start.
struct RunPlan {
  SteadyTime start;
  // Batches whose (scheduled) start is at or after this are measured.
  SteadyTime measure_start;
  // Duration mode: no batch starts at or after this. Count mode: unused.
  SteadyTime end;
  bool by_count = false;
};

// What the workers and the reporting thread share. Thread-safe (atomics only).
struct SharedState {
  // Count mode: events still to send after the warm-up (may go negative).
  std::atomic<std::int64_t> remaining{0};
  // Set by the reporter: start no more batches; finish what is in flight.
  std::atomic<bool> stop{false};

  // Whole-run totals for progress lines (warm-up included).
  std::atomic<std::uint64_t> sent_events{0};
  // Ingest: events acked. kProfiles: requests answered (200 or 404). kChanges: changes read.
  std::atomic<std::uint64_t> acked_events{0};
  // Read modes: requests answered (kChanges: pages, empty ones included).
  std::atomic<std::uint64_t> replies{0};
  std::atomic<std::uint64_t> errors{0};
  std::atomic<int> connections_up{0};
  std::atomic<bool> ever_connected{false};
  // The first HTTP status that means the run cannot succeed (401, 403, 404, 405; kChanges also
  // 400; kProfiles not 404, which means "no such profile"); 0 if none.
  std::atomic<int> fatal_status{0};
};

// Per-worker outcome counts, latency and timing; merged after the workers stop. In the read
// modes a "batch" is one request and its "events" are 1 (kProfiles) or the changes a page
// held (kChanges).
struct WorkerStats {
  LatencyHistogram latency;           // microseconds, measured acked batches only
  std::uint64_t measured_events = 0;  // acked events of measured batches
  std::uint64_t measured_batches = 0;
  std::uint64_t measured_reply_bytes = 0;  // read modes: reply bodies of measured requests
  SteadyTime last_measured_ack{};
  std::uint64_t sent_events = 0;
  std::uint64_t sent_batches = 0;
  std::uint64_t acked_events = 0;
  std::uint64_t accepted_events = 0;  // WebSocket: the server's "accepted" counts
  std::uint64_t wire_bytes = 0;       // request bodies or frames as sent (after gzip)
  std::uint64_t raw_bytes = 0;        // the same before gzip
  std::uint64_t reply_bytes = 0;      // read modes: reply bodies of answered requests
  std::uint64_t http_200 = 0;
  std::uint64_t http_404 = 0;  // kProfiles: no such profile (an answer, not an error)
  std::uint64_t http_400 = 0;
  std::uint64_t http_413 = 0;
  std::uint64_t http_429 = 0;
  std::uint64_t http_503 = 0;
  std::uint64_t http_other = 0;
  std::uint64_t nacks = 0;
  std::uint64_t nacks_overload = 0;     // nack codes resource_exhausted or unavailable
  std::uint64_t backoffs = 0;           // Retry-After (or overload nack) pauses honoured
  std::uint64_t connect_errors = 0;     // failed connects or WebSocket upgrades
  std::uint64_t connection_errors = 0;  // an established connection failed (incl. timeouts)
  std::uint64_t timeouts = 0;
  std::uint64_t protocol_errors = 0;  // unparseable or out-of-order replies
  std::uint64_t lost_batches = 0;     // sent but never answered (connection failed)
  std::uint64_t reconnects = 0;       // connections opened after the first
  std::uint64_t server_closes = 0;  // the server closed a connection (Connection: close, WS close)
  std::uint64_t internal_errors = 0;  // exceptions caught at a barrier
  // Open loop: batches that were due before the end but never started (the client fell
  // behind), and the worst lateness of a batch's actual start behind its schedule.
  std::uint64_t unsent_batches = 0;
  std::chrono::microseconds max_lag{0};
  // kChanges: connections that read an empty page (the end of the feed), and the `next`
  // cursor of the furthest page read (empty if none).
  std::uint64_t drained_connections = 0;
  std::string last_cursor;

  void Merge(const WorkerStats& other);
  // Errors of every kind, for the summary.
  std::uint64_t ErrorCount() const;
};

// Runs a share of the connections on one thread. Thread-safe: Start/Abort/Join from the
// reporting thread; stats() only after Join().
class Worker {
 public:
  // Resolves the target. `connection_indices` are this worker's connections in [0,
  // options.connections). `shared` must outlive the worker. kInvalidArgument when the target
  // does not resolve.
  static Result<std::unique_ptr<Worker>> Create(const LoadgenOptions& options, const RunPlan& plan,
                                                std::string run_id, int first_connection,
                                                int stride, SharedState* shared);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void Start();
  // True once every connection of this worker has finished.
  bool done() const;
  // Stops the event loop at once, abandoning replies still awaited.
  void Abort();
  void Join();
  const WorkerStats& stats() const;

 private:
  struct Rep;
  explicit Worker(std::unique_ptr<Rep> rep);
  std::unique_ptr<Rep> rep_;
};

// A page of GET /v1/changes as the load generator reads it.
struct ChangesPage {
  std::uint64_t changes = 0;  // entries of its "changes" array
  std::string next;           // its "next" cursor
};
inline constexpr std::size_t kMaxCursorSize = 64;

// Counts the changes of a page body (`{"changes":[{"seq":...},...],"next":"C"}`) without
// parsing them and takes its cursor. nullopt when there is no "changes" array, or no "next"
// after it of 1 to kMaxCursorSize characters of [0-9A-Za-z_-].
std::optional<ChangesPage> ParseChangesPage(std::string_view body);

// Parses "HOST:PORT" or "[V6]:PORT". kInvalidArgument otherwise.
struct TargetAddress {
  std::string host;
  std::uint16_t port = 0;
};
Result<TargetAddress> ParseTarget(const std::string& text);

}  // namespace cdp::loadgen
