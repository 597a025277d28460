#include "cdp/identifier.h"

#include <array>
#include <cstddef>
#include <utility>

namespace cdp {
namespace {

constexpr std::array<std::string_view, kBuiltinIdentifierTypes> kBuiltinNames = {
    "national_id", "email", "phone", "user_id", "anonymous_id", "device_id", "crm_id", "record"};

// Check letters of the DNI and NIE, indexed by the number modulo 23.
constexpr std::string_view kDniLetters = "TRWAGMYFPDXBNJZSQVHLCKE";
// Letter form of the control of an entity's NIF, indexed by the control digit.
constexpr std::string_view kCifLetters = "JABCDEFGHI";
// First letters of an entity's NIF (the old CIF).
constexpr std::string_view kCifFirstLetters = "ABCDEFGHJNPQRSUVW";

constexpr std::size_t kMaxTypeNameLength = 32;
// Longest raw phone number handed to the PhoneNormalizer (E.164 has at most 15 digits; the
// rest is room for separators, a prefix such as "tel:" and an extension).
constexpr std::size_t kMaxRawPhoneLength = 64;
// Longest local part of an email address (RFC 5321).
constexpr std::size_t kMaxEmailLocalLength = 64;

bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
char ToLower(char c) { return IsUpper(c) ? static_cast<char>(c - 'A' + 'a') : c; }
char ToUpper(char c) { return IsLower(c) ? static_cast<char>(c - 'a' + 'A') : c; }

std::string_view Trim(std::string_view text) {
  while (!text.empty() && IsAsciiSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsAsciiSpace(text.back())) text.remove_suffix(1);
  return text;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ToLower(a[i]) != ToLower(b[i])) return false;
  }
  return true;
}

// True when `text` is well-formed UTF-8 without control characters (C0, DEL, C1).
bool IsCleanUtf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto b0 = static_cast<unsigned char>(text[i]);
    if (b0 < 0x80) {
      if (b0 < 0x20 || b0 == 0x7F) return false;
      ++i;
      continue;
    }
    std::size_t length = 0;
    std::uint32_t code = 0;
    std::uint32_t min = 0;
    if ((b0 & 0xE0u) == 0xC0u) {
      length = 2;
      code = b0 & 0x1Fu;
      min = 0x80;
    } else if ((b0 & 0xF0u) == 0xE0u) {
      length = 3;
      code = b0 & 0x0Fu;
      min = 0x800;
    } else if ((b0 & 0xF8u) == 0xF0u) {
      length = 4;
      code = b0 & 0x07u;
      min = 0x10000;
    } else {
      return false;
    }
    if (text.size() - i < length) return false;
    for (std::size_t k = 1; k < length; ++k) {
      const auto b = static_cast<unsigned char>(text[i + k]);
      if ((b & 0xC0u) != 0x80u) return false;
      code = (code << 6) | (b & 0x3Fu);
    }
    if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
    if (code >= 0x80 && code <= 0x9F) return false;  // C1 controls
    i += length;
  }
  return true;
}

// True when `text` holds at least one '0' and otherwise only zeros and separators
// ("0", "0000", "+00 000-000").
bool IsAllZeros(std::string_view text) {
  bool zero = false;
  for (char c : text) {
    if (c == '0') {
      zero = true;
    } else if (c != ' ' && c != '-' && c != '.' && c != '+' && c != '(' && c != ')' && c != '/') {
      return false;
    }
  }
  return zero;
}

bool IsOnBlockList(const IdentityConfig& config, std::string_view text) {
  if (text.empty() || IsAllZeros(text)) return true;
  for (const std::string& blocked : config.blocked_values) {
    if (EqualsIgnoreCase(text, blocked)) return true;
  }
  return false;
}

// The block-list patterns for emails: "local@" and "@domain". REQUIRES: `email` normalised.
bool IsBlockedEmail(const IdentityConfig& config, std::string_view email) {
  const std::size_t at = email.find('@');
  const std::string_view local = email.substr(0, at);
  const std::string_view domain = email.substr(at + 1);
  for (const std::string& blocked : config.blocked_values) {
    if (blocked.size() < 2) continue;
    const std::string_view b(blocked);
    if (b.back() == '@' && EqualsIgnoreCase(local, b.substr(0, b.size() - 1))) return true;
    if (b.front() == '@' && EqualsIgnoreCase(domain, b.substr(1))) return true;
  }
  return false;
}

NormalizedIdentifier Invalid() { return {}; }

// The number written by the digits of `text`. REQUIRES: only digits, at most 9 of them.
std::uint32_t DigitsValue(std::string_view text) {
  std::uint32_t n = 0;
  for (char c : text) n = n * 10 + static_cast<std::uint32_t>(c - '0');
  return n;
}

bool AllDigits(std::string_view text) {
  for (char c : text) {
    if (!IsDigit(c)) return false;
  }
  return true;
}

char DniLetter(std::uint32_t number) { return kDniLetters[number % 23]; }

// The control digit of an entity's NIF from its seven digits.
std::uint32_t CifControl(std::string_view digits) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    const auto d = static_cast<std::uint32_t>(digits[i] - '0');
    if (i % 2 == 0) {
      const std::uint32_t twice = 2 * d;  // odd positions, counted from 1
      sum += twice / 10 + twice % 10;
    } else {
      sum += d;
    }
  }
  return (10 - sum % 10) % 10;
}

// Classifies a national id of nine upper-case letters and digits: kValid, kWeak (the shape of
// a DNI, NIE or NIF with a wrong control character), kBlocked (a number of only zeros) or
// kInvalid.
IdentifierQuality CheckNationalId(std::string_view id) {
  const char first = id[0];
  const char last = id[8];
  // The digits and the number the control is computed from, per kind of document.
  std::string_view digits;
  bool ok = false;
  if (AllDigits(id.substr(0, 8)) && IsUpper(last)) {  // DNI
    digits = id.substr(0, 8);
    ok = last == DniLetter(DigitsValue(digits));
  } else if (!AllDigits(id.substr(1, 7))) {
    return IdentifierQuality::kInvalid;
  } else if ((first == 'X' || first == 'Y' || first == 'Z') && IsUpper(last)) {  // NIE
    digits = id.substr(1, 7);
    const auto prefix = static_cast<std::uint32_t>(first - 'X');
    ok = last == DniLetter(prefix * 10'000'000 + DigitsValue(digits));
  } else if ((first == 'K' || first == 'L' || first == 'M') && IsUpper(last)) {
    // Spaniards under 14 or abroad, and foreigners without an NIE: the DNI algorithm over the
    // seven digits.
    digits = id.substr(1, 7);
    ok = last == DniLetter(DigitsValue(digits));
  } else if (kCifFirstLetters.find(first) != std::string_view::npos &&
             (IsDigit(last) || IsUpper(last))) {
    digits = id.substr(1, 7);
    const std::uint32_t control = CifControl(digits);
    const bool digit_ok = last == static_cast<char>('0' + control);
    const bool letter_ok = last == kCifLetters[control];
    if (std::string_view("PQRSWN").find(first) != std::string_view::npos) {
      ok = letter_ok;
    } else if (std::string_view("ABEH").find(first) != std::string_view::npos) {
      ok = digit_ok;
    } else {
      ok = digit_ok || letter_ok;
    }
  } else {
    return IdentifierQuality::kInvalid;
  }
  if (IsAllZeros(digits)) return IdentifierQuality::kBlocked;
  return ok ? IdentifierQuality::kValid : IdentifierQuality::kWeak;
}

NormalizedIdentifier NormalizeNationalId(std::string_view text) {
  NormalizedIdentifier out;
  for (char c : text) {
    if (c == ' ' || c == '-' || c == '.') continue;
    if (!IsDigit(c) && !IsUpper(c) && !IsLower(c)) return Invalid();
    if (out.value.size() == 9) return Invalid();
    out.value += ToUpper(c);
  }
  if (out.value.size() != 9) return Invalid();
  out.quality = CheckNationalId(out.value);
  if (out.quality == IdentifierQuality::kInvalid || out.quality == IdentifierQuality::kBlocked) {
    out.value.clear();
  }
  return out;
}

NormalizedIdentifier NormalizeEmail(std::string_view text) {
  if (text.size() > kMaxIdentifierValueLength || !IsCleanUtf8(text)) return Invalid();
  const std::size_t at = text.find('@');
  if (at == std::string_view::npos || text.find('@', at + 1) != std::string_view::npos) {
    return Invalid();
  }
  if (at == 0 || at > kMaxEmailLocalLength) return Invalid();
  const std::string_view domain = text.substr(at + 1);
  if (domain.empty() || domain.front() == '.' || domain.back() == '.' ||
      domain.find('.') == std::string_view::npos || domain.find("..") != std::string_view::npos) {
    return Invalid();
  }
  NormalizedIdentifier out;
  out.value.reserve(text.size());
  for (char c : text) {
    if (c == ' ') return Invalid();
    out.value += ToLower(c);
  }
  out.quality = IdentifierQuality::kValid;
  return out;
}

NormalizedIdentifier NormalizePhone(const IdentityConfig& config, std::string_view text,
                                    const PhoneNormalizer* phones) {
  if (phones == nullptr || text.size() > kMaxRawPhoneLength || !IsCleanUtf8(text)) {
    return Invalid();
  }
  std::optional<std::string> e164 = phones->ToE164(text, config.default_region);
  if (!e164.has_value() || e164->empty() || e164->size() > kMaxIdentifierValueLength) {
    return Invalid();
  }
  return {IdentifierQuality::kValid, std::move(*e164)};
}

NormalizedIdentifier NormalizeOther(std::string_view text) {
  if (text.size() > kMaxIdentifierValueLength || !IsCleanUtf8(text)) return Invalid();
  return {IdentifierQuality::kValid, std::string(text)};
}

bool IsWellFormedName(std::string_view name) {
  if (name.empty() || name.size() > kMaxTypeNameLength) return false;
  for (char c : name) {
    if (!IsLower(c) && !IsDigit(c) && c != '_') return false;
  }
  return true;
}

Status CheckPath(std::string_view path) {
  if (path.empty()) return InvalidArgumentError("must not be empty");
  if (path.size() > kMaxIdentifierPathLength) {
    return InvalidArgumentError("longer than " + std::to_string(kMaxIdentifierPathLength) +
                                " bytes");
  }
  if (path.front() == '.' || path.back() == '.' || path.find("..") != std::string_view::npos) {
    return InvalidArgumentError("expected dotted segments such as 'traits.passport'");
  }
  if (!IsCleanUtf8(path)) {
    return InvalidArgumentError("invalid UTF-8 or a control character");
  }
  return Status::Ok();
}

IdentifierRule Rule(std::string name, std::uint32_t max_per_profile, int priority, bool linking) {
  IdentifierRule rule;
  rule.name = std::move(name);
  rule.max_per_profile = max_per_profile;
  rule.priority = priority;
  rule.linking = linking;
  return rule;
}

}  // namespace

Status ValidateIdentifierRule(const IdentifierRule& rule, bool custom) {
  if (!IsWellFormedName(rule.name)) {
    return InvalidArgumentError("name: expected 1 to 32 characters from a-z, 0-9 and '_'");
  }
  if (custom && rule.paths.empty()) {
    return InvalidArgumentError("paths: a custom type needs at least one path");
  }
  if (rule.paths.size() > kMaxIdentifierPaths) {
    return InvalidArgumentError("paths: more than " + std::to_string(kMaxIdentifierPaths) +
                                " paths");
  }
  for (std::size_t p = 0; p < rule.paths.size(); ++p) {
    Status s = CheckPath(rule.paths[p]);
    if (!s.ok()) {
      return InvalidArgumentError("paths[" + std::to_string(p) + "]: " + std::string(s.message()));
    }
  }
  return Status::Ok();
}

IdentityConfig IdentityConfig::Defaults() {
  IdentityConfig config;
  config.types = {
      Rule("national_id", 1, 100, true), Rule("email", 5, 60, true),
      Rule("phone", 2, 40, false),       Rule("user_id", 1, 80, true),
      Rule("anonymous_id", 0, 10, true), Rule("device_id", 0, 20, true),
      Rule("crm_id", 1, 90, true),       Rule("record", 0, 5, true),
  };
  config.blocked_values = {
      // Placeholders that clients and forms send for "no value".
      "", "null", "undefined", "none", "nil", "nan", "n/a", "na", "-", "-1", "0", "true", "false",
      "[object object]", "anonymous", "anon", "unknown", "guest", "test",
      // Test and example DNIs (valid check letters).
      "00000000T", "12345678Z", "11111111H", "99999999R",
      // Test and example emails: exact values, local parts and reserved domains.
      "test@test.com", "test@example.com", "noreply@", "no-reply@", "donotreply@", "do-not-reply@",
      "@example.com", "@example.org", "@example.net",
      // Test and example phone numbers (E.164).
      "+34600000000", "+34612345678", "+34666666666", "+34699999999", "+34123456789",
      "+34900000000", "+34911111111", "+34912345678", "+34999999999"};
  return config;
}

Status IdentityConfig::Validate() const {
  if (types.size() < kBuiltinIdentifierTypes) {
    return InvalidArgumentError("types: the " + std::to_string(kBuiltinIdentifierTypes) +
                                " built-in types must come first");
  }
  if (types.size() > kMaxIdentifierTypes) {
    return InvalidArgumentError("types: more than " + std::to_string(kMaxIdentifierTypes) +
                                " types");
  }
  for (std::size_t i = 0; i < types.size(); ++i) {
    const IdentifierRule& rule = types[i];
    const std::string where = "types[" + std::to_string(i) + "]";
    Status s = ValidateIdentifierRule(rule, i >= kBuiltinIdentifierTypes);
    if (!s.ok()) return InvalidArgumentError(where + "." + std::string(s.message()));
    if (i < kBuiltinIdentifierTypes && rule.name != kBuiltinNames[i]) {
      return InvalidArgumentError(where + ".name: expected '" + std::string(kBuiltinNames[i]) +
                                  "' (the built-in types come first, in order)");
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (types[j].name == rule.name) {
        return InvalidArgumentError(where + ".name: '" + rule.name + "' is defined twice");
      }
    }
  }
  if (blocked_values.size() > kMaxBlockedValues) {
    return InvalidArgumentError("blocked_values: more than " + std::to_string(kMaxBlockedValues) +
                                " values");
  }
  for (std::size_t i = 0; i < blocked_values.size(); ++i) {
    if (blocked_values[i].size() > kMaxIdentifierValueLength) {
      return InvalidArgumentError("blocked_values[" + std::to_string(i) + "]: longer than " +
                                  std::to_string(kMaxIdentifierValueLength) + " bytes");
    }
  }
  if (default_region.size() != 2 || !IsUpper(default_region[0]) || !IsUpper(default_region[1])) {
    return InvalidArgumentError("default_region: expected an ISO 3166 code such as \"ES\"");
  }
  return Status::Ok();
}

std::optional<IdentifierType> IdentityConfig::FindType(std::string_view name) const {
  for (std::size_t i = 0; i < types.size() && i < kMaxIdentifierTypes; ++i) {
    if (types[i].name == name) return static_cast<IdentifierType>(i);
  }
  return std::nullopt;
}

NormalizedIdentifier NormalizeIdentifier(const IdentityConfig& config, IdentifierType type,
                                         std::string_view raw, const PhoneNormalizer* phones) {
  if (type >= config.types.size()) return Invalid();
  const std::string_view text = Trim(raw);
  if (IsOnBlockList(config, text)) return {IdentifierQuality::kBlocked, {}};
  NormalizedIdentifier out;
  switch (type) {
    case kNationalId: out = NormalizeNationalId(text); break;
    case kEmail: out = NormalizeEmail(text); break;
    case kPhone: out = NormalizePhone(config, text, phones); break;
    default: out = NormalizeOther(text); break;
  }
  if (out.quality == IdentifierQuality::kInvalid || out.quality == IdentifierQuality::kBlocked) {
    return {out.quality, {}};
  }
  if (IsOnBlockList(config, out.value) || (type == kEmail && IsBlockedEmail(config, out.value))) {
    return {IdentifierQuality::kBlocked, {}};
  }
  return out;
}

Result<Identifier> ParseIdentifierRef(const IdentityConfig& config, std::string_view ref,
                                      const PhoneNormalizer* phones) {
  const std::size_t colon = ref.find(':');
  if (colon == std::string_view::npos) {
    return InvalidArgumentError("identifier: expected type:value");
  }
  const std::optional<IdentifierType> type = config.FindType(ref.substr(0, colon));
  if (!type.has_value()) return InvalidArgumentError("identifier: unknown type");
  const IdentifierRule& rule = config.types[*type];
  if (!rule.linking) {
    return InvalidArgumentError("identifier: " + rule.name + " does not identify profiles");
  }
  NormalizedIdentifier normalized =
      NormalizeIdentifier(config, *type, ref.substr(colon + 1), phones);
  switch (normalized.quality) {
    case IdentifierQuality::kValid: break;
    case IdentifierQuality::kWeak:
      return InvalidArgumentError("identifier: the " + rule.name + " fails its check");
    case IdentifierQuality::kInvalid:
      return InvalidArgumentError("identifier: not a valid " + rule.name);
    case IdentifierQuality::kBlocked:
      return InvalidArgumentError("identifier: the " + rule.name + " is a blocked placeholder");
  }
  Identifier identifier;
  identifier.type = *type;
  identifier.value = std::move(normalized.value);
  identifier.linking = true;
  identifier.source = IdentifierSource::kMessage;
  return identifier;
}

}  // namespace cdp
