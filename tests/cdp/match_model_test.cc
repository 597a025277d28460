// Tests for cdp/match_model.h: comparison levels of record pairs, weights, the text form, and
// the fits (u from random pairs, m and the prior by EM recovering a generator's parameters).
#include "cdp/match_model.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

namespace cdp {
namespace {

PersonRecord Maria() {
  PersonRecord p;
  p.given = "maria";
  p.surname1 = "garcia";
  p.surname2 = "lopez";
  p.birth = BirthDate{1980, 5, 17};
  p.street = "calle mayor 5";
  p.city = "madrid";
  p.postal_code = "28013";
  p.phone = "+34612000111";
  p.email = "maria.garcia@correo.es";
  p.document = "12345678Z";
  p.gender = Gender::kFemale;
  return p;
}

ComparisonVector Compare(const PersonRecord& a, const PersonRecord& b) {
  return CompareRecords(PrepareRecord(a), PrepareRecord(b));
}

TEST(CompareRecordsTest, IdenticalRecordsAgreeExactlyOnEveryField) {
  const ComparisonVector v = Compare(Maria(), Maria());
  for (std::uint8_t f = 0; f < kMatchFieldCount; ++f) {
    EXPECT_EQ(v.level[f], 0) << MatchFieldName(f);
  }
}

TEST(CompareRecordsTest, MissingFieldsAreMissingOnEitherSide) {
  PersonRecord sparse;
  sparse.given = "maria";
  const ComparisonVector v = Compare(Maria(), sparse);
  EXPECT_EQ(v.level[kFieldGiven], 0);
  for (std::uint8_t f = 1; f < kMatchFieldCount; ++f) {
    EXPECT_EQ(v.level[f], kLevelMissing) << MatchFieldName(f);
  }
}

TEST(CompareRecordsTest, LevelsOfTypicalVariations) {
  struct Case {
    std::string name;
    void (*change)(PersonRecord&);
    MatchField field;
    std::string level;
  };
  const Case cases[] = {
      {"nickname", [](PersonRecord& p) { p.given = "pepe"; }, kFieldGiven, "different"},
      {"compound given name", [](PersonRecord& p) { p.given = "maria del carmen"; }, kFieldGiven,
       "nickname_or_compound"},
      {"given typo", [](PersonRecord& p) { p.given = "marai"; }, kFieldGiven, "close"},
      {"other given", [](PersonRecord& p) { p.given = "lucia"; }, kFieldGiven, "different"},
      {"swapped surnames",
       [](PersonRecord& p) {
         p.surname1 = "lopez";
         p.surname2 = "garcia";
       },
       kFieldSurnames, "exact_swapped"},
      {"second surname missing", [](PersonRecord& p) { p.surname2.clear(); }, kFieldSurnames,
       "one_exact_other_missing"},
      {"surname typo", [](PersonRecord& p) { p.surname2 = "lopes"; }, kFieldSurnames, "close"},
      {"sibling pattern", [](PersonRecord& p) { p.surname2 = "fernandez"; }, kFieldSurnames,
       "one_exact_other_different"},
      {"other surnames",
       [](PersonRecord& p) {
         p.surname1 = "martinez";
         p.surname2 = "ruiz";
       },
       kFieldSurnames, "different"},
      {"birth typo", [](PersonRecord& p) { p.birth.day = 18; }, kFieldBirth, "close"},
      {"birth same year",
       [](PersonRecord& p) {
         p.birth = BirthDate{1980, 11, 2};
       },
       kFieldBirth, "same_year"},
      {"same city other postal code", [](PersonRecord& p) { p.postal_code = "28080"; },
       kFieldLocality, "same_city"},
      {"phone typo", [](PersonRecord& p) { p.phone = "+34612000112"; }, kFieldPhone, "close"},
      {"document typo", [](PersonRecord& p) { p.document = "12345679Z"; }, kFieldDocument, "close"},
      {"other gender", [](PersonRecord& p) { p.gender = Gender::kMale; }, kFieldGender,
       "different"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    PersonRecord other = Maria();
    c.change(other);
    const ComparisonVector v = Compare(Maria(), other);
    EXPECT_EQ(MatchLevelName(c.field, v.level[c.field]), c.level);
  }
}

TEST(CompareRecordsTest, NicknamesResolveToTheSameName) {
  PersonRecord a = Maria();
  a.given = "jose";
  PersonRecord b = Maria();
  b.given = "pepe";
  EXPECT_EQ(Compare(a, b).level[kFieldGiven], 0);
  a.given = "jose maria";
  b.given = "chema";
  EXPECT_EQ(Compare(a, b).level[kFieldGiven], 0);
}

TEST(CompareRecordsTest, GivenNamesOfRelativesAreNotCloseAndTyposAre) {
  struct Case {
    const char* a;
    const char* b;
    const char* level;
  };
  const Case cases[] = {
      {"jose", "jose maria", "nickname_or_compound"},
      {"carmen", "maria del carmen", "nickname_or_compound"},
      {"maria carmen", "maria del carmen", "nickname_or_compound"},
      {"josemaria", "jose maria", "nickname_or_compound"},
      // Sisters: compounds that share a word only.
      {"ana maria", "maria del pilar", "different"},
      {"maria del carmen", "maria del pilar", "different"},
      // Distinct names a similarity score calls close.
      {"ismael", "ana isabel", "different"},
      {"ismael", "isabel", "different"},
      // Gender variants: a brother and a sister.
      {"francisco", "francisca", "different"},
      {"mario", "maria", "different"},
      // Typos: one edit.
      {"marfarita", "margarita", "close"},
      {"avaro", "alvaro", "close"},
      {"jose lius", "jose luis", "close"},
      {"jimena", "ximena", "close"},
      {"franciscco", "francisco", "close"},
      {"jsoe", "jose luis", "close"},
  };
  for (const Case& c : cases) {
    PersonRecord a = Maria();
    a.given = c.a;
    PersonRecord b = Maria();
    b.given = c.b;
    EXPECT_EQ(MatchLevelName(kFieldGiven, Compare(a, b).level[kFieldGiven]), c.level)
        << c.a << " / " << c.b;
    EXPECT_EQ(MatchLevelName(kFieldGiven, Compare(b, a).level[kFieldGiven]), c.level)
        << c.b << " / " << c.a;
  }
}

TEST(CompareRecordsTest, AGivenNameAndSurnameInEachOthersFieldsAreClose) {
  PersonRecord a = Maria();
  a.given = "caleb";
  a.surname1 = "rowe";
  a.surname2 = "";
  PersonRecord b = a;
  b.given = "rowe";
  b.surname1 = "caleb";
  ComparisonVector v = Compare(a, b);
  EXPECT_EQ(MatchLevelName(kFieldGiven, v.level[kFieldGiven]), "close");
  EXPECT_EQ(MatchLevelName(kFieldSurnames, v.level[kFieldSurnames]), "close");
  b.surname1 = "calbe";  // and a typo
  v = Compare(a, b);
  EXPECT_EQ(MatchLevelName(kFieldGiven, v.level[kFieldGiven]), "close");
  // Only one of the two crossed: different people.
  b.given = "lucas";
  v = Compare(a, b);
  EXPECT_EQ(MatchLevelName(kFieldGiven, v.level[kFieldGiven]), "different");
  EXPECT_EQ(MatchLevelName(kFieldSurnames, v.level[kFieldSurnames]), "different");
}

TEST(ScoreComparisonTest, TotalIsPriorPlusFieldWeightsAndTheWaterfallAddsUp) {
  const MatchModel model = MatchModel::Defaults();
  PersonRecord other = Maria();
  other.street = "calle mayor 7";
  other.phone.clear();
  const PreparedRecord a = PrepareRecord(Maria());
  const ComparisonVector v = CompareRecords(a, PrepareRecord(other));
  MatchEvidence evidence;
  const double total = ScoreComparison(model, v, a, nullptr, &evidence);
  double sum = evidence.prior;
  for (const FieldContribution& f : evidence.fields) sum += f.weight;
  EXPECT_NEAR(sum, total, 1e-3);
  EXPECT_NEAR(evidence.weight, total, 1e-3);
  EXPECT_NEAR(evidence.prior, model.PriorWeight(), 1e-6);
  // Missing fields (the phone) are not in the waterfall.
  for (const FieldContribution& f : evidence.fields) EXPECT_NE(f.field, kFieldPhone);
  EXPECT_EQ(evidence.fields.size(), kMatchFieldCount - 1);
}

class FixedFrequencies final : public NameFrequencies {
 public:
  explicit FixedFrequencies(double f) : f_(f) {}
  double GivenFrequency(std::uint64_t) const override { return f_; }
  double SurnamesFrequency(std::uint64_t) const override { return f_; }

 private:
  double f_;
};

TEST(ScoreComparisonTest, CommonNamesWeighLessThanRareOnes) {
  const MatchModel model = MatchModel::Defaults();
  const PreparedRecord a = PrepareRecord(Maria());
  const ComparisonVector v = CompareRecords(a, a);
  const FixedFrequencies common(0.05);
  const FixedFrequencies rare(0.00001);
  const double plain = ScoreComparison(model, v, a, nullptr, nullptr);
  const double with_common = ScoreComparison(model, v, a, &common, nullptr);
  const double with_rare = ScoreComparison(model, v, a, &rare, nullptr);
  EXPECT_LT(with_common, plain);
  EXPECT_GT(with_rare, plain);
  // Bounded by max_tf_adjustment per name field.
  EXPECT_LE(with_rare - plain, 2 * model.max_tf_adjustment + 1e-9);
}

TEST(MatchModelTest, DefaultsAreValidAndRoundTripThroughText) {
  MatchModel model = MatchModel::Defaults();
  ASSERT_TRUE(model.Validate().ok()) << model.Validate().ToString();
  model.version = 7;
  model.prior = 0.0123;
  auto back = MatchModel::FromText(model.ToText());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->version, 7u);
  EXPECT_EQ(back->prior, model.prior);
  EXPECT_EQ(back->m, model.m);
  EXPECT_EQ(back->u, model.u);
}

TEST(MatchModelTest, MalformedTextIsRefused) {
  const std::string good = MatchModel::Defaults().ToText();
  const auto replace = [&](std::string from, std::string to) {
    std::string s = good;
    const std::size_t at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    s.replace(at, from.size(), to);
    return s;
  };
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"empty", ""},
      {"no header", good.substr(good.find('\n') + 1)},
      {"wrong header", replace("cdp-match-model 1", "cdp-match-model 2")},
      {"prior out of range", replace("prior 0.01", "prior 1.5")},
      {"prior not a number", replace("prior 0.01", "prior x")},
      {"prior NaN", replace("prior 0.01", "prior nan")},
      {"version negative", replace("version 0", "version -1")},
      {"unknown key", good + "lambda 3\n"},
      {"unknown field", good + "m height 0.5 0.5\n"},
      {"too few levels", replace("m gender 0.97999999999999998 0.02", "m gender 1")},
      {"levels not summing to one",
       replace("m gender 0.97999999999999998 0.02", "m gender 0.5 0.2")},
      {"a missing field", replace("m gender 0.97999999999999998 0.02\n", "")},
  };
  for (const auto& [name, text] : cases) {
    SCOPED_TRACE(name);
    auto model = MatchModel::FromText(text);
    ASSERT_FALSE(model.ok());
    EXPECT_EQ(model.status().code(), StatusCode::kInvalidArgument);
  }
}

// Draws comparison vectors from known m, u and prior (conditional independence, as the model
// assumes), with some fields missing at random.
std::vector<ComparisonVector> Generate(const MatchModel& truth, std::size_t n, std::mt19937_64& rng,
                                       std::vector<bool>* is_match) {
  std::uniform_real_distribution<double> unit(0, 1);
  std::vector<ComparisonVector> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const bool match = unit(rng) < truth.prior;
    if (is_match != nullptr) is_match->push_back(match);
    ComparisonVector v;
    for (std::uint8_t f = 0; f < kMatchFieldCount; ++f) {
      if (unit(rng) < 0.1) {
        v.level[f] = kLevelMissing;
        continue;
      }
      const auto& p = match ? truth.m[f] : truth.u[f];
      double r = unit(rng);
      std::uint8_t level = 0;
      for (; level + 1 < kMatchFieldLevels[f]; ++level) {
        if (r < p[level]) break;
        r -= p[level];
      }
      v.level[f] = level;
    }
    out.push_back(v);
  }
  return out;
}

TEST(FitTest, EstimateURecoversTheLevelSharesOfRandomPairs) {
  MatchModel truth = MatchModel::Defaults();
  truth.prior = 1e-9;  // random pairs: practically never a match
  std::mt19937_64 rng(11);
  const std::vector<ComparisonVector> random_pairs = Generate(truth, 200'000, rng, nullptr);
  MatchModel fitted = MatchModel::Defaults();
  for (auto& row : fitted.u) row.fill(0);
  EstimateU(random_pairs, &fitted);
  ASSERT_TRUE(fitted.Validate().ok()) << fitted.Validate().ToString();
  for (std::uint8_t f = 0; f < kMatchFieldCount; ++f) {
    for (std::size_t l = 0; l < kMatchFieldLevels[f]; ++l) {
      EXPECT_NEAR(fitted.u[f][l], truth.u[f][l], 0.005) << MatchFieldName(f) << " level " << l;
    }
  }
}

TEST(FitTest, EmRecoversMAndThePriorOfAGeneratedSet) {
  MatchModel truth = MatchModel::Defaults();
  truth.prior = 0.2;
  std::mt19937_64 rng(5);
  const std::vector<ComparisonVector> pairs = Generate(truth, 100'000, rng, nullptr);
  // Start from a deliberately wrong m: uniform over levels; u known (as from random pairs).
  MatchModel fitted = truth;
  for (std::uint8_t f = 0; f < kMatchFieldCount; ++f) {
    for (std::size_t l = 0; l < kMatchFieldLevels[f]; ++l) {
      fitted.m[f][l] = 1.0 / kMatchFieldLevels[f];
    }
  }
  fitted.prior = 0.5;
  int iterations_seen = 0;
  EmOptions options;
  options.max_iterations = 1000;
  const EmResult result = FitEm(pairs, options, &fitted, [&](int it) { iterations_seen = it; });
  EXPECT_TRUE(result.converged);
  EXPECT_EQ(iterations_seen, result.iterations);
  EXPECT_NEAR(result.prior, truth.prior, 0.01);
  EXPECT_NEAR(fitted.prior, truth.prior, 0.01);
  ASSERT_TRUE(fitted.Validate().ok()) << fitted.Validate().ToString();
  for (std::uint8_t f = 0; f < kMatchFieldCount; ++f) {
    for (std::size_t l = 0; l < kMatchFieldLevels[f]; ++l) {
      EXPECT_NEAR(fitted.m[f][l], truth.m[f][l], 0.02) << MatchFieldName(f) << " level " << l;
    }
  }
}

TEST(FitTest, EmOnNoPairsChangesNothing) {
  MatchModel model = MatchModel::Defaults();
  const MatchModel before = model;
  const EmResult result = FitEm({}, EmOptions{}, &model);
  EXPECT_EQ(result.iterations, 0);
  EXPECT_EQ(model.m, before.m);
  EXPECT_EQ(model.prior, before.prior);
}

}  // namespace
}  // namespace cdp
