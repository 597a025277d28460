// Tests for ingest/config_parser.h: valid configs and a table of malformed documents.
#include "ingest/config_parser.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <vector>

namespace cdp::ingest {
namespace {

constexpr char kValidConfig[] = R"({
  "version": 1,
  "keys": [
    {"key": "wk_test", "scopes": ["write"], "name": "ingest-service"},
    {"key": "rk_test", "scopes": ["read"], "description": "dashboards"},
    {"key": "ak_test", "scopes": ["read", "write", "admin"]}
  ],
  "storage": {"path": "/var/lib/cdp", "limits": [1, 2.5, {"deep": [null, true]}]}
})";

TEST(ParseConfigTest, ValidConfigWithThreeKeys) {
  auto config = ParseConfig(kValidConfig);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  ASSERT_EQ(config->keys.size(), 3u);
  EXPECT_EQ(config->keys[0].key, "wk_test");
  EXPECT_EQ(config->keys[0].scopes, ScopeSet{Scope::kWrite});
  EXPECT_EQ(config->keys[0].name, "ingest-service");
  EXPECT_EQ(config->keys[1].key, "rk_test");
  EXPECT_EQ(config->keys[1].name, "");
  EXPECT_EQ(config->keys[1].scopes, ScopeSet{Scope::kRead});
  EXPECT_EQ(config->keys[2].key, "ak_test");
  EXPECT_EQ(config->keys[2].scopes, (ScopeSet{Scope::kRead, Scope::kWrite, Scope::kAdmin}));
}

TEST(ParseConfigTest, MatchingSectionSetsOptionsOverTheDefaults) {
  auto config = ParseConfig(R"({"matching": {"link_threshold": 9.5, "review_threshold": 3,
                                             "given_must_agree": false,
                                             "birth_must_agree": false, "max_candidates": 7}})");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->matching.link_threshold, 9.5);
  EXPECT_EQ(config->matching.review_threshold, 3);
  EXPECT_FALSE(config->matching.given_must_agree);
  EXPECT_FALSE(config->matching.birth_must_agree);
  EXPECT_EQ(config->matching.max_candidates, 7u);
  EXPECT_TRUE(config->matching.enabled);  // not given: the default
  for (const char* bad :
       {R"({"matching": {"birth_must_agree": 1}})", R"({"matching": {"given_must_agree": "no"}})",
        R"({"matching": {"link_threshold": 1, "review_threshold": 2}})", R"({"matching": []})"}) {
    EXPECT_FALSE(ParseConfig(bad).ok()) << bad;
  }
}

TEST(ParseConfigTest, UnknownTopLevelSectionsAreIgnored) {
  auto config = ParseConfig(R"({"future": {"a": [1, {"b": "c"}]}, "other": 5, "x": null,
                                "keys": [{"key": "rk_test", "scopes": ["read"]}],
                                "after": [[], {}]})");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  ASSERT_EQ(config->keys.size(), 1u);
  EXPECT_EQ(config->keys[0].key, "rk_test");
}

TEST(ParseConfigTest, EmptyObjectHasNoKeys) {
  auto config = ParseConfig("{}");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_TRUE(config->keys.empty());
  auto empty_keys = ParseConfig(R"( {"keys": []} )");
  ASSERT_TRUE(empty_keys.ok()) << empty_keys.status().ToString();
  EXPECT_TRUE(empty_keys->keys.empty());
}

TEST(ParseConfigTest, RepeatedScopeIsHarmless) {
  auto config = ParseConfig(R"({"keys": [{"key": "rk_test", "scopes": ["read", "read"]}]})");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->keys[0].scopes, ScopeSet{Scope::kRead});
}

TEST(ParseConfigTest, EscapedStringsAreUnescaped) {
  auto config = ParseConfig(R"({"keys": [{"key": "wk\u005ftest", "scopes": ["\u0072ead"]}]})");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->keys[0].key, "wk_test");
  EXPECT_EQ(config->keys[0].scopes, ScopeSet{Scope::kRead});
}

TEST(ParseConfigTest, RenderedKeysParseBack) {
  const std::vector<ApiKey> keys = {
      {"wk_test", {Scope::kWrite}, "civil_register"},
      {"ak_test", {Scope::kRead, Scope::kWrite, Scope::kAdmin}},
  };
  auto config = ParseConfig(RenderKeysJson(keys));
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  ASSERT_EQ(config->keys.size(), 2u);
  for (std::size_t i = 0; i < keys.size(); ++i) {
    EXPECT_EQ(config->keys[i].key, keys[i].key);
    EXPECT_EQ(config->keys[i].scopes, keys[i].scopes);
    EXPECT_EQ(config->keys[i].name, keys[i].name);
  }
}

TEST(ParseConfigTest, KeyNamesMayRepeatAcrossKeys) {
  auto config = ParseConfig(R"({"keys": [
      {"key": "wk_old", "scopes": ["write"], "name": "civil_register"},
      {"key": "wk_new", "scopes": ["write"], "name": "civil_register"},
      {"key": "wk_max", "scopes": ["write"], "name": ")" +
                            std::string(kMaxKeyNameLength, 'n') + R"("}]})");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->keys[0].name, "civil_register");
  EXPECT_EQ(config->keys[1].name, "civil_register");
  EXPECT_EQ(config->keys[2].name.size(), kMaxKeyNameLength);
}

TEST(ParseConfigTest, ProfilesSectionSetsTheSourcePriority) {
  auto config = ParseConfig(R"({"profiles": {"source_priority":
                                 ["civil_register", "tax_agency", "oficina presencial"]}})");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->profiles.source_priority,
            (std::vector<std::string>{"civil_register", "tax_agency", "oficina presencial"}));
  auto absent = ParseConfig("{}");
  ASSERT_TRUE(absent.ok());
  EXPECT_TRUE(absent->profiles.source_priority.empty());
  auto empty = ParseConfig(R"({"profiles": {}})");
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_TRUE(empty->profiles.source_priority.empty());
}

TEST(ParseConfigTest, ModeratelyNestedIgnoredSectionIsAccepted) {
  const std::string json =
      R"({"junk": )" + std::string(100, '[') + std::string(100, ']') + R"(, "keys": []})";
  auto config = ParseConfig(json);
  EXPECT_TRUE(config.ok()) << config.status().ToString();
}

TEST(ParseConfigTest, DocumentOfExactlyTheLimitIsAccepted) {
  std::string json = R"({"keys": [{"key": "rk_test", "scopes": ["read"]}]})";
  json.resize(kMaxConfigBytes, ' ');
  auto config = ParseConfig(json);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->keys.size(), 1u);
}

struct MalformedCase {
  std::string name;
  std::string json;
  // The path the error message must start with, followed by ':'.
  std::string path;
};

std::vector<MalformedCase> MalformedCases() {
  const std::string deep_arrays = std::string(2000, '[') + std::string(2000, ']');
  const std::string deep_objects = [] {
    std::string s;
    for (int i = 0; i < 2000; ++i) s += R"({"a":)";
    s += "1";
    s += std::string(2000, '}');
    return s;
  }();
  return {
      {"empty document", "", "config"},
      {"only whitespace", " \n\t ", "config"},
      {"not JSON", "keys = wk_test", "config"},
      {"truncated object", R"({"keys": [{"key": "wk_test", "scopes": ["read"]})", "config"},
      {"truncated inside a string", R"({"keys": [{"key": "wk_te)", "config"},
      {"truncated after a key", R"({"keys")", "config"},
      {"top level array", R"([{"key": "wk_test", "scopes": ["read"]}])", "config"},
      {"top level string", R"("keys")", "config"},
      {"top level number", "42", "config"},
      {"top level null", "null", "config"},
      {"keys is an object", R"({"keys": {"key": "wk_test"}})", "keys"},
      {"keys is a string", R"({"keys": "wk_test"})", "keys"},
      {"keys is null", R"({"keys": null})", "keys"},
      {"key entry is a string", R"({"keys": ["wk_test"]})", "keys[0]"},
      {"second key entry is a number", R"({"keys": [{"key": "wk_test", "scopes": ["write"]}, 5]})",
       "keys[1]"},
      {"key entry is an array", R"({"keys": [["wk_test", "write"]]})", "keys[0]"},
      {"missing key", R"({"keys": [{"scopes": ["read"]}]})", "keys[0]"},
      {"missing scopes", R"({"keys": [{"key": "rk_test"}]})", "keys[0]"},
      {"key is a number", R"({"keys": [{"key": 1234, "scopes": ["read"]}]})", "keys[0].key"},
      {"key is null", R"({"keys": [{"key": null, "scopes": ["read"]}]})", "keys[0].key"},
      {"scopes is a string", R"({"keys": [{"key": "rk_test", "scopes": "read"}]})",
       "keys[0].scopes"},
      {"scope is a number", R"({"keys": [{"key": "rk_test", "scopes": ["read", 2]}]})",
       "keys[0].scopes[1]"},
      {"scope is an object", R"({"keys": [{"key": "rk_test", "scopes": [{"read": true}]}]})",
       "keys[0].scopes[0]"},
      {"unknown scope",
       R"({"keys": [{"key": "wk_test", "scopes": ["write"]}, {"key": "rk_test", "scopes": ["root"]}]})",
       "keys[1].scopes[0]"},
      {"scope with wrong case", R"({"keys": [{"key": "rk_test", "scopes": ["Read"]}]})",
       "keys[0].scopes[0]"},
      {"empty scopes", R"({"keys": [{"key": "rk_test", "scopes": []}]})", "keys[0]"},
      {"unknown field in a key",
       R"({"keys": [{"key": "rk_test", "scopes": ["read"], "secret": "x"}]})", "keys[0]"},
      {"key with a space",
       R"({"keys": [{"key": "wk_test", "scopes": ["write"]}, {"key": "rk test", "scopes": ["read"]}]})",
       "keys[1]"},
      {"key with a slash", R"({"keys": [{"key": "rk/test", "scopes": ["read"]}]})", "keys[0]"},
      {"key with a NUL escape", R"({"keys": [{"key": "rk_\u0000test", "scopes": ["read"]}]})",
       "keys[0]"},
      {"key too short", R"({"keys": [{"key": "abc", "scopes": ["read"]}]})", "keys[0]"},
      {"key too long",
       R"({"keys": [{"key": ")" + std::string(257, 'k') + R"(", "scopes": ["read"]}]})", "keys[0]"},
      {"duplicate keys",
       R"({"keys": [{"key": "rk_test", "scopes": ["read"]}, {"key": "wk_test", "scopes": ["write"]},
                    {"key": "rk_test", "scopes": ["admin"]}]})",
       "keys[2]"},
      {"trailing content after the document", R"({"keys": []} x)", "config"},
      {"second document", R"({"keys": []} {"keys": []})", "config"},
      {"trailing comma in keys", R"({"keys": [{"key": "rk_test", "scopes": ["read"]},]})",
       "config"},
      {"deeply nested arrays in an ignored section", R"({"junk": )" + deep_arrays + "}", "config"},
      {"deeply nested objects in an ignored section", R"({"junk": )" + deep_objects + "}",
       "config"},
      {"unbalanced deep nesting", R"({"junk": )" + std::string(2000, '['), "config"},
      {"invalid UTF-8 in a key string",
       "{\"keys\": [{\"key\": \"rk_\xFFtest\", \"scopes\": [\"read\"]}]}", "config"},
      {"invalid UTF-8 in an ignored section", "{\"junk\": \"\xC3\x28\", \"keys\": []}", "config"},
      {"overlong UTF-8 in a name",
       "{\"keys\": [{\"key\": \"rk_test\", \"scopes\": [\"read\"], "
       "\"name\": \"\xC0\xAF\"}]}",
       "config"},
      {"identity is an array", R"({"identity": []})", "identity"},
      {"identity is null", R"({"identity": null})", "identity"},
      {"identity twice", R"({"identity": {}, "identity": {}})", "identity"},
      {"unknown field in identity", R"({"identity": {"type": []}})", "identity"},
      {"identity types is an object", R"({"identity": {"types": {"name": "passport"}}})",
       "identity.types"},
      {"identity type is a string", R"({"identity": {"types": ["passport"]}})",
       "identity.types[0]"},
      {"identity type without a name", R"({"identity": {"types": [{"linking": true}]}})",
       "identity.types[0]"},
      {"identity type name is a number", R"({"identity": {"types": [{"name": 7}]}})",
       "identity.types[0].name"},
      {"identity type name with upper case",
       R"({"identity": {"types": [{"name": "Passport", "paths": ["traits.passport"]}]}})",
       "identity.types[0].name"},
      {"identity type name too long",
       R"({"identity": {"types": [{"name": ")" + std::string(33, 'p') +
           R"(", "paths": ["traits.p"]}]}})",
       "identity.types[0].name"},
      {"unknown field in an identity type",
       R"({"identity": {"types": [{"name": "phone", "linking": true, "weight": 2}]}})",
       "identity.types[0]"},
      {"identity type configured twice",
       R"({"identity": {"types": [{"name": "phone"}, {"name": "email"}, {"name": "phone"}]}})",
       "identity.types[2].name"},
      {"custom identity type configured twice",
       R"({"identity": {"types": [{"name": "passport", "paths": ["traits.passport"]},
                                  {"name": "passport", "paths": ["traits.pp"]}]}})",
       "identity.types[1].name"},
      {"custom identity type without paths",
       R"({"identity": {"types": [{"name": "passport", "linking": true}]}})",
       "identity.types[0].paths"},
      {"custom identity type with no path",
       R"({"identity": {"types": [{"name": "passport", "paths": []}]}})",
       "identity.types[0].paths"},
      {"negative max_per_profile", R"({"identity": {"types": [{"name": "email",
       "max_per_profile": -1}]}})",
       "identity.types[0].max_per_profile"},
      {"max_per_profile over 32 bits", R"({"identity": {"types": [{"name": "email",
       "max_per_profile": 4294967296}]}})",
       "identity.types[0].max_per_profile"},
      {"fractional max_per_profile", R"({"identity": {"types": [{"name": "email",
       "max_per_profile": 1.5}]}})",
       "identity.types[0].max_per_profile"},
      {"max_per_profile is a string", R"({"identity": {"types": [{"name": "email",
       "max_per_profile": "5"}]}})",
       "identity.types[0].max_per_profile"},
      {"priority too large", R"({"identity": {"types": [{"name": "email",
       "priority": 10000000000}]}})",
       "identity.types[0].priority"},
      {"linking is a string", R"({"identity": {"types": [{"name": "phone", "linking": "yes"}]}})",
       "identity.types[0].linking"},
      {"paths is a string",
       R"({"identity": {"types": [{"name": "passport", "paths": "traits.passport"}]}})",
       "identity.types[0].paths"},
      {"path is a number", R"({"identity": {"types": [{"name": "passport", "paths": [1]}]}})",
       "identity.types[0].paths[0]"},
      {"empty path", R"({"identity": {"types": [{"name": "passport", "paths": [""]}]}})",
       "identity.types[0].paths[0]"},
      {"path with an empty segment",
       R"({"identity": {"types": [{"name": "passport", "paths": ["traits..passport"]}]}})",
       "identity.types[0].paths[0]"},
      {"path too long",
       R"({"identity": {"types": [{"name": "passport", "paths": [")" + std::string(257, 'p') +
           R"("]}]}})",
       "identity.types[0].paths[0]"},
      {"path into a server field",
       R"({"identity": {"types": [{"name": "passport", "paths": ["traits.p", "messageId"]}]}})",
       "identity.types[0].paths[1]"},
      {"path into the stamped source",
       R"({"identity": {"types": [{"name": "crm_id", "paths": ["source.id"]}]}})",
       "identity.types[0].paths[0]"},
      {"path into integrations",
       R"({"identity": {"types": [{"name": "crm_id", "paths": ["integrations.crm.id"]}]}})",
       "identity.types[0].paths[0]"},
      {"too many paths",
       R"({"identity": {"types": [{"name": "passport", "paths": [)" +
           [] {
             std::string paths;
             for (int i = 0; i < 17; ++i) paths += (i == 0 ? "\"p\"" : ",\"p\"");
             return paths;
           }() +
           R"(]}]}})",
       "identity.types[0].paths"},
      {"too many identity types",
       R"({"identity": {"types": [)" +
           [] {
             std::string types;
             for (int i = 0; i < 25; ++i) {
               types += (i == 0 ? "" : ",");
               types += R"({"name": "t)" + std::to_string(i) + R"(", "paths": ["traits.t"]})";
             }
             return types;
           }() +
           R"(]}})",
       "identity.types[24]"},
      {"blocked_values is a string", R"({"identity": {"blocked_values": "null"}})",
       "identity.blocked_values"},
      {"blocked value is null", R"({"identity": {"blocked_values": ["x", null]}})",
       "identity.blocked_values[1]"},
      {"blocked value too long",
       R"({"identity": {"blocked_values": [")" + std::string(256, 'b') + R"("]}})",
       "identity.blocked_values[0]"},
      {"default_region lower case", R"({"identity": {"default_region": "es"}})",
       "identity.default_region"},
      {"default_region of three letters", R"({"identity": {"default_region": "ESP"}})",
       "identity.default_region"},
      {"default_region is a number", R"({"identity": {"default_region": 34}})",
       "identity.default_region"},
      {"key name with a control character",
       R"({"keys": [{"key": "wk_test", "scopes": ["write"], "name": "web\tportal"}]})",
       "keys[0].name"},
      {"empty key name", R"({"keys": [{"key": "wk_test", "scopes": ["write"], "name": ""}]})",
       "keys[0].name"},
      {"key name too long",
       R"({"keys": [{"key": "wk_test", "scopes": ["write"], "name": ")" +
           std::string(kMaxKeyNameLength + 1, 'n') + R"("}]})",
       "keys[0].name"},
      {"key name is a number", R"({"keys": [{"key": "wk_test", "scopes": ["write"], "name": 3}]})",
       "keys[0].name"},
      {"description is a number",
       R"({"keys": [{"key": "wk_test", "scopes": ["write"], "description": 3}]})",
       "keys[0].description"},
      {"profiles is an array", R"({"profiles": []})", "profiles"},
      {"profiles twice", R"({"profiles": {}, "profiles": {}})", "profiles"},
      {"unknown field in profiles", R"({"profiles": {"priority": []}})", "profiles"},
      {"source_priority is a string", R"({"profiles": {"source_priority": "civil_register"}})",
       "profiles.source_priority"},
      {"source_priority entry is a number", R"({"profiles": {"source_priority": ["a", 1]}})",
       "profiles.source_priority[1]"},
      {"empty source name", R"({"profiles": {"source_priority": ["a", ""]}})",
       "profiles.source_priority[1]"},
      {"duplicate source name", R"({"profiles": {"source_priority": ["a", "b", "a"]}})",
       "profiles.source_priority[2]"},
      {"source name too long",
       R"({"profiles": {"source_priority": [")" + std::string(kMaxSourceNameBytes + 1, 's') +
           R"("]}})",
       "profiles.source_priority[0]"},
      {"too many sources",
       R"({"profiles": {"source_priority": [)" +
           [] {
             std::string names;
             for (std::size_t i = 0; i <= kMaxSourcePriorityEntries; ++i) {
               names += (i == 0 ? "\"s" : ",\"s") + std::to_string(i) + "\"";
             }
             return names;
           }() +
           R"(]}})",
       "profiles.source_priority"},
      {"invalid UTF-8 in a source name", "{\"profiles\": {\"source_priority\": [\"a\xFF\"]}}",
       "config"},
      {"over kMaxConfigBytes",
       R"({"keys": [], "pad": ")" + std::string(kMaxConfigBytes, 'p') + R"("})", "config"},
  };
}

TEST(ParseConfigTest, MalformedInputIsInvalidArgumentNamingThePath) {
  for (const MalformedCase& c : MalformedCases()) {
    auto config = ParseConfig(c.json);
    ASSERT_FALSE(config.ok()) << c.name;
    EXPECT_EQ(config.status().code(), StatusCode::kInvalidArgument) << c.name;
    const std::string message(config.status().message());
    EXPECT_EQ(message.substr(0, c.path.size() + 1), c.path + ":")
        << c.name << ": \"" << message << "\"";
  }
}

TEST(ParseConfigTest, IdentityDefaultsWhenAbsent) {
  auto config = ParseConfig(R"({"keys": []})");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  const IdentityConfig defaults = IdentityConfig::Defaults();
  ASSERT_EQ(config->identity.types.size(), defaults.types.size());
  for (std::size_t i = 0; i < defaults.types.size(); ++i) {
    EXPECT_EQ(config->identity.types[i].name, defaults.types[i].name);
    EXPECT_EQ(config->identity.types[i].linking, defaults.types[i].linking);
  }
  EXPECT_EQ(config->identity.blocked_values, defaults.blocked_values);
  EXPECT_EQ(config->identity.default_region, "ES");
  auto empty = ParseConfig(R"({"identity": {}})");
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_EQ(empty->identity.types.size(), kBuiltinIdentifierTypes);
  EXPECT_EQ(empty->identity.blocked_values, defaults.blocked_values);
}

TEST(ParseConfigTest, IdentitySectionOverridesBuiltinsAndAddsCustomTypes) {
  auto config = ParseConfig(R"({
    "identity": {
      "types": [
        {"name": "passport", "max_per_profile": 1, "priority": 95, "linking": true,
         "paths": ["traits.passport", "context.traits.passport"]},
        {"name": "phone", "linking": true},
        {"name": "national_id", "paths": ["traits.dni"]},
        {"name": "nuss", "linking": false, "paths": ["properties.nuss"]}
      ],
      "blocked_values": ["sin datos", "99999999R"],
      "default_region": "PT"
    },
    "keys": [{"key": "rk_test", "scopes": ["read"]}]})");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  const IdentityConfig& identity = config->identity;
  EXPECT_TRUE(identity.Validate().ok());
  const IdentityConfig defaults = IdentityConfig::Defaults();
  ASSERT_EQ(identity.types.size(), kBuiltinIdentifierTypes + 2);
  // Only the fields given change.
  const IdentifierRule& phone = identity.types[kPhone];
  EXPECT_TRUE(phone.linking);
  EXPECT_EQ(phone.max_per_profile, defaults.types[kPhone].max_per_profile);
  EXPECT_EQ(phone.priority, defaults.types[kPhone].priority);
  const IdentifierRule& national_id = identity.types[kNationalId];
  EXPECT_EQ(national_id.paths, std::vector<std::string>{"traits.dni"});
  EXPECT_EQ(national_id.max_per_profile, 1u);
  EXPECT_TRUE(national_id.linking);
  // Custom types follow the built-ins in the order given.
  ASSERT_EQ(identity.FindType("passport"), IdentifierType{kBuiltinIdentifierTypes});
  const IdentifierRule& passport = identity.types[kBuiltinIdentifierTypes];
  EXPECT_EQ(passport.max_per_profile, 1u);
  EXPECT_EQ(passport.priority, 95);
  EXPECT_TRUE(passport.linking);
  EXPECT_EQ(passport.paths,
            (std::vector<std::string>{"traits.passport", "context.traits.passport"}));
  ASSERT_EQ(identity.FindType("nuss"), IdentifierType{9});
  const IdentifierRule& nuss = identity.types[9];
  EXPECT_FALSE(nuss.linking);
  EXPECT_EQ(nuss.max_per_profile, 0u);
  EXPECT_EQ(nuss.priority, 0);
  // Blocked values are added to the defaults.
  std::vector<std::string> blocked = defaults.blocked_values;
  blocked.push_back("sin datos");
  blocked.push_back("99999999R");
  EXPECT_EQ(identity.blocked_values, blocked);
  EXPECT_EQ(identity.default_region, "PT");
}

TEST(ParseConfigTest, IdentityErrorsNameTheField) {
  auto config = ParseConfig(R"({"identity": {"types": [{"name": "phone", "weight": 2}]}})");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message(), "identity.types[0]: unknown field 'weight'");
  config = ParseConfig(R"({"identity": {"types": [{"name": "passport"}]}})");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message(),
            "identity.types[0].paths: a custom type needs at least one path");
  config = ParseConfig(R"({"identity": {"types": [{"name": "p", "paths": ["sentAt"]}]}})");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message(),
            "identity.types[0].paths[0]: 'sentAt' is set by the server; identifiers cannot be "
            "read there");
}

TEST(ParseConfigTest, UnknownScopeMessageNamesTheScopePath) {
  auto config = ParseConfig(
      R"({"keys": [{"key": "wk_test", "scopes": ["write"]}, {"key": "rk_test", "scopes": ["root"]}]})");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message().substr(0, 27), "keys[1].scopes[0]: unknown ");
}

TEST(ParseConfigTest, EveryPrefixOfAValidConfigIsRejectedWithoutCrashing) {
  const std::string json = kValidConfig;
  for (std::size_t n = 0; n < json.size(); ++n) {
    auto config = ParseConfig(json.substr(0, n));
    EXPECT_FALSE(config.ok()) << n;
    EXPECT_EQ(config.status().code(), StatusCode::kInvalidArgument) << n;
  }
}

}  // namespace
}  // namespace cdp::ingest
