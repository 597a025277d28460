#include "tools/train.h"

#include <unistd.h>

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>

#include <algorithm>
#include <array>
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

// Pairs of records sharing a blocking key, by key kind (blocks above the matcher's cap are
// skipped, as the matcher skips them), each pair once per kind, at most `max_pairs` in all.
using PairList = std::vector<std::pair<std::uint32_t, std::uint32_t>>;
std::array<PairList, kBlockingKeyKinds> BlockedPairs(const TrainingSet& set,
                                                     std::size_t max_block_size,
                                                     std::size_t max_pairs,
                                                     StepProgress& progress) {
  std::array<absl::flat_hash_map<std::uint64_t, std::vector<std::uint32_t>>, kBlockingKeyKinds>
      blocks;
  for (std::size_t i = 0; i < set.records.size(); ++i) {
    std::array<std::uint64_t, 8> keys{};
    std::array<std::uint8_t, 8> kinds{};
    const std::size_t n = BlockingKeys(set.records[i], keys, &kinds);
    for (std::size_t k = 0; k < n; ++k) {
      blocks[kinds[k]][keys[k]].push_back(static_cast<std::uint32_t>(i));
    }
    progress.Update("indexing records", i + 1, set.records.size());
  }
  std::array<PairList, kBlockingKeyKinds> pairs;
  const std::size_t per_kind = std::max<std::size_t>(1, max_pairs / kBlockingKeyKinds);
  for (std::size_t kind = 0; kind < kBlockingKeyKinds; ++kind) {
    absl::flat_hash_set<std::uint64_t> seen;
    PairList& out = pairs[kind];
    for (const auto& [key, members] : blocks[kind]) {
      if (members.size() < 2 || members.size() > max_block_size) continue;
      for (std::size_t i = 0; i < members.size() && out.size() < per_kind; ++i) {
        for (std::size_t j = i + 1; j < members.size() && out.size() < per_kind; ++j) {
          const std::uint64_t id = (std::uint64_t{members[i]} << 32) | members[j];
          if (seen.insert(id).second) out.emplace_back(members[i], members[j]);
        }
      }
    }
    progress.Update("blocking", kind + 1, kBlockingKeyKinds);
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
  const std::array<PairList, kBlockingKeyKinds> blocked =
      BlockedPairs(set, options.config.matching.max_block_size, options.max_pairs, progress);

  // u from random pairs (nearly all non-matches).
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
  MatchModel model = MatchModel::Defaults();
  std::uint32_t previous_version = 0;
  if (store) {
    auto stored = storage::LoadMatchModel(*store);
    if (!stored.ok()) return close_and(fail(stored.status()));
    previous_version = stored->version;
  }
  EstimateU(random_vectors, &model);

  // m by EM on the pairs of each blocking key kind, leaving out the fields the key is made of
  // (those pairs agree on them by construction); each field's m is the average over the kinds
  // that do not block on it, weighted by their expected matches.
  std::array<std::array<double, kMaxMatchLevels>, kMatchFieldCount> m_sum{};
  std::array<double, kMatchFieldCount> m_weight{};
  absl::flat_hash_set<std::uint64_t> all_pairs;
  std::vector<ComparisonVector> all_vectors;
  std::size_t same_profile = 0;
  int iterations = 0;
  std::size_t kinds_fitted = 0;
  for (std::size_t kind = 0; kind < kBlockingKeyKinds; ++kind) {
    const std::uint16_t blocked_fields = BlockingKeyFields(static_cast<std::uint8_t>(kind));
    std::vector<ComparisonVector> vectors;
    vectors.reserve(blocked[kind].size());
    for (const auto& [a, b] : blocked[kind]) {
      const ComparisonVector v = CompareRecords(set.records[a], set.records[b]);
      if (all_pairs.insert((std::uint64_t{a} << 32) | b).second) {
        all_vectors.push_back(v);
        if (set.graph && set.graph->SameProfile(set.nodes[a], set.nodes[b])) ++same_profile;
      }
      ComparisonVector masked = v;
      for (std::uint8_t f = 0; f < kMatchFieldCount; ++f) {
        if (blocked_fields & (1u << f)) masked.level[f] = kLevelMissing;
      }
      vectors.push_back(masked);
    }
    progress.Update("comparing blocked pairs", kind + 1, kBlockingKeyKinds);
    if (vectors.size() < 100) continue;
    MatchModel fitted = model;
    fitted.prior = 0.1;
    EmOptions em;
    em.max_iterations = 200;
    const EmResult fit = FitEm(vectors, em, &fitted);
    iterations += fit.iterations;
    ++kinds_fitted;
    const double matches = fit.prior * static_cast<double>(vectors.size());
    for (std::uint8_t f = 0; f < kMatchFieldCount; ++f) {
      if (blocked_fields & (1u << f)) continue;
      for (std::size_t l = 0; l < kMatchFieldLevels[f]; ++l)
        m_sum[f][l] += matches * fitted.m[f][l];
      m_weight[f] += matches;
    }
  }
  for (std::uint8_t f = 0; f < kMatchFieldCount; ++f) {
    if (m_weight[f] <= 0) continue;  // no kind could estimate it: keep the default
    for (std::size_t l = 0; l < kMatchFieldLevels[f]; ++l) {
      model.m[f][l] = std::max(m_sum[f][l] / m_weight[f], 1e-6);
    }
    double total = 0;
    for (std::size_t l = 0; l < kMatchFieldLevels[f]; ++l) total += model.m[f][l];
    for (std::size_t l = 0; l < kMatchFieldLevels[f]; ++l) model.m[f][l] /= total;
  }
  progress.Finish();
  if (all_vectors.empty()) {
    return close_and(fail(FailedPreconditionError("no two records share a blocking key")));
  }

  // The prior: the chance that two records picked at random are the same person. The
  // expected matches among the blocked pairs (nearly every match shares some key) over all
  // pairs; from deterministic links when the store has enough of them.
  const double n = static_cast<double>(set.records.size());
  const double all = n * (n - 1) / 2;
  // EM on the prior alone over all pairs, taking the pairs that share no key as non-matches:
  // prior = (sum of the blocked pairs' match posteriors under that prior) / all pairs.
  std::vector<double> log_ratios;
  log_ratios.reserve(all_vectors.size());
  for (const ComparisonVector& v : all_vectors) {
    double log_ratio = 0;
    for (std::uint8_t f = 0; f < kMatchFieldCount; ++f) {
      const std::uint8_t l = v.level[f];
      if (l == kLevelMissing) continue;
      log_ratio += std::log(std::max(model.m[f][l], 1e-9) / std::max(model.u[f][l], 1e-9));
    }
    log_ratios.push_back(log_ratio);
  }
  double prior = std::min(0.5, static_cast<double>(all_vectors.size()) / all);
  double expected_matches = 0;
  for (int it = 0; it < 100; ++it) {
    expected_matches = 0;
    const double prior_log_odds = std::log(prior / (1 - prior));
    for (double r : log_ratios) expected_matches += 1.0 / (1.0 + std::exp(-(r + prior_log_odds)));
    const double next = std::clamp(expected_matches / all, 1e-12, 0.5);
    if (std::abs(next - prior) < prior * 1e-6) break;
    prior = next;
  }
  const char* prior_source = "EM on the blocked pairs";
  constexpr std::size_t kMinLinkedPairs = 1000;
  if (same_profile >= kMinLinkedPairs) {
    expected_matches = static_cast<double>(same_profile);
    prior_source = "deterministic links";
  }
  model.prior = std::clamp(expected_matches / all, 1e-12, 0.5);
  model.version = previous_version + 1;
  if (Status s = model.Validate(); !s.ok()) return close_and(fail(s));

  PrintModel(model);
  const double seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
  std::printf(
      "cdp train: %zu records (%zu messages skipped), %zu blocked pairs, %zu random pairs, EM on "
      "%zu key kinds (%d iterations in all), %.0f expected matches, %zu blocked pairs already "
      "linked; prior from %s; %.1f s\n",
      set.records.size(), set.skipped, all_vectors.size(), random_vectors.size(), kinds_fitted,
      iterations, expected_matches, same_profile, prior_source, seconds);
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
