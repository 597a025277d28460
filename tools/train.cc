#include "tools/train.h"

#include <unistd.h>

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <optional>
#include <random>

#include "cdp/clock.h"
#include "cdp/identity_graph.h"
#include "cdp/match_model.h"
#include "cdp/matcher.h"
#include "ingest/phone_normalizer.h"
#include "ingest/segment_parser.h"
#include "storage/identity_load.h"
#include "storage/store.h"
#include "tools/linkage_csv.h"

namespace cdp::tools {
namespace {

using SteadyClock = std::chrono::steady_clock;

// A progress line on stderr at most once a second (redrawn in place on a terminal).
class StepProgress {
 public:
  explicit StepProgress(bool enabled) : enabled_(enabled), tty_(::isatty(STDERR_FILENO) != 0) {}
  void Update(const char* step, std::size_t done, std::size_t total, bool force = false) {
    if (!enabled_) return;
    const auto now = SteadyClock::now();
    if (!force && now - last_ < std::chrono::seconds(1)) return;
    last_ = now;
    std::fprintf(stderr, "%scdp train: %s %zu/%zu%s", tty_ ? "\r" : "", step, done, total,
                 tty_ ? "   " : "\n");
    std::fflush(stderr);
  }
  void Finish() {
    if (enabled_ && tty_) std::fputc('\n', stderr);
  }

 private:
  bool enabled_;
  bool tty_;
  SteadyClock::time_point last_{};
};

struct TrainingSet {
  std::vector<PreparedRecord> records;
  // For records read from a store: their graph nodes, and the graph (for the prior from
  // deterministic links).
  std::vector<std::uint32_t> nodes;
  std::unique_ptr<IdentityGraph> graph;
  std::size_t skipped = 0;  // messages without enough person attributes, or invalid
};

Status ReadMessages(const std::vector<LabelledMessage>& messages, const Config& config,
                    TrainingSet* out) {
  ingest::SegmentParserOptions parser_options;
  parser_options.identity = config.identity;
  parser_options.phones = &ingest::DefaultPhoneNormalizer();
  ingest::SegmentParser parser(std::move(parser_options));
  absl::flat_hash_set<std::string> seen;
  for (const LabelledMessage& m : messages) {
    ingest::ParsedRequest parsed;
    ingest::ParseFailure failure;
    if (!parser.ParseFrame(m.json, SystemClock::Default().Now(), &parsed, &failure) ||
        !parsed.errors.empty() || parsed.events.empty() || !parsed.events[0].person) {
      ++out->skipped;
      continue;
    }
    // Equal records are one record, as in the graph.
    if (!seen.insert(EncodePersonRecord(*parsed.events[0].person)).second) continue;
    out->records.push_back(PrepareRecord(*parsed.events[0].person));
  }
  return Status::Ok();
}

// Pairs of records sharing a blocking key (blocks above the matcher's cap are skipped, as the
// matcher skips them), each pair once, at most `max_pairs`.
std::vector<std::pair<std::uint32_t, std::uint32_t>> BlockedPairs(const TrainingSet& set,
                                                                  std::size_t max_block_size,
                                                                  std::size_t max_pairs,
                                                                  StepProgress& progress) {
  absl::flat_hash_map<std::uint64_t, std::vector<std::uint32_t>> blocks;
  for (std::size_t i = 0; i < set.records.size(); ++i) {
    std::array<std::uint64_t, 8> keys{};
    const std::size_t n = BlockingKeys(set.records[i], keys);
    for (std::size_t k = 0; k < n; ++k) {
      blocks[keys[k]].push_back(static_cast<std::uint32_t>(i));
    }
    progress.Update("indexing records", i + 1, set.records.size());
  }
  absl::flat_hash_set<std::uint64_t> seen;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> pairs;
  std::size_t done = 0;
  for (const auto& [key, members] : blocks) {
    ++done;
    if (members.size() < 2 || members.size() > max_block_size) continue;
    for (std::size_t i = 0; i < members.size() && pairs.size() < max_pairs; ++i) {
      for (std::size_t j = i + 1; j < members.size() && pairs.size() < max_pairs; ++j) {
        const std::uint64_t id = (std::uint64_t{members[i]} << 32) | members[j];
        if (seen.insert(id).second) pairs.emplace_back(members[i], members[j]);
      }
    }
    progress.Update("blocking", done, blocks.size());
  }
  return pairs;
}

void PrintModel(const MatchModel& model) {
  std::printf("%-10s %-26s %10s %10s %8s\n", "field", "level", "m", "u", "weight");
  for (std::uint8_t f = 0; f < kMatchFieldCount; ++f) {
    for (std::uint8_t l = 0; l < kMatchFieldLevels[f]; ++l) {
      std::printf("%-10s %-26s %10.6f %10.6f %8.2f\n", std::string(MatchFieldName(f)).c_str(),
                  std::string(MatchLevelName(f, l)).c_str(), model.m[f][l], model.u[f][l],
                  model.LevelWeight(f, l));
    }
  }
  std::printf("prior %.6f (weight %.2f)\n", model.prior, model.PriorWeight());
}

}  // namespace

int RunTrain(const TrainOptions& options) {
  const auto start = SteadyClock::now();
  const auto fail = [](const Status& s) {
    std::fprintf(stderr, "cdp train: %s\n", s.ToString().c_str());
    return 1;
  };
  const bool from_files = !options.csv.empty() || !options.events.empty();
  if (!from_files && options.data_dir.empty()) {
    return fail(InvalidArgumentError("give --data, --csv or --events"));
  }
  if (!options.events.empty() && options.truth.empty()) {
    return fail(InvalidArgumentError("--events needs --truth"));
  }

  std::unique_ptr<storage::Store> store;
  if (!options.data_dir.empty() && (!from_files || !options.dry_run)) {
    storage::StoreOptions store_options;
    store_options.create_if_missing = from_files;
    auto opened = storage::Store::Open(options.data_dir, store_options);
    if (!opened.ok())
      return fail(opened.status().WithContext("data directory " + options.data_dir));
    store = std::move(opened).value();
  }
  const auto close_and = [&store](int code) {
    if (store) {
      Status closed = store->Close();
      if (!closed.ok()) {
        std::fprintf(stderr, "cdp train: %s\n", closed.ToString().c_str());
        return 1;
      }
    }
    return code;
  };

  // The training records.
  TrainingSet set;
  if (from_files) {
    std::vector<LabelledMessage> messages;
    for (const std::string& path : options.csv) {
      auto read = ReadLinkageCsv(path);
      if (!read.ok()) return close_and(fail(read.status().WithContext(path)));
      messages.insert(messages.end(), std::make_move_iterator(read->begin()),
                      std::make_move_iterator(read->end()));
    }
    if (!options.events.empty()) {
      auto read = ReadGeneratedEvents(options.events, options.truth);
      if (!read.ok()) return close_and(fail(read.status().WithContext(options.events)));
      messages.insert(messages.end(), std::make_move_iterator(read->begin()),
                      std::make_move_iterator(read->end()));
    }
    if (Status s = ReadMessages(messages, options.config, &set); !s.ok()) {
      return close_and(fail(s));
    }
  } else {
    auto loaded = storage::LoadIdentityGraph(*store, options.config.identity);
    if (!loaded.ok()) return close_and(fail(loaded.status()));
    set.graph = std::move(loaded).value();
    for (std::size_t i = 0; i < set.graph->NodeCount(); ++i) {
      const auto node = static_cast<std::uint32_t>(i);
      if (set.graph->NodeType(node) != kPersonRecord) continue;
      auto person = DecodePersonRecord(set.graph->NodeValue(node));
      if (!person.ok()) return close_and(fail(person.status()));
      set.records.push_back(PrepareRecord(*person));
      set.nodes.push_back(node);
    }
  }
  if (set.records.size() < 2) {
    return close_and(fail(FailedPreconditionError("fewer than two person records to train on")));
  }

  StepProgress progress(options.progress);
  const std::vector<std::pair<std::uint32_t, std::uint32_t>> blocked =
      BlockedPairs(set, options.config.matching.max_block_size, options.max_pairs, progress);
  std::vector<ComparisonVector> blocked_vectors;
  blocked_vectors.reserve(blocked.size());
  std::size_t same_profile = 0;
  for (std::size_t i = 0; i < blocked.size(); ++i) {
    const auto [a, b] = blocked[i];
    blocked_vectors.push_back(CompareRecords(set.records[a], set.records[b]));
    if (set.graph && set.graph->SameProfile(set.nodes[a], set.nodes[b])) ++same_profile;
    progress.Update("comparing blocked pairs", i + 1, blocked.size());
  }
  std::vector<ComparisonVector> random_vectors;
  random_vectors.reserve(options.random_pairs);
  std::mt19937_64 rng(options.seed);
  std::uniform_int_distribution<std::size_t> pick(0, set.records.size() - 1);
  for (std::size_t i = 0; i < options.random_pairs; ++i) {
    const std::size_t a = pick(rng);
    std::size_t b = pick(rng);
    if (a == b) b = (b + 1) % set.records.size();
    random_vectors.push_back(CompareRecords(set.records[a], set.records[b]));
    progress.Update("comparing random pairs", i + 1, options.random_pairs);
  }

  // u from random pairs, then m and the prior by EM on the blocked pairs.
  MatchModel model = MatchModel::Defaults();
  std::uint32_t previous_version = 0;
  if (store) {
    auto stored = storage::LoadMatchModel(*store);
    if (!stored.ok()) return close_and(fail(stored.status()));
    previous_version = stored->version;
  }
  EstimateU(random_vectors, &model);
  EmOptions em;
  em.max_iterations = 200;
  em.update_u = true;
  const EmResult fit = FitEm(blocked_vectors, em, &model, [&](int it) {
    progress.Update("EM iteration", static_cast<std::size_t>(it),
                    static_cast<std::size_t>(em.max_iterations));
  });
  progress.Finish();
  // The prior from deterministic links where the store has enough of them: the share of
  // blocked pairs whose records already share a profile.
  const char* prior_source = "EM";
  constexpr std::size_t kMinLinkedPairs = 1000;
  if (same_profile >= kMinLinkedPairs) {
    model.prior =
        std::clamp(static_cast<double>(same_profile) / static_cast<double>(blocked_vectors.size()),
                   1e-6, 1 - 1e-6);
    prior_source = "deterministic links";
  }
  model.version = previous_version + 1;
  if (Status s = model.Validate(); !s.ok()) return close_and(fail(s));

  PrintModel(model);
  const double seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
  std::printf(
      "cdp train: %zu records (%zu messages skipped), %zu blocked pairs, %zu random pairs, EM %s "
      "after %d iterations (share of matches %.6f), %zu blocked pairs already linked; prior from "
      "%s; %.1f s\n",
      set.records.size(), set.skipped, blocked_vectors.size(), random_vectors.size(),
      fit.converged ? "converged" : "stopped", fit.iterations, fit.prior, same_profile,
      prior_source, seconds);
  if (!store || options.dry_run) {
    std::printf("cdp train: model version %u not stored%s\n", model.version,
                options.dry_run ? " (--dry-run)" : " (no --data)");
    return close_and(0);
  }
  if (Status s = store->PutMeta(storage::kMatchModelMetaKey, model.ToText()); !s.ok()) {
    return close_and(fail(s));
  }
  std::printf("cdp train: model version %u stored in %s; the server uses it from its next start\n",
              model.version, options.data_dir.c_str());
  return close_and(0);
}

}  // namespace cdp::tools
