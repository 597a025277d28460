#include "cdp/clock.h"

namespace cdp {

Timestamp SystemClock::Now() const {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

const SystemClock& SystemClock::Default() {
  static const auto* clock = new SystemClock();
  return *clock;
}

}  // namespace cdp
