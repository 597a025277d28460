// Tests for person records: name splitting, nicknames, birth dates, genders, and the
// identifier encoding with its malformed values.
#include "cdp/person.h"

#include <gtest/gtest.h>

#include <array>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "cdp/identifier.h"

namespace cdp {

// Found by argument-dependent lookup when a test prints a record.
static void PrintTo(const PersonRecord& r, std::ostream* os) {
  *os << "{given \"" << r.given << "\", surnames \"" << r.surname1 << "\" \"" << r.surname2
      << "\", birth " << r.birth.year << "-" << int{r.birth.month} << "-" << int{r.birth.day}
      << ", street \"" << r.street << "\", city \"" << r.city << "\", postal \"" << r.postal_code
      << "\", phone \"" << r.phone << "\", email \"" << r.email << "\", document \"" << r.document
      << "\", gender " << int{static_cast<std::uint8_t>(r.gender)} << "}";
}

namespace {

struct NameCase {
  std::string_view first, last, second, full;
  std::string_view given, surname1, surname2;
};

TEST(PersonRecordTest, SplitsNamesAndDropsSurnameParticles) {
  const NameCase cases[] = {
      // First and last name.
      {"ana", "garcia lopez", "", "", "ana", "garcia", "lopez"},
      {"jose maria", "garcia", "", "", "jose maria", "garcia", ""},
      {"maria del carmen", "garcia de la fuente", "", "", "maria del carmen", "garcia", "fuente"},
      {"ana", "de los rios", "", "", "ana", "rios", ""},
      {"ana", "de las heras del valle", "", "", "ana", "heras", "valle"},
      {"ana", "ortega y gasset", "", "", "ana", "ortega", "gasset"},
      {"jose", "san martin", "", "", "jose", "san martin", ""},
      {"jose", "de san martin santa cruz", "", "", "jose", "san martin", "santa cruz"},
      {"ana", "garcia lopez martinez", "", "", "ana", "garcia lopez", "martinez"},
      {"ana", "garcia de", "", "", "ana", "garcia", ""},
      {"ana", "garcia san", "", "", "ana", "garcia", "san"},
      {"ana", "de la", "", "", "ana", "", ""},
      {"", "garcia", "", "", "", "garcia", ""},
      // The second surname given apart.
      {"ana", "garcia", "lopez", "", "ana", "garcia", "lopez"},
      {"ana", "garcia lopez", "de la fuente", "", "ana", "garcia lopez", "fuente"},
      {"ana", "", "lopez", "", "ana", "", "lopez"},
      // Full names.
      {"", "", "", "maria del carmen garcia de la fuente", "maria del carmen", "garcia", "fuente"},
      {"", "", "", "ana garcia", "ana", "garcia", ""},
      {"", "", "", "ana de la fuente", "ana", "fuente", ""},
      {"", "", "", "jose maria garcia lopez", "jose maria", "garcia", "lopez"},
      {"", "", "", "juan de dios perez y gomez", "juan de dios", "perez", "gomez"},
      {"", "", "", "ana garcia lopez", "ana", "garcia", "lopez"},
      {"", "", "", "ana", "ana", "", ""},
      {"", "", "", "de la", "", "", ""},
      // A full name completing the first name, or the surnames.
      {"ana", "", "", "ana garcia lopez", "ana", "garcia", "lopez"},
      {"jose maria", "", "", "jose maria garcia", "jose maria", "garcia", ""},
      {"pepe", "", "", "jose garcia lopez", "pepe", "garcia", "lopez"},
      {"", "garcia lopez", "", "ana maria garcia lopez", "ana maria", "garcia", "lopez"},
      {"", "garcia", "", "ana maria lopez", "", "garcia", ""},
      {"ana", "garcia", "", "pepa lopez", "ana", "garcia", ""},
      // Unfolded text is tolerated.
      {"  ana\tmaria ", "garcia|lopez", "", "", "ana maria", "garcia", "lopez"},
      {"an\xFF"
       "a",
       "garc\xC3\xAD"
       "a",
       "", "", "ana",
       "garc\xC3\xAD"
       "a",
       ""},
  };
  for (const NameCase& c : cases) {
    PersonFields fields;
    fields.first_name = c.first;
    fields.last_name = c.last;
    fields.second_last_name = c.second;
    fields.full_name = c.full;
    const std::optional<PersonRecord> record = BuildPersonRecord(fields);
    const std::string where = std::string("first '") + std::string(c.first) + "' last '" +
                              std::string(c.last) + "' second '" + std::string(c.second) +
                              "' full '" + std::string(c.full) + "'";
    if (c.given.empty() && c.surname1.empty() && c.surname2.empty()) {
      EXPECT_FALSE(record.has_value()) << where;
      continue;
    }
    ASSERT_TRUE(record.has_value()) << where;
    EXPECT_EQ(record->given, c.given) << where;
    EXPECT_EQ(record->surname1, c.surname1) << where;
    EXPECT_EQ(record->surname2, c.surname2) << where;
  }
}

TEST(PersonRecordTest, LongNamesAreCutAtACharacterBoundary) {
  const std::string given(40, 'a');
  std::string surname;
  for (int i = 0; i < 20; ++i) surname += "\xD0\xB6";  // 20 two-byte letters
  surname += " x";
  PersonFields fields;
  fields.first_name = given;
  fields.last_name = "garcia";
  fields.second_last_name = surname;
  const auto record = BuildPersonRecord(fields);
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->given, std::string(32, 'a'));
  EXPECT_EQ(record->surname2.size(), 24u);
  EXPECT_EQ(record->surname2, surname.substr(0, 24));
  // A cut that ends in a space drops it.
  const std::string words = std::string(23, 'b') + " c";
  fields.last_name = words;
  fields.second_last_name = "";
  const auto cut = BuildPersonRecord(fields);
  ASSERT_TRUE(cut.has_value());
  EXPECT_EQ(cut->surname1, std::string(23, 'b'));
  EXPECT_EQ(cut->surname2, "c");
}

TEST(PersonRecordTest, NicknamesMapToTheirNames) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"pepe", "jose"},
      {"pepa", "josefa"},
      {"paco", "francisco"},
      {"curro", "francisco"},
      {"fran", "francisco"},
      {"lola", "dolores"},
      {"loli", "dolores"},
      {"manolo", "manuel"},
      {"concha", "concepcion"},
      {"conchi", "concepcion"},
      {"pili", "pilar"},
      {"charo", "rosario"},
      {"nacho", "ignacio"},
      {"chema", "jose maria"},
      {"quique", "enrique"},
      {"rafa", "rafael"},
      {"merche", "mercedes"},
      {"maite", "maria teresa"},
      {"toni", "antonio"},
      {"juanma", "juan manuel"},
      {"chus", "jesus"},
      {"lupe", "guadalupe"},
      {"nando", "fernando"},
      {"chelo", "consuelo"},
      {"tere", "teresa"},
      {"maribel", "maria isabel"},
      {"marisa", "maria luisa"},
      {"paqui", "francisca"},
      {"encarna", "encarnacion"},
      {"inma", "inmaculada"},
      {"susi", "susana"},
      {"alex", "alejandro"},
      {"dani", "daniel"},
      {"javi", "javier"},
      {"edu", "eduardo"},
      {"guille", "guillermo"},
      {"santi", "santiago"},
      {"isa", "isabel"},
      {"cris", "cristina"},
      {"alex", "alejandro"},
      {"vero", "veronica"},
      {"bea", "beatriz"},
      // Not nicknames: the token itself.
      {"jose", "jose"},
      {"jose maria", "jose maria"},
      {"maria", "maria"},
      {"", ""},
      {"pep", "pep"},
      {"pepes", "pepes"},
      {"PEPE", "PEPE"},
      {"zzz", "zzz"},
      {"a", "a"},
  };
  for (const auto& [token, name] : cases) EXPECT_EQ(CanonicalGivenName(token), name) << token;
  // What is not a nickname comes back as the same view.
  const std::string token = "ana";
  EXPECT_EQ(CanonicalGivenName(token).data(), token.data());
}

struct BirthCase {
  std::string_view text;
  std::optional<BirthDate> birth;
};

TEST(PersonRecordTest, ParsesBirthDatesAndDropsImpossibleOnes) {
  const BirthCase cases[] = {
      {"1980-02-29", BirthDate{1980, 2, 29}},
      {"1980-02-29T00:00:00Z", BirthDate{1980, 2, 29}},
      {"1980-02-29T00:00:00.000Z", BirthDate{1980, 2, 29}},
      {"1980-02-29T23:30:00+01:00", BirthDate{1980, 2, 29}},
      {"1980-02-29T00:00:00-0500", BirthDate{1980, 2, 29}},
      {"1980-02-29T00:00-05", BirthDate{1980, 2, 29}},
      {"1980-02-29 10:00:00", BirthDate{1980, 2, 29}},
      {"19800229", BirthDate{1980, 2, 29}},
      {"29/02/1980", BirthDate{1980, 2, 29}},
      {"29-02-1980", BirthDate{1980, 2, 29}},
      {"29.02.1980", BirthDate{1980, 2, 29}},
      {"1/2/1990", BirthDate{1990, 2, 1}},
      {"1980/02/29", BirthDate{1980, 2, 29}},
      {" 1980-02-29 ", BirthDate{1980, 2, 29}},
      {"1980", BirthDate{1980, 0, 0}},
      {"1980-07", BirthDate{1980, 7, 0}},
      {"2000-02-29", BirthDate{2000, 2, 29}},
      {"1900-01-01", BirthDate{1900, 1, 1}},
      {"2100-12-31", BirthDate{2100, 12, 31}},
      {"1980-04-30", BirthDate{1980, 4, 30}},
      // Impossible or unreadable.
      {"1981-02-29", std::nullopt},
      {"1900-02-29", std::nullopt},
      {"1980-02-30", std::nullopt},
      {"1980-04-31", std::nullopt},
      {"1980-13-01", std::nullopt},
      {"1980-00-10", std::nullopt},
      {"1980-01-00", std::nullopt},
      {"1899-12-31", std::nullopt},
      {"2101-01-01", std::nullopt},
      {"19801301", std::nullopt},
      {"19800100", std::nullopt},
      {"19800001", std::nullopt},
      {"00/02/1980", std::nullopt},
      {"1980-00", std::nullopt},
      {"19800230", std::nullopt},
      {"31/04/1980", std::nullopt},
      {"29/02/80", std::nullopt},
      {"02/1980", std::nullopt},
      {"1980-02-29T25:00:00Z", std::nullopt},
      {"1980-02-29T10:60", std::nullopt},
      {"1980-02-29T", std::nullopt},
      {"1980-02-29Z", std::nullopt},
      {"1980-02-29T00:00:00+25:00", std::nullopt},
      {"1980-02-29T00:00:00Zjunk", std::nullopt},
      {"1980/02-29", std::nullopt},
      {"1980/02/29T00:00", std::nullopt},
      {"29/02/1980T00:00", std::nullopt},
      {"1980-02-", std::nullopt},
      {"198002", std::nullopt},
      {"0", std::nullopt},
      {"", std::nullopt},
      {"yesterday", std::nullopt},
      {"-1980-02-29", std::nullopt},
      {"1980\xFF", std::nullopt},
  };
  for (const BirthCase& c : cases) {
    PersonFields fields;
    fields.first_name = "ana";
    fields.birthday = c.text;
    const auto record = BuildPersonRecord(fields);
    ASSERT_TRUE(record.has_value()) << c.text;
    EXPECT_EQ(record->birth, c.birth.value_or(BirthDate{})) << c.text;
  }
}

TEST(PersonRecordTest, ParsesGenders) {
  const std::pair<std::string_view, Gender> cases[] = {
      {"female", Gender::kFemale},     {"F", Gender::kFemale},        {"f", Gender::kFemale},
      {"mujer", Gender::kFemale},      {"Woman", Gender::kFemale},    {"fem", Gender::kFemale},
      {" femenino ", Gender::kFemale}, {"male", Gender::kMale},       {"M", Gender::kMale},
      {"hombre", Gender::kMale},       {"man", Gender::kMale},        {"masc", Gender::kMale},
      {"varon", Gender::kMale},        {"MASCULINO", Gender::kMale},  {"", Gender::kUnknown},
      {"x", Gender::kUnknown},         {"other", Gender::kUnknown},   {"females", Gender::kUnknown},
      {"h", Gender::kUnknown},         {"fe male", Gender::kUnknown},
  };
  for (const auto& [text, gender] : cases) {
    PersonFields fields;
    fields.first_name = "ana";
    fields.gender = text;
    const auto record = BuildPersonRecord(fields);
    ASSERT_TRUE(record.has_value());
    EXPECT_EQ(record->gender, gender) << text;
  }
}

TEST(PersonRecordTest, NeedsANameOrABirthDate) {
  PersonFields fields;
  fields.email = "ana@correo.es";
  fields.phone = "+34600111222";
  fields.document = "87654321X";
  fields.street = "calle mayor 5";
  fields.gender = "f";
  fields.birthday = "1980-02-30";
  EXPECT_FALSE(BuildPersonRecord(fields).has_value());
  EXPECT_FALSE(BuildPersonRecord(PersonFields{}).has_value());
  fields.birthday = "1980-02-29";
  const auto by_birth = BuildPersonRecord(fields);
  ASSERT_TRUE(by_birth.has_value());
  EXPECT_EQ(by_birth->email, "ana@correo.es");
  fields.birthday = "";
  fields.full_name = "garcia";
  EXPECT_TRUE(BuildPersonRecord(fields).has_value());
}

TEST(PersonRecordTest, KeepsContactFieldsOnlyInTheirForm) {
  PersonFields fields;
  fields.first_name = "ana";
  fields.street = "calle  mayor 5 ";
  fields.city = "madrid";
  fields.postal_code = "28001";
  fields.phone = "+34600111222";
  fields.email = "ana@correo.es";
  fields.document = "x-1234567-l";
  const auto record = BuildPersonRecord(fields);
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->street, "calle mayor 5");
  EXPECT_EQ(record->city, "madrid");
  EXPECT_EQ(record->postal_code, "28001");
  EXPECT_EQ(record->phone, "+34600111222");
  EXPECT_EQ(record->email, "ana@correo.es");
  EXPECT_EQ(record->document, "X1234567L");

  fields.phone = "600111222";
  fields.email = "ana garcia@correo.es";
  fields.document = "----";
  const auto dropped = BuildPersonRecord(fields);
  ASSERT_TRUE(dropped.has_value());
  EXPECT_EQ(dropped->phone, "");
  EXPECT_EQ(dropped->email, "");
  EXPECT_EQ(dropped->document, "");
  for (const char* phone : {"+", "+34 600", "+1234567890123456", "34600111222+"}) {
    fields.phone = phone;
    EXPECT_EQ(BuildPersonRecord(fields)->phone, "") << phone;
  }
}

PersonRecord FullRecord() {
  PersonRecord r;
  r.given = "maria del carmen";
  r.surname1 = "garcia";
  r.surname2 = "fuente";
  r.birth = {1980, 2, 29};
  r.street = "calle mayor 5";
  r.city = "madrid";
  r.postal_code = "28001";
  r.phone = "+34600111222";
  r.email = "carmen@correo.es";
  r.document = "87654321X";
  r.gender = Gender::kFemale;
  return r;
}

TEST(PersonRecordTest, EncodesAsDocumented) {
  EXPECT_EQ(EncodePersonRecord(FullRecord()),
            "1|maria del carmen|garcia|fuente|19800229|calle mayor 5|madrid|28001|+34600111222|"
            "carmen@correo.es|87654321X|f");
  PersonRecord sparse;
  sparse.given = "ana";
  sparse.birth = {1975, 6, 0};
  sparse.gender = Gender::kMale;
  EXPECT_EQ(EncodePersonRecord(sparse), "1|ana|||19750600|||||||m");
  EXPECT_EQ(EncodePersonRecord(PersonRecord{}), "1|||||||||||");
}

TEST(PersonRecordTest, DecodeGivesBackWhatWasEncoded) {
  std::string cyrillic;
  for (int i = 0; i < 12; ++i) cyrillic += "\xD0\xB8";
  PersonRecord at_caps;
  at_caps.given = std::string(32, 'g');
  at_caps.surname1 = std::string(24, 's');
  at_caps.surname2 = cyrillic;
  at_caps.birth = {2100, 12, 31};
  at_caps.street = std::string(19, 'a') + " " + std::string(20, 'b');
  at_caps.city = std::string(24, 'c');
  at_caps.postal_code = std::string(10, '9');
  at_caps.phone = "+" + std::string(15, '1');
  at_caps.email = std::string(30, 'e') + "@" + std::string(13, 'd');
  at_caps.document = std::string(20, 'D');
  at_caps.gender = Gender::kMale;
  PersonRecord year_only;
  year_only.surname1 = "lopez";
  year_only.birth = {1950, 0, 0};
  for (const PersonRecord& record : {FullRecord(), at_caps, year_only, PersonRecord{}}) {
    const std::string value = EncodePersonRecord(record);
    EXPECT_LE(value.size(), kMaxIdentifierValueLength);
    auto decoded = DecodePersonRecord(value);
    ASSERT_TRUE(decoded.ok()) << value << ": " << decoded.status().ToString();
    EXPECT_EQ(*decoded, record) << value;
    EXPECT_EQ(EncodePersonRecord(*decoded), value);
  }
  EXPECT_EQ(EncodePersonRecord(at_caps).size(), kMaxIdentifierValueLength);
}

TEST(PersonRecordTest, EncodeCutsAndCleansFieldsOverTheirCaps) {
  PersonRecord record;
  record.given = std::string(300, 'g');
  record.surname1 = "a|b";
  record.surname2 = " x\ty ";
  record.birth = {1980, 2, 30};
  record.street = std::string(300, 's');
  record.city = "bad\xFF";
  record.postal_code = std::string(300, '1');
  record.phone = "600111222";
  record.email = std::string(300, 'e');
  record.document = "abc-123|";
  record.gender = static_cast<Gender>(9);
  const std::string value = EncodePersonRecord(record);
  EXPECT_LE(value.size(), kMaxIdentifierValueLength);
  auto decoded = DecodePersonRecord(value);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->given, std::string(32, 'g'));
  EXPECT_EQ(decoded->surname1, "a b");
  EXPECT_EQ(decoded->surname2, "x y");
  EXPECT_TRUE(decoded->birth.empty());
  EXPECT_EQ(decoded->street, std::string(40, 's'));
  EXPECT_EQ(decoded->city, "bad");
  EXPECT_EQ(decoded->postal_code, std::string(10, '1'));
  EXPECT_EQ(decoded->phone, "");
  EXPECT_EQ(decoded->email, std::string(44, 'e'));
  EXPECT_EQ(decoded->document, "ABC123");
  EXPECT_EQ(decoded->gender, Gender::kUnknown);
}

TEST(PersonRecordTest, BuiltRecordsRoundTrip) {
  // PersonFields holds views: the strings they view must outlive it.
  const std::string street(60, 'x');
  const std::string email = std::string(60, 'e') + "@correo.es";
  const std::string document(40, '7');
  PersonFields fields;
  fields.full_name = "maria de los angeles fernandez de cordoba y san martin";
  fields.birthday = "29/02/1980";
  fields.street = street;
  fields.email = email;
  fields.document = document;
  fields.gender = "mujer";
  const auto record = BuildPersonRecord(fields);
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->given, "maria de los angeles fernandez");
  EXPECT_EQ(record->surname1, "cordoba");
  EXPECT_EQ(record->surname2, "san martin");
  auto decoded = DecodePersonRecord(EncodePersonRecord(*record));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, *record);
}

// The fields of a value, joined with '|'.
std::string Value(const std::array<std::string_view, 12>& fields) {
  std::string out;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out += '|';
    out += fields[i];
  }
  return out;
}

TEST(PersonRecordTest, ARecordThatCouldBeAnyonesIsTaggedWithItsMessage) {
  PersonRecord names;
  names.given = "maria";
  names.surname1 = "garcia";
  names.city = "madrid";
  names.gender = Gender::kFemale;
  EXPECT_FALSE(IsDistinctive(names));
  const std::string tagged = EventRecordValue(names, "m-1");
  EXPECT_EQ(tagged.size(), EncodePersonRecord(names).size() + 17) << tagged;
  EXPECT_TRUE(tagged.starts_with(EncodePersonRecord(names) + "|")) << tagged;
  EXPECT_EQ(EventRecordValue(names, "m-1"), tagged);  // deterministic: a replay agrees
  EXPECT_NE(EventRecordValue(names, "m-2"), tagged);
  auto decoded = DecodePersonRecord(tagged);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, names);

  PersonRecord birth_only;
  birth_only.birth = BirthDate{1980, 5, 17};
  EXPECT_FALSE(IsDistinctive(birth_only));  // no name

  // A name with a birth date, street, phone, email or document: the value is the record.
  for (int field = 0; field < 5; ++field) {
    PersonRecord r = names;
    if (field == 0) r.birth = BirthDate{1980, 5, 17};
    if (field == 1) r.street = "calle mayor 5";
    if (field == 2) r.phone = "+34612000111";
    if (field == 3) r.email = "maria@correo.es";
    if (field == 4) r.document = "12345678Z";
    EXPECT_TRUE(IsDistinctive(r)) << field;
    EXPECT_EQ(EventRecordValue(r, "m-1"), EncodePersonRecord(r)) << field;
  }
  // The longest record that is not distinctive still fits an identifier value with its tag.
  PersonRecord longest;
  longest.given = std::string(32, 'g');
  longest.surname1 = std::string(24, 's');
  longest.surname2 = std::string(24, 't');
  longest.city = std::string(24, 'c');
  longest.postal_code = std::string(10, 'p');
  longest.gender = Gender::kMale;
  EXPECT_LE(EventRecordValue(longest, "m").size(), kMaxIdentifierValueLength);
  // A malformed tag is refused.
  const std::string plain = EncodePersonRecord(names);
  for (const std::string& bad :
       {plain + "|", plain + "|0123456789abcdeF", plain + "|0123456789abcde",
        plain + "|0123456789abcdef0", plain + "|0123456789abcdef|"}) {
    EXPECT_FALSE(DecodePersonRecord(bad).ok()) << bad;
  }
}

TEST(PersonRecordTest, DecodeRefusesMalformedValues) {
  const std::string good = EncodePersonRecord(FullRecord());
  ASSERT_TRUE(DecodePersonRecord(good).ok());
  const std::string malformed[] = {
      "",
      "1",
      "2|||||||||||",
      "x|||||||||||",
      "11|||||||||||",
      "1||||||||||",
      "1|||||||||||||",
      "1||||||||||||f",
      good.substr(0, good.size() - 2),
      good + "|",
      good + "x",
      std::string(256, '|'),
      Value({"1", "a  b", "", "", "", "", "", "", "", "", "", ""}),
      Value({"1", " ab", "", "", "", "", "", "", "", "", "", ""}),
      Value({"1", "ab ", "", "", "", "", "", "", "", "", "", ""}),
      Value({"1", " ", "", "", "", "", "", "", "", "", "", ""}),
      Value({"1", "a\tb", "", "", "", "", "", "", "", "", "", ""}),
      Value({"1", "a\nb", "", "", "", "", "", "", "", "", "", ""}),
      Value({"1", "", "\xFF", "", "", "", "", "", "", "", "", ""}),
      Value({"1", "", "\xC3", "", "", "", "", "", "", "", "", ""}),
      Value({"1", "", "\xED\xA0\x80", "", "", "", "", "", "", "", "", ""}),
      Value({"1", "", "\xC2\x85", "", "", "", "", "", "", "", "", ""}),
      Value({"1", "", "", std::string(25, 's'), "", "", "", "", "", "", "", ""}),
      Value({"1", std::string(33, 'g'), "", "", "", "", "", "", "", "", "", ""}),
      Value({"1", "", "", "", "19800230", "", "", "", "", "", "", ""}),
      Value({"1", "", "", "", "1980022", "", "", "", "", "", "", ""}),
      Value({"1", "", "", "", "198002290", "", "", "", "", "", "", ""}),
      Value({"1", "", "", "", "abcdefgh", "", "", "", "", "", "", ""}),
      Value({"1", "", "", "", "00000000", "", "", "", "", "", "", ""}),
      Value({"1", "", "", "", "19800029", "", "", "", "", "", "", ""}),
      Value({"1", "", "", "", "1980-2-2", "", "", "", "", "", "", ""}),
      Value({"1", "", "", "", "", std::string(41, 's'), "", "", "", "", "", ""}),
      Value({"1", "", "", "", "", "", std::string(25, 'c'), "", "", "", "", ""}),
      Value({"1", "", "", "", "", "", "", "12345678901", "", "", "", ""}),
      Value({"1", "", "", "", "", "", "", "", "600111222", "", "", ""}),
      Value({"1", "", "", "", "", "", "", "", "+", "", "", ""}),
      Value({"1", "", "", "", "", "", "", "", "+34 600", "", "", ""}),
      Value({"1", "", "", "", "", "", "", "", "+1234567890123456", "", "", ""}),
      Value({"1", "", "", "", "", "", "", "", "", "a b@c.es", "", ""}),
      Value({"1", "", "", "", "", "", "", "", "", std::string(45, 'e'), "", ""}),
      Value({"1", "", "", "", "", "", "", "", "", "a\x01@c.es", "", ""}),
      Value({"1", "", "", "", "", "", "", "", "", "", "87654321x", ""}),
      Value({"1", "", "", "", "", "", "", "", "", "", "8765-4321", ""}),
      Value({"1", "", "", "", "", "", "", "", "", "", std::string(21, '1'), ""}),
      Value({"1", "", "", "", "", "", "", "", "", "", "", "x"}),
      Value({"1", "", "", "", "", "", "", "", "", "", "", "ff"}),
      Value({"1", "", "", "", "", "", "", "", "", "", "", "F"}),
  };
  for (const std::string& value : malformed) {
    auto decoded = DecodePersonRecord(value);
    EXPECT_EQ(decoded.status().code(), StatusCode::kCorruption) << testing::PrintToString(value);
  }
}

}  // namespace
}  // namespace cdp
