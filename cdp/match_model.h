// The Fellegi-Sunter model of the probabilistic matcher (DESIGN.md, Probabilistic matching):
// comparison vectors of two person records (one level per field: exact, close, ..., different,
// or missing), m and u probabilities per level, the prior, the match weight with its per-field
// contributions, the term-frequency adjustment of names, and the fits: u from random pairs,
// m (and the prior) by expectation-maximisation on blocked pairs.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cdp/graph_delta.h"
#include "cdp/person.h"
#include "cdp/status.h"

namespace cdp {

enum MatchField : std::uint8_t {
  kFieldGiven = 0,
  kFieldSurnames,
  kFieldBirth,
  kFieldStreet,
  kFieldLocality,
  kFieldPhone,
  kFieldEmail,
  kFieldDocument,
  kFieldGender,
  kMatchFieldCount
};

// Most levels a field has (missing not counted).
inline constexpr std::size_t kMaxMatchLevels = 8;
// The level of a field missing on either side: it contributes nothing.
inline constexpr std::uint8_t kLevelMissing = 0xff;
// Levels per field, the strongest agreement first and full disagreement last.
inline constexpr std::array<std::uint8_t, kMatchFieldCount> kMatchFieldLevels = {4, 7, 4, 3, 3,
                                                                                 3, 4, 3, 2};

// "given", "surnames", ...; "unknown" outside the range.
std::string_view MatchFieldName(std::uint8_t field);
// "exact", "nickname", "close", "different", ... ("missing" for kLevelMissing).
std::string_view MatchLevelName(std::uint8_t field, std::uint8_t level);

// A record with what comparisons need computed once: canonical given names (nicknames
// resolved), phonetic keys and hashes for fast equality and term frequencies.
struct PreparedRecord {
  PersonRecord person;
  std::string given;         // canonical given names: "jose maria" for "chema"
  std::string given_first;   // its first token
  std::string given_key;     // phonetic key of given_first
  std::string surname1_key;  // phonetic keys
  std::string surname2_key;
  std::uint64_t given_hash = 0;     // of `given` (0 when missing)
  std::uint64_t surnames_hash = 0;  // of "surname1 surname2" (0 when surname1 is missing)
  std::uint32_t birth_number = 0;   // YYYYMMDD (0 when missing)
  // The words of `given` that tell it apart (particles such as "del" left out), as (offset,
  // length) into `given`: at most kMaxGivenWords.
  static constexpr std::size_t kMaxGivenWords = 6;
  std::array<std::pair<std::uint8_t, std::uint8_t>, kMaxGivenWords> given_words{};
  std::uint8_t given_word_count = 0;
};
PreparedRecord PrepareRecord(const PersonRecord& person);

struct ComparisonVector {
  std::array<std::uint8_t, kMatchFieldCount> level{};
  friend bool operator==(const ComparisonVector&, const ComparisonVector&) = default;
};
ComparisonVector CompareRecords(const PreparedRecord& a, const PreparedRecord& b);

// How common a name is among the records the matcher holds: value count / record count.
// A name seen once has frequency 1 / records; 0 means unknown (no adjustment).
class NameFrequencies {
 public:
  virtual ~NameFrequencies() = default;
  virtual double GivenFrequency(std::uint64_t given_hash) const = 0;
  virtual double SurnamesFrequency(std::uint64_t surnames_hash) const = 0;
};

struct MatchModel {
  std::uint32_t version = 0;  // 0: the built-in defaults; `cdp train` increments it
  // The probability that a blocked candidate pair is a match.
  double prior = 0.01;
  std::array<std::array<double, kMaxMatchLevels>, kMatchFieldCount> m{};
  std::array<std::array<double, kMaxMatchLevels>, kMatchFieldCount> u{};
  // Term-frequency adjustment of exact name agreement: the weight changes by
  // log2(tf_base / frequency of the value), at most this much (in bits) either way, where
  // tf_base is the chance that two random records agree exactly on the field (EstimateU sets
  // it; u itself may come from blocked pairs, where agreement is common by construction).
  double max_tf_adjustment = 4.0;
  double tf_base_given = 0.02;
  double tf_base_surnames = 0.0005;

  // Hand-set parameters that work before any training.
  static MatchModel Defaults();
  // kInvalidArgument naming the first bad parameter: probabilities in (0, 1], each field's m
  // and u summing to 1 (within 1e-6) over its levels, the prior in (0, 1).
  Status Validate() const;

  // log2(m / u) of one level (0 for kLevelMissing).
  double LevelWeight(std::uint8_t field, std::uint8_t level) const;
  double PriorWeight() const;  // log2(prior / (1 - prior))

  // A stable text form, stored in `meta` (key "match/model"): a header line
  // "cdp-match-model 1", then lines "version N", "prior P", "max_tf_adjustment A",
  // "tf_base_given B", "tf_base_surnames B" (optional) and per field "m FIELD p0 p1 ..." and
  // "u FIELD p0 p1 ...". FromText: kInvalidArgument saying
  // which line is wrong, or what Validate says.
  std::string ToText() const;
  static Result<MatchModel> FromText(std::string_view text);
};

// The total weight of a comparison (prior + field weights, names adjusted by their frequency
// when `frequencies` is given; an agreeing locality adds nothing to an identical street line,
// the two being one address) and, when `evidence` is not null, the waterfall.
double ScoreComparison(const MatchModel& model, const ComparisonVector& vector,
                       const PreparedRecord& a, const NameFrequencies* frequencies,
                       MatchEvidence* evidence);

// u probabilities from comparison vectors of random record pairs (nearly all non-matches):
// the share of each level among the pairs where the field is present, with add-one smoothing;
// also the term-frequency bases (the exact-agreement shares of the name fields).
void EstimateU(std::span<const ComparisonVector> random_pairs, MatchModel* model);

struct EmOptions {
  int max_iterations = 100;
  double tolerance = 1e-6;  // stop when no parameter moves more than this
  bool update_u = false;    // u usually comes from random pairs (EstimateU)
};
struct EmResult {
  int iterations = 0;
  bool converged = false;
  double prior = 0;  // the share of matches among the pairs
};
// Fits m (and u when asked) and the prior by expectation-maximisation over comparison vectors
// of blocked candidate pairs, starting from `model`'s parameters; sets model->prior to the
// fitted share of matches. `progress` (may be empty) is
// called after each iteration with its number.
EmResult FitEm(std::span<const ComparisonVector> pairs, const EmOptions& options, MatchModel* model,
               const std::function<void(int)>& progress = {});

}  // namespace cdp
