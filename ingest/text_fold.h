// Folding of person text (names, streets, cities) for matching: accents and case removed,
// punctuation turned into spaces (DESIGN.md, Probabilistic matching; cdp/person.h).
#pragma once

#include <string>
#include <string_view>

namespace cdp::ingest {

// Folds `utf8` for comparison: Unicode compatibility decomposition (NFKD), combining marks
// removed (á -> a, ñ -> n, ç -> c, ü -> u), full case folding (ß -> ss), and every character
// that is not a letter, a digit or a spacing mark turned into a space (apostrophes and
// hyphens too: "O'Donnell" -> "o donnell", "García-López" -> "garcia lopez"); spaces
// collapsed and trimmed. Returns UTF-8: ASCII for Latin text, letters of other scripts kept
// case-folded ("Иван" -> "иван"). Malformed UTF-8 is replaced by a space and never fails.
// Text of ASCII and Latin-1 letters (most Spanish text) takes a fast path without ICU calls.
// Thread-safe.
std::string FoldText(std::string_view utf8);

}  // namespace cdp::ingest
