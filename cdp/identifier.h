// Identifiers: the typed values that link events to people (DESIGN.md, Identity model), their
// normalisation, the placeholder block list and the per-type identity rules.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cdp/status.h"

namespace cdp {

// An identifier type: an index into IdentityConfig::types. The built-in types have fixed
// indices; configured custom types follow them.
using IdentifierType = std::uint8_t;
inline constexpr IdentifierType kNationalId = 0;
inline constexpr IdentifierType kEmail = 1;
inline constexpr IdentifierType kPhone = 2;
inline constexpr IdentifierType kUserId = 3;
inline constexpr IdentifierType kAnonymousId = 4;
inline constexpr IdentifierType kDeviceId = 5;
inline constexpr IdentifierType kCrmId = 6;
// A person record (cdp/person.h): the normalised person attributes of an event, encoded as the
// value. Unlimited, lowest priority; the probabilistic matcher links record nodes.
inline constexpr IdentifierType kPersonRecord = 7;
inline constexpr std::size_t kBuiltinIdentifierTypes = 8;
// Most types a configuration may define, built-ins included.
inline constexpr std::size_t kMaxIdentifierTypes = 32;
// Longest normalised identifier value kept; longer values are invalid.
inline constexpr std::size_t kMaxIdentifierValueLength = 255;
// Most paths one type may list, and the longest path.
inline constexpr std::size_t kMaxIdentifierPaths = 16;
inline constexpr std::size_t kMaxIdentifierPathLength = 256;
// Most entries of IdentityConfig::blocked_values (each is compared with every identifier).
inline constexpr std::size_t kMaxBlockedValues = 1024;

// The rules of one identifier type.
struct IdentifierRule {
  // The type's name in the API and the config ("national_id", "email", ...): lower-case
  // letters, digits and '_', 1..32 characters.
  std::string name;
  // Most distinct values of this type one profile may hold; 0 is unlimited. A link whose
  // union would exceed it is refused as a conflict.
  std::uint32_t max_per_profile = 0;
  // Higher is stronger. An event's identifiers attach to its highest-priority one.
  int priority = 0;
  // Whether values of this type link profiles. A non-linking type (phone by default) is an
  // attribute: carried on the event for the matcher, never a node of the identity graph.
  bool linking = true;
  // For custom types: dotted paths into the message where values are found, e.g.
  // "traits.passport" or "context.traits.passport". Built-in types have fixed sources; paths
  // given for them are read in addition.
  std::vector<std::string> paths;
};

// The checks of IdentityConfig::Validate that concern one rule: kInvalidArgument naming the
// field ("name: ...", "paths[1]: ..."). `custom` for a configured type, which needs a path.
Status ValidateIdentifierRule(const IdentifierRule& rule, bool custom);

// The identity section of the config (docs/CONFIG.md).
struct IdentityConfig {
  // Indexed by IdentifierType; the first kBuiltinIdentifierTypes entries are the built-ins,
  // in the order of the constants above.
  std::vector<IdentifierRule> types;
  // Placeholder values that never identify anyone, compared after normalisation and
  // lower-casing (for example "null", "undefined", "anonymous", "0", "-1"). Values made
  // only of zeros, and empty values, are always blocked.
  // Each entry is compared case-insensitively with the trimmed value as given and with the
  // normalised value. For emails, an entry ending in '@' ("noreply@") blocks that local part
  // at any domain and one starting with '@' ("@example.com") blocks the whole domain.
  std::vector<std::string> blocked_values;
  // ISO 3166 region for phone numbers without an international prefix.
  std::string default_region = "ES";

  // national_id 1/100, crm_id 1/90, user_id 1/80, email 5/60, phone 2/40 (not linking),
  // device_id unlimited/20, anonymous_id unlimited/10, record unlimited/5; the default block
  // list.
  static IdentityConfig Defaults();

  // kInvalidArgument naming the first bad field: names unique and well formed, built-ins
  // present in order, at most kMaxIdentifierTypes, custom types with at least one path.
  // Also: paths made of non-empty segments without control characters, within
  // kMaxIdentifierPaths and kMaxIdentifierPathLength; at most kMaxBlockedValues blocked
  // values of at most kMaxIdentifierValueLength bytes; default_region two letters A-Z.
  Status Validate() const;

  std::optional<IdentifierType> FindType(std::string_view name) const;
};

// Converts phone numbers to E.164. Implemented outside the core (libphonenumber); thread-safe.
class PhoneNormalizer {
 public:
  virtual ~PhoneNormalizer() = default;
  // "+34600111222" for a valid number, nullopt when `raw` is not a valid phone number.
  // `region` is used when `raw` has no international prefix.
  virtual std::optional<std::string> ToE164(std::string_view raw,
                                            std::string_view region) const = 0;
};

enum class IdentifierQuality : std::uint8_t {
  kValid,    // links (when its type is linking)
  kWeak,     // well formed but failing a check (a DNI with a wrong check letter): attribute only
  kInvalid,  // not a value of this type (malformed, too long)
  kBlocked,  // a placeholder on the block list
};

struct NormalizedIdentifier {
  IdentifierQuality quality = IdentifierQuality::kInvalid;
  // The normalised value for kValid and kWeak; empty otherwise.
  std::string value;
};

// Normalises `raw` as a value of `type`:
// - national_id: Spanish DNI (8 digits + letter), NIE (X/Y/Z + 7 digits + letter) and NIF of
//   entities (letter + 7 digits + control); spaces, '-', '.' and case tolerated; upper-case
//   without separators; the control character verified (a wrong one gives kWeak).
// - email: trimmed and lower-cased; one '@', a non-empty local part, a domain with a dot.
// - phone: E.164 through `phones` (kInvalid when `phones` is null or the number is invalid).
// - other types: trimmed; must be non-empty, at most kMaxIdentifierValueLength bytes, without
//   control characters.
// Blocked values give kBlocked. REQUIRES: type < config.types.size().
NormalizedIdentifier NormalizeIdentifier(const IdentityConfig& config, IdentifierType type,
                                         std::string_view raw, const PhoneNormalizer* phones);

// Where in an event an identifier was found; alias links are evidence of their own kind.
enum class IdentifierSource : std::uint8_t { kMessage, kPreviousId };

// A normalised identifier carried by an event.
struct Identifier {
  IdentifierType type = kUserId;
  std::string value;
  // False for a weak value or a non-linking type: an attribute, not a graph node.
  bool linking = true;
  IdentifierSource source = IdentifierSource::kMessage;

  friend bool operator==(const Identifier&, const Identifier&) = default;
};

// Parses an API profile reference "type:value" (API.md, Profiles) and normalises the value as
// on ingest. kInvalidArgument for an unknown type or a value that does not normalise to a
// valid linking identifier.
Result<Identifier> ParseIdentifierRef(const IdentityConfig& config, std::string_view ref,
                                      const PhoneNormalizer* phones);

}  // namespace cdp
