// Pairwise precision, recall and F1 from the contingency table, the sampling of wrong pairs for
// the per-field report, and the linkable components that bound the recall.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
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

struct LinkableCase {
  const char* name;
  // (entity, message) per record.
  std::vector<std::pair<std::string, std::string>> records;
  // Equal values: the same linkable component.
  std::vector<std::uint32_t> expected;
};

class LinkableComponentsTest : public ::testing::TestWithParam<LinkableCase> {};

TEST_P(LinkableComponentsTest, JoinsRecordsOfOneEntityThatShareEvidence) {
  const LinkableCase& c = GetParam();
  std::vector<LabelledMessage> messages;
  for (std::size_t i = 0; i < c.records.size(); ++i) {
    messages.push_back(
        LabelledMessage{"e" + std::to_string(i), c.records[i].first, c.records[i].second});
  }
  const std::vector<std::uint32_t> labels = LinkableComponents(messages);
  ASSERT_EQ(labels.size(), c.expected.size());
  for (std::size_t i = 0; i < labels.size(); ++i) {
    for (std::size_t j = i + 1; j < labels.size(); ++j) {
      EXPECT_EQ(labels[i] == labels[j], c.expected[i] == c.expected[j])
          << "records " << i << " and " << j;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, LinkableComponentsTest,
    ::testing::Values(
        // E-mail addresses compare lower-cased.
        LinkableCase{"SharedEmailJoins",
                     {{"p", R"({"traits":{"email":"Ana.Gil@example.es"}})"},
                      {"p", R"({"traits":{"email":"ana.gil@example.es","name":"Ana"}})"},
                      {"p", R"({"traits":{"email":"ana@example.es"}})"}},
                     {0, 0, 1}},
        // The last 9 digits; a number of fewer digits is not evidence.
        LinkableCase{"PhoneFormatsJoin",
                     {{"p", R"({"traits":{"phone":"+34 612 345 678"}})"},
                      {"p", R"({"traits":{"phone":"612345678"}})"},
                      {"p", R"({"traits":{"phone":"0034-612-34-56-78"}})"},
                      {"p", R"({"traits":{"phone":"612 345"}})"},
                      {"p", R"({"traits":{"phone":"612345"}})"}},
                     {0, 0, 0, 1, 2}},
        // Separators and case are dropped before the check letter is verified; an id that
        // fails it (a typo) links nothing, even when repeated.
        LinkableCase{"InvalidNationalIdDoesNotJoin",
                     {{"p", R"({"traits":{"nationalId":"12.345.678-z"}})"},
                      {"p", R"({"traits":{"nationalId":"12345678Z"}})"},
                      {"p", R"({"traits":{"nationalId":"12345679Z"}})"},
                      {"p", R"({"traits":{"nationalId":"12345679Z"}})"},
                      {"p", R"({"traits":{"nationalId":"x1234567l"}})"},
                      {"p", R"({"traits":{"nationalId":"X-1234567-L"}})"},
                      {"p", R"({"traits":{"nationalId":"X1234567Z"}})"},
                      {"p", R"({"traits":{"nationalId":"X1234567Z"}})"}},
                     {0, 0, 1, 2, 3, 3, 4, 5}},
        // A value shared by two people (a household e-mail) never joins them.
        LinkableCase{"SameValueAcrossEntitiesDoesNotJoin",
                     {{"p", R"({"traits":{"email":"casa@example.es"}})"},
                      {"q", R"({"traits":{"email":"casa@example.es"}})"},
                      {"p", R"({"traits":{"email":"casa@example.es"}})"},
                      {"q", R"({"userId":"u7"})"}},
                     {0, 1, 0, 2}},
        // The first given name folded (from firstName, else the first word of name) with the
        // same birthday; neither alone.
        LinkableCase{"FirstNameAndBirthdayJoin",
                     {{"p", R"({"traits":{"firstName":"MIGUEL ÁNGEL","birthday":"2005-07-07"}})"},
                      {"p", R"({"traits":{"name":"Miguel García","birthday":"2005-07-07"}})"},
                      {"p", R"({"traits":{"name":"Miguel García","birthday":"2005-07-08"}})"},
                      {"p", R"({"traits":{"firstName":"Miguel","lastName":"García"}})"},
                      {"p", R"({"traits":{"firstName":"Ángel","birthday":"2005-07-07"}})"}},
                     {0, 0, 1, 2, 3}},
        // A-B share an e-mail, B-C a device: A and C join though they share nothing.
        LinkableCase{
            "ChainJoins",
            {{"p", R"({"userId":"u1","traits":{"email":"a@example.es"}})"},
             {"p", R"({"context":{"device":{"id":"d1"}},"traits":{"email":"a@example.es"}})"},
             {"p", R"({"context":{"device":{"id":"d1"}},"traits":{"phone":"600111222"}})"},
             {"p", R"({"traits":{"phone":"600111333"}})"}},
            {0, 0, 0, 1}},
        LinkableCase{"OtherIdentifiersJoin",
                     {{"p", R"({"userId":"u1"})"},
                      {"p", R"({"userId":"u1"})"},
                      {"p", R"({"traits":{"documentId":"PA123456"}})"},
                      {"p", R"({"traits":{"documentId":"PA123456"}})"},
                      {"p", R"({"context":{"device":{"id":"d9"}}})"},
                      {"p", R"({"context":{"device":{"id":"d9"}}})"}},
                     {0, 0, 1, 1, 2, 2}},
        // Empty values, other traits, malformed messages: no evidence, each record alone.
        LinkableCase{"NoEvidenceStaysAlone",
                     {{"p", R"({"userId":"","traits":{"email":"","city":"MURCIA"}})"},
                      {"p", R"({"userId":"","traits":{"email":"","city":"MURCIA"}})"},
                      {"p", R"({"traits":{"email":"a@example.es")"},
                      {"p", R"({"traits":{"email":"a@example.es")"},
                      {"p", R"([1,2])"}},
                     {0, 1, 2, 3, 4}},
        LinkableCase{"Empty", {}, {}}),
    [](const ::testing::TestParamInfo<LinkableCase>& c) { return c.param.name; });

TEST(LinkableComponentsTest, BoundTheRecallThroughThePairCounts) {
  // One person of four records: {0,1} and {2,3} share evidence, so 2 of 6 pairs are linkable.
  const std::vector<LabelledMessage> messages = {
      {"e0", "p", R"({"userId":"u1"})"},
      {"e1", "p", R"({"userId":"u1"})"},
      {"e2", "p", R"({"traits":{"phone":"600111222"}})"},
      {"e3", "p", R"({"traits":{"phone":"600 111 222"}})"}};
  const std::vector<std::uint32_t> linkable = LinkableComponents(messages);
  // A matcher that joined 0, 1 and 2 only.
  const std::vector<std::uint32_t> predicted = {0, 0, 0, 1};
  const PairwiseCounts counts = ComputePairwise(linkable, predicted);
  EXPECT_EQ(counts.true_pairs, 2u);
  EXPECT_EQ(counts.true_positives, 1u);
  EXPECT_DOUBLE_EQ(counts.recall(), 0.5);
}

}  // namespace
}  // namespace cdp::tools
