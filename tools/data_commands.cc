#include "tools/data_commands.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <tuple>
#include <vector>

#include "api/profile_traits_writer.h"
#include "cdp/clock.h"
#include "cdp/identity_service.h"
#include "ingest/config_parser.h"
#include "ingest/phone_normalizer.h"
#include "storage/identity_load.h"
#include "storage/store.h"

namespace cdp::tools {
namespace {

using SteadyClock = std::chrono::steady_clock;

// Progress on stderr: redrawn in place on a terminal, one line a second otherwise.
class Progress {
 public:
  Progress(bool enabled, std::uintmax_t total_bytes)
      : enabled_(enabled), tty_(::isatty(STDERR_FILENO) != 0), total_(total_bytes) {}

  void Update(std::uintmax_t bytes, std::size_t lines, bool force = false) {
    if (!enabled_) return;
    const auto now = SteadyClock::now();
    const auto every = tty_ ? std::chrono::milliseconds(200) : std::chrono::milliseconds(1000);
    if (!force && now - last_ < every) return;
    last_ = now;
    const double fraction =
        total_ == 0 ? 1.0 : static_cast<double>(bytes) / static_cast<double>(total_);
    const double seconds = std::chrono::duration<double>(now - start_).count();
    const double rate = seconds > 0 ? static_cast<double>(lines) / seconds : 0.0;
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(fraction * kWidth);
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.resize(kWidth, '.');
    std::fprintf(stderr, "%s[%s] %5.1f%% %zu lines %.0f lines/s%s", tty_ ? "\r" : "", bar.c_str(),
                 fraction * 100.0, lines, rate, tty_ ? "" : "\n");
    std::fflush(stderr);
  }
  // What to print before a message so that it does not run into the bar.
  const char* LineBreak() const {
    return enabled_ && tty_ && last_ != SteadyClock::time_point{} ? "\n" : "";
  }
  void Finish() {
    if (enabled_ && tty_) std::fputc('\n', stderr);
  }

 private:
  bool enabled_;
  bool tty_;
  std::uintmax_t total_;
  SteadyClock::time_point start_ = SteadyClock::now();
  SteadyClock::time_point last_{};
};

struct ImportTotals {
  std::size_t lines = 0;
  std::size_t blank = 0;
  std::size_t invalid = 0;
  std::size_t stored = 0;
  std::size_t duplicates = 0;
};

Status CommitBatch(storage::Store& store, IdentityService& identity, std::vector<Event>& events,
                   ImportTotals& totals) {
  if (events.empty()) return Status::Ok();
  std::vector<std::uint8_t> stored;
  CDP_RETURN_IF_ERROR(store.Commit(events, CommitOptions{/*sync=*/false, &identity}, &stored));
  std::size_t n = 0;
  for (std::uint8_t s : stored) n += s;
  totals.stored += n;
  totals.duplicates += events.size() - n;
  events.clear();
  return Status::Ok();
}

}  // namespace

Result<Config> LoadConfigFile(const std::string& path) {
  if (path.empty()) return Config();
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError("cannot open the config file " + path);
  std::string text(ingest::kMaxConfigBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) return IoError("cannot read the config file " + path);
  text.resize(static_cast<std::size_t>(in.gcount()));
  auto config = ingest::ParseConfig(text);
  if (!config.ok()) return config.status().WithContext(path);
  return config;
}

int RunImport(const ImportOptions& options) {
  if (options.batch_size == 0) {
    std::fprintf(stderr, "cdp import: --batch-size must be at least 1\n");
    return 2;
  }
  std::ifstream in(options.file, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cdp import: cannot open %s\n", options.file.c_str());
    return 1;
  }
  std::error_code ec;
  const std::uintmax_t file_size = std::filesystem::file_size(options.file, ec);
  auto store_or = storage::Store::Open(options.data_dir, storage::StoreOptions());
  if (!store_or.ok()) {
    std::fprintf(stderr, "cdp import: data directory %s: %s\n", options.data_dir.c_str(),
                 store_or.status().ToString().c_str());
    return 1;
  }
  std::unique_ptr<storage::Store> store = std::move(store_or).value();
  // The identity graph and its matcher follow the log, as in the server.
  auto loaded = storage::LoadIdentity(*store, options.config.identity, options.config.matching);
  if (!loaded.ok()) {
    std::fprintf(stderr, "cdp import: data directory %s: %s\n", options.data_dir.c_str(),
                 loaded.status().ToString().c_str());
    return 1;
  }
  storage::Store* store_ptr = store.get();
  const IdentityConfig identity_config = options.config.identity;
  const MatcherOptions matching = options.config.matching;
  IdentityService identity(
      std::move(loaded).value(),
      [store_ptr, identity_config, matching] {
        return storage::LoadIdentity(*store_ptr, identity_config, matching);
      },
      nullptr);
  ingest::SegmentParserOptions parser_options;
  parser_options.limits = options.limits;
  parser_options.identity = options.config.identity;
  parser_options.phones = &ingest::DefaultPhoneNormalizer();
  // Profile traits follow the log too.
  api::ProfileTraitsWriter traits_writer(
      store.get(), options.config.profiles, parser_options,
      identity.Read([](const IdentityGraph& g) { return g.ProfileIdEnd(); }), nullptr);
  identity.SetDerivedStateWriter(&traits_writer);
  ingest::SegmentParser parser(std::move(parser_options));
  Progress progress(options.progress, ec ? 0 : file_size);
  ImportTotals totals;
  std::vector<Event> events;
  events.reserve(options.batch_size);
  std::string line;
  std::uintmax_t bytes = 0;
  const auto start = SteadyClock::now();
  Status status = Status::Ok();
  bool strict_stop = false;
  while (std::getline(in, line)) {
    ++totals.lines;
    bytes += line.size() + 1;
    if (line.find_first_not_of(" \t\r") == std::string::npos) {
      ++totals.blank;
      continue;
    }
    ingest::ParsedRequest parsed;
    ingest::ParseFailure failure;
    const bool ok = parser.ParseFrame(line, SystemClock::Default().Now(), &parsed, &failure);
    if (!ok || !parsed.errors.empty()) {
      ++totals.invalid;
      const std::string why = ok ? parsed.errors.front().message : failure.status.ToString();
      std::fprintf(stderr, "%sline %zu: %s\n", progress.LineBreak(), totals.lines, why.c_str());
      if (options.strict) {
        // The lines before it are still stored: an import is not atomic (it commits in
        // batches), and a re-run deduplicates them.
        strict_stop = true;
        break;
      }
      continue;
    }
    for (Event& e : parsed.events) events.push_back(std::move(e));
    if (events.size() >= options.batch_size) {
      status = CommitBatch(*store, identity, events, totals);
      if (!status.ok()) break;
    }
    progress.Update(bytes, totals.lines);
  }
  if (status.ok() && in.bad()) status = IoError("reading the input failed");
  if (status.ok()) status = CommitBatch(*store, identity, events, totals);
  if (status.ok()) status = store->SyncWal();
  progress.Update(bytes, totals.lines, /*force=*/true);
  progress.Finish();
  Status closed = store->Close();
  if (status.ok()) status = closed;
  const double seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
  std::printf(
      "cdp import: %zu lines in %.1f s (%.0f lines/s): %zu stored, %zu duplicates, %zu invalid, "
      "%zu blank; the store holds %llu events\n",
      totals.lines, seconds, seconds > 0 ? static_cast<double>(totals.lines) / seconds : 0.0,
      totals.stored, totals.duplicates, totals.invalid, totals.blank,
      static_cast<unsigned long long>(store->EventCount()));
  if (!status.ok()) {
    std::fprintf(stderr, "cdp import: %s\n", status.ToString().c_str());
    return 1;
  }
  if (strict_stop) {
    std::fprintf(stderr, "cdp import: stopped at line %zu (--strict)\n", totals.lines);
  }
  return totals.invalid == 0 ? 0 : 1;
}

int RunEvents(const std::string& data_dir, std::size_t limit) {
  storage::StoreOptions store_options;
  store_options.create_if_missing = false;
  auto store_or = storage::Store::Open(data_dir, store_options);
  if (!store_or.ok()) {
    std::fprintf(stderr, "cdp events: data directory %s: %s\n", data_dir.c_str(),
                 store_or.status().ToString().c_str());
    return 1;
  }
  std::unique_ptr<storage::Store> store = std::move(store_or).value();
  const std::uint64_t last = store->LastSequence();
  std::size_t printed = 0;
  for (std::uint64_t seq = last; seq >= 1 && printed < limit; --seq) {
    auto event = store->GetEvent(seq);
    if (!event.ok()) {
      std::fprintf(stderr, "cdp events: %s\n", event.status().ToString().c_str());
      return 1;
    }
    if (!event->has_value()) continue;
    std::fwrite((*event)->data(), 1, (*event)->size(), stdout);
    std::fputc('\n', stdout);
    ++printed;
  }
  Status closed = store->Close();
  if (!closed.ok()) {
    std::fprintf(stderr, "cdp events: %s\n", closed.ToString().c_str());
    return 1;
  }
  return 0;
}

namespace {

// Every record of a stored graph, for comparing two graphs record by record.
class RecordCollector final : public GraphRecordSink {
 public:
  void OnNode(const NodeRecord& r) override { all.nodes.push_back(r); }
  void OnEdge(const EdgeRecord& r) override { all.edges.push_back(r); }
  void OnProfile(const ProfileRecord& r) override { all.profiles.push_back(r); }
  void OnCannotLink(const CannotLinkRecord& r) override { all.cannot_links.push_back(r); }
  void OnReview(const ReviewRecord& r) override { all.reviews.push_back(r); }
  GraphDelta all;
};

void SortRecords(GraphDelta& d) {
  std::sort(d.nodes.begin(), d.nodes.end(),
            [](const NodeRecord& x, const NodeRecord& y) { return x.node < y.node; });
  std::sort(d.edges.begin(), d.edges.end(), [](const EdgeRecord& x, const EdgeRecord& y) {
    return std::pair(x.a, x.b) < std::pair(y.a, y.b);
  });
  std::sort(d.profiles.begin(), d.profiles.end(),
            [](const ProfileRecord& x, const ProfileRecord& y) { return x.id < y.id; });
  std::sort(d.cannot_links.begin(), d.cannot_links.end(),
            [](const CannotLinkRecord& x, const CannotLinkRecord& y) { return x.id < y.id; });
  std::sort(d.reviews.begin(), d.reviews.end(),
            [](const ReviewRecord& x, const ReviewRecord& y) { return x.id < y.id; });
}

// How many records of `a` and `b` differ (by position after sorting, plus the size gap).
std::size_t CountDifferences(const GraphDelta& a, const GraphDelta& b) {
  std::size_t diff = 0;
  const auto count = [&diff](const auto& x, const auto& y, auto same) {
    const std::size_t n = std::min(x.size(), y.size());
    diff += std::max(x.size(), y.size()) - n;
    for (std::size_t i = 0; i < n; ++i) diff += same(x[i], y[i]) ? 0 : 1;
  };
  count(a.nodes, b.nodes, [](const NodeRecord& x, const NodeRecord& y) {
    return x.node == y.node && x.type == y.type && x.value == y.value && x.hash == y.hash &&
           x.first_seen == y.first_seen && x.last_seen == y.last_seen && x.profile == y.profile;
  });
  count(a.edges, b.edges, [](const EdgeRecord& x, const EdgeRecord& y) {
    return x.a == y.a && x.b == y.b && x.state == y.state && x.rule == y.rule &&
           x.evidence_time == y.evidence_time && x.evidence_message == y.evidence_message &&
           x.evidence_sequence == y.evidence_sequence && x.match == y.match;
  });
  count(a.profiles, b.profiles, [](const ProfileRecord& x, const ProfileRecord& y) {
    return x.id == y.id && x.state == y.state && x.merged_into == y.merged_into &&
           x.created_at == y.created_at;
  });
  count(a.cannot_links, b.cannot_links, [](const CannotLinkRecord& x, const CannotLinkRecord& y) {
    return x.id == y.id && x.sides == y.sides && x.at == y.at &&
           x.after_sequence == y.after_sequence;
  });
  count(a.reviews, b.reviews, [](const ReviewRecord& x, const ReviewRecord& y) {
    return x.id == y.id && x.record_node == y.record_node && x.candidate_node == y.candidate_node &&
           x.left_profile == y.left_profile && x.right_profile == y.right_profile &&
           x.evidence == y.evidence && x.created_at == y.created_at &&
           x.message_id == y.message_id && x.sequence == y.sequence && x.state == y.state &&
           x.decided_at == y.decided_at && x.decided_after_sequence == y.decided_after_sequence;
  });
  return diff;
}

}  // namespace

int RunRebuild(const RebuildOptions& options) {
  storage::StoreOptions store_options;
  store_options.create_if_missing = false;
  auto store_or = storage::Store::Open(options.data_dir, store_options);
  if (!store_or.ok()) {
    std::fprintf(stderr, "cdp rebuild: data directory %s: %s\n", options.data_dir.c_str(),
                 store_or.status().ToString().c_str());
    return 1;
  }
  std::unique_ptr<storage::Store> store = std::move(store_or).value();
  const auto fail = [&store](const Status& s) {
    std::fprintf(stderr, "cdp rebuild: %s\n", s.ToString().c_str());
    Status closed = store->Close();
    if (!closed.ok()) std::fprintf(stderr, "cdp rebuild: %s\n", closed.ToString().c_str());
    return 1;
  };
  const auto start = SteadyClock::now();

  // The stored graph: its records, and the operator actions to replay at their place in the
  // log: splits, and review decisions (a `no_match` also stored a cannot-link, which its
  // replay records again: it is not a split).
  RecordCollector stored;
  if (Status s = store->LoadGraph(&stored); !s.ok()) return fail(s);
  SortRecords(stored.all);
  std::vector<ReviewRecord> decisions;
  std::set<std::tuple<std::uint64_t, std::uint32_t, std::uint32_t>> review_cannot_links;
  for (const ReviewRecord& r : stored.all.reviews) {
    if (r.state == ReviewState::kPending) continue;
    decisions.push_back(r);
    if (r.state == ReviewState::kNoMatch) {
      review_cannot_links.emplace(r.decided_after_sequence, r.record_node, r.candidate_node);
    }
  }
  std::sort(decisions.begin(), decisions.end(), [](const ReviewRecord& x, const ReviewRecord& y) {
    return std::pair(x.decided_after_sequence, x.decided_at) <
           std::pair(y.decided_after_sequence, y.decided_at);
  });
  std::vector<CannotLinkRecord> splits;
  for (const CannotLinkRecord& cl : stored.all.cannot_links) {
    const bool from_review =
        cl.sides[0].size() == 1 && cl.sides[1].size() == 1 &&
        review_cannot_links.contains({cl.after_sequence, cl.sides[0][0], cl.sides[1][0]});
    if (!from_review) splits.push_back(cl);
  }
  std::sort(splits.begin(), splits.end(), [](const CannotLinkRecord& x, const CannotLinkRecord& y) {
    return std::pair(x.after_sequence, x.id) < std::pair(y.after_sequence, y.id);
  });

  // The graph recomputed from the event log, event by event in log order, with the matcher
  // (the stored model) and the operator actions replayed after the event each followed.
  auto model = storage::LoadMatchModel(*store);
  if (!model.ok()) return fail(model.status());
  IdentityGraph graph(options.config.identity);
  Matcher matcher(options.config.matching, *model);
  graph.SetRecordResolver(&matcher);
  ingest::SegmentParserOptions parser_options;
  parser_options.identity = options.config.identity;
  parser_options.phones = &ingest::DefaultPhoneNormalizer();
  ingest::SegmentParser parser(std::move(parser_options));
  const std::uint64_t total = store->LastSequence();
  std::size_t next_split = 0;
  std::size_t replayed_splits = 0;
  Status replay = Status::Ok();
  const auto apply_splits = [&](std::uint64_t after) {
    for (; next_split < splits.size() && splits[next_split].after_sequence <= after; ++next_split) {
      const CannotLinkRecord& split = splits[next_split];
      std::vector<Identifier> moved;
      std::optional<std::uint64_t> profile;
      for (std::uint32_t node : split.sides[0]) {
        if (node >= graph.Stats().nodes) {
          replay = CorruptionError("a stored split names an identifier the log does not hold");
          return;
        }
        const ProfileIdentifier id = graph.NodeIdentifier(node);
        moved.push_back(Identifier{id.type, id.value, true, IdentifierSource::kMessage});
        if (!profile) profile = graph.FindProfile(id.type, id.value);
      }
      if (!profile) continue;
      auto outcome = graph.Split(*profile, moved, split.at, split.after_sequence);
      if (!outcome.ok()) {
        replay = outcome.status().WithContext("replaying a stored split");
        return;
      }
      ++replayed_splits;
    }
  };
  std::size_t next_decision = 0;
  const auto apply_decisions = [&](std::uint64_t after) {
    for (; next_decision < decisions.size() &&
           decisions[next_decision].decided_after_sequence <= after;
         ++next_decision) {
      const ReviewRecord& d = decisions[next_decision];
      auto outcome = matcher.Decide(
          graph, d.id,
          d.state == ReviewState::kMatch ? ReviewDecision::kMatch : ReviewDecision::kNoMatch,
          d.decided_at, d.decided_after_sequence);
      if (!outcome.ok()) {
        replay = outcome.status().WithContext("replaying review decision " + std::to_string(d.id));
        return;
      }
    }
  };
  const auto apply_actions = [&](std::uint64_t after) {
    apply_splits(after);
    if (replay.ok()) apply_decisions(after);
  };
  Progress progress(options.progress, total);
  std::size_t events = 0;
  apply_actions(0);
  Status s = store->ForEachEvent(0, [&](std::uint64_t sequence, std::string_view json) {
    auto event = parser.ReadStoredEvent(json);
    if (!event.ok()) {
      replay = event.status().WithContext("event " + std::to_string(sequence));
      return false;
    }
    graph.ApplyEvent(*event, sequence);
    ++events;
    apply_actions(sequence);
    progress.Update(sequence, events);
    return replay.ok();
  });
  progress.Update(total, events, /*force=*/true);
  progress.Finish();
  if (s.ok()) s = replay;
  if (!s.ok()) return fail(s);
  GraphDelta rebuilt;
  graph.TakeDelta(&rebuilt);
  matcher.TakeDelta(&rebuilt);
  SortRecords(rebuilt);
  const std::size_t differences = CountDifferences(rebuilt, stored.all);
  const IdentityGraphStats stats = graph.Stats();
  const double seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
  std::printf(
      "cdp rebuild: %zu events in %.1f s (%.0f events/s), %zu splits replayed: %zu identifiers, "
      "%zu edges, %zu profiles, %zu conflicts\n",
      events, seconds, seconds > 0 ? static_cast<double>(events) / seconds : 0.0, replayed_splits,
      stats.nodes, stats.edges, stats.profiles, stats.conflicts);
  if (differences == 0) {
    std::printf("cdp rebuild: the stored graph is identical to the one rebuilt from the log\n");
  } else {
    std::printf("cdp rebuild: the stored graph differs from the log in %zu records\n", differences);
  }
  if (!options.check && differences != 0) {
    if (Status w = store->ReplaceGraph(rebuilt); !w.ok()) return fail(w);
    std::printf("cdp rebuild: stored graph replaced\n");
  }
  if (Status closed = store->Close(); !closed.ok()) return fail(closed);
  return options.check && differences != 0 ? 1 : 0;
}

}  // namespace cdp::tools
