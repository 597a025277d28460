// Tests for the EventStore side of storage/store.h on a real RocksDB: sequences, deduplication,
// reads by sequence and messageId, and durability across reopen.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cdp/event.h"
#include "cdp/event_store.h"
#include "storage/store.h"

namespace cdp::storage {
namespace {

namespace fs = std::filesystem;

Event MakeEvent(const std::string& message_id) {
  Event e;
  e.type = EventType::kTrack;
  e.message_id = message_id;
  e.received_at = Timestamp(std::chrono::milliseconds(1'772'366'400'000));
  e.timestamp = e.received_at;
  e.json = R"({"type":"track","messageId":")" + message_id + R"(","event":"E"})";
  return e;
}

std::vector<Event> MakeEvents(const std::vector<std::string>& ids) {
  std::vector<Event> events;
  for (const std::string& id : ids) events.push_back(MakeEvent(id));
  return events;
}

class EventLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("cdp_event_log_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }

  // Closes the store (cleanly) when open and opens it again.
  void Reopen() {
    if (store_ != nullptr) {
      ASSERT_TRUE(store_->Close().ok());
    }
    store_.reset();
    auto store = Store::Open(dir_.string(), StoreOptions());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
  }

  // Commits `ids` and returns the stored flags.
  std::vector<std::uint8_t> Commit(const std::vector<std::string>& ids, bool sync = true) {
    const std::vector<Event> events = MakeEvents(ids);
    std::vector<std::uint8_t> stored;
    Status s = store_->Commit(events, CommitOptions{sync}, &stored);
    EXPECT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(stored.size(), ids.size());
    return stored;
  }

  std::optional<std::uint64_t> SequenceOf(const std::string& message_id) {
    auto found = store_->FindMessageId(message_id);
    EXPECT_TRUE(found.ok()) << found.status().ToString();
    return found.ok() ? *found : std::nullopt;
  }

  std::optional<std::string> EventAt(std::uint64_t sequence) {
    auto event = store_->GetEvent(sequence);
    EXPECT_TRUE(event.ok()) << event.status().ToString();
    return event.ok() ? *event : std::nullopt;
  }

  fs::path dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(EventLogTest, NewStoreIsEmpty) {
  EXPECT_EQ(store_->EventCount(), 0u);
  EXPECT_EQ(EventAt(1), std::nullopt);
  EXPECT_EQ(SequenceOf("a"), std::nullopt);
}

TEST_F(EventLogTest, CommitAssignsSequencesOneToN) {
  EXPECT_EQ(Commit({"a", "b", "c"}), (std::vector<std::uint8_t>{1, 1, 1}));
  EXPECT_EQ(store_->EventCount(), 3u);
  EXPECT_EQ(SequenceOf("a"), 1u);
  EXPECT_EQ(SequenceOf("b"), 2u);
  EXPECT_EQ(SequenceOf("c"), 3u);
  EXPECT_EQ(Commit({"d", "e"}), (std::vector<std::uint8_t>{1, 1}));
  EXPECT_EQ(SequenceOf("d"), 4u);
  EXPECT_EQ(SequenceOf("e"), 5u);
  EXPECT_EQ(store_->EventCount(), 5u);
}

TEST_F(EventLogTest, GetEventReturnsTheJson) {
  ASSERT_EQ(Commit({"a", "b"}), (std::vector<std::uint8_t>{1, 1}));
  EXPECT_EQ(EventAt(1), MakeEvent("a").json);
  EXPECT_EQ(EventAt(2), MakeEvent("b").json);
  EXPECT_EQ(EventAt(0), std::nullopt);
  EXPECT_EQ(EventAt(3), std::nullopt);
}

TEST_F(EventLogTest, DuplicatesWithinACommitAreNotStored) {
  EXPECT_EQ(Commit({"a", "b", "a", "b", "c"}), (std::vector<std::uint8_t>{1, 1, 0, 0, 1}));
  EXPECT_EQ(store_->EventCount(), 3u);
  EXPECT_EQ(SequenceOf("a"), 1u);
  EXPECT_EQ(SequenceOf("b"), 2u);
  EXPECT_EQ(SequenceOf("c"), 3u);
  EXPECT_EQ(EventAt(4), std::nullopt);
}

TEST_F(EventLogTest, DuplicatesAcrossCommitsAreNotStored) {
  ASSERT_EQ(Commit({"a", "b"}), (std::vector<std::uint8_t>{1, 1}));
  EXPECT_EQ(Commit({"b", "c", "a"}), (std::vector<std::uint8_t>{0, 1, 0}));
  EXPECT_EQ(store_->EventCount(), 3u);
  EXPECT_EQ(SequenceOf("c"), 3u);
  // A commit of only duplicates changes nothing.
  EXPECT_EQ(Commit({"c", "a"}), (std::vector<std::uint8_t>{0, 0}));
  EXPECT_EQ(store_->EventCount(), 3u);
  EXPECT_EQ(Commit({"d"}), (std::vector<std::uint8_t>{1}));
  EXPECT_EQ(SequenceOf("d"), 4u);
}

TEST_F(EventLogTest, DuplicateKeepsTheFirstJson) {
  ASSERT_EQ(Commit({"a"}), (std::vector<std::uint8_t>{1}));
  std::vector<Event> again = MakeEvents({"a"});
  again[0].json = R"({"changed":true})";
  std::vector<std::uint8_t> stored;
  ASSERT_TRUE(store_->Commit(again, CommitOptions(), &stored).ok());
  EXPECT_EQ(stored, std::vector<std::uint8_t>{0});
  EXPECT_EQ(EventAt(1), MakeEvent("a").json);
}

TEST_F(EventLogTest, EmptyCommitIsOk) {
  EXPECT_TRUE(Commit({}).empty());
  EXPECT_EQ(store_->EventCount(), 0u);
}

TEST_F(EventLogTest, EventCountAndSequencesSurviveReopen) {
  ASSERT_EQ(Commit({"a", "b", "c", "a"}), (std::vector<std::uint8_t>{1, 1, 1, 0}));
  Reopen();
  EXPECT_EQ(store_->EventCount(), 3u);
  EXPECT_EQ(SequenceOf("b"), 2u);
  EXPECT_EQ(EventAt(3), MakeEvent("c").json);
  // Deduplication and numbering continue where they stopped.
  EXPECT_EQ(Commit({"c", "d"}), (std::vector<std::uint8_t>{0, 1}));
  EXPECT_EQ(SequenceOf("d"), 4u);
  Reopen();
  EXPECT_EQ(store_->EventCount(), 4u);
  EXPECT_EQ(EventAt(4), MakeEvent("d").json);
}

TEST_F(EventLogTest, UnsyncedCommitsAreReadableAfterACleanClose) {
  ASSERT_EQ(Commit({"a", "b"}, /*sync=*/false), (std::vector<std::uint8_t>{1, 1}));
  ASSERT_EQ(Commit({"c"}, /*sync=*/false), (std::vector<std::uint8_t>{1}));
  EXPECT_EQ(EventAt(3), MakeEvent("c").json);
  Reopen();
  EXPECT_EQ(store_->EventCount(), 3u);
  EXPECT_EQ(EventAt(1), MakeEvent("a").json);
  EXPECT_EQ(EventAt(3), MakeEvent("c").json);
  EXPECT_EQ(SequenceOf("c"), 3u);
}

TEST_F(EventLogTest, UnsyncedCommitsSurviveTheDestructor) {
  ASSERT_EQ(Commit({"a", "b"}, /*sync=*/false), (std::vector<std::uint8_t>{1, 1}));
  store_.reset();  // the destructor closes cleanly
  Reopen();
  EXPECT_EQ(store_->EventCount(), 2u);
  EXPECT_EQ(EventAt(2), MakeEvent("b").json);
}

TEST_F(EventLogTest, SyncWalMakesUnsyncedCommitsDurable) {
  ASSERT_EQ(Commit({"a"}, /*sync=*/false), (std::vector<std::uint8_t>{1}));
  EXPECT_TRUE(store_->SyncWal().ok());
  Reopen();
  EXPECT_EQ(EventAt(1), MakeEvent("a").json);
}

TEST_F(EventLogTest, ManyEventsInOneCommit) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5000; ++i) ids.push_back("m-" + std::to_string(i));
  const std::vector<std::uint8_t> stored = Commit(ids, /*sync=*/false);
  EXPECT_EQ(std::count(stored.begin(), stored.end(), 1), 5000);
  EXPECT_EQ(store_->EventCount(), 5000u);
  EXPECT_EQ(SequenceOf("m-4999"), 5000u);
  // Sequences sort as numbers, not as text: 256 follows 255.
  EXPECT_EQ(EventAt(256), MakeEvent("m-255").json);
  EXPECT_EQ(EventAt(257), MakeEvent("m-256").json);
}

TEST_F(EventLogTest, CallsOnAClosedStoreFail) {
  ASSERT_EQ(Commit({"a"}), (std::vector<std::uint8_t>{1}));
  ASSERT_TRUE(store_->Close().ok());
  const std::vector<Event> events = MakeEvents({"b"});
  std::vector<std::uint8_t> stored;
  Status s = store_->Commit(events, CommitOptions(), &stored);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  EXPECT_EQ(store_->GetEvent(1).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->FindMessageId("a").status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->SyncWal().code(), StatusCode::kFailedPrecondition);
  Reopen();
  EXPECT_EQ(store_->EventCount(), 1u);
  EXPECT_EQ(SequenceOf("b"), std::nullopt);
}

TEST_F(EventLogTest, StoreIsAnEventStore) {
  EventStore& sink = *store_;
  const std::vector<Event> events = MakeEvents({"x", "y", "x"});
  std::vector<std::uint8_t> stored = {9, 9, 9, 9, 9};
  ASSERT_TRUE(sink.Commit(events, CommitOptions(), &stored).ok());
  EXPECT_EQ(stored, (std::vector<std::uint8_t>{1, 1, 0}));
  EXPECT_EQ(sink.EventCount(), 2u);
}

}  // namespace
}  // namespace cdp::storage
