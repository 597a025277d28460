#include "tools/loadgen_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace cdp::loadgen {

std::size_t LatencyHistogram::BucketOf(std::uint64_t micros) {
  const std::uint64_t v = std::min(micros, kMaxTrackable);
  if (v < kLinear) return static_cast<std::size_t>(v);
  // v has its top bit at position `top` (>= kSubBucketBits); keep the kSubBucketBits bits
  // below and including it: a value in [kHalf, kLinear).
  const int top = static_cast<int>(std::bit_width(v)) - 1;
  const int shift = top - (kSubBucketBits - 1);
  const std::size_t octave = static_cast<std::size_t>(top - kSubBucketBits);
  const std::size_t sub = static_cast<std::size_t>(v >> shift) - kHalf;
  return kLinear + octave * kHalf + sub;
}

std::uint64_t LatencyHistogram::UpperBoundOf(std::size_t bucket) {
  if (bucket < kLinear) return bucket;
  const std::size_t octave = (bucket - kLinear) / kHalf;
  const std::size_t sub = (bucket - kLinear) % kHalf;
  const int shift = static_cast<int>(octave) + 1;
  const std::uint64_t low = std::uint64_t{kHalf + sub} << shift;
  return low + ((std::uint64_t{1} << shift) - 1);
}

void LatencyHistogram::Record(std::uint64_t micros) {
  ++counts_[BucketOf(micros)];
  ++count_;
  min_ = std::min(min_, micros);
  max_ = std::max(max_, micros);
  sum_ += static_cast<long double>(micros);
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (std::size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
}

void LatencyHistogram::Clear() { *this = LatencyHistogram(); }

double LatencyHistogram::mean() const {
  return count_ == 0 ? 0.0 : static_cast<double>(sum_ / static_cast<long double>(count_));
}

std::uint64_t LatencyHistogram::ValueAtQuantile(double quantile) const {
  if (count_ == 0) return 0;
  const double q = std::clamp(quantile, 0.0, 1.0);
  // The rank of the wanted value, 1-based: at least one value, at most all of them.
  const auto rank = std::clamp<std::uint64_t>(
      static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_))), 1, count_);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    // The last bucket also holds the clamped values above kMaxTrackable.
    if (seen >= rank) return i + 1 == kBuckets ? max_ : std::min(UpperBoundOf(i), max_);
  }
  return max_;
}

}  // namespace cdp::loadgen
