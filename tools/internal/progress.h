// A progress indicator on stderr for the offline tools (`cdp gen`, `cdp eval`): a bar redrawn
// in place on a terminal, one line a second otherwise.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>

namespace cdp::tools {

// Not thread-safe: one thread updates it.
class ProgressBar {
 public:
  // `label` starts each line ("sending"); `unit` names what is counted ("events").
  ProgressBar(bool enabled, std::string label, std::string unit, std::uint64_t total)
      : enabled_(enabled),
        tty_(::isatty(STDERR_FILENO) != 0),
        label_(std::move(label)),
        unit_(std::move(unit)),
        total_(total) {}

  // Shows `done` of the total, at most five times a second (once a second without a
  // terminal) unless `force`.
  void Update(std::uint64_t done, bool force = false) {
    if (!enabled_) return;
    const auto now = Clock::now();
    const auto every = tty_ ? std::chrono::milliseconds(200) : std::chrono::milliseconds(1000);
    if (!force && now - last_ < every) return;
    last_ = now;
    const double fraction =
        total_ == 0 ? 1.0 : static_cast<double>(done) / static_cast<double>(total_);
    const double seconds = std::chrono::duration<double>(now - start_).count();
    const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0.0;
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(fraction * kWidth);
    std::string bar(static_cast<std::size_t>(filled > kWidth ? kWidth : filled), '#');
    bar.resize(kWidth, '.');
    std::fprintf(stderr, "%s%s [%s] %5.1f%% %llu/%llu %s %.0f/s%s", tty_ ? "\r" : "",
                 label_.c_str(), bar.c_str(), fraction * 100.0,
                 static_cast<unsigned long long>(done), static_cast<unsigned long long>(total_),
                 unit_.c_str(), rate, tty_ ? "\x1b[K" : "\n");
    std::fflush(stderr);
    drawn_ = true;
  }

  // Ends the bar's line on a terminal.
  void Finish() {
    if (enabled_ && tty_ && drawn_) std::fputc('\n', stderr);
    drawn_ = false;
  }

  // What to print before a message so that it does not run into the bar.
  const char* LineBreak() const { return enabled_ && tty_ && drawn_ ? "\n" : ""; }

 private:
  using Clock = std::chrono::steady_clock;
  bool enabled_;
  bool tty_;
  std::string label_;
  std::string unit_;
  std::uint64_t total_;
  Clock::time_point start_ = Clock::now();
  Clock::time_point last_{};
  bool drawn_ = false;
};

}  // namespace cdp::tools
