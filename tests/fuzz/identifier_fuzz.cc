// Fuzzes identifier normalisation: any bytes, as a value of every built-in type and as an API
// identifier reference, must normalise without crashing, and what normalises must be a
// fixed point.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "cdp/identifier.h"
#include "ingest/phone_normalizer.h"

namespace {

void Check(bool condition) {
  if (!condition) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const cdp::IdentityConfig config = cdp::IdentityConfig::Defaults();
  const cdp::PhoneNormalizer* phones = &cdp::ingest::DefaultPhoneNormalizer();
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  for (cdp::IdentifierType type = 0; type < cdp::kBuiltinIdentifierTypes; ++type) {
    const cdp::NormalizedIdentifier n = cdp::NormalizeIdentifier(config, type, input, phones);
    if (n.quality == cdp::IdentifierQuality::kInvalid ||
        n.quality == cdp::IdentifierQuality::kBlocked) {
      Check(n.value.empty());
      continue;
    }
    Check(!n.value.empty() && n.value.size() <= cdp::kMaxIdentifierValueLength);
    if (type == cdp::kPhone) {
      // E.164: '+' and digits. (libphonenumber's own idempotence is not ours to check.)
      Check(n.value.size() >= 2 && n.value[0] == '+');
      for (std::size_t i = 1; i < n.value.size(); ++i) {
        Check(n.value[i] >= '0' && n.value[i] <= '9');
      }
      continue;
    }
    const cdp::NormalizedIdentifier again = cdp::NormalizeIdentifier(config, type, n.value, phones);
    Check(again.quality == n.quality && again.value == n.value);
  }

  auto ref = cdp::ParseIdentifierRef(config, input, phones);
  if (ref.ok()) {
    Check(ref->linking && !ref->value.empty());
    Check(ref->type < config.types.size() && config.types[ref->type].linking);
    if (ref->type != cdp::kPhone) {
      const std::string again_ref = config.types[ref->type].name + ":" + ref->value;
      auto again = cdp::ParseIdentifierRef(config, again_ref, phones);
      Check(again.ok() && *again == *ref);
    }
  }
  return 0;
}
