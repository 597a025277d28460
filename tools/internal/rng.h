// A small seedable random generator for the offline tools (`cdp gen`, `cdp eval`): splitmix64,
// with its own uniform draws so that a seed gives the same sequence on every platform (the
// distributions of <random> differ between standard libraries).
#pragma once

#include <cstdint>
#include <string_view>

namespace cdp::tools {

// One splitmix64 step: a well-mixed 64-bit function of `x`.
inline std::uint64_t SplitMix(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// A seed derived from two values (a seed and a stream or record number).
inline std::uint64_t MixSeed(std::uint64_t a, std::uint64_t b) { return SplitMix(a ^ SplitMix(b)); }

// FNV-1a: a string hash that is the same on every platform and run.
inline std::uint64_t Fnv1a(std::string_view s) {
  std::uint64_t h = 0xCBF29CE484222325ull;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001B3ull;
  }
  return h;
}

// Not thread-safe: one per thread or per record.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t Next() {
    state_ += 0x9E3779B97F4A7C15ull;
    std::uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n). REQUIRES: 0 < n < 2^32.
  std::uint32_t Below(std::uint64_t n) {
    return static_cast<std::uint32_t>(((Next() >> 32) * n) >> 32);
  }
  // Uniform in [0, n) for any n > 0 (slightly biased when n is near 2^64; fine here).
  std::uint64_t Below64(std::uint64_t n) { return Next() % n; }
  // Uniform in [lo, hi]. REQUIRES: lo <= hi.
  int Between(int lo, int hi) {
    return lo + static_cast<int>(Below(static_cast<std::uint64_t>(hi - lo) + 1));
  }
  // Uniform in [0, 1).
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  bool Chance(double p) { return Uniform() < p; }

 private:
  std::uint64_t state_;
};

}  // namespace cdp::tools
