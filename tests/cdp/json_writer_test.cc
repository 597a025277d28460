// Tests for cdp/json_writer.h: structure, commas, escaping and UTF-8 repair.
#include "cdp/json_writer.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace cdp {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

std::string Quoted(std::string_view value) {
  std::string out;
  AppendJsonString(out, value);
  return out;
}

TEST(JsonWriterTest, EmptyContainers) {
  EXPECT_EQ(JsonWriter().BeginObject().EndObject().str(), "{}");
  EXPECT_EQ(JsonWriter().BeginArray().EndArray().str(), "[]");
  EXPECT_EQ(
      JsonWriter().BeginArray().BeginObject().EndObject().BeginArray().EndArray().EndArray().str(),
      "[{},[]]");
}

TEST(JsonWriterTest, ScalarsAtTopLevel) {
  EXPECT_EQ(JsonWriter().Int(-5).str(), "-5");
  EXPECT_EQ(JsonWriter().Uint(7).str(), "7");
  EXPECT_EQ(JsonWriter().Bool(true).str(), "true");
  EXPECT_EQ(JsonWriter().Bool(false).str(), "false");
  EXPECT_EQ(JsonWriter().Null().str(), "null");
  EXPECT_EQ(JsonWriter().String("x").str(), "\"x\"");
}

TEST(JsonWriterTest, ObjectMembersAreSeparatedByCommas) {
  JsonWriter w;
  w.BeginObject().Key("a").Int(1).Key("b").String("two").Key("c").Bool(true).Key("d").Null();
  w.EndObject();
  EXPECT_EQ(w.str(), R"({"a":1,"b":"two","c":true,"d":null})");
}

TEST(JsonWriterTest, NestedObjectsAndArraysPlaceCommasCorrectly) {
  JsonWriter w;
  w.BeginObject();
  w.Key("list").BeginArray().Int(1).Int(2).BeginObject().Key("x").Int(3).EndObject();
  w.BeginArray().EndArray().BeginArray().Int(4).EndArray().EndArray();
  w.Key("obj").BeginObject().Key("inner").BeginObject().EndObject().Key("after").Int(5);
  w.EndObject();
  w.Key("empty").BeginArray().EndArray();
  w.Key("last").String("end");
  w.EndObject();
  EXPECT_EQ(w.str(), R"({"list":[1,2,{"x":3},[],[4]],"obj":{"inner":{},"after":5},"empty":[],)"
                     R"("last":"end"})");
}

TEST(JsonWriterTest, ArrayOfObjects) {
  JsonWriter w;
  w.BeginArray();
  for (int i = 0; i < 3; ++i) w.BeginObject().Key("i").Int(i).EndObject();
  w.EndArray();
  EXPECT_EQ(w.str(), R"([{"i":0},{"i":1},{"i":2}])");
}

TEST(JsonWriterTest, IntegerExtremes) {
  JsonWriter w;
  w.BeginArray()
      .Int(std::numeric_limits<std::int64_t>::min())
      .Int(std::numeric_limits<std::int64_t>::max())
      .Uint(std::numeric_limits<std::uint64_t>::max())
      .Int(0)
      .EndArray();
  EXPECT_EQ(w.str(), "[-9223372036854775808,9223372036854775807,18446744073709551615,0]");
}

TEST(JsonWriterTest, ReleaseReturnsTheDocument) {
  JsonWriter w;
  w.BeginArray().Int(1).EndArray();
  EXPECT_EQ(w.Release(), "[1]");
}

TEST(JsonWriterTest, EscapesQuotesBackslashAndNamedControls) {
  EXPECT_EQ(Quoted("a\"b"), R"("a\"b")");
  EXPECT_EQ(Quoted("a\\b"), R"("a\\b")");
  EXPECT_EQ(Quoted("\n\r\t\b\f"), R"("\n\r\t\b\f")");
  EXPECT_EQ(Quoted("/"), R"("/")");
  EXPECT_EQ(Quoted(""), R"("")");
}

TEST(JsonWriterTest, EscapesOtherControlCharactersAsUnicode) {
  EXPECT_EQ(Quoted(std::string_view("\0", 1)), R"("\u0000")");
  EXPECT_EQ(Quoted("\x01"), R"("\u0001")");
  EXPECT_EQ(Quoted("\x1f"), R"("\u001f")");
  EXPECT_EQ(Quoted("\x0b"), R"("\u000b")");
  EXPECT_EQ(Quoted("a\x1b[0m"), R"("a\u001b[0m")");
  EXPECT_EQ(Quoted(" ~\x7f"), "\" ~\x7f\"");
}

TEST(JsonWriterTest, EscapesEveryControlCharacter) {
  for (int c = 0; c < 0x20; ++c) {
    const std::string in(1, static_cast<char>(c));
    const std::string out = Quoted(in);
    ASSERT_GE(out.size(), 4u) << c;
    EXPECT_EQ(out[1], '\\') << c;
    for (char o : out) {
      EXPECT_GE(static_cast<int>(static_cast<unsigned char>(o)), 0x20) << c;
    }
  }
}

TEST(JsonWriterTest, KeysAreEscapedToo) {
  JsonWriter w;
  w.BeginObject().Key("a\"\n\x02").Int(1).EndObject();
  EXPECT_EQ(w.str(), R"({"a\"\n\u0002":1})");
}

TEST(JsonWriterTest, ValidMultiByteUtf8PassesThrough) {
  const std::vector<std::string_view> cases = {
      "\xC3\xA9",          // U+00E9, 2 bytes
      "\xC2\x80",          // U+0080, smallest 2-byte
      "\xDF\xBF",          // U+07FF, largest 2-byte
      "\xE0\xA0\x80",      // U+0800, smallest 3-byte
      "\xE2\x82\xAC",      // U+20AC euro sign
      "\xED\x9F\xBF",      // U+D7FF, just below the surrogates
      "\xEE\x80\x80",      // U+E000, just above the surrogates
      "\xEF\xBF\xBD",      // U+FFFD itself
      "\xEF\xBF\xBF",      // U+FFFF
      "\xF0\x90\x80\x80",  // U+10000, smallest 4-byte
      "\xF0\x9F\x98\x80",  // U+1F600 emoji
      "\xF4\x8F\xBF\xBF",  // U+10FFFF, largest code point
      // "Grüße 日本": the literal is split so that 'e' is not read as a hex digit.
      "Gr\xC3\xBC\xC3\x9F"  // NOLINT(bugprone-suspicious-missing-comma)
      "e \xE6\x97\xA5\xE6\x9C\xAC",
  };
  for (std::string_view in : cases) {
    EXPECT_EQ(Quoted(in), "\"" + std::string(in) + "\"");
  }
}

TEST(JsonWriterTest, InvalidUtf8IsReplacedByReplacementCharacter) {
  const std::string r(kReplacement);
  struct Case {
    std::string name;
    std::string in;
    std::string out;
  };
  const std::vector<Case> cases = {
      {"lone continuation byte", "a\x80z", "a" + r + "z"},
      {"lone continuation at end", "\xBF", r},
      {"truncated 2-byte at end", "a\xC3", "a" + r},
      {"truncated 3-byte at end", "\xE2\x82", r + r},
      {"truncated 4-byte at end", "\xF0\x9F\x98", r + r + r},
      {"truncated sequence before ASCII", "\xE2\x82z", r + r + "z"},
      {"lead byte followed by lead byte", "\xC3\xC3\xA9", r + "\xC3\xA9"},
      {"overlong 2-byte slash", "\xC0\xAF", r + r},
      {"overlong 2-byte C1", "\xC1\xBF", r + r},
      {"overlong 3-byte", "\xE0\x80\xAF", r + r + r},
      {"overlong 3-byte NUL", "\xE0\x80\x80", r + r + r},
      {"overlong 4-byte", "\xF0\x80\x80\xAF", r + r + r + r},
      {"surrogate U+D800", "\xED\xA0\x80", r + r + r},
      {"surrogate U+DFFF", "\xED\xBF\xBF", r + r + r},
      {"above U+10FFFF", "\xF4\x90\x80\x80", r + r + r + r},
      {"F5 lead byte", "\xF5\x80\x80\x80", r + r + r + r},
      {"F8 lead byte", "\xF8\x88\x80\x80\x80", r + r + r + r + r},
      {"FE and FF bytes", "\xFE\xFF", r + r},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Quoted(c.in), "\"" + c.out + "\"") << c.name;
  }
}

TEST(JsonWriterTest, InvalidUtf8InKeysIsReplacedToo) {
  JsonWriter w;
  w.BeginObject().Key("k\xFF").String("v\x80").EndObject();
  EXPECT_EQ(w.str(),
            "{\"k" + std::string(kReplacement) + "\":\"v" + std::string(kReplacement) + "\"}");
}

TEST(JsonWriterTest, FiniteDoublesRoundTrip) {
  JsonWriter w;
  w.BeginArray().Double(0.5).Double(-2.0).Double(0.1).Double(1e300).EndArray();
  EXPECT_EQ(w.str(), "[0.5,-2,0.10000000000000001,1.0000000000000001e+300]");
}

TEST(JsonWriterTest, NonFiniteDoublesAreNull) {
  JsonWriter w;
  w.BeginArray()
      .Double(std::numeric_limits<double>::infinity())
      .Double(-std::numeric_limits<double>::infinity())
      .Double(std::numeric_limits<double>::quiet_NaN())
      .EndArray();
  EXPECT_EQ(w.str(), "[null,null,null]");
}

TEST(JsonWriterTest, NonFiniteDoubleAsObjectValueIsNull) {
  JsonWriter w;
  w.BeginObject().Key("x").Double(std::numeric_limits<double>::quiet_NaN()).Key("y").Int(1);
  w.EndObject();
  EXPECT_EQ(w.str(), R"({"x":null,"y":1})");
}

TEST(JsonWriterTest, RawIsInsertedVerbatimAsOneValue) {
  JsonWriter w;
  w.BeginObject().Key("a").Raw(R"({"n":[1,2]})").Key("b").Raw("3").EndObject();
  EXPECT_EQ(w.str(), R"({"a":{"n":[1,2]},"b":3})");

  JsonWriter array;
  array.BeginArray().Raw("true").Raw(R"("s")").Int(4).EndArray();
  EXPECT_EQ(array.str(), R"([true,"s",4])");
}

}  // namespace
}  // namespace cdp
