// The composition root of `cdp serve`: opens the store, loads the keys, wires the routes and
// runs the HTTP server until SIGINT or SIGTERM, then drains and closes everything cleanly.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "api/change_routes.h"
#include "api/http_server.h"
#include "cdp/status.h"
#include "ingest/segment_parser.h"
#include "ingest/writer.h"
#include "storage/store.h"

namespace cdp::api {

struct ServeOptions {
  // RocksDB directory; created if missing. Demo keys are kept in DIR/keys.json.
  std::string data_dir = "./data";
  // JSON config file (docs/CONFIG.md); empty for none.
  std::string config_path;
  // Listen address, port (0 picks a free one), threads, limits and timeouts.
  HttpServerOptions http;
  // Message, batch and nesting limits of the ingest endpoints.
  ingest::IngestLimits ingest_limits;
  // The writer's queue bounds and durability (sync per group commit, or not).
  ingest::WriterOptions writer;
  // RocksDB tuning and the dedup retention.
  storage::StoreOptions store;
  // Change-feed pages and subscriber bounds.
  ChangeFeedOptions change_feed;
};

struct ListenAddress {
  std::string host;
  std::uint16_t port = 0;
};

// Parses "ADDR:PORT" ("127.0.0.1:8080", "[::1]:8080", "0.0.0.0:0"). kInvalidArgument otherwise.
Result<ListenAddress> ParseListenAddress(std::string_view text);

// Runs the server and blocks until SIGINT or SIGTERM arrives, then shuts down gracefully.
// Prints the listening address ("cdp: listening on http://HOST:PORT") and, when it creates
// them, the demo keys to stdout. Returns ok after a clean shutdown; an error when start-up
// fails (the store is refused, the config is invalid, the port is taken).
// REQUIRES: called from the main thread before any other thread is started.
Status Serve(const ServeOptions& options);

}  // namespace cdp::api
