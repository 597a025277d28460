// Fuzzes Authorization header parsing and base64: no crash, and base64 round-trips.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "cdp/auth.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto key = cdp::KeyFromAuthorizationHeader(input);
  if (key.ok() && key->empty()) __builtin_trap();
  auto decoded = cdp::Base64Decode(input);
  const std::string encoded = cdp::Base64Encode(input);
  auto round_trip = cdp::Base64Decode(encoded);
  if (!round_trip.ok() || *round_trip != input) __builtin_trap();
  (void)decoded;
  return 0;
}
