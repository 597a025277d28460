// Person records: the person attributes one event carries (names, two surnames, birth date,
// address, phone, email, document, gender), normalised for the probabilistic matcher
// (DESIGN.md, Probabilistic matching).
//
// Text arrives here already folded by ingest (Unicode NFKD, accents removed, case folded,
// punctuation turned into spaces, spaces collapsed: "María  del Carmen" -> "maria del carmen");
// the core only splits and canonicalises it, so it needs no Unicode library.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cdp/status.h"

namespace cdp {

// A calendar date; year 0 means missing. Month and day are 1-based; a day or month of 0 means
// that part is unknown (a year-only birth date).
struct BirthDate {
  std::uint16_t year = 0;
  std::uint8_t month = 0;
  std::uint8_t day = 0;

  bool empty() const { return year == 0; }
  friend bool operator==(const BirthDate&, const BirthDate&) = default;
};

enum class Gender : std::uint8_t { kUnknown = 0, kFemale = 1, kMale = 2 };

// One event's person attributes, normalised. Every string is folded lower-case text (ASCII
// for Latin names) with single spaces, except `phone` (E.164), `email` (normalised address)
// and `document` (upper-case letters and digits). Empty means missing. Each field has a cap
// in bytes, so that the encoding always fits an identifier value: given 32, surnames 24 each,
// street 40, city 24, postal code 10, phone 16, email 44, document 20; BuildPersonRecord cuts
// longer text at a character boundary.
struct PersonRecord {
  // Given names as written, compound ones kept whole and in order ("jose maria", "maria del
  // carmen": particles are only dropped from surnames). Nicknames are not resolved here: the
  // matcher compares through CanonicalGivenName.
  std::string given;
  // The two Spanish surnames with their particles removed ("de la fuente" -> "fuente"); a
  // single surname is surname1 and surname2 stays empty.
  std::string surname1;
  std::string surname2;
  BirthDate birth;
  // The street line with its number: "calle mayor 5".
  std::string street;
  std::string city;
  std::string postal_code;
  std::string phone;
  std::string email;
  // A national id (valid or weak) or any other document number.
  std::string document;
  Gender gender = Gender::kUnknown;

  friend bool operator==(const PersonRecord&, const PersonRecord&) = default;
};

// The attributes as a message gives them. Names, street, city and postal code are folded
// text (see above); `birthday` is as sent ("1980-02-29", "1980-02-29T00:00:00Z", "19800229",
// "29/02/1980"); `phone` E.164 or empty; `email` normalised or empty; `document` as sent;
// `gender` as sent ("female", "f", "mujer", "male", "m", "hombre", ...).
struct PersonFields {
  std::string_view first_name;
  std::string_view last_name;         // one or both surnames
  std::string_view second_last_name;  // the second surname, when given apart
  std::string_view full_name;         // "name": split, or completes the first or last name
  std::string_view birthday;
  std::string_view street;
  std::string_view city;
  std::string_view postal_code;
  std::string_view phone;
  std::string_view email;
  std::string_view document;
  std::string_view gender;
};

// Builds a record from a message's attributes: splits full names ("maria del carmen garcia de
// la fuente" -> given "maria del carmen", surnames "garcia", "fuente"), splits a last name
// holding both surnames, drops surname particles (de, del, de la, de los, de las, y, la, las,
// los; also e, i, da, das, do, dos, van, von, der), parses the birth date (an impossible date
// is dropped). Returns nullopt when the result has neither a name nor a birth date (too
// little to match on).
//
// Names: a particle attaches to the word after it ("de la fuente" is one surname, "fuente");
// "san", "santa", "santo" and "sant" also attach to the next word but are kept ("san
// martin"). A last name with several surnames gives its last one as surname2 and the ones
// before it as surname1 ("garcia lopez martinez" -> "garcia lopez", "martinez"), unless
// second_last_name is given. A full name (used when first, last and second last name are
// absent) gives its last two surnames as the surnames and the words before them as the given
// names; with two in all ("ana garcia", "ana de la fuente") the first is the given name and
// the second surname1; one word is a given name. When only the first name or only the
// surnames are given, a full name that starts (ends) with them supplies the rest.
// Birth dates: "1980-02-29", with a time and "Z" or an offset (the date as written is kept,
// the offset is not applied), "19800229", "29/02/1980", "29-02-1980", "29.02.1980",
// "1980/02/29", "1980-02" and "1980" (month and day unknown); years 1900 to 2100.
// Gender, case-insensitively: f, female, fem, femenino, femenina, mujer, woman; m, male,
// masc, masculino, hombre, man, varon; anything else is unknown. The phone is kept only in
// E.164, the email only without spaces or control characters; the document keeps its ASCII
// letters (upper-cased) and digits. Text that is not folded is tolerated: control characters
// separate words and malformed UTF-8 is dropped.
std::optional<PersonRecord> BuildPersonRecord(const PersonFields& fields);

// The canonical form of one given-name token, or of a whole compound given name: the name a
// nickname stands for ("pepe" -> "jose", "paco" -> "francisco", "lola" -> "dolores", "chema"
// -> "jose maria"), or `token` itself. The result is either static or `token`: it is valid as
// long as `token` is. No allocation.
std::string_view CanonicalGivenName(std::string_view token);

// The record as an identifier value of type `record` (at most kMaxIdentifierValueLength
// bytes: long fields are cut), and back. Equal records give equal values, so a record seen
// again is the same graph node.
//
// Format (version 1): "1|given|surname1|surname2|birth|street|city|postal_code|phone|email|
// document|gender": '|' cannot occur in folded text (in a value it separates words), birth is
// YYYYMMDD with 00 for an unknown month or day, gender is "f", "m" or empty; a missing field
// is empty. Encode puts each field in its canonical form first (text: words joined by single
// spaces, control characters and malformed UTF-8 removed; an impossible birth date, a phone
// not in E.164 or an email with a space or '|' become empty), so DecodePersonRecord(
// EncodePersonRecord(r)) == r for every record BuildPersonRecord returns.
// DecodePersonRecord: kCorruption for anything else (a value read back from storage), be it a
// wrong version or field count, a field over its cap or not in canonical form.
//
// A record that could be anyone's must not join two people by being the same node: one
// without a name ("1980-05-17" alone) or with nothing but names, a city and a gender ("maria
// garcia lopez"). Its event's value ends with a 13th field, a tag
// of 16 lower-case hex digits (XXH3 of the messageId), which makes it a node of its own.
// Decode accepts and ignores the tag.
std::string EncodePersonRecord(const PersonRecord& record);
Result<PersonRecord> DecodePersonRecord(std::string_view value);

// Whether the record names someone (a given name or a surname) and holds something that tells
// one person of that name from another: a birth date, a street, a phone, an email or a
// document.
bool IsDistinctive(const PersonRecord& record);

// The `record` identifier value of one event's record: EncodePersonRecord, tagged with
// `message_id` when the record is not distinctive.
std::string EventRecordValue(const PersonRecord& record, std::string_view message_id);

}  // namespace cdp
