// Offline commands on a stopped data directory: `cdp import` (bulk NDJSON load) and
// `cdp events` (print the newest stored events).
#pragma once

#include <cstddef>
#include <string>

#include "ingest/segment_parser.h"

namespace cdp::tools {

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
};

// Returns the process exit code: 0 when every line was stored or a duplicate, 1 when some
// lines were invalid (skipped) or on an error, after printing a summary.
int RunImport(const ImportOptions& options);

// Prints the newest `limit` stored events as NDJSON, newest first. Returns the exit code.
int RunEvents(const std::string& data_dir, std::size_t limit);

}  // namespace cdp::tools
