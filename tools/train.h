// `cdp train`: fits the Fellegi-Sunter match model (cdp/match_model.h) on stored person records
// or on labelled CSV / generated files, prints its parameters and a summary, and stores it in
// the data directory for the server's matcher.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "cdp/config.h"

namespace cdp::tools {

struct TrainOptions {
  // The data directory: its records are the training set unless `csv` or `events` is given,
  // and the fitted model is stored in it unless `dry_run`. May be empty with `csv`/`events`
  // (then nothing is stored).
  std::string data_dir;
  // Labelled data sets (tools/linkage_csv.h) to train on instead; labels are not used.
  std::vector<std::string> csv;
  // `cdp gen` output to train on instead (events NDJSON; its truth file is not used).
  std::string events;
  std::string truth;
  Config config;
  // Most blocked candidate pairs and random pairs compared.
  std::size_t max_pairs = 5'000'000;
  std::size_t random_pairs = 1'000'000;
  std::uint64_t seed = 1;
  bool dry_run = false;
  bool progress = true;
};

// Returns the process exit code (0 on success) after printing the parameters and a summary.
int RunTrain(const TrainOptions& options);

}  // namespace cdp::tools
