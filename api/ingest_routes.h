// The ingest endpoints of API.md: POST /v1/identify|track|page|screen|group|alias|batch and the
// WebSocket stream GET /v1/stream. Authenticates, decompresses, parses and validates, hands
// the events to the single writer, and answers once they are durable.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include "api/http_server.h"
#include "api/router.h"
#include "cdp/auth.h"
#include "cdp/clock.h"
#include "cdp/metrics.h"
#include "ingest/segment_parser.h"
#include "ingest/writer.h"

namespace cdp::api {

// Thread-safe. The writer, keys, metrics, clock and `accepting` flag must outlive it.
class IngestService {
 public:
  // `parser_options` configure each request's parser (limits, identifier rules, phones).
  IngestService(ingest::IngestWriter* writer, std::shared_ptr<const KeySet> keys,
                ingest::SegmentParserOptions parser_options, MetricsRegistry* metrics,
                const Clock* clock, const std::atomic<bool>* accepting);
  ~IngestService();
  IngestService(const IngestService&) = delete;
  IngestService& operator=(const IngestService&) = delete;

  // Registers the POST routes.
  void AddRoutes(Router& router);
  // The acceptor of GET /v1/stream upgrades.
  WebSocketRoute StreamRoute();

  // Counts a rejected request or frame under `reason` (a pre-registered label; unknown
  // reasons count as "other").
  void CountRejected(std::string_view reason);

 private:
  class StreamHandler;

  // Handles one POST request: `type` is nullopt for /v1/batch.
  void HandlePost(std::optional<EventType> type, HttpRequest&& request, Responder respond);
  // Submits parsed events; `finish` receives the outcome (on the writer thread), or an error
  // status at once when the queue refuses them.
  void Submit(std::vector<Event>&& events,
              std::function<void(const Status&, std::size_t accepted)> finish);

  std::unique_ptr<ingest::SegmentParser> AcquireParser();
  void ReleaseParser(std::unique_ptr<ingest::SegmentParser> parser);

  ingest::IngestWriter* writer_;
  std::shared_ptr<const KeySet> keys_;
  ingest::SegmentParserOptions parser_options_;
  const ingest::IngestLimits& limits_;  // parser_options_.limits
  const Clock* clock_;
  const std::atomic<bool>* accepting_;

  std::mutex parsers_mu_;
  std::vector<std::unique_ptr<ingest::SegmentParser>> parsers_;  // idle, reused

  struct Metrics;
  std::unique_ptr<Metrics> metrics_;
};

}  // namespace cdp::api
