// The readers of labelled data sets: FEBRL (", " separators, CRLF), Splink's fake_1000,
// RLdata and `cdp gen` output, from small inline fixtures, with a table of malformed inputs.
#include "tools/linkage_csv.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <string>
#include <vector>

namespace cdp::tools {
namespace {

// The string at `pointer` in a message, or "<absent>".
std::string At(const LabelledMessage& m, const char* pointer) {
  static simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(m.json).get(root) != simdjson::SUCCESS) return "<not json>";
  std::string_view value;
  if (root.at_pointer(pointer).get(value) != simdjson::SUCCESS) return "<absent>";
  return std::string(value);
}

constexpr char kFebrlHeader[] =
    "rec_id, given_name, surname, street_number, address_1, address_2, suburb, postcode, "
    "state, date_of_birth, soc_sec_id";

TEST(LinkageCsvTest, ReadsFebrlWithCommaSpaceSeparatorsCrlfAndNoFinalNewline) {
  const std::string text =
      std::string(kFebrlHeader) +
      "\r\nrec-223-org, , waller, 6, tullaroop street, willaroo, st james, 4011, wa, 19081209, "
      "6988048\r\n"
      "rec-223-dup-0, jo, walker, , tullaroop st, , st james, 4011, wa, 19560231, 6988048\r\n"
      "rec-122-org, lachlan, berry, 69, giblin street, killarney, bittern, 4814, qld, 1999, "
      "7364009";
  LinkageReadStats stats;
  auto records = ParseLinkageCsv(text, "dataset1", &stats);
  ASSERT_TRUE(records.ok()) << records.status().ToString();
  EXPECT_EQ(stats.format, LinkageFormat::kFebrl);
  EXPECT_EQ(stats.rows, 3u);
  EXPECT_EQ(stats.skipped, 0u);
  ASSERT_EQ(records->size(), 3u);
  const LabelledMessage& a = (*records)[0];
  EXPECT_EQ(a.anonymous_id, "csv-dataset1-rec-223-org");
  EXPECT_EQ(a.entity, "febrl:223");
  EXPECT_EQ((*records)[1].entity, "febrl:223");
  EXPECT_EQ((*records)[2].entity, "febrl:122");
  EXPECT_EQ(At(a, "/type"), "identify");
  EXPECT_EQ(At(a, "/anonymousId"), a.anonymous_id);
  EXPECT_EQ(At(a, "/messageId"), a.anonymous_id);
  EXPECT_EQ(At(a, "/traits/firstName"), "<absent>") << "empty means missing";
  EXPECT_EQ(At(a, "/traits/lastName"), "waller");
  EXPECT_EQ(At(a, "/traits/address/street"), "6 tullaroop street");
  EXPECT_EQ(At(a, "/traits/address/city"), "st james");
  EXPECT_EQ(At(a, "/traits/address/postalCode"), "4011");
  EXPECT_EQ(At(a, "/traits/birthday"), "1908-12-09");
  EXPECT_EQ(At(a, "/traits/documentId"), "6988048");
  const LabelledMessage& b = (*records)[1];
  EXPECT_EQ(At(b, "/traits/address/street"), "tullaroop st");
  EXPECT_EQ(At(b, "/traits/birthday"), "1956-02-31") << "an impossible date is kept";
  EXPECT_EQ(At((*records)[2], "/traits/birthday"), "1999") << "not eight digits: as given";
}

TEST(LinkageCsvTest, ReadsSplinkFake1000) {
  const std::string text =
      "unique_id,first_name,surname,dob,city,email,cluster\n"
      "0,Robert,Alan,1971-06-24,,robert255@smith.net,0\n"
      "1,Julia ,,2015-10-29,London,,1\n"
      "2,Robert,Allen,1971-05-24,,roberta25@smith.net,0\n";
  LinkageReadStats stats;
  auto records = ParseLinkageCsv(text, "fake_1000", &stats);
  ASSERT_TRUE(records.ok()) << records.status().ToString();
  EXPECT_EQ(stats.format, LinkageFormat::kSplinkFake);
  ASSERT_EQ(records->size(), 3u);
  EXPECT_EQ((*records)[0].entity, "fake_1000:0");
  EXPECT_EQ((*records)[2].entity, "fake_1000:0");
  EXPECT_EQ((*records)[1].entity, "fake_1000:1");
  EXPECT_EQ((*records)[0].anonymous_id, "csv-fake_1000-0");
  EXPECT_EQ(At((*records)[0], "/traits/email"), "robert255@smith.net");
  EXPECT_EQ(At((*records)[0], "/traits/birthday"), "1971-06-24");
  EXPECT_EQ(At((*records)[0], "/traits/address"), "<absent>");
  EXPECT_EQ(At((*records)[1], "/traits/firstName"), "Julia ") << "values as given";
  EXPECT_EQ(At((*records)[1], "/traits/lastName"), "<absent>");
  EXPECT_EQ(At((*records)[1], "/traits/address/city"), "London");
}

TEST(LinkageCsvTest, ReadsRlData) {
  const std::string text =
      "record_id,label_true,fname_c1,fname_c2,lname_c1,lname_c2,by,bm,bd\n"
      "0,34,CARSTEN,,MEIER,,1949,7,22\n"
      "1,34,CARSTEN,HANS,MEIER,SCHMIDT,1949,12,2\n";
  auto records = ParseLinkageCsv(text, "RLdata500");
  ASSERT_TRUE(records.ok()) << records.status().ToString();
  ASSERT_EQ(records->size(), 2u);
  EXPECT_EQ((*records)[0].entity, "RLdata500:34");
  EXPECT_EQ((*records)[0].entity, (*records)[1].entity);
  EXPECT_EQ(At((*records)[0], "/traits/firstName"), "CARSTEN");
  EXPECT_EQ(At((*records)[0], "/traits/secondLastName"), "<absent>");
  EXPECT_EQ(At((*records)[0], "/traits/birthday"), "1949-07-22");
  EXPECT_EQ(At((*records)[1], "/traits/firstName"), "CARSTEN HANS");
  EXPECT_EQ(At((*records)[1], "/traits/lastName"), "MEIER");
  EXPECT_EQ(At((*records)[1], "/traits/secondLastName"), "SCHMIDT");
  EXPECT_EQ(At((*records)[1], "/traits/birthday"), "1949-12-02");
}

TEST(LinkageCsvTest, QuotedFieldsAndByteOrderMark) {
  const std::string text =
      "\xEF\xBB\xBFunique_id,first_name,surname,dob,city,email,cluster\n"
      "7,\"Ana, María\",\"O\"\"Neill\",,\"\",,3\n";
  auto records = ParseLinkageCsv(text, "f");
  ASSERT_TRUE(records.ok()) << records.status().ToString();
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ(At((*records)[0], "/traits/firstName"), "Ana, María");
  EXPECT_EQ(At((*records)[0], "/traits/lastName"), "O\"Neill");
}

struct MalformedRow {
  const char* name;
  const char* row;
  const char* problem;  // a substring of the reported reason
};

class LinkageCsvMalformedRowTest : public ::testing::TestWithParam<MalformedRow> {};

TEST_P(LinkageCsvMalformedRowTest, IsSkippedAndCountedWhileTheOthersAreRead) {
  const std::string text = std::string("unique_id,first_name,surname,dob,city,email,cluster\n") +
                           "1,Ana,Gil,,,,1\n" + GetParam().row + "\n2,Eva,Sanz,,,,2\n";
  LinkageReadStats stats;
  auto records = ParseLinkageCsv(text, "f", &stats);
  ASSERT_TRUE(records.ok()) << records.status().ToString();
  EXPECT_EQ(records->size(), 2u);
  EXPECT_EQ(stats.rows, 3u);
  EXPECT_EQ(stats.skipped, 1u);
  ASSERT_EQ(stats.problems.size(), 1u);
  EXPECT_NE(stats.problems[0].find("line 3"), std::string::npos) << stats.problems[0];
  EXPECT_NE(stats.problems[0].find(GetParam().problem), std::string::npos) << stats.problems[0];
}

INSTANTIATE_TEST_SUITE_P(
    Rows, LinkageCsvMalformedRowTest,
    ::testing::Values(MalformedRow{"TooFewFields", "3,Ana,Gil,,,4", "6 fields"},
                      MalformedRow{"TooManyFields", "3,Ana,Gil,,,,4,extra", "8 fields"},
                      MalformedRow{"UnterminatedQuote", "3,\"Ana,Gil,,,,4", "unterminated"},
                      MalformedRow{"TextAfterQuote", "3,\"Ana\"x,Gil,,,,4", "closing quote"},
                      MalformedRow{"QuoteInsideField", "3,An\"a,Gil,,,,4", "quote inside"},
                      MalformedRow{"EmptyCluster", "3,Ana,Gil,,,,", "cluster is empty"},
                      MalformedRow{"OnlyCommas", ",,,,,,", "empty"},
                      MalformedRow{"Garbage", "\x01\x02\xff\xfe", "1 fields"}),
    [](const ::testing::TestParamInfo<MalformedRow>& row) { return row.param.name; });

TEST(LinkageCsvTest, FebrlRecordIdsMustFollowThePattern) {
  for (const char* id : {"rec-x-org", "rec-1-copy", "rec-1-dup-", "record-1-org", "rec--org"}) {
    const std::string text = std::string(kFebrlHeader) + "\n" + id +
                             ", a, b, 1, c, d, e, 4000, nsw, 19000101, 1\n"
                             "rec-1-org, a, b, 1, c, d, e, 4000, nsw, 19000101, 1\n";
    LinkageReadStats stats;
    auto records = ParseLinkageCsv(text, "d", &stats);
    ASSERT_TRUE(records.ok()) << id;
    EXPECT_EQ(records->size(), 1u) << id;
    EXPECT_EQ(stats.skipped, 1u) << id;
  }
}

TEST(LinkageCsvTest, UnusableInputsAreClearErrors) {
  struct Case {
    const char* name;
    std::string text;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"empty", "", "no header"},
      {"blank lines", "\n\r\n  \n", "no header"},
      {"unknown header", "id,name,label\n1,a,2\n", "unknown CSV header"},
      {"header only", "unique_id,first_name,surname,dob,city,email,cluster\n", "no usable row"},
      {"every row bad", "unique_id,first_name,surname,dob,city,email,cluster\n1,2\n3\n",
       "no usable row"},
      {"duplicate id",
       "unique_id,first_name,surname,dob,city,email,cluster\n1,a,,,,,1\n1,b,,,,,2\n",
       "duplicate record id"},
  };
  for (const Case& c : cases) {
    LinkageReadStats stats;
    auto records = ParseLinkageCsv(c.text, "x", &stats);
    ASSERT_FALSE(records.ok()) << c.name;
    EXPECT_EQ(records.status().code(), StatusCode::kInvalidArgument) << c.name;
    EXPECT_NE(records.status().message().find(c.message), std::string_view::npos)
        << c.name << ": " << records.status().ToString();
  }
}

TEST(LinkageCsvTest, ArbitraryBytesNeverCrash) {
  std::string text = "record_id,label_true,fname_c1,fname_c2,lname_c1,lname_c2,by,bm,bd\n";
  std::uint64_t state = 12345;
  for (int line = 0; line < 300; ++line) {
    const int length = static_cast<int>(state % 60);
    for (int i = 0; i < length; ++i) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      const char alphabet[] = ",\",,\r ab1\xC3\xA9\x00\xff";
      text += alphabet[(state >> 33) % (sizeof(alphabet) - 1)];
    }
    text += '\n';
  }
  text += "5,9,ANA,,GIL,,1980,1,2\n";
  LinkageReadStats stats;
  auto records = ParseLinkageCsv(text, "r", &stats);
  ASSERT_TRUE(records.ok()) << records.status().ToString();
  EXPECT_GE(records->size(), 1u);
  EXPECT_LE(stats.problems.size(), 5u);
}

TEST(LinkageCsvTest, ReadsGeneratedEventsWithTheirTruth) {
  const std::string events = R"({"type":"identify","anonymousId":"a1","traits":{"email":"x@y.es"}})"
                             "\n"
                             R"({"type":"identify","anonymousId":"a2"})"
                             "\r\n\n"
                             "not json\n"
                             R"({"type":"identify","userId":"u"})"
                             "\n"
                             R"({"type":"identify","anonymousId":"a3"})"
                             "\n"
                             R"({"type":"identify","anonymousId":"a9"})";
  const std::string truth = "anonymous_id,person_id\na1,1\na2,1\na3,2\n";
  LinkageReadStats stats;
  auto records = ParseGeneratedEvents(events, truth, &stats);
  ASSERT_TRUE(records.ok()) << records.status().ToString();
  ASSERT_EQ(records->size(), 3u);
  EXPECT_EQ(stats.rows, 6u);
  EXPECT_EQ(stats.skipped, 3u);
  EXPECT_EQ((*records)[0].entity, "gen:1");
  EXPECT_EQ((*records)[1].entity, "gen:1");
  EXPECT_EQ((*records)[2].entity, "gen:2");
  EXPECT_EQ((*records)[1].json, R"({"type":"identify","anonymousId":"a2"})");

  EXPECT_FALSE(ParseGeneratedEvents(events, "id,person\na1,1\n").ok());
  EXPECT_FALSE(ParseGeneratedEvents(events, "anonymous_id,person_id\na1\n").ok());
  EXPECT_FALSE(ParseGeneratedEvents(events, "anonymous_id,person_id\na1,1\na1,2\n").ok());
  EXPECT_FALSE(ParseGeneratedEvents(events, "").ok());
  EXPECT_FALSE(ParseGeneratedEvents("", truth).ok());
}

TEST(LinkageCsvTest, MissingFilesAreNotFound) {
  EXPECT_EQ(ReadLinkageCsv("/nonexistent/x.csv").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ReadGeneratedEvents("/nonexistent/e", "/nonexistent/t").status().code(),
            StatusCode::kNotFound);
}

}  // namespace
}  // namespace cdp::tools
