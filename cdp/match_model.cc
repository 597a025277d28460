#include "cdp/match_model.h"

#include <xxhash.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "cdp/comparators.h"

namespace cdp {
namespace {

constexpr std::array<std::string_view, kMatchFieldCount> kFieldNames = {
    "given", "surnames", "birth_date", "street", "locality",
    "phone", "email",    "document",   "gender"};

// Level names per field, in level order.
constexpr std::array<std::array<std::string_view, kMaxMatchLevels>, kMatchFieldCount> kLevelNames =
    {{
        {"exact", "nickname_or_compound", "close", "different"},
        {"exact", "exact_swapped", "one_exact_other_missing", "close", "one_exact_other_different",
         "one_close", "different"},
        {"exact", "close", "same_year", "different"},
        {"exact", "close", "different"},
        {"same_postal_code", "same_city", "different"},
        {"exact", "close", "different"},
        {"exact", "same_local_part", "close_local_part", "different"},
        {"exact", "close", "different"},
        {"same", "different"},
    }};

// Similarity above which two names are `close`.
constexpr double kCloseName = 0.90;
// Probabilities are kept away from 0 and 1 so that weights stay finite.
constexpr double kMinProbability = 1e-6;

std::uint64_t HashText(std::string_view s) {
  return s.empty() ? 0 : XXH3_64bits(s.data(), s.size()) | 1;
}

std::string_view FirstToken(std::string_view s) {
  const std::size_t space = s.find(' ');
  return space == std::string_view::npos ? s : s.substr(0, space);
}

// One slip of the keyboard or the pen apart: one edit (a letter replaced, dropped, added, or
// two neighbours swapped), two for long names. Similarity scores such as Jaro-Winkler call
// distinct short names close ("ismael" and "isabel"); a typo is one edit.
bool OneTypoApart(std::string_view a, std::string_view b) {
  const std::size_t max = a.size() >= 9 && b.size() >= 9 ? 2 : 1;
  const std::size_t gap = a.size() > b.size() ? a.size() - b.size() : b.size() - a.size();
  if (gap > max) return false;
  return DamerauOsaBounded(a, b, static_cast<int>(max)) <= static_cast<int>(max);
}

// Surnames: sounding the same ("gonzalez", "gonzales"), a typo apart or similar letters.
// Households share surnames whole, so a close surname does not confuse relatives; given
// names (below) are held to one typo.
bool CloseName(std::string_view a, std::string_view b, std::string_view key_a,
               std::string_view key_b) {
  if (a.empty() || b.empty()) return false;
  if (!key_a.empty() && key_a == key_b) return true;
  return OneTypoApart(a, b) || JaroWinkler(a, b) >= kCloseName;
}

// "francisco" and "francisca", "mario" and "maria": one letter apart, two people.
bool GenderVariants(std::string_view a, std::string_view b) {
  if (a.size() != b.size() || a.size() < 3) return false;
  const char x = a.back();
  const char y = b.back();
  return ((x == 'o' && y == 'a') || (x == 'a' && y == 'o')) &&
         a.substr(0, a.size() - 1) == b.substr(0, b.size() - 1);
}

// Given name words: a typo apart, not a gender variant.
bool CloseGivenWord(std::string_view a, std::string_view b) {
  return !GenderVariants(a, b) && OneTypoApart(a, b);
}

// The words of a given name that tell it apart: "maria del pilar" -> {"maria", "pilar"}.
constexpr std::size_t kMaxGivenWords = PreparedRecord::kMaxGivenWords;
struct GivenWords {
  std::array<std::string_view, kMaxGivenWords> word;
  std::size_t count = 0;
};

bool IsGivenParticle(std::string_view w) {
  return w == "de" || w == "del" || w == "la" || w == "las" || w == "los" || w == "y";
}

// PrepareRecord's split of `r.given`.
GivenWords WordsOf(const PreparedRecord& r) {
  GivenWords out;
  const std::string_view given = r.given;
  for (std::size_t i = 0; i < r.given_word_count; ++i) {
    out.word[i] = given.substr(r.given_words[i].first, r.given_words[i].second);
  }
  out.count = r.given_word_count;
  return out;
}

// Whether every word of `small` matches a word of `large` (each used once), by `matches`:
// equality for a compound and its parts, CloseGivenWord (or equality) for typos.
template <typename Matches>
bool EveryWordWithin(const GivenWords& small, const GivenWords& large, Matches matches) {
  if (small.count == 0 || small.count > large.count) return false;
  std::array<bool, kMaxGivenWords> used{};
  for (std::size_t i = 0; i < small.count; ++i) {
    bool found = false;
    for (std::size_t j = 0; j < large.count && !found; ++j) {
      if (!used[j] && matches(small.word[i], large.word[j])) found = used[j] = true;
    }
    if (!found) return false;
  }
  return true;
}

bool SameWord(std::string_view a, std::string_view b) { return a == b; }
bool SameOrCloseWord(std::string_view a, std::string_view b) {
  return a == b || CloseGivenWord(a, b);
}

std::uint8_t CompareGiven(const PreparedRecord& a, const PreparedRecord& b) {
  if (a.given.empty() || b.given.empty()) return kLevelMissing;
  if (a.given_hash == b.given_hash && a.given == b.given) return 0;
  // A compound name and a part of it ("jose" and "jose maria", "carmen" and "maria del
  // carmen"): each word of one is a word of the other. Two compounds that share a word only
  // ("ana maria" and "maria del pilar": sisters, often) are different names.
  const GivenWords x = WordsOf(a);
  const GivenWords y = WordsOf(b);
  const GivenWords& fewer = x.count <= y.count ? x : y;
  const GivenWords& more = x.count <= y.count ? y : x;
  if (EveryWordWithin(fewer, more, SameWord)) return 1;
  // A typo: every word of one close to a word of the other ("jose lius" and "jose luis").
  if (EveryWordWithin(fewer, more, SameOrCloseWord)) return 2;
  // Written as one word ("josemaria" and "jose maria").
  if ((x.count == 1) != (y.count == 1)) {
    std::array<char, 64> joined_x;
    std::array<char, 64> joined_y;
    const auto join = [](const GivenWords& w, std::array<char, 64>& out) {
      std::size_t n = 0;
      for (std::size_t i = 0; i < w.count; ++i) {
        for (char c : w.word[i]) {
          if (n < out.size()) out[n++] = c;
        }
      }
      return std::string_view(out.data(), n);
    };
    const std::string_view jx = join(x, joined_x);
    const std::string_view jy = join(y, joined_y);
    if (jx == jy) return 1;
    if (CloseGivenWord(jx, jy)) return 2;
  }
  return 3;
}

std::uint8_t CompareSurnames(const PreparedRecord& a, const PreparedRecord& b) {
  const PersonRecord& x = a.person;
  const PersonRecord& y = b.person;
  if (x.surname1.empty() || y.surname1.empty()) return kLevelMissing;
  const bool s1 = x.surname1 == y.surname1;
  const bool has2 = !x.surname2.empty() && !y.surname2.empty();
  // Exact: every surname either side has agrees (one surname each counts, as in countries
  // with one surname).
  if (s1 && x.surname2 == y.surname2) return 0;
  if (has2 && x.surname1 == y.surname2 && x.surname2 == y.surname1) return 1;
  // One side's surname2 missing: the first surname (or a swapped one) is all there is.
  if (!has2) {
    if (s1) return 2;
    if ((!x.surname2.empty() && x.surname2 == y.surname1) ||
        (!y.surname2.empty() && y.surname2 == x.surname1)) {
      return 2;
    }
  }
  const bool c11 = s1 || CloseName(x.surname1, y.surname1, a.surname1_key, b.surname1_key);
  if (has2) {
    const bool c22 = x.surname2 == y.surname2 ||
                     CloseName(x.surname2, y.surname2, a.surname2_key, b.surname2_key);
    if (c11 && c22) return 3;
    const bool c12 = CloseName(x.surname1, y.surname2, a.surname1_key, b.surname2_key);
    const bool c21 = CloseName(x.surname2, y.surname1, a.surname2_key, b.surname1_key);
    if (c12 && c21) return 3;
    // One surname agrees exactly and the other disagrees: the pattern of siblings, parents
    // and children.
    if (s1 || x.surname2 == y.surname2 || x.surname1 == y.surname2 || x.surname2 == y.surname1) {
      return 4;
    }
    if (c11 || c22 || c12 || c21) return 5;
    return 6;
  }
  if (c11) return 3;
  return 6;
}

std::uint8_t CompareBirth(const PreparedRecord& a, const PreparedRecord& b) {
  switch (CompareDates(a.person.birth, b.person.birth)) {
    case DateLevel::kExact: return 0;
    case DateLevel::kClose: return 1;
    case DateLevel::kYearOnly: return 2;
    case DateLevel::kDifferent: return 3;
    case DateLevel::kMissing: return kLevelMissing;
  }
  return kLevelMissing;
}

std::uint8_t CompareStreet(const PersonRecord& x, const PersonRecord& y) {
  if (x.street.empty() || y.street.empty()) return kLevelMissing;
  if (x.street == y.street) return 0;
  if (JaroWinkler(x.street, y.street) >= kCloseName) return 1;
  return 2;
}

std::uint8_t CompareLocality(const PersonRecord& x, const PersonRecord& y) {
  const bool postal = !x.postal_code.empty() && !y.postal_code.empty();
  const bool city = !x.city.empty() && !y.city.empty();
  if (postal && x.postal_code == y.postal_code) return 0;
  if (city && (x.city == y.city || JaroWinkler(x.city, y.city) >= kCloseName)) return 1;
  if (postal || city) return 2;
  return kLevelMissing;
}

std::uint8_t ComparePhone(const PersonRecord& x, const PersonRecord& y) {
  switch (ComparePhones(x.phone, y.phone)) {
    case PhoneLevel::kExact: return 0;
    case PhoneLevel::kClose: return 1;
    case PhoneLevel::kDifferent: return 2;
    case PhoneLevel::kMissing: return kLevelMissing;
  }
  return kLevelMissing;
}

std::uint8_t CompareEmail(const PersonRecord& x, const PersonRecord& y) {
  switch (CompareEmails(x.email, y.email)) {
    case EmailLevel::kExact: return 0;
    case EmailLevel::kSameLocal: return 1;
    case EmailLevel::kCloseLocal: return 2;
    case EmailLevel::kDifferent: return 3;
    case EmailLevel::kMissing: return kLevelMissing;
  }
  return kLevelMissing;
}

std::uint8_t CompareDocument(const PersonRecord& x, const PersonRecord& y) {
  if (x.document.empty() || y.document.empty()) return kLevelMissing;
  if (x.document == y.document) return 0;
  if (x.document.size() == y.document.size() && DamerauOsaBounded(x.document, y.document, 1) <= 1)
    return 1;
  return 2;
}

std::uint8_t CompareGender(const PersonRecord& x, const PersonRecord& y) {
  if (x.gender == Gender::kUnknown || y.gender == Gender::kUnknown) return kLevelMissing;
  return x.gender == y.gender ? 0 : 1;
}

void SetLevels(std::array<double, kMaxMatchLevels>* row, std::initializer_list<double> values) {
  row->fill(0);
  std::size_t i = 0;
  for (double v : values) (*row)[i++] = v;
}

double Clamp(double p) { return std::clamp(p, kMinProbability, 1.0 - kMinProbability); }

std::string FormatDouble(double v) {
  char buf[64];
  const int n = std::snprintf(buf, sizeof buf, "%.17g", v);
  return std::string(buf, static_cast<std::size_t>(n));
}

bool ParseDouble(std::string_view s, double* out) {
  const char* end = s.data() + s.size();
  const auto [ptr, ec] = std::from_chars(s.data(), end, *out);
  return ec == std::errc() && ptr == end && std::isfinite(*out);
}

std::vector<std::string_view> SplitWords(std::string_view line) {
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    const std::size_t start = i;
    while (i < line.size() && line[i] != ' ') ++i;
    if (i > start) words.push_back(line.substr(start, i - start));
  }
  return words;
}

}  // namespace

std::string_view MatchFieldName(std::uint8_t field) {
  return field < kMatchFieldCount ? kFieldNames[field] : "unknown";
}

std::string_view MatchLevelName(std::uint8_t field, std::uint8_t level) {
  if (level == kLevelMissing) return "missing";
  if (field >= kMatchFieldCount || level >= kMatchFieldLevels[field]) return "unknown";
  return kLevelNames[field][level];
}

PreparedRecord PrepareRecord(const PersonRecord& person) {
  PreparedRecord r;
  r.person = person;
  // Canonical given names: each token through the nickname table (a compound nickname such as
  // "chema" becomes "jose maria").
  std::string_view given = person.given;
  const std::string_view whole = CanonicalGivenName(given);
  if (whole != given) {
    r.given.assign(whole);
  } else {
    std::size_t i = 0;
    while (i < given.size()) {
      std::size_t end = given.find(' ', i);
      if (end == std::string_view::npos) end = given.size();
      if (!r.given.empty()) r.given.push_back(' ');
      r.given.append(CanonicalGivenName(given.substr(i, end - i)));
      i = end + 1;
    }
  }
  {
    std::size_t i = 0;
    const std::string_view s = r.given;
    // Given names are cut at 32 bytes (person.h): offsets fit a byte.
    while (i < s.size() && r.given_word_count < kMaxGivenWords && s.size() <= 255) {
      std::size_t end = s.find(' ', i);
      if (end == std::string_view::npos) end = s.size();
      const std::string_view w = s.substr(i, end - i);
      if (!w.empty() && !IsGivenParticle(w)) {
        r.given_words[r.given_word_count++] = {static_cast<std::uint8_t>(i),
                                               static_cast<std::uint8_t>(w.size())};
      }
      i = end + 1;
    }
  }
  r.given_first.assign(FirstToken(r.given));
  if (!r.given_first.empty()) r.given_key = SpanishPhoneticKey(r.given_first);
  if (!person.surname1.empty()) r.surname1_key = SpanishPhoneticKey(person.surname1);
  if (!person.surname2.empty()) r.surname2_key = SpanishPhoneticKey(person.surname2);
  r.given_hash = HashText(r.given);
  if (!person.surname1.empty()) {
    std::string joined = person.surname1;
    joined.push_back(' ');
    joined.append(person.surname2);
    r.surnames_hash = HashText(joined);
  }
  if (!person.birth.empty()) {
    r.birth_number = std::uint32_t{person.birth.year} * 10000 +
                     std::uint32_t{person.birth.month} * 100 + person.birth.day;
  }
  return r;
}

ComparisonVector CompareRecords(const PreparedRecord& a, const PreparedRecord& b) {
  ComparisonVector v;
  v.level[kFieldGiven] = CompareGiven(a, b);
  v.level[kFieldSurnames] = CompareSurnames(a, b);
  // The given name and the first surname written in each other's fields ("Caleb Rowe" and
  // "Rowe Caleb"): both close, not both different.
  constexpr std::uint8_t kGivenDifferent = kMatchFieldLevels[kFieldGiven] - 1;
  constexpr std::uint8_t kSurnamesDifferent = kMatchFieldLevels[kFieldSurnames] - 1;
  if (v.level[kFieldGiven] == kGivenDifferent && v.level[kFieldSurnames] == kSurnamesDifferent &&
      !a.given_first.empty() && !b.given_first.empty() && !a.person.surname1.empty() &&
      !b.person.surname1.empty() &&
      (a.given_first == b.person.surname1 || OneTypoApart(a.given_first, b.person.surname1)) &&
      (b.given_first == a.person.surname1 || OneTypoApart(b.given_first, a.person.surname1))) {
    v.level[kFieldGiven] = 2;
    v.level[kFieldSurnames] = 3;
  }
  v.level[kFieldBirth] = a.birth_number != 0 && a.birth_number == b.birth_number
                             ? std::uint8_t{0}
                             : CompareBirth(a, b);
  v.level[kFieldStreet] = CompareStreet(a.person, b.person);
  v.level[kFieldLocality] = CompareLocality(a.person, b.person);
  v.level[kFieldPhone] = ComparePhone(a.person, b.person);
  v.level[kFieldEmail] = CompareEmail(a.person, b.person);
  v.level[kFieldDocument] = CompareDocument(a.person, b.person);
  v.level[kFieldGender] = CompareGender(a.person, b.person);
  return v;
}

MatchModel MatchModel::Defaults() {
  MatchModel model;
  model.prior = 0.01;
  auto& m = model.m;
  auto& u = model.u;
  SetLevels(&m[kFieldGiven], {0.85, 0.08, 0.04, 0.03});
  SetLevels(&u[kFieldGiven], {0.02, 0.01, 0.02, 0.95});
  SetLevels(&m[kFieldSurnames], {0.80, 0.02, 0.06, 0.06, 0.03, 0.02, 0.01});
  SetLevels(&u[kFieldSurnames], {0.0005, 0.0001, 0.002, 0.001, 0.02, 0.03, 0.9464});
  SetLevels(&m[kFieldBirth], {0.90, 0.06, 0.02, 0.02});
  SetLevels(&u[kFieldBirth], {0.00005, 0.0005, 0.012, 0.98745});
  SetLevels(&m[kFieldStreet], {0.75, 0.10, 0.15});
  SetLevels(&u[kFieldStreet], {0.002, 0.003, 0.995});
  SetLevels(&m[kFieldLocality], {0.80, 0.05, 0.15});
  SetLevels(&u[kFieldLocality], {0.01, 0.03, 0.96});
  SetLevels(&m[kFieldPhone], {0.80, 0.05, 0.15});
  SetLevels(&u[kFieldPhone], {0.0001, 0.0005, 0.9994});
  SetLevels(&m[kFieldEmail], {0.80, 0.05, 0.05, 0.10});
  SetLevels(&u[kFieldEmail], {0.00001, 0.0001, 0.0005, 0.99939});
  SetLevels(&m[kFieldDocument], {0.90, 0.06, 0.04});
  SetLevels(&u[kFieldDocument], {0.00001, 0.0001, 0.99989});
  SetLevels(&m[kFieldGender], {0.98, 0.02});
  SetLevels(&u[kFieldGender], {0.5, 0.5});
  return model;
}

Status MatchModel::Validate() const {
  if (!(prior > 0 && prior < 1)) return InvalidArgumentError("prior: must lie in (0, 1)");
  if (!(max_tf_adjustment >= 0 && max_tf_adjustment <= 32)) {
    return InvalidArgumentError("max_tf_adjustment: must lie in [0, 32]");
  }
  if (!(tf_base_given > 0 && tf_base_given <= 1) ||
      !(tf_base_surnames > 0 && tf_base_surnames <= 1)) {
    return InvalidArgumentError("tf_base: must lie in (0, 1]");
  }
  for (std::uint8_t f = 0; f < kMatchFieldCount; ++f) {
    for (const auto* table : {&m, &u}) {
      const char* name = table == &m ? "m" : "u";
      double sum = 0;
      for (std::size_t l = 0; l < kMaxMatchLevels; ++l) {
        const double p = (*table)[f][l];
        const bool used = l < kMatchFieldLevels[f];
        if (used ? !(p > 0 && p <= 1) : p != 0) {
          return InvalidArgumentError(std::string(name) + " " + std::string(kFieldNames[f]) +
                                      ": level " + std::to_string(l) +
                                      (used ? " must lie in (0, 1]" : " does not exist"));
        }
        sum += p;
      }
      if (std::abs(sum - 1.0) > 1e-6) {
        return InvalidArgumentError(std::string(name) + " " + std::string(kFieldNames[f]) +
                                    ": the levels must sum to 1");
      }
    }
  }
  return Status::Ok();
}

double MatchModel::LevelWeight(std::uint8_t field, std::uint8_t level) const {
  if (level == kLevelMissing || field >= kMatchFieldCount || level >= kMaxMatchLevels) return 0;
  return std::log2(Clamp(m[field][level]) / Clamp(u[field][level]));
}

double MatchModel::PriorWeight() const {
  const double p = Clamp(prior);
  return std::log2(p / (1 - p));
}

std::string MatchModel::ToText() const {
  std::string out = "cdp-match-model 1\n";
  out += "version " + std::to_string(version) + "\n";
  out += "prior " + FormatDouble(prior) + "\n";
  out += "max_tf_adjustment " + FormatDouble(max_tf_adjustment) + "\n";
  out += "tf_base_given " + FormatDouble(tf_base_given) + "\n";
  out += "tf_base_surnames " + FormatDouble(tf_base_surnames) + "\n";
  for (std::uint8_t f = 0; f < kMatchFieldCount; ++f) {
    for (const auto* table : {&m, &u}) {
      out += table == &m ? "m " : "u ";
      out += kFieldNames[f];
      for (std::size_t l = 0; l < kMatchFieldLevels[f]; ++l)
        out += " " + FormatDouble((*table)[f][l]);
      out += "\n";
    }
  }
  return out;
}

Result<MatchModel> MatchModel::FromText(std::string_view text) {
  MatchModel model;
  model.m = {};
  model.u = {};
  std::array<std::array<bool, 2>, kMatchFieldCount> seen{};
  bool header = false;
  bool have_prior = false;
  std::size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const std::size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    const std::vector<std::string_view> words = SplitWords(line);
    if (words.empty()) continue;
    const auto bad = [&](std::string_view why) {
      return InvalidArgumentError("match model line " + std::to_string(line_number) + ": " +
                                  std::string(why));
    };
    if (!header) {
      if (words.size() != 2 || words[0] != "cdp-match-model" || words[1] != "1") {
        return bad("expected the header 'cdp-match-model 1'");
      }
      header = true;
      continue;
    }
    if (words[0] == "version") {
      std::uint32_t v = 0;
      const auto [ptr, ec] =
          words.size() == 2 ? std::from_chars(words[1].data(), words[1].data() + words[1].size(), v)
                            : std::from_chars_result{nullptr, std::errc::invalid_argument};
      if (ec != std::errc() || ptr != words[1].data() + words[1].size()) {
        return bad("expected 'version N'");
      }
      model.version = v;
    } else if (words[0] == "prior" || words[0] == "max_tf_adjustment" ||
               words[0] == "tf_base_given" || words[0] == "tf_base_surnames") {
      double v = 0;
      if (words.size() != 2 || !ParseDouble(words[1], &v)) return bad("expected a number");
      if (words[0] == "prior") {
        model.prior = v;
        have_prior = true;
      } else if (words[0] == "max_tf_adjustment") {
        model.max_tf_adjustment = v;
      } else if (words[0] == "tf_base_given") {
        model.tf_base_given = v;
      } else {
        model.tf_base_surnames = v;
      }
    } else if (words[0] == "m" || words[0] == "u") {
      if (words.size() < 2) return bad("expected a field name");
      const auto it = std::find(kFieldNames.begin(), kFieldNames.end(), words[1]);
      if (it == kFieldNames.end()) return bad("unknown field");
      const auto f = static_cast<std::size_t>(it - kFieldNames.begin());
      if (words.size() != 2 + std::size_t{kMatchFieldLevels[f]})
        return bad("wrong number of levels");
      auto& row = words[0] == "m" ? model.m[f] : model.u[f];
      for (std::size_t l = 0; l < kMatchFieldLevels[f]; ++l) {
        if (!ParseDouble(words[2 + l], &row[l])) return bad("expected a number");
      }
      seen[f][words[0] == "m" ? 0 : 1] = true;
    } else {
      return bad("unknown key");
    }
  }
  if (!header) return InvalidArgumentError("match model: empty");
  if (!have_prior) return InvalidArgumentError("match model: no prior");
  for (std::size_t f = 0; f < kMatchFieldCount; ++f) {
    if (!seen[f][0] || !seen[f][1]) {
      return InvalidArgumentError("match model: no m or u for " + std::string(kFieldNames[f]));
    }
  }
  CDP_RETURN_IF_ERROR(model.Validate());
  return model;
}

double ScoreComparison(const MatchModel& model, const ComparisonVector& vector,
                       const PreparedRecord& a, const NameFrequencies* frequencies,
                       MatchEvidence* evidence) {
  const double prior = model.PriorWeight();
  double total = prior;
  if (evidence != nullptr) {
    evidence->model_version = model.version;
    evidence->prior = static_cast<float>(prior);
    evidence->fields.clear();
  }
  for (std::uint8_t f = 0; f < kMatchFieldCount; ++f) {
    const std::uint8_t level = vector.level[f];
    double w = model.LevelWeight(f, level);
    // The postal code or city of an identical street line says nothing more: the two are one
    // address (counting both would count it twice).
    if (f == kFieldLocality && w > 0 && vector.level[kFieldStreet] == 0) w = 0;
    // Agreeing on a rare name says more than agreeing on "maria garcia".
    if (frequencies != nullptr && level == 0 && (f == kFieldGiven || f == kFieldSurnames)) {
      const double tf = f == kFieldGiven ? frequencies->GivenFrequency(a.given_hash)
                                         : frequencies->SurnamesFrequency(a.surnames_hash);
      if (tf > 0) {
        const double base = f == kFieldGiven ? model.tf_base_given : model.tf_base_surnames;
        const double adjust = std::log2(Clamp(base) / Clamp(tf));
        w += std::clamp(adjust, -model.max_tf_adjustment, model.max_tf_adjustment);
      }
    }
    total += w;
    if (evidence != nullptr && level != kLevelMissing) {
      evidence->fields.push_back(FieldContribution{f, level, static_cast<float>(w)});
    }
  }
  if (evidence != nullptr) evidence->weight = static_cast<float>(total);
  return total;
}

void EstimateU(std::span<const ComparisonVector> random_pairs, MatchModel* model) {
  for (std::uint8_t f = 0; f < kMatchFieldCount; ++f) {
    std::array<double, kMaxMatchLevels> counts{};
    double present = 0;
    for (const ComparisonVector& v : random_pairs) {
      const std::uint8_t l = v.level[f];
      if (l == kLevelMissing || l >= kMatchFieldLevels[f]) continue;
      ++counts[l];
      ++present;
    }
    const std::size_t levels = kMatchFieldLevels[f];
    for (std::size_t l = 0; l < kMaxMatchLevels; ++l) {
      model->u[f][l] = l < levels ? (counts[l] + 1) / (present + static_cast<double>(levels)) : 0;
    }
    if (f == kFieldGiven) model->tf_base_given = model->u[f][0];
    if (f == kFieldSurnames) model->tf_base_surnames = model->u[f][0];
  }
}

EmResult FitEm(std::span<const ComparisonVector> pairs, const EmOptions& options, MatchModel* model,
               const std::function<void(int)>& progress) {
  EmResult result;
  if (pairs.empty()) return result;
  // Identical vectors are counted once with a multiplicity: a few hundred distinct patterns
  // usually stand for millions of pairs.
  std::vector<std::pair<ComparisonVector, double>> patterns;
  {
    std::vector<ComparisonVector> sorted(pairs.begin(), pairs.end());
    std::sort(
        sorted.begin(), sorted.end(),
        [](const ComparisonVector& x, const ComparisonVector& y) { return x.level < y.level; });
    for (const ComparisonVector& v : sorted) {
      if (!patterns.empty() && patterns.back().first == v) {
        ++patterns.back().second;
      } else {
        patterns.emplace_back(v, 1.0);
      }
    }
  }
  const double n = static_cast<double>(pairs.size());
  double prior = Clamp(model->prior);
  for (int it = 1; it <= options.max_iterations; ++it) {
    // E step: the posterior probability of a match for each pattern.
    std::array<std::array<double, kMaxMatchLevels>, kMatchFieldCount> m_num{};
    std::array<std::array<double, kMaxMatchLevels>, kMatchFieldCount> u_num{};
    double matches = 0;
    for (const auto& [v, count] : patterns) {
      double log_m = std::log(prior);
      double log_u = std::log(1 - prior);
      for (std::uint8_t f = 0; f < kMatchFieldCount; ++f) {
        const std::uint8_t l = v.level[f];
        if (l == kLevelMissing || l >= kMatchFieldLevels[f]) continue;
        log_m += std::log(Clamp(model->m[f][l]));
        log_u += std::log(Clamp(model->u[f][l]));
      }
      const double p = 1.0 / (1.0 + std::exp(log_u - log_m));
      matches += p * count;
      for (std::uint8_t f = 0; f < kMatchFieldCount; ++f) {
        const std::uint8_t l = v.level[f];
        if (l == kLevelMissing || l >= kMatchFieldLevels[f]) continue;
        m_num[f][l] += p * count;
        u_num[f][l] += (1 - p) * count;
      }
    }
    // M step.
    double moved = 0;
    for (std::uint8_t f = 0; f < kMatchFieldCount; ++f) {
      const std::size_t levels = kMatchFieldLevels[f];
      double m_sum = 0;
      double u_sum = 0;
      for (std::size_t l = 0; l < levels; ++l) {
        m_sum += m_num[f][l];
        u_sum += u_num[f][l];
      }
      for (std::size_t l = 0; l < levels; ++l) {
        if (m_sum > 0) {
          const double next =
              Clamp((m_num[f][l] + 1e-3) / (m_sum + 1e-3 * static_cast<double>(levels)));
          moved = std::max(moved, std::abs(next - model->m[f][l]));
          model->m[f][l] = next;
        }
        if (options.update_u && u_sum > 0) {
          const double next =
              Clamp((u_num[f][l] + 1e-3) / (u_sum + 1e-3 * static_cast<double>(levels)));
          moved = std::max(moved, std::abs(next - model->u[f][l]));
          model->u[f][l] = next;
        }
      }
      // Renormalise after clamping.
      for (auto* table : {&model->m, &model->u}) {
        double sum = 0;
        for (std::size_t l = 0; l < levels; ++l) sum += (*table)[f][l];
        for (std::size_t l = 0; l < levels; ++l) (*table)[f][l] /= sum;
      }
    }
    const double next_prior = Clamp(matches / n);
    moved = std::max(moved, std::abs(next_prior - prior));
    prior = next_prior;
    result.iterations = it;
    if (progress) progress(it);
    if (moved < options.tolerance) {
      result.converged = true;
      break;
    }
  }
  result.prior = prior;
  model->prior = prior;
  return result;
}

}  // namespace cdp
