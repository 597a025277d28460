// Decompression of gzip request bodies (Content-Encoding: gzip), bounded.
#pragma once

#include <string>
#include <string_view>

#include "cdp/status.h"

namespace cdp::ingest {

// Inflates a gzip stream (one or more members). Errors: kPayloadTooLarge when the output
// would exceed `max_output` bytes (decompression stops there, so a "zip bomb" costs at most
// that much memory); kInvalidArgument when the data is not a complete, valid gzip stream.
Result<std::string> Gunzip(std::string_view compressed, std::size_t max_output);

// Compresses `data` as one gzip member (for tests, tools and the load generator).
Result<std::string> Gzip(std::string_view data);

}  // namespace cdp::ingest
