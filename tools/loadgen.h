// `cdp loadgen`: drives a running `cdp serve` with synthetic Segment events over HTTP
// (POST /v1/batch) or WebSocket (GET /v1/stream), or reads from it (GET /v1/profiles/{ref},
// GET /v1/changes), and reports throughput and latency.
#pragma once

#include <cstdint>
#include <string>

#include "cdp/status.h"

namespace cdp::loadgen {

// kHttp and kWebSocket ingest; kProfiles and kChanges read (with a read key).
enum class Mode { kHttp, kWebSocket, kProfiles, kChanges };

// The API's largest change-feed page (`GET /v1/changes?limit=`).
inline constexpr int kMaxChangesPageSize = 10'000;

struct LoadgenOptions {
  // "HOST:PORT" or "[V6]:PORT"; the only address the run connects to.
  std::string target = "127.0.0.1:8080";
  // The write key (ingest modes) or read key (kProfiles, kChanges), sent as HTTP Basic user
  // name with an empty password.
  std::string key;
  Mode mode = Mode::kHttp;
  // Concurrent connections, each with its own event generator. kProfiles: one request in
  // flight on each. kChanges: each pages the whole feed from `after` on its own.
  int connections = 4;
  // Events per request (HTTP) or per frame (WebSocket); the API takes at most 2,500. The read
  // modes send one request at a time and ignore it.
  int batch_size = 100;
  // The run stops `duration_s` seconds after the warm-up, or once `count` events (kProfiles:
  // requests) were sent after the warm-up (when count > 0; then duration_s is ignored).
  // kChanges also stops once every connection has read an empty page.
  double duration_s = 60;
  std::uint64_t count = 0;
  // Seconds of traffic before measuring starts; nothing sent then is counted.
  double warmup_s = 5;
  // Offered load in events (kProfiles: requests) per second over all connections (open loop:
  // latency counts from each batch's scheduled time); 0 sends as fast as replies come (closed
  // loop). kChanges is always closed loop.
  double rate = 0;
  bool gzip = false;
  int gzip_level = 1;
  // WebSocket frames in flight per connection.
  int window = 8;
  // Seed of the event content; messageIds are unique per run whatever the seed.
  std::uint64_t seed = 1;
  // Distinct users the events are spread over; kProfiles looks up `user_id:` ids drawn
  // uniformly from the same users (u0000000 ..), so a store filled by loadgen with this
  // population holds them.
  std::uint32_t population = 1'000'000;
  // Network threads of the load generator (each runs a share of the connections).
  int threads = 1;
  // A reply slower than this closes the connection and counts as a connection error.
  double timeout_s = 30;
  // messageId prefix component; empty: random per run. [A-Za-z0-9_-], at most 32 characters.
  std::string run_id;
  // Generate events without a network for duration_s (or count events) and report the rate.
  bool dry_run = false;
  // Print this many generated events to stdout, one per line, and exit (no network).
  int dump = 0;
  // kChanges: the cursor the first page starts after (0: the beginning of the feed) and the
  // changes asked for per page (1..kMaxChangesPageSize).
  std::uint64_t after = 0;
  int page_size = kMaxChangesPageSize;

  // kInvalidArgument naming the first bad flag.
  Status Validate() const;
};

// True for the modes that read (kProfiles, kChanges).
bool IsReadMode(Mode mode);

// Runs the load generator; blocks until the run ends. Prints progress to stderr and the
// summary (with a `loadgen-result {...}` line) to stdout. Returns the process exit code:
// 0 when the run completed and events were acked (read modes: requests were answered, and
// kProfiles found at least one profile), whatever else was counted; 1 when nothing was acked,
// the target was unreachable or the run was cut short (a fatal HTTP status, every connection
// down, SIGINT); 2 for invalid options.
int RunLoadgen(const LoadgenOptions& options);

}  // namespace cdp::loadgen
