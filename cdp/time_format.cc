#include "cdp/time_format.h"

#include <chrono>
#include <cstdio>

namespace cdp {
namespace {

// Reads exactly `n` digits at `*pos`; false if not all digits.
bool ReadDigits(std::string_view s, std::size_t* pos, int n, int* out) {
  if (*pos + static_cast<std::size_t>(n) > s.size()) return false;
  int v = 0;
  for (int i = 0; i < n; ++i) {
    const char c = s[*pos + static_cast<std::size_t>(i)];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *pos += static_cast<std::size_t>(n);
  *out = v;
  return true;
}

bool Expect(std::string_view s, std::size_t* pos, char c) {
  if (*pos >= s.size() || s[*pos] != c) return false;
  ++*pos;
  return true;
}

}  // namespace

Result<Timestamp> ParseIso8601(std::string_view s) {
  const Status bad = InvalidArgumentError("not an ISO 8601 timestamp");
  std::size_t pos = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, millis = 0;
  if (!ReadDigits(s, &pos, 4, &year) || !Expect(s, &pos, '-') || !ReadDigits(s, &pos, 2, &month) ||
      !Expect(s, &pos, '-') || !ReadDigits(s, &pos, 2, &day)) {
    return bad;
  }
  int offset_minutes = 0;
  if (pos < s.size()) {
    if (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ') return bad;
    ++pos;
    if (!ReadDigits(s, &pos, 2, &hour) || !Expect(s, &pos, ':') ||
        !ReadDigits(s, &pos, 2, &minute)) {
      return bad;
    }
    if (pos < s.size() && s[pos] == ':') {
      ++pos;
      if (!ReadDigits(s, &pos, 2, &second)) return bad;
      if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
        ++pos;
        int digits = 0;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
          if (digits < 3) millis = millis * 10 + (s[pos] - '0');
          ++digits;
          ++pos;
        }
        if (digits == 0 || digits > 9) return bad;
        for (int d = digits; d < 3; ++d) millis *= 10;
      }
    }
    if (pos < s.size()) {
      const char zone = s[pos];
      if (zone == 'Z' || zone == 'z') {
        ++pos;
      } else if (zone == '+' || zone == '-') {
        ++pos;
        int oh = 0, om = 0;
        if (!ReadDigits(s, &pos, 2, &oh)) return bad;
        if (pos < s.size() && s[pos] == ':') ++pos;
        if (!ReadDigits(s, &pos, 2, &om)) return bad;
        if (oh > 23 || om > 59) return bad;
        offset_minutes = (oh * 60 + om) * (zone == '+' ? 1 : -1);
      } else {
        return bad;
      }
    }
  }
  if (pos != s.size()) return bad;
  if (year < 1000 || hour > 23 || minute > 59 || second > 60) return bad;
  const std::chrono::year_month_day ymd{std::chrono::year(year),
                                        std::chrono::month(static_cast<unsigned>(month)),
                                        std::chrono::day(static_cast<unsigned>(day))};
  if (!ymd.ok()) return bad;
  if (second == 60) second = 59;  // A leap second maps onto the second before it.
  const auto days = std::chrono::sys_days(ymd);
  const auto t = std::chrono::time_point_cast<std::chrono::milliseconds>(days) +
                 std::chrono::hours(hour) + std::chrono::minutes(minute) +
                 std::chrono::seconds(second) + std::chrono::milliseconds(millis) -
                 std::chrono::minutes(offset_minutes);
  return Timestamp(t.time_since_epoch());
}

std::string FormatIso8601(Timestamp t) {
  const auto days = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::year_month_day ymd(days);
  auto rest = t - days;
  const auto h = std::chrono::duration_cast<std::chrono::hours>(rest);
  rest -= h;
  const auto m = std::chrono::duration_cast<std::chrono::minutes>(rest);
  rest -= m;
  const auto sec = std::chrono::duration_cast<std::chrono::seconds>(rest);
  rest -= sec;
  char buf[40];
  const int n = std::snprintf(buf, sizeof(buf), "%04d-%02u-%02uT%02d:%02d:%02dZ",
                              static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                              static_cast<unsigned>(ymd.day()), static_cast<int>(h.count()),
                              static_cast<int>(m.count()), static_cast<int>(sec.count()));
  std::string out(buf, static_cast<std::size_t>(n));
  char ms[8];
  std::snprintf(ms, sizeof(ms), ".%03d", static_cast<int>(rest.count()));
  out.insert(out.size() - 1, ms);
  return out;
}

}  // namespace cdp
