#include "ingest/text_fold.h"

#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

#include <array>
#include <cstdint>
#include <optional>

namespace cdp::ingest {
namespace {

// The ICU normalizers, obtained once. ICU's instances are immutable singletons: safe to use
// from every thread. Null when ICU's data cannot be loaded (then only ASCII survives).
struct Normalizers {
  const icu::Normalizer2* casefold = nullptr;  // NFKC_Casefold
  const icu::Normalizer2* nfkd = nullptr;
};

const Normalizers& GetNormalizers() {
  static const Normalizers normalizers = [] {
    Normalizers n;
    UErrorCode error = U_ZERO_ERROR;
    const icu::Normalizer2* casefold = icu::Normalizer2::getNFKCCasefoldInstance(error);
    if (U_FAILURE(error)) return n;
    const icu::Normalizer2* nfkd = icu::Normalizer2::getNFKDInstance(error);
    if (U_FAILURE(error)) return n;
    n.casefold = casefold;
    n.nfkd = nfkd;
    return n;
  }();
  return normalizers;
}

// Appends characters and the single spaces between words.
class Folded {
 public:
  // A character that separates words.
  void Space() { space_ = !out_.empty(); }

  void Ascii(char c) {
    Flush();
    out_ += c;
  }

  // Folded letters, without spaces.
  void Letters(std::string_view text) {
    Flush();
    out_ += text;
  }

  void CodePoint(UChar32 c) {
    Flush();
    char bytes[U8_MAX_LENGTH];
    std::int32_t length = 0;
    UBool error = false;
    U8_APPEND(bytes, length, U8_MAX_LENGTH, c, error);
    if (!error) out_.append(bytes, static_cast<std::size_t>(length));
  }

  std::string Take() { return std::move(out_); }

 private:
  void Flush() {
    if (space_) out_ += ' ';
    space_ = false;
  }

  std::string out_;
  bool space_ = false;
};

bool IsAsciiAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

std::string FoldAscii(std::string_view text) {
  Folded out;
  for (char c : text) {
    if (!IsAsciiAlnum(c)) {
      out.Space();
    } else {
      out.Ascii(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
    }
  }
  return out.Take();
}

// One code point of case-folded text: marks that combine with a letter are dropped, letters,
// digits and spacing marks (vowel signs of Indic scripts) kept, anything else separates.
void AddFolded(UChar32 c, Folded& out) {
  if (c < 0x80) {
    const char ascii = static_cast<char>(c);
    if (IsAsciiAlnum(ascii)) {
      out.Ascii(ascii);
    } else {
      out.Space();
    }
    return;
  }
  const std::int8_t type = u_charType(c);
  if (type == U_NON_SPACING_MARK || type == U_ENCLOSING_MARK) return;
  if (u_isalnum(c) || type == U_COMBINING_SPACING_MARK) {
    out.CodePoint(c);
  } else {
    out.Space();
  }
}

// `text` with each malformed UTF-8 sequence replaced by a space.
std::string WellFormed(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(text.data());
  const auto length = static_cast<std::int32_t>(text.size());
  std::int32_t i = 0;
  while (i < length) {
    const std::int32_t start = i;
    UChar32 c = 0;
    U8_NEXT(bytes, i, length, c);
    if (c < 0) {
      out += ' ';
    } else {
      out.append(text.data() + start, static_cast<std::size_t>(i - start));
    }
  }
  return out;
}

std::string FoldUnicode(std::string_view text) {
  const Normalizers& normalizers = GetNormalizers();
  if (normalizers.casefold == nullptr) return FoldAscii(text);
  // ICU takes lengths as int32_t; person text is far shorter (its callers cap it).
  constexpr std::size_t kMaxBytes = std::size_t{1} << 30;
  if (text.size() > kMaxBytes) text = text.substr(0, kMaxBytes);
  const std::string valid = WellFormed(text);
  std::string casefolded;
  casefolded.reserve(valid.size() + valid.size() / 2);
  icu::StringByteSink<std::string> sink(&casefolded);
  UErrorCode error = U_ZERO_ERROR;
  normalizers.casefold->normalizeUTF8(
      0, icu::StringPiece(valid.data(), static_cast<std::int32_t>(valid.size())), sink, nullptr,
      error);
  if (U_FAILURE(error)) return FoldAscii(text);

  Folded out;
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(casefolded.data());
  const auto length = static_cast<std::int32_t>(casefolded.size());
  icu::UnicodeString decomposition;
  std::int32_t i = 0;
  while (i < length) {
    UChar32 c = 0;
    U8_NEXT(bytes, i, length, c);
    if (c < 0) {
      out.Space();
    } else if (c < 0x80 || !normalizers.nfkd->getDecomposition(c, decomposition)) {
      AddFolded(c, out);
    } else {
      for (std::int32_t j = 0; j < decomposition.length();) {
        const UChar32 d = decomposition.char32At(j);
        AddFolded(d, out);
        j += U16_LENGTH(d);
      }
    }
  }
  return out.Take();
}

// The folded forms of U+00C0..U+00FF (the Latin-1 letters, and the signs × and ÷), computed
// once by the ICU path; empty for a sign, which separates words. Each character there folds
// on its own, whatever surrounds it, so text made of ASCII and these needs no ICU call.
const std::array<std::string, 64>& Latin1Folds() {
  static const std::array<std::string, 64> folds = [] {
    std::array<std::string, 64> f;
    for (unsigned c = 0xC0; c <= 0xFF; ++c) {
      const std::array<char, 2> utf8 = {static_cast<char>(0xC0u | (c >> 6)),
                                        static_cast<char>(0x80u | (c & 0x3Fu))};
      f[c - 0xC0] = FoldUnicode(std::string_view(utf8.data(), utf8.size()));
    }
    return f;
  }();
  return folds;
}

// Folds text of ASCII and U+00C0..U+00FF only (most Spanish text); nullopt for anything else.
std::optional<std::string> FoldLatin1(std::string_view text) {
  const std::array<std::string, 64>& folds = Latin1Folds();
  Folded out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto b = static_cast<unsigned char>(text[i]);
    if (b < 0x80) {
      if (IsAsciiAlnum(text[i])) {
        out.Ascii(b >= 'A' && b <= 'Z' ? static_cast<char>(b - 'A' + 'a') : text[i]);
      } else {
        out.Space();
      }
      continue;
    }
    // U+00C0..U+00FF is 0xC3 then 0x80..0xBF.
    if (b != 0xC3 || i + 1 == text.size()) return std::nullopt;
    const auto next = static_cast<unsigned char>(text[i + 1]);
    if ((next & 0xC0u) != 0x80u) return std::nullopt;
    const std::string& fold = folds[next - 0x80u];
    if (fold.empty()) {
      out.Space();
    } else {
      out.Letters(fold);
    }
    ++i;
  }
  return out.Take();
}

}  // namespace

std::string FoldText(std::string_view utf8) {
  for (char c : utf8) {
    if (static_cast<unsigned char>(c) < 0x80) continue;
    if (std::optional<std::string> folded = FoldLatin1(utf8); folded.has_value()) {
      return std::move(*folded);
    }
    return FoldUnicode(utf8);
  }
  return FoldAscii(utf8);
}

}  // namespace cdp::ingest
