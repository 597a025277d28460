// Reads of the change feed and the profile timeline from a real store (storage/store.h): pages
// of `changes` as GET /v1/changes and subscribers read them, and newest-first timeline pages
// merged across a profile's identifiers as GET /v1/profiles/{ref}/events reads them. The store
// is filled once per process (1,000,000 changes; 200,000 events anchored at 20,000 nodes) in a
// temporary directory, flushed to SST files by a reopen, and removed at exit.
#include <benchmark/benchmark.h>

#include <unistd.h>
#include <cstdint>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <system_error>
#include <vector>

#include "cdp/graph_delta.h"
#include "storage/store.h"

namespace {

namespace fs = std::filesystem;
using cdp::storage::Store;

constexpr std::uint64_t kChanges = 1'000'000;
constexpr std::uint32_t kNodes = 20'000;
constexpr std::uint64_t kAnchoredEvents = 200'000;

struct Fixture {
  fs::path dir;
  std::unique_ptr<Store> store;

  Fixture() {
    dir = fs::temp_directory_path() / ("cdp_change_feed_bench_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    Open();
    std::mt19937_64 rng(7);
    cdp::GraphDelta delta;
    for (std::uint64_t i = 0; i < kChanges; ++i) {
      cdp::ChangeRecord c;
      c.type = i % 17 == 0 ? cdp::ChangeType::kMerge : cdp::ChangeType::kUpsert;
      c.profile = rng() % 1'000'000 + 1;
      c.merged_into = c.type == cdp::ChangeType::kMerge ? rng() % 1'000'000 + 1 : 0;
      c.at = cdp::Timestamp(std::chrono::milliseconds(1'767'225'600'000 + i));
      c.event_sequence = i + 1;
      delta.changes.push_back(c);
      if (i < kAnchoredEvents) {
        delta.anchors.push_back({i + 1, static_cast<std::uint32_t>(rng() % kNodes)});
      }
      if (delta.changes.size() == 10'000) Write(delta);
    }
    Write(delta);
    // Reopened: the reads below hit SST files, as on a server that has run a while.
    store.reset();
    Open();
  }
  ~Fixture() {
    store.reset();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  void Open() {
    auto opened = Store::Open(dir.string(), cdp::storage::StoreOptions());
    if (!opened.ok()) std::abort();
    store = std::move(opened).value();
  }
  void Write(cdp::GraphDelta& delta) {
    if (!store->CommitGraph(delta, cdp::CommitOptions{false, nullptr}).ok()) std::abort();
    delta.clear();
  }
};

// Built on first use; destroyed (its directory removed) at exit.
Fixture& Shared() {
  static Fixture fixture;
  return fixture;
}

// Reads the whole feed in pages of `range(0)`, from the start, as a CRM job catching up.
void BM_ReadChangeFeed(benchmark::State& state) {
  Store& store = *Shared().store;
  const auto page = static_cast<std::size_t>(state.range(0));
  std::vector<Store::StoredChange> changes;
  std::uint64_t after = 0;
  std::uint64_t read = 0;
  for (auto _ : state) {
    changes.clear();
    if (!store.ReadChanges(after, page, &changes).ok()) std::abort();
    read += changes.size();
    after = changes.empty() ? 0 : changes.back().sequence;
    benchmark::DoNotOptimize(changes.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(read));
}
BENCHMARK(BM_ReadChangeFeed)->Arg(1'000)->Arg(10'000);

// The newest `range(1)` events of a profile of `range(0)` identifiers (random nodes).
void BM_ReadTimelinePage(benchmark::State& state) {
  Store& store = *Shared().store;
  const auto node_count = static_cast<std::size_t>(state.range(0));
  const auto limit = static_cast<std::size_t>(state.range(1));
  std::mt19937 rng(11);
  std::vector<std::uint32_t> nodes(node_count);
  std::vector<std::uint64_t> sequences;
  std::vector<std::optional<std::string>> events;
  for (auto _ : state) {
    for (auto& n : nodes) n = static_cast<std::uint32_t>(rng() % kNodes);
    sequences.clear();
    if (!store.ReadTimeline(nodes, 0, limit, &sequences).ok()) std::abort();
    benchmark::DoNotOptimize(sequences.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ReadTimelinePage)->Args({1, 100})->Args({4, 100})->Args({16, 100});

}  // namespace

BENCHMARK_MAIN();
