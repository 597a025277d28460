// Synthetic Segment messages for `cdp loadgen`: identify, track and page events of a
// citizen population, 300 to 600 bytes each, built cheaply from fixed vocabularies.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace cdp::loadgen {

// A fast, seedable 64-bit generator (splitmix64). Not thread-safe.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t Next();
  // Uniform in [0, n). REQUIRES: 0 < n < 2^32.
  std::uint32_t Below(std::uint32_t n) {
    return static_cast<std::uint32_t>(((Next() >> 32) * n) >> 32);
  }

 private:
  std::uint64_t state_;
};

// Appends the userId of user number `user` of the population ("u0001234") to `out`.
void AppendUserId(std::string& out, std::uint32_t user);

// Appends "2026-11-28T10:00:00.123Z" (UTC, milliseconds) to `out`.
void AppendIso8601(std::string& out, std::chrono::system_clock::time_point t);

struct GeneratorOptions {
  // Content seed: the same seed gives the same sequence of events (apart from messageIds when
  // the id prefix differs).
  std::uint64_t seed = 1;
  // Every messageId starts with this; the generator appends a counter. Unique per generator.
  std::string message_id_prefix = "lg-0-";
  // Distinct users (userId u0000000 .. ). Traits are a function of the user, not the seed.
  std::uint32_t population = 1'000'000;
  // Each event's size is drawn uniformly from [min_bytes, max_bytes].
  std::uint32_t min_bytes = 300;
  std::uint32_t max_bytes = 600;
};

// What a generator has produced so far.
struct GeneratorCounts {
  std::uint64_t events = 0;
  std::uint64_t bytes = 0;  // of the events alone, without the batch envelope
  std::uint64_t identify = 0;
  std::uint64_t track = 0;
  std::uint64_t page = 0;
  std::uint32_t min_size = 0;  // 0 until the first event
  std::uint32_t max_size = 0;
};

// Builds events and batch bodies into caller-owned buffers (no allocation once they have
// grown). Each event has a unique messageId (prefix + counter). Not thread-safe: one per
// connection.
class EventGenerator {
 public:
  explicit EventGenerator(GeneratorOptions options);

  // Appends one message object, stamped `timestamp` (an ISO 8601 string), to `out`.
  void AppendEvent(std::string& out, std::string_view timestamp);
  // Appends {"batch":[...n events...],"sentAt":"..."} (the body of POST /v1/batch).
  void AppendHttpBatch(std::string& out, int n, std::chrono::system_clock::time_point now);
  // Appends {"batch":[...n events...],"seq":seq} (one frame of GET /v1/stream).
  void AppendStreamBatch(std::string& out, int n, std::uint64_t seq,
                         std::chrono::system_clock::time_point now);

  const GeneratorCounts& counts() const { return counts_; }

 private:
  void AppendEvents(std::string& out, int n, std::string_view timestamp);
  // The type-specific fields; optional ones only while `out` stays within `limit` bytes.
  void AppendIdentify(std::string& out, std::uint32_t user, std::uint32_t channel,
                      std::size_t limit);
  void AppendTrack(std::string& out, std::uint32_t user, bool known, std::size_t limit);
  void AppendPage(std::string& out, bool known, std::size_t limit);
  void AppendHeader(std::string& out, std::string_view type, std::uint32_t user, bool known,
                    std::string_view timestamp);
  // Fills context_ with the event's context fields (without the closing brace).
  void BuildContext(std::uint32_t user, std::uint32_t channel);
  // Appends context_, padded so that the event (begun at `start`) ends exactly at `target`
  // bytes where possible, and closes the event.
  void AppendContextAndClose(std::string& out, std::size_t start, std::size_t target);

  GeneratorOptions options_;
  Rng rng_;
  std::uint64_t next_id_ = 0;
  GeneratorCounts counts_;
  std::string timestamp_;
  std::string context_;
};

}  // namespace cdp::loadgen
