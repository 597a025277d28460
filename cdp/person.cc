#include "cdp/person.h"

#include <xxhash.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <utility>
#include <vector>

#include "cdp/identifier.h"

namespace cdp {
namespace {

// An encoded record: "1|given|surname1|surname2|YYYYMMDD|street|city|postal|phone|email|doc|g"
// (version, then the fields in this order, empty when missing).
constexpr char kSeparator = '|';
constexpr std::string_view kEncodingVersion = "1";

// The fields of an encoded record, in order, with the most bytes each may hold.
enum Field : std::size_t {
  kVersionField,
  kGivenField,
  kSurname1Field,
  kSurname2Field,
  kBirthField,
  kStreetField,
  kCityField,
  kPostalCodeField,
  kPhoneField,
  kEmailField,
  kDocumentField,
  kGenderField,
  kFieldCount,
};
constexpr std::array<std::size_t, kFieldCount> kFieldCaps = {
    1,   // version
    32,  // given
    24,  // surname1
    24,  // surname2
    8,   // birth, YYYYMMDD
    40,  // street
    24,  // city
    10,  // postal code
    16,  // phone: '+' and at most 15 digits
    44,  // email
    20,  // document
    1,   // gender
};
constexpr std::size_t SumOfCaps() {
  std::size_t total = kFieldCount - 1;  // the separators
  for (std::size_t cap : kFieldCaps) total += cap;
  return total;
}
static_assert(SumOfCaps() <= kMaxIdentifierValueLength,
              "an encoded record must always fit in an identifier value");
// The tag of a record that is not distinctive: 16 hex digits after a separator. Such a record
// has no birth date, street, phone, email or document.
constexpr std::size_t kTagLength = 16;
static_assert(SumOfCaps() - kFieldCaps[kBirthField] - kFieldCaps[kStreetField] -
                      kFieldCaps[kPhoneField] - kFieldCaps[kEmailField] -
                      kFieldCaps[kDocumentField] + 1 + kTagLength <=
                  kMaxIdentifierValueLength,
              "a tagged record must always fit in an identifier value");

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
char ToLower(char c) { return IsUpper(c) ? static_cast<char>(c - 'A' + 'a') : c; }

// The length of the well-formed UTF-8 sequence at the start of `text` that is not a control
// character (C0, DEL, C1) nor the separator, or 0.
std::size_t CleanCharLength(std::string_view text) {
  const auto b0 = static_cast<unsigned char>(text[0]);
  if (b0 < 0x80) return (b0 < 0x20 || b0 == 0x7F || b0 == kSeparator) ? 0 : 1;
  std::size_t length = 0;
  char32_t cp = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    length = 2;
    cp = b0 & 0x1Fu;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    length = 3;
    cp = b0 & 0x0Fu;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    length = 4;
    cp = b0 & 0x07u;
  } else {
    return 0;
  }
  if (text.size() < length) return 0;
  for (std::size_t i = 1; i < length; ++i) {
    const auto b = static_cast<unsigned char>(text[i]);
    if ((b & 0xC0u) != 0x80u) return 0;
    cp = (cp << 6) | (b & 0x3Fu);
  }
  const bool overlong = (length == 3 && cp < 0x800) || (length == 4 && cp < 0x10000);
  const bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
  if (overlong || surrogate || cp > 0x10FFFF || (cp >= 0x80 && cp <= 0x9F)) return 0;
  return length;
}

bool IsSpace(char c) { return c == ' '; }

// Splits `text` into words: runs of clean UTF-8 characters. Spaces, control characters and
// the separator separate words; malformed bytes are dropped.
std::vector<std::string> Words(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t n = IsSpace(text[i]) ? 0 : CleanCharLength(text.substr(i));
    if (n > 0) {
      word.append(text, i, n);
      i += n;
      continue;
    }
    if (static_cast<unsigned char>(text[i]) < 0x80 && !word.empty()) {
      words.push_back(std::move(word));
      word.clear();
    }
    ++i;
  }
  if (!word.empty()) words.push_back(std::move(word));
  return words;
}

std::string Join(const std::vector<std::string>& words, std::size_t begin, std::size_t end) {
  std::string out;
  for (std::size_t i = begin; i < end; ++i) {
    if (!out.empty()) out += ' ';
    out += words[i];
  }
  return out;
}

// Cuts `text` to at most `cap` bytes at a character boundary, then drops trailing spaces.
void Cut(std::string& text, std::size_t cap) {
  if (text.size() > cap) {
    std::size_t n = cap;
    while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0u) == 0x80u) --n;
    text.resize(n);
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
}

// True when `text` is at most `cap` bytes of clean UTF-8 words joined by single spaces.
bool IsCanonicalText(std::string_view text, std::size_t cap) {
  if (text.size() > cap) return false;
  if (!text.empty() && (IsSpace(text.front()) || IsSpace(text.back()))) return false;
  std::size_t i = 0;
  while (i < text.size()) {
    if (IsSpace(text[i])) {
      if (IsSpace(text[i + 1])) return false;  // i + 1 < size: the text does not end in a space
      ++i;
      continue;
    }
    const std::size_t n = CleanCharLength(text.substr(i));
    if (n == 0) return false;
    i += n;
  }
  return true;
}

// Text in canonical form: words joined by single spaces, cut to `cap`.
std::string CanonicalText(std::string_view text, std::size_t cap) {
  // Folded text is canonical already: only a cut is left.
  if (IsCanonicalText(text, text.size())) {
    std::string out(text);
    Cut(out, cap);
    return out;
  }
  std::vector<std::string> words = Words(text);
  std::string out = Join(words, 0, words.size());
  Cut(out, cap);
  return out;
}

// A phone in E.164 ('+' and 1 to 15 digits), or empty.
bool IsPhone(std::string_view text) {
  if (text.size() < 2 || text.size() > kFieldCaps[kPhoneField] || text[0] != '+') return false;
  return std::all_of(text.begin() + 1, text.end(), IsDigit);
}

// An email as the record keeps it: clean UTF-8 without spaces, cut to its cap; empty when the
// address holds anything else.
std::string CanonicalEmail(std::string_view email) {
  for (std::size_t i = 0; i < email.size();) {
    const std::size_t n = IsSpace(email[i]) ? 0 : CleanCharLength(email.substr(i));
    if (n == 0) return std::string();
    i += n;
  }
  std::string out(email);
  Cut(out, kFieldCaps[kEmailField]);
  return out;
}

bool IsCanonicalEmail(std::string_view email) {
  return email.find(' ') == std::string_view::npos &&
         IsCanonicalText(email, kFieldCaps[kEmailField]);
}

// Upper-case ASCII letters and digits, the rest dropped, cut to its cap.
std::string CanonicalDocument(std::string_view document) {
  std::string out;
  for (char c : document) {
    if (IsDigit(c) || IsUpper(c)) {
      out += c;
    } else if (IsLower(c)) {
      out += static_cast<char>(c - 'a' + 'A');
    }
    if (out.size() == kFieldCaps[kDocumentField]) break;
  }
  return out;
}

bool IsCanonicalDocument(std::string_view document) {
  return document.size() <= kFieldCaps[kDocumentField] &&
         std::all_of(document.begin(), document.end(),
                     [](char c) { return IsDigit(c) || IsUpper(c); });
}

// Surname particles, dropped: "de la fuente" -> "fuente". Sorted.
constexpr std::array<std::string_view, 15> kParticles = {
    "da", "das", "de", "del", "der", "do", "dos", "e", "i", "la", "las", "los", "van", "von", "y",
};
static_assert(std::is_sorted(kParticles.begin(), kParticles.end()));

// Words that begin a surname of two words and are kept: "san martin", "santa cruz".
constexpr std::array<std::string_view, 4> kKeptPrefixes = {"san", "santa", "santo", "sant"};

bool IsParticle(std::string_view word) {
  return std::binary_search(kParticles.begin(), kParticles.end(), word);
}
bool IsKeptPrefix(std::string_view word) {
  return std::find(kKeptPrefixes.begin(), kKeptPrefixes.end(), word) != kKeptPrefixes.end();
}

// One surname: its words without particles, and the index of its first word (particles
// included) in the name it was found in.
struct SurnameGroup {
  std::string text;
  std::size_t first_word = 0;
};

// Groups `words` into surnames: a particle or a kept prefix attaches to the following word
// ("de la fuente", "san martin" are one surname each); particles are dropped from the text,
// trailing particles with no word after them are dropped whole.
std::vector<SurnameGroup> SurnameGroups(const std::vector<std::string>& words) {
  std::vector<SurnameGroup> groups;
  std::size_t start = 0;
  bool pending = false;  // particles or prefixes seen since the last group
  std::string prefix;    // the kept prefixes among them
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (!pending) start = i;
    const std::string& word = words[i];
    if (IsParticle(word) || (IsKeptPrefix(word) && i + 1 < words.size())) {
      pending = true;
      if (IsKeptPrefix(word)) {
        prefix += word;
        prefix += ' ';
      }
      continue;
    }
    groups.push_back({prefix + word, start});
    pending = false;
    prefix.clear();
  }
  return groups;
}

std::string JoinGroups(const std::vector<SurnameGroup>& groups, std::size_t begin,
                       std::size_t end) {
  std::string out;
  for (std::size_t i = begin; i < end; ++i) {
    if (!out.empty()) out += ' ';
    out += groups[i].text;
  }
  return out;
}

// Fills surname1 and surname2 from a last name that may hold both: the last surname is the
// second, the ones before it the first ("garcia de la fuente" -> "garcia", "fuente").
void SplitLastName(const std::vector<std::string>& words, PersonRecord* record) {
  const std::vector<SurnameGroup> groups = SurnameGroups(words);
  if (groups.size() == 1) {
    record->surname1 = groups[0].text;
  } else if (groups.size() >= 2) {
    record->surname1 = JoinGroups(groups, 0, groups.size() - 1);
    record->surname2 = groups.back().text;
  }
}

// Splits a full name: the last two surnames are the surnames and the words before them the
// given names, as written; with two surnames in all, the first is the given name.
void SplitFullName(const std::vector<std::string>& words, PersonRecord* record) {
  const std::vector<SurnameGroup> groups = SurnameGroups(words);
  if (groups.empty()) return;
  if (groups.size() == 1) {
    record->given = Join(words, 0, words.size());
    return;
  }
  const std::size_t n = groups.size();
  const std::size_t first_surname = n == 2 ? 1 : n - 2;
  record->given = Join(words, 0, groups[first_surname].first_word);
  record->surname1 = groups[first_surname].text;
  if (n > 2) record->surname2 = groups[n - 1].text;
}

bool StartsWith(const std::vector<std::string>& words, const std::vector<std::string>& prefix) {
  return prefix.size() < words.size() && std::equal(prefix.begin(), prefix.end(), words.begin());
}
bool EndsWith(const std::vector<std::string>& words, const std::vector<std::string>& suffix) {
  return suffix.size() < words.size() && std::equal(suffix.rbegin(), suffix.rend(), words.rbegin());
}

void BuildNames(const PersonFields& fields, PersonRecord* record) {
  const std::vector<std::string> first = Words(fields.first_name);
  const std::vector<std::string> last = Words(fields.last_name);
  const std::vector<std::string> second = Words(fields.second_last_name);
  const std::vector<std::string> full = Words(fields.full_name);
  const bool has_surnames = !last.empty() || !second.empty();
  if (first.empty() && !has_surnames) {
    SplitFullName(full, record);
    return;
  }
  record->given = Join(first, 0, first.size());
  if (!second.empty()) {
    const std::vector<SurnameGroup> groups1 = SurnameGroups(last);
    const std::vector<SurnameGroup> groups2 = SurnameGroups(second);
    record->surname1 = JoinGroups(groups1, 0, groups1.size());
    record->surname2 = JoinGroups(groups2, 0, groups2.size());
  } else if (!last.empty()) {
    SplitLastName(last, record);
  }
  if (full.empty()) return;
  if (!has_surnames) {
    // "name" completes "firstName": its words after the given names are the surnames.
    if (StartsWith(full, first)) {
      SplitLastName(std::vector<std::string>(
                        full.begin() + static_cast<std::ptrdiff_t>(first.size()), full.end()),
                    record);
    } else {
      PersonRecord split;
      SplitFullName(full, &split);
      record->surname1 = std::move(split.surname1);
      record->surname2 = std::move(split.surname2);
    }
  } else if (first.empty()) {
    // "name" completes the surnames: its words before them are the given names.
    std::vector<std::string> surnames = last;
    surnames.insert(surnames.end(), second.begin(), second.end());
    if (EndsWith(full, surnames)) record->given = Join(full, 0, full.size() - surnames.size());
  }
}

// Spanish hypocorisms and the names they stand for, sorted by nickname. Ambiguous ones
// ("fer": fernando or fernanda) are left out unless one reading is much the commoner.
constexpr std::array<std::pair<std::string_view, std::string_view>, 72> kNicknames = {{
    {"alex", "alejandro"},
    {"bea", "beatriz"},
    {"charito", "rosario"},
    {"charo", "rosario"},
    {"chelo", "consuelo"},
    {"chema", "jose maria"},
    {"chus", "jesus"},
    {"concha", "concepcion"},
    {"conchi", "concepcion"},
    {"conchita", "concepcion"},
    {"cris", "cristina"},
    {"curro", "francisco"},
    {"dani", "daniel"},
    {"edu", "eduardo"},
    {"encarna", "encarnacion"},
    {"espe", "esperanza"},
    {"fede", "federico"},
    {"fran", "francisco"},
    {"guada", "guadalupe"},
    {"guille", "guillermo"},
    {"inma", "inmaculada"},
    {"isa", "isabel"},
    {"javi", "javier"},
    {"josemi", "jose miguel"},
    {"juanjo", "juan jose"},
    {"juanma", "juan manuel"},
    {"juanra", "juan ramon"},
    {"kike", "enrique"},
    {"lola", "dolores"},
    {"loli", "dolores"},
    {"lolita", "dolores"},
    {"luismi", "luis miguel"},
    {"lupe", "guadalupe"},
    {"macu", "inmaculada"},
    {"maite", "maria teresa"},
    {"mamen", "maria del carmen"},
    {"manoli", "manuela"},
    {"manolo", "manuel"},
    {"manu", "manuel"},
    {"mari", "maria"},
    {"maribel", "maria isabel"},
    {"maricarmen", "maria del carmen"},
    {"marisa", "maria luisa"},
    {"marisol", "maria soledad"},
    {"maruja", "maria"},
    {"meche", "mercedes"},
    {"merche", "mercedes"},
    {"migue", "miguel"},
    {"moncho", "ramon"},
    {"nacho", "ignacio"},
    {"nando", "fernando"},
    {"nati", "natividad"},
    {"nico", "nicolas"},
    {"paca", "francisca"},
    {"paco", "francisco"},
    {"paqui", "francisca"},
    {"paquita", "francisca"},
    {"pepa", "josefa"},
    {"pepe", "jose"},
    {"pepi", "josefa"},
    {"pili", "pilar"},
    {"puri", "purificacion"},
    {"quique", "enrique"},
    {"rafa", "rafael"},
    {"reme", "remedios"},
    {"santi", "santiago"},
    {"sole", "soledad"},
    {"susi", "susana"},
    {"tere", "teresa"},
    {"toni", "antonio"},
    {"trini", "trinidad"},
    {"vero", "veronica"},
}};

constexpr bool NicknamesSorted() {
  for (std::size_t i = 1; i < kNicknames.size(); ++i) {
    if (!(kNicknames[i - 1].first < kNicknames[i].first)) return false;
  }
  return true;
}
static_assert(NicknamesSorted(), "kNicknames must be sorted by nickname, without duplicates");

constexpr int kMinBirthYear = 1900;
constexpr int kMaxBirthYear = 2100;

bool IsLeapYear(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int DaysInMonth(int year, int month) {
  static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && IsLeapYear(year)) return 29;
  return kDays[static_cast<std::size_t>(month - 1)];
}

// A possible birth date: a year in range, and a month and day that exist (0 for unknown; an
// unknown month has an unknown day).
bool IsValidBirth(int year, int month, int day) {
  if (year < kMinBirthYear || year > kMaxBirthYear) return false;
  if (month < 0 || month > 12 || day < 0) return false;
  if (month == 0) return day == 0;
  return day <= DaysInMonth(year, month);
}

std::optional<BirthDate> MakeBirth(int year, int month, int day) {
  if (!IsValidBirth(year, month, day)) return std::nullopt;
  return BirthDate{static_cast<std::uint16_t>(year), static_cast<std::uint8_t>(month),
                   static_cast<std::uint8_t>(day)};
}

// A date as written: the parts it has are not 0.
std::optional<BirthDate> ParsedBirth(int year, int month, int day, bool has_day = true) {
  if (month == 0 || (has_day && day == 0)) return std::nullopt;
  return MakeBirth(year, month, day);
}

// Reads 1 to `max` digits at the start of `text` into `value`; returns how many it read.
std::size_t ReadNumber(std::string_view text, std::size_t max, int* value) {
  std::size_t n = 0;
  *value = 0;
  while (n < text.size() && n < max && IsDigit(text[n])) {
    *value = *value * 10 + (text[n] - '0');
    ++n;
  }
  return n;
}

// Reads exactly two digits below `limit`.
bool ReadTwo(std::string_view& text, int limit) {
  int value = 0;
  if (ReadNumber(text, 2, &value) != 2 || value >= limit) return false;
  text.remove_prefix(2);
  return true;
}

// True for what may follow the date of an ISO 8601 timestamp: "T00:00", ":00", ".000", then
// "Z", "+01:00", "+0100" or "+01".
bool IsTimeSuffix(std::string_view text) {
  if (text.empty()) return true;
  if (text[0] != 'T' && text[0] != 't' && text[0] != ' ') return false;
  text.remove_prefix(1);
  if (!ReadTwo(text, 24) || text.empty() || text[0] != ':') return false;
  text.remove_prefix(1);
  if (!ReadTwo(text, 60)) return false;
  if (!text.empty() && text[0] == ':') {
    text.remove_prefix(1);
    if (!ReadTwo(text, 61)) return false;
    if (!text.empty() && (text[0] == '.' || text[0] == ',')) {
      text.remove_prefix(1);
      int ignored = 0;
      const std::size_t n = ReadNumber(text, 9, &ignored);
      if (n == 0) return false;
      text.remove_prefix(n);
    }
  }
  if (text.empty()) return true;
  if (text == "Z" || text == "z") return true;
  if (text[0] != '+' && text[0] != '-') return false;
  text.remove_prefix(1);
  if (!ReadTwo(text, 24)) return false;
  if (!text.empty() && text[0] == ':') text.remove_prefix(1);
  if (text.empty()) return true;
  return ReadTwo(text, 60) && text.empty();
}

std::string_view TrimSpaces(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::optional<BirthDate> ParseBirthday(std::string_view text) {
  text = TrimSpaces(text);
  if (text.size() > 64) return std::nullopt;
  int a = 0;
  const std::size_t a_digits = ReadNumber(text, 8, &a);
  if (a_digits == text.size()) {
    if (a_digits == 8) return ParsedBirth(a / 10000, a / 100 % 100, a % 100);  // YYYYMMDD
    if (a_digits == 4) return MakeBirth(a, 0, 0);                              // YYYY
    return std::nullopt;
  }
  if (a_digits == 0 || a_digits > 4) return std::nullopt;
  const char separator = text[a_digits];
  if (separator != '-' && separator != '/' && separator != '.') return std::nullopt;
  std::string_view rest = text.substr(a_digits + 1);
  int b = 0;
  const std::size_t b_digits = ReadNumber(rest, 2, &b);
  if (b_digits == 0) return std::nullopt;
  rest.remove_prefix(b_digits);
  if (a_digits == 4) {
    // YYYY-MM-DD, possibly with a time; YYYY-MM; YYYY/MM/DD.
    if (rest.empty()) return ParsedBirth(a, b, 0, /*has_day=*/false);
    if (rest[0] != separator) return std::nullopt;
    rest.remove_prefix(1);
    int c = 0;
    const std::size_t c_digits = ReadNumber(rest, 2, &c);
    if (c_digits == 0) return std::nullopt;
    rest.remove_prefix(c_digits);
    if (!(separator == '-' ? IsTimeSuffix(rest) : rest.empty())) return std::nullopt;
    return ParsedBirth(a, b, c);
  }
  if (a_digits > 2 || rest.empty() || rest[0] != separator) return std::nullopt;
  // DD/MM/YYYY, DD-MM-YYYY, DD.MM.YYYY.
  rest.remove_prefix(1);
  int year = 0;
  if (ReadNumber(rest, 4, &year) != 4 || rest.size() != 4) return std::nullopt;
  return ParsedBirth(year, b, a);
}

Gender ParseGender(std::string_view text) {
  text = TrimSpaces(text);
  if (text.size() > 16) return Gender::kUnknown;
  std::string lower(text);
  for (char& c : lower) c = ToLower(c);
  static constexpr std::array<std::string_view, 7> kFemale = {
      "f", "female", "fem", "femenino", "femenina", "mujer", "woman"};
  static constexpr std::array<std::string_view, 7> kMale = {"m",      "male", "masc", "masculino",
                                                            "hombre", "man",  "varon"};
  if (std::find(kFemale.begin(), kFemale.end(), lower) != kFemale.end()) return Gender::kFemale;
  if (std::find(kMale.begin(), kMale.end(), lower) != kMale.end()) return Gender::kMale;
  return Gender::kUnknown;
}

void AppendPadded(std::string& out, unsigned value, std::size_t width) {
  std::array<char, 8> digits{};
  for (std::size_t i = width; i > 0; --i) {
    digits[i - 1] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  out.append(digits.data(), width);
}

std::string EncodeBirth(const BirthDate& birth) {
  std::string out;
  if (!IsValidBirth(birth.year, birth.month, birth.day)) return out;
  AppendPadded(out, birth.year, 4);
  AppendPadded(out, birth.month, 2);
  AppendPadded(out, birth.day, 2);
  return out;
}

std::optional<BirthDate> DecodeBirth(std::string_view text) {
  if (text.empty()) return BirthDate{};
  int value = 0;
  if (text.size() != 8 || ReadNumber(text, 8, &value) != 8) return std::nullopt;
  return MakeBirth(value / 10000, value / 100 % 100, value % 100);
}

std::string_view EncodeGender(Gender gender) {
  switch (gender) {
    case Gender::kFemale: return "f";
    case Gender::kMale: return "m";
    case Gender::kUnknown: break;
  }
  return "";
}

}  // namespace

std::optional<PersonRecord> BuildPersonRecord(const PersonFields& fields) {
  PersonRecord record;
  BuildNames(fields, &record);
  Cut(record.given, kFieldCaps[kGivenField]);
  Cut(record.surname1, kFieldCaps[kSurname1Field]);
  Cut(record.surname2, kFieldCaps[kSurname2Field]);
  if (auto birth = ParseBirthday(fields.birthday); birth.has_value()) record.birth = *birth;
  if (record.given.empty() && record.surname1.empty() && record.surname2.empty() &&
      record.birth.empty()) {
    return std::nullopt;
  }
  record.street = CanonicalText(fields.street, kFieldCaps[kStreetField]);
  record.city = CanonicalText(fields.city, kFieldCaps[kCityField]);
  record.postal_code = CanonicalText(fields.postal_code, kFieldCaps[kPostalCodeField]);
  if (IsPhone(fields.phone)) record.phone = std::string(fields.phone);
  record.email = CanonicalEmail(fields.email);
  record.document = CanonicalDocument(fields.document);
  record.gender = ParseGender(fields.gender);
  return record;
}

std::string_view CanonicalGivenName(std::string_view token) {
  const auto it = std::lower_bound(kNicknames.begin(), kNicknames.end(), token,
                                   [](const std::pair<std::string_view, std::string_view>& entry,
                                      std::string_view key) { return entry.first < key; });
  if (it != kNicknames.end() && it->first == token) return it->second;
  return token;
}

std::string EncodePersonRecord(const PersonRecord& record) {
  std::string out;
  out.reserve(128);
  out += kEncodingVersion;
  // Fields already in canonical form (every record BuildPersonRecord gives) are copied as
  // they are; the others are made canonical first.
  auto text = [&out](std::string_view value, Field field) {
    out += kSeparator;
    if (IsCanonicalText(value, kFieldCaps[field])) {
      out += value;
    } else {
      out += CanonicalText(value, kFieldCaps[field]);
    }
  };
  text(record.given, kGivenField);
  text(record.surname1, kSurname1Field);
  text(record.surname2, kSurname2Field);
  out += kSeparator;
  out += EncodeBirth(record.birth);
  text(record.street, kStreetField);
  text(record.city, kCityField);
  text(record.postal_code, kPostalCodeField);
  out += kSeparator;
  if (IsPhone(record.phone)) out += record.phone;
  out += kSeparator;
  if (IsCanonicalEmail(record.email)) {
    out += record.email;
  } else {
    out += CanonicalEmail(record.email);
  }
  out += kSeparator;
  if (IsCanonicalDocument(record.document)) {
    out += record.document;
  } else {
    out += CanonicalDocument(record.document);
  }
  out += kSeparator;
  out += EncodeGender(record.gender);
  return out;
}

Result<PersonRecord> DecodePersonRecord(std::string_view value) {
  if (value.size() > kMaxIdentifierValueLength) {
    return CorruptionError("a person record is longer than an identifier value");
  }
  std::array<std::string_view, kFieldCount + 1> parts;  // the fields, and a tag
  std::size_t count = 0;
  std::size_t begin = 0;
  while (true) {
    const std::size_t end = value.find(kSeparator, begin);
    if (count == parts.size()) return CorruptionError("a person record has too many fields");
    parts[count++] = value.substr(begin, end == std::string_view::npos ? end : end - begin);
    if (end == std::string_view::npos) break;
    begin = end + 1;
  }
  if (count < kFieldCount) return CorruptionError("a person record has too few fields");
  if (count == kFieldCount + 1) {
    const std::string_view tag = parts[kFieldCount];
    const bool hex = tag.size() == kTagLength && std::all_of(tag.begin(), tag.end(), [](char c) {
                       return IsDigit(c) || (c >= 'a' && c <= 'f');
                     });
    if (!hex) return CorruptionError("a person record has a malformed tag");
  }
  if (parts[kVersionField] != kEncodingVersion) {
    return CorruptionError("a person record of an unknown version");
  }
  PersonRecord record;
  const std::array<std::pair<Field, std::string*>, 6> texts = {{
      {kGivenField, &record.given},
      {kSurname1Field, &record.surname1},
      {kSurname2Field, &record.surname2},
      {kStreetField, &record.street},
      {kCityField, &record.city},
      {kPostalCodeField, &record.postal_code},
  }};
  for (const auto& [field, target] : texts) {
    if (!IsCanonicalText(parts[field], kFieldCaps[field])) {
      return CorruptionError("a person record has a malformed text field");
    }
    *target = std::string(parts[field]);
  }
  const std::optional<BirthDate> birth = DecodeBirth(parts[kBirthField]);
  if (!birth.has_value()) return CorruptionError("a person record has a malformed birth date");
  record.birth = *birth;
  if (!parts[kPhoneField].empty() && !IsPhone(parts[kPhoneField])) {
    return CorruptionError("a person record has a malformed phone");
  }
  record.phone = std::string(parts[kPhoneField]);
  if (!IsCanonicalEmail(parts[kEmailField])) {
    return CorruptionError("a person record has a malformed email");
  }
  record.email = std::string(parts[kEmailField]);
  if (!IsCanonicalDocument(parts[kDocumentField])) {
    return CorruptionError("a person record has a malformed document");
  }
  record.document = std::string(parts[kDocumentField]);
  const std::string_view gender = parts[kGenderField];
  if (gender == "f") {
    record.gender = Gender::kFemale;
  } else if (gender == "m") {
    record.gender = Gender::kMale;
  } else if (!gender.empty()) {
    return CorruptionError("a person record has a malformed gender");
  }
  return record;
}

bool IsDistinctive(const PersonRecord& record) {
  const bool named = !record.given.empty() || !record.surname1.empty();
  return named && (!record.birth.empty() || !record.street.empty() || !record.phone.empty() ||
                   !record.email.empty() || !record.document.empty());
}

std::string EventRecordValue(const PersonRecord& record, std::string_view message_id) {
  std::string out = EncodePersonRecord(record);
  if (IsDistinctive(record)) return out;
  static constexpr char kHex[] = "0123456789abcdef";
  std::uint64_t hash = XXH3_64bits(message_id.data(), message_id.size());
  out += kSeparator;
  const std::size_t at = out.size();
  out.resize(at + kTagLength);
  for (std::size_t i = kTagLength; i-- > 0; hash >>= 4) out[at + i] = kHex[hash & 0xF];
  return out;
}

}  // namespace cdp
