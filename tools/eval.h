// `cdp eval`: measures identity resolution end to end. Sends labelled records (from `cdp gen`
// or the public linkage data sets) through a running server, looks up each record's profile
// and scores the profiles against the ground truth with pairwise precision, recall and F1,
// plus a per-field report of the wrong pairs. docs/MATCHING_EVAL.md describes the method.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "tools/linkage_csv.h"

namespace cdp::tools {

// Pair counts of a clustering against the truth, from the contingency table (sums of
// n(n-1)/2; pairs are never enumerated).
struct PairwiseCounts {
  std::uint64_t records = 0;
  std::uint64_t entities = 0;         // true clusters
  std::uint64_t clusters = 0;         // predicted clusters
  std::uint64_t true_pairs = 0;       // pairs of records of the same entity
  std::uint64_t predicted_pairs = 0;  // pairs of records in the same predicted cluster
  std::uint64_t true_positives = 0;   // pairs that are both

  std::uint64_t false_positives() const { return predicted_pairs - true_positives; }
  std::uint64_t false_negatives() const { return true_pairs - true_positives; }
  // true_positives / predicted_pairs; 1 when nothing was predicted (no pair is wrong).
  double precision() const;
  // true_positives / true_pairs; 1 when there is no true pair.
  double recall() const;
  // The harmonic mean of both; 0 when both are 0.
  double f1() const;
};

// Scores `predicted` labels against `truth` labels (any integers; equal means same cluster).
// REQUIRES: truth.size() == predicted.size().
PairwiseCounts ComputePairwise(std::span<const std::uint32_t> truth,
                               std::span<const std::uint32_t> predicted);

// Pairs (i < j) of records with the same `outer` label and different `inner` labels: with the
// truth as outer and the prediction as inner, the false negatives; swapped, the false
// positives. Returns all of them, sorted, when there are at most `cap`; otherwise `cap` pairs
// drawn uniformly (with replacement) with a fixed `seed`. `*total` receives how many such pairs
// there are. Runs in O(n log n + cap). REQUIRES: outer.size() == inner.size().
std::vector<std::pair<std::uint32_t, std::uint32_t>> CrossPairs(
    std::span<const std::uint32_t> outer, std::span<const std::uint32_t> inner, std::size_t cap,
    std::uint64_t seed, std::uint64_t* total);

// Labels each record by what the messages alone can join, whatever the server does: two records
// of the same `entity` share a label when a chain of records of that entity joins them, each
// sharing with the next an equal `userId`, `context.device.id`, `traits.email` (lower-cased),
// `traits.phone` (its last 9 digits, when it has at least 9), `traits.nationalId` (only
// [0-9A-Za-z] kept, upper-cased, and a valid DNI/NIE), `traits.documentId`, or the same first
// given name (`firstName`, else the first word of `name`; accents removed, lower case) with the
// same `birthday`. Records of different entities never share a label, whatever values they
// share; a message that is not a JSON object is alone. A label is the index of one record of
// the component. The pairs within labels bound the recall a matcher can reach on these records.
// REQUIRES: messages.size() < 2^32.
std::vector<std::uint32_t> LinkableComponents(std::span<const LabelledMessage> messages);

struct EvalOptions {
  // "http://HOST:PORT" (an optional path prefix is kept); plain HTTP only.
  std::string url = "http://127.0.0.1:8080";
  // Sent as the HTTP Basic user name. It needs the write scope to send and the read scope to
  // look up (an admin key has both); `read_key`, when set, is used for the look-ups.
  std::string key;
  std::string read_key;
  // Either `cdp gen` output...
  std::string events_path;
  std::string truth_path;
  // ...or one or two labelled CSV files (two are evaluated as one data set, the FEBRL4 way).
  std::vector<std::string> csv_paths;
  // False: the records were sent before (`--no-send`); only look them up.
  bool send = true;
  // Messages per POST /v1/batch (1..2500); a request also stays under 400 KB.
  int batch = 500;
  // Connections that send (1 keeps the file's order, so runs are repeatable) and that look up.
  int send_connections = 1;
  int connections = 8;
  // Pairs sampled for the per-field report of each kind (false negatives, false positives).
  std::size_t pair_sample = 100'000;
  // Example pairs (anonymous ids only) printed per kind.
  int examples = 5;
  // A request that takes longer fails (and is retried).
  double timeout_s = 60;
  bool progress = true;
};

// Runs the evaluation. Prints progress on stderr, the report on stdout ending with one
// machine-readable line `eval: precision=... recall=... f1=... ...`. Returns the exit code: 0
// when the report was printed, 1 when the input could not be read or the server could not be
// used (unreachable, a rejected key, repeated failures), 2 for invalid options.
int RunEval(const EvalOptions& options);

}  // namespace cdp::tools
