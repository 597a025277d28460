#include "tools/gen.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "cdp/json_writer.h"
#include "cdp/time_format.h"
#include "tools/internal/progress.h"
#include "tools/internal/rng.h"
#include "tools/internal/spanish_names.h"

namespace cdp::tools {
namespace {

constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();
constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMsPerDay = 86'400'000;
constexpr char kDniLetters[] = "TRWAGMYFPDXBNJZSQVHLCKE";
constexpr std::string_view kMaria = "María ";

// Picks an index with probability proportional to its weight.
class WeightedPicker {
 public:
  void Add(double weight) { cumulative_.push_back(total_ += weight); }
  std::size_t Pick(Rng& rng) const {
    const double u = rng.Uniform() * total_;
    const auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), u);
    return std::min(static_cast<std::size_t>(it - cumulative_.begin()), cumulative_.size() - 1);
  }
  std::size_t size() const { return cumulative_.size(); }

 private:
  std::vector<double> cumulative_;
  double total_ = 0;
};

// Days since 1970-01-01 of a civil date, and back (H. Hinnant's algorithms).
std::int64_t DaysFromCivil(int y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = y - era * 400;
  const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<std::int64_t>(era) * 146097 + doe - 719468;
}

void CivilFromDays(std::int64_t z, int* y, int* m, int* d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<int>(z - era * 146097);
  const int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int>(yoe + era * 400) + (*m <= 2 ? 1 : 0);
}

// --- Text -------------------------------------------------------------------------------------

// The accented letters of Spanish (and a few neighbours) in UTF-8 are 0xC3 followed by one
// byte; this maps that byte to its base letter, or 0.
char BaseLetter(unsigned char second) {
  switch (second) {
    case 0xA0:
    case 0xA1:
    case 0xA4: return 'a';
    case 0x80:
    case 0x81:
    case 0x84: return 'A';
    case 0xA8:
    case 0xA9:
    case 0xAB: return 'e';
    case 0x88:
    case 0x89:
    case 0x8B: return 'E';
    case 0xAC:
    case 0xAD:
    case 0xAF: return 'i';
    case 0x8C:
    case 0x8D:
    case 0x8F: return 'I';
    case 0xB2:
    case 0xB3:
    case 0xB6: return 'o';
    case 0x92:
    case 0x93:
    case 0x96: return 'O';
    case 0xB9:
    case 0xBA:
    case 0xBC: return 'u';
    case 0x99:
    case 0x9A:
    case 0x9C: return 'U';
    case 0xA7: return 'c';
    case 0x87: return 'C';
    case 0xB1: return 'n';  // ñ
    case 0x91: return 'N';  // Ñ
    default: return 0;
  }
}

// Removes accents; 'ñ' stays when `keep_enye`.
std::string StripAccents(std::string_view s, bool keep_enye) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == 0xC3 && i + 1 < s.size()) {
      const auto next = static_cast<unsigned char>(s[i + 1]);
      const char base = BaseLetter(next);
      const bool enye = next == 0xB1 || next == 0x91;
      if (base != 0 && !(enye && keep_enye)) {
        out += base;
        ++i;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

// Upper- or lower-cases ASCII letters and the Latin-1 letters (0xC3 0x80..0xBE).
void ChangeCase(std::string& s, bool upper) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (upper && c >= 'a' && c <= 'z') s[i] = static_cast<char>(c - 32);
      if (!upper && c >= 'A' && c <= 'Z') s[i] = static_cast<char>(c + 32);
    } else if (c == 0xC3 && i + 1 < s.size()) {
      const auto n = static_cast<unsigned char>(s[i + 1]);
      if (upper && n >= 0xA0 && n <= 0xBE && n != 0xB7) s[i + 1] = static_cast<char>(n - 0x20);
      if (!upper && n >= 0x80 && n <= 0x9E && n != 0x97) s[i + 1] = static_cast<char>(n + 0x20);
      ++i;
    }
  }
}

// Letters next to each letter on a Spanish QWERTY keyboard.
std::string_view KeyNeighbours(char lower) {
  switch (lower) {
    case 'q': return "wa";
    case 'w': return "qes";
    case 'e': return "wrds";
    case 'r': return "etfd";
    case 't': return "rygf";
    case 'y': return "tuhg";
    case 'u': return "yijh";
    case 'i': return "uokj";
    case 'o': return "iplk";
    case 'p': return "ol";
    case 'a': return "qszw";
    case 's': return "awdzx";
    case 'd': return "sefxc";
    case 'f': return "drgcv";
    case 'g': return "fthvb";
    case 'h': return "gyjbn";
    case 'j': return "hukmn";
    case 'k': return "jilm";
    case 'l': return "kop";
    case 'z': return "asx";
    case 'x': return "zsdc";
    case 'c': return "xdfv";
    case 'v': return "cfgb";
    case 'b': return "vghn";
    case 'n': return "bhjm";
    case 'm': return "njk";
    default: return "";
  }
}

bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Applies one typo at an ASCII letter (multi-byte letters are left alone): a neighbouring key,
// a deleted letter, two letters swapped or a letter doubled. Returns false (and leaves `s`
// alone) when there is no room for one.
bool ApplyTypo(std::string& s, Rng& rng) {
  std::vector<std::size_t> letters;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (IsAsciiLetter(s[i])) letters.push_back(i);
  }
  if (letters.size() < 2) return false;
  for (int attempt = 0; attempt < 4; ++attempt) {
    const std::size_t at = letters[rng.Below(letters.size())];
    const int kind = static_cast<int>(rng.Below(100));
    if (kind < 40) {
      const char c = s[at];
      const bool upper = c >= 'A' && c <= 'Z';
      const std::string_view near = KeyNeighbours(upper ? static_cast<char>(c + 32) : c);
      if (near.empty()) continue;
      char replacement = near[rng.Below(near.size())];
      if (upper) replacement = static_cast<char>(replacement - 32);
      s[at] = replacement;
      return true;
    }
    if (kind < 65) {
      s.erase(at, 1);
      return true;
    }
    if (kind < 85) {
      if (at + 1 >= s.size() || !IsAsciiLetter(s[at + 1]) || s[at] == s[at + 1]) continue;
      std::swap(s[at], s[at + 1]);
      return true;
    }
    s.insert(at, 1, s[at]);
    return true;
  }
  s.erase(letters[0], 1);
  return true;
}

// Lower-case ASCII letters only ("María del Carmen" -> "mariadelcarmen"), for e-mail addresses.
std::string EmailPart(std::string_view text) {
  std::string folded = FoldName(text);
  std::string out;
  for (char c : folded) {
    if (c >= 'a' && c <= 'z') out += c;
  }
  return out;
}

std::string FirstWord(std::string_view text) {
  const std::size_t space = text.find(' ');
  return std::string(text.substr(0, space));
}

void AppendDigits(std::string& out, std::uint64_t value, int width) {
  char buffer[24];
  int n = 0;
  do {
    buffer[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value > 0 && n < 20);
  for (int i = n; i < width; ++i) out += '0';
  while (n > 0) out += buffer[--n];
}

char NationalIdLetter(std::uint64_t number) { return kDniLetters[number % 23]; }

// --- The population ---------------------------------------------------------------------------

struct Address {
  std::uint16_t type = 0;
  std::uint16_t street = 0;
  std::uint16_t number = 1;
  std::uint8_t floor = 0;  // 0: a house
  char door = 0;
  std::uint16_t city = 0;
  std::uint16_t postal_suffix = 0;
};

struct Household {
  Address address;
  std::string landline;  // nine digits or empty
  std::int64_t move_ms = kNever;
  Address moved_to;
  std::string moved_landline;
};

struct Person {
  std::uint32_t household = 0;
  std::uint32_t given = 0;  // index into the female or male table
  bool female = false;
  std::uint32_t surname1 = 0;
  std::uint32_t surname2 = kNone;
  std::int64_t birth_days = 0;
  std::string national_id;  // canonical, or empty
  std::string passport;     // foreigners, sometimes
  std::string mobile;       // nine digits or empty
  std::string email;
  std::string email2;
  std::int64_t email_change_ms = kNever;
  std::string user_id;
  std::string device;
  std::string device2;
  std::int64_t device_change_ms = kNever;
  std::int64_t own_move_ms = kNever;
  Address own_address;
};

struct Planned {
  std::int64_t time_ms;
  std::uint32_t person;
  std::uint32_t ordinal;
};

// How an event writes the surnames.
enum class SurnameForm { kSeparate, kJoined, kFirstOnly, kSwapped };

// Per-channel habits (probabilities); rows indexed by GenChannel.
struct ChannelProfile {
  double full_name;      // "name" instead of firstName/lastName
  double first_only;     // only the first surname
  double joined;         // both surnames in lastName (else apart)
  double strip_accents;  // the whole event without accents
  double upper;          // the whole event in capitals
  double lower;          // the whole event in lower case
  double birthday;
  double address;
  double phone;
  double email;
  double gender;
  double national_id;
};

// Identity verification as Spanish administrations run their channels: the web portal and the
// app log in through Cl@ve, which hands over the NIF most of the time; the call centre asks
// for the DNI/NIE (or the birth date) for anything personal, not always; offices and video
// attention see the document.
constexpr ChannelProfile kChannelProfiles[kGenChannels] = {
    // name  1st   join  strip upper lower bday  addr  phone email gender nid
    {0.15, 0.18, 0.50, 0.30, 0.05, 0.20, 0.20, 0.12, 0.20, 0.90, 0.10, 0.70},  // web
    {0.10, 0.28, 0.55, 0.30, 0.05, 0.20, 0.10, 0.05, 0.15, 0.80, 0.20, 0.50},  // app
    {0.50, 0.23, 0.70, 0.50, 0.10, 0.10, 0.50, 0.00, 0.90, 0.05, 0.00, 0.45},  // phone
    {0.00, 0.03, 0.35, 0.40, 0.40, 0.02, 0.90, 0.85, 0.40, 0.20, 0.50, 0.95},  // office
    {0.40, 0.08, 0.65, 0.30, 0.20, 0.10, 0.30, 0.00, 0.00, 0.80, 0.00, 0.90},  // video
};

std::string Base36(std::uint64_t value, int width) {
  static constexpr char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string out(static_cast<std::size_t>(width), '0');
  for (int i = width - 1; i >= 0 && value > 0; --i) {
    out[static_cast<std::size_t>(i)] = kDigits[value % 36];
    value /= 36;
  }
  return out;
}

std::string Uuid(Rng& rng) {
  static constexpr char kHex[] = "0123456789abcdef";
  const std::uint64_t a = rng.Next();
  const std::uint64_t b = rng.Next();
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 32; ++i) {
    const std::uint64_t word = i < 16 ? a : b;
    int nibble = static_cast<int>((word >> ((i % 16) * 4)) & 0xF);
    if (i == 12) nibble = 4;
    if (i == 16) nibble = 8 | (nibble & 3);
    if (i == 8 || i == 12 || i == 16 || i == 20) out += '-';
    out += kHex[nibble];
  }
  return out;
}

}  // namespace

std::string_view GenChannelName(GenChannel channel) {
  switch (channel) {
    case GenChannel::kWeb: return "web";
    case GenChannel::kApp: return "app";
    case GenChannel::kPhone: return "phone";
    case GenChannel::kOffice: return "office";
    case GenChannel::kVideo: return "video";
  }
  return "web";
}

std::string FoldName(std::string_view text) {
  std::string out = StripAccents(text, /*keep_enye=*/false);
  ChangeCase(out, /*upper=*/false);
  return out;
}

bool IsValidNationalId(std::string_view id) {
  if (id.size() != 9) return false;
  std::uint64_t number = 0;
  std::size_t i = 0;
  if (id[0] == 'X' || id[0] == 'Y' || id[0] == 'Z') {
    number = static_cast<std::uint64_t>(id[0] - 'X');
    i = 1;
  }
  for (; i < 8; ++i) {
    if (id[i] < '0' || id[i] > '9') return false;
    number = number * 10 + static_cast<std::uint64_t>(id[i] - '0');
  }
  return id[8] == NationalIdLetter(number);
}

std::vector<std::string_view> NicknamesOf(std::string_view given) {
  std::vector<std::string_view> out;
  for (const names::Nickname& n : names::Nicknames()) {
    if (n.given == given) out.push_back(n.nickname);
  }
  return out;
}

Status GenOptions::Validate() const {
  if (people == 0 || people > 100'000'000) {
    return InvalidArgumentError("--people must be in 1..100000000");
  }
  if (!(events_per_person_mean >= 1.0 && events_per_person_mean <= 50.0)) {
    return InvalidArgumentError("--events-per-person-mean must be in 1..50");
  }
  if (days < 1 || days > 36500) return InvalidArgumentError("--days must be in 1..36500");
  if (!ParseIso8601(start_date).ok()) {
    return InvalidArgumentError("--start-date must be a date YYYY-MM-DD");
  }
  for (char c : id_prefix) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return InvalidArgumentError("--id-prefix may hold only [A-Za-z0-9_-]");
  }
  if (id_prefix.size() > 40) return InvalidArgumentError("--id-prefix is too long");
  const double rates[] = {typo_rate,  nickname_rate,     national_id_typo_rate, namesake_rate,
                          mover_rate, email_change_rate, shared_email_rate};
  for (double r : rates) {
    if (!(r >= 0.0 && r <= 1.0)) return InvalidArgumentError("rates must be in 0..1");
  }
  double total = 0;
  for (double w : channel_weights) {
    if (!(w >= 0.0)) return InvalidArgumentError("channel weights must not be negative");
    total += w;
  }
  if (channel_weights[static_cast<std::size_t>(GenChannel::kOffice)] <= 0 || total <= 0) {
    return InvalidArgumentError("the office channel needs a positive weight");
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------

struct Generator::Rep {
  GenOptions options;
  std::string prefix;
  std::int64_t start_ms = 0;
  int start_year = 2024;

  std::vector<std::string> surnames;
  WeightedPicker surname_picker;
  WeightedPicker female_picker;
  WeightedPicker male_picker;
  WeightedPicker city_picker;
  WeightedPicker street_type_picker;
  WeightedPicker domain_picker;
  std::vector<std::vector<std::string_view>> female_nicknames;
  std::vector<std::vector<std::string_view>> male_nicknames;
  // For each city: its postal suffix base (capitals: 0, a range 001..099).
  std::vector<std::uint16_t> postal_base;

  std::vector<Household> households;
  std::vector<Person> people;
  std::vector<Planned> plan;
  std::unordered_set<std::string> emails;
  GenSummary summary;

  std::string_view Given(const Person& p) const {
    return p.female ? names::FemaleGivenNames()[p.given].value
                    : names::MaleGivenNames()[p.given].value;
  }
  const std::vector<std::string_view>& GivenNicknames(const Person& p) const {
    return p.female ? female_nicknames[p.given] : male_nicknames[p.given];
  }

  void BuildTables();
  Address RandomAddress(Rng& rng) const;
  std::string Landline(std::uint16_t city, Rng& rng) const;
  std::string NewEmail(const Person& p, Rng& rng);
  void BuildPopulation();
  void AddContacts(Person& p, std::int64_t person_index, Rng& rng);
  void CountNamesakes();
  void PlanEvents();
  void RenderEvent(std::size_t i, GeneratedEvent* out);
};

void Generator::Rep::BuildTables() {
  for (const names::Weighted& s : names::Surnames()) {
    surnames.emplace_back(s.value);
    surname_picker.Add(s.weight);
  }
  // The tail: rarer surnames, each weight falling like 1/rank below the last common one, all
  // of them together a third of the population (in the INE statistics the 200 most common
  // surnames cover about half of it; the rest is a very long tail of rarer ones).
  std::unordered_set<std::string> common(surnames.begin(), surnames.end());
  std::vector<std::string> tail;
  for (std::string_view name : names::RareSurnames()) {
    if (common.insert(std::string(name)).second) tail.emplace_back(name);
  }
  double common_total = 0;
  for (const names::Weighted& s : names::Surnames()) common_total += s.weight;
  double harmonic = 0;
  constexpr double kTailOffset = 30;
  for (std::size_t r = 1; r <= tail.size(); ++r) {
    harmonic += 1.0 / (static_cast<double>(r) + kTailOffset);
  }
  for (std::size_t r = 1; r <= tail.size(); ++r) {
    surnames.push_back(std::move(tail[r - 1]));
    surname_picker.Add(0.5 * common_total / harmonic / (static_cast<double>(r) + kTailOffset));
  }
  for (const names::Weighted& n : names::FemaleGivenNames()) {
    female_picker.Add(n.weight);
    female_nicknames.push_back(NicknamesOf(n.value));
  }
  for (const names::Weighted& n : names::MaleGivenNames()) {
    male_picker.Add(n.weight);
    male_nicknames.push_back(NicknamesOf(n.value));
  }
  std::unordered_set<std::string_view> seen_prefixes;
  for (const names::City& c : names::Cities()) {
    city_picker.Add(c.weight);
    // The first city of a province is its capital (postal codes 001..080); the others get a
    // block of ten codes of their own.
    const bool capital = seen_prefixes.insert(c.postal_prefix).second;
    postal_base.push_back(
        capital ? 0 : static_cast<std::uint16_t>(100 + 10 * (SplitMix(Fnv1a(c.name)) % 80)));
  }
  for (const names::StreetType& t : names::StreetTypes()) street_type_picker.Add(t.weight);
  for (const names::Weighted& d : names::EmailDomains()) domain_picker.Add(d.weight);
}

Address Generator::Rep::RandomAddress(Rng& rng) const {
  Address a;
  a.type = static_cast<std::uint16_t>(street_type_picker.Pick(rng));
  a.street = static_cast<std::uint16_t>(rng.Below(names::StreetNames().size()));
  a.number = static_cast<std::uint16_t>(1 + (rng.Chance(0.7) ? rng.Below(60) : rng.Below(250)));
  if (rng.Chance(0.7)) {
    a.floor = static_cast<std::uint8_t>(1 + rng.Below(9));
    a.door = static_cast<char>('A' + rng.Below(4));
  }
  a.city = static_cast<std::uint16_t>(city_picker.Pick(rng));
  const std::uint16_t base = postal_base[a.city];
  a.postal_suffix =
      static_cast<std::uint16_t>(base == 0 ? 1 + rng.Below(80) : base + rng.Below(10));
  return a;
}

std::string Generator::Rep::Landline(std::uint16_t city, Rng& rng) const {
  std::string out(names::Cities()[city].landline_prefix);
  while (out.size() < 9) out += static_cast<char>('0' + rng.Below(10));
  if (out[2] == '0') out[2] = '2';  // subscriber numbers do not start with 0
  return out;
}

std::string Generator::Rep::NewEmail(const Person& p, Rng& rng) {
  const std::string given = EmailPart(FirstWord(Given(p)));
  const std::string s1 = EmailPart(surnames[p.surname1]);
  const std::string s2 = p.surname2 == kNone ? "" : EmailPart(surnames[p.surname2]);
  int year = 0;
  int month = 0;
  int day = 0;
  CivilFromDays(p.birth_days, &year, &month, &day);
  std::string local;
  switch (rng.Below(9)) {
    case 0: local = given + "." + s1; break;
    case 1: local = given + s1; break;
    case 2: local = given + "_" + s1; break;
    case 3: local = given.substr(0, 1) + s1 + s2.substr(0, 1); break;
    case 4:
      local = given + "." + s1;
      AppendDigits(local, static_cast<std::uint64_t>(year % 100), 2);
      break;
    case 5: local = given + s1 + s2; break;
    case 6: local = s2.empty() ? given + "." + s1 : given + "." + s1 + "." + s2; break;
    case 7: {
      const auto& nicks = GivenNicknames(p);
      local = (nicks.empty() ? given : EmailPart(nicks[rng.Below(nicks.size())])) + s1;
      break;
    }
    default:
      local = s1 + given;
      AppendDigits(local, 1 + rng.Below(999), 0);
      break;
  }
  const std::string_view domain = names::EmailDomains()[domain_picker.Pick(rng)].value;
  std::string email = local + "@" + std::string(domain);
  while (!emails.insert(email).second) {
    email = local;
    AppendDigits(email, rng.Below(10'000), 0);
    email += "@";
    email += domain;
  }
  return email;
}

void Generator::Rep::AddContacts(Person& p, std::int64_t person_index, Rng& rng) {
  const std::int64_t age_days = start_ms / kMsPerDay - p.birth_days;
  const bool adult = age_days >= 18 * 365;
  const bool teen = !adult && age_days >= 14 * 365;
  const std::int64_t span_ms = static_cast<std::int64_t>(options.days) * kMsPerDay;
  if ((adult && rng.Chance(0.92)) || (teen && rng.Chance(0.7))) {
    p.mobile = (rng.Chance(0.85) ? "6" : "7");
    if (p.mobile[0] == '7') p.mobile += static_cast<char>('1' + rng.Below(4));
    while (p.mobile.size() < 9) p.mobile += static_cast<char>('0' + rng.Below(10));
  }
  if ((adult && rng.Chance(0.85)) || (teen && rng.Chance(0.5))) {
    p.email = NewEmail(p, rng);
    if (rng.Chance(options.email_change_rate)) {
      p.email2 = NewEmail(p, rng);
      p.email_change_ms =
          start_ms + static_cast<std::int64_t>(rng.Uniform() * static_cast<double>(span_ms));
      ++summary.email_changes;
    }
    if (adult && rng.Chance(0.6)) {
      // A bijection of the person index: unique without a lookup.
      const std::uint64_t scrambled =
          (static_cast<std::uint64_t>(person_index) * 0x9E3779B97Full + SplitMix(options.seed)) &
          ((1ull << 40) - 1);
      p.user_id = "portal-" + Base36(scrambled, 8);
    }
  }
  if (!p.mobile.empty() && rng.Chance(0.55)) {
    p.device = Uuid(rng);
    if (rng.Chance(0.15)) {
      p.device2 = Uuid(rng);
      p.device_change_ms =
          start_ms + static_cast<std::int64_t>(rng.Uniform() * static_cast<double>(span_ms));
    }
  }
}

void Generator::Rep::BuildPopulation() {
  Rng rng(MixSeed(options.seed, 0x504F50));  // "POP"
  const std::int64_t span_ms = static_cast<std::int64_t>(options.days) * kMsPerDay;
  const std::int64_t start_day = start_ms / kMsPerDay;
  std::uint64_t dni_counter = 0;
  std::uint64_t nie_counter = 0;
  const std::uint64_t dni_offset = SplitMix(options.seed) % 100'000'000;
  const std::uint64_t nie_offset = SplitMix(options.seed + 1) % 10'000'000;
  const auto birth_in_year = [&](int year) { return DaysFromCivil(year, 1, 1) + rng.Below(365); };
  const auto year_of = [](std::int64_t days) {
    int y = 0;
    int m = 0;
    int d = 0;
    CivilFromDays(days, &y, &m, &d);
    return y;
  };
  const auto pick_given = [&](bool female) {
    return static_cast<std::uint32_t>(female ? female_picker.Pick(rng) : male_picker.Pick(rng));
  };
  const auto pick_surname = [&]() { return static_cast<std::uint32_t>(surname_picker.Pick(rng)); };

  people.reserve(options.people);
  while (people.size() < options.people) {
    const auto household_index = static_cast<std::uint32_t>(households.size());
    Household h;
    h.address = RandomAddress(rng);
    const int size_draw = static_cast<int>(rng.Below(100));
    std::size_t size = size_draw < 25   ? 1
                       : size_draw < 55 ? 2
                       : size_draw < 75 ? 3
                       : size_draw < 93 ? 4
                                        : 5;
    size = std::min<std::size_t>(size, options.people - people.size());
    if (rng.Chance(size == 1 ? 0.35 : 0.6)) h.landline = Landline(h.address.city, rng);
    const bool foreign = rng.Chance(0.10);
    const bool household_moves = rng.Chance(options.mover_rate / 2);
    if (household_moves) {
      h.move_ms =
          start_ms + static_cast<std::int64_t>(rng.Uniform() * static_cast<double>(span_ms));
      h.moved_to = RandomAddress(rng);
      if (!h.landline.empty() && rng.Chance(0.7)) h.moved_landline = Landline(h.moved_to.city, rng);
    }

    // The first adult, a partner, and children with the father's and mother's first surnames.
    const bool couple = size >= 3 || (size == 2 && rng.Chance(0.7));
    const std::size_t adults = couple ? 2 : 1;
    const int first_year = rng.Between(start_year - 88, start_year - 20);
    std::size_t first_member = people.size();
    for (std::size_t m = 0; m < size; ++m) {
      Person p;
      p.household = household_index;
      if (m < adults) {
        p.female = m == 0 ? rng.Chance(0.5) : !people[first_member].female;
        if (m == 1 && rng.Chance(0.03)) p.female = people[first_member].female;
        p.given = pick_given(p.female);
        p.surname1 = pick_surname();
        p.surname2 = foreign && rng.Chance(0.4) ? kNone : pick_surname();
        const int year =
            m == 0 ? first_year
                   : std::clamp(first_year + rng.Between(-6, 6), start_year - 90, start_year - 18);
        p.birth_days = birth_in_year(year);
        // A namesake of an earlier person of the same sex.
        if (!people.empty() && rng.Chance(options.namesake_rate)) {
          for (int attempt = 0; attempt < 10; ++attempt) {
            const Person& other = people[rng.Below(people.size())];
            if (other.female != p.female) continue;
            p.given = other.given;
            p.surname1 = other.surname1;
            p.surname2 = other.surname2;
            if (rng.Chance(0.3)) {
              p.birth_days = birth_in_year(year_of(other.birth_days));
            }
            break;
          }
        }
      } else {
        p.female = rng.Chance(0.5);
        p.given = pick_given(p.female);
        const Person& a = people[first_member];
        if (adults == 2) {
          const Person& b = people[first_member + 1];
          const Person& father = a.female ? b : a;
          const Person& mother = a.female ? a : b;
          const bool mother_first = rng.Chance(0.05);
          p.surname1 = mother_first ? mother.surname1 : father.surname1;
          p.surname2 = mother_first ? father.surname1 : mother.surname1;
        } else {
          p.surname1 = a.surname1;
          p.surname2 = pick_surname();
        }
        if (foreign && p.surname2 != kNone && rng.Chance(0.3)) p.surname2 = kNone;
        // Born 18 to 42 years after the first adult, and before the first event.
        const int parent_year = year_of(people[first_member].birth_days);
        int year = parent_year + rng.Between(18, 42);
        if (year >= start_year)
          year = rng.Between(std::min(parent_year + 18, start_year - 1), start_year - 1);
        p.birth_days = birth_in_year(year);
        if (m > adults && rng.Chance(0.02)) {
          // A twin of the previous child: same surnames and birth date, another given name.
          p.birth_days = people.back().birth_days;
          ++summary.twins;
        }
      }
      const std::int64_t age_days = start_day - p.birth_days;
      const bool has_id = age_days >= 14 * 365 ? rng.Chance(0.98) : rng.Chance(0.4);
      if (has_id) {
        if (foreign) {
          const std::uint64_t n = (nie_counter++ * 7'654'321 + nie_offset) % 10'000'000;
          const int which = static_cast<int>(rng.Below(3));
          p.national_id = std::string(1, static_cast<char>('X' + which));
          AppendDigits(p.national_id, n, 7);
          p.national_id += NationalIdLetter(static_cast<std::uint64_t>(which) * 10'000'000 + n);
        } else {
          const std::uint64_t n = (dni_counter++ * 48'271'723 + dni_offset) % 100'000'000;
          AppendDigits(p.national_id, n, 8);
          p.national_id += NationalIdLetter(n);
        }
      } else {
        ++summary.without_national_id;
      }
      if (foreign) {
        ++summary.foreigners;
        if (rng.Chance(0.4)) {
          p.passport = std::string(1, static_cast<char>('A' + rng.Below(26)));
          p.passport += static_cast<char>('A' + rng.Below(26));
          AppendDigits(p.passport, rng.Below(10'000'000), 7);
        }
      }
      AddContacts(p, static_cast<std::int64_t>(people.size()), rng);
      if (m == 1 && adults == 2 && p.email.empty() == false &&
          !people[first_member].email.empty() && rng.Chance(options.shared_email_rate)) {
        // The second adult uses the first one's address (and gives up their own).
        emails.erase(p.email);
        p.email = people[first_member].email;
        p.email2.clear();
        p.email_change_ms = kNever;
        ++summary.shared_emails;
      }
      if (!household_moves && size > 1 && age_days >= 18 * 365 &&
          rng.Chance(options.mover_rate / 2)) {
        p.own_move_ms =
            start_ms + static_cast<std::int64_t>(rng.Uniform() * static_cast<double>(span_ms));
        p.own_address = RandomAddress(rng);
        ++summary.movers;
      }
      if (household_moves) ++summary.movers;
      people.push_back(std::move(p));
    }
    households.push_back(std::move(h));
  }
  summary.people = people.size();
  summary.households = households.size();
}

void Generator::Rep::CountNamesakes() {
  std::unordered_map<std::uint64_t, std::uint32_t> by_name;
  std::unordered_map<std::uint64_t, std::uint32_t> by_name_year;
  const auto keys = [](const Person& p, int year) {
    const std::uint64_t name =
        MixSeed(MixSeed(p.female ? 1 : 2, p.given), MixSeed(p.surname1, p.surname2));
    return std::pair<std::uint64_t, std::uint64_t>(name,
                                                   MixSeed(name, static_cast<std::uint64_t>(year)));
  };
  std::vector<std::pair<std::uint64_t, std::uint64_t>> all;
  all.reserve(people.size());
  for (const Person& p : people) {
    int y = 0;
    int m = 0;
    int d = 0;
    CivilFromDays(p.birth_days, &y, &m, &d);
    all.push_back(keys(p, y));
    ++by_name[all.back().first];
    ++by_name_year[all.back().second];
  }
  for (const auto& [name, name_year] : all) {
    if (by_name[name] > 1) ++summary.namesakes;
    if (by_name_year[name_year] > 1) ++summary.namesakes_same_year;
  }
}

void Generator::Rep::PlanEvents() {
  Rng rng(MixSeed(options.seed, 0x504C414E));  // "PLAN"
  const double extra = options.events_per_person_mean - 1.0;
  const double limit = std::exp(-extra);
  const std::int64_t span_ms = static_cast<std::int64_t>(options.days) * kMsPerDay;
  plan.reserve(static_cast<std::size_t>(static_cast<double>(people.size()) *
                                        options.events_per_person_mean * 1.05));
  for (std::uint32_t p = 0; p < people.size(); ++p) {
    // 1 + Poisson(mean - 1) (Knuth's method; the mean is small).
    std::uint32_t count = 1;
    double product = rng.Uniform();
    while (product > limit && count < 100) {
      ++count;
      product *= rng.Uniform();
    }
    for (std::uint32_t k = 0; k < count; ++k) {
      const auto offset = static_cast<std::int64_t>(rng.Uniform() * static_cast<double>(span_ms));
      plan.push_back(Planned{start_ms + offset, p, k});
    }
  }
  std::sort(plan.begin(), plan.end(), [](const Planned& a, const Planned& b) {
    if (a.time_ms != b.time_ms) return a.time_ms < b.time_ms;
    if (a.person != b.person) return a.person < b.person;
    return a.ordinal < b.ordinal;
  });
}

// --- Rendering one event ----------------------------------------------------------------------

namespace {

// Appends `"key":"value"` with a comma when needed.
class ObjectWriter {
 public:
  explicit ObjectWriter(std::string& out) : out_(out) {}
  void Field(std::string_view key, std::string_view value) {
    Key(key);
    AppendJsonString(out_, value);
  }
  void Key(std::string_view key) {
    if (!first_) out_ += ',';
    first_ = false;
    AppendJsonString(out_, key);
    out_ += ':';
  }

 private:
  std::string& out_;
  bool first_ = true;
};

std::string FormatPhone(std::string_view digits, Rng& rng) {
  std::string out;
  switch (rng.Below(6)) {
    case 0:
    case 1: return std::string(digits);
    case 2:
      out = std::string(digits.substr(0, 3)) + " " + std::string(digits.substr(3, 3)) + " " +
            std::string(digits.substr(6));
      return out;
    case 3: return "+34" + std::string(digits);
    case 4:
      out = "+34 " + std::string(digits.substr(0, 3)) + " " + std::string(digits.substr(3, 2)) +
            " " + std::string(digits.substr(5, 2)) + " " + std::string(digits.substr(7));
      return out;
    default: return "0034" + std::string(digits);
  }
}

std::string FormatNationalId(const std::string& id, Rng& rng) {
  const int style = static_cast<int>(rng.Below(100));
  if (style < 70) return id;
  std::string digits = id.substr(0, 8);
  std::string letter = id.substr(8);
  if (style < 80) return digits + "-" + letter;
  if (style < 88) {
    std::string lower = id;
    lower[8] = static_cast<char>(lower[8] - 'A' + 'a');
    return lower;
  }
  if (style < 94) return digits + " " + letter;
  if (id[0] >= '0' && id[0] <= '9') {
    return digits.substr(0, 2) + "." + digits.substr(2, 3) + "." + digits.substr(5) + "-" + letter;
  }
  return id;
}

// Changes one digit so that the check letter no longer fits.
std::string NationalIdTypo(const std::string& id, Rng& rng) {
  std::string out = id;
  const std::size_t first_digit = (out[0] >= '0' && out[0] <= '9') ? 0 : 1;
  for (int attempt = 0; attempt < 20; ++attempt) {
    out = id;
    if (rng.Chance(0.3)) {
      const std::size_t at = first_digit + rng.Below(7 - first_digit);
      std::swap(out[at], out[at + 1]);
    } else {
      const std::size_t at = first_digit + rng.Below(8 - first_digit);
      out[at] = static_cast<char>('0' + (out[at] - '0' + 1 + static_cast<int>(rng.Below(9))) % 10);
    }
    if (!IsValidNationalId(out)) return out;
  }
  // A wrong check letter: the next one in the table.
  out = id;
  const char* letter = std::strchr(kDniLetters, id[8]);
  out[8] = letter != nullptr && letter[1] != '\0' ? letter[1] : kDniLetters[0];
  return out;
}

}  // namespace

void Generator::Rep::RenderEvent(std::size_t i, GeneratedEvent* out) {
  const Planned& planned = plan[i];
  const Person& p = people[planned.person];
  const Household& h = households[p.household];
  Rng rng(MixSeed(MixSeed(options.seed, 0x4556), MixSeed(planned.person, planned.ordinal)));
  const std::int64_t t = planned.time_ms;
  const std::int64_t age_days = t / kMsPerDay - p.birth_days;

  // The channel: drawn by weight among those this person can use at this time.
  const std::string_view device =
      !p.device2.empty() && t >= p.device_change_ms ? p.device2 : p.device;
  const bool moved_alone = t >= p.own_move_ms;
  const bool household_moved = !moved_alone && t >= h.move_ms;
  const std::string_view landline = moved_alone       ? std::string_view()
                                    : household_moved ? h.moved_landline
                                                      : h.landline;
  std::array<double, kGenChannels> weights = options.channel_weights;
  if (p.user_id.empty()) weights[0] = 0;
  if (device.empty()) weights[1] = 0;
  if (p.mobile.empty() && landline.empty()) weights[2] = 0;
  if (age_days < 14 * 365) weights[4] = 0;
  double total = 0;
  for (double w : weights) total += w;
  double u = rng.Uniform() * total;
  std::size_t c = static_cast<std::size_t>(GenChannel::kOffice);
  for (std::size_t k = 0; k < kGenChannels; ++k) {
    if (weights[k] <= 0) continue;
    if (u < weights[k]) {
      c = k;
      break;
    }
    u -= weights[k];
  }
  const auto channel = static_cast<GenChannel>(c);
  const ChannelProfile& cp = kChannelProfiles[c];
  const double typo_rate = options.typo_rate * (channel == GenChannel::kPhone ? 2.0 : 1.0);
  const bool strip = rng.Chance(cp.strip_accents);
  const bool keep_enye = rng.Chance(0.5);
  const double case_draw = rng.Uniform();
  const int casing = case_draw < cp.upper ? 1 : case_draw < cp.upper + cp.lower ? 2 : 0;
  // Styles a name or street value for this event, with an occasional typo.
  const auto style = [&](std::string_view value, bool may_typo) {
    std::string s = strip ? StripAccents(value, keep_enye) : std::string(value);
    if (casing == 1) ChangeCase(s, true);
    if (casing == 2) ChangeCase(s, false);
    if (may_typo && rng.Chance(typo_rate) && ApplyTypo(s, rng)) ++summary.typos;
    return s;
  };

  // Names.
  std::string given(Given(p));
  const bool informal =
      channel == GenChannel::kWeb || channel == GenChannel::kApp || channel == GenChannel::kPhone;
  const auto& nicks = GivenNicknames(p);
  if (informal && !nicks.empty() && rng.Chance(options.nickname_rate)) {
    given = std::string(nicks[rng.Below(nicks.size())]);
    ++summary.nickname_events;
  } else if (given.starts_with(kMaria) && rng.Chance(0.06)) {
    given.replace(0, kMaria.size(), rng.Chance(0.5) ? "Mª " : "M. ");
  } else if (rng.Chance(0.1)) {
    for (std::string_view particle : {" de los ", " de la ", " del "}) {
      const std::size_t at = given.find(particle);
      if (at != std::string::npos) {
        given.replace(at, particle.size(), " ");
        break;
      }
    }
  }
  const std::string_view s1 = surnames[p.surname1];
  const std::string_view s2 = p.surname2 == kNone ? std::string_view() : surnames[p.surname2];
  SurnameForm form = SurnameForm::kSeparate;
  if (s2.empty() || rng.Chance(cp.first_only)) {
    form = SurnameForm::kFirstOnly;
  } else if (rng.Chance(0.02)) {
    form = SurnameForm::kSwapped;
  } else if (rng.Chance(cp.joined)) {
    form = SurnameForm::kJoined;
  }

  // The message.
  std::string& json = out->json;
  json.clear();
  out->anonymous_id = prefix + "-e" + std::to_string(i);
  out->person_id = planned.person;
  out->channel = channel;
  json += "{\"type\":\"identify\",\"messageId\":";
  AppendJsonString(json, prefix + "-m" + std::to_string(i));
  json += ",\"anonymousId\":";
  AppendJsonString(json, out->anonymous_id);
  json += ",\"timestamp\":";
  AppendJsonString(json, FormatIso8601(Timestamp(std::chrono::milliseconds(t))));
  // The app logs in with the portal account most of the time.
  if (channel == GenChannel::kWeb ||
      (channel == GenChannel::kApp && !p.user_id.empty() && rng.Chance(0.85))) {
    json += ",\"userId\":";
    AppendJsonString(json, p.user_id);
  }
  json += ",\"context\":{\"channel\":";
  AppendJsonString(json, GenChannelName(channel));
  if (channel == GenChannel::kApp) {
    json += ",\"device\":{\"id\":";
    AppendJsonString(json, device);
    json += '}';
  }
  json += "},\"traits\":{";
  ObjectWriter traits(json);

  const double names_chance = channel == GenChannel::kApp   ? 0.5
                              : channel == GenChannel::kWeb ? 0.75
                                                            : 1.0;
  const bool with_names = rng.Chance(names_chance);
  if (with_names) {
    std::string surname_text;
    switch (form) {
      case SurnameForm::kSeparate:
      case SurnameForm::kJoined: surname_text = std::string(s1) + " " + std::string(s2); break;
      case SurnameForm::kFirstOnly: surname_text = std::string(s1); break;
      case SurnameForm::kSwapped: surname_text = std::string(s2) + " " + std::string(s1); break;
    }
    if (rng.Chance(cp.full_name)) {
      traits.Field("name", style(given + " " + surname_text, true));
    } else {
      traits.Field("firstName", style(given, true));
      const bool given_only = channel == GenChannel::kApp && rng.Chance(0.4);
      if (!given_only) {
        if (form == SurnameForm::kSeparate) {
          traits.Field("lastName", style(s1, true));
          traits.Field("secondLastName", style(s2, true));
        } else {
          traits.Field("lastName", style(surname_text, true));
        }
      }
    }
  }
  if (rng.Chance(cp.birthday)) {
    int y = 0;
    int m = 0;
    int d = 0;
    CivilFromDays(p.birth_days, &y, &m, &d);
    if (rng.Chance(typo_rate / 2)) {
      ++summary.typos;
      const int kind = static_cast<int>(rng.Below(3));
      if (kind == 0 && d <= 12 && d != m) {
        std::swap(d, m);
      } else if (kind == 1) {
        y += rng.Chance(0.5) ? 1 : -1;
      } else {
        d = d >= 28 ? d - 1 : d + 1;
      }
    }
    std::string date;
    AppendDigits(date, static_cast<std::uint64_t>(y), 4);
    date += '-';
    AppendDigits(date, static_cast<std::uint64_t>(m), 2);
    date += '-';
    AppendDigits(date, static_cast<std::uint64_t>(d), 2);
    traits.Field("birthday", date);
  }
  if (rng.Chance(cp.address)) {
    const Address& a = moved_alone ? p.own_address : household_moved ? h.moved_to : h.address;
    const names::City& city = names::Cities()[a.city];
    const names::StreetType& type = names::StreetTypes()[a.type];
    std::string street = std::string(rng.Chance(0.35) ? type.abbreviation : type.full) + " " +
                         std::string(names::StreetNames()[a.street]);
    street += rng.Chance(0.2) ? ", nº " : rng.Chance(0.5) ? ", " : " ";
    street += std::to_string(a.number);
    if (a.floor != 0 && rng.Chance(0.6)) {
      street += ", " + std::to_string(a.floor) + "º " + std::string(1, a.door);
    }
    std::string postal(city.postal_prefix);
    AppendDigits(postal, a.postal_suffix, 3);
    traits.Key("address");
    json += '{';
    ObjectWriter address(json);
    const bool web_like = channel != GenChannel::kOffice;
    if (!web_like || rng.Chance(0.6)) address.Field("street", style(street, true));
    if (rng.Chance(0.95)) address.Field("city", style(city.name, false));
    if (rng.Chance(web_like ? 0.9 : 0.8)) address.Field("postalCode", postal);
    json += '}';
  }
  if (rng.Chance(cp.phone)) {
    const bool use_landline =
        !landline.empty() &&
        (p.mobile.empty() || rng.Chance(channel == GenChannel::kPhone ? 0.25 : 0.1));
    const std::string_view number = use_landline ? landline : std::string_view(p.mobile);
    if (!number.empty()) traits.Field("phone", FormatPhone(number, rng));
  }
  if (rng.Chance(cp.email)) {
    std::string email = !p.email2.empty() && t >= p.email_change_ms ? p.email2 : p.email;
    if (!email.empty()) {
      if (email[0] >= 'a' && email[0] <= 'z' && rng.Chance(0.05)) {
        email[0] = static_cast<char>(email[0] - 'a' + 'A');
      }
      traits.Field("email", email);
    }
  }
  if (!p.national_id.empty() && rng.Chance(cp.national_id)) {
    std::string id = FormatNationalId(p.national_id, rng);
    const double typo = options.national_id_typo_rate * (channel == GenChannel::kVideo ? 0.5 : 1.0);
    if (rng.Chance(typo)) {
      id = NationalIdTypo(p.national_id, rng);
      ++summary.typos;
    }
    traits.Field("nationalId", id);
  }
  if (!p.passport.empty() && (channel == GenChannel::kVideo || channel == GenChannel::kOffice) &&
      rng.Chance(0.3)) {
    traits.Field("documentId", p.passport);
  }
  if (rng.Chance(cp.gender)) traits.Field("gender", p.female ? "female" : "male");
  json += "}}";

  ++summary.events;
  ++summary.per_channel[c];
}

// ---------------------------------------------------------------------------------------------

Generator::Generator(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}
Generator::~Generator() = default;

Result<std::unique_ptr<Generator>> Generator::Create(const GenOptions& options) {
  CDP_RETURN_IF_ERROR(options.Validate());
  auto rep = std::make_unique<Rep>();
  rep->options = options;
  rep->prefix = options.id_prefix.empty()
                    ? "g" + std::to_string(options.seed) + "n" + std::to_string(options.people)
                    : options.id_prefix;
  auto start = ParseIso8601(options.start_date);
  if (!start.ok()) return start.status();
  rep->start_ms = start->time_since_epoch().count();
  {
    int y = 0;
    int m = 0;
    int d = 0;
    CivilFromDays(rep->start_ms / kMsPerDay, &y, &m, &d);
    rep->start_year = y;
  }
  rep->BuildTables();
  rep->BuildPopulation();
  rep->CountNamesakes();
  rep->PlanEvents();
  return std::unique_ptr<Generator>(new Generator(std::move(rep)));
}

std::size_t Generator::event_count() const { return rep_->plan.size(); }
std::size_t Generator::person_count() const { return rep_->people.size(); }
void Generator::Render(std::size_t i, GeneratedEvent* out) { rep_->RenderEvent(i, out); }
const GenSummary& Generator::summary() const { return rep_->summary; }

GenPerson Generator::person(std::size_t index) const {
  const Person& p = rep_->people[index];
  GenPerson out;
  out.given = rep_->Given(p);
  out.surname1 = rep_->surnames[p.surname1];
  if (p.surname2 != kNone) out.surname2 = rep_->surnames[p.surname2];
  out.national_id = p.national_id;
  out.female = p.female;
  int m = 0;
  int d = 0;
  CivilFromDays(p.birth_days, &out.birth_year, &m, &d);
  out.household = p.household;
  return out;
}

int RunGen(const GenRunOptions& options) {
  const Status valid = options.gen.Validate();
  if (!valid.ok()) {
    std::fprintf(stderr, "cdp gen: %s\n", std::string(valid.message()).c_str());
    return 2;
  }
  if (options.events_path.empty() || options.truth_path.empty()) {
    std::fprintf(stderr, "cdp gen: --out and --truth are required\n");
    return 2;
  }
  const auto start = std::chrono::steady_clock::now();
  auto generator = Generator::Create(options.gen);
  if (!generator.ok()) {
    std::fprintf(stderr, "cdp gen: %s\n", generator.status().ToString().c_str());
    return 2;
  }
  Generator& gen = **generator;
  std::FILE* events = std::fopen(options.events_path.c_str(), "wb");
  std::FILE* truth = events ? std::fopen(options.truth_path.c_str(), "wb") : nullptr;
  if (events == nullptr || truth == nullptr) {
    std::fprintf(stderr, "cdp gen: cannot create %s\n",
                 events == nullptr ? options.events_path.c_str() : options.truth_path.c_str());
    if (events != nullptr) std::fclose(events);
    return 1;
  }
  std::vector<char> events_buffer(1 << 20);
  std::vector<char> truth_buffer(1 << 18);
  std::setvbuf(events, events_buffer.data(), _IOFBF, events_buffer.size());
  std::setvbuf(truth, truth_buffer.data(), _IOFBF, truth_buffer.size());
  std::fputs("anonymous_id,person_id\n", truth);
  ProgressBar progress(options.progress, "gen", "events", gen.event_count());
  GeneratedEvent event;
  std::string line;
  for (std::size_t i = 0; i < gen.event_count(); ++i) {
    gen.Render(i, &event);
    event.json += '\n';
    std::fwrite(event.json.data(), 1, event.json.size(), events);
    line = event.anonymous_id;
    line += ',';
    line += std::to_string(event.person_id);
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), truth);
    if ((i & 1023) == 0) progress.Update(i);
  }
  progress.Update(gen.event_count(), /*force=*/true);
  progress.Finish();
  const bool write_error = std::ferror(events) != 0 || std::ferror(truth) != 0;
  const bool events_closed = std::fclose(events) == 0;
  const bool truth_closed = std::fclose(truth) == 0;
  const bool close_error = !events_closed || !truth_closed;
  if (write_error || close_error) {
    std::fprintf(stderr, "cdp gen: writing the output failed\n");
    return 1;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const GenSummary& s = gen.summary();
  const double rate = seconds > 0 ? static_cast<double>(s.events) / seconds : 0.0;
  std::printf("cdp gen: %llu people in %llu households, %llu events in %.2f s (%.0f events/s)\n",
              static_cast<unsigned long long>(s.people),
              static_cast<unsigned long long>(s.households),
              static_cast<unsigned long long>(s.events), seconds, rate);
  std::printf("  channels:");
  for (std::size_t c = 0; c < kGenChannels; ++c) {
    std::printf(" %s %llu", std::string(GenChannelName(static_cast<GenChannel>(c))).c_str(),
                static_cast<unsigned long long>(s.per_channel[c]));
  }
  std::printf(
      "\n  namesakes: %llu people (%llu also sharing the birth year); foreigners (NIE): "
      "%llu; without DNI/NIE: %llu\n",
      static_cast<unsigned long long>(s.namesakes),
      static_cast<unsigned long long>(s.namesakes_same_year),
      static_cast<unsigned long long>(s.foreigners),
      static_cast<unsigned long long>(s.without_national_id));
  std::printf(
      "  twins: %llu; movers: %llu; e-mail changes: %llu; shared e-mails: %llu; nickname events: "
      "%llu; typos: %llu\n",
      static_cast<unsigned long long>(s.twins), static_cast<unsigned long long>(s.movers),
      static_cast<unsigned long long>(s.email_changes),
      static_cast<unsigned long long>(s.shared_emails),
      static_cast<unsigned long long>(s.nickname_events), static_cast<unsigned long long>(s.typos));
  std::printf(
      "gen: people=%llu households=%llu events=%llu", static_cast<unsigned long long>(s.people),
      static_cast<unsigned long long>(s.households), static_cast<unsigned long long>(s.events));
  for (std::size_t c = 0; c < kGenChannels; ++c) {
    std::printf(" %s=%llu", std::string(GenChannelName(static_cast<GenChannel>(c))).c_str(),
                static_cast<unsigned long long>(s.per_channel[c]));
  }
  std::printf(
      " namesakes=%llu movers=%llu nicknames=%llu typos=%llu seconds=%.3f events_per_s=%.0f\n",
      static_cast<unsigned long long>(s.namesakes), static_cast<unsigned long long>(s.movers),
      static_cast<unsigned long long>(s.nickname_events), static_cast<unsigned long long>(s.typos),
      seconds, rate);
  return 0;
}

}  // namespace cdp::tools
