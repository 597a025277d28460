// Synthetic identify events for the identity graph benchmarks: a population of people, each
// with a user id (70%), an email (50%) and three anonymous browser sessions, seen in random
// order. Deterministic for a seed.
#pragma once

#include <cstdint>
#include <random>
#include <string>

#include "cdp/event.h"

namespace cdp::bench {

class IdentifyEventSource {
 public:
  IdentifyEventSource(std::uint64_t population, std::uint64_t seed)
      : population_(population), rng_(seed) {}

  // Fills `event` (reusing its buffers) with the next event; `n` numbers its messageId.
  void Next(std::uint64_t n, Event* event) {
    const std::uint64_t person = rng_() % population_;
    const std::uint64_t session = rng_() % 3;
    event->type = EventType::kIdentify;
    event->message_id = "bench-" + std::to_string(n);
    event->timestamp = Timestamp(std::chrono::milliseconds(1'790'000'000'000 + n));
    event->received_at = event->timestamp;
    event->identifiers.resize(0);
    const std::string p = std::to_string(person);
    // Registered people (70%) identify with their user id; half have an email on file.
    const bool registered = person % 10 < 7;
    if (person % 2 == 0) {
      event->identifiers.push_back(
          Identifier{kEmail, "persona." + p + "@correo.example.es", true, {}});
    }
    if (registered) event->identifiers.push_back(Identifier{kUserId, "u-" + p, true, {}});
    event->identifiers.push_back(Identifier{
        kAnonymousId, "anon-" + p + "-" + std::to_string(session) + "-5f0c2a9e", true, {}});
  }

  // Identifiers the population holds once every session has been seen.
  std::uint64_t ExpectedIdentifiers() const {
    return population_ * 3 + population_ * 7 / 10 + population_ / 2;
  }

 private:
  std::uint64_t population_;
  std::mt19937_64 rng_;
};

}  // namespace cdp::bench
