// Fuzzes person records: any bytes, as an encoded `record` value read back from storage, must
// decode or fail with kCorruption, and what decodes must encode back to the same bytes (but
// for the tag of a record that is not distinctive, which decoding drops). The
// same bytes, split at '\n' into a message's person fields (raw and folded with FoldText),
// must build a record whose encoding fits an identifier value and decodes back to it.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "cdp/identifier.h"
#include "cdp/person.h"
#include "ingest/text_fold.h"

namespace {

void Check(bool condition) {
  if (!condition) __builtin_trap();
}

bool IsFolded(std::string_view text) {
  if (text.empty()) return true;
  if (text.front() == ' ' || text.back() == ' ') return false;
  if (text.find("  ") != std::string_view::npos) return false;
  for (char c : text) {
    if (c >= 'A' && c <= 'Z') return false;
    if (static_cast<unsigned char>(c) < 0x80 && c != ' ' && !(c >= 'a' && c <= 'z') &&
        !(c >= '0' && c <= '9')) {
      return false;
    }
  }
  return true;
}

void CheckBuilt(const cdp::PersonFields& fields) {
  const auto record = cdp::BuildPersonRecord(fields);
  if (!record.has_value()) return;
  Check(!record->given.empty() || !record->surname1.empty() || !record->surname2.empty() ||
        !record->birth.empty());
  const std::string value = cdp::EncodePersonRecord(*record);
  Check(value.size() <= cdp::kMaxIdentifierValueLength);
  // The identifier value of an event: tagged when the record is not distinctive.
  const std::string event_value = cdp::EventRecordValue(*record, fields.first_name);
  Check(event_value.size() <= cdp::kMaxIdentifierValueLength);
  Check((event_value == value) == cdp::IsDistinctive(*record));
  auto event_decoded = cdp::DecodePersonRecord(event_value);
  Check(event_decoded.ok() && *event_decoded == *record);
  Check(cdp::EncodePersonRecord(*record) == value);
  auto decoded = cdp::DecodePersonRecord(value);
  Check(decoded.ok() && *decoded == *record);
  for (std::string_view token : {std::string_view(record->given), std::string_view("pepe")}) {
    const std::string_view canonical = cdp::CanonicalGivenName(token);
    Check(!canonical.empty() || token.empty());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  auto decoded = cdp::DecodePersonRecord(input);
  if (decoded.ok()) {
    const std::string encoded = cdp::EncodePersonRecord(*decoded);
    Check(encoded == input || (input.size() == encoded.size() + 17 && input.starts_with(encoded) &&
                               input[encoded.size()] == '|'));
  } else {
    Check(decoded.status().code() == cdp::StatusCode::kCorruption);
  }

  std::array<std::string_view, 12> parts{};
  std::size_t count = 0;
  std::size_t begin = 0;
  while (count < parts.size() && begin <= input.size()) {
    std::size_t end = input.find('\n', begin);
    if (end == std::string_view::npos) end = input.size();
    parts[count++] = input.substr(begin, end - begin);
    begin = end + 1;
  }
  std::array<std::string, 12> folded;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    folded[i] = cdp::ingest::FoldText(parts[i]);
    Check(IsFolded(folded[i]));
    Check(cdp::ingest::FoldText(folded[i]) == folded[i]);
  }
  for (const bool raw : {true, false}) {
    auto field = [&](std::size_t i) -> std::string_view {
      return raw ? parts[i] : std::string_view(folded[i]);
    };
    cdp::PersonFields person;
    person.first_name = field(0);
    person.last_name = field(1);
    person.second_last_name = field(2);
    person.full_name = field(3);
    person.birthday = parts[4];
    person.street = field(5);
    person.city = field(6);
    person.postal_code = field(7);
    person.phone = parts[8];
    person.email = parts[9];
    person.document = field(10);
    person.gender = field(11);
    CheckBuilt(person);
  }
  return 0;
}
