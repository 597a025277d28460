// The change feed of API.md: GET /v1/changes (pages of the durable feed by cursor) and the
// WebSocket GET /v1/subscribe, which catches up from a cursor and then pushes changes as they
// are committed. Subscribers read the feed from the store on their own thread, so a slow one
// never slows ingest; one that stops reading is cut off.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "api/http_server.h"
#include "api/router.h"
#include "cdp/auth.h"
#include "cdp/metrics.h"
#include "storage/store.h"

namespace cdp::api {

struct ChangeFeedOptions {
  // Largest `limit` of GET /v1/changes, and its default.
  std::size_t max_page = 10'000;
  std::size_t default_page = 1'000;
  // Most changes in one pushed WebSocket message.
  std::size_t frame_changes = 1'000;
  // Bytes a subscriber may have queued and unsent: past half of it no more is read for it;
  // when its queue stays past half for `stall_timeout`, it is cut off (close code 1008 with a
  // reason naming the cursor to resume from).
  std::size_t subscriber_buffer_bytes = std::size_t{4} << 20;
  std::chrono::milliseconds stall_timeout{10'000};
  // Most subscribers at once; more are refused with 503.
  std::size_t max_subscribers = 1'000;

  Status Validate() const;
};

// Renders change-feed cursors: the decimal feed sequence of the last change delivered ("0"
// before the first).
std::string FormatChangeCursor(std::uint64_t sequence);
// kInvalidArgument unless `text` is a cursor FormatChangeCursor gives.
Result<std::uint64_t> ParseChangeCursor(std::string_view text);

// Thread-safe. Starts its push thread on construction and stops it on destruction; the store
// and metrics must outlive it. Register Notify as the store's change listener.
class ChangeFeed {
 public:
  ChangeFeed(storage::Store* store, std::shared_ptr<const KeySet> keys, ChangeFeedOptions options,
             MetricsRegistry* metrics);
  ~ChangeFeed();
  ChangeFeed(const ChangeFeed&) = delete;
  ChangeFeed& operator=(const ChangeFeed&) = delete;

  void AddRoutes(Router& router);
  // The acceptor of GET /v1/subscribe upgrades.
  WebSocketRoute SubscribeRoute();
  // New changes were committed up to `last` (the store's change listener): wakes the push
  // thread. Cheap; never blocks on subscribers.
  void Notify(std::uint64_t last);

 private:
  struct Subscriber;
  class SubscriberHandler;

  void HandleChanges(HttpRequest&& request, Responder respond) const;
  // Renders `{"changes": [...], "next": cursor}` for the entries after `after`.
  Result<std::string> RenderPage(std::uint64_t after, std::size_t limit) const;
  void Run();
  // One round over the subscribers; true when one of them still has changes to read now.
  bool PushRound();

  storage::Store* store_;
  std::shared_ptr<const KeySet> keys_;
  const ChangeFeedOptions options_;
  Gauge* subscribers_gauge_ = nullptr;
  Counter* cut_off_ = nullptr;
  Counter* pushed_ = nullptr;

  std::mutex mu_;
  std::condition_variable wake_;
  bool notified_ = false;                                 // guarded by mu_
  bool stop_ = false;                                     // guarded by mu_
  std::vector<std::shared_ptr<Subscriber>> subscribers_;  // guarded by mu_
  std::thread thread_;
};

}  // namespace cdp::api
