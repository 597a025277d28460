// Tests for cdp/identifier.h: tables of valid, weak, invalid and blocked values per type, the
// defaults and validation of IdentityConfig, and ParseIdentifierRef.
#include "cdp/identifier.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cdp {
namespace {

// Accepts "+" and 8 to 15 digits, or 9 digits as a number of `region` ES; spaces ignored.
// Records the region it was given.
class FakePhones final : public PhoneNormalizer {
 public:
  std::optional<std::string> ToE164(std::string_view raw, std::string_view region) const override {
    last_region = std::string(region);
    std::string digits;
    for (char c : raw) {
      if (c == ' ') continue;
      if (c < '0' || c > '9') {
        if (c != '+' || !digits.empty()) return std::nullopt;
      }
      digits += c;
    }
    if (!digits.empty() && digits[0] == '+') {
      if (digits.size() < 9 || digits.size() > 16) return std::nullopt;
      return digits;
    }
    if (digits.size() != 9 || region != "ES") return std::nullopt;
    return "+34" + digits;
  }
  mutable std::string last_region;
};

struct Case {
  IdentifierType type;
  std::string raw;
  IdentifierQuality quality;
  std::string value;  // expected for kValid and kWeak
};

std::string_view QualityName(IdentifierQuality q) {
  switch (q) {
    case IdentifierQuality::kValid: return "valid";
    case IdentifierQuality::kWeak: return "weak";
    case IdentifierQuality::kInvalid: return "invalid";
    case IdentifierQuality::kBlocked: return "blocked";
  }
  return "?";
}

void PrintTo(const Case& c, std::ostream* os) {
  *os << "type " << int{c.type} << " '" << c.raw << "' -> " << QualityName(c.quality);
}

constexpr auto kValid = IdentifierQuality::kValid;
constexpr auto kWeak = IdentifierQuality::kWeak;
constexpr auto kInvalid = IdentifierQuality::kInvalid;
constexpr auto kBlocked = IdentifierQuality::kBlocked;

const std::vector<Case> kCases = {
    // DNI: 8 digits and the letter of number % 23; separators and case tolerated.
    {kNationalId, "87654321X", kValid, "87654321X"},
    {kNationalId, "87654321x", kValid, "87654321X"},
    {kNationalId, "87.654.321-X", kValid, "87654321X"},
    {kNationalId, " 87 654 321 x\t", kValid, "87654321X"},
    {kNationalId, "45678912S", kValid, "45678912S"},
    {kNationalId, "00000001R", kValid, "00000001R"},
    {kNationalId, "87654321A", kWeak, "87654321A"},
    {kNationalId, "45678912-t", kWeak, "45678912T"},
    {kNationalId, "8765432X", kInvalid, ""},
    {kNationalId, "876543210X", kInvalid, ""},
    {kNationalId, "87654321", kInvalid, ""},
    {kNationalId, "87654321XX", kInvalid, ""},
    {kNationalId, "87654321_X", kInvalid, ""},
    {kNationalId, "87654321/X", kInvalid, ""},
    {kNationalId, "8765432\xC3\x91X", kInvalid, ""},
    {kNationalId, "ABCDEFGHI", kInvalid, ""},
    {kNationalId, "ES87654321X", kInvalid, ""},
    // NIE: X/Y/Z as 0/1/2, 7 digits, the same letter table.
    {kNationalId, "X1234567L", kValid, "X1234567L"},
    {kNationalId, "x-1234567-l", kValid, "X1234567L"},
    {kNationalId, "Y7654321G", kValid, "Y7654321G"},
    {kNationalId, "Z9876543A", kValid, "Z9876543A"},
    {kNationalId, "X1234567A", kWeak, "X1234567A"},
    {kNationalId, "X123456L", kInvalid, ""},
    {kNationalId, "X12345678", kInvalid, ""},
    {kNationalId, "I1234567L", kInvalid, ""},
    // K, L, M: the DNI letter of the seven digits.
    {kNationalId, "K1234567L", kValid, "K1234567L"},
    {kNationalId, "m1234567l", kValid, "M1234567L"},
    {kNationalId, "L1234567T", kWeak, "L1234567T"},
    // NIF of entities: a digit for A, B, E, H; a letter for P, Q, R, S, W, N; either otherwise.
    {kNationalId, "B12345674", kValid, "B12345674"},
    {kNationalId, "b-1234567-4", kValid, "B12345674"},
    {kNationalId, "B1234567D", kWeak, "B1234567D"},
    {kNationalId, "A58818501", kValid, "A58818501"},
    {kNationalId, "A58818502", kWeak, "A58818502"},
    {kNationalId, "P1234567D", kValid, "P1234567D"},
    {kNationalId, "P12345674", kWeak, "P12345674"},
    {kNationalId, "Q2826000H", kValid, "Q2826000H"},
    {kNationalId, "Q28260008", kWeak, "Q28260008"},
    {kNationalId, "C12345674", kValid, "C12345674"},
    {kNationalId, "C1234567D", kValid, "C1234567D"},
    {kNationalId, "C1234567E", kWeak, "C1234567E"},
    {kNationalId, "B1234567", kInvalid, ""},
    {kNationalId, "B12345A74", kInvalid, ""},
    // Test and all-zero national ids.
    {kNationalId, "00000000T", kBlocked, ""},
    {kNationalId, "12345678Z", kBlocked, ""},
    {kNationalId, "12.345.678-z", kBlocked, ""},
    {kNationalId, "00000000A", kBlocked, ""},
    {kNationalId, "X0000000T", kBlocked, ""},
    {kNationalId, "A00000000", kBlocked, ""},
    {kNationalId, "null", kBlocked, ""},
    // Emails: trimmed and lower-cased.
    {kEmail, "Ana.Garcia@Correo.GOB.es", kValid, "ana.garcia@correo.gob.es"},
    {kEmail, "  ana@correo.es\n", kValid, "ana@correo.es"},
    {kEmail, "jos\xC3\xA9@correo.es", kValid, "jos\xC3\xA9@correo.es"},
    {kEmail, "a+tag@sub.correo.es", kValid, "a+tag@sub.correo.es"},
    {kEmail, "ana", kInvalid, ""},
    {kEmail, "ana@", kInvalid, ""},
    {kEmail, "@correo.es", kInvalid, ""},
    {kEmail, "ana@@correo.es", kInvalid, ""},
    {kEmail, "ana@b@correo.es", kInvalid, ""},
    {kEmail, "ana@correo", kInvalid, ""},
    {kEmail, "ana@.correo.es", kInvalid, ""},
    {kEmail, "ana@correo.es.", kInvalid, ""},
    {kEmail, "ana@correo..es", kInvalid, ""},
    {kEmail, "ana garcia@correo.es", kInvalid, ""},
    {kEmail, "ana\x01@correo.es", kInvalid, ""},
    {kEmail, "ana\xFF@correo.es", kInvalid, ""},
    {kEmail, std::string(65, 'a') + "@correo.es", kInvalid, ""},
    {kEmail, std::string(64, 'a') + "@correo.es", kValid, std::string(64, 'a') + "@correo.es"},
    {kEmail, "a@" + std::string(251, 'b') + ".es", kInvalid, ""},
    {kEmail, "test@test.com", kBlocked, ""},
    {kEmail, " TEST@Test.COM ", kBlocked, ""},
    {kEmail, "noreply@aeat.es", kBlocked, ""},
    {kEmail, "No-Reply@correo.es", kBlocked, ""},
    {kEmail, "ana@example.com", kBlocked, ""},
    {kEmail, "ana@EXAMPLE.org", kBlocked, ""},
    {kEmail, "ana@example.com.es", kValid, "ana@example.com.es"},
    {kEmail, "undefined", kBlocked, ""},
    // Phones through FakePhones: E.164, test numbers and zeros blocked.
    {kPhone, "600 111 222", kValid, "+34600111222"},
    {kPhone, "+44 2079460958", kValid, "+442079460958"},
    {kPhone, "600 000 000", kBlocked, ""},
    {kPhone, "+34612345678", kBlocked, ""},
    {kPhone, "+00 000 000", kBlocked, ""},
    {kPhone, "000000000", kBlocked, ""},
    {kPhone, "abc", kInvalid, ""},
    {kPhone, "12", kInvalid, ""},
    {kPhone,
     "600\x01"
     "111222",
     kInvalid, ""},
    {kPhone, std::string(65, '6'), kInvalid, ""},
    // Other types: trimmed, as given otherwise, without control characters.
    {kUserId, "u-123", kValid, "u-123"},
    {kUserId, "  U-123  ", kValid, "U-123"},
    {kUserId, "\xC3\x81lvaro", kValid, "\xC3\x81lvaro"},
    {kUserId, "a:b/c@d", kValid, "a:b/c@d"},
    {kUserId, std::string(255, 'u'), kValid, std::string(255, 'u')},
    {kUserId, std::string(256, 'u'), kInvalid, ""},
    {kUserId, std::string("a\0b", 3), kInvalid, ""},
    {kUserId,
     "a\x01"
     "b",
     kInvalid, ""},
    {kUserId, "a\tb", kInvalid, ""},
    {kUserId,
     "a\x7F"
     "b",
     kInvalid, ""},
    {kUserId,
     "a\xC2\x85"
     "b",
     kInvalid, ""},
    {kUserId, "a\xC3\x28", kInvalid, ""},
    {kUserId, "a\xC0\xAF", kInvalid, ""},
    {kUserId, "a\xED\xA0\x80", kInvalid, ""},
    {kUserId, "a\xF4\x90\x80\x80", kInvalid, ""},
    {kUserId, "a\xE2\x82", kInvalid, ""},
    {kUserId, "", kBlocked, ""},
    {kUserId, "   ", kBlocked, ""},
    {kUserId, "null", kBlocked, ""},
    {kUserId, "NULL", kBlocked, ""},
    {kUserId, " Undefined ", kBlocked, ""},
    {kUserId, "0", kBlocked, ""},
    {kUserId, "0000", kBlocked, ""},
    {kUserId, "00-00.00", kBlocked, ""},
    {kUserId, "-1", kBlocked, ""},
    {kUserId, "N/A", kBlocked, ""},
    {kUserId, "[object Object]", kBlocked, ""},
    {kAnonymousId, "anonymous", kBlocked, ""},
    {kAnonymousId, "3f1c9a4e-1b2d-4c5e-8f90-a1b2c3d4e5f6", kValid,
     "3f1c9a4e-1b2d-4c5e-8f90-a1b2c3d4e5f6"},
    {kDeviceId, "device-1", kValid, "device-1"},
    {kDeviceId, "unknown", kBlocked, ""},
    {kCrmId, "CRM-0042", kValid, "CRM-0042"},
    {kCrmId, "test", kBlocked, ""},
};

class NormalizeIdentifierTable : public testing::TestWithParam<Case> {};

TEST_P(NormalizeIdentifierTable, GivesTheExpectedQualityAndValue) {
  const IdentityConfig config = IdentityConfig::Defaults();
  const FakePhones phones;
  const Case& c = GetParam();
  const NormalizedIdentifier n = NormalizeIdentifier(config, c.type, c.raw, &phones);
  EXPECT_EQ(QualityName(n.quality), QualityName(c.quality));
  EXPECT_EQ(n.value, c.value);
  if (n.quality == kValid || n.quality == kWeak) {
    // Normalisation is idempotent.
    const NormalizedIdentifier again = NormalizeIdentifier(config, c.type, n.value, &phones);
    EXPECT_EQ(QualityName(again.quality), QualityName(n.quality));
    EXPECT_EQ(again.value, n.value);
  }
}

INSTANTIATE_TEST_SUITE_P(Examples, NormalizeIdentifierTable, testing::ValuesIn(kCases));

TEST(NormalizeIdentifierTest, PhoneWithoutNormalizerIsInvalid) {
  const IdentityConfig config = IdentityConfig::Defaults();
  EXPECT_EQ(NormalizeIdentifier(config, kPhone, "+34600111222", nullptr).quality, kInvalid);
  // Blocked values are still recognised.
  EXPECT_EQ(NormalizeIdentifier(config, kPhone, "null", nullptr).quality, kBlocked);
}

TEST(NormalizeIdentifierTest, PhoneUsesTheDefaultRegion) {
  IdentityConfig config = IdentityConfig::Defaults();
  config.default_region = "PT";
  const FakePhones phones;
  EXPECT_EQ(NormalizeIdentifier(config, kPhone, "600111222", &phones).quality, kInvalid);
  EXPECT_EQ(phones.last_region, "PT");
  EXPECT_EQ(NormalizeIdentifier(config, kPhone, "+351912345678", &phones).value, "+351912345678");
}

TEST(NormalizeIdentifierTest, ConfiguredBlockedValuesAreComparedIgnoringCase) {
  IdentityConfig config = IdentityConfig::Defaults();
  config.blocked_values.push_back("Sin-Datos");
  config.blocked_values.push_back("87654321x");
  config.blocked_values.push_back("@organismo.test");
  EXPECT_EQ(NormalizeIdentifier(config, kUserId, "SIN-DATOS", nullptr).quality, kBlocked);
  EXPECT_EQ(NormalizeIdentifier(config, kCrmId, "sin-datos", nullptr).quality, kBlocked);
  // Compared with the normalised value too.
  EXPECT_EQ(NormalizeIdentifier(config, kNationalId, "87.654.321-X", nullptr).quality, kBlocked);
  EXPECT_EQ(NormalizeIdentifier(config, kEmail, "Ana@Organismo.TEST", nullptr).quality, kBlocked);
  // A domain pattern applies to emails only.
  EXPECT_EQ(NormalizeIdentifier(config, kUserId, "ana@organismo.test", nullptr).quality, kValid);
}

TEST(NormalizeIdentifierTest, CustomTypesAreNormalisedLikeUserIds) {
  IdentityConfig config = IdentityConfig::Defaults();
  IdentifierRule passport;
  passport.name = "passport";
  passport.paths = {"traits.passport"};
  config.types.push_back(passport);
  ASSERT_TRUE(config.Validate().ok());
  const NormalizedIdentifier n =
      NormalizeIdentifier(config, kBuiltinIdentifierTypes, "  PAB123456 ", nullptr);
  EXPECT_EQ(n.quality, kValid);
  EXPECT_EQ(n.value, "PAB123456");
  EXPECT_EQ(NormalizeIdentifier(config, kBuiltinIdentifierTypes, "none", nullptr).quality,
            kBlocked);
}

TEST(NormalizeIdentifierTest, UnknownTypeIsInvalid) {
  const IdentityConfig config = IdentityConfig::Defaults();
  EXPECT_EQ(NormalizeIdentifier(config, 8, "x", nullptr).quality, kInvalid);
  EXPECT_EQ(NormalizeIdentifier(config, 255, "x", nullptr).quality, kInvalid);
}

TEST(IdentityConfigTest, DefaultsHaveTheBuiltinRules) {
  const IdentityConfig config = IdentityConfig::Defaults();
  ASSERT_TRUE(config.Validate().ok()) << config.Validate().ToString();
  ASSERT_EQ(config.types.size(), kBuiltinIdentifierTypes);
  struct Expected {
    IdentifierType type;
    std::string_view name;
    std::uint32_t max;
    int priority;
    bool linking;
  };
  const Expected expected[] = {
      {kNationalId, "national_id", 1, 100, true},
      {kEmail, "email", 5, 60, true},
      {kPhone, "phone", 2, 40, false},
      {kUserId, "user_id", 1, 80, true},
      {kAnonymousId, "anonymous_id", 0, 10, true},
      {kDeviceId, "device_id", 0, 20, true},
      {kCrmId, "crm_id", 1, 90, true},
      {kPersonRecord, "record", 0, 5, true},
  };
  for (const Expected& e : expected) {
    const IdentifierRule& rule = config.types[e.type];
    EXPECT_EQ(rule.name, e.name);
    EXPECT_EQ(rule.max_per_profile, e.max) << e.name;
    EXPECT_EQ(rule.priority, e.priority) << e.name;
    EXPECT_EQ(rule.linking, e.linking) << e.name;
    EXPECT_TRUE(rule.paths.empty()) << e.name;
    EXPECT_EQ(config.FindType(e.name), e.type);
  }
  EXPECT_EQ(config.FindType("passport"), std::nullopt);
  EXPECT_EQ(config.FindType(""), std::nullopt);
  EXPECT_EQ(config.default_region, "ES");
}

TEST(IdentityConfigTest, DefaultBlockListHoldsThePlaceholders) {
  const IdentityConfig config = IdentityConfig::Defaults();
  for (std::string_view placeholder : {"", "null", "undefined", "0", "-1", "anonymous", "test"}) {
    bool found = false;
    for (const std::string& b : config.blocked_values) found = found || b == placeholder;
    EXPECT_TRUE(found) << placeholder;
  }
}

// Returns the message of Validate() for a defaults config changed by `change`.
template <typename Change>
std::string ValidateError(Change change) {
  IdentityConfig config = IdentityConfig::Defaults();
  change(config);
  const Status s = config.Validate();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  return std::string(s.message());
}

IdentifierRule Custom(std::string name, std::vector<std::string> paths) {
  IdentifierRule rule;
  rule.name = std::move(name);
  rule.paths = std::move(paths);
  return rule;
}

TEST(IdentityConfigTest, ValidateNamesTheFirstBadField) {
  EXPECT_EQ(ValidateError([](IdentityConfig& c) { c.types.pop_back(); }),
            "types: the 8 built-in types must come first");
  EXPECT_EQ(ValidateError([](IdentityConfig& c) { std::swap(c.types[0], c.types[1]); }),
            "types[0].name: expected 'national_id' (the built-in types come first, in order)");
  EXPECT_EQ(ValidateError([](IdentityConfig& c) { c.types.push_back(Custom("Passport", {"a"})); }),
            "types[8].name: expected 1 to 32 characters from a-z, 0-9 and '_'");
  EXPECT_EQ(ValidateError([](IdentityConfig& c) { c.types.push_back(Custom("", {"a"})); }),
            "types[8].name: expected 1 to 32 characters from a-z, 0-9 and '_'");
  EXPECT_EQ(ValidateError(
                [](IdentityConfig& c) { c.types.push_back(Custom(std::string(33, 'a'), {"a"})); }),
            "types[8].name: expected 1 to 32 characters from a-z, 0-9 and '_'");
  EXPECT_EQ(ValidateError([](IdentityConfig& c) { c.types.push_back(Custom("email", {"a"})); }),
            "types[8].name: 'email' is defined twice");
  EXPECT_EQ(ValidateError([](IdentityConfig& c) { c.types.push_back(Custom("passport", {})); }),
            "types[8].paths: a custom type needs at least one path");
  EXPECT_EQ(ValidateError([](IdentityConfig& c) { c.types.push_back(Custom("p", {""})); }),
            "types[8].paths[0]: must not be empty");
  EXPECT_EQ(ValidateError([](IdentityConfig& c) {
              c.types.push_back(Custom("p", {"ok", "a..b"}));
            }),
            "types[8].paths[1]: expected dotted segments such as 'traits.passport'");
  EXPECT_EQ(ValidateError([](IdentityConfig& c) { c.types.push_back(Custom("p", {".a"})); }),
            "types[8].paths[0]: expected dotted segments such as 'traits.passport'");
  EXPECT_EQ(ValidateError([](IdentityConfig& c) { c.types.push_back(Custom("p", {"a\nb"})); }),
            "types[8].paths[0]: invalid UTF-8 or a control character");
  EXPECT_EQ(ValidateError(
                [](IdentityConfig& c) { c.types.push_back(Custom("p", {std::string(257, 'a')})); }),
            "types[8].paths[0]: longer than 256 bytes");
  EXPECT_EQ(ValidateError([](IdentityConfig& c) {
              c.types.push_back(Custom("p", std::vector<std::string>(17, "a")));
            }),
            "types[8].paths: more than 16 paths");
  EXPECT_EQ(ValidateError([](IdentityConfig& c) {
              for (int i = 0; i < 26; ++i)
                c.types.push_back(Custom("t" + std::to_string(i), {"a"}));
            }),
            "types: more than 32 types");
  EXPECT_EQ(ValidateError([](IdentityConfig& c) {
              c.blocked_values.push_back(std::string(256, 'x'));
            }).substr(0, 15),
            "blocked_values[");
  EXPECT_EQ(
      ValidateError([](IdentityConfig& c) { c.blocked_values.resize(kMaxBlockedValues + 1, "x"); }),
      "blocked_values: more than 1024 values");
  for (const char* region : {"", "es", "ESP", "E1"}) {
    EXPECT_EQ(ValidateError([&](IdentityConfig& c) { c.default_region = region; }),
              "default_region: expected an ISO 3166 code such as \"ES\"");
  }
}

TEST(IdentityConfigTest, BuiltinsMayHavePathsAndCustomTypesAreFound) {
  IdentityConfig config = IdentityConfig::Defaults();
  config.types[kNationalId].paths = {"traits.dni"};
  config.types.push_back(Custom("passport", {"traits.passport", "context.traits.passport"}));
  config.types.push_back(Custom("nuss_2", {"properties.nuss"}));
  EXPECT_TRUE(config.Validate().ok()) << config.Validate().ToString();
  EXPECT_EQ(config.FindType("passport"), IdentifierType{8});
  EXPECT_EQ(config.FindType("nuss_2"), IdentifierType{9});
}

TEST(ParseIdentifierRefTest, NormalisesALinkingValue) {
  const IdentityConfig config = IdentityConfig::Defaults();
  auto email = ParseIdentifierRef(config, "email: Ana@Correo.ES", nullptr);
  ASSERT_TRUE(email.ok()) << email.status().ToString();
  EXPECT_EQ(email->type, kEmail);
  EXPECT_EQ(email->value, "ana@correo.es");
  EXPECT_TRUE(email->linking);
  EXPECT_EQ(email->source, IdentifierSource::kMessage);
  auto dni = ParseIdentifierRef(config, "national_id:87.654.321-x", nullptr);
  ASSERT_TRUE(dni.ok()) << dni.status().ToString();
  EXPECT_EQ(dni->value, "87654321X");
  // Only the first ':' separates the type.
  auto user = ParseIdentifierRef(config, "user_id:crm:42", nullptr);
  ASSERT_TRUE(user.ok()) << user.status().ToString();
  EXPECT_EQ(user->value, "crm:42");
}

TEST(ParseIdentifierRefTest, RefusesWhatDoesNotIdentifyAProfile) {
  const IdentityConfig config = IdentityConfig::Defaults();
  const FakePhones phones;
  const char* refs[] = {
      "",                       // no type
      "87654321X",              // no type
      "dni:87654321X",          // unknown type
      ":87654321X",             // empty type
      "NATIONAL_ID:87654321X",  // names are case-sensitive
      "national_id:87654321A",  // weak
      "national_id:1234",       // invalid
      "national_id:12345678Z",  // blocked
      "email:not-an-email",     // invalid
      "user_id:null",           // blocked
      "user_id:",               // empty
      "phone:+34600111222",     // phone does not link by default
  };
  for (const char* ref : refs) {
    auto id = ParseIdentifierRef(config, ref, &phones);
    EXPECT_EQ(id.status().code(), StatusCode::kInvalidArgument) << ref;
  }
  IdentityConfig linking_phones = config;
  linking_phones.types[kPhone].linking = true;
  auto phone = ParseIdentifierRef(linking_phones, "phone:600 111 222", &phones);
  ASSERT_TRUE(phone.ok()) << phone.status().ToString();
  EXPECT_EQ(phone->value, "+34600111222");
}

TEST(ParseIdentifierRefTest, ErrorsDoNotEchoTheValue) {
  const IdentityConfig config = IdentityConfig::Defaults();
  auto id = ParseIdentifierRef(config, "email:secret-person", nullptr);
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(std::string(id.status().message()).find("secret"), std::string::npos);
}

}  // namespace
}  // namespace cdp
