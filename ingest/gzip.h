// Decompression of gzip request bodies (Content-Encoding: gzip), bounded.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "cdp/status.h"

struct z_stream_s;

namespace cdp::ingest {

// A deflate stream reused for many gzip members (one per body). Not thread-safe.
class GzipEncoder {
 public:
  // `level` is zlib's 1 (fastest) to 9 (smallest), or -1 for zlib's default (6).
  explicit GzipEncoder(int level);
  ~GzipEncoder();
  GzipEncoder(const GzipEncoder&) = delete;
  GzipEncoder& operator=(const GzipEncoder&) = delete;

  // Replaces `out` with one gzip member holding `in`. kInternal when zlib fails.
  Status Encode(std::string_view in, std::string& out);

 private:
  std::unique_ptr<z_stream_s> zs_;
  bool ok_ = false;
};

// Inflates a gzip stream (one or more members). Errors: kPayloadTooLarge when the output
// would exceed `max_output` bytes (decompression stops there, so a "zip bomb" costs at most
// that much memory); kInvalidArgument when the data is not a complete, valid gzip stream.
Result<std::string> Gunzip(std::string_view compressed, std::size_t max_output);

// Compresses `data` as one gzip member at zlib's default level (tests and tools).
Result<std::string> Gzip(std::string_view data);

}  // namespace cdp::ingest
