// Fuzzes ExtractEventFacts (ingest/event_facts.h) with any stored event text: no crash, and the
// facts it gives fold into a ProfileTraits that encodes and decodes back to itself. Input: one
// byte choosing the event type, then the event's JSON.
#include <cstddef>
#include <cstdint>
#include <string>

#include "cdp/profile_traits.h"
#include "ingest/event_facts.h"
#include "storage/profile_traits_codec.h"

namespace {

void Check(bool condition) {
  if (!condition) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  cdp::Event event;
  event.type = static_cast<cdp::EventType>(data[0] % cdp::kEventTypeCount);
  event.message_id = "fuzz";
  event.json.assign(reinterpret_cast<const char*>(data + 1), size - 1);
  auto facts = cdp::ingest::ExtractEventFacts(event, 7);
  if (!facts.ok()) {
    Check(facts.status().code() == cdp::StatusCode::kInvalidArgument);
    return 0;
  }
  for (const cdp::TraitValue& trait : facts->traits) Check(!trait.value_json.empty());
  cdp::TraitsOptions options;
  options.source_priority = {"civil_register", "web"};
  cdp::ProfileTraits traits;
  traits.Apply(*facts, options);
  traits.Apply(*facts, options);
  const std::string bytes = cdp::storage::EncodeProfileTraits(traits);
  auto decoded = cdp::storage::DecodeProfileTraits(bytes);
  Check(decoded.ok());
  Check(*decoded == traits);
  return 0;
}
