#include "cdp/time_format.h"

#include <chrono>
#include <cstdint>
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
  // Digits by hand: this runs several times per ingested event, and snprintf was a fifth of
  // the parse cost.
  const auto days = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::year_month_day ymd(days);
  const auto ms_of_day = (t - days).count();
  const int year = static_cast<int>(ymd.year());
  const auto month = static_cast<unsigned>(ymd.month());
  const auto day = static_cast<unsigned>(ymd.day());
  const auto hour = ms_of_day / 3'600'000;
  const auto minute = ms_of_day / 60'000 % 60;
  const auto second = ms_of_day / 1000 % 60;
  const auto millis = ms_of_day % 1000;
  if (year < 0 || year > 9999) {
    char buf[48];
    const int n = std::snprintf(buf, sizeof(buf), "%d-%02u-%02uT%02d:%02d:%02d.%03dZ", year, month,
                                day, static_cast<int>(hour), static_cast<int>(minute),
                                static_cast<int>(second), static_cast<int>(millis));
    return std::string(buf, static_cast<std::size_t>(n));
  }
  char buf[25] = "0000-00-00T00:00:00.000Z";
  auto put = [&buf](std::size_t at, std::int64_t value, int width) {
    for (int k = width - 1; k >= 0; --k) {
      buf[at + static_cast<std::size_t>(k)] = static_cast<char>('0' + value % 10);
      value /= 10;
    }
  };
  put(0, year, 4);
  put(5, month, 2);
  put(8, day, 2);
  put(11, hour, 2);
  put(14, minute, 2);
  put(17, second, 2);
  put(20, millis, 3);
  return std::string(buf, 24);
}

}  // namespace cdp
