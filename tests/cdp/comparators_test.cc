#include "cdp/comparators.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace cdp {
namespace {

// Plain dynamic-programming references, full matrix, no shortcuts.
int ReferenceDistance(std::string_view a, std::string_view b, bool osa) {
  std::vector<std::vector<int>> d(a.size() + 1, std::vector<int>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = static_cast<int>(i);
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = static_cast<int>(j);
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const int cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (osa && i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

// Textbook Jaro-Winkler: the longer string scanned, flags on both sides.
double ReferenceJaroWinkler(std::string_view a, std::string_view b) {
  if (a.empty() && b.empty()) return 1.0;
  if (a.empty() || b.empty()) return 0.0;
  const bool a_shorter = a.size() <= b.size();
  const std::string_view s1 = a_shorter ? b : a;
  const std::string_view s2 = a_shorter ? a : b;
  const int window = std::max(0, static_cast<int>(std::max(a.size(), b.size()) / 2) - 1);
  std::vector<bool> f1(s1.size()), f2(s2.size());
  std::int64_t m = 0;
  for (int i = 0; i < static_cast<int>(s1.size()); ++i) {
    for (int j = std::max(0, i - window);
         j <= std::min(static_cast<int>(s2.size()) - 1, i + window); ++j) {
      if (!f2[static_cast<std::size_t>(j)] &&
          s1[static_cast<std::size_t>(i)] == s2[static_cast<std::size_t>(j)]) {
        f1[static_cast<std::size_t>(i)] = f2[static_cast<std::size_t>(j)] = true;
        ++m;
        break;
      }
    }
  }
  if (m == 0) return 0.0;
  std::int64_t t = 0;
  std::size_t k = 0;
  for (std::size_t i = 0; i < s1.size(); ++i) {
    if (!f1[i]) continue;
    while (!f2[k]) ++k;
    if (s1[i] != s2[k]) ++t;
    ++k;
  }
  const double md = static_cast<double>(m);
  double jaro = (md / static_cast<double>(a.size()) + md / static_cast<double>(b.size()) +
                 (md - static_cast<double>(t / 2)) / md) /
                3.0;
  // jaro > 0.7, exactly.
  const std::int64_t la = static_cast<std::int64_t>(a.size());
  const std::int64_t lb = static_cast<std::int64_t>(b.size());
  if (10 * (m * m * (la + lb) + (m - t / 2) * la * lb) > 7 * 3 * m * la * lb) {
    int prefix = 0;
    while (prefix < 4 && prefix < static_cast<int>(std::min(a.size(), b.size())) &&
           a[static_cast<std::size_t>(prefix)] == b[static_cast<std::size_t>(prefix)]) {
      ++prefix;
    }
    jaro += 0.1 * prefix * (1.0 - jaro);
  }
  return jaro;
}

std::string RandomString(std::mt19937& rng, std::size_t length, std::string_view alphabet) {
  std::string s(length, ' ');
  std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
  for (char& c : s) c = alphabet[pick(rng)];
  return s;
}

// A few random edits (substitute, insert, delete, swap) of `s`.
std::string Mutate(std::mt19937& rng, std::string s, std::string_view alphabet) {
  const int edits = std::uniform_int_distribution<int>(1, 4)(rng);
  for (int e = 0; e < edits; ++e) {
    const std::size_t pos = std::uniform_int_distribution<std::size_t>(0, s.size())(rng);
    const char c =
        alphabet[std::uniform_int_distribution<std::size_t>(0, alphabet.size() - 1)(rng)];
    switch (std::uniform_int_distribution<int>(0, 3)(rng)) {
      case 0:
        if (pos < s.size()) s[pos] = c;
        break;
      case 1: s.insert(pos, 1, c); break;
      case 2:
        if (pos < s.size()) s.erase(pos, 1);
        break;
      default:
        if (pos + 1 < s.size()) std::swap(s[pos], s[pos + 1]);
        break;
    }
  }
  return s;
}

// Random pairs of lengths 0..70: unrelated, edited copies, and both past 64 bytes (the
// dynamic-programming fallbacks).
std::vector<std::pair<std::string, std::string>> RandomPairs() {
  std::mt19937 rng(20240611);
  std::vector<std::pair<std::string, std::string>> pairs;
  for (std::string_view alphabet : {std::string_view("ab"), std::string_view("abcd"),
                                    std::string_view("abcdefghijklmnopqrstuvwxyz\xf1")}) {
    for (int i = 0; i < 1200; ++i) {
      const std::size_t la = std::uniform_int_distribution<std::size_t>(0, 70)(rng);
      std::string a = RandomString(rng, la, alphabet);
      std::string b;
      switch (i % 3) {
        case 0:
          b = RandomString(rng, std::uniform_int_distribution<std::size_t>(0, 70)(rng), alphabet);
          break;
        case 1: b = Mutate(rng, a, alphabet); break;
        default:
          a = RandomString(rng, std::uniform_int_distribution<std::size_t>(65, 70)(rng), alphabet);
          b = RandomString(rng, std::uniform_int_distribution<std::size_t>(65, 70)(rng), alphabet);
          break;
      }
      pairs.emplace_back(std::move(a), std::move(b));
    }
  }
  return pairs;
}

struct JwCase {
  std::string_view a;
  std::string_view b;
  double expected;
};

TEST(JaroWinklerTest, ClassicExamplesHaveTheirPublishedValues) {
  const JwCase cases[] = {
      {"martha", "marhta", 0.961},
      {"dwayne", "duane", 0.840},
      {"dixon", "dicksonx", 0.813},
      {"jellyfish", "smellyfish", 0.896},
      {"crate", "trace", 0.733},
      {"abcvwxyz", "cabvwxyz", 0.958},
      {"", "", 1.0},
      {"", "ana", 0.0},
      {"ana", "", 0.0},
      {"abc", "xyz", 0.0},
      {"gonzalez", "gonzalez", 1.0},
      {"a", "a", 1.0},
  };
  for (const JwCase& c : cases) {
    EXPECT_NEAR(JaroWinkler(c.a, c.b), c.expected, 0.0005) << c.a << " / " << c.b;
  }
}

TEST(JaroWinklerTest, MarthaMarhtaIs0961) {
  EXPECT_NEAR(JaroWinkler("martha", "marhta"), 0.9611, 0.0001);
}

TEST(JaroWinklerTest, BoostNeedsJaroAbove07) {
  // Jaro of "abxxx"/"abyyy" is 0.6: below the threshold the common prefix adds nothing.
  EXPECT_NEAR(JaroWinkler("abxxx", "abyyy"), 0.6, 1e-12);
  // Jaro exactly 0.7 (5/5 + 5/50 + 5/5 over 3), tested exactly: no boost either.
  EXPECT_NEAR(JaroWinkler("abaaa", "abaaa" + std::string(45, 'x')), 0.7, 1e-12);
  EXPECT_NEAR(JaroWinkler("abaaa", "abaaa" + std::string(44, 'x')), 0.8204, 1e-4);
}

TEST(JaroWinklerTest, EqualsTextbookVersionAndIsSymmetricOnRandomStrings) {
  for (const auto& [a, b] : RandomPairs()) {
    const double expected = ReferenceJaroWinkler(a, b);
    ASSERT_NEAR(JaroWinkler(a, b), expected, 1e-12) << a << " / " << b;
    ASSERT_NEAR(JaroWinkler(b, a), JaroWinkler(a, b), 1e-12) << a << " / " << b;
  }
}

TEST(JaroWinklerTest, StaysInUnitInterval) {
  for (const auto& [a, b] : RandomPairs()) {
    const double s = JaroWinkler(a, b);
    ASSERT_GE(s, 0.0);
    ASSERT_LE(s, 1.0);
  }
}

struct DistanceCase {
  std::string_view a;
  std::string_view b;
  int levenshtein;
  int osa;
};

TEST(LevenshteinTest, KnownDistances) {
  const DistanceCase cases[] = {
      {"kitten", "sitting", 3, 3},
      {"flaw", "lawn", 2, 2},
      {"saturday", "sunday", 3, 3},
      {"", "", 0, 0},
      {"", "abc", 3, 3},
      {"abc", "", 3, 3},
      {"gonzalez", "gonzalez", 0, 0},
      {"ab", "ba", 2, 1},
      {"abcd", "acbd", 2, 1},
      {"martha", "marhta", 2, 1},
      {"ca", "abc", 3, 3},
      {"jimenez", "gimenez", 1, 1},
      {"fernandez", "fernadnez", 2, 1},
  };
  for (const DistanceCase& c : cases) {
    EXPECT_EQ(Levenshtein(c.a, c.b), c.levenshtein) << c.a << " / " << c.b;
    EXPECT_EQ(Levenshtein(c.b, c.a), c.levenshtein) << c.b << " / " << c.a;
  }
}

TEST(DamerauOsaTest, KnownDistances) {
  const DistanceCase cases[] = {
      {"ab", "ba", 2, 1},   {"abcd", "acbd", 2, 1},           {"martha", "marhta", 2, 1},
      {"ca", "abc", 3, 3},  {"kitten", "sitting", 3, 3},      {"", "abc", 3, 3},
      {"abc", "abc", 0, 0}, {"fernandez", "fernadnez", 2, 1}, {"abcdef", "badcfe", 6, 3},
  };
  for (const DistanceCase& c : cases) {
    EXPECT_EQ(DamerauOsa(c.a, c.b), c.osa) << c.a << " / " << c.b;
    EXPECT_EQ(DamerauOsa(c.b, c.a), c.osa) << c.b << " / " << c.a;
  }
}

TEST(DamerauOsaTest, CaAbcIs3WhereUnrestrictedDamerauIs2) {
  // ca -> ac -> abc needs editing the transposed pair again, which OSA forbids.
  EXPECT_EQ(DamerauOsa("ca", "abc"), 3);
}

TEST(LevenshteinTest, BitParallelEqualsDynamicProgrammingOnRandomStrings) {
  for (const auto& [a, b] : RandomPairs()) {
    ASSERT_EQ(Levenshtein(a, b), ReferenceDistance(a, b, false)) << a << " / " << b;
  }
}

TEST(DamerauOsaTest, BitParallelEqualsDynamicProgrammingOnRandomStrings) {
  for (const auto& [a, b] : RandomPairs()) {
    ASSERT_EQ(DamerauOsa(a, b), ReferenceDistance(a, b, true)) << a << " / " << b;
  }
}

TEST(DamerauOsaTest, LongStringsPastTheStackBufferEqualDynamicProgramming) {
  std::mt19937 rng(7);
  for (int i = 0; i < 20; ++i) {
    const std::string a =
        RandomString(rng, std::uniform_int_distribution<std::size_t>(150, 300)(rng), "abcd");
    const std::string b =
        i % 2 == 0 ? Mutate(rng, a, "abcd") : RandomString(rng, 300 - a.size() / 2, "abcd");
    ASSERT_EQ(Levenshtein(a, b), ReferenceDistance(a, b, false));
    ASSERT_EQ(DamerauOsa(a, b), ReferenceDistance(a, b, true));
    ASSERT_NEAR(JaroWinkler(a, b), ReferenceJaroWinkler(a, b), 1e-12);
  }
}

TEST(DamerauOsaTest, BoundedIsExactUpToBoundAndBoundPlusOneBeyond) {
  for (const auto& [a, b] : RandomPairs()) {
    const int exact = ReferenceDistance(a, b, true);
    for (int bound : {0, 1, 2, 3, 5, 20}) {
      ASSERT_EQ(DamerauOsaBounded(a, b, bound), std::min(exact, bound + 1))
          << a << " / " << b << " bound " << bound;
    }
  }
}

TEST(DamerauOsaTest, BoundedCountsNegativeBoundAsZero) {
  EXPECT_EQ(DamerauOsaBounded("ana", "ana", -3), 0);
  EXPECT_EQ(DamerauOsaBounded("ana", "ane", -3), 1);
}

TEST(DamerauOsaTest, BoundedReturnsEarlyOnLengthDifference) {
  EXPECT_EQ(DamerauOsaBounded("ana", "anastasia", 2), 3);
}

constexpr BirthDate Date(int y, int m, int d) {
  return {static_cast<std::uint16_t>(y), static_cast<std::uint8_t>(m),
          static_cast<std::uint8_t>(d)};
}

struct DateCase {
  BirthDate a;
  BirthDate b;
  DateLevel expected;
  std::string_view what;
};

TEST(CompareDatesTest, LevelsTable) {
  const DateCase cases[] = {
      {Date(1980, 2, 29), Date(1980, 2, 29), DateLevel::kExact, "same date"},
      {Date(1980, 2, 19), Date(1980, 2, 29), DateLevel::kClose, "one day digit"},
      {Date(1980, 2, 29), Date(1981, 2, 29), DateLevel::kClose, "one year digit"},
      {Date(1980, 2, 29), Date(1980, 8, 29), DateLevel::kClose, "one month digit"},
      {Date(1980, 3, 12), Date(1980, 12, 3), DateLevel::kClose, "day and month swapped"},
      {Date(1989, 5, 17), Date(1998, 5, 17), DateLevel::kClose, "year digits transposed"},
      {Date(1980, 5, 17), Date(1980, 5, 71), DateLevel::kClose, "day digits transposed"},
      {Date(1980, 10, 1), Date(1980, 1, 10), DateLevel::kClose, "swap, not one digit"},
      {Date(1980, 2, 29), Date(1980, 7, 4), DateLevel::kYearOnly, "same year"},
      {Date(1980, 2, 29), Date(1980, 0, 0), DateLevel::kYearOnly, "year-only date"},
      {Date(1980, 0, 0), Date(1980, 0, 0), DateLevel::kYearOnly, "both year-only"},
      {Date(1980, 2, 0), Date(1980, 2, 0), DateLevel::kYearOnly, "no day on either"},
      {Date(1980, 2, 29), Date(1981, 0, 0), DateLevel::kDifferent, "partial, other year"},
      {Date(1980, 2, 29), Date(1975, 11, 3), DateLevel::kDifferent, "different"},
      {Date(1980, 2, 29), Date(1990, 2, 28), DateLevel::kDifferent, "two digits"},
      {Date(1980, 2, 29), Date(1982, 9, 29), DateLevel::kDifferent, "two digits, not adjacent"},
      {Date(1980, 2, 29), BirthDate{}, DateLevel::kMissing, "one empty"},
      {BirthDate{}, BirthDate{}, DateLevel::kMissing, "both empty"},
  };
  for (const DateCase& c : cases) {
    EXPECT_EQ(CompareDates(c.a, c.b), c.expected) << c.what;
    EXPECT_EQ(CompareDates(c.b, c.a), c.expected) << c.what << " (swapped)";
  }
}

TEST(SpanishPhoneticKeyTest, SpellingVariantsCollide) {
  const std::pair<std::string_view, std::string_view> same[] = {
      {"gonzalez", "gonsales"}, {"jimenez", "gimenez"},     {"jimenez", "ximenez"},
      {"herrera", "errera"},    {"vazquez", "vasquez"},     {"vazquez", "bazquez"},
      {"yolanda", "llolanda"},  {"quiroga", "kiroga"},      {"javier", "xavier"},
      {"cecilia", "sesilia"},   {"vicente", "bisente"},     {"inmaculada", "imaculada"},
      {"anna", "ana"},          {"garay", "garai"},         {"maya", "malla"},
      {"ahumada", "aumada"},    {"raphael", "rafael"},      {"carlos", "karlos"},
      {"jorge", "jorje"},       {"wenceslao", "venceslao"}, {"  maria   jose ", "maria jose"},
  };
  for (const auto& [a, b] : same) {
    EXPECT_EQ(SpanishPhoneticKey(a), SpanishPhoneticKey(b)) << a << " / " << b;
  }
}

TEST(SpanishPhoneticKeyTest, DifferentNamesDoNotCollide) {
  const std::pair<std::string_view, std::string_view> different[] = {
      {"garcia", "gracia"}, {"maria", "mario"},   {"luis", "luisa"},  {"juan", "juana"},
      {"ramos", "ramon"},   {"chavez", "cavez"},  {"pablo", "paula"}, {"alexandra", "alejandra"},
      {"gema", "guema"},    {"ana", "ana maria"}, {"lara", "lora"},   {"sara", "zara maria"},
  };
  for (const auto& [a, b] : different) {
    EXPECT_NE(SpanishPhoneticKey(a), SpanishPhoneticKey(b)) << a << " / " << b;
  }
}

TEST(SpanishPhoneticKeyTest, MisspellingsThatChangeTheSoundDoNotCollide) {
  // Read as written, "rodrigez" has the sound of "j": edit distance catches these, not the key.
  EXPECT_NE(SpanishPhoneticKey("rodriguez"), SpanishPhoneticKey("rodrigez"));
  EXPECT_NE(SpanishPhoneticKey("guillermo"), SpanishPhoneticKey("gillermo"));
}

TEST(SpanishPhoneticKeyTest, KeysSpellTheSounds) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"gonzalez", "gonsales"},
      {"jimenez", "jimenes"},
      {"chavez", "cabes"},
      {"quiroga", "kiroga"},
      {"guillermo", "giyermo"},
      {"xavier", "jabier"},
      {"alexandra", "aleksandra"},
      {"acci\xc3\xb3n", "aksi\xc3\xb3n"},
      {"herrera", "erera"},
      {"maria del carmen", "maria del karmen"},
      {"rey", "rei"},
      {"hh ana h", "ana"},
      {"", ""},
      {"   ", ""},
      {"jose2", "jose2"},
  };
  for (const auto& [in, key] : cases) EXPECT_EQ(SpanishPhoneticKey(in), key) << in;
}

TEST(SpanishPhoneticKeyTest, OutputVersionReusesTheString) {
  std::string key = "left over";
  SpanishPhoneticKey("vazquez", &key);
  EXPECT_EQ(key, "baskes");
  SpanishPhoneticKey("", &key);
  EXPECT_EQ(key, "");
}

struct EmailCase {
  std::string_view a;
  std::string_view b;
  EmailLevel expected;
};

TEST(CompareEmailsTest, LevelsTable) {
  const EmailCase cases[] = {
      {"ana.gil@example.com", "ana.gil@example.com", EmailLevel::kExact},
      {"ana.gil@gmail.com", "anagil@gmail.com", EmailLevel::kExact},
      {"ana.gil@gmail.com", "anagil@googlemail.com", EmailLevel::kExact},
      {"anagil+shop@gmail.com", "anagil@gmail.com", EmailLevel::kExact},
      {"anagil+shop@example.com", "anagil@example.com", EmailLevel::kExact},
      {"ana.gil@example.com", "anagil@example.com", EmailLevel::kSameLocal},
      {"ana.gil@gmail.com", "anagil@hotmail.com", EmailLevel::kSameLocal},
      {"ana.gil@gmail.com", "ana.gil@hotmail.com", EmailLevel::kSameLocal},
      {"anagil+x@yahoo.es", "anagil@hotmail.com", EmailLevel::kSameLocal},
      {"anagil@gmail.com", "anagill@hotmail.com", EmailLevel::kCloseLocal},
      {"anagil@gmail.com", "angail@gmail.com", EmailLevel::kCloseLocal},
      {"maria.fernandez80@gmail.com", "mariafernadez81@gmail.com", EmailLevel::kCloseLocal},
      {"ana@gmail.com", "eva@gmail.com", EmailLevel::kDifferent},
      {"anagil@gmail.com", "pedroruiz@gmail.com", EmailLevel::kDifferent},
      {"+a@example.com", "+b@example.com", EmailLevel::kDifferent},
      {"anagil@gmail.com", "", EmailLevel::kMissing},
      {"", "", EmailLevel::kMissing},
  };
  for (const EmailCase& c : cases) {
    EXPECT_EQ(CompareEmails(c.a, c.b), c.expected) << c.a << " / " << c.b;
    EXPECT_EQ(CompareEmails(c.b, c.a), c.expected) << c.b << " / " << c.a;
  }
}

struct PhoneCase {
  std::string_view a;
  std::string_view b;
  PhoneLevel expected;
};

TEST(ComparePhonesTest, LevelsTable) {
  const PhoneCase cases[] = {
      {"+34600111222", "+34600111222", PhoneLevel::kExact},
      {"+34600111222", "34600111222", PhoneLevel::kExact},
      {"+34600111222", "+34600111223", PhoneLevel::kClose},
      {"+34600111222", "+34600112122", PhoneLevel::kClose},
      {"+34600111222", "+33600111222", PhoneLevel::kClose},
      {"+34600111222", "+351600111222", PhoneLevel::kClose},
      {"+34600111222", "600111222", PhoneLevel::kClose},
      {"+34600111222", "+34600111299", PhoneLevel::kDifferent},
      {"+34600111222", "+3460011122", PhoneLevel::kDifferent},
      {"+34600111222", "+34699888777", PhoneLevel::kDifferent},
      {"+34600111222", "", PhoneLevel::kMissing},
      {"+", "+34600111222", PhoneLevel::kMissing},
  };
  for (const PhoneCase& c : cases) {
    EXPECT_EQ(ComparePhones(c.a, c.b), c.expected) << c.a << " / " << c.b;
    EXPECT_EQ(ComparePhones(c.b, c.a), c.expected) << c.b << " / " << c.a;
  }
}

}  // namespace
}  // namespace cdp
