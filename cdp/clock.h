// The clock seam: code that needs the time asks a Clock, so tests can control it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace cdp {

using Timestamp = std::chrono::time_point<std::chrono::system_clock, std::chrono::milliseconds>;

// Wall-clock time source. Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual Timestamp Now() const = 0;
};

// The system's real-time clock.
class SystemClock final : public Clock {
 public:
  Timestamp Now() const override;
  // A process-wide instance; never destroyed.
  static const SystemClock& Default();
};

// A clock that moves only when told to. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(Timestamp start) : now_ms_(start.time_since_epoch().count()) {}
  Timestamp Now() const override {
    return Timestamp(std::chrono::milliseconds(now_ms_.load(std::memory_order_acquire)));
  }
  void Advance(std::chrono::milliseconds by) {
    now_ms_.fetch_add(by.count(), std::memory_order_acq_rel);
  }
  void Set(Timestamp t) { now_ms_.store(t.time_since_epoch().count(), std::memory_order_release); }

 private:
  std::atomic<std::int64_t> now_ms_;
};

}  // namespace cdp
