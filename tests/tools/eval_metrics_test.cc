// Pairwise precision, recall and F1 from the contingency table, and the sampling of wrong pairs
// for the per-field report.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <vector>

#include "tools/eval.h"

namespace cdp::tools {
namespace {

struct MetricsCase {
  const char* name;
  std::vector<std::uint32_t> truth;
  std::vector<std::uint32_t> predicted;
  std::uint64_t true_pairs;
  std::uint64_t predicted_pairs;
  std::uint64_t true_positives;
  double precision;
  double recall;
  double f1;
};

class PairwiseMetricsTest : public ::testing::TestWithParam<MetricsCase> {};

TEST_P(PairwiseMetricsTest, CountsPairsAndScores) {
  const MetricsCase& c = GetParam();
  const PairwiseCounts counts = ComputePairwise(c.truth, c.predicted);
  EXPECT_EQ(counts.records, c.truth.size());
  EXPECT_EQ(counts.true_pairs, c.true_pairs);
  EXPECT_EQ(counts.predicted_pairs, c.predicted_pairs);
  EXPECT_EQ(counts.true_positives, c.true_positives);
  EXPECT_DOUBLE_EQ(counts.precision(), c.precision);
  EXPECT_DOUBLE_EQ(counts.recall(), c.recall);
  EXPECT_NEAR(counts.f1(), c.f1, 1e-12);
  EXPECT_EQ(counts.false_positives(), c.predicted_pairs - c.true_positives);
  EXPECT_EQ(counts.false_negatives(), c.true_pairs - c.true_positives);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, PairwiseMetricsTest,
    ::testing::Values(
        // Same partition, other label values.
        MetricsCase{"Perfect", {0, 0, 1, 1, 2}, {5, 5, 7, 7, 9}, 2, 2, 2, 1.0, 1.0, 1.0},
        // Everything in one profile: 10 predicted pairs, 2 of them right.
        MetricsCase{"AllMerged", {0, 0, 1, 1, 2}, {0, 0, 0, 0, 0}, 2, 10, 2, 0.2, 1.0, 1.0 / 3},
        // Every record alone: nothing predicted, so nothing wrongly merged.
        MetricsCase{"AllSplit", {0, 0, 1, 1, 2}, {0, 1, 2, 3, 4}, 2, 0, 0, 1.0, 0.0, 0.0},
        // {0,1,2}{3,4} against {0,1}{2,3}{4}: 4 true, 2 predicted, 1 right.
        MetricsCase{"Mixed", {0, 0, 0, 1, 1}, {0, 0, 1, 1, 2}, 4, 2, 1, 0.5, 0.25, 1.0 / 3},
        // One person of three records split in two; another pair merged with a stranger.
        MetricsCase{"SplitAndMerge", {7, 7, 7, 8, 9}, {1, 1, 2, 3, 3}, 3, 2, 1, 0.5, 1.0 / 3, 0.4},
        MetricsCase{"NoTruePairs", {0, 1, 2}, {4, 4, 4}, 0, 3, 0, 0.0, 1.0, 0.0},
        MetricsCase{"Empty", {}, {}, 0, 0, 0, 1.0, 1.0, 1.0},
        MetricsCase{"OneRecord", {3}, {3}, 0, 0, 0, 1.0, 1.0, 1.0},
        // Large labels do not collide in the contingency key.
        MetricsCase{"LargeLabels",
                    {0xFFFFFFFFu, 0xFFFFFFFFu, 1},
                    {1, 1, 0xFFFFFFFFu},
                    1,
                    1,
                    1,
                    1.0,
                    1.0,
                    1.0}),
    [](const ::testing::TestParamInfo<MetricsCase>& c) { return c.param.name; });

TEST(PairwiseMetricsTest, LargeClustersAreCountedNotEnumerated) {
  // 200,000 records of one person in two profiles of 100,000: ~2e10 true pairs.
  std::vector<std::uint32_t> truth(200'000, 1);
  std::vector<std::uint32_t> predicted(200'000);
  for (std::size_t i = 0; i < predicted.size(); ++i) predicted[i] = i < 100'000 ? 1 : 2;
  const PairwiseCounts counts = ComputePairwise(truth, predicted);
  EXPECT_EQ(counts.true_pairs, 200'000ull * 199'999 / 2);
  EXPECT_EQ(counts.true_positives, 2 * (100'000ull * 99'999 / 2));
  EXPECT_DOUBLE_EQ(counts.precision(), 1.0);
  EXPECT_EQ(counts.entities, 1u);
  EXPECT_EQ(counts.clusters, 2u);
}

TEST(CrossPairsTest, EnumeratesAllWrongPairsWhenUnderTheCap) {
  const std::vector<std::uint32_t> truth = {0, 0, 0, 1, 1};
  const std::vector<std::uint32_t> predicted = {0, 0, 1, 1, 2};
  std::uint64_t total = 0;
  // False negatives: same person, different profiles.
  const auto fn = CrossPairs(truth, predicted, 100, 1, &total);
  EXPECT_EQ(total, 3u);
  const std::vector<std::pair<std::uint32_t, std::uint32_t>> expected_fn = {{0, 2}, {1, 2}, {3, 4}};
  EXPECT_EQ(fn, expected_fn);
  // False positives: same profile, different people.
  const auto fp = CrossPairs(predicted, truth, 100, 1, &total);
  EXPECT_EQ(total, 1u);
  const std::vector<std::pair<std::uint32_t, std::uint32_t>> expected_fp = {{2, 3}};
  EXPECT_EQ(fp, expected_fp);
  // They agree with the pair counts.
  const PairwiseCounts counts = ComputePairwise(truth, predicted);
  EXPECT_EQ(counts.false_negatives(), 3u);
  EXPECT_EQ(counts.false_positives(), 1u);
}

TEST(CrossPairsTest, SamplesUniformlyOverTheWrongPairsWhenOverTheCap) {
  // One person in profiles of sizes 3, 2 and 1 (11 cross pairs), another in two profiles
  // of 1 and 1 (1 cross pair), and a third whose two records share one profile.
  const std::vector<std::uint32_t> truth = {0, 0, 0, 0, 0, 0, 1, 1, 2, 2};
  const std::vector<std::uint32_t> predicted = {5, 5, 5, 6, 6, 7, 8, 9, 4, 4};
  // 12 wrong pairs and a cap of 11: sampled, 11 pairs a call; 10,000 calls with other seeds.
  std::uint64_t total = 0;
  std::map<std::pair<std::uint32_t, std::uint32_t>, int> seen;
  for (std::uint64_t seed = 0; seed < 10'000; ++seed) {
    const auto sample = CrossPairs(truth, predicted, 11, seed, &total);
    ASSERT_EQ(total, 12u);
    ASSERT_EQ(sample.size(), 11u);
    for (const auto& [a, b] : sample) {
      ASSERT_LT(a, b);
      ASSERT_EQ(truth[a], truth[b]);
      ASSERT_NE(predicted[a], predicted[b]);
      ++seen[{a, b}];
    }
  }
  EXPECT_EQ(seen.size(), 12u);
  // Each pair 110,000 / 12 ~ 9,167 times (standard deviation ~92).
  for (const auto& [pair, n] : seen) {
    EXPECT_NEAR(n, 110'000 / 12, 600) << pair.first << "," << pair.second;
  }
  // The same seed gives the same sample.
  EXPECT_EQ(CrossPairs(truth, predicted, 5, 7, &total), CrossPairs(truth, predicted, 5, 7, &total));
}

TEST(CrossPairsTest, NoWrongPairs) {
  std::uint64_t total = 99;
  EXPECT_TRUE(CrossPairs(std::vector<std::uint32_t>{1, 1, 2}, std::vector<std::uint32_t>{3, 3, 4},
                         10, 1, &total)
                  .empty());
  EXPECT_EQ(total, 0u);
  EXPECT_TRUE(CrossPairs({}, {}, 10, 1, &total).empty());
  EXPECT_EQ(total, 0u);
}

}  // namespace
}  // namespace cdp::tools
