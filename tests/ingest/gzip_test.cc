// Tests for ingest/gzip.h: round trips, multi-member streams, damaged input and the output bound.
#include "ingest/gzip.h"

#include <gtest/gtest.h>

#include <malloc.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <random>
#include <string>
#include <string_view>

// Outside the sanitizers (which replace operator new themselves), this binary's operator new
// counts the bytes live while a test asks, so that a test can bound what a call allocates.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define CDP_COUNT_ALLOCATIONS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define CDP_COUNT_ALLOCATIONS 0
#endif
#endif
#ifndef CDP_COUNT_ALLOCATIONS
#define CDP_COUNT_ALLOCATIONS 1
#endif

#if CDP_COUNT_ALLOCATIONS
namespace {

std::atomic<bool> g_count_allocations{false};
std::atomic<std::int64_t> g_live_bytes{0};
std::atomic<std::int64_t> g_peak_bytes{0};

}  // namespace

void* operator new(std::size_t size) {
  void* p = std::malloc(size == 0 ? 1 : size);
  if (p == nullptr) throw std::bad_alloc();
  if (g_count_allocations.load(std::memory_order_relaxed)) {
    const auto bytes = static_cast<std::int64_t>(malloc_usable_size(p));
    const std::int64_t live = g_live_bytes.fetch_add(bytes) + bytes;
    std::int64_t peak = g_peak_bytes.load();
    while (live > peak && !g_peak_bytes.compare_exchange_weak(peak, live)) {
    }
  }
  return p;
}

void operator delete(void* p) noexcept {
  if (p != nullptr && g_count_allocations.load(std::memory_order_relaxed)) {
    g_live_bytes.fetch_sub(static_cast<std::int64_t>(malloc_usable_size(p)));
  }
  std::free(p);
}

void operator delete(void* p, std::size_t /*size*/) noexcept { operator delete(p); }
#endif

namespace cdp::ingest {
namespace {

std::string MustGzip(std::string_view data) {
  auto compressed = Gzip(data);
  EXPECT_TRUE(compressed.ok()) << compressed.status().ToString();
  return compressed.ok() ? *compressed : std::string();
}

// Text with structure (compressible) interleaved with random bytes (not), from a fixed seed.
std::string RandomIsh(std::size_t size) {
  std::mt19937 rng(12345);
  std::string out;
  out.reserve(size);
  while (out.size() < size) {
    if (rng() % 4 == 0) {
      out += R"({"type":"track","event":"Page Viewed","userId":"u-)" +
             std::to_string(rng() % 1000) + "\"}";
    } else {
      out += static_cast<char>(rng() & 0xFFu);
    }
  }
  out.resize(size);
  return out;
}

constexpr std::size_t kGenerous = std::size_t{64} << 20;

TEST(GzipTest, RoundTripEmpty) {
  const std::string compressed = MustGzip("");
  EXPECT_FALSE(compressed.empty());
  auto out = Gunzip(compressed, kGenerous);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out, "");
  // An empty output fits even a zero bound.
  auto zero = Gunzip(compressed, 0);
  ASSERT_TRUE(zero.ok()) << zero.status().ToString();
  EXPECT_EQ(*zero, "");
}

TEST(GzipTest, RoundTripSmall) {
  const std::string data = R"({"batch":[{"type":"identify","userId":"u1"}]})";
  const std::string compressed = MustGzip(data);
  ASSERT_GE(compressed.size(), 18u);
  EXPECT_EQ(static_cast<unsigned char>(compressed[0]), 0x1Fu);  // gzip magic
  EXPECT_EQ(static_cast<unsigned char>(compressed[1]), 0x8Bu);
  auto out = Gunzip(compressed, kGenerous);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out, data);
}

TEST(GzipTest, RoundTripOneMegabyte) {
  const std::string data = RandomIsh(std::size_t{1} << 20);
  const std::string compressed = MustGzip(data);
  auto out = Gunzip(compressed, kGenerous);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE(*out == data);
}

TEST(GzipTest, OutputExactlyAtTheBoundIsAccepted) {
  const std::string data = RandomIsh(100'000);
  const std::string compressed = MustGzip(data);
  auto exact = Gunzip(compressed, data.size());
  ASSERT_TRUE(exact.ok()) << exact.status().ToString();
  EXPECT_TRUE(*exact == data);
  auto over = Gunzip(compressed, data.size() - 1);
  EXPECT_EQ(over.status().code(), StatusCode::kPayloadTooLarge);
}

TEST(GzipTest, ConcatenatedMembersAreOneStream) {
  const std::string compressed = MustGzip("hello, ") + MustGzip("") + MustGzip("world");
  auto out = Gunzip(compressed, kGenerous);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out, "hello, world");

  // The bound covers all members together.
  EXPECT_EQ(Gunzip(compressed, 11).status().code(), StatusCode::kPayloadTooLarge);
}

TEST(GzipTest, EveryTruncationIsInvalid) {
  const std::string compressed = MustGzip(RandomIsh(5000));
  for (std::size_t n = 0; n < compressed.size(); ++n) {
    auto out = Gunzip(std::string_view(compressed).substr(0, n), kGenerous);
    ASSERT_FALSE(out.ok()) << "prefix of " << n << " bytes";
    EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument) << "prefix of " << n << " bytes";
  }
}

TEST(GzipTest, TruncatedSecondMemberIsInvalid) {
  const std::string second = MustGzip("second member");
  const std::string compressed = MustGzip("first member") + second.substr(0, second.size() - 4);
  EXPECT_EQ(Gunzip(compressed, kGenerous).status().code(), StatusCode::kInvalidArgument);
}

TEST(GzipTest, CorruptBytesAreInvalid) {
  const std::string data = RandomIsh(20'000);
  const std::string compressed = MustGzip(data);
  // The magic, the method, a byte of the deflate data, the CRC-32 and the length.
  for (std::size_t at : {std::size_t{0}, std::size_t{1}, std::size_t{2}, compressed.size() / 2,
                         compressed.size() - 8, compressed.size() - 1}) {
    std::string damaged = compressed;
    damaged[at] = static_cast<char>(damaged[at] ^ 0x55);
    auto out = Gunzip(damaged, kGenerous);
    ASSERT_FALSE(out.ok()) << "byte " << at;
    EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument) << "byte " << at;
  }
}

TEST(GzipTest, TrailingGarbageIsInvalid) {
  const std::string compressed = MustGzip("payload") + "garbage";
  EXPECT_EQ(Gunzip(compressed, kGenerous).status().code(), StatusCode::kInvalidArgument);
}

TEST(GzipTest, NotGzipIsInvalid) {
  for (std::string_view input :
       {std::string_view(R"({"batch":[]})"), std::string_view("\x1F"), std::string_view("\x1F\x8B"),
        // A zlib (RFC 1950) stream of "a", not gzip.
        std::string_view("\x78\x9C\x4B\x04\x00\x00\x62\x00\x62", 9)}) {
    auto out = Gunzip(input, kGenerous);
    ASSERT_FALSE(out.ok()) << input;
    EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument) << input;
  }
}

TEST(GzipTest, ZipBombStopsAtTheBound) {
  // 50 MB of zeros compress to about 50 KB.
  const std::size_t expanded = std::size_t{50} << 20;
  const std::string bomb = MustGzip(std::string(expanded, '\0'));
  ASSERT_LT(bomb.size(), std::size_t{1} << 20);
  constexpr std::size_t kMaxOutput = std::size_t{500} * 1024;
#if CDP_COUNT_ALLOCATIONS
  g_live_bytes = 0;
  g_peak_bytes = 0;
  g_count_allocations = true;
#endif
  auto out = Gunzip(bomb, kMaxOutput);
#if CDP_COUNT_ALLOCATIONS
  g_count_allocations = false;
  // The output string may double past the bound once; nothing near the 50 MB is allocated.
  EXPECT_LT(g_peak_bytes.load(), std::int64_t{4} << 20);
  EXPECT_GT(g_peak_bytes.load(), 0);
#endif
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kPayloadTooLarge) << out.status().ToString();
  EXPECT_FALSE(out.status().message().empty());
}

}  // namespace
}  // namespace cdp::ingest
