// The RocksDB store behind the core's seams: opening, the format-version check and clean close,
// the event log and the durable identity graph. Key formats of every column family are in
// storage/FORMAT.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cdp/event_store.h"
#include "cdp/graph_delta.h"
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
  // The block cache of `profiles` (profile records, traits, the timeline index), where profile
  // reads go. At least 1 MiB.
  std::size_t profile_cache_bytes = std::size_t{512} << 20;
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
  // kFailedPrecondition. After a failed write it closes without syncing the WAL (RocksDB
  // refuses to) and returns kIoError.
  Status Close();

  const std::string& path() const;
  bool is_open() const;
  std::uint32_t format_version() const;

  // Reads and writes small records in the `meta` column family. Writes are synced.
  // GetMeta returns nullopt when the key is absent.
  Result<std::optional<std::string>> GetMeta(std::string_view key) const;
  Status PutMeta(std::string_view key, std::string_view value);

  // EventStore: the event log and its messageId index (FORMAT.md, `events` and `dedup`).
  // With `options.applier` set and at least one event to append, Commit calls its Apply once,
  // after deduplication and sequence assignment, with the appended events (never duplicates,
  // in log order) and their sequences, and writes the delta it fills in the same atomic
  // WriteBatch as the events (nothing more when it is empty). A `state_only` edge rewrites the
  // state of the stored edge and keeps its evidence. When the delta cannot be written
  // (kInvalidArgument for a record the format cannot hold, kCorruption for a `state_only` edge
  // that is not stored or not readable) or the write fails, Commit calls Abandon and returns
  // the error; nothing of the commit, events included, is written. Apply is not called when
  // every event is a duplicate.
  Status Commit(std::span<const Event> events, const CommitOptions& options,
                std::vector<std::uint8_t>* stored) override;
  std::uint64_t EventCount() const override;
  // The records of `delta` (state_only edges included) in one WriteBatch; see Commit.
  Status CommitGraph(const GraphDelta& delta, const CommitOptions& options) override;

  std::uint64_t LastSequence() const override;
  // The stored message of event `sequence` (1-based), or nullopt when there is none.
  Result<std::optional<std::string>> GetEvent(std::uint64_t sequence) const;
  // The sequence of the stored event with `message_id`, or nullopt when it is not known.
  Result<std::optional<std::uint64_t>> FindMessageId(std::string_view message_id) const;
  // Syncs the write-ahead log: makes every earlier unsynced Commit durable. kIoError after a
  // failed write.
  Status SyncWal();

  // Calls `fn` with each stored event from `from_sequence` (0 or 1: from the first) in log
  // order, with its JSON (without the version byte); the view is valid during the call only.
  // Stops early, with ok, when `fn` returns false. kCorruption for a malformed record.
  Status ForEachEvent(
      std::uint64_t from_sequence,
      const std::function<bool(std::uint64_t sequence, std::string_view json)>& fn) const;

  // The identity graph (FORMAT.md, `identifiers`, `edges` and `profiles`).

  // Hands every stored graph record to `sink`: nodes in node order on a second thread, and on
  // the calling thread the records of `edges` in key order (cannot-links by id, edges by pair,
  // review items by id), then profiles in id order (the two groups run concurrently, as
  // GraphRecordSink allows). The records are read from one snapshot, so a concurrent Commit is
  // seen whole or not at all; each record passed is valid during the call only. kCorruption
  // naming the family and the defect at the first record that does not decode (the sink has
  // then seen part of the graph); kIoError on read failures. Meant for start-up: it reads
  // sequentially with a large readahead and does not fill the block cache.
  Status LoadGraph(GraphRecordSink* sink) const;

  // The stored edge between nodes `a` and `b` (in either order), or nullopt when there is none
  // (always for a == b). kCorruption for a malformed record.
  Result<std::optional<EdgeRecord>> GetEdge(std::uint32_t a, std::uint32_t b) const;
  // The edges of `pairs` in one batched read: on ok, `(*out)[i]` answers pairs[i] as GetEdge
  // would. On error `*out` is unspecified.
  Status GetEdges(std::span<const std::pair<std::uint32_t, std::uint32_t>> pairs,
                  std::vector<std::optional<EdgeRecord>>* out) const;
  // The stored profile `id`, or nullopt when there is none. kCorruption for a malformed record.
  Result<std::optional<ProfileRecord>> GetProfile(std::uint64_t id) const;
  // GetProfile and GetProfileTraits of one profile in one batched read.
  Status GetProfileWithTraits(std::uint64_t id, std::optional<ProfileRecord>* record,
                              std::optional<ProfileTraits>* traits) const;
  // The stored review item `id` (its latest state), or nullopt when there is none. kCorruption
  // for a malformed record.
  Result<std::optional<ReviewRecord>> GetReview(std::uint32_t id) const;

  // The change feed (FORMAT.md, `changes`) and the profile timeline index (`profiles`).

  // One stored change-feed entry.
  struct StoredChange {
    std::uint64_t sequence = 0;
    ChangeRecord change;
  };
  // The entries after feed sequence `after`, in order, at most `limit` of them, appended to
  // `*out`. kCorruption for a malformed record.
  Status ReadChanges(std::uint64_t after, std::size_t limit, std::vector<StoredChange>* out) const;
  // The sequence of the newest change-feed entry (0 when none).
  std::uint64_t LastChangeSequence() const;
  // Called with the newest change sequence after each write that added change-feed entries,
  // on the writing thread and before Commit returns; it must be quick and must not call the
  // store. Set it before the first write.
  void SetChangeListener(std::function<void(std::uint64_t last_change)> listener);

  // The sequences of the newest events anchored at any of `nodes` (EventAnchor) whose sequence
  // is below `before` (0: no bound), newest first, at most `limit`, appended to `*out`. Reads
  // one snapshot. kCorruption for a malformed index key.
  Status ReadTimeline(std::span<const std::uint32_t> nodes, std::uint64_t before, std::size_t limit,
                      std::vector<std::uint64_t>* out) const;
  // The stored traits of `profiles` in one batched read: (*out)[i] is those of profiles[i], or
  // nullopt when none are stored. kCorruption for a record that does not decode.
  Status GetProfileTraits(std::span<const std::uint64_t> profiles,
                          std::vector<std::optional<ProfileTraits>>* out) const;
  // The stored messages of `sequences` in one batched read: (*out)[i] answers sequences[i] as
  // GetEvent would.
  Status GetEvents(std::span<const std::uint64_t> sequences,
                   std::vector<std::optional<std::string>>* out) const;

  // Replaces the whole stored graph (for `cdp rebuild`): deletes every record of `identifiers`
  // and `edges` (review items included) and the profile records of `profiles`, and writes the
  // records of `all` (its reviews included) and the timeline index of `all.anchors` in place of
  // the stored one (the change feed is kept: it is history), in one synced WriteBatch. A crash or
  // an error leaves
  // the old graph or the new one, never a mix. The batch holds every record in memory (about 40
  // bytes a node and 35 an edge, plus their strings). Serialised with Commit. kInvalidArgument,
  // with nothing written, for a `state_only` edge or a record the format cannot hold.
  Status ReplaceGraph(const GraphDelta& all);

 private:
  struct Rep;
  explicit Store(std::unique_ptr<Rep> rep);
  std::unique_ptr<Rep> rep_;
};

}  // namespace cdp::storage
