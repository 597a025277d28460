// gzip encoding of request bodies for `cdp loadgen --gzip` (zlib, 31 window bits).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "cdp/status.h"

struct z_stream_s;

namespace cdp::loadgen {

// A deflate stream reused for every body of one connection. Not thread-safe.
class GzipEncoder {
 public:
  // `level` is zlib's 1 (fastest) .. 9 (smallest).
  explicit GzipEncoder(int level);
  ~GzipEncoder();
  GzipEncoder(const GzipEncoder&) = delete;
  GzipEncoder& operator=(const GzipEncoder&) = delete;

  // Replaces `out` with the gzip member of `in`. kInternal when zlib fails.
  Status Encode(std::string_view in, std::string& out);

 private:
  std::unique_ptr<z_stream_s> zs_;
  bool ok_ = false;
};

}  // namespace cdp::loadgen
