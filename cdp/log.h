// Minimal leveled logging to stderr. Never pass personal data (emails, phones, ids, names):
// log counts or hashes instead.
#pragma once

#include <string_view>

namespace cdp {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// Messages below `level` are dropped. Thread-safe.
void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();

// Writes one line "2026-11-28T10:00:00.123Z INFO message" to stderr. Thread-safe: lines from
// concurrent callers never interleave.
void Log(LogLevel level, std::string_view message);

inline void LogInfo(std::string_view message) { Log(LogLevel::kInfo, message); }
inline void LogWarning(std::string_view message) { Log(LogLevel::kWarning, message); }
inline void LogError(std::string_view message) { Log(LogLevel::kError, message); }

}  // namespace cdp
