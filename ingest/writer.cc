#include "ingest/writer.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "cdp/log.h"

namespace cdp::ingest {
namespace {

// A request of events, or a task when `task` is set.
struct Request {
  std::vector<Event> events;
  std::size_t bytes = 0;
  WriteCallback done;
  WriterTask task;
  TaskCallback task_done;
};

std::vector<double> GroupSizeBuckets() {
  return {1, 10, 100, 500, 1000, 2500, 5000, 10000, 20000, 50000};
}

}  // namespace

Status WriterOptions::Validate() const {
  if (max_queued_events == 0) return InvalidArgumentError("max_queued_events: at least 1");
  if (max_queued_bytes == 0) return InvalidArgumentError("max_queued_bytes: at least 1");
  if (max_group_events == 0) return InvalidArgumentError("max_group_events: at least 1");
  return Status::Ok();
}

struct IngestWriter::Rep {
  EventStore* store = nullptr;
  WriterOptions options;
  mutable std::mutex mu;
  std::condition_variable wake;
  std::deque<Request> queue;  // guarded by mu
  bool stopping = false;      // guarded by mu
  // Queue depth, shared with the metric callbacks so that they stay valid after the writer.
  struct Gauges {
    std::atomic<std::size_t> queued_events{0};  // written under mu
    std::atomic<std::size_t> queued_bytes{0};   // written under mu
  };
  std::shared_ptr<Gauges> gauges = std::make_shared<Gauges>();
  std::thread thread;
  std::mutex stop_mu;

  Histogram* commit_latency = nullptr;
  Histogram* group_events = nullptr;
  Histogram* group_requests = nullptr;
  Counter* commit_errors = nullptr;
  Counter* events_duplicate = nullptr;

  void Run() {
    std::vector<Request> group;
    std::vector<Event> events;
    std::vector<std::uint8_t> stored;
    for (;;) {
      group.clear();
      {
        std::unique_lock lock(mu);
        wake.wait(lock, [&] { return !queue.empty() || stopping; });
        if (queue.empty()) return;  // stopping and drained
        std::size_t n = 0;
        if (queue.front().task) {
          group.push_back(std::move(queue.front()));
          queue.pop_front();
        } else {
          while (!queue.empty() && !queue.front().task &&
                 (group.empty() || n < options.max_group_events)) {
            n += queue.front().events.size();
            group.push_back(std::move(queue.front()));
            queue.pop_front();
          }
        }
      }
      if (group.front().task) {
        const Status status = group.front().task(*store);
        if (!status.ok()) LogError("writer task failed: " + status.ToString());
        group.front().task_done(status);
        continue;
      }
      events.clear();
      for (Request& r : group) {
        for (Event& e : r.events) events.push_back(std::move(e));
      }
      const auto start = std::chrono::steady_clock::now();
      const Status status =
          store->Commit(events, CommitOptions{options.sync, options.applier}, &stored);
      const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
      commit_latency->Observe(took.count());
      group_events->Observe(static_cast<double>(events.size()));
      group_requests->Observe(static_cast<double>(group.size()));
      if (!status.ok()) {
        commit_errors->Increment();
        LogError("commit of " + std::to_string(events.size()) +
                 " events failed: " + status.ToString());
      }
      std::size_t released_events = 0;
      std::size_t released_bytes = 0;
      for (const Request& r : group) {
        released_events += r.events.size();
        released_bytes += r.bytes;
      }
      {
        // Released before the acknowledgements, so that a client that sends its next request
        // on an acknowledgement finds the room.
        std::lock_guard lock(mu);
        gauges->queued_events -= released_events;
        gauges->queued_bytes -= released_bytes;
      }
      std::size_t offset = 0;
      for (Request& r : group) {
        WriteOutcome outcome;
        outcome.status = status;
        if (status.ok()) {
          for (std::size_t i = 0; i < r.events.size(); ++i) outcome.stored += stored[offset + i];
          outcome.duplicates = r.events.size() - outcome.stored;
          events_duplicate->Increment(outcome.duplicates);
        }
        offset += r.events.size();
        r.done(outcome);
      }
    }
  }
};

IngestWriter::IngestWriter(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}

IngestWriter::~IngestWriter() { Stop(); }

Result<std::unique_ptr<IngestWriter>> IngestWriter::Start(EventStore* store,
                                                          const WriterOptions& options,
                                                          MetricsRegistry* metrics) {
  CDP_RETURN_IF_ERROR(options.Validate());
  auto rep = std::make_unique<Rep>();
  rep->store = store;
  rep->options = options;
  rep->commit_latency =
      &metrics->AddHistogram("cdp_ingest_commit_latency_seconds",
                             "Time to commit one group of events durably", LatencyBucketsSeconds());
  rep->group_events = &metrics->AddHistogram("cdp_ingest_group_events", "Events per group commit",
                                             GroupSizeBuckets());
  rep->group_requests = &metrics->AddHistogram(
      "cdp_ingest_group_requests", "Requests (or frames) per group commit", GroupSizeBuckets());
  rep->commit_errors =
      &metrics->AddCounter("cdp_ingest_commit_errors_total", "Group commits that failed");
  rep->events_duplicate =
      &metrics->AddCounter("cdp_ingest_events_duplicate_total",
                           "Acknowledged events whose messageId was already stored");
  std::shared_ptr<Rep::Gauges> gauges = rep->gauges;
  metrics->AddCallbackGauge("cdp_ingest_queue_events", "Events queued for the writer",
                            [gauges] { return static_cast<double>(gauges->queued_events.load()); });
  metrics->AddCallbackGauge("cdp_ingest_queue_bytes", "Bytes of events queued for the writer",
                            [gauges] { return static_cast<double>(gauges->queued_bytes.load()); });
  Rep* r = rep.get();
  rep->thread = std::thread([r] { r->Run(); });
  return std::unique_ptr<IngestWriter>(new IngestWriter(std::move(rep)));
}

Status IngestWriter::Submit(std::vector<Event>&& events, WriteCallback done) {
  std::size_t bytes = 0;
  for (const Event& e : events) bytes += e.json.size() + e.message_id.size();
  {
    std::lock_guard lock(rep_->mu);
    if (rep_->stopping) return UnavailableError("the server is shutting down");
    const bool empty = rep_->queue.empty();
    Rep::Gauges& g = *rep_->gauges;
    if (!empty && (g.queued_events + events.size() > rep_->options.max_queued_events ||
                   g.queued_bytes + bytes > rep_->options.max_queued_bytes)) {
      return ResourceExhaustedError("the ingest queue is full; retry later");
    }
    g.queued_events += events.size();
    g.queued_bytes += bytes;
    Request r;
    r.events = std::move(events);
    r.bytes = bytes;
    r.done = std::move(done);
    rep_->queue.push_back(std::move(r));
  }
  rep_->wake.notify_one();
  return Status::Ok();
}

Status IngestWriter::SubmitTask(WriterTask task, TaskCallback done) {
  {
    std::lock_guard lock(rep_->mu);
    if (rep_->stopping) return UnavailableError("the server is shutting down");
    Request r;
    r.task = std::move(task);
    r.task_done = std::move(done);
    rep_->queue.push_back(std::move(r));
  }
  rep_->wake.notify_one();
  return Status::Ok();
}

void IngestWriter::Stop() {
  std::lock_guard stop_lock(rep_->stop_mu);
  {
    std::lock_guard lock(rep_->mu);
    rep_->stopping = true;
  }
  rep_->wake.notify_one();
  if (rep_->thread.joinable()) rep_->thread.join();
}

std::size_t IngestWriter::queued_events() const { return rep_->gauges->queued_events.load(); }

}  // namespace cdp::ingest
