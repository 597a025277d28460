#include "tools/loadgen_gzip.h"

#define ZLIB_CONST
#include <zlib.h>

namespace cdp::loadgen {

GzipEncoder::GzipEncoder(int level) : zs_(std::make_unique<z_stream>()) {
  // 31 window bits: a 32 KiB window with a gzip header and trailer.
  ok_ = deflateInit2(zs_.get(), level, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) == Z_OK;
}

GzipEncoder::~GzipEncoder() {
  if (ok_) deflateEnd(zs_.get());
}

Status GzipEncoder::Encode(std::string_view in, std::string& out) {
  if (!ok_ || deflateReset(zs_.get()) != Z_OK) return InternalError("zlib deflate init failed");
  out.resize(deflateBound(zs_.get(), static_cast<uLong>(in.size())));
  zs_->next_in = reinterpret_cast<const Bytef*>(in.data());
  zs_->avail_in = static_cast<uInt>(in.size());
  zs_->next_out = reinterpret_cast<Bytef*>(out.data());
  zs_->avail_out = static_cast<uInt>(out.size());
  if (deflate(zs_.get(), Z_FINISH) != Z_STREAM_END) return InternalError("zlib deflate failed");
  out.resize(zs_->total_out);
  return Status::Ok();
}

}  // namespace cdp::loadgen
