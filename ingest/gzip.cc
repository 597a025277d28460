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

GzipEncoder::GzipEncoder(int level) : zs_(std::make_unique<z_stream>()) {
  ok_ = deflateInit2(zs_.get(), level, Z_DEFLATED, kGzipWindowBits, 8, Z_DEFAULT_STRATEGY) == Z_OK;
}

GzipEncoder::~GzipEncoder() {
  if (ok_) deflateEnd(zs_.get());
}

Status GzipEncoder::Encode(std::string_view in, std::string& out) {
  if (!ok_ || deflateReset(zs_.get()) != Z_OK) return InternalError("zlib deflate init failed");
  if (in.size() > 0xFFFFFFFFu) return InvalidArgumentError("input too large for one member");
  out.resize(deflateBound(zs_.get(), static_cast<uLong>(in.size())));
  // zlib's API is not const-correct; it does not write through next_in.
  zs_->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs_->avail_in = static_cast<uInt>(in.size());
  zs_->next_out = reinterpret_cast<Bytef*>(out.data());
  zs_->avail_out = static_cast<uInt>(out.size());
  if (deflate(zs_.get(), Z_FINISH) != Z_STREAM_END) return InternalError("zlib deflate failed");
  out.resize(zs_->total_out);
  return Status::Ok();
}

Result<std::string> Gzip(std::string_view data) {
  GzipEncoder encoder(Z_DEFAULT_COMPRESSION);
  std::string out;
  CDP_RETURN_IF_ERROR(encoder.Encode(data, out));
  return out;
}

}  // namespace cdp::ingest
