// The identity graph in memory: applying identify events (node look-up or creation, edges,
// union-find merges, and the delta the writer stores), on one core.
#include <benchmark/benchmark.h>

#include <map>
#include <vector>

#include "bench/identity_events.h"
#include "cdp/identity_graph.h"

namespace cdp {
namespace {

// Arguments: population (people). Events cycle through a pre-generated list of 1M events, so
// the graph holds up to ~4.2 identifiers per person and later events mostly re-see them.
const std::vector<Event>& Events(std::uint64_t population) {
  static std::map<std::uint64_t, std::vector<Event>>* cache =
      new std::map<std::uint64_t, std::vector<Event>>();
  auto [it, inserted] = cache->try_emplace(population);
  if (inserted) {
    bench::IdentifyEventSource source(population, 42);
    it->second.resize(1'000'000);
    for (std::size_t i = 0; i < it->second.size(); ++i) source.Next(i, &it->second[i]);
  }
  return it->second;
}

void BM_ApplyIdentifyEvents(benchmark::State& state) {
  const auto population = static_cast<std::uint64_t>(state.range(0));
  const std::vector<Event>& events = Events(population);
  IdentityGraph graph(IdentityConfig::Defaults());
  GraphDelta delta;
  std::uint64_t sequence = 0;
  std::size_t i = 0;
  std::vector<const Event*> group(1000);
  std::vector<std::uint64_t> sequences(1000);
  for (auto _ : state) {
    // The writer's unit of work: a group of events, then the delta to store.
    for (std::size_t k = 0; k < group.size(); ++k) {
      group[k] = &events[i];
      sequences[k] = ++sequence;
      if (++i == events.size()) i = 0;
    }
    graph.ApplyEvents(group, sequences);
    graph.TakeDelta(&delta);
    benchmark::DoNotOptimize(delta.nodes.data());
  }
  state.SetItemsProcessed(state.iterations() * 1000);
  const IdentityGraphStats stats = graph.Stats();
  state.counters["identifiers"] = static_cast<double>(stats.nodes);
  state.counters["profiles"] = static_cast<double>(stats.profiles);
}
BENCHMARK(BM_ApplyIdentifyEvents)->Arg(10'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace cdp

BENCHMARK_MAIN();
