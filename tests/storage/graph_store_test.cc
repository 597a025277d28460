// Tests for the identity graph side of storage/store.h on a real RocksDB: graph deltas written
// with their events, start-up loading, point reads, rebuild and event replay.
#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "cdp/event.h"
#include "cdp/event_store.h"
#include "cdp/graph_delta.h"
#include "storage/store.h"

namespace cdp::storage {
namespace {

namespace fs = std::filesystem;

Timestamp At(std::int64_t ms) { return Timestamp(std::chrono::milliseconds(ms)); }

Event MakeEvent(const std::string& message_id, std::size_t padding = 0) {
  Event e;
  e.type = EventType::kTrack;
  e.message_id = message_id;
  e.received_at = At(1'772'366'400'000);
  e.timestamp = e.received_at;
  e.json = R"({"type":"track","messageId":")" + message_id + R"(","event":"E","pad":")" +
           std::string(padding, 'x') + R"("})";
  return e;
}

std::vector<Event> MakeEvents(const std::vector<std::string>& ids) {
  std::vector<Event> events;
  for (const std::string& id : ids) events.push_back(MakeEvent(id));
  return events;
}

NodeRecord Node(std::uint32_t id, std::uint64_t profile, std::string value) {
  NodeRecord r;
  r.node = id;
  r.type = kUserId;
  r.value = std::move(value);
  r.hash = 0x1000 + id;
  r.first_seen = 100 + id;
  r.last_seen = 200 + id;
  r.profile = profile;
  return r;
}

EdgeRecord Edge(std::uint32_t a, std::uint32_t b, EdgeState state, std::string message,
                std::uint64_t sequence) {
  EdgeRecord r;
  r.a = a;
  r.b = b;
  r.state = state;
  r.rule = LinkRule::kCoOccurrence;
  r.evidence_time = At(1'772'366'400'000 + static_cast<std::int64_t>(sequence));
  r.evidence_message = std::move(message);
  r.evidence_sequence = sequence;
  return r;
}

EdgeRecord StateOnly(std::uint32_t a, std::uint32_t b, EdgeState state) {
  EdgeRecord r;
  r.a = a;
  r.b = b;
  r.state = state;
  r.state_only = true;
  return r;
}

ProfileRecord Profile(std::uint64_t id, ProfileState state, std::uint64_t merged_into) {
  ProfileRecord r;
  r.id = id;
  r.state = state;
  r.merged_into = merged_into;
  r.created_at = At(1'772'366'400'000 + static_cast<std::int64_t>(id));
  return r;
}

MatchEvidence Evidence(float weight) {
  MatchEvidence m;
  m.model_version = 3;
  m.prior = -10.5f;
  m.weight = weight;
  m.best_pair_weight = weight - 1;
  m.fields = {{0, 2, 7.25f}, {3, 0, -1.5f}, {9, 1, 0}};
  return m;
}

EdgeRecord ProbabilisticEdge(std::uint32_t a, std::uint32_t b, std::string message,
                             std::uint64_t sequence) {
  EdgeRecord r = Edge(a, b, EdgeState::kLinked, std::move(message), sequence);
  r.rule = LinkRule::kProbabilistic;
  r.match = Evidence(14.5f);
  return r;
}

ReviewRecord Review(std::uint32_t id, std::uint32_t record_node, std::uint32_t candidate_node) {
  ReviewRecord r;
  r.id = id;
  r.record_node = record_node;
  r.candidate_node = candidate_node;
  r.left_profile = 10;
  r.right_profile = 11;
  r.evidence = Evidence(6.0f);
  r.created_at = At(1'772'366'400'000 + id);
  r.message_id = "review-" + std::to_string(id);
  r.sequence = id;
  return r;
}

ReviewRecord Decided(ReviewRecord r, ReviewState state, std::uint64_t after_sequence) {
  r.state = state;
  r.decided_at = At(1'772'366'900'000);
  r.decided_after_sequence = after_sequence;
  return r;
}

CannotLinkRecord CannotLink(std::uint32_t id, std::vector<std::uint32_t> side0,
                            std::vector<std::uint32_t> side1) {
  CannotLinkRecord r;
  r.id = id;
  r.sides[0] = std::move(side0);
  r.sides[1] = std::move(side1);
  r.at = At(1'772'366'500'000);
  return r;
}

// Records as text, for comparisons with readable failures.
std::string Text(const NodeRecord& r) {
  std::ostringstream out;
  out << "node " << r.node << " type " << int{r.type} << " '" << r.value << "' hash " << r.hash
      << " seen " << r.first_seen << ".." << r.last_seen << " profile " << r.profile;
  return out.str();
}
std::string Text(const MatchEvidence& m) {
  std::ostringstream out;
  out << "model " << m.model_version << " prior " << m.prior << " weight " << m.weight
      << " cluster " << m.best_pair_weight << " fields";
  for (const FieldContribution& f : m.fields) {
    out << " " << int{f.field} << "/" << int{f.level} << "=" << f.weight;
  }
  return out.str();
}
std::string Text(const EdgeRecord& r) {
  std::ostringstream out;
  out << "edge " << r.a << "-" << r.b << " state " << int{static_cast<std::uint8_t>(r.state)}
      << " rule " << int{static_cast<std::uint8_t>(r.rule)} << " at "
      << r.evidence_time.time_since_epoch().count() << " '" << r.evidence_message << "' seq "
      << r.evidence_sequence << (r.state_only ? " state_only" : "");
  if (r.match) out << " match " << Text(*r.match);
  return out.str();
}
std::string Text(const ReviewRecord& r) {
  std::ostringstream out;
  out << "review " << r.id << " nodes " << r.record_node << "," << r.candidate_node << " profiles "
      << r.left_profile << "," << r.right_profile << " created "
      << r.created_at.time_since_epoch().count() << " '" << r.message_id << "' seq " << r.sequence
      << " state " << int{static_cast<std::uint8_t>(r.state)} << " decided "
      << r.decided_at.time_since_epoch().count() << " after " << r.decided_after_sequence
      << " evidence " << Text(r.evidence);
  return out.str();
}
std::string Text(const ProfileRecord& r) {
  std::ostringstream out;
  out << "profile " << r.id << " state " << int{static_cast<std::uint8_t>(r.state)} << " into "
      << r.merged_into << " created " << r.created_at.time_since_epoch().count();
  return out.str();
}
std::string Text(const CannotLinkRecord& r) {
  std::ostringstream out;
  out << "cannot-link " << r.id << " at " << r.at.time_since_epoch().count();
  for (const auto& side : r.sides) {
    out << " [";
    for (std::uint32_t n : side) out << " " << n;
    out << " ]";
  }
  return out.str();
}

template <typename Record>
std::vector<std::string> Texts(const std::vector<Record>& records) {
  std::vector<std::string> texts;
  for (const Record& r : records) texts.push_back(Text(r));
  return texts;
}

// The records of `delta` as text, as RecordingSink::AllTexts lists what LoadGraph handed over.
std::vector<std::string> SortedTexts(const GraphDelta& delta) {
  GraphDelta d = delta;
  std::sort(d.nodes.begin(), d.nodes.end(), [](auto& x, auto& y) { return x.node < y.node; });
  std::sort(d.edges.begin(), d.edges.end(),
            [](auto& x, auto& y) { return std::pair(x.a, x.b) < std::pair(y.a, y.b); });
  std::sort(d.cannot_links.begin(), d.cannot_links.end(),
            [](auto& x, auto& y) { return x.id < y.id; });
  std::sort(d.profiles.begin(), d.profiles.end(), [](auto& x, auto& y) { return x.id < y.id; });
  std::sort(d.reviews.begin(), d.reviews.end(), [](auto& x, auto& y) { return x.id < y.id; });
  std::vector<std::string> all = Texts(d.nodes);
  for (const auto& t : Texts(d.edges)) all.push_back(t);
  for (const auto& t : Texts(d.cannot_links)) all.push_back(t);
  for (const auto& t : Texts(d.profiles)) all.push_back(t);
  for (const auto& t : Texts(d.reviews)) all.push_back(t);
  return all;
}

// Records what LoadGraph hands over.
class RecordingSink final : public GraphRecordSink {
 public:
  void OnNode(const NodeRecord& record) override { graph.nodes.push_back(record); }
  void OnEdge(const EdgeRecord& record) override { graph.edges.push_back(record); }
  void OnProfile(const ProfileRecord& record) override { graph.profiles.push_back(record); }
  void OnCannotLink(const CannotLinkRecord& record) override {
    graph.cannot_links.push_back(record);
  }
  void OnReview(const ReviewRecord& record) override { graph.reviews.push_back(record); }

  // Nodes, edges, cannot-links, profiles and reviews, each kind in the order received.
  std::vector<std::string> AllTexts() const {
    std::vector<std::string> all = Texts(graph.nodes);
    for (const auto& t : Texts(graph.edges)) all.push_back(t);
    for (const auto& t : Texts(graph.cannot_links)) all.push_back(t);
    for (const auto& t : Texts(graph.profiles)) all.push_back(t);
    for (const auto& t : Texts(graph.reviews)) all.push_back(t);
    return all;
  }

  GraphDelta graph;
};

// Returns a fixed delta from every Apply and remembers what it was given.
class FakeApplier final : public CommitApplier {
 public:
  explicit FakeApplier(GraphDelta delta = {}) : delta_(std::move(delta)) {}

  void Apply(std::span<const Event* const> events, std::span<const std::uint64_t> numbers,
             GraphDelta* delta) override {
    ++applied;
    delta_was_empty = delta_was_empty && delta->empty();
    for (const Event* e : events) message_ids.push_back(e->message_id);
    sequences.insert(sequences.end(), numbers.begin(), numbers.end());
    *delta = delta_;
  }
  void Abandon() override { ++abandoned; }

  int applied = 0;
  int abandoned = 0;
  bool delta_was_empty = true;
  std::vector<std::string> message_ids;
  std::vector<std::uint64_t> sequences;

 private:
  GraphDelta delta_;
};

GraphDelta SampleDelta() {
  GraphDelta d;
  d.nodes = {Node(2, 10, "user-2"), Node(1, 10, "user-1"), Node(300, 11, "")};
  d.edges = {Edge(1, 2, EdgeState::kLinked, "a", 1), Edge(2, 300, EdgeState::kRefused, "b", 2)};
  d.profiles = {Profile(11, ProfileState::kActive, 0), Profile(10, ProfileState::kMerged, 11)};
  d.cannot_links = {CannotLink(1, {1, 2}, {300})};
  return d;
}

class GraphStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("cdp_graph_store_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }

  void Reopen() {
    if (store_ != nullptr) {
      ASSERT_TRUE(store_->Close().ok());
    }
    store_.reset();
    auto store = Store::Open(dir_.string(), StoreOptions());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
  }

  Status CommitWith(const std::vector<std::string>& ids, CommitApplier* applier,
                    std::vector<std::uint8_t>* stored = nullptr) {
    const std::vector<Event> events = MakeEvents(ids);
    std::vector<std::uint8_t> flags;
    CommitOptions options;
    options.applier = applier;
    Status s = store_->Commit(events, options, stored != nullptr ? stored : &flags);
    return s;
  }

  RecordingSink Load() {
    RecordingSink sink;
    Status s = store_->LoadGraph(&sink);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return sink;
  }

  // Puts a raw record in `family` with RocksDB itself, the store being closed.
  void PutRaw(const std::string& family, const std::string& key, const std::string& value) {
    ASSERT_TRUE(store_->Close().ok());
    rocksdb::DBOptions options;
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    for (const auto& n : ColumnFamilyNames()) {
      descriptors.emplace_back(n, rocksdb::ColumnFamilyOptions());
    }
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, dir_.string(), descriptors, &handles, &db).ok());
    for (std::size_t i = 0; i < handles.size(); ++i) {
      if (ColumnFamilyNames()[i] == family) {
        ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), handles[i], key, value).ok());
      }
    }
    for (auto* h : handles) ASSERT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
    ASSERT_TRUE(db->Close().ok());
    delete db;
    Reopen();
  }

  fs::path dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(GraphStoreTest, NewStoreHasNoGraph) {
  const RecordingSink sink = Load();
  EXPECT_TRUE(sink.graph.empty());
}

TEST_F(GraphStoreTest, CommittedDeltaIsLoadedAfterReopen) {
  FakeApplier applier(SampleDelta());
  ASSERT_TRUE(CommitWith({"m1", "m2"}, &applier).ok());
  EXPECT_EQ(applier.applied, 1);
  EXPECT_EQ(applier.abandoned, 0);
  EXPECT_TRUE(applier.delta_was_empty);
  Reopen();
  EXPECT_EQ(Load().AllTexts(), SortedTexts(SampleDelta()));
  EXPECT_EQ(store_->EventCount(), 2u);
}

TEST_F(GraphStoreTest, LaterRecordsReplaceEarlierOnes) {
  GraphDelta first;
  first.nodes = {Node(1, 10, "u1")};
  first.profiles = {Profile(10, ProfileState::kActive, 0)};
  FakeApplier a1(first);
  ASSERT_TRUE(CommitWith({"m1"}, &a1).ok());
  GraphDelta second;
  second.nodes = {Node(1, 12, "u1")};
  second.profiles = {Profile(10, ProfileState::kMerged, 12)};
  FakeApplier a2(second);
  ASSERT_TRUE(CommitWith({"m2"}, &a2).ok());
  EXPECT_EQ(Load().AllTexts(), SortedTexts(second));
}

TEST_F(GraphStoreTest, ApplyGetsOnlyTheAppendedEventsWithTheirSequences) {
  ASSERT_TRUE(CommitWith({"a"}, nullptr).ok());
  FakeApplier applier;
  std::vector<std::uint8_t> stored;
  ASSERT_TRUE(CommitWith({"a", "b", "b", "c", "a"}, &applier, &stored).ok());
  EXPECT_EQ(stored, (std::vector<std::uint8_t>{0, 1, 0, 1, 0}));
  EXPECT_EQ(applier.applied, 1);
  EXPECT_EQ(applier.message_ids, (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(applier.sequences, (std::vector<std::uint64_t>{2, 3}));
}

TEST_F(GraphStoreTest, ApplyIsNotCalledWhenEveryEventIsADuplicate) {
  ASSERT_TRUE(CommitWith({"a", "b"}, nullptr).ok());
  FakeApplier applier(SampleDelta());
  ASSERT_TRUE(CommitWith({"b", "a"}, &applier).ok());
  EXPECT_EQ(applier.applied, 0);
  EXPECT_TRUE(Load().graph.empty());
}

TEST_F(GraphStoreTest, EmptyDeltaStoresOnlyTheEvents) {
  FakeApplier applier;
  ASSERT_TRUE(CommitWith({"a"}, &applier).ok());
  EXPECT_EQ(applier.applied, 1);
  EXPECT_EQ(store_->EventCount(), 1u);
  EXPECT_TRUE(Load().graph.empty());
}

TEST_F(GraphStoreTest, StateOnlyUpdateKeepsTheEvidence) {
  FakeApplier first(SampleDelta());
  ASSERT_TRUE(CommitWith({"m1"}, &first).ok());
  GraphDelta update;
  update.edges = {StateOnly(1, 2, EdgeState::kRemoved), StateOnly(2, 300, EdgeState::kLinked)};
  FakeApplier second(update);
  ASSERT_TRUE(CommitWith({"m2"}, &second).ok());
  EXPECT_EQ(second.abandoned, 0);

  EdgeRecord want12 = Edge(1, 2, EdgeState::kRemoved, "a", 1);
  EdgeRecord want2_300 = Edge(2, 300, EdgeState::kLinked, "b", 2);
  auto got = store_->GetEdge(1, 2);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ(Text(**got), Text(want12));
  Reopen();
  EXPECT_EQ(Texts(Load().graph.edges), (std::vector<std::string>{Text(want12), Text(want2_300)}));
}

TEST_F(GraphStoreTest, StateOnlyUpdateOfAMissingEdgeWritesNothing) {
  FakeApplier first(SampleDelta());
  ASSERT_TRUE(CommitWith({"m1"}, &first).ok());
  GraphDelta update;
  update.nodes = {Node(7, 10, "new")};
  update.edges = {StateOnly(1, 2, EdgeState::kRemoved), StateOnly(5, 6, EdgeState::kRemoved)};
  FakeApplier second(update);
  std::vector<std::uint8_t> stored;
  Status s = CommitWith({"m2", "m3"}, &second, &stored);
  EXPECT_EQ(s.code(), StatusCode::kCorruption) << s.ToString();
  EXPECT_EQ(second.applied, 1);
  EXPECT_EQ(second.abandoned, 1);
  EXPECT_EQ(stored, (std::vector<std::uint8_t>{0, 0}));
  EXPECT_EQ(store_->EventCount(), 1u);
  EXPECT_EQ(store_->LastSequence(), 1u);

  Reopen();
  EXPECT_EQ(Load().AllTexts(), SortedTexts(SampleDelta()));
  auto m2 = store_->FindMessageId("m2");
  ASSERT_TRUE(m2.ok());
  EXPECT_EQ(*m2, std::nullopt);
  auto event = store_->GetEvent(2);
  ASSERT_TRUE(event.ok());
  EXPECT_EQ(*event, std::nullopt);
  // Numbering goes on from the last stored event.
  FakeApplier third;
  ASSERT_TRUE(CommitWith({"m2"}, &third).ok());
  EXPECT_EQ(third.sequences, (std::vector<std::uint64_t>{2}));
}

TEST_F(GraphStoreTest, UnencodableDeltaWritesNothing) {
  GraphDelta bad;
  bad.nodes = {Node(1, 10, "ok")};
  bad.edges = {Edge(3, 3, EdgeState::kLinked, "x", 1)};
  FakeApplier applier(bad);
  std::vector<std::uint8_t> stored;
  Status s = CommitWith({"m1"}, &applier, &stored);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_EQ(applier.abandoned, 1);
  EXPECT_EQ(stored, (std::vector<std::uint8_t>{0}));
  EXPECT_EQ(store_->EventCount(), 0u);
  EXPECT_TRUE(Load().graph.empty());
}

// A write that fails in RocksDB: a file-size limit on the process, above every file of the
// store but below the write-ahead log with the new batch, makes appending the batch fail with
// EFBIG. The margin keeps RocksDB's info log writable (it logs the error).
TEST_F(GraphStoreTest, FailedWriteAbandonsTheDeltaAndStoresNothing) {
  FakeApplier first(SampleDelta());
  ASSERT_TRUE(CommitWith({"m1"}, &first).ok());
  std::uintmax_t largest_file = 0;
  for (const auto& entry : fs::directory_iterator(dir_)) {
    largest_file = std::max(largest_file, entry.file_size());
  }
  GraphDelta second;
  second.nodes = {Node(9, 10, "lost")};
  FakeApplier applier(second);
  const std::vector<Event> events = {MakeEvent("big", 8u << 20)};
  std::vector<std::uint8_t> stored;
  CommitOptions options;
  options.applier = &applier;

  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
  struct sigaction ignore {};
  struct sigaction saved_action {};
  ignore.sa_handler = SIG_IGN;
  ASSERT_EQ(::sigaction(SIGXFSZ, &ignore, &saved_action), 0);
  rlimit limited = saved;
  limited.rlim_cur = static_cast<rlim_t>(largest_file + (1u << 20));
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &limited), 0);
  Status s = store_->Commit(events, options, &stored);
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &saved), 0);
  ASSERT_EQ(::sigaction(SIGXFSZ, &saved_action, nullptr), 0);

  EXPECT_EQ(s.code(), StatusCode::kIoError) << s.ToString();
  EXPECT_EQ(applier.applied, 1);
  EXPECT_EQ(applier.abandoned, 1);
  EXPECT_EQ(stored, (std::vector<std::uint8_t>{0}));
  EXPECT_EQ(store_->EventCount(), 1u);
  // The database stops writing after the error, and closing reports it.
  EXPECT_EQ(store_->SyncWal().code(), StatusCode::kIoError);
  EXPECT_EQ(store_->Close().code(), StatusCode::kIoError);
  store_.reset();
  Reopen();
  EXPECT_EQ(store_->EventCount(), 1u);
  auto big = store_->FindMessageId("big");
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(*big, std::nullopt);
  EXPECT_EQ(Load().AllTexts(), SortedTexts(SampleDelta()));
}

TEST_F(GraphStoreTest, GetEdgeFindsEitherOrder) {
  FakeApplier applier(SampleDelta());
  ASSERT_TRUE(CommitWith({"m1"}, &applier).ok());
  const std::string want = Text(Edge(2, 300, EdgeState::kRefused, "b", 2));
  for (auto [a, b] : {std::pair<std::uint32_t, std::uint32_t>{2, 300}, {300, 2}}) {
    auto got = store_->GetEdge(a, b);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    ASSERT_TRUE(got->has_value());
    EXPECT_EQ(Text(**got), want);
  }
  auto none = store_->GetEdge(1, 300);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, std::nullopt);
  auto self = store_->GetEdge(2, 2);
  ASSERT_TRUE(self.ok());
  EXPECT_EQ(*self, std::nullopt);
}

TEST_F(GraphStoreTest, GetEdgesAnswersEachPair) {
  FakeApplier applier(SampleDelta());
  ASSERT_TRUE(CommitWith({"m1"}, &applier).ok());
  const std::vector<std::pair<std::uint32_t, std::uint32_t>> pairs = {
      {300, 2}, {1, 300}, {1, 2}, {4, 4}, {2, 1}};
  std::vector<std::optional<EdgeRecord>> out = {std::nullopt};
  ASSERT_TRUE(store_->GetEdges(pairs, &out).ok());
  ASSERT_EQ(out.size(), pairs.size());
  ASSERT_TRUE(out[0].has_value());
  EXPECT_EQ(Text(*out[0]), Text(Edge(2, 300, EdgeState::kRefused, "b", 2)));
  EXPECT_FALSE(out[1].has_value());
  ASSERT_TRUE(out[2].has_value());
  EXPECT_EQ(Text(*out[2]), Text(Edge(1, 2, EdgeState::kLinked, "a", 1)));
  EXPECT_FALSE(out[3].has_value());
  ASSERT_TRUE(out[4].has_value());
  EXPECT_EQ(Text(*out[4]), Text(*out[2]));

  ASSERT_TRUE(store_->GetEdges({}, &out).ok());
  EXPECT_TRUE(out.empty());
}

TEST_F(GraphStoreTest, GetProfileReadsOneProfile) {
  FakeApplier applier(SampleDelta());
  ASSERT_TRUE(CommitWith({"m1"}, &applier).ok());
  auto merged = store_->GetProfile(10);
  ASSERT_TRUE(merged.ok()) << merged.status().ToString();
  ASSERT_TRUE(merged->has_value());
  EXPECT_EQ(Text(**merged), Text(Profile(10, ProfileState::kMerged, 11)));
  auto none = store_->GetProfile(12);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, std::nullopt);
}

TEST_F(GraphStoreTest, ReplaceGraphReplacesEverything) {
  FakeApplier applier(SampleDelta());
  ASSERT_TRUE(CommitWith({"m1"}, &applier).ok());
  GraphDelta rebuilt;
  rebuilt.nodes = {Node(1, 20, "user-1"), Node(5, 20, "user-5")};
  rebuilt.edges = {Edge(1, 5, EdgeState::kLinked, "z", 9)};
  rebuilt.profiles = {Profile(20, ProfileState::kActive, 0)};
  rebuilt.cannot_links = {CannotLink(4, {1}, {2})};
  ASSERT_TRUE(store_->ReplaceGraph(rebuilt).ok());
  EXPECT_EQ(Load().AllTexts(), SortedTexts(rebuilt));
  auto old_edge = store_->GetEdge(1, 2);
  ASSERT_TRUE(old_edge.ok());
  EXPECT_EQ(*old_edge, std::nullopt);
  auto old_profile = store_->GetProfile(10);
  ASSERT_TRUE(old_profile.ok());
  EXPECT_EQ(*old_profile, std::nullopt);
  Reopen();
  EXPECT_EQ(Load().AllTexts(), SortedTexts(rebuilt));
  EXPECT_EQ(store_->EventCount(), 1u);

  ASSERT_TRUE(store_->ReplaceGraph(GraphDelta()).ok());
  EXPECT_TRUE(Load().graph.empty());
}

TEST_F(GraphStoreTest, ReplaceGraphKeepsOtherRecordsOfProfiles) {
  FakeApplier applier(SampleDelta());
  ASSERT_TRUE(CommitWith({"m1"}, &applier).ok());
  PutRaw("profiles", "r-other-kind", "kept");
  // LoadGraph reads only the profile records of the family.
  EXPECT_EQ(Load().AllTexts(), SortedTexts(SampleDelta()));
  ASSERT_TRUE(store_->ReplaceGraph(GraphDelta()).ok());
  EXPECT_TRUE(Load().graph.empty());
  ASSERT_TRUE(store_->Close().ok());

  rocksdb::DBOptions options;
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& n : ColumnFamilyNames()) {
    descriptors.emplace_back(n, rocksdb::ColumnFamilyOptions());
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(
      rocksdb::DB::OpenForReadOnly(options, dir_.string(), descriptors, &handles, &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  std::string value;
  const auto& names = ColumnFamilyNames();
  const auto profiles =
      static_cast<std::size_t>(std::find(names.begin(), names.end(), "profiles") - names.begin());
  ASSERT_LT(profiles, handles.size());
  EXPECT_TRUE(db->Get(rocksdb::ReadOptions(), handles[profiles], "r-other-kind", &value).ok());
  EXPECT_EQ(value, "kept");
  for (auto* h : handles) ASSERT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
  ASSERT_TRUE(db->Close().ok());
}

TEST_F(GraphStoreTest, ReplaceGraphRefusesStateOnlyEdgesAndKeepsTheOldGraph) {
  FakeApplier applier(SampleDelta());
  ASSERT_TRUE(CommitWith({"m1"}, &applier).ok());
  GraphDelta rebuilt;
  rebuilt.nodes = {Node(1, 20, "user-1")};
  rebuilt.edges = {StateOnly(1, 2, EdgeState::kRemoved)};
  EXPECT_EQ(store_->ReplaceGraph(rebuilt).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Load().AllTexts(), SortedTexts(SampleDelta()));
}

TEST_F(GraphStoreTest, LoadGraphReportsUndecodableRecords) {
  FakeApplier applier(SampleDelta());
  ASSERT_TRUE(CommitWith({"m1"}, &applier).ok());
  PutRaw("edges", std::string("e\x00\x00\x00\x01\x00\x00\x00\x09", 9), std::string("\x02", 1));
  RecordingSink sink;
  Status s = store_->LoadGraph(&sink);
  EXPECT_EQ(s.code(), StatusCode::kCorruption) << s.ToString();
  auto edge = store_->GetEdge(1, 9);
  EXPECT_EQ(edge.status().code(), StatusCode::kCorruption);
}

TEST_F(GraphStoreTest, LoadGraphReportsRecordsOfUnknownKinds) {
  PutRaw("identifiers", "x", std::string("\x01", 1));
  RecordingSink sink;
  EXPECT_EQ(store_->LoadGraph(&sink).code(), StatusCode::kCorruption);
}

// A delta of the probabilistic matcher: a linked pair with its weights and a review item.
GraphDelta MatcherDelta() {
  GraphDelta d = SampleDelta();
  d.edges.push_back(ProbabilisticEdge(1, 300, "p", 3));
  d.reviews = {Review(2, 1, 300), Review(1, 2, 300)};
  return d;
}

TEST_F(GraphStoreTest, MatchEvidenceAndReviewsAreLoadedAfterReopen) {
  FakeApplier applier(MatcherDelta());
  ASSERT_TRUE(CommitWith({"m1"}, &applier).ok());
  Reopen();
  const RecordingSink sink = Load();
  EXPECT_EQ(sink.AllTexts(), SortedTexts(MatcherDelta()));
  ASSERT_EQ(sink.graph.reviews.size(), 2u);
  EXPECT_EQ(sink.graph.reviews[0].id, 1u);  // in id order

  auto edge = store_->GetEdge(300, 1);
  ASSERT_TRUE(edge.ok()) << edge.status().ToString();
  ASSERT_TRUE(edge->has_value());
  EXPECT_EQ(Text(**edge), Text(ProbabilisticEdge(1, 300, "p", 3)));
  auto plain = store_->GetEdge(1, 2);
  ASSERT_TRUE(plain.ok());
  ASSERT_TRUE(plain->has_value());
  EXPECT_FALSE((*plain)->match.has_value());

  auto review = store_->GetReview(2);
  ASSERT_TRUE(review.ok()) << review.status().ToString();
  ASSERT_TRUE(review->has_value());
  EXPECT_EQ(Text(**review), Text(Review(2, 1, 300)));
  auto none = store_->GetReview(3);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, std::nullopt);
}

TEST_F(GraphStoreTest, ADecidedReviewReplacesThePendingOne) {
  FakeApplier first(MatcherDelta());
  ASSERT_TRUE(CommitWith({"m1"}, &first).ok());
  GraphDelta decision;
  decision.reviews = {Decided(Review(2, 1, 300), ReviewState::kNoMatch, 1)};
  FakeApplier second(decision);
  ASSERT_TRUE(CommitWith({"m2"}, &second).ok());

  auto review = store_->GetReview(2);
  ASSERT_TRUE(review.ok()) << review.status().ToString();
  ASSERT_TRUE(review->has_value());
  EXPECT_EQ((*review)->state, ReviewState::kNoMatch);
  EXPECT_EQ(Text(**review), Text(decision.reviews[0]));
  Reopen();
  EXPECT_EQ(Texts(Load().graph.reviews),
            (std::vector<std::string>{Text(Review(1, 2, 300)), Text(decision.reviews[0])}));
}

TEST_F(GraphStoreTest, CommitGraphWritesReviews) {
  GraphDelta decision;
  decision.reviews = {Decided(Review(5, 1, 2), ReviewState::kMatch, 0)};
  decision.edges = {ProbabilisticEdge(1, 2, "d", 0)};
  decision.edges[0].rule = LinkRule::kReview;
  ASSERT_TRUE(store_->CommitGraph(decision, CommitOptions()).ok());
  Reopen();
  EXPECT_EQ(Load().AllTexts(), SortedTexts(decision));
}

TEST_F(GraphStoreTest, StateOnlyUpdateKeepsTheMatchEvidence) {
  FakeApplier first(MatcherDelta());
  ASSERT_TRUE(CommitWith({"m1"}, &first).ok());
  GraphDelta update;
  update.edges = {StateOnly(1, 300, EdgeState::kRemoved)};
  FakeApplier second(update);
  ASSERT_TRUE(CommitWith({"m2"}, &second).ok());
  EdgeRecord want = ProbabilisticEdge(1, 300, "p", 3);
  want.state = EdgeState::kRemoved;
  auto got = store_->GetEdge(1, 300);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ(Text(**got), Text(want));
}

TEST_F(GraphStoreTest, UnencodableReviewWritesNothing) {
  GraphDelta bad;
  bad.nodes = {Node(1, 10, "ok")};
  bad.reviews = {Review(1, 1, 2)};
  bad.reviews[0].evidence.fields.resize(33);
  FakeApplier applier(bad);
  Status s = CommitWith({"m1"}, &applier);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_EQ(applier.abandoned, 1);
  EXPECT_EQ(store_->EventCount(), 0u);
  EXPECT_TRUE(Load().graph.empty());
}

TEST_F(GraphStoreTest, ReplaceGraphReplacesReviews) {
  FakeApplier applier(MatcherDelta());
  ASSERT_TRUE(CommitWith({"m1"}, &applier).ok());
  GraphDelta rebuilt;
  rebuilt.nodes = {Node(1, 20, "user-1"), Node(5, 20, "user-5")};
  rebuilt.edges = {ProbabilisticEdge(1, 5, "z", 9)};
  rebuilt.profiles = {Profile(20, ProfileState::kActive, 0)};
  rebuilt.reviews = {Decided(Review(7, 1, 5), ReviewState::kMatch, 9)};
  ASSERT_TRUE(store_->ReplaceGraph(rebuilt).ok());
  EXPECT_EQ(Load().AllTexts(), SortedTexts(rebuilt));
  for (std::uint32_t old_id : {1u, 2u}) {
    auto old_review = store_->GetReview(old_id);
    ASSERT_TRUE(old_review.ok());
    EXPECT_EQ(*old_review, std::nullopt) << old_id;
  }
  auto review = store_->GetReview(7);
  ASSERT_TRUE(review.ok());
  ASSERT_TRUE(review->has_value());
  EXPECT_EQ(Text(**review), Text(rebuilt.reviews[0]));
  Reopen();
  EXPECT_EQ(Load().AllTexts(), SortedTexts(rebuilt));

  ASSERT_TRUE(store_->ReplaceGraph(GraphDelta()).ok());
  EXPECT_TRUE(Load().graph.empty());
}

TEST_F(GraphStoreTest, LoadGraphReportsUndecodableReviews) {
  FakeApplier applier(MatcherDelta());
  ASSERT_TRUE(CommitWith({"m1"}, &applier).ok());
  PutRaw("edges", std::string("r\x00\x00\x00\x09", 5), std::string("\x01\x03", 2));
  RecordingSink sink;
  Status s = store_->LoadGraph(&sink);
  EXPECT_EQ(s.code(), StatusCode::kCorruption) << s.ToString();
  EXPECT_EQ(store_->GetReview(9).status().code(), StatusCode::kCorruption);
  auto good = store_->GetReview(1);
  ASSERT_TRUE(good.ok());
  EXPECT_TRUE(good->has_value());
}

TEST_F(GraphStoreTest, ForEachEventVisitsTheLogInOrder) {
  ASSERT_TRUE(CommitWith({"a", "b"}, nullptr).ok());
  ASSERT_TRUE(CommitWith({"c", "a", "d"}, nullptr).ok());
  std::vector<std::pair<std::uint64_t, std::string>> seen;
  const auto record = [&](std::uint64_t sequence, std::string_view json) {
    seen.emplace_back(sequence, std::string(json));
    return true;
  };
  ASSERT_TRUE(store_->ForEachEvent(0, record).ok());
  ASSERT_EQ(seen.size(), 4u);
  const std::vector<std::string> ids = {"a", "b", "c", "d"};
  for (std::size_t i = 0; i < ids.size(); ++i) {
    EXPECT_EQ(seen[i].first, i + 1);
    EXPECT_EQ(seen[i].second, MakeEvent(ids[i]).json);
  }
  seen.clear();
  ASSERT_TRUE(store_->ForEachEvent(3, record).ok());
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].first, 3u);
  seen.clear();
  ASSERT_TRUE(store_->ForEachEvent(5, record).ok());
  EXPECT_TRUE(seen.empty());
}

TEST_F(GraphStoreTest, ForEachEventStopsWhenTheCallbackSaysSo) {
  ASSERT_TRUE(CommitWith({"a", "b", "c"}, nullptr).ok());
  std::vector<std::uint64_t> seen;
  ASSERT_TRUE(store_
                  ->ForEachEvent(1,
                                 [&](std::uint64_t sequence, std::string_view) {
                                   seen.push_back(sequence);
                                   return sequence < 2;
                                 })
                  .ok());
  EXPECT_EQ(seen, (std::vector<std::uint64_t>{1, 2}));
}

TEST_F(GraphStoreTest, GraphCallsOnAClosedStoreFail) {
  ASSERT_TRUE(store_->Close().ok());
  RecordingSink sink;
  EXPECT_EQ(store_->LoadGraph(&sink).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->GetEdge(1, 2).status().code(), StatusCode::kFailedPrecondition);
  std::vector<std::optional<EdgeRecord>> out;
  EXPECT_EQ(store_->GetEdges({}, &out).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->GetProfile(1).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->GetReview(1).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->ReplaceGraph(GraphDelta()).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->ForEachEvent(0, [](std::uint64_t, std::string_view) { return true; }).code(),
            StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace cdp::storage
