// Tests for cdp/auth.h: key validation, authorization, header parsing, base64 and key output.
#include "cdp/auth.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cdp {
namespace {

KeySet MakeKeys() {
  auto keys = KeySet::Create({
      {"wk_test", {Scope::kWrite}},
      {"rk_test", {Scope::kRead}},
      {"ak_test", {Scope::kRead, Scope::kWrite, Scope::kAdmin}},
  });
  EXPECT_TRUE(keys.ok()) << keys.status().ToString();
  return std::move(keys).value();
}

TEST(ScopeTest, NamesRoundTripThroughParseScope) {
  for (Scope s : {Scope::kRead, Scope::kWrite, Scope::kAdmin}) {
    auto parsed = ParseScope(ScopeName(s));
    ASSERT_TRUE(parsed.ok()) << ScopeName(s);
    EXPECT_EQ(*parsed, s);
  }
  EXPECT_EQ(ScopeName(Scope::kRead), "read");
  EXPECT_EQ(ScopeName(Scope::kWrite), "write");
  EXPECT_EQ(ScopeName(Scope::kAdmin), "admin");
}

TEST(ScopeTest, UnknownScopeNameIsInvalidArgument) {
  for (std::string_view name : {"", "Read", "READ", "delete", "read "}) {
    EXPECT_EQ(ParseScope(name).status().code(), StatusCode::kInvalidArgument) << name;
  }
}

TEST(ScopeSetTest, HasOnlyTheAddedScopes) {
  ScopeSet set;
  EXPECT_TRUE(set.empty());
  set.Add(Scope::kWrite);
  EXPECT_FALSE(set.empty());
  EXPECT_TRUE(set.Has(Scope::kWrite));
  EXPECT_FALSE(set.Has(Scope::kRead));
  EXPECT_FALSE(set.Has(Scope::kAdmin));
  EXPECT_EQ(set, (ScopeSet{Scope::kWrite}));
  EXPECT_FALSE(set == (ScopeSet{Scope::kWrite, Scope::kRead}));
}

TEST(KeySetTest, ValidKeysAreAccepted) {
  const std::string longest(KeySet::kMaxKeyLength, 'k');
  auto keys = KeySet::Create({
      {"abcd", {Scope::kRead}},
      {"AZaz09_.-", {Scope::kWrite}},
      {longest, {Scope::kAdmin}},
  });
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  EXPECT_EQ(keys->keys().size(), 3u);
  EXPECT_EQ(keys->keys()[1].key, "AZaz09_.-");
}

TEST(KeySetTest, EmptyListIsAccepted) {
  auto keys = KeySet::Create({});
  ASSERT_TRUE(keys.ok());
  EXPECT_TRUE(keys->keys().empty());
  EXPECT_FALSE(keys->Lookup("anything").has_value());
}

TEST(KeySetTest, InvalidKeysAreRejectedNamingTheIndex) {
  struct Case {
    std::string name;
    std::vector<ApiKey> keys;
    std::string where;
  };
  const std::vector<Case> cases = {
      {"empty", {{"", {Scope::kRead}}}, "keys[0]"},
      {"too short", {{"good_key", {Scope::kRead}}, {"abc", {Scope::kRead}}}, "keys[1]"},
      {"too long", {{std::string(KeySet::kMaxKeyLength + 1, 'k'), {Scope::kRead}}}, "keys[0]"},
      {"space", {{"ab cd", {Scope::kRead}}}, "keys[0]"},
      {"slash", {{"ab/cd", {Scope::kRead}}}, "keys[0]"},
      {"colon", {{"ab:cd", {Scope::kRead}}}, "keys[0]"},
      {"quote", {{"ab\"cd", {Scope::kRead}}}, "keys[0]"},
      {"nul", {{std::string("ab\0cd", 5), {Scope::kRead}}}, "keys[0]"},
      {"non-ascii", {{"cl\xC3\xA9s", {Scope::kRead}}}, "keys[0]"},
      {"no scope", {{"good_key", {}}}, "keys[0]"},
      {"duplicate",
       {{"good_key", {Scope::kRead}}, {"other_key", {Scope::kRead}}, {"good_key", {Scope::kWrite}}},
       "keys[2]"},
      {"name with a control character", {{"good_key", {Scope::kWrite}, "web\tportal"}}, "keys[0]"},
      {"name too long",
       {{"good_key", {Scope::kWrite}, std::string(kMaxKeyNameLength + 1, 'n')}},
       "keys[0]"},
  };
  for (const Case& c : cases) {
    auto keys = KeySet::Create(c.keys);
    ASSERT_FALSE(keys.ok()) << c.name;
    EXPECT_EQ(keys.status().code(), StatusCode::kInvalidArgument) << c.name;
    EXPECT_EQ(keys.status().message().substr(0, c.where.size() + 1), c.where + ":")
        << c.name << ": " << keys.status().message();
  }
}

TEST(KeySetTest, DuplicateKeyIsRejected) {
  auto keys = KeySet::Create({{"same_key", {Scope::kRead}}, {"same_key", {Scope::kRead}}});
  ASSERT_FALSE(keys.ok());
  EXPECT_EQ(keys.status(), InvalidArgumentError("keys[1]: duplicate key"));
}

TEST(KeySetTest, LookupReturnsScopesOfKnownKeysOnly) {
  const KeySet keys = MakeKeys();
  EXPECT_EQ(keys.Lookup("wk_test"), ScopeSet{Scope::kWrite});
  EXPECT_EQ(keys.Lookup("ak_test"), (ScopeSet{Scope::kRead, Scope::kWrite, Scope::kAdmin}));
  EXPECT_FALSE(keys.Lookup("nope_key").has_value());
  EXPECT_FALSE(keys.Lookup("WK_TEST").has_value());
  EXPECT_FALSE(keys.Lookup("wk_tes").has_value());
  EXPECT_FALSE(keys.Lookup("").has_value());
}

TEST(KeySetTest, AuthorizeWithoutKeyIsUnauthenticated) {
  const KeySet keys = MakeKeys();
  EXPECT_EQ(keys.Authorize(std::nullopt, Scope::kRead).code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(keys.Authorize(std::string_view(), Scope::kRead).code(), StatusCode::kUnauthenticated);
}

TEST(KeySetTest, AuthorizeWithUnknownKeyIsUnauthenticated) {
  const KeySet keys = MakeKeys();
  EXPECT_EQ(keys.Authorize("xx_test", Scope::kRead).code(), StatusCode::kUnauthenticated);
}

TEST(KeySetTest, AuthorizeWithoutScopeIsPermissionDenied) {
  const KeySet keys = MakeKeys();
  const Status s = keys.Authorize("rk_test", Scope::kWrite);
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(s.message().find("write"), std::string_view::npos) << s.message();
  EXPECT_EQ(keys.Authorize("wk_test", Scope::kRead).code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(keys.Authorize("wk_test", Scope::kAdmin).code(), StatusCode::kPermissionDenied);
}

TEST(KeySetTest, AuthorizeWithScopeIsOk) {
  const KeySet keys = MakeKeys();
  EXPECT_TRUE(keys.Authorize("rk_test", Scope::kRead).ok());
  EXPECT_TRUE(keys.Authorize("wk_test", Scope::kWrite).ok());
  for (Scope s : {Scope::kRead, Scope::kWrite, Scope::kAdmin}) {
    EXPECT_TRUE(keys.Authorize("ak_test", s).ok()) << ScopeName(s);
  }
}

TEST(AuthorizationHeaderTest, AcceptedFormsYieldTheKey) {
  struct Case {
    std::string header;
    std::string key;
  };
  const std::vector<Case> cases = {
      {"Basic " + Base64Encode("wk_test:"), "wk_test"},
      {"Basic " + Base64Encode("wk_test:any password"), "wk_test"},
      {"Basic " + Base64Encode("wk_test:pass:with:colons"), "wk_test"},
      {"Basic " + Base64Encode("wk_test"), "wk_test"},
      {"Bearer wk_test", "wk_test"},
      {"bearer wk_test", "wk_test"},
      {"BEARER wk_test", "wk_test"},
      {"basic " + Base64Encode("wk_test:"), "wk_test"},
      {"BaSiC " + Base64Encode("wk_test:"), "wk_test"},
      {"  Bearer   wk_test  ", "wk_test"},
      {"\tBearer wk_test\t", "wk_test"},
      {"Basic    " + Base64Encode("wk_test:") + "   ", "wk_test"},
      // Padding is optional.
      {"Basic d2tfdGVzdDo", "wk_test"},
  };
  for (const Case& c : cases) {
    auto key = KeyFromAuthorizationHeader(c.header);
    ASSERT_TRUE(key.ok()) << "[" << c.header << "] " << key.status().ToString();
    EXPECT_EQ(*key, c.key) << "[" << c.header << "]";
  }
}

TEST(AuthorizationHeaderTest, MalformedHeadersAreUnauthenticated) {
  const std::vector<std::string> cases = {
      "",
      "   ",
      "Bearer",
      "Bearer ",
      "Bearer     ",
      "Basic",
      "Basic ",
      "Basic !!!!",
      "Basic d2tf*GVzdDo=",
      "Basic d2tfd",                         // truncated: 4n+1 characters
      "Basic " + Base64Encode(":password"),  // empty user name
      "Basic " + Base64Encode(":"),
      "Basic " + Base64Encode(""),
      "Digest username=\"wk_test\"",
      "Token wk_test",
      "wk_test",
      "Bearerwk_test",
      "Basicd2tfdGVzdDo=",
  };
  for (const std::string& header : cases) {
    auto key = KeyFromAuthorizationHeader(header);
    ASSERT_FALSE(key.ok()) << "[" << header << "] gave " << *key;
    EXPECT_EQ(key.status().code(), StatusCode::kUnauthenticated) << "[" << header << "]";
  }
}

TEST(Base64Test, EncodesRfc4648Vectors) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("foob"), "Zm9vYg==");
  EXPECT_EQ(Base64Encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64Encode("\xFB\xFF"), "+/8=");
}

TEST(Base64Test, DecodesWithAndWithoutPadding) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", ""},
      {"Zg==", "f"},
      {"Zg", "f"},
      {"Zm8=", "fo"},
      {"Zm8", "fo"},
      {"Zm9v", "foo"},
      {"Zm9vYg==", "foob"},
      {"Zm9vYmE=", "fooba"},
      {"Zm9vYmE", "fooba"},
      {"Zm9vYmFy", "foobar"},
      {"+/8=", "\xFB\xFF"},
  };
  for (const auto& [in, want] : cases) {
    auto out = Base64Decode(in);
    ASSERT_TRUE(out.ok()) << in << ": " << out.status().ToString();
    EXPECT_EQ(*out, want) << in;
  }
}

TEST(Base64Test, MalformedInputIsInvalidArgument) {
  for (std::string_view in : {"Z", "Zm9vY", "Zm9vY===", "Zm9v!", "Zm 9v", "Zm=9v", "-_8=", "Zm9v\n",
                              "\xC3\xA9\xC3\xA9"}) {
    auto out = Base64Decode(in);
    EXPECT_FALSE(out.ok()) << in;
    EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument) << in;
  }
}

TEST(Base64Test, RoundTripsLengthsZeroToTwenty) {
  for (std::size_t len = 0; len <= 20; ++len) {
    std::string in;
    for (std::size_t i = 0; i < len; ++i) {
      in += static_cast<char>((i * 73 + len * 11 + 200) % 256);
    }
    const std::string encoded = Base64Encode(in);
    EXPECT_EQ(encoded.size(), (len + 2) / 3 * 4) << len;
    auto decoded = Base64Decode(encoded);
    ASSERT_TRUE(decoded.ok()) << len;
    EXPECT_EQ(*decoded, in) << len;
  }
}

TEST(Base64Test, RoundTripsAllByteValues) {
  std::string in;
  for (int b = 0; b < 256; ++b) in += static_cast<char>(b);
  for (std::size_t offset = 0; offset < 3; ++offset) {
    const std::string slice = in.substr(offset);
    auto decoded = Base64Decode(Base64Encode(slice));
    ASSERT_TRUE(decoded.ok()) << offset;
    EXPECT_EQ(*decoded, slice) << offset;
  }
}

bool IsLowerHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

TEST(GenerateKeyTest, IsPrefixUnderscoreAnd32HexDigits) {
  const std::string key = GenerateKey("wk");
  ASSERT_EQ(key.size(), 3u + 32u) << key;
  EXPECT_EQ(key.substr(0, 3), "wk_");
  for (std::size_t i = 3; i < key.size(); ++i) {
    EXPECT_TRUE(IsLowerHex(key[i])) << key;
  }
}

TEST(GenerateKeyTest, TwoCallsDiffer) { EXPECT_NE(GenerateKey("ak"), GenerateKey("ak")); }

TEST(GenerateKeyTest, GeneratedKeyIsAValidKey) {
  auto keys = KeySet::Create({{GenerateKey("rk"), {Scope::kRead}}});
  EXPECT_TRUE(keys.ok()) << keys.status().ToString();
}

TEST(RenderKeysJsonTest, RendersKeysWithScopesInFixedOrder) {
  const std::vector<ApiKey> keys = {
      {"wk_test", {Scope::kWrite}},
      {"ak_test", {Scope::kAdmin, Scope::kWrite, Scope::kRead}},
  };
  EXPECT_EQ(RenderKeysJson(keys),
            "{\"keys\":[{\"key\":\"wk_test\",\"scopes\":[\"write\"]},"
            "{\"key\":\"ak_test\",\"scopes\":[\"read\",\"write\",\"admin\"]}]}\n");
}

TEST(KeySetTest, FindGivesTheKeysNameAndNamesMayRepeat) {
  auto keys = KeySet::Create({{"wk_old", {Scope::kWrite}, "civil_register"},
                              {"wk_new", {Scope::kWrite}, "civil_register"},
                              {"wk_anon", {Scope::kWrite}}});
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  ASSERT_NE(keys->Find("wk_new"), nullptr);
  EXPECT_EQ(keys->Find("wk_new")->name, "civil_register");
  EXPECT_EQ(keys->Find("wk_anon")->name, "");
  EXPECT_EQ(keys->Find("wk_other"), nullptr);
  EXPECT_EQ(keys->Lookup("wk_old"), ScopeSet{Scope::kWrite});
}

TEST(KeySetTest, ValidKeyNamesAreShortTextWithoutControlCharacters) {
  EXPECT_TRUE(IsValidKeyName("civil_register"));
  EXPECT_TRUE(IsValidKeyName("A.b-9_"));
  EXPECT_TRUE(IsValidKeyName(std::string(kMaxKeyNameLength, 'n')));
  EXPECT_FALSE(IsValidKeyName(""));
  EXPECT_FALSE(IsValidKeyName(std::string(kMaxKeyNameLength + 1, 'n')));
  EXPECT_TRUE(IsValidKeyName("web portal"));
  EXPECT_FALSE(IsValidKeyName(" web"));
  EXPECT_FALSE(IsValidKeyName("web "));
  EXPECT_TRUE(IsValidKeyName("say \"hi\""));
  EXPECT_FALSE(IsValidKeyName("tab\there"));
  EXPECT_FALSE(IsValidKeyName("new\nline"));
  EXPECT_TRUE(IsValidKeyName("Padr\xC3\xB3n"));
}

TEST(RenderKeysJsonTest, RendersANameWhenSet) {
  EXPECT_EQ(RenderKeysJson({{"wk_test", {Scope::kWrite}, "office"}}),
            "{\"keys\":[{\"key\":\"wk_test\",\"scopes\":[\"write\"],\"name\":\"office\"}]}\n");
}

TEST(RenderKeysJsonTest, RendersEmptySet) { EXPECT_EQ(RenderKeysJson({}), "{\"keys\":[]}\n"); }

}  // namespace
}  // namespace cdp
