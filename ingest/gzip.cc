#include "ingest/gzip.h"

#include <zlib.h>

#include <array>

namespace cdp::ingest {
namespace {

constexpr int kGzipWindowBits = 15 + 16;  // 15-bit window, gzip header and trailer

}  // namespace

Result<std::string> Gunzip(std::string_view compressed, std::size_t max_output) {
  z_stream zs{};
  if (inflateInit2(&zs, kGzipWindowBits) != Z_OK) return InternalError("inflateInit2 failed");
  std::string out;
  std::array<unsigned char, 16384> chunk{};
  // zlib's API is not const-correct; it does not write through next_in.
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  zs.avail_in = static_cast<uInt>(compressed.size());
  if (compressed.size() > 0xFFFFFFFFu) {
    inflateEnd(&zs);
    return PayloadTooLargeError("compressed body too large");
  }
  Status result = Status::Ok();
  bool done = false;
  while (!done) {
    zs.next_out = chunk.data();
    zs.avail_out = static_cast<uInt>(chunk.size());
    const int rc = inflate(&zs, Z_NO_FLUSH);
    const std::size_t produced = chunk.size() - zs.avail_out;
    if (out.size() + produced > max_output) {
      result = PayloadTooLargeError("the decompressed body is larger than " +
                                    std::to_string(max_output) + " bytes");
      break;
    }
    out.append(reinterpret_cast<const char*>(chunk.data()), produced);
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0) {
        done = true;
      } else if (inflateReset(&zs) != Z_OK) {  // another gzip member follows
        result = InvalidArgumentError("invalid gzip data");
        break;
      }
    } else if (rc == Z_BUF_ERROR && zs.avail_in == 0) {
      result = InvalidArgumentError("truncated gzip data");
      break;
    } else if (rc != Z_OK) {
      result = InvalidArgumentError("invalid gzip data");
      break;
    }
  }
  inflateEnd(&zs);
  if (!result.ok()) return result;
  return out;
}

Result<std::string> Gzip(std::string_view data) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, kGzipWindowBits, 8,
                   Z_DEFAULT_STRATEGY) != Z_OK) {
    return InternalError("deflateInit2 failed");
  }
  std::string out;
  out.resize(deflateBound(&zs, static_cast<uLong>(data.size())) + 32);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return InternalError("deflate failed");
  return out;
}

}  // namespace cdp::ingest
