// A log-linear latency histogram in the manner of HdrHistogram: exact below 256 us, then 128
// buckets per power of two (relative error under 0.8%), up to about 19 hours.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace cdp::loadgen {

// Counts latencies in microseconds. Not thread-safe: keep one per thread and Merge() them.
class LatencyHistogram {
 public:
  // Values at or above this are clamped into the last bucket (max() stays exact).
  static constexpr std::uint64_t kMaxTrackable = (std::uint64_t{1} << 36) - 1;

  void Record(std::uint64_t micros);
  void Merge(const LatencyHistogram& other);
  void Clear();

  std::uint64_t count() const { return count_; }
  // 0 when empty.
  std::uint64_t min() const { return count_ == 0 ? 0 : min_; }
  std::uint64_t max() const { return max_; }
  double mean() const;
  // The smallest recorded value v such that at least `quantile` of all values are <= v, as the
  // upper bound of its bucket (never above max()). `quantile` in [0, 1]; 0 when empty.
  std::uint64_t ValueAtQuantile(double quantile) const;

 private:
  static constexpr int kSubBucketBits = 8;  // 256 exact values, then 128 per octave
  static constexpr std::size_t kLinear = std::size_t{1} << kSubBucketBits;
  static constexpr std::size_t kHalf = kLinear / 2;
  static constexpr std::size_t kOctaves = 36 - kSubBucketBits;
  static constexpr std::size_t kBuckets = kLinear + kOctaves * kHalf;

  static std::size_t BucketOf(std::uint64_t micros);
  // The largest value that falls in `bucket`.
  static std::uint64_t UpperBoundOf(std::size_t bucket);

  std::array<std::uint64_t, kBuckets> counts_{};
  std::uint64_t count_ = 0;
  std::uint64_t min_ = ~std::uint64_t{0};
  std::uint64_t max_ = 0;
  long double sum_ = 0;
};

}  // namespace cdp::loadgen
