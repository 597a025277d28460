// The RocksDB store behind the core's seams: opening, the format-version check and clean close.
// Key formats of every column family are in storage/FORMAT.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cdp/event_store.h"
#include "cdp/status.h"

namespace cdp::storage {

// The on-disk format this build writes and reads. A store with a higher version is refused.
inline constexpr std::uint32_t kFormatVersion = 1;

// The column families of a store, in the order they are opened (DESIGN.md, Storage layout).
const std::vector<std::string>& ColumnFamilyNames();

struct StoreOptions {
  // Create the directory and an empty store when none exists. When false, a missing store is
  // kNotFound.
  bool create_if_missing = true;
  // Background flush and compaction threads for RocksDB.
  int background_jobs = 2;
  // How long a messageId is remembered for deduplication. Older entries are dropped during
  // compaction (until then they still deduplicate). At least one minute.
  std::chrono::seconds dedup_retention = std::chrono::hours(24 * 7);
};

// An open store. Thread-safe: RocksDB serialises concurrent writers; reads run concurrently.
// Close() must not run concurrently with other calls.
class Store final : public EventStore {
 public:
  // Opens the store in `dir`, creating it when missing (per options).
  // Errors: kFailedPrecondition when the directory holds a store of a newer format version or
  // a RocksDB store that is not ours, or when another process holds it open; kCorruption when
  // its metadata cannot be read; kIoError on file-system failures. A store that is refused is
  // left untouched: the check opens it read-only first.
  static Result<std::unique_ptr<Store>> Open(const std::string& dir, const StoreOptions& options);

  ~Store() override;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Flushes and closes the database. Idempotent; after it, every other call fails with
  // kFailedPrecondition.
  Status Close();

  const std::string& path() const;
  bool is_open() const;
  std::uint32_t format_version() const;

  // Reads and writes small records in the `meta` column family. Writes are synced.
  // GetMeta returns nullopt when the key is absent.
  Result<std::optional<std::string>> GetMeta(std::string_view key) const;
  Status PutMeta(std::string_view key, std::string_view value);

  // EventStore: the event log and its messageId index (FORMAT.md, `events` and `dedup`).
  Status Commit(std::span<const Event> events, const CommitOptions& options,
                std::vector<std::uint8_t>* stored) override;
  std::uint64_t EventCount() const override;

  // The sequence of the newest stored event (0 when none).
  std::uint64_t LastSequence() const;
  // The stored message of event `sequence` (1-based), or nullopt when there is none.
  Result<std::optional<std::string>> GetEvent(std::uint64_t sequence) const;
  // The sequence of the stored event with `message_id`, or nullopt when it is not known.
  Result<std::optional<std::uint64_t>> FindMessageId(std::string_view message_id) const;
  // Syncs the write-ahead log: makes every earlier unsynced Commit durable.
  Status SyncWal();

 private:
  struct Rep;
  explicit Store(std::unique_ptr<Rep> rep);
  std::unique_ptr<Rep> rep_;
};

}  // namespace cdp::storage
