// Tests for ingest/writer.h against an in-memory EventStore: outcomes, ordering, group commit,
// backpressure, failed commits and shutdown.
#include "ingest/writer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "cdp/event_store.h"
#include "cdp/metrics.h"

namespace cdp::ingest {
namespace {

using namespace std::chrono_literals;

// Guards every wait in these tests against a hang; no test relies on it to pass.
constexpr auto kWaitLimit = 10s;

// An in-memory EventStore: deduplicates by message_id, records each commit, and can be told to
// fail one commit or to hold one until released. Thread-safe.
class FakeEventStore final : public EventStore {
 public:
  Status Commit(std::span<const Event> events, const CommitOptions& options,
                std::vector<std::uint8_t>* stored) override {
    std::unique_lock lock(mu_);
    const std::size_t n = ++attempts_;
    if (n == block_commit_) {
      blocked_ = true;
      changed_.notify_all();
      changed_.wait(lock, [&] { return released_; });
    }
    stored->assign(events.size(), 0);
    if (n == fail_commit_) return IoError("injected commit failure");
    std::set<std::string> added;
    for (std::size_t i = 0; i < events.size(); ++i) {
      const std::string& id = events[i].message_id;
      if (ids_.count(id) != 0 || !added.insert(id).second) continue;
      (*stored)[i] = 1;
      log_.push_back(id);
    }
    ids_.insert(added.begin(), added.end());
    group_sizes_.push_back(events.size());
    syncs_.push_back(options.sync);
    return Status::Ok();
  }

  std::uint64_t EventCount() const override {
    std::lock_guard lock(mu_);
    return log_.size();
  }

  Status CommitGraph(const GraphDelta& delta, const CommitOptions&) override {
    std::lock_guard lock(mu_);
    graph_commits_.push_back(delta.nodes.size());
    return Status::Ok();
  }

  std::uint64_t LastSequence() const override {
    std::lock_guard lock(mu_);
    return log_.size();
  }

  // Makes the `n`th Commit (1-based) fail with kIoError, storing nothing.
  void FailCommit(std::size_t n) {
    std::lock_guard lock(mu_);
    fail_commit_ = n;
  }
  // Makes the `n`th Commit wait, before it stores anything, until Release().
  void BlockCommit(std::size_t n) {
    std::lock_guard lock(mu_);
    block_commit_ = n;
  }
  // True once the blocked commit has begun (false after kWaitLimit).
  bool WaitUntilBlocked() {
    std::unique_lock lock(mu_);
    return changed_.wait_for(lock, kWaitLimit, [&] { return blocked_; });
  }
  void Release() {
    std::lock_guard lock(mu_);
    released_ = true;
    changed_.notify_all();
  }

  // The stored message ids, in the order they were committed.
  std::vector<std::string> Log() const {
    std::lock_guard lock(mu_);
    return log_;
  }
  // The number of events of each successful commit, in order.
  std::vector<std::size_t> GroupSizes() const {
    std::lock_guard lock(mu_);
    return group_sizes_;
  }
  std::vector<bool> Syncs() const {
    std::lock_guard lock(mu_);
    return syncs_;
  }
  std::size_t attempts() const {
    std::lock_guard lock(mu_);
    return attempts_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::set<std::string> ids_;
  std::vector<std::string> log_;
  std::vector<std::size_t> group_sizes_;
  std::vector<bool> syncs_;
  std::vector<std::size_t> graph_commits_;
  std::size_t attempts_ = 0;
  std::size_t fail_commit_ = 0;
  std::size_t block_commit_ = 0;
  bool blocked_ = false;
  bool released_ = false;
};

// Collects the outcome of each request, in the order the callbacks run. Thread-safe.
class Outcomes {
 public:
  WriteCallback For(int request) {
    return [this, request](const WriteOutcome& outcome) {
      std::lock_guard lock(mu_);
      done_.emplace_back(request, outcome);
      changed_.notify_all();
    };
  }
  // True once `n` callbacks have run (false after kWaitLimit).
  bool WaitFor(std::size_t n) {
    std::unique_lock lock(mu_);
    return changed_.wait_for(lock, kWaitLimit, [&] { return done_.size() >= n; });
  }
  std::vector<std::pair<int, WriteOutcome>> Get() const {
    std::lock_guard lock(mu_);
    return done_;
  }
  std::size_t size() const {
    std::lock_guard lock(mu_);
    return done_.size();
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::vector<std::pair<int, WriteOutcome>> done_;
};

// An event whose json is `json_bytes` long (at least 8).
Event MakeEvent(std::string id, std::size_t json_bytes = 16) {
  Event e;
  e.message_id = std::move(id);
  e.json = R"({"p":")" + std::string(json_bytes - 8, 'x') + R"("})";
  return e;
}

std::vector<Event> Events(std::initializer_list<const char*> ids) {
  std::vector<Event> events;
  for (const char* id : ids) events.push_back(MakeEvent(id));
  return events;
}

// `n` events with ids "<prefix>-0", "<prefix>-1", ...
std::vector<Event> EventsNamed(const std::string& prefix, std::size_t n) {
  std::vector<Event> events;
  for (std::size_t i = 0; i < n; ++i) events.push_back(MakeEvent(prefix + "-" + std::to_string(i)));
  return events;
}

class IngestWriterTest : public ::testing::Test {
 protected:
  void TearDown() override {
    store_.Release();  // so that Stop() does not wait on a held commit
    writer_.reset();
  }

  void StartWriter(const WriterOptions& options) {
    auto writer = IngestWriter::Start(&store_, options, &metrics_);
    ASSERT_TRUE(writer.ok()) << writer.status().ToString();
    writer_ = std::move(*writer);
  }

  // Waits, with a bound, until the writer has released every queued event.
  bool WaitUntilDrained() {
    const auto deadline = std::chrono::steady_clock::now() + kWaitLimit;
    while (writer_->queued_events() != 0) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(1ms);
    }
    return true;
  }

  FakeEventStore store_;
  MetricsRegistry metrics_;
  Outcomes outcomes_;
  std::unique_ptr<IngestWriter> writer_;
};

TEST(WriterOptionsTest, ValidateRejectsZeroBounds) {
  EXPECT_TRUE(WriterOptions().Validate().ok());
  WriterOptions options;
  options.max_queued_events = 0;
  EXPECT_EQ(options.Validate().code(), StatusCode::kInvalidArgument);
  options = WriterOptions();
  options.max_queued_bytes = 0;
  EXPECT_EQ(options.Validate().code(), StatusCode::kInvalidArgument);
  options = WriterOptions();
  options.max_group_events = 0;
  EXPECT_EQ(options.Validate().code(), StatusCode::kInvalidArgument);
}

TEST(WriterOptionsTest, StartRefusesInvalidOptions) {
  FakeEventStore store;
  MetricsRegistry metrics;
  WriterOptions options;
  options.max_group_events = 0;
  auto writer = IngestWriter::Start(&store, options, &metrics);
  ASSERT_FALSE(writer.ok());
  EXPECT_EQ(writer.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(IngestWriterTest, CallbacksReportStoredAndDuplicates) {
  StartWriter(WriterOptions());
  ASSERT_TRUE(writer_->Submit(Events({"a", "b"}), outcomes_.For(0)).ok());
  ASSERT_TRUE(outcomes_.WaitFor(1));
  // "b" is stored already; the second "c" repeats the first within the request.
  ASSERT_TRUE(writer_->Submit(Events({"b", "c", "c"}), outcomes_.For(1)).ok());
  ASSERT_TRUE(outcomes_.WaitFor(2));
  ASSERT_TRUE(writer_->Submit(Events({"a", "b", "c"}), outcomes_.For(2)).ok());
  ASSERT_TRUE(outcomes_.WaitFor(3));

  const auto done = outcomes_.Get();
  ASSERT_EQ(done.size(), 3u);
  EXPECT_TRUE(done[0].second.status.ok());
  EXPECT_EQ(done[0].second.stored, 2u);
  EXPECT_EQ(done[0].second.duplicates, 0u);
  EXPECT_TRUE(done[1].second.status.ok());
  EXPECT_EQ(done[1].second.stored, 1u);
  EXPECT_EQ(done[1].second.duplicates, 2u);
  EXPECT_TRUE(done[2].second.status.ok());
  EXPECT_EQ(done[2].second.stored, 0u);
  EXPECT_EQ(done[2].second.duplicates, 3u);
  EXPECT_EQ(store_.Log(), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(store_.EventCount(), 3u);
}

TEST_F(IngestWriterTest, EmptyRequestIsAcknowledged) {
  StartWriter(WriterOptions());
  ASSERT_TRUE(writer_->Submit({}, outcomes_.For(0)).ok());
  ASSERT_TRUE(outcomes_.WaitFor(1));
  const auto done = outcomes_.Get();
  EXPECT_TRUE(done[0].second.status.ok());
  EXPECT_EQ(done[0].second.stored, 0u);
  EXPECT_EQ(done[0].second.duplicates, 0u);
}

TEST_F(IngestWriterTest, RequestsAreCommittedInSubmissionOrder) {
  StartWriter(WriterOptions());
  std::vector<std::string> expected;
  constexpr int kRequests = 200;
  for (int r = 0; r < kRequests; ++r) {
    std::vector<Event> events =
        EventsNamed("r" + std::to_string(r), static_cast<std::size_t>(1 + r % 3));
    for (const Event& e : events) expected.push_back(e.message_id);
    ASSERT_TRUE(writer_->Submit(std::move(events), outcomes_.For(r)).ok());
  }
  ASSERT_TRUE(outcomes_.WaitFor(kRequests));
  EXPECT_EQ(store_.Log(), expected);
  const auto done = outcomes_.Get();
  ASSERT_EQ(done.size(), static_cast<std::size_t>(kRequests));
  for (int r = 0; r < kRequests; ++r) {
    const auto& [request, outcome] = done[static_cast<std::size_t>(r)];
    EXPECT_EQ(request, r);
    EXPECT_TRUE(outcome.status.ok());
    EXPECT_EQ(outcome.stored, static_cast<std::size_t>(1 + r % 3));
  }
}

TEST_F(IngestWriterTest, TasksRunInQueueOrderBetweenGroupCommits) {
  StartWriter(WriterOptions());
  store_.BlockCommit(1);
  ASSERT_TRUE(writer_->Submit(Events({"first"}), outcomes_.For(0)).ok());
  ASSERT_TRUE(store_.WaitUntilBlocked());
  // Queued behind the blocked commit: a request, a task, another request.
  ASSERT_TRUE(writer_->Submit(Events({"before"}), outcomes_.For(1)).ok());
  std::vector<std::string> seen_by_task;
  std::uint64_t sequence_seen = 0;
  std::atomic<bool> task_done{false};
  Status task_status = InternalError("not run");
  ASSERT_TRUE(writer_
                  ->SubmitTask(
                      [&](EventStore& store) {
                        seen_by_task = store_.Log();
                        sequence_seen = store.LastSequence();
                        return IoError("injected task failure");
                      },
                      [&](const Status& s) {
                        task_status = s;
                        task_done = true;
                      })
                  .ok());
  ASSERT_TRUE(writer_->Submit(Events({"after"}), outcomes_.For(2)).ok());
  store_.Release();
  ASSERT_TRUE(outcomes_.WaitFor(3));
  EXPECT_TRUE(task_done.load());
  // The task saw exactly the requests queued before it, and its failure is its own.
  EXPECT_EQ(seen_by_task, (std::vector<std::string>{"first", "before"}));
  EXPECT_EQ(sequence_seen, 2u);
  EXPECT_EQ(task_status.code(), StatusCode::kIoError);
  EXPECT_EQ(store_.Log(), (std::vector<std::string>{"first", "before", "after"}));
  for (const auto& [request, outcome] : outcomes_.Get()) EXPECT_TRUE(outcome.status.ok());
}

TEST_F(IngestWriterTest, TasksAreRefusedOnceStopped) {
  StartWriter(WriterOptions());
  writer_->Stop();
  EXPECT_EQ(
      writer_->SubmitTask([](EventStore&) { return Status::Ok(); }, [](const Status&) {}).code(),
      StatusCode::kUnavailable);
}

TEST_F(IngestWriterTest, RequestsQueuedBehindACommitAreCommittedTogether) {
  StartWriter(WriterOptions());
  store_.BlockCommit(1);
  ASSERT_TRUE(writer_->Submit(Events({"first"}), outcomes_.For(0)).ok());
  ASSERT_TRUE(store_.WaitUntilBlocked());
  std::vector<std::string> expected = {"first"};
  for (int r = 1; r <= 9; ++r) {
    std::vector<Event> events = EventsNamed("r" + std::to_string(r), 2);
    for (const Event& e : events) expected.push_back(e.message_id);
    ASSERT_TRUE(writer_->Submit(std::move(events), outcomes_.For(r)).ok());
  }
  EXPECT_EQ(writer_->queued_events(), 19u);
  store_.Release();
  ASSERT_TRUE(outcomes_.WaitFor(10));
  EXPECT_EQ(store_.GroupSizes(), (std::vector<std::size_t>{1, 18}));
  EXPECT_EQ(store_.Log(), expected);
  const auto done = outcomes_.Get();
  for (std::size_t r = 0; r < done.size(); ++r) {
    EXPECT_EQ(done[r].first, static_cast<int>(r));
    EXPECT_TRUE(done[r].second.status.ok());
    EXPECT_EQ(done[r].second.stored, r == 0 ? 1u : 2u);
  }
  EXPECT_TRUE(WaitUntilDrained());
}

TEST_F(IngestWriterTest, GroupClosesAtTheFirstRequestBoundaryPastMaxGroupEvents) {
  WriterOptions options;
  options.max_group_events = 5;
  StartWriter(options);
  store_.BlockCommit(1);
  ASSERT_TRUE(writer_->Submit(Events({"first"}), outcomes_.For(0)).ok());
  ASSERT_TRUE(store_.WaitUntilBlocked());
  for (int r = 1; r <= 10; ++r) {
    ASSERT_TRUE(writer_->Submit(EventsNamed("r" + std::to_string(r), 2), outcomes_.For(r)).ok());
  }
  store_.Release();
  ASSERT_TRUE(outcomes_.WaitFor(11));
  // Requests of 2 events: a group takes requests while it holds fewer than 5 events.
  EXPECT_EQ(store_.GroupSizes(), (std::vector<std::size_t>{1, 6, 6, 6, 2}));
  EXPECT_EQ(store_.Log().size(), 21u);
}

TEST_F(IngestWriterTest, FullQueueRefusesAndQueuesNothing) {
  WriterOptions options;
  options.max_queued_events = 4;
  StartWriter(options);
  store_.BlockCommit(1);
  ASSERT_TRUE(writer_->Submit(Events({"held"}), outcomes_.For(0)).ok());
  ASSERT_TRUE(store_.WaitUntilBlocked());
  // 1 in the held commit + 3 queued: exactly at the bound.
  ASSERT_TRUE(writer_->Submit(Events({"a", "b", "c"}), outcomes_.For(1)).ok());
  EXPECT_EQ(writer_->queued_events(), 4u);
  Status refused = writer_->Submit(Events({"d"}), outcomes_.For(2));
  EXPECT_EQ(refused.code(), StatusCode::kResourceExhausted) << refused.ToString();
  EXPECT_EQ(writer_->queued_events(), 4u);

  store_.Release();
  ASSERT_TRUE(outcomes_.WaitFor(2));
  ASSERT_TRUE(WaitUntilDrained());
  const auto done = outcomes_.Get();
  ASSERT_EQ(done.size(), 2u);
  EXPECT_EQ(done[0].first, 0);
  EXPECT_EQ(done[1].first, 1);
  EXPECT_EQ(store_.Log(), (std::vector<std::string>{"held", "a", "b", "c"}));

  // Once drained, the queue admits again.
  ASSERT_TRUE(writer_->Submit(Events({"d"}), outcomes_.For(3)).ok());
  ASSERT_TRUE(outcomes_.WaitFor(3));
  EXPECT_EQ(outcomes_.Get()[2].first, 3);
  EXPECT_EQ(store_.Log().back(), "d");
}

TEST_F(IngestWriterTest, QueueBytesBoundRefuses) {
  WriterOptions options;
  options.max_queued_bytes = 1000;
  StartWriter(options);
  store_.BlockCommit(1);
  ASSERT_TRUE(writer_->Submit(Events({"held"}), outcomes_.For(0)).ok());
  ASSERT_TRUE(store_.WaitUntilBlocked());
  std::vector<Event> big;
  big.push_back(MakeEvent("big", 600));
  ASSERT_TRUE(writer_->Submit(std::move(big), outcomes_.For(1)).ok());
  std::vector<Event> too_big;
  too_big.push_back(MakeEvent("too-big", 400));
  EXPECT_EQ(writer_->Submit(std::move(too_big), outcomes_.For(2)).code(),
            StatusCode::kResourceExhausted);
  EXPECT_EQ(writer_->queued_events(), 2u);
  store_.Release();
  ASSERT_TRUE(outcomes_.WaitFor(2));
  ASSERT_TRUE(WaitUntilDrained());
  EXPECT_EQ(outcomes_.size(), 2u);
  EXPECT_EQ(store_.Log(), (std::vector<std::string>{"held", "big"}));
}

TEST_F(IngestWriterTest, RequestToAnEmptyQueueIsAdmittedOverTheBounds) {
  WriterOptions options;
  options.max_queued_events = 2;
  options.max_queued_bytes = 10;
  StartWriter(options);
  ASSERT_TRUE(writer_->Submit(EventsNamed("big", 50), outcomes_.For(0)).ok());
  ASSERT_TRUE(outcomes_.WaitFor(1));
  const auto done = outcomes_.Get();
  EXPECT_TRUE(done[0].second.status.ok());
  EXPECT_EQ(done[0].second.stored, 50u);
  EXPECT_EQ(store_.EventCount(), 50u);
}

TEST_F(IngestWriterTest, FailedCommitReportsTheErrorToEveryRequestOfTheGroup) {
  StartWriter(WriterOptions());
  store_.BlockCommit(1);
  store_.FailCommit(2);
  ASSERT_TRUE(writer_->Submit(Events({"a"}), outcomes_.For(0)).ok());
  ASSERT_TRUE(store_.WaitUntilBlocked());
  ASSERT_TRUE(writer_->Submit(Events({"b", "c"}), outcomes_.For(1)).ok());
  ASSERT_TRUE(writer_->Submit(Events({"d"}), outcomes_.For(2)).ok());
  ASSERT_TRUE(writer_->Submit(Events({"e"}), outcomes_.For(3)).ok());
  store_.Release();
  ASSERT_TRUE(outcomes_.WaitFor(4));
  EXPECT_EQ(store_.attempts(), 2u);

  const auto done = outcomes_.Get();
  ASSERT_EQ(done.size(), 4u);
  EXPECT_TRUE(done[0].second.status.ok());
  EXPECT_EQ(done[0].second.stored, 1u);
  for (std::size_t r = 1; r < 4; ++r) {
    EXPECT_EQ(done[r].first, static_cast<int>(r));
    EXPECT_EQ(done[r].second.status.code(), StatusCode::kIoError) << r;
    EXPECT_EQ(done[r].second.stored, 0u) << r;
    EXPECT_EQ(done[r].second.duplicates, 0u) << r;
  }
  EXPECT_EQ(store_.Log(), (std::vector<std::string>{"a"}));

  // Nothing of the failed group was stored: a retry stores it, not as duplicates.
  ASSERT_TRUE(writer_->Submit(Events({"b", "c", "d", "e"}), outcomes_.For(4)).ok());
  ASSERT_TRUE(outcomes_.WaitFor(5));
  const WriteOutcome retry = outcomes_.Get()[4].second;
  EXPECT_TRUE(retry.status.ok());
  EXPECT_EQ(retry.stored, 4u);
  EXPECT_EQ(retry.duplicates, 0u);
  ASSERT_TRUE(WaitUntilDrained());
}

TEST_F(IngestWriterTest, SyncOptionReachesTheStore) {
  WriterOptions options;
  options.sync = false;
  StartWriter(options);
  ASSERT_TRUE(writer_->Submit(Events({"a"}), outcomes_.For(0)).ok());
  ASSERT_TRUE(outcomes_.WaitFor(1));
  EXPECT_EQ(store_.Syncs(), std::vector<bool>{false});

  writer_.reset();
  StartWriter(WriterOptions());
  ASSERT_TRUE(writer_->Submit(Events({"b"}), outcomes_.For(1)).ok());
  ASSERT_TRUE(outcomes_.WaitFor(2));
  EXPECT_EQ(store_.Syncs(), (std::vector<bool>{false, true}));
}

TEST_F(IngestWriterTest, StopCommitsEverythingQueuedThenRefuses) {
  StartWriter(WriterOptions());
  store_.BlockCommit(1);
  ASSERT_TRUE(writer_->Submit(Events({"a"}), outcomes_.For(0)).ok());
  ASSERT_TRUE(store_.WaitUntilBlocked());
  for (int r = 1; r <= 4; ++r) {
    ASSERT_TRUE(writer_->Submit(EventsNamed("r" + std::to_string(r), 3), outcomes_.For(r)).ok());
  }
  // Stop() begins while the first commit is still held and four requests wait behind it.
  std::thread releaser([this] {
    std::this_thread::sleep_for(50ms);
    store_.Release();
  });
  writer_->Stop();
  releaser.join();

  // Every callback ran before Stop() returned.
  const auto done = outcomes_.Get();
  ASSERT_EQ(done.size(), 5u);
  for (std::size_t r = 0; r < done.size(); ++r) {
    EXPECT_EQ(done[r].first, static_cast<int>(r));
    EXPECT_TRUE(done[r].second.status.ok());
  }
  EXPECT_EQ(store_.Log().size(), 13u);
  EXPECT_EQ(writer_->queued_events(), 0u);

  Status late = writer_->Submit(Events({"late"}), outcomes_.For(5));
  EXPECT_EQ(late.code(), StatusCode::kUnavailable) << late.ToString();
  writer_->Stop();  // idempotent
  EXPECT_EQ(outcomes_.size(), 5u);
  EXPECT_EQ(store_.Log().size(), 13u);
}

TEST_F(IngestWriterTest, DestructorCommitsQueuedRequests) {
  StartWriter(WriterOptions());
  for (int r = 0; r < 20; ++r) {
    ASSERT_TRUE(writer_->Submit(EventsNamed("r" + std::to_string(r), 5), outcomes_.For(r)).ok());
  }
  writer_.reset();
  EXPECT_EQ(outcomes_.size(), 20u);
  EXPECT_EQ(store_.EventCount(), 100u);
}

}  // namespace
}  // namespace cdp::ingest
