// Tests for the identifiers SegmentParser extracts (Event::identifiers): the sources of each
// type, normalisation, the block list, weak and non-linking values, order and duplicates,
// configured paths, the person record (Event::person) and its `record` identifier, and
// ExtractIdentifiers and ReadStoredEvent giving back what the parse gave.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cdp/identifier.h"
#include "cdp/person.h"
#include "ingest/segment_parser.h"
#include "tools/loadgen_events.h"

namespace cdp {

// Found by argument-dependent lookup when a test prints an Identifier.
static void PrintTo(const Identifier& id, std::ostream* os) {
  *os << "{type " << int{id.type} << ", \"" << id.value << "\", "
      << (id.linking ? "linking" : "not linking")
      << (id.source == IdentifierSource::kPreviousId ? ", previousId" : "") << "}";
}

namespace ingest {
namespace {

const Timestamp kReceivedAt{std::chrono::milliseconds(1'772'366'400'000)};

Identifier Id(IdentifierType type, std::string value, bool linking = true,
              IdentifierSource source = IdentifierSource::kMessage) {
  Identifier id;
  id.type = type;
  id.value = std::move(value);
  id.linking = linking;
  id.source = source;
  return id;
}

// Parses `body` as a single message of `type` (or as a frame when `type` is nullopt) and
// returns its one event; also checks that ExtractIdentifiers and ReadStoredEvent on the
// stored JSON give the same identifiers and person.
Event EventOf(SegmentParser& parser, std::optional<EventType> type, std::string_view body) {
  ParsedRequest request;
  ParseFailure failure;
  const bool ok = type.has_value()
                      ? parser.ParseSingle(*type, body, kReceivedAt, &request, &failure)
                      : parser.ParseFrame(body, kReceivedAt, &request, &failure);
  EXPECT_TRUE(ok) << failure.status.ToString();
  EXPECT_TRUE(request.errors.empty()) << (request.errors.empty() ? "" : request.errors[0].message);
  if (request.events.size() != 1) {
    ADD_FAILURE() << "expected one event, got " << request.events.size();
    return {};
  }
  Event& event = request.events[0];
  auto again = parser.ExtractIdentifiers(event.json);
  EXPECT_TRUE(again.ok()) << again.status().ToString();
  if (again.ok()) {
    EXPECT_EQ(*again, event.identifiers) << event.json;
  }
  auto stored = parser.ReadStoredEvent(event.json);
  EXPECT_TRUE(stored.ok()) << stored.status().ToString();
  if (stored.ok()) {
    EXPECT_EQ(stored->identifiers, event.identifiers) << event.json;
    EXPECT_EQ(stored->person, event.person) << event.json;
  }
  // The record identifier is the encoding of the person (tagged with the messageId when it is
  // not distinctive), and there is one only with a person.
  std::size_t records = 0;
  for (const Identifier& id : event.identifiers) {
    if (id.type != kPersonRecord) continue;
    ++records;
    EXPECT_TRUE(event.person.has_value());
    if (event.person.has_value()) {
      EXPECT_EQ(id.value, EventRecordValue(*event.person, event.message_id));
      EXPECT_EQ(id.value.size() > EncodePersonRecord(*event.person).size(),
                !IsDistinctive(*event.person));
      auto decoded = DecodePersonRecord(id.value);
      EXPECT_TRUE(decoded.ok() && *decoded == *event.person) << id.value;
    }
  }
  EXPECT_EQ(records, event.person.has_value() ? 1u : 0u);
  return std::move(event);
}

// The identifiers of the event, with the tag of a record that is not distinctive taken off
// (EventOf checked it), so that RecordId below states what is expected.
std::vector<Identifier> IdentifiersOf(SegmentParser& parser, std::optional<EventType> type,
                                      std::string_view body) {
  std::vector<Identifier> ids = EventOf(parser, type, body).identifiers;
  for (Identifier& id : ids) {
    if (id.type != kPersonRecord) continue;
    const auto decoded = DecodePersonRecord(id.value);
    if (decoded.ok()) id.value = EncodePersonRecord(*decoded);
  }
  return ids;
}

// The `record` identifier of `record`.
Identifier RecordId(const PersonRecord& record) {
  return Id(kPersonRecord, EncodePersonRecord(record));
}

TEST(SegmentParserIdentifiersTest, IdentifyWithTraitsGivesEveryTypeInTypeOrder) {
  SegmentParser parser{IngestLimits()};
  const auto ids = IdentifiersOf(parser, EventType::kIdentify, R"({
    "userId": "u-42", "anonymousId": "a-1",
    "traits": {"email": " Ana.Garcia@Correo.ES ", "phone": "600 11 12 22",
               "nationalId": "87.654.321-x", "crmId": "CRM-7", "firstName": "Ana"}})");
  PersonRecord ana;
  ana.given = "ana";
  ana.phone = "+34600111222";
  ana.email = "ana.garcia@correo.es";
  ana.document = "87654321X";
  EXPECT_EQ(ids, (std::vector<Identifier>{
                     Id(kNationalId, "87654321X"),
                     Id(kEmail, "ana.garcia@correo.es"),
                     Id(kPhone, "+34600111222", /*linking=*/false),
                     Id(kUserId, "u-42"),
                     Id(kAnonymousId, "a-1"),
                     Id(kCrmId, "CRM-7"),
                     RecordId(ana),
                 }));
  EXPECT_EQ(ids.back().value, "1|ana|||||||+34600111222|ana.garcia@correo.es|87654321X|");
}

TEST(SegmentParserIdentifiersTest, TrackReadsContextTraitsAndDevice) {
  SegmentParser parser{IngestLimits()};
  const auto ids = IdentifiersOf(parser, EventType::kTrack, R"({
    "anonymousId": "a-1", "event": "Form Sent",
    "context": {"traits": {"email": "ana@correo.es", "nationalId": "X1234567L"},
                "device": {"id": "dev-9", "type": "ios"}},
    "properties": {"email": "other@correo.es"}})");
  EXPECT_EQ(ids, (std::vector<Identifier>{
                     Id(kNationalId, "X1234567L"),
                     Id(kEmail, "ana@correo.es"),
                     Id(kAnonymousId, "a-1"),
                     Id(kDeviceId, "dev-9"),
                 }));
}

TEST(SegmentParserIdentifiersTest, AliasPreviousIdIsAnAnonymousIdOfItsOwnSource) {
  SegmentParser parser{IngestLimits()};
  EXPECT_EQ(IdentifiersOf(parser, EventType::kAlias,
                          R"({"userId": "u-42", "previousId": "a-old", "anonymousId": "a-1"})"),
            (std::vector<Identifier>{
                Id(kUserId, "u-42"),
                Id(kAnonymousId, "a-1"),
                Id(kAnonymousId, "a-old", true, IdentifierSource::kPreviousId),
            }));
  // The same value twice is kept once, from its first source.
  EXPECT_EQ(IdentifiersOf(parser, EventType::kAlias,
                          R"({"userId": "u-42", "previousId": "a-1", "anonymousId": "a-1"})"),
            (std::vector<Identifier>{Id(kUserId, "u-42"), Id(kAnonymousId, "a-1")}));
  // previousId means nothing outside an alias.
  EXPECT_EQ(
      IdentifiersOf(parser, EventType::kIdentify, R"({"userId": "u-42", "previousId": "a-old"})"),
      (std::vector<Identifier>{Id(kUserId, "u-42")}));
}

TEST(SegmentParserIdentifiersTest, BlockedAndInvalidValuesAreNeverExtracted) {
  SegmentParser parser{IngestLimits()};
  const auto ids = IdentifiersOf(parser, EventType::kIdentify, R"({
    "userId": "null", "anonymousId": "anonymous",
    "traits": {"email": "test@test.com", "phone": "600 000 000", "nationalId": "12345678Z",
               "crmId": "0000"},
    "context": {"traits": {"email": "noreply@aeat.es", "phone": "+34 123 456 789",
                           "nationalId": "1234", "crmId": "undefined"},
                "device": {"id": "unknown"}}})");
  EXPECT_TRUE(ids.empty()) << testing::PrintToString(ids);
  EXPECT_TRUE(IdentifiersOf(parser, EventType::kTrack, R"({
    "userId": "a\u0001b", "event": "e",
    "traits": {"email": "not-an-email", "nationalId": "ABCDEFGHI"}})")
                  .empty());
}

TEST(SegmentParserIdentifiersTest, WeakNationalIdIsKeptWithoutLinking) {
  SegmentParser parser{IngestLimits()};
  EXPECT_EQ(IdentifiersOf(parser, EventType::kIdentify,
                          R"({"userId": "u-1", "traits": {"nationalId": "87654321A"}})"),
            (std::vector<Identifier>{Id(kNationalId, "87654321A", /*linking=*/false),
                                     Id(kUserId, "u-1")}));
}

TEST(SegmentParserIdentifiersTest, PhoneLinksOnlyWhenConfigured) {
  SegmentParser defaults{IngestLimits()};
  const char* body = R"({"userId": "u-1", "traits": {"phone": "+44 20 7946 0958"}})";
  EXPECT_EQ(IdentifiersOf(defaults, EventType::kIdentify, body),
            (std::vector<Identifier>{Id(kPhone, "+442079460958", false), Id(kUserId, "u-1")}));
  SegmentParserOptions options;
  options.identity.types[kPhone].linking = true;
  options.identity.types[kUserId].linking = false;
  SegmentParser configured(std::move(options));
  EXPECT_EQ(
      IdentifiersOf(configured, EventType::kIdentify, body),
      (std::vector<Identifier>{Id(kPhone, "+442079460958", true), Id(kUserId, "u-1", false)}));
}

TEST(SegmentParserIdentifiersTest, DuplicatesAreKeptOnceInOrderOfAppearance) {
  SegmentParser parser{IngestLimits()};
  const auto ids = IdentifiersOf(parser, EventType::kIdentify, R"({
    "userId": "u-1",
    "traits": {"email": "B@correo.es", "phone": "600111222"},
    "context": {"traits": {"email": "a@correo.es", "phone": "+34 600 111 222"},
                "device": {"id": "u-1"}}})");
  EXPECT_EQ(ids, (std::vector<Identifier>{
                     Id(kEmail, "b@correo.es"),
                     Id(kEmail, "a@correo.es"),
                     Id(kPhone, "+34600111222", false),
                     Id(kUserId, "u-1"),
                     Id(kDeviceId, "u-1"),
                 }));
}

TEST(SegmentParserIdentifiersTest, IntegersAreReadAsDecimalTextOtherTypesAreIgnored) {
  SegmentParser parser{IngestLimits()};
  const auto ids = IdentifiersOf(parser, EventType::kIdentify, R"({
    "userId": "u-1",
    "traits": {"phone": 600111222, "crmId": 18446744073709551615, "email": true,
               "nationalId": {"number": "87654321X"}},
    "context": {"traits": {"crmId": -7, "phone": 1.5}, "device": {"id": ["d-1"]}}})");
  EXPECT_EQ(ids, (std::vector<Identifier>{
                     Id(kPhone, "+34600111222", false),
                     Id(kUserId, "u-1"),
                     Id(kCrmId, "18446744073709551615"),
                     Id(kCrmId, "-7"),
                 }));
}

TEST(SegmentParserIdentifiersTest, BatchContextTraitsApplyUnlessTheMessageHasItsOwn) {
  SegmentParser parser{IngestLimits()};
  ParsedRequest request;
  ParseFailure failure;
  ASSERT_TRUE(parser.ParseBatch(R"({
    "context": {"traits": {"email": "batch@correo.es"}, "device": {"id": "dev-b"}},
    "batch": [
      {"type": "track", "event": "e", "userId": "u-1"},
      {"type": "track", "event": "e", "userId": "u-2",
       "context": {"traits": {"crmId": "C-2"}}},
      {"type": "track", "event": "e", "userId": "u-3", "context": null}
    ]})",
                                kReceivedAt, &request, &failure))
      << failure.status.ToString();
  ASSERT_TRUE(request.errors.empty());
  ASSERT_EQ(request.events.size(), 3u);
  // The message's context.traits replaces the batch's whole; context.device still merges in.
  const std::vector<std::vector<Identifier>> expected = {
      {Id(kEmail, "batch@correo.es"), Id(kUserId, "u-1"), Id(kDeviceId, "dev-b")},
      {Id(kUserId, "u-2"), Id(kDeviceId, "dev-b"), Id(kCrmId, "C-2")},
      {Id(kEmail, "batch@correo.es"), Id(kUserId, "u-3"), Id(kDeviceId, "dev-b")},
  };
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(request.events[i].identifiers, expected[i]) << i;
    auto again = parser.ExtractIdentifiers(request.events[i].json);
    ASSERT_TRUE(again.ok()) << again.status().ToString();
    EXPECT_EQ(*again, expected[i]) << request.events[i].json;
  }
}

PersonRecord PersonRecordFor(std::string given, std::string document) {
  PersonRecord record;
  record.given = std::move(given);
  record.document = std::move(document);
  return record;
}

SegmentParserOptions WithCustomTypes() {
  SegmentParserOptions options;
  options.identity.types[kNationalId].paths = {"traits.dni", "properties.applicant.dni"};
  IdentifierRule passport;
  passport.name = "passport";
  passport.max_per_profile = 1;
  passport.priority = 95;
  passport.paths = {"traits.passport", "context.traits.passport", "properties.doc.passport"};
  options.identity.types.push_back(passport);
  IdentifierRule nuss;
  nuss.name = "nuss";
  nuss.linking = false;
  nuss.paths = {"traits.nuss", "messageId", "integrations.nuss", "context"};
  options.identity.types.push_back(nuss);
  EXPECT_TRUE(options.identity.Validate().ok());
  return options;
}

TEST(SegmentParserIdentifiersTest, ConfiguredPathsAddValuesOfTheirType) {
  SegmentParser parser(WithCustomTypes());
  const auto ids = IdentifiersOf(parser, EventType::kTrack, R"({
    "userId": "u-1", "event": "Application Sent",
    "traits": {"dni": "45678912S", "passport": "PAB123456", "nuss": 281234567840,
               "firstName": "Ana"},
    "context": {"traits": {"passport": "pab123456", "nationalId": "87654321X"}},
    "properties": {"applicant": {"dni": "45678912-S"}, "doc": [{"passport": "X"}]},
    "integrations": {"nuss": "ignored"}})");
  EXPECT_EQ(ids,
            (std::vector<Identifier>{
                Id(kNationalId, "87654321X"),
                Id(kNationalId, "45678912S"),
                Id(kUserId, "u-1"),
                RecordId(PersonRecordFor("ana", "87654321X")),
                Id(IdentifierType{kBuiltinIdentifierTypes}, "PAB123456"),
                Id(IdentifierType{kBuiltinIdentifierTypes}, "pab123456"),
                Id(IdentifierType{kBuiltinIdentifierTypes + 1}, "281234567840", /*linking=*/false),
            }));
}

TEST(SegmentParserIdentifiersTest, UsesTheGivenPhoneNormalizer) {
  class Fixed final : public PhoneNormalizer {
   public:
    std::optional<std::string> ToE164(std::string_view raw,
                                      std::string_view region) const override {
      if (raw == "call me" && region == "PT") return "+351912345678";
      return std::nullopt;
    }
  };
  const Fixed phones;
  SegmentParserOptions options;
  options.identity.default_region = "PT";
  options.phones = &phones;
  SegmentParser parser(std::move(options));
  EXPECT_EQ(IdentifiersOf(parser, EventType::kIdentify,
                          R"({"userId": "u-1", "traits": {"phone": "call me"}})"),
            (std::vector<Identifier>{Id(kPhone, "+351912345678", false), Id(kUserId, "u-1")}));
}

TEST(SegmentParserIdentifiersTest, CheckIdentifierPathRefusesServerFields) {
  for (const char* path :
       {"traits.passport", "context.traits.passport", "properties.a.b", "userId", "context"}) {
    EXPECT_TRUE(CheckIdentifierPath(path).ok()) << path;
  }
  for (const char* path : {"type", "messageId", "receivedAt", "timestamp", "originalTimestamp",
                           "sentAt", "writeKey", "integrations.x"}) {
    EXPECT_EQ(CheckIdentifierPath(path).code(), StatusCode::kInvalidArgument) << path;
  }
}

TEST(SegmentParserIdentifiersTest, ExtractIdentifiersGivesWhatTheParseGaveForEdgeCases) {
  SegmentParser parser(WithCustomTypes());
  const char* frames[] = {
      R"({"type": "identify", "userId": "u-1"})",
      R"({"type": "identify", "anonymousId": "a-1", "traits": {}})",
      R"({"type": "track", "event": "e", "userId": "u-1", "userId": "u-2"})",
      R"({"type": "track", "event": "e", "userId": "u-1", "traits": {"email": "a@b.es"},
          "traits": {"email": "c@d.es"}})",
      R"({"type": "identify", "userId": "\u00c1lvaro \ud83d\ude00", "traits":
          {"email": "\u0041NA@CORREO.ES", "crmId": "tab\tinside"}})",
      R"({"type": "alias", "userId": "u-1", "previousId": "a-0",
          "context": {"traits": null, "device": "not-an-object"}})",
      R"({"type": "page", "anonymousId": "a-1", "name": "Home",
          "context": {"traits": {"phone": "600111222"}, "traits": {"phone": "700111222"}}})",
      R"({"type": "group", "groupId": "g", "userId": "u-1",
          "traits": {"passport": "P1", "nuss": 12}, "messageId": "m-1", "sentAt": null})",
      R"({"type": "screen", "userId": "u-1", "name": "s", "type": "screen",
          "context": {"device": {"id": 12345}}})",
      R"({"batch": [{"type": "identify", "userId": "u-9", "traits": {"dni": "45678912S"}}],
          "context": {"traits": {"passport": "BATCH-1", "email": "x@y.es"},
                      "device": {"id": "d-1"}}})",
  };
  for (const char* frame : frames) {
    ParsedRequest request;
    ParseFailure failure;
    ASSERT_TRUE(parser.ParseFrame(frame, kReceivedAt, &request, &failure))
        << frame << ": " << failure.status.ToString();
    ASSERT_TRUE(request.errors.empty()) << frame << ": " << request.errors[0].message;
    ASSERT_EQ(request.events.size(), 1u) << frame;
    const Event& event = request.events[0];
    auto again = parser.ExtractIdentifiers(event.json);
    ASSERT_TRUE(again.ok()) << again.status().ToString();
    EXPECT_EQ(*again, event.identifiers) << frame << "\n" << event.json;
  }
}

TEST(SegmentParserIdentifiersTest, ExtractIdentifiersGivesWhatTheParseGaveForLoadgenEvents) {
  SegmentParser parser{IngestLimits()};
  loadgen::GeneratorOptions generator_options;
  generator_options.seed = 7;
  generator_options.population = 500;
  loadgen::EventGenerator generator(generator_options);
  std::size_t events = 0;
  std::size_t with_email = 0;
  std::size_t with_phone = 0;
  for (int round = 0; round < 20; ++round) {
    std::string body;
    generator.AppendHttpBatch(body, 50, std::chrono::system_clock::now());
    ParsedRequest request;
    ParseFailure failure;
    ASSERT_TRUE(parser.ParseBatch(body, kReceivedAt, &request, &failure))
        << failure.status.ToString();
    ASSERT_TRUE(request.errors.empty()) << request.errors[0].message;
    for (const Event& event : request.events) {
      ++events;
      EXPECT_FALSE(event.identifiers.empty());
      for (const Identifier& id : event.identifiers) {
        with_email += id.type == kEmail ? 1u : 0u;
        with_phone += id.type == kPhone ? 1u : 0u;
      }
      auto again = parser.ExtractIdentifiers(event.json);
      ASSERT_TRUE(again.ok()) << again.status().ToString();
      EXPECT_EQ(*again, event.identifiers) << event.json;
    }
  }
  EXPECT_EQ(events, 1000u);
  EXPECT_GT(with_email, 0u);
  EXPECT_GT(with_phone, 0u);
}

TEST(SegmentParserIdentifiersTest, ExtractIdentifiersRefusesWhatIsNotAStoredEvent) {
  SegmentParser parser{IngestLimits()};
  for (const char* bad :
       {"", "{", "[]", "\"x\"", R"({"userId": "u-1"})", R"({"type": "nonsense", "userId": "u-1"})",
        R"({"type": 1})", "{\"type\": \"track\", \"userId\": \"\xFF\"}"}) {
    auto ids = parser.ExtractIdentifiers(bad);
    EXPECT_EQ(ids.status().code(), StatusCode::kInvalidArgument) << bad;
  }
  // The parser stays usable.
  auto ids = parser.ExtractIdentifiers(R"({"type": "track", "userId": "u-1"})");
  ASSERT_TRUE(ids.ok()) << ids.status().ToString();
  EXPECT_EQ(*ids, (std::vector<Identifier>{Id(kUserId, "u-1")}));
}

TEST(SegmentParserPersonTest, IdentifyTraitsGiveAFoldedPersonRecord) {
  SegmentParser parser{IngestLimits()};
  const Event event = EventOf(parser, EventType::kIdentify, R"({
    "userId": "u-1",
    "traits": {"firstName": "María del Carmen", "lastName": "García de la Fuente",
               "birthday": "1980-02-29T00:00:00.000Z", "gender": "Mujer",
               "address": {"street": "C/ Mayor, 5 - 2ºB", "city": "Alcalá de Henares",
                           "postalCode": "28801", "country": "ES"},
               "phone": "600 11 12 22", "email": "Carmen@Correo.ES",
               "nationalId": "87654321-x", "documentId": "ignored"}})");
  ASSERT_TRUE(event.person.has_value());
  PersonRecord expected;
  expected.given = "maria del carmen";
  expected.surname1 = "garcia";
  expected.surname2 = "fuente";
  expected.birth = {1980, 2, 29};
  expected.street = "c mayor 5 2ob";
  expected.city = "alcala de henares";
  expected.postal_code = "28801";
  expected.phone = "+34600111222";
  expected.email = "carmen@correo.es";
  expected.document = "87654321X";
  expected.gender = Gender::kFemale;
  EXPECT_EQ(*event.person, expected);
  EXPECT_EQ(event.identifiers, (std::vector<Identifier>{
                                   Id(kNationalId, "87654321X"),
                                   Id(kEmail, "carmen@correo.es"),
                                   Id(kPhone, "+34600111222", /*linking=*/false),
                                   Id(kUserId, "u-1"),
                                   RecordId(expected),
                               }));
}

TEST(SegmentParserPersonTest, ContextTraitsFillWhatTraitsLack) {
  SegmentParser parser{IngestLimits()};
  // A track carries its person in context.traits.
  const Event track = EventOf(parser, EventType::kTrack, R"({
    "anonymousId": "a-1", "event": "Form Sent",
    "context": {"traits": {"name": "José María Pérez Gómez", "birthday": "01/06/1975",
                           "gender": "varón", "documentId": "x-1234567-l"}}})");
  ASSERT_TRUE(track.person.has_value());
  EXPECT_EQ(track.person->given, "jose maria");
  EXPECT_EQ(track.person->surname1, "perez");
  EXPECT_EQ(track.person->surname2, "gomez");
  EXPECT_EQ(track.person->birth, (BirthDate{1975, 6, 1}));
  EXPECT_EQ(track.person->gender, Gender::kMale);
  EXPECT_EQ(track.person->document, "X1234567L");
  EXPECT_EQ(track.identifiers.back(), RecordId(*track.person));

  // Attribute by attribute, traits first.
  const Event identify = EventOf(parser, EventType::kIdentify, R"({
    "userId": "u-1",
    "traits": {"firstName": "Ana", "phone": "not a phone", "address": {"city": "Madrid"}},
    "context": {"traits": {"firstName": "Eva", "lastName": "López", "gender": "f",
                           "phone": "600111222", "email": "ana@correo.es",
                           "address": {"city": "Toledo", "zip": "45001"}}}})");
  ASSERT_TRUE(identify.person.has_value());
  EXPECT_EQ(identify.person->given, "ana");
  EXPECT_EQ(identify.person->surname1, "lopez");
  EXPECT_EQ(identify.person->gender, Gender::kFemale);
  EXPECT_EQ(identify.person->phone, "+34600111222");
  EXPECT_EQ(identify.person->email, "ana@correo.es");
  EXPECT_EQ(identify.person->city, "madrid");
  EXPECT_EQ(identify.person->postal_code, "45001");
}

TEST(SegmentParserPersonTest, BatchContextTraitsGiveARecord) {
  SegmentParser parser{IngestLimits()};
  ParsedRequest request;
  ParseFailure failure;
  ASSERT_TRUE(parser.ParseBatch(R"({
    "context": {"traits": {"firstName": "Ana", "lastName": "Ruiz"}},
    "batch": [{"type": "track", "event": "e", "userId": "u-1"},
              {"type": "track", "event": "e", "userId": "u-2", "context": {"traits": {}}}]})",
                                kReceivedAt, &request, &failure))
      << failure.status.ToString();
  ASSERT_EQ(request.events.size(), 2u);
  ASSERT_TRUE(request.events[0].person.has_value());
  EXPECT_EQ(request.events[0].person->surname1, "ruiz");
  EXPECT_FALSE(request.events[1].person.has_value());
  for (const Event& event : request.events) {
    auto stored = parser.ReadStoredEvent(event.json);
    ASSERT_TRUE(stored.ok()) << stored.status().ToString();
    EXPECT_EQ(stored->person, event.person);
    EXPECT_EQ(stored->identifiers, event.identifiers);
  }
}

TEST(SegmentParserPersonTest, NoRecordWithoutANameOrABirthDate) {
  SegmentParser parser{IngestLimits()};
  for (
      const char* body : {
          R"({"userId": "u-1", "traits": {"email": "ana@correo.es"}})",
          R"({"userId": "u-1", "traits": {"email": "ana@correo.es", "phone": "600111222",
               "nationalId": "87654321X", "gender": "f",
               "address": {"street": "Mayor 5", "city": "Madrid", "postalCode": "28001"}}})",
          R"({"userId": "u-1", "traits": {"firstName": "", "name": "  -- ", "birthday": "1980-02-30"}})",
          R"({"userId": "u-1", "traits": {"lastName": "de la"}})",
          R"({"userId": "u-1", "traits": {}})",
          R"({"userId": "u-1", "traits": null, "context": {"traits": ["Ana"]}})",
          R"({"userId": "u-1"})",
      }) {
    const Event event = EventOf(parser, EventType::kIdentify, body);
    EXPECT_FALSE(event.person.has_value()) << body;
    for (const Identifier& id : event.identifiers) EXPECT_NE(id.type, kPersonRecord) << body;
  }
  // The email alone is still an identifier.
  EXPECT_EQ(IdentifiersOf(parser, EventType::kIdentify,
                          R"({"userId": "u-1", "traits": {"email": "ana@correo.es"}})"),
            (std::vector<Identifier>{Id(kEmail, "ana@correo.es"), Id(kUserId, "u-1")}));
}

TEST(SegmentParserPersonTest, WrongTypesAndOverlongValuesAreIgnored) {
  SegmentParser parser{IngestLimits()};
  const std::string long_name(257, 'a');
  const Event event = EventOf(parser, EventType::kIdentify, R"({
    "userId": "u-1",
    "traits": {"firstName": 12, "lastName": ["Garcia"], "secondLastName": {"a": 1},
               "name": true, "birthday": 19800229, "gender": 1, "documentId": 5,
               "address": "Calle Mayor 5", "email": {"x": 1}},
    "context": {"traits": {"firstName": ")" + long_name + R"(", "lastName": "Ruiz",
                           "address": {"street": 5, "city": null, "postalCode": 28001}}}})");
  ASSERT_TRUE(event.person.has_value());
  PersonRecord expected;
  expected.surname1 = "ruiz";
  EXPECT_EQ(*event.person, expected);
  // Only wrong types: no record, and still no error.
  const Event none = EventOf(parser, EventType::kIdentify, R"({
    "userId": "u-1", "traits": {"firstName": 12, "name": null, "birthday": [1980, 2, 29]}})");
  EXPECT_FALSE(none.person.has_value());
}

TEST(SegmentParserPersonTest, EqualAttributesGiveEqualRecords) {
  SegmentParser parser{IngestLimits()};
  const char* same[] = {
      R"({"userId": "u-1", "traits": {"firstName": "José María", "lastName": "García López",
          "birthday": "1975-06-01"}})",
      R"({"userId": "u-2", "traits": {"name": "JOSE MARIA GARCIA LOPEZ",
          "birthday": "1975-06-01T00:00:00+02:00"}})",
      R"({"userId": "u-3", "traits": {"firstName": "jose  maria", "lastName": "Garcia",
          "secondLastName": "López", "birthday": "01/06/1975"}})",
      R"({"anonymousId": "a-4", "context": {"traits": {"firstName": "José María",
          "lastName": "García-López", "birthday": "19750601"}}})",
  };
  std::optional<Identifier> first;
  for (const char* body : same) {
    const std::vector<Identifier> ids = IdentifiersOf(parser, EventType::kIdentify, body);
    ASSERT_FALSE(ids.empty()) << body;
    EXPECT_EQ(ids.back().type, kPersonRecord) << body;
    if (!first.has_value()) first = ids.back();
    EXPECT_EQ(ids.back(), *first) << body;
  }
  const std::vector<Identifier> other = IdentifiersOf(
      parser, EventType::kIdentify,
      R"({"userId": "u-5", "traits": {"name": "Jose Maria Garcia Lopez", "birthday": "1975-06-02"}})");
  ASSERT_FALSE(other.empty());
  EXPECT_NE(other.back(), *first);
}

TEST(SegmentParserPersonTest, WeakNationalIdsAreUsedInvalidPhonesAreNot) {
  SegmentParser parser{IngestLimits()};
  const Event event = EventOf(parser, EventType::kIdentify, R"({
    "userId": "u-1", "traits": {"firstName": "Ana", "nationalId": "87654321A",
                                "phone": "+34 123 456 789", "email": "test@test.com",
                                "documentId": "Y-1234567-X"}})");
  ASSERT_TRUE(event.person.has_value());
  EXPECT_EQ(event.person->document, "87654321A");
  EXPECT_EQ(event.person->phone, "");
  EXPECT_EQ(event.person->email, "");
}

TEST(SegmentParserPersonTest, AGroupsOwnTraitsAreNotAPerson) {
  SegmentParser parser{IngestLimits()};
  EXPECT_FALSE(EventOf(parser, EventType::kGroup,
                       R"({"userId": "u-1", "groupId": "g", "traits": {"name": "Acme Sociedad"}})")
                   .person.has_value());
  const Event event = EventOf(parser, EventType::kGroup, R"({
    "userId": "u-1", "groupId": "g", "traits": {"name": "Acme", "email": "info@acme.es"},
    "context": {"traits": {"firstName": "Ana"}}})");
  ASSERT_TRUE(event.person.has_value());
  EXPECT_EQ(event.person->given, "ana");
  EXPECT_EQ(event.person->email, "");
}

TEST(SegmentParserPersonTest, RecordComesBeforeCustomTypesAndIsNeverReadFromPaths) {
  SegmentParserOptions options = WithCustomTypes();
  options.identity.types[kPersonRecord].paths = {"traits.record"};
  ASSERT_TRUE(options.identity.Validate().ok());
  SegmentParser parser(std::move(options));
  const Event event = EventOf(parser, EventType::kIdentify, R"({
    "userId": "u-1", "traits": {"passport": "PAB123456", "lastName": "Ruiz",
                                "record": "1|forged|||||||||||"}})");
  ASSERT_TRUE(event.person.has_value());
  PersonRecord ruiz;
  ruiz.surname1 = "ruiz";
  // A surname alone could be anyone's: the value is tagged with the messageId.
  EXPECT_EQ(event.identifiers, (std::vector<Identifier>{
                                   Id(kUserId, "u-1"),
                                   Id(kPersonRecord, EventRecordValue(ruiz, event.message_id)),
                                   Id(IdentifierType{kBuiltinIdentifierTypes}, "PAB123456"),
                               }));
}

TEST(SegmentParserPersonTest, ALinkingRuleIsFollowed) {
  SegmentParserOptions options;
  options.identity.types[kPersonRecord].linking = false;
  SegmentParser parser(std::move(options));
  const std::vector<Identifier> ids = IdentifiersOf(
      parser, EventType::kIdentify, R"({"userId": "u-1", "traits": {"firstName": "Ana"}})");
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids[1].type, kPersonRecord);
  EXPECT_FALSE(ids[1].linking);
}

}  // namespace
}  // namespace ingest
}  // namespace cdp
