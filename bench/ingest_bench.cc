// The ingest path piece by piece: parse + validate per event (with simdjson's parse alone as
// the reference), and the durable group commit per group size.
#include <benchmark/benchmark.h>
#include <simdjson.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "cdp/clock.h"
#include "ingest/segment_parser.h"
#include "storage/store.h"
#include "tools/loadgen_events.h"

namespace cdp {
namespace {

// `count` batch bodies of `batch_size` realistic events (300 to 600 bytes each).
std::vector<std::string> MakeBodies(int count, int batch_size) {
  loadgen::GeneratorOptions options;
  options.message_id_prefix = "bench-";
  loadgen::EventGenerator generator(options);
  std::vector<std::string> bodies(static_cast<std::size_t>(count));
  for (auto& body : bodies) {
    generator.AppendHttpBatch(body, batch_size, std::chrono::system_clock::now());
  }
  return bodies;
}

std::size_t TotalBytes(const std::vector<std::string>& bodies) {
  std::size_t n = 0;
  for (const auto& b : bodies) n += b.size();
  return n;
}

void BM_ParseAndValidateBatch(benchmark::State& state) {
  const int batch = static_cast<int>(state.range(0));
  const auto bodies = MakeBodies(64, batch);
  ingest::SegmentParser parser{ingest::IngestLimits()};
  const Timestamp now = SystemClock::Default().Now();
  std::size_t i = 0;
  for (auto _ : state) {
    ingest::ParsedRequest parsed;
    ingest::ParseFailure failure;
    const bool ok = parser.ParseBatch(bodies[i++ % bodies.size()], now, &parsed, &failure);
    if (!ok || !parsed.errors.empty()) {
      state.SkipWithError("a generated batch did not parse");
      break;
    }
    benchmark::DoNotOptimize(parsed.events.data());
  }
  state.SetItemsProcessed(state.iterations() * batch);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(TotalBytes(bodies) / bodies.size()));
}
BENCHMARK(BM_ParseAndValidateBatch)->Arg(100);

// The reference: simdjson's DOM parse of the same bodies, nothing else.
void BM_SimdjsonParseAlone(benchmark::State& state) {
  const int batch = static_cast<int>(state.range(0));
  const auto bodies = MakeBodies(64, batch);
  std::vector<simdjson::padded_string> padded;
  padded.reserve(bodies.size());
  for (const auto& b : bodies) padded.emplace_back(b);
  simdjson::dom::parser parser;
  std::size_t i = 0;
  for (auto _ : state) {
    simdjson::dom::element root;
    if (parser.parse(padded[i++ % padded.size()]).get(root) != simdjson::SUCCESS) {
      state.SkipWithError("parse failed");
      break;
    }
    benchmark::DoNotOptimize(root);
  }
  state.SetItemsProcessed(state.iterations() * batch);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(TotalBytes(bodies) / bodies.size()));
}
BENCHMARK(BM_SimdjsonParseAlone)->Arg(100);

// One durable commit (WAL fsync) of `range(0)` new events through the EventStore seam.
void BM_GroupCommit(benchmark::State& state) {
  const int group = static_cast<int>(state.range(0));
  const bool sync = state.range(1) != 0;
  const auto dir =
      std::filesystem::temp_directory_path() / ("cdp_bench_commit_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  auto store = storage::Store::Open(dir.string(), storage::StoreOptions());
  if (!store.ok()) {
    state.SkipWithError(store.status().ToString().c_str());
    return;
  }
  loadgen::GeneratorOptions options;
  options.message_id_prefix = "commit-";
  loadgen::EventGenerator generator(options);
  ingest::SegmentParser parser{ingest::IngestLimits()};
  std::vector<std::uint8_t> stored;
  std::int64_t bytes = 0;
  for (auto _ : state) {
    state.PauseTiming();
    // Fresh messageIds each round, built outside the timed region.
    std::vector<Event> events;
    for (int done = 0; done < group;) {
      const int n = std::min(1000, group - done);
      std::string body;
      generator.AppendHttpBatch(body, n, std::chrono::system_clock::now());
      ingest::ParsedRequest parsed;
      ingest::ParseFailure failure;
      if (!parser.ParseBatch(body, SystemClock::Default().Now(), &parsed, &failure)) break;
      for (auto& e : parsed.events) {
        bytes += static_cast<std::int64_t>(e.json.size());
        events.push_back(std::move(e));
      }
      done += n;
    }
    state.ResumeTiming();
    Status s = (*store)->Commit(events, CommitOptions{sync}, &stored);
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * group);
  state.SetBytesProcessed(bytes);
  store->reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_GroupCommit)
    ->ArgsProduct({{100, 1000, 10000}, {1}})
    ->Args({1000, 0})
    ->ArgNames({"group", "sync"})
    ->UseRealTime();

}  // namespace
}  // namespace cdp

BENCHMARK_MAIN();
