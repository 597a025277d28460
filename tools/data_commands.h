// Offline commands on a stopped data directory: `cdp import` (bulk NDJSON load), `cdp rebuild`
// (recompute the identity graph from the event log) and `cdp events` (print the newest stored
// events).
#pragma once

#include <cstddef>
#include <string>

#include "cdp/config.h"
#include "ingest/segment_parser.h"

namespace cdp::tools {

// The config file at `path` (`--config`; an empty path gives the defaults). kNotFound,
// kIoError, or kInvalidArgument naming the offending field.
Result<Config> LoadConfigFile(const std::string& path);

struct ImportOptions {
  std::string data_dir;
  std::string file;  // NDJSON: one Segment message (with "type") per line
  // Messages per write; the WAL is synced once at the end (bulk-load durability).
  std::size_t batch_size = 5000;
  // Stop at the first invalid line (the lines before it are stored) instead of skipping it.
  bool strict = false;
  // Progress on stderr (a bar when it is a terminal, a line a second otherwise).
  bool progress = true;
  ingest::IngestLimits limits;
  // The server's configuration (`--config`): its identity rules decide the graph.
  Config config;
};

// Returns the process exit code: 0 when every line was stored or a duplicate, 1 when some
// lines were invalid (skipped) or on an error, after printing a summary.
int RunImport(const ImportOptions& options);

struct RebuildOptions {
  std::string data_dir;
  Config config;  // the identity rules to rebuild under
  // Compare only: exit 1 when the stored graph differs, change nothing.
  bool check = false;
  bool progress = true;
};

// `cdp rebuild`: recomputes the identity graph from the event log (replaying stored splits at
// their place in the log), compares it with the stored graph record by record and, unless
// `check`, replaces the stored one when they differ. Returns the exit code.
int RunRebuild(const RebuildOptions& options);

// Prints the newest `limit` stored events as NDJSON, newest first. Returns the exit code.
int RunEvents(const std::string& data_dir, std::size_t limit);

}  // namespace cdp::tools
