#include "cdp/comparators.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace cdp {
namespace {

// Longest pattern of the one-word bit-parallel algorithms.
constexpr std::size_t kWordBits = 64;

inline unsigned char Byte(char c) { return static_cast<unsigned char>(c); }

// Pattern bitmasks: bit i of masks[c] is set when pattern[i] == c. Only the entries of bytes
// that occur in the pattern or the text are written (zeroed, then filled), so the table needs
// no clearing and is read only at those entries.
// REQUIRES: pattern.size() <= 64.
class PatternMasks {
 public:
  PatternMasks(std::string_view pattern, std::string_view text) {
    for (char c : text) masks_[Byte(c)] = 0;
    for (char c : pattern) masks_[Byte(c)] = 0;
    std::uint64_t bit = 1;
    for (char c : pattern) {
      masks_[Byte(c)] |= bit;
      bit <<= 1;
    }
  }
  std::uint64_t operator[](char c) const { return masks_[Byte(c)]; }

 private:
  std::array<std::uint64_t, 256> masks_;
};

// Removes the common prefix and suffix of *a and *b; edit distances do not change.
void StripCommonAffixes(std::string_view* a, std::string_view* b) {
  const std::size_t n = std::min(a->size(), b->size());
  std::size_t prefix = 0;
  while (prefix < n && (*a)[prefix] == (*b)[prefix]) ++prefix;
  a->remove_prefix(prefix);
  b->remove_prefix(prefix);
  const std::size_t rest = n - prefix;
  std::size_t suffix = 0;
  while (suffix < rest && (*a)[a->size() - 1 - suffix] == (*b)[b->size() - 1 - suffix]) ++suffix;
  a->remove_suffix(suffix);
  b->remove_suffix(suffix);
}

// A buffer of `n` ints, on the stack when small.
class IntBuffer {
 public:
  explicit IntBuffer(std::size_t n) {
    if (n > stack_.size()) {
      heap_ = std::make_unique<int[]>(n);
      data_ = heap_.get();
    }
  }
  IntBuffer(const IntBuffer&) = delete;
  IntBuffer& operator=(const IntBuffer&) = delete;
  int* data() { return data_; }

 private:
  std::array<int, 3 * 160> stack_;
  std::unique_ptr<int[]> heap_;
  int* data_ = stack_.data();
};

// Levenshtein (kOsa false) or OSA (kOsa true) distance between `pattern` (1..64 bytes) and
// `text`, Myers/Hyyrö bit-parallel, one text byte per step. Returns bound + 1 as soon as the
// distance must exceed `bound`.
template <bool kOsa>
int BitParallelDistance(std::string_view pattern, std::string_view text, int bound) {
  const PatternMasks masks(pattern, text);
  const std::uint64_t last = std::uint64_t{1} << (pattern.size() - 1);
  std::uint64_t vp = ~std::uint64_t{0};
  std::uint64_t vn = 0;
  std::uint64_t d0 = 0;
  std::uint64_t previous_eq = 0;
  int score = static_cast<int>(pattern.size());
  int remaining = static_cast<int>(text.size());
  for (char c : text) {
    const std::uint64_t eq = masks[c];
    if constexpr (kOsa) {
      // Hyyrö 2003: a transposition, from the previous column's diagonal and bytes.
      const std::uint64_t transposed = ((~d0 & eq) << 1) & previous_eq;
      d0 = (((eq & vp) + vp) ^ vp) | eq | vn | transposed;
      previous_eq = eq;
    } else {
      d0 = (((eq & vp) + vp) ^ vp) | eq | vn;
    }
    std::uint64_t hp = vn | ~(d0 | vp);
    const std::uint64_t hn = d0 & vp;
    score += static_cast<int>((hp & last) != 0);
    score -= static_cast<int>((hn & last) != 0);
    // The last row falls by at most one per remaining text byte.
    if (--remaining < score - bound) return bound + 1;
    hp = (hp << 1) | 1;
    vp = (hn << 1) | ~(d0 | hp);
    vn = hp & d0;
  }
  return score;
}

// The same by dynamic programming over rows of the shorter string, any length, with the same
// early exit (the minimum of a row never decreases).
template <bool kOsa>
int DynamicDistance(std::string_view pattern, std::string_view text, int bound) {
  const std::size_t m = pattern.size();
  IntBuffer buffer(3 * (m + 1));
  int* before = buffer.data();     // row i - 2 (OSA only)
  int* previous = before + m + 1;  // row i - 1
  int* current = previous + m + 1;
  for (std::size_t j = 0; j <= m; ++j) previous[j] = static_cast<int>(j);
  for (std::size_t i = 1; i <= text.size(); ++i) {
    current[0] = static_cast<int>(i);
    int row_min = current[0];
    const char t = text[i - 1];
    for (std::size_t j = 1; j <= m; ++j) {
      const char p = pattern[j - 1];
      int d = std::min(previous[j] + 1, current[j - 1] + 1);
      d = std::min(d, previous[j - 1] + (p == t ? 0 : 1));
      if constexpr (kOsa) {
        if (i > 1 && j > 1 && p == text[i - 2] && pattern[j - 2] == t) {
          d = std::min(d, before[j - 2] + 1);
        }
      }
      current[j] = d;
      row_min = std::min(row_min, d);
    }
    if (row_min > bound) return bound + 1;
    int* recycled = before;
    before = previous;
    previous = current;
    current = recycled;
  }
  return std::min(previous[m], bound + 1);
}

template <bool kOsa>
int EditDistance(std::string_view a, std::string_view b, int bound) {
  const std::size_t difference = a.size() > b.size() ? a.size() - b.size() : b.size() - a.size();
  if (difference > static_cast<std::size_t>(bound)) return bound + 1;
  StripCommonAffixes(&a, &b);
  if (a.size() > b.size()) std::swap(a, b);
  if (a.empty()) return static_cast<int>(b.size());
  if (a.size() <= kWordBits) return BitParallelDistance<kOsa>(a, b, bound);
  return DynamicDistance<kOsa>(a, b, bound);
}

constexpr int kUnbounded = 1 << 30;

// The Jaro similarity as a fraction of integers held exactly in doubles (up to 2^53), so the
// Winkler threshold is tested exactly.
struct JaroFraction {
  double numerator = 0;
  double denominator = 1;
};

// (m / n1 + m / n2 + (m - t) / m) / 3 for m matches and t transpositions.
// REQUIRES: 0 < m <= n1 <= n2.
JaroFraction JaroFormula(std::size_t m, std::size_t t, std::size_t n1, std::size_t n2) {
  const double md = static_cast<double>(m);
  const double d1 = static_cast<double>(n1);
  const double d2 = static_cast<double>(n2);
  return {md * md * (d1 + d2) + static_cast<double>(m - t) * d1 * d2, 3.0 * md * d1 * d2};
}

// The Jaro similarity of non-empty `shorter` (at most 64 bytes) and `longer`: each byte of
// `longer` in turn takes the first unmatched equal byte of `shorter` within the window, found
// as the lowest bit of a mask.
JaroFraction BitParallelJaro(std::string_view shorter, std::string_view longer,
                             std::size_t window) {
  const PatternMasks masks(shorter, longer);
  const std::size_t n = shorter.size();
  // One spare slot: the branch-free loop writes one past the last match.
  std::array<char, kWordBits + 1> longer_matches;
  // Bits of `shorter` still free; candidates never include bits past its end.
  std::uint64_t unmatched = ~std::uint64_t{0};
  std::size_t m = 0;
  for (std::size_t j = 0; j < longer.size(); ++j) {
    const std::size_t lo = j > window ? j - window : 0;
    if (lo >= n) break;
    const std::size_t hi = std::min(j + window, n - 1);
    const std::uint64_t in_window =
        (~std::uint64_t{0} << lo) & ((std::uint64_t{2} << hi) - std::uint64_t{1});
    const std::uint64_t candidates = (masks[longer[j]] & in_window) & unmatched;
    // Branch-free (whether a byte matches is unpredictable), short dependency on `unmatched`.
    const std::uint64_t lowest = candidates & (~candidates + 1);
    unmatched ^= lowest;
    longer_matches[m] = longer[j];
    m += lowest != 0;
  }
  const std::uint64_t matched = ~unmatched;
  if (m == 0) return {};
  std::size_t out_of_order = 0;
  std::size_t k = 0;
  for (std::uint64_t bits = matched; bits != 0; bits &= bits - 1) {
    out_of_order +=
        shorter[static_cast<std::size_t>(std::countr_zero(bits))] != longer_matches[k++];
  }
  return JaroFormula(m, out_of_order / 2, n, longer.size());
}

// The same with flags, any length.
JaroFraction FlagJaro(std::string_view shorter, std::string_view longer, std::size_t window) {
  std::vector<char> shorter_matched(shorter.size(), 0);
  std::vector<char> longer_matches;
  longer_matches.reserve(shorter.size());
  const std::size_t n = shorter.size();
  for (std::size_t j = 0; j < longer.size(); ++j) {
    const std::size_t lo = j > window ? j - window : 0;
    if (lo >= n) break;
    const std::size_t hi = std::min(j + window, n - 1);
    for (std::size_t i = lo; i <= hi; ++i) {
      if (!shorter_matched[i] && shorter[i] == longer[j]) {
        shorter_matched[i] = 1;
        longer_matches.push_back(longer[j]);
        break;
      }
    }
  }
  const std::size_t m = longer_matches.size();
  if (m == 0) return {};
  std::size_t out_of_order = 0;
  std::size_t k = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (shorter_matched[i]) out_of_order += shorter[i] != longer_matches[k++];
  }
  return JaroFormula(m, out_of_order / 2, n, longer.size());
}

bool IsVowel(char c) { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u'; }
bool IsFrontVowel(char c) { return c == 'e' || c == 'i'; }

// Writes the key of one word (no spaces) at *p, advancing it.
void WordKey(std::string_view word, char** p) {
  char* const start = *p;
  char* out = start;
  const auto emit = [&](char code) {
    if (out == start || out[-1] != code) *out++ = code;
  };
  const std::size_t n = word.size();
  for (std::size_t i = 0; i < n; ++i) {
    const char c = word[i];
    const char next = i + 1 < n ? word[i + 1] : '\0';
    switch (c) {
      case 'a':
      case 'e':
      case 'i':
      case 'o':
      case 'u': emit(c); break;
      case 'y': emit(IsVowel(next) ? 'y' : 'i'); break;
      case 'h': break;
      case 'b':
      case 'v':
      case 'w': emit('b'); break;
      case 'c':
        if (next == 'h') {
          emit('c');
          ++i;
        } else {
          emit(IsFrontVowel(next) ? 's' : 'k');
        }
        break;
      case 'z':
      case 's': emit('s'); break;
      case 'k': emit('k'); break;
      case 'q':
        emit('k');
        if (next == 'u') ++i;
        break;
      case 'g':
        if (IsFrontVowel(next)) {
          emit('j');
        } else {
          emit('g');
          if (next == 'u' && i + 2 < n && IsFrontVowel(word[i + 2])) ++i;
        }
        break;
      case 'j': emit('j'); break;
      case 'x':
        if (i == 0) {
          emit('j');
        } else {
          emit('k');
          emit('s');
        }
        break;
      case 'l':
        if (next == 'l') {
          emit('y');
          ++i;
        } else {
          emit('l');
        }
        break;
      case 'n': emit(next == 'b' || next == 'v' || next == 'p' || next == 'm' ? 'm' : 'n'); break;
      case 'p':
        if (next == 'h') {
          emit('f');
          ++i;
        } else {
          emit('p');
        }
        break;
      default: emit(c); break;
    }
  }
  *p = out;
}

// Bounded digit string of a phone number.
struct Digits {
  static constexpr std::size_t kCapacity = 32;
  std::array<char, kCapacity> data;
  std::size_t size = 0;
  bool overflow = false;

  explicit Digits(std::string_view phone) {
    for (char c : phone) {
      if (c < '0' || c > '9') continue;
      if (size == kCapacity) {
        overflow = true;
        return;
      }
      data[size++] = c;
    }
  }
  std::string_view view() const { return {data.data(), size}; }
};

// Whether equal-length a and b differ in one position, or in two adjacent swapped ones.
// REQUIRES: a.size() == b.size(), a != b.
bool IsOneTypo(std::string_view a, std::string_view b) {
  std::size_t first = 0;
  while (a[first] == b[first]) ++first;
  if (a.substr(first + 1) == b.substr(first + 1)) return true;
  return first + 1 < a.size() && a[first] == b[first + 1] && a[first + 1] == b[first] &&
         a.substr(first + 2) == b.substr(first + 2);
}

struct EmailParts {
  std::string_view local;
  std::string_view domain;
  bool gmail = false;
};

EmailParts SplitEmail(std::string_view email) {
  EmailParts parts;
  const std::size_t at = email.rfind('@');
  if (at == std::string_view::npos) {
    parts.local = email;
  } else {
    parts.local = email.substr(0, at);
    parts.domain = email.substr(at + 1);
  }
  if (parts.domain == "googlemail.com") parts.domain = "gmail.com";
  parts.gmail = parts.domain == "gmail.com";
  return parts;
}

// The local part without its +tag and, when `drop_dots`, without dots, into *buffer.
std::string_view CanonicalLocal(std::string_view local, bool drop_dots,
                                std::array<char, 256>* buffer) {
  const std::size_t plus = local.find('+');
  if (plus != std::string_view::npos) local = local.substr(0, plus);
  if (!drop_dots || local.size() > buffer->size() || local.find('.') == std::string_view::npos) {
    return local;
  }
  std::size_t n = 0;
  for (char c : local) {
    if (c != '.') (*buffer)[n++] = c;
  }
  return {buffer->data(), n};
}

}  // namespace

double JaroWinkler(std::string_view a, std::string_view b) {
  if (a == b) return 1.0;
  if (a.empty() || b.empty()) return 0.0;
  const bool a_shorter = a.size() <= b.size();
  const std::string_view shorter = a_shorter ? a : b;
  const std::string_view longer = a_shorter ? b : a;
  const std::size_t half = longer.size() / 2;
  const std::size_t window = half > 0 ? half - 1 : 0;
  const JaroFraction fraction = shorter.size() <= kWordBits
                                    ? BitParallelJaro(shorter, longer, window)
                                    : FlagJaro(shorter, longer, window);
  double jaro = fraction.numerator / fraction.denominator;
  if (10 * fraction.numerator > 7 * fraction.denominator) {
    const std::size_t limit = std::min<std::size_t>(4, shorter.size());
    std::size_t prefix = 0;
    while (prefix < limit && a[prefix] == b[prefix]) ++prefix;
    jaro += 0.1 * static_cast<double>(prefix) * (1.0 - jaro);
  }
  return jaro;
}

int Levenshtein(std::string_view a, std::string_view b) {
  return EditDistance<false>(a, b, kUnbounded);
}

int DamerauOsa(std::string_view a, std::string_view b) {
  return EditDistance<true>(a, b, kUnbounded);
}

int DamerauOsaBounded(std::string_view a, std::string_view b, int max_distance) {
  return EditDistance<true>(a, b, std::clamp(max_distance, 0, kUnbounded));
}

DateLevel CompareDates(const BirthDate& a, const BirthDate& b) {
  if (a.empty() || b.empty()) return DateLevel::kMissing;
  const bool complete = a.month != 0 && a.day != 0 && b.month != 0 && b.day != 0;
  if (complete) {
    if (a == b) return DateLevel::kExact;
    if (a.year == b.year && a.month == b.day && a.day == b.month) return DateLevel::kClose;
    // YYYYMMDD, with a fifth year digit for years past 9999 (BirthDate allows 65535).
    const auto digits = [](const BirthDate& d, std::array<char, 9>* out) {
      std::uint32_t v = std::uint32_t{d.year} * 10000 + std::uint32_t{d.month} * 100 + d.day;
      for (std::size_t i = out->size(); i-- > 0; v /= 10) (*out)[i] = static_cast<char>(v % 10);
    };
    std::array<char, 9> da;
    std::array<char, 9> db;
    digits(a, &da);
    digits(b, &db);
    if (IsOneTypo({da.data(), da.size()}, {db.data(), db.size()})) return DateLevel::kClose;
  }
  return a.year == b.year ? DateLevel::kYearOnly : DateLevel::kDifferent;
}

std::string SpanishPhoneticKey(std::string_view folded) {
  std::string key;
  SpanishPhoneticKey(folded, &key);
  return key;
}

void SpanishPhoneticKey(std::string_view folded, std::string* out) {
  // A byte gives at most two ("x" is "ks"), a word separator one.
  out->resize(2 * folded.size());
  char* const begin = out->data();
  char* p = begin;
  std::size_t i = 0;
  while (i < folded.size()) {
    if (folded[i] == ' ') {
      ++i;
      continue;
    }
    std::size_t end = folded.find(' ', i);
    if (end == std::string_view::npos) end = folded.size();
    char* const word_start = p;
    if (p != begin) *p++ = ' ';
    char* const key_start = p;
    WordKey(folded.substr(i, end - i), &p);
    if (p == key_start) p = word_start;
    i = end;
  }
  out->resize(static_cast<std::size_t>(p - begin));
}

EmailLevel CompareEmails(std::string_view a, std::string_view b) {
  if (a.empty() || b.empty()) return EmailLevel::kMissing;
  if (a == b) return EmailLevel::kExact;
  const EmailParts pa = SplitEmail(a);
  const EmailParts pb = SplitEmail(b);
  std::array<char, 256> buffer_a;
  std::array<char, 256> buffer_b;
  if (pa.domain == pb.domain) {
    const std::string_view mailbox_a = CanonicalLocal(pa.local, pa.gmail, &buffer_a);
    if (!mailbox_a.empty() && mailbox_a == CanonicalLocal(pb.local, pb.gmail, &buffer_b)) {
      return EmailLevel::kExact;
    }
  }
  const std::string_view la = CanonicalLocal(pa.local, true, &buffer_a);
  const std::string_view lb = CanonicalLocal(pb.local, true, &buffer_b);
  if (la.empty() || lb.empty()) return EmailLevel::kDifferent;
  if (la == lb) return EmailLevel::kSameLocal;
  const int max_distance = std::min(la.size(), lb.size()) >= 8 ? 2 : 1;
  if (DamerauOsaBounded(la, lb, max_distance) <= max_distance || JaroWinkler(la, lb) >= 0.92) {
    return EmailLevel::kCloseLocal;
  }
  return EmailLevel::kDifferent;
}

PhoneLevel ComparePhones(std::string_view a, std::string_view b) {
  const Digits da(a);
  const Digits db(b);
  if (da.size == 0 || db.size == 0) return PhoneLevel::kMissing;
  if (da.overflow || db.overflow) return a == b ? PhoneLevel::kExact : PhoneLevel::kDifferent;
  const std::string_view va = da.view();
  const std::string_view vb = db.view();
  if (va == vb) return PhoneLevel::kExact;
  if (va.size() == vb.size() && IsOneTypo(va, vb)) return PhoneLevel::kClose;
  constexpr std::size_t kNationalDigits = 9;
  if (va.size() >= kNationalDigits && vb.size() >= kNationalDigits &&
      va.substr(va.size() - kNationalDigits) == vb.substr(vb.size() - kNationalDigits)) {
    return PhoneLevel::kClose;
  }
  return PhoneLevel::kDifferent;
}

}  // namespace cdp
