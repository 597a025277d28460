// Fuzzes DecodeProfileTraits (storage/profile_traits_codec.h) with any bytes: no crash, only
// kCorruption as an error, and a value that decodes encodes back to exactly the same bytes and
// merges with itself into a value that still encodes and decodes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "storage/profile_traits_codec.h"

namespace {

void Check(bool condition) {
  if (!condition) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto decoded = cdp::storage::DecodeProfileTraits(bytes);
  if (!decoded.ok()) {
    Check(decoded.status().code() == cdp::StatusCode::kCorruption);
    return 0;
  }
  Check(cdp::storage::EncodeProfileTraits(*decoded) == bytes);
  // Counts saturate near 2^64, where sums stop agreeing; no profile gets there.
  if (decoded->computed().event_count > (std::uint64_t{1} << 62)) return 0;
  cdp::ProfileTraits merged = *decoded;
  merged.MergeFrom(*decoded);
  auto again = cdp::storage::DecodeProfileTraits(cdp::storage::EncodeProfileTraits(merged));
  Check(again.ok());
  Check(*again == merged);
  return 0;
}
