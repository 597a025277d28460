// Field comparators of the probabilistic matcher (DESIGN.md, Probabilistic matching): string
// similarities and edit distances, and the comparison levels of birth dates, emails and phones.
// Pure functions of their arguments, thread-safe. The string comparators do not allocate for
// strings up to 64 bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "cdp/person.h"

namespace cdp {

// Strings are compared as bytes: a non-ASCII byte is an ordinary symbol.

// The Jaro-Winkler similarity, in [0, 1]: 1 for equal strings (two empty strings included), 0
// when exactly one is empty. Matches are sought within max(|a|, |b|) / 2 - 1 positions, the
// longer string scanned left to right, each of its bytes matched to the first unmatched equal
// byte of the shorter one; half the out-of-order matches (rounded down) are transpositions.
// The Winkler boost (common prefix up to 4 bytes, scale 0.1) is applied when the Jaro
// similarity exceeds 0.7. Bit-parallel when the shorter string has at most 64 bytes.
double JaroWinkler(std::string_view a, std::string_view b);

// The Levenshtein distance: fewest insertions, deletions and substitutions of one byte that
// turn `a` into `b`. Bit-parallel (Myers 1999, Hyyrö) when the shorter string has at most 64
// bytes once the common prefix and suffix are removed; a dynamic programme beyond.
int Levenshtein(std::string_view a, std::string_view b);

// The optimal-string-alignment (restricted Damerau-Levenshtein) distance: Levenshtein plus
// the transposition of two adjacent bytes at cost 1, no substring edited twice (so
// DamerauOsa("ca", "abc") is 3, where the unrestricted distance is 2). Bit-parallel (Hyyrö
// 2003) up to 64 bytes as Levenshtein, a dynamic programme beyond.
int DamerauOsa(std::string_view a, std::string_view b);

// DamerauOsa(a, b) when it is at most `max_distance`, else max_distance + 1, returned as soon
// as that is certain (length difference first, then while scanning). A negative max_distance
// counts as 0.
int DamerauOsaBounded(std::string_view a, std::string_view b, int max_distance);

// How two birth dates agree, strongest first.
enum class DateLevel : std::uint8_t {
  // The same complete date.
  kExact,
  // Complete dates, same but for a typo: one digit of YYYYMMDD differs, two adjacent digits
  // of it are swapped, or day and month are swapped in the same year.
  kClose,
  // The same year, nothing closer: different complete dates, or either date lacks its month
  // or day (a partial date never agrees beyond its year).
  kYearOnly,
  kDifferent,
  // Either date is empty.
  kMissing,
};
DateLevel CompareDates(const BirthDate& a, const BirthDate& b);

// The phonetic key of folded Spanish text (lower-case ASCII letters, single spaces): the key
// of each word, joined with single spaces (leading, trailing and repeated spaces dropped). A
// word's key spells its sounds with one byte each, then collapses runs of the same byte:
//   vowels a e i o u stay; "y" before a vowel and "ll" are "y", any other "y" is "i";
//   "h" is silent (dropped), but "ch" is "c" and "ph" is "f";
//   "b", "v" and "w" are "b";
//   "c" before e/i, "z" and "s" are "s" (seseo); "c" elsewhere, "k" and "q" are "k", and the
//   "u" after "q" is dropped;
//   "g" before e/i and "j" are "j"; "g" elsewhere is "g", and the "u" of "gue"/"gui" is dropped;
//   "x" starting a word is "j" (Ximenez, Xavier), elsewhere "ks";
//   "n" before b/v/p/m is "m" (Inmaculada = Imaculada);
//   d f l m n p r t stay, so "rr" is "r" and "nn" is "n" by the collapsing;
//   any other byte (digits, upper case, non-ASCII) stays as it is.
// So "gonzalez" = "gonsales", "jimenez" = "gimenez" = "ximenez" ("jimenes"), "herrera" =
// "errera", "vazquez" = "vasquez" = "bazquez", "yolanda" = "llolanda", "quiroga" = "kiroga".
std::string SpanishPhoneticKey(std::string_view folded);
// The same, into *out (cleared first), reusing its capacity.
void SpanishPhoneticKey(std::string_view folded, std::string* out);

// How two normalised email addresses agree, strongest first. The local part is what precedes
// the last '@' (a value without '@' is all local part, with no domain). Mailbox equivalence:
// a "+tag" ending the local part is ignored at any domain, dots in the local part are
// ignored at gmail.com, and googlemail.com is gmail.com.
enum class EmailLevel : std::uint8_t {
  // The same address, or the same mailbox by the rules above.
  kExact,
  // Not the same mailbox, but the same local part once dots and a +tag are removed (usually
  // at another domain: "ana.gil@gmail.com", "anagil@hotmail.com").
  kSameLocal,
  // Those local parts within Damerau-OSA distance 1 (2 when the shorter has 8 bytes or more)
  // or with Jaro-Winkler similarity of at least 0.92, at any domains.
  kCloseLocal,
  kDifferent,
  // Either address is empty.
  kMissing,
};
EmailLevel CompareEmails(std::string_view a, std::string_view b);

// How two phone numbers agree, strongest first. Numbers are E.164 ("+34600111222"); only
// their digits are compared.
enum class PhoneLevel : std::uint8_t {
  // The same digits.
  kExact,
  // A typo: the same number of digits with one differing or two adjacent ones swapped; or the
  // same last 9 digits with a different or absent country code.
  kClose,
  kDifferent,
  // Either number is empty (or has no digits).
  kMissing,
};
PhoneLevel ComparePhones(std::string_view a, std::string_view b);

}  // namespace cdp
