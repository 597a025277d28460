// The identity graph at scale: memory per identifier (resident set growth while building a
// graph of N identifiers from identify events, the way the writer does) and the start-up load
// of such a graph from a real store. Prints one JSON line.
//
//   identity_scale [--identifiers N] [--dir DIR]   (defaults: 10,000,000 and a temporary dir;
//                                                   with --dir the store is kept)
//   identity_scale --load-only DIR                  (times loading the graph kept in DIR)
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "bench/identity_events.h"
#include "cdp/identity_graph.h"
#include "storage/store.h"

namespace cdp {
namespace {

std::size_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t pages = 0;
  std::size_t resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Applies events until the graph holds `identifiers` nodes; takes the delta every 1000 events
// (discarding it) unless `keep_delta`, in which case the whole graph's records stay pending.
std::uint64_t Build(IdentityGraph& graph, std::uint64_t identifiers, bool keep_delta) {
  // ~4.2 identifiers per person once all are seen; a larger population reaches N sooner.
  bench::IdentifyEventSource source(identifiers / 3, 7);
  Event event;
  GraphDelta delta;
  std::uint64_t n = 0;
  while (graph.Stats().nodes < identifiers) {
    source.Next(n, &event);
    graph.ApplyEvent(event, ++n);
    if (!keep_delta && n % 1000 == 0) graph.TakeDelta(&delta);
    if (n % 2'000'000 == 0) {
      std::fprintf(stderr, "\r  %llu events, %zu identifiers", static_cast<unsigned long long>(n),
                   graph.Stats().nodes);
    }
  }
  std::fprintf(stderr, "\n");
  return n;
}

struct LoadTiming {
  double open_seconds = 0;
  double read_seconds = 0;    // Store::LoadGraph
  double finish_seconds = 0;  // IdentityGraph::FinishLoad
};

// Opens the store in `dir` and loads its graph into `graph`, timing each step; as the server
// starts up.
Status TimedLoad(const std::string& dir, IdentityGraph* graph, LoadTiming* timing) {
  auto start = std::chrono::steady_clock::now();
  auto store = storage::Store::Open(dir + "/db", storage::StoreOptions());
  if (!store.ok()) return store.status();
  timing->open_seconds = SecondsSince(start);
  IdentityGraphLoader sink(graph);
  start = std::chrono::steady_clock::now();
  Status s = (*store)->LoadGraph(&sink);
  timing->read_seconds = SecondsSince(start);
  start = std::chrono::steady_clock::now();
  if (s.ok()) s = graph->FinishLoad();
  timing->finish_seconds = SecondsSince(start);
  return s;
}

// Times the start-up load of the graph stored in `dir` (made by an earlier run with --dir).
int LoadOnly(const std::string& dir) {
  IdentityGraph loaded(IdentityConfig::Defaults());
  LoadTiming t;
  Status s = TimedLoad(dir, &loaded, &t);
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  std::printf(
      "{\"identifiers\":%zu,\"edges\":%zu,\"store_open_seconds\":%.2f,"
      "\"read_seconds\":%.2f,\"finish_seconds\":%.2f}\n",
      loaded.Stats().nodes, loaded.Stats().edges, t.open_seconds, t.read_seconds, t.finish_seconds);
  return 0;
}

int Run(std::uint64_t identifiers, std::string dir) {
  const bool temporary = dir.empty();
  if (temporary) {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "identity_scale.XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      std::fprintf(stderr, "cannot create a temporary directory\n");
      return 1;
    }
    dir = pattern;
  }
  // 1. Memory: resident set growth while building.
  std::fprintf(stderr, "building a graph of %llu identifiers in memory\n",
               static_cast<unsigned long long>(identifiers));
  const std::size_t rss_before = ResidentBytes();
  auto start = std::chrono::steady_clock::now();
  auto graph = std::make_unique<IdentityGraph>(IdentityConfig::Defaults());
  const std::uint64_t events = Build(*graph, identifiers, false);
  const double build_seconds = SecondsSince(start);
  const std::size_t rss_after = ResidentBytes();
  const IdentityGraphStats stats = graph->Stats();
  const double bytes_per_identifier =
      static_cast<double>(rss_after - rss_before) / static_cast<double>(stats.nodes);

  // 2. Store the same graph (rebuilt with its whole delta pending) and load it back.
  std::fprintf(stderr, "writing it to a store in %s\n", dir.c_str());
  GraphDelta all;
  {
    IdentityGraph again(IdentityConfig::Defaults());
    Build(again, identifiers, true);
    again.TakeDelta(&all);
  }
  {
    auto store = storage::Store::Open(dir + "/db", storage::StoreOptions());
    if (!store.ok()) {
      std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
      return 1;
    }
    if (Status s = (*store)->ReplaceGraph(all); !s.ok()) {
      std::fprintf(stderr, "%s\n", s.ToString().c_str());
      return 1;
    }
    all = GraphDelta();
    if (Status s = (*store)->Close(); !s.ok()) {
      std::fprintf(stderr, "%s\n", s.ToString().c_str());
      return 1;
    }
  }
  std::fprintf(stderr, "loading it back\n");
  IdentityGraph loaded(IdentityConfig::Defaults());
  LoadTiming t;
  if (Status s = TimedLoad(dir, &loaded, &t); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  const bool same = loaded.NodeProfiles() == graph->NodeProfiles();
  std::printf(
      "{\"identifiers\":%zu,\"edges\":%zu,\"profiles\":%zu,\"events\":%llu,"
      "\"build_seconds\":%.2f,\"events_per_second\":%.0f,\"rss_growth_bytes\":%zu,"
      "\"bytes_per_identifier\":%.1f,\"graph_estimate_bytes\":%zu,"
      "\"store_open_seconds\":%.2f,\"read_seconds\":%.2f,\"load_seconds\":%.2f,"
      "\"loaded_equals_built\":%s}\n",
      stats.nodes, stats.edges, stats.profiles, static_cast<unsigned long long>(events),
      build_seconds, static_cast<double>(events) / build_seconds, rss_after - rss_before,
      bytes_per_identifier, stats.memory_bytes, t.open_seconds, t.read_seconds,
      t.open_seconds + t.read_seconds + t.finish_seconds, same ? "true" : "false");
  if (temporary) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  return same ? 0 : 1;
}

}  // namespace
}  // namespace cdp

int main(int argc, char** argv) {
  std::uint64_t identifiers = 10'000'000;
  std::string dir;
  if (argc == 3 && std::string_view(argv[1]) == "--load-only") return cdp::LoadOnly(argv[2]);
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    if (flag == "--identifiers") {
      identifiers = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (flag == "--dir") {
      dir = argv[i + 1];
    } else {
      std::fprintf(stderr,
                   "usage: identity_scale [--identifiers N] [--dir DIR] | --load-only DIR\n");
      return 2;
    }
  }
  if (identifiers == 0) {
    std::fprintf(stderr, "--identifiers: expected a positive number\n");
    return 2;
  }
  return cdp::Run(identifiers, dir);
}
