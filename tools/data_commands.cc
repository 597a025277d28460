#include "tools/data_commands.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <vector>

#include "cdp/clock.h"
#include "storage/store.h"

namespace cdp::tools {
namespace {

using SteadyClock = std::chrono::steady_clock;

// Progress on stderr: redrawn in place on a terminal, one line a second otherwise.
class Progress {
 public:
  Progress(bool enabled, std::uintmax_t total_bytes)
      : enabled_(enabled), tty_(::isatty(STDERR_FILENO) != 0), total_(total_bytes) {}

  void Update(std::uintmax_t bytes, std::size_t lines, bool force = false) {
    if (!enabled_) return;
    const auto now = SteadyClock::now();
    const auto every = tty_ ? std::chrono::milliseconds(200) : std::chrono::milliseconds(1000);
    if (!force && now - last_ < every) return;
    last_ = now;
    const double fraction =
        total_ == 0 ? 1.0 : static_cast<double>(bytes) / static_cast<double>(total_);
    const double seconds = std::chrono::duration<double>(now - start_).count();
    const double rate = seconds > 0 ? static_cast<double>(lines) / seconds : 0.0;
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(fraction * kWidth);
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.resize(kWidth, '.');
    std::fprintf(stderr, "%s[%s] %5.1f%% %zu lines %.0f lines/s%s", tty_ ? "\r" : "", bar.c_str(),
                 fraction * 100.0, lines, rate, tty_ ? "" : "\n");
    std::fflush(stderr);
  }
  // What to print before a message so that it does not run into the bar.
  const char* LineBreak() const {
    return enabled_ && tty_ && last_ != SteadyClock::time_point{} ? "\n" : "";
  }
  void Finish() {
    if (enabled_ && tty_) std::fputc('\n', stderr);
  }

 private:
  bool enabled_;
  bool tty_;
  std::uintmax_t total_;
  SteadyClock::time_point start_ = SteadyClock::now();
  SteadyClock::time_point last_{};
};

struct ImportTotals {
  std::size_t lines = 0;
  std::size_t blank = 0;
  std::size_t invalid = 0;
  std::size_t stored = 0;
  std::size_t duplicates = 0;
};

Status CommitBatch(storage::Store& store, std::vector<Event>& events, ImportTotals& totals) {
  if (events.empty()) return Status::Ok();
  std::vector<std::uint8_t> stored;
  CDP_RETURN_IF_ERROR(store.Commit(events, CommitOptions{/*sync=*/false}, &stored));
  std::size_t n = 0;
  for (std::uint8_t s : stored) n += s;
  totals.stored += n;
  totals.duplicates += events.size() - n;
  events.clear();
  return Status::Ok();
}

}  // namespace

int RunImport(const ImportOptions& options) {
  if (options.batch_size == 0) {
    std::fprintf(stderr, "cdp import: --batch-size must be at least 1\n");
    return 2;
  }
  std::ifstream in(options.file, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cdp import: cannot open %s\n", options.file.c_str());
    return 1;
  }
  std::error_code ec;
  const std::uintmax_t file_size = std::filesystem::file_size(options.file, ec);
  auto store_or = storage::Store::Open(options.data_dir, storage::StoreOptions());
  if (!store_or.ok()) {
    std::fprintf(stderr, "cdp import: data directory %s: %s\n", options.data_dir.c_str(),
                 store_or.status().ToString().c_str());
    return 1;
  }
  std::unique_ptr<storage::Store> store = std::move(store_or).value();
  ingest::SegmentParser parser(options.limits);
  Progress progress(options.progress, ec ? 0 : file_size);
  ImportTotals totals;
  std::vector<Event> events;
  events.reserve(options.batch_size);
  std::string line;
  std::uintmax_t bytes = 0;
  const auto start = SteadyClock::now();
  Status status = Status::Ok();
  bool strict_stop = false;
  while (std::getline(in, line)) {
    ++totals.lines;
    bytes += line.size() + 1;
    if (line.find_first_not_of(" \t\r") == std::string::npos) {
      ++totals.blank;
      continue;
    }
    ingest::ParsedRequest parsed;
    ingest::ParseFailure failure;
    const bool ok = parser.ParseFrame(line, SystemClock::Default().Now(), &parsed, &failure);
    if (!ok || !parsed.errors.empty()) {
      ++totals.invalid;
      const std::string why = ok ? parsed.errors.front().message : failure.status.ToString();
      std::fprintf(stderr, "%sline %zu: %s\n", progress.LineBreak(), totals.lines, why.c_str());
      if (options.strict) {
        // The lines before it are still stored: an import is not atomic (it commits in
        // batches), and a re-run deduplicates them.
        strict_stop = true;
        break;
      }
      continue;
    }
    for (Event& e : parsed.events) events.push_back(std::move(e));
    if (events.size() >= options.batch_size) {
      status = CommitBatch(*store, events, totals);
      if (!status.ok()) break;
    }
    progress.Update(bytes, totals.lines);
  }
  if (status.ok() && in.bad()) status = IoError("reading the input failed");
  if (status.ok()) status = CommitBatch(*store, events, totals);
  if (status.ok()) status = store->SyncWal();
  progress.Update(bytes, totals.lines, /*force=*/true);
  progress.Finish();
  Status closed = store->Close();
  if (status.ok()) status = closed;
  const double seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
  std::printf(
      "cdp import: %zu lines in %.1f s (%.0f lines/s): %zu stored, %zu duplicates, %zu invalid, "
      "%zu blank; the store holds %llu events\n",
      totals.lines, seconds, seconds > 0 ? static_cast<double>(totals.lines) / seconds : 0.0,
      totals.stored, totals.duplicates, totals.invalid, totals.blank,
      static_cast<unsigned long long>(store->EventCount()));
  if (!status.ok()) {
    std::fprintf(stderr, "cdp import: %s\n", status.ToString().c_str());
    return 1;
  }
  if (strict_stop) {
    std::fprintf(stderr, "cdp import: stopped at line %zu (--strict)\n", totals.lines);
  }
  return totals.invalid == 0 ? 0 : 1;
}

int RunEvents(const std::string& data_dir, std::size_t limit) {
  storage::StoreOptions store_options;
  store_options.create_if_missing = false;
  auto store_or = storage::Store::Open(data_dir, store_options);
  if (!store_or.ok()) {
    std::fprintf(stderr, "cdp events: data directory %s: %s\n", data_dir.c_str(),
                 store_or.status().ToString().c_str());
    return 1;
  }
  std::unique_ptr<storage::Store> store = std::move(store_or).value();
  const std::uint64_t last = store->LastSequence();
  std::size_t printed = 0;
  for (std::uint64_t seq = last; seq >= 1 && printed < limit; --seq) {
    auto event = store->GetEvent(seq);
    if (!event.ok()) {
      std::fprintf(stderr, "cdp events: %s\n", event.status().ToString().c_str());
      return 1;
    }
    if (!event->has_value()) continue;
    std::fwrite((*event)->data(), 1, (*event)->size(), stdout);
    std::fputc('\n', stdout);
    ++printed;
  }
  Status closed = store->Close();
  if (!closed.ok()) {
    std::fprintf(stderr, "cdp events: %s\n", closed.ToString().c_str());
    return 1;
  }
  return 0;
}

}  // namespace cdp::tools
