// Fuzzes the config file parser: any bytes must give a Config or an error, never a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ingest/config_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto config = cdp::ingest::ParseConfig(input);
  if (config.ok()) {
    // A parsed config always holds a valid key set.
    if (!cdp::KeySet::Create(config->keys).ok()) __builtin_trap();
  }
  return 0;
}
