// The single-writer ingest pipeline: a bounded queue of requests into one thread that commits
// them in order, many requests per durable write (group commit), and then acknowledges them.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "cdp/event.h"
#include "cdp/event_store.h"
#include "cdp/metrics.h"
#include "cdp/status.h"

namespace cdp::ingest {

struct WriterOptions {
  // Admission bounds: a request that would take the queue past either is refused with
  // kResourceExhausted (429). A request arriving at an empty queue is always admitted.
  std::size_t max_queued_events = 200'000;
  std::size_t max_queued_bytes = std::size_t{128} << 20;
  // Most events committed in one write; a group closes at a request boundary past it.
  std::size_t max_group_events = 20'000;
  // Sync the WAL on each group (the durable default); false for tests and bulk loads.
  bool sync = true;
  // State kept in step with the log (the identity graph), applied inside each commit; not
  // owned, must outlive the writer. Null for none.
  CommitApplier* applier = nullptr;

  Status Validate() const;
};

// What happened to one submitted request.
struct WriteOutcome {
  Status status;               // ok once its events are durable
  std::size_t stored = 0;      // newly appended events
  std::size_t duplicates = 0;  // events whose messageId was already stored
};

// Runs once per request, on the writer thread; keep it short (post the real work elsewhere).
using WriteCallback = std::function<void(const WriteOutcome&)>;

// Work that must be serialised with the event writes (an operator's split of a profile): runs
// on the writer thread between two group commits, with the store.
using WriterTask = std::function<Status(EventStore& store)>;
using TaskCallback = std::function<void(const Status&)>;

// Thread-safe: any thread may Submit; one internal thread commits.
class IngestWriter {
 public:
  // Starts the writer thread. `store` and `metrics` must outlive the writer.
  static Result<std::unique_ptr<IngestWriter>> Start(EventStore* store,
                                                     const WriterOptions& options,
                                                     MetricsRegistry* metrics);
  ~IngestWriter();  // Stops.
  IngestWriter(const IngestWriter&) = delete;
  IngestWriter& operator=(const IngestWriter&) = delete;

  // Queues a request's events (in order); `done` runs once they are committed or failed.
  // Errors, after which nothing is queued and `done` is not called: kResourceExhausted when
  // the queue is full, kUnavailable once Stop() has begun.
  Status Submit(std::vector<Event>&& events, WriteCallback done);

  // Queues `task` behind the requests already queued; `done` runs with its status, on the
  // writer thread. Tasks are admitted even when the queue is full (they are operator actions,
  // few and small). Errors: kUnavailable once Stop() has begun.
  Status SubmitTask(WriterTask task, TaskCallback done);

  // Refuses new requests, commits every queued one, then joins the thread. Idempotent.
  void Stop();

  std::size_t queued_events() const;

 private:
  struct Rep;
  explicit IngestWriter(std::unique_ptr<Rep> rep);
  std::unique_ptr<Rep> rep_;
};

}  // namespace cdp::ingest
