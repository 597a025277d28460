#include "storage/store.h"

#include <rocksdb/cache.h>
#include <rocksdb/compaction_filter.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <atomic>
#include <cstdarg>
#include <filesystem>
#include <mutex>
#include <queue>
#include <thread>
#include <unordered_set>

#include "cdp/log.h"
#include "storage/graph_records.h"
#include "storage/profile_traits_codec.h"

namespace cdp::storage {
namespace {

constexpr std::string_view kFormatVersionKey = "format_version";
constexpr std::string_view kCreatedByKey = "created_by";
constexpr std::string_view kMetaFamily = "meta";
constexpr std::string_view kLastSequenceKey = "last_sequence";
constexpr std::string_view kEventCountKey = "event_count";

// Version bytes that begin each record value (FORMAT.md).
constexpr char kEventRecordVersion = 1;
constexpr char kDedupRecordVersion = 1;
constexpr std::size_t kDedupRecordSize = 17;  // version, sequence, received_at

// Indexes into ColumnFamilyNames().
constexpr std::size_t kEventsFamily = 1;
constexpr std::size_t kDedupFamily = 2;
constexpr std::size_t kIdentifiersFamily = 3;
constexpr std::size_t kEdgesFamily = 4;
constexpr std::size_t kProfilesFamily = 5;
constexpr std::size_t kChangesFamily = 6;

// Read-ahead of full scans (graph load, event replay): few large reads instead of many
// block-sized ones.
constexpr std::size_t kScanReadahead = 4u << 20;

// The bounds of the profile records in `profiles` (other record kinds may share the family).
constexpr std::string_view kProfileRangeBegin = "p";
constexpr std::string_view kProfileRangeEnd = "q";
static_assert(kProfileRangeBegin[0] == kProfileKeyPrefix);
// The bounds of the timeline index in `profiles`.
constexpr std::string_view kTimelineRangeBegin = "t";
constexpr std::string_view kTimelineRangeEnd = "u";
static_assert(kTimelineRangeBegin[0] == kTimelineKeyPrefix);

void AppendBigEndian64(std::string& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out += static_cast<char>((v >> shift) & 0xFFu);
  }
}

std::uint64_t ReadBigEndian64(const char* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

std::string EventKey(std::uint64_t sequence) {
  std::string key;
  key.reserve(8);
  AppendBigEndian64(key, sequence);
  return key;
}

Result<std::uint64_t> ParseCounter(const std::optional<std::string>& text, std::string_view what) {
  if (!text.has_value()) return std::uint64_t{0};
  if (text->empty() || text->size() > 20) return CorruptionError(std::string(what) + ": malformed");
  std::uint64_t v = 0;
  for (char c : *text) {
    if (c < '0' || c > '9') return CorruptionError(std::string(what) + ": malformed");
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

// Drops dedup records older than the retention during compaction.
class DedupRetentionFilter final : public rocksdb::CompactionFilter {
 public:
  explicit DedupRetentionFilter(std::chrono::seconds retention) : retention_(retention) {}
  bool Filter(int /*level*/, const rocksdb::Slice& /*key*/, const rocksdb::Slice& value,
              std::string* /*new_value*/, bool* /*value_changed*/) const override {
    if (value.size() != kDedupRecordSize || value[0] != kDedupRecordVersion) return false;
    const auto received_ms = static_cast<std::int64_t>(ReadBigEndian64(value.data() + 9));
    const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    return received_ms + std::chrono::milliseconds(retention_).count() < now_ms;
  }
  const char* Name() const override { return "cdp.DedupRetentionFilter"; }

 private:
  std::chrono::seconds retention_;
};

// Discards RocksDB's info log during the read-only probe, so that the probe does not rotate
// the store's LOG file (the refused store must stay untouched).
class SilentLogger final : public rocksdb::Logger {
 public:
  SilentLogger() : rocksdb::Logger(rocksdb::InfoLogLevel::FATAL_LEVEL) {}
  using rocksdb::Logger::Logv;
  void Logv(const char* /*format*/, va_list /*ap*/) override {}
};

Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return Status::Ok();
  std::string message(what);
  message += ": ";
  message += s.ToString();
  if (s.IsCorruption()) return CorruptionError(message);
  if (s.IsNotFound()) return NotFoundError(message);
  if (s.IsIOError()) {
    // RocksDB reports a held LOCK file as an IO error mentioning "lock".
    if (s.ToString().find("lock") != std::string::npos) {
      return FailedPreconditionError(message + " (is another cdp process using this directory?)");
    }
    return IoError(message);
  }
  if (s.IsInvalidArgument()) return FailedPreconditionError(message);
  return InternalError(message);
}

// Options for a full sequential scan: large read-ahead, no block-cache pollution.
rocksdb::ReadOptions ScanOptions(const rocksdb::Snapshot* snapshot) {
  rocksdb::ReadOptions ro;
  ro.readahead_size = kScanReadahead;
  ro.fill_cache = false;
  ro.snapshot = snapshot;
  return ro;
}

std::string_view View(const rocksdb::Slice& s) { return std::string_view(s.data(), s.size()); }

// Releases a snapshot when it goes out of scope.
class ScopedSnapshot {
 public:
  explicit ScopedSnapshot(rocksdb::DB* db) : db_(db), snapshot_(db->GetSnapshot()) {}
  ~ScopedSnapshot() { db_->ReleaseSnapshot(snapshot_); }
  ScopedSnapshot(const ScopedSnapshot&) = delete;
  ScopedSnapshot& operator=(const ScopedSnapshot&) = delete;
  const rocksdb::Snapshot* get() const { return snapshot_; }

 private:
  rocksdb::DB* db_;
  const rocksdb::Snapshot* snapshot_;
};

// Calls `on_record(key, value)` for each record of `cf` in [lower, upper) (unbounded when
// empty) until it returns an error.
template <typename OnRecord>
Status ScanFamily(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
                  const rocksdb::Snapshot* snapshot, std::string_view lower, std::string_view upper,
                  std::string_view family, OnRecord&& on_record) {
  rocksdb::ReadOptions ro = ScanOptions(snapshot);
  const rocksdb::Slice lower_slice(lower.data(), lower.size());
  const rocksdb::Slice upper_slice(upper.data(), upper.size());
  if (!lower.empty()) ro.iterate_lower_bound = &lower_slice;
  if (!upper.empty()) ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, cf));
  if (lower.empty()) {
    it->SeekToFirst();
  } else {
    it->Seek(lower_slice);
  }
  for (; it->Valid(); it->Next()) {
    Status s = on_record(View(it->key()), View(it->value()));
    if (!s.ok()) return s.WithContext(family);
  }
  return FromRocks(it->status(), std::string("cannot read ") + std::string(family));
}

Result<std::uint32_t> ParseFormatVersion(std::string_view value) {
  if (value.empty() || value.size() > 9) return CorruptionError("malformed format_version");
  std::uint32_t v = 0;
  for (char c : value) {
    if (c < '0' || c > '9') return CorruptionError("malformed format_version");
    v = v * 10 + static_cast<std::uint32_t>(c - '0');
  }
  return v;
}

bool LooksLikeRocksDbFile(const std::filesystem::path& p) {
  const std::string name = p.filename().string();
  return name.starts_with("MANIFEST-") || name.ends_with(".sst") || name.ends_with(".log") ||
         name.starts_with("OPTIONS-");
}

// Reads the format version of an existing store without modifying any of its files. Returns
// nullopt for a store whose creation was interrupted before its format version was written
// (a 'meta' family without format_version, and no record anywhere): it is safe to finish.
Result<std::optional<std::uint32_t>> ProbeFormatVersion(const std::string& dir) {
  rocksdb::DBOptions db_options;
  db_options.info_log = std::make_shared<SilentLogger>();
  std::vector<std::string> families;
  Status s = FromRocks(rocksdb::DB::ListColumnFamilies(db_options, dir, &families),
                       "cannot read the store's manifest");
  if (!s.ok()) {
    return s.code() == StatusCode::kCorruption ? s : CorruptionError(s.message());
  }
  std::size_t meta_index = families.size();
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (std::size_t i = 0; i < families.size(); ++i) {
    if (families[i] == kMetaFamily) meta_index = i;
    descriptors.emplace_back(families[i], rocksdb::ColumnFamilyOptions());
  }
  if (meta_index == families.size()) {
    return FailedPreconditionError(
        "the directory holds a RocksDB database that is not a cdp store (no 'meta' column "
        "family); refusing to open it");
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  CDP_RETURN_IF_ERROR(
      FromRocks(rocksdb::DB::OpenForReadOnly(db_options, dir, descriptors, &handles, &raw),
                "cannot open the store read-only"));
  std::unique_ptr<rocksdb::DB> db(raw);
  std::string value;
  const rocksdb::Status rs =
      db->Get(rocksdb::ReadOptions(), handles[meta_index], std::string(kFormatVersionKey), &value);
  bool empty = true;
  if (rs.IsNotFound()) {
    for (auto* h : handles) {
      std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), h));
      it->SeekToFirst();
      empty = empty && !it->Valid();
    }
  }
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  db->Close().PermitUncheckedError();
  if (rs.IsNotFound()) {
    if (empty) return std::optional<std::uint32_t>();
    return CorruptionError("the store has no format_version in 'meta'");
  }
  CDP_RETURN_IF_ERROR(FromRocks(rs, "cannot read format_version"));
  CDP_ASSIGN_OR_RETURN(std::uint32_t version, ParseFormatVersion(value));
  return std::optional<std::uint32_t>(version);
}

}  // namespace

const std::vector<std::string>& ColumnFamilyNames() {
  static const auto* names = new std::vector<std::string>{rocksdb::kDefaultColumnFamilyName,
                                                          "events",
                                                          "dedup",
                                                          "identifiers",
                                                          "edges",
                                                          "profiles",
                                                          "changes",
                                                          "services",
                                                          "funnel",
                                                          std::string(kMetaFamily)};
  return *names;
}

struct Store::Rep {
  std::string path;
  std::unique_ptr<DedupRetentionFilter> dedup_filter;
  std::mutex commit_mu;             // one Commit at a time: sequences are assigned in order
  std::uint64_t last_sequence = 0;  // guarded by commit_mu
  std::atomic<std::uint64_t> event_count{0};
  // The sequence of the newest change-feed entry; written under commit_mu.
  std::atomic<std::uint64_t> last_change{0};
  std::function<void(std::uint64_t)> change_listener;  // set before the first commit
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;  // parallel to ColumnFamilyNames()
  rocksdb::ColumnFamilyHandle* meta = nullptr;
  std::uint32_t format_version = 0;
  std::mutex close_mu;
  // Set when a write failed: RocksDB then refuses further writes, and syncing its write-ahead
  // log again is not allowed (assertion-enabled builds of RocksDB abort on it).
  std::atomic<bool> write_failed{false};

  // Scratch of Commit and ReplaceGraph, guarded by commit_mu: reused so that a commit does
  // not allocate once their capacity has grown.
  rocksdb::WriteBatch batch;
  std::vector<const Event*> appended_events;
  std::vector<std::uint64_t> appended_sequences;
  GraphDelta delta;
  std::string key_buffer;
  std::string value_buffer;
  std::string state_only_keys;

  // Adds the records of `graph` to `*out`. A `state_only` edge reads the stored edge and
  // rewrites its state (kCorruption when it is missing or malformed); with
  // `allow_state_only` false it is kInvalidArgument. REQUIRES: commit_mu held.
  Status AppendGraph(const GraphDelta& graph, bool allow_state_only, rocksdb::WriteBatch* out);
  // Adds change-feed entries (numbered after `*last_change`, which is advanced) and timeline
  // anchors to `*out`. REQUIRES: commit_mu held.
  Status AppendFeed(std::span<const ChangeRecord> changes, std::span<const EventAnchor> anchors,
                    std::uint64_t* last_change, rocksdb::WriteBatch* out);
  // Publishes a committed `last` change sequence. REQUIRES: commit_mu held.
  void PublishChanges(std::uint64_t last);
};

Status Store::Rep::AppendFeed(std::span<const ChangeRecord> changes,
                              std::span<const EventAnchor> anchors, std::uint64_t* last,
                              rocksdb::WriteBatch* out) {
  std::string& key = key_buffer;
  std::string& value = value_buffer;
  for (const ChangeRecord& change : changes) {
    CDP_RETURN_IF_ERROR(EncodeChange(*last + 1, change, &key, &value));
    CDP_RETURN_IF_ERROR(
        FromRocks(out->Put(handles[kChangesFamily], key, value), "cannot build the write batch"));
    ++*last;
  }
  const rocksdb::Slice version(&kGraphRecordVersion, 1);
  for (const EventAnchor& anchor : anchors) {
    EncodeTimelineKey(anchor.node, anchor.sequence, &key);
    CDP_RETURN_IF_ERROR(FromRocks(out->Put(handles[kProfilesFamily], key, version),
                                  "cannot build the write batch"));
  }
  return Status::Ok();
}

void Store::Rep::PublishChanges(std::uint64_t last) {
  if (last == last_change.load()) return;
  last_change.store(last);
  if (change_listener) change_listener(last);
}

Status Store::Rep::AppendGraph(const GraphDelta& graph, bool allow_state_only,
                               rocksdb::WriteBatch* out) {
  rocksdb::ColumnFamilyHandle* identifiers_cf = handles[kIdentifiersFamily];
  rocksdb::ColumnFamilyHandle* edges_cf = handles[kEdgesFamily];
  rocksdb::ColumnFamilyHandle* profiles_cf = handles[kProfilesFamily];
  std::string& key = key_buffer;
  std::string& value = value_buffer;
  const auto put = [&](rocksdb::ColumnFamilyHandle* cf) {
    return FromRocks(out->Put(cf, key, value), "cannot build the write batch");
  };
  for (const NodeRecord& node : graph.nodes) {
    CDP_RETURN_IF_ERROR(EncodeNode(node, &key, &value));
    CDP_RETURN_IF_ERROR(put(identifiers_cf));
  }
  std::size_t state_only_count = 0;
  for (const EdgeRecord& edge : graph.edges) {
    if (edge.state_only) {
      ++state_only_count;
      continue;
    }
    CDP_RETURN_IF_ERROR(EncodeEdge(edge, &key, &value));
    CDP_RETURN_IF_ERROR(put(edges_cf));
  }
  for (const CannotLinkRecord& cannot_link : graph.cannot_links) {
    CDP_RETURN_IF_ERROR(EncodeCannotLink(cannot_link, &key, &value));
    CDP_RETURN_IF_ERROR(put(edges_cf));
  }
  for (const ReviewRecord& review : graph.reviews) {
    CDP_RETURN_IF_ERROR(EncodeReview(review, &key, &value));
    CDP_RETURN_IF_ERROR(put(edges_cf));
  }
  for (const ProfileRecord& profile : graph.profiles) {
    CDP_RETURN_IF_ERROR(EncodeProfile(profile, &key, &value));
    CDP_RETURN_IF_ERROR(put(profiles_cf));
  }
  for (const ProfileTraitsRecord& traits : graph.traits) {
    EncodeTraitsKey(traits.profile, &key);
    if (traits.traits) {
      value = EncodeProfileTraits(*traits.traits);
      CDP_RETURN_IF_ERROR(put(profiles_cf));
    } else {
      CDP_RETURN_IF_ERROR(FromRocks(out->Delete(profiles_cf, key), "cannot build the write batch"));
    }
  }
  if (state_only_count == 0) return Status::Ok();
  if (!allow_state_only) {
    return InvalidArgumentError("a state-only edge update needs a stored edge to update");
  }

  // The stored edges of the state-only updates, in one batched read.
  state_only_keys.clear();
  state_only_keys.reserve(state_only_count * kEdgeKeySize);
  for (const EdgeRecord& edge : graph.edges) {
    if (!edge.state_only) continue;
    if (edge.a >= edge.b) {
      return InvalidArgumentError("cannot encode an edge record: a must be less than b");
    }
    EncodeEdgeKey(edge.a, edge.b, &key);
    state_only_keys.append(key);
  }
  std::vector<rocksdb::Slice> keys;
  keys.reserve(state_only_count);
  for (std::size_t i = 0; i < state_only_count; ++i) {
    keys.emplace_back(state_only_keys.data() + i * kEdgeKeySize, kEdgeKeySize);
  }
  std::vector<rocksdb::PinnableSlice> stored(state_only_count);
  std::vector<rocksdb::Status> statuses(state_only_count);
  db->MultiGet(rocksdb::ReadOptions(), edges_cf, state_only_count, keys.data(), stored.data(),
               statuses.data());
  std::size_t i = 0;
  for (const EdgeRecord& edge : graph.edges) {
    if (!edge.state_only) continue;
    if (statuses[i].IsNotFound()) {
      return CorruptionError("a state-only edge update names an edge that is not stored");
    }
    CDP_RETURN_IF_ERROR(FromRocks(statuses[i], "cannot read a stored edge"));
    value.assign(stored[i].data(), stored[i].size());
    CDP_RETURN_IF_ERROR(SetEdgeValueState(edge.state, &value));
    CDP_RETURN_IF_ERROR(
        FromRocks(out->Put(edges_cf, keys[i], value), "cannot build the write batch"));
    ++i;
  }
  return Status::Ok();
}

Store::Store(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}

Store::~Store() {
  Status s = Close();
  if (!s.ok()) LogError("closing the store failed: " + s.ToString());
}

Result<std::unique_ptr<Store>> Store::Open(const std::string& dir, const StoreOptions& options) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path root(dir);
  const bool dir_exists = fs::is_directory(root, ec);
  if (!dir_exists) {
    if (fs::exists(root, ec)) return FailedPreconditionError("the data path is not a directory");
    if (!options.create_if_missing) return NotFoundError("no store at the data path");
    fs::create_directories(root, ec);
    if (ec) return IoError("cannot create the data directory: " + ec.message());
  }

  const bool has_current = fs::exists(root / "CURRENT", ec);
  bool is_new = !has_current;
  if (has_current) {
    CDP_ASSIGN_OR_RETURN(std::optional<std::uint32_t> probed, ProbeFormatVersion(dir));
    // An interrupted creation is finished below like a new store.
    is_new = !probed.has_value();
    const std::uint32_t version = probed.value_or(kFormatVersion);
    if (version > kFormatVersion) {
      return FailedPreconditionError(
          "the store was written by format version " + std::to_string(version) +
          ", newer than this build supports (" + std::to_string(kFormatVersion) +
          "); upgrade cdp to open it. The files were left untouched");
    }
    if (version < 1) return CorruptionError("the store's format_version is 0");
  } else {
    for (const auto& entry : fs::directory_iterator(root, ec)) {
      if (LooksLikeRocksDbFile(entry.path())) {
        return CorruptionError(
            "the data directory holds RocksDB files but no CURRENT file; refusing to open it");
      }
    }
    if (ec) return IoError("cannot list the data directory: " + ec.message());
    if (!options.create_if_missing) return NotFoundError("no store at the data path");
  }

  rocksdb::DBOptions db_options;
  db_options.create_if_missing = !has_current;
  db_options.create_missing_column_families = is_new;
  db_options.max_background_jobs = options.background_jobs;
  db_options.keep_log_file_num = 5;
  db_options.max_manifest_file_size = 64u << 20;
  // `meta` is written by every commit but its memtable never fills: without a bound the WAL
  // would keep growing (to 4 times all the memtables, ~5 GB) and be replayed whole at start.
  // Past this size the families holding the oldest WAL file are flushed.
  db_options.max_total_wal_size = 256u << 20;

  if (options.dedup_retention < std::chrono::minutes(1)) {
    return InvalidArgumentError("dedup retention: at least one minute");
  }
  if (options.profile_cache_bytes < (std::size_t{1} << 20)) {
    return InvalidArgumentError("profile cache: at least 1 MiB");
  }
  auto rep = std::make_unique<Rep>();
  rep->path = dir;
  rep->dedup_filter = std::make_unique<DedupRetentionFilter>(options.dedup_retention);
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& name : ColumnFamilyNames()) {
    rocksdb::ColumnFamilyOptions cf;
    if (name == "events") {
      // Append-only by sequence: large memtables, compressed blocks.
      cf.write_buffer_size = 64u << 20;
      cf.compression = rocksdb::kLZ4Compression;
    } else if (name == "dedup") {
      // Point look-ups of mostly absent keys: a Bloom filter answers them without I/O.
      rocksdb::BlockBasedTableOptions table;
      table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
      cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
      cf.write_buffer_size = 32u << 20;
      // A Bloom filter over the memtable too: most look-ups are of new ids, which it answers
      // without a skiplist search.
      cf.memtable_whole_key_filtering = true;
      cf.memtable_prefix_bloom_size_ratio = 0.1;
      cf.compaction_filter = rep->dedup_filter.get();
    } else if (name == "identifiers" || name == "edges") {
      // Written mostly in ascending key order (node ids are sequential; an edge's key starts
      // with its smaller node) and read back whole at start-up: large memtables, larger
      // compressed blocks for fast scans.
      rocksdb::BlockBasedTableOptions table;
      table.block_size = 16u << 10;
      if (name == "edges") {
        // GetEdge and the state-only updates of Commit are point reads of stored edges: a
        // Bloom filter spares the upper levels, and none is kept on the last level, where
        // reads of stored keys end anyway.
        table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
        cf.optimize_filters_for_hits = true;
      }
      cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
      cf.write_buffer_size = 64u << 20;
      cf.compression = rocksdb::kLZ4Compression;
    } else if (name == "profiles") {
      // Point reads by profile id: a Bloom filter and a hash index inside data blocks.
      rocksdb::BlockBasedTableOptions table;
      table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
      table.data_block_index_type = rocksdb::BlockBasedTableOptions::kDataBlockBinaryAndHash;
      table.block_cache = rocksdb::NewLRUCache(options.profile_cache_bytes);
      cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
      cf.compression = rocksdb::kLZ4Compression;
      // The writer's reads of traits are point reads too, many of recently written keys.
      cf.memtable_whole_key_filtering = true;
      cf.memtable_prefix_bloom_size_ratio = 0.1;
    }
    descriptors.emplace_back(name, cf);
  }
  rocksdb::DB* raw = nullptr;
  CDP_RETURN_IF_ERROR(
      FromRocks(rocksdb::DB::Open(db_options, dir, descriptors, &rep->handles, &raw),
                "cannot open the store"));
  rep->db.reset(raw);
  rep->meta = rep->handles.back();
  rep->format_version = kFormatVersion;
  std::unique_ptr<Store> store(new Store(std::move(rep)));
  if (is_new) {
    // One synced batch: a store either has its metadata or no record at all.
    rocksdb::WriteBatch batch;
    rocksdb::ColumnFamilyHandle* meta = store->rep_->meta;
    rocksdb::Status bs = batch.Put(meta, std::string(kCreatedByKey), "cdp");
    if (bs.ok()) {
      bs = batch.Put(meta, std::string(kFormatVersionKey), std::to_string(kFormatVersion));
    }
    rocksdb::WriteOptions wo;
    wo.sync = true;
    if (bs.ok()) bs = store->rep_->db->Write(wo, &batch);
    CDP_RETURN_IF_ERROR(FromRocks(bs, "cannot write the store's metadata"));
  }
  CDP_ASSIGN_OR_RETURN(auto last, store->GetMeta(kLastSequenceKey));
  CDP_ASSIGN_OR_RETURN(store->rep_->last_sequence, ParseCounter(last, "last_sequence"));
  CDP_ASSIGN_OR_RETURN(auto count, store->GetMeta(kEventCountKey));
  CDP_ASSIGN_OR_RETURN(std::uint64_t event_count, ParseCounter(count, "event_count"));
  store->rep_->event_count.store(event_count);
  {
    std::unique_ptr<rocksdb::Iterator> it(
        store->rep_->db->NewIterator(rocksdb::ReadOptions(), store->rep_->handles[kChangesFamily]));
    it->SeekToLast();
    CDP_RETURN_IF_ERROR(FromRocks(it->status(), "cannot read the change feed"));
    if (it->Valid()) {
      if (it->key().size() != kChangeKeySize) {
        return CorruptionError("change record: key of the wrong size");
      }
      store->rep_->last_change.store(ReadBigEndian64(it->key().data()));
    }
  }
  return store;
}

Status Store::Close() {
  std::lock_guard lock(rep_->close_mu);
  if (!rep_->db) return Status::Ok();
  Status result = rep_->write_failed.load()
                      ? IoError("the WAL was not synced at close: an earlier write failed")
                      : FromRocks(rep_->db->FlushWAL(/*sync=*/true), "cannot sync the WAL");
  if (result.ok()) {
    // Flushing the memtables makes the write-ahead log obsolete, so that the next open does
    // not replay it (twice: the read-only probe and the real open).
    rocksdb::FlushOptions flush;
    flush.wait = true;
    result = FromRocks(rep_->db->Flush(flush, rep_->handles), "cannot flush the memtables");
  }
  for (auto* h : rep_->handles) {
    Status s = FromRocks(rep_->db->DestroyColumnFamilyHandle(h), "cannot release a column family");
    if (result.ok()) result = s;
  }
  rep_->handles.clear();
  rep_->meta = nullptr;
  Status s = FromRocks(rep_->db->Close(), "cannot close the store");
  if (result.ok()) result = s;
  rep_->db.reset();
  return result;
}

const std::string& Store::path() const { return rep_->path; }
bool Store::is_open() const { return rep_->db != nullptr; }
std::uint32_t Store::format_version() const { return rep_->format_version; }

Result<std::optional<std::string>> Store::GetMeta(std::string_view key) const {
  if (!rep_->db) return FailedPreconditionError("the store is closed");
  std::string value;
  rocksdb::Status s = rep_->db->Get(rocksdb::ReadOptions(), rep_->meta,
                                    rocksdb::Slice(key.data(), key.size()), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  CDP_RETURN_IF_ERROR(FromRocks(s, "cannot read meta"));
  return std::optional<std::string>(std::move(value));
}

Status Store::PutMeta(std::string_view key, std::string_view value) {
  if (!rep_->db) return FailedPreconditionError("the store is closed");
  rocksdb::WriteOptions wo;
  wo.sync = true;
  const rocksdb::Status s = rep_->db->Put(wo, rep_->meta, rocksdb::Slice(key.data(), key.size()),
                                          rocksdb::Slice(value.data(), value.size()));
  if (!s.ok()) rep_->write_failed.store(true);
  return FromRocks(s, "cannot write meta");
}

Status Store::Commit(std::span<const Event> events, const CommitOptions& options,
                     std::vector<std::uint8_t>* stored) {
  if (!rep_->db) return FailedPreconditionError("the store is closed");
  stored->assign(events.size(), 0);
  if (events.empty()) return Status::Ok();
  std::lock_guard lock(rep_->commit_mu);
  Rep& rep = *rep_;
  rocksdb::ColumnFamilyHandle* events_cf = rep.handles[kEventsFamily];
  rocksdb::ColumnFamilyHandle* dedup_cf = rep.handles[kDedupFamily];
  // On error nothing is written: no event is reported stored.
  const auto fail = [&](const Status& s) {
    stored->assign(events.size(), 0);
    return s;
  };

  std::vector<rocksdb::Slice> keys;
  keys.reserve(events.size());
  for (const Event& e : events) keys.emplace_back(e.message_id.data(), e.message_id.size());
  std::vector<rocksdb::PinnableSlice> values(events.size());
  std::vector<rocksdb::Status> statuses(events.size());
  rep.db->MultiGet(rocksdb::ReadOptions(), dedup_cf, keys.size(), keys.data(), values.data(),
                   statuses.data());

  rocksdb::WriteBatch& batch = rep.batch;
  batch.Clear();
  rep.appended_events.clear();
  rep.appended_sequences.clear();
  std::unordered_set<std::string_view> seen;
  seen.reserve(events.size());
  std::uint64_t sequence = rep.last_sequence;
  std::string dedup_value;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const Event& e = events[i];
    if (statuses[i].ok()) continue;  // stored before
    if (!statuses[i].IsNotFound()) {
      return fail(FromRocks(statuses[i], "cannot read the dedup index"));
    }
    if (!seen.insert(e.message_id).second) continue;  // earlier in this commit
    ++sequence;
    // The version byte and the JSON go in as two parts: no copy of the JSON here.
    const std::string key = EventKey(sequence);
    const rocksdb::Slice key_part(key);
    const rocksdb::Slice value_parts[2] = {rocksdb::Slice(&kEventRecordVersion, 1),
                                           rocksdb::Slice(e.json)};
    rocksdb::Status s = batch.Put(events_cf, rocksdb::SliceParts(&key_part, 1),
                                  rocksdb::SliceParts(value_parts, 2));
    dedup_value.clear();
    dedup_value += kDedupRecordVersion;
    AppendBigEndian64(dedup_value, sequence);
    AppendBigEndian64(dedup_value,
                      static_cast<std::uint64_t>(e.received_at.time_since_epoch().count()));
    if (s.ok()) s = batch.Put(dedup_cf, keys[i], dedup_value);
    if (!s.ok()) return fail(FromRocks(s, "cannot build the write batch"));
    (*stored)[i] = 1;
    rep.appended_events.push_back(&e);
    rep.appended_sequences.push_back(sequence);
  }
  const std::uint64_t appended = rep.appended_events.size();
  if (appended == 0) return Status::Ok();
  const std::uint64_t count = rep.event_count.load() + appended;
  rocksdb::Status s = batch.Put(rep.meta, std::string(kLastSequenceKey), std::to_string(sequence));
  if (s.ok()) s = batch.Put(rep.meta, std::string(kEventCountKey), std::to_string(count));
  if (!s.ok()) return fail(FromRocks(s, "cannot build the write batch"));

  CommitApplier* applier = options.applier;
  std::uint64_t last_change = rep.last_change.load();
  if (applier != nullptr) {
    rep.delta.clear();
    applier->Apply(rep.appended_events, rep.appended_sequences, &rep.delta);
    Status graph = rep.AppendGraph(rep.delta, /*allow_state_only=*/true, &batch);
    if (graph.ok())
      graph = rep.AppendFeed(rep.delta.changes, rep.delta.anchors, &last_change, &batch);
    rep.delta.clear();
    if (!graph.ok()) {
      applier->Abandon();
      return fail(graph.WithContext("cannot write the identity graph's changes"));
    }
  }
  rocksdb::WriteOptions wo;
  wo.sync = options.sync;
  s = rep.db->Write(wo, &batch);
  batch.Clear();
  if (!s.ok()) {
    rep.write_failed.store(true);
    if (applier != nullptr) applier->Abandon();
    return fail(FromRocks(s, "cannot commit events"));
  }
  rep.last_sequence = sequence;
  rep.event_count.store(count);
  rep.PublishChanges(last_change);
  return Status::Ok();
}

std::uint64_t Store::EventCount() const { return rep_->event_count.load(); }

Status Store::CommitGraph(const GraphDelta& delta, const CommitOptions& options) {
  if (!rep_->db) return FailedPreconditionError("the store is closed");
  if (delta.empty()) return Status::Ok();
  std::lock_guard lock(rep_->commit_mu);
  Rep& rep = *rep_;
  rocksdb::WriteBatch& batch = rep.batch;
  batch.Clear();
  std::uint64_t last_change = rep.last_change.load();
  Status graph = rep.AppendGraph(delta, /*allow_state_only=*/true, &batch);
  if (graph.ok()) graph = rep.AppendFeed(delta.changes, delta.anchors, &last_change, &batch);
  if (!graph.ok()) {
    batch.Clear();
    return graph.WithContext("cannot write the identity graph's changes");
  }
  rocksdb::WriteOptions wo;
  wo.sync = options.sync;
  rocksdb::Status s = rep.db->Write(wo, &batch);
  batch.Clear();
  if (!s.ok()) {
    rep.write_failed.store(true);
    return FromRocks(s, "cannot write the identity graph's changes");
  }
  rep.PublishChanges(last_change);
  return Status::Ok();
}

std::uint64_t Store::LastSequence() const {
  std::lock_guard lock(rep_->commit_mu);
  return rep_->last_sequence;
}

Result<std::optional<std::string>> Store::GetEvent(std::uint64_t sequence) const {
  if (!rep_->db) return FailedPreconditionError("the store is closed");
  std::string value;
  rocksdb::Status s = rep_->db->Get(rocksdb::ReadOptions(), rep_->handles[kEventsFamily],
                                    EventKey(sequence), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  CDP_RETURN_IF_ERROR(FromRocks(s, "cannot read an event"));
  if (value.empty() || value[0] != kEventRecordVersion) {
    return CorruptionError("event record with an unknown version");
  }
  return std::optional<std::string>(value.substr(1));
}

Result<std::optional<std::uint64_t>> Store::FindMessageId(std::string_view message_id) const {
  if (!rep_->db) return FailedPreconditionError("the store is closed");
  std::string value;
  rocksdb::Status s = rep_->db->Get(rocksdb::ReadOptions(), rep_->handles[kDedupFamily],
                                    rocksdb::Slice(message_id.data(), message_id.size()), &value);
  if (s.IsNotFound()) return std::optional<std::uint64_t>();
  CDP_RETURN_IF_ERROR(FromRocks(s, "cannot read the dedup index"));
  if (value.size() != kDedupRecordSize || value[0] != kDedupRecordVersion) {
    return CorruptionError("dedup record with an unknown version");
  }
  return std::optional<std::uint64_t>(ReadBigEndian64(value.data() + 1));
}

Status Store::SyncWal() {
  if (!rep_->db) return FailedPreconditionError("the store is closed");
  if (rep_->write_failed.load()) return IoError("cannot sync the WAL: an earlier write failed");
  return FromRocks(rep_->db->FlushWAL(/*sync=*/true), "cannot sync the WAL");
}

Status Store::ForEachEvent(
    std::uint64_t from_sequence,
    const std::function<bool(std::uint64_t sequence, std::string_view json)>& fn) const {
  if (!rep_->db) return FailedPreconditionError("the store is closed");
  std::unique_ptr<rocksdb::Iterator> it(
      rep_->db->NewIterator(ScanOptions(nullptr), rep_->handles[kEventsFamily]));
  for (it->Seek(EventKey(std::max<std::uint64_t>(from_sequence, 1))); it->Valid(); it->Next()) {
    const rocksdb::Slice key = it->key();
    const rocksdb::Slice value = it->value();
    if (key.size() != 8) return CorruptionError("event record with a key of the wrong size");
    if (value.empty() || value[0] != kEventRecordVersion) {
      return CorruptionError("event record with an unknown version");
    }
    if (!fn(ReadBigEndian64(key.data()), std::string_view(value.data() + 1, value.size() - 1))) {
      return Status::Ok();
    }
  }
  return FromRocks(it->status(), "cannot read the event log");
}

Status Store::LoadGraph(GraphRecordSink* sink) const {
  if (!rep_->db) return FailedPreconditionError("the store is closed");
  rocksdb::DB* db = rep_->db.get();
  const ScopedSnapshot snapshot(db);
  // One record of each kind, reused: decoding reuses their strings' capacity.
  NodeRecord node;
  EdgeRecord edge;
  CannotLinkRecord cannot_link;
  ReviewRecord review;
  ProfileRecord profile;
  const auto on_node = [&](std::string_view key, std::string_view value) {
    CDP_RETURN_IF_ERROR(DecodeNode(key, value, &node));
    sink->OnNode(node);
    return Status::Ok();
  };
  const auto on_edge = [&](std::string_view key, std::string_view value) {
    if (!key.empty() && key[0] == kEdgeKeyPrefix) {
      CDP_RETURN_IF_ERROR(DecodeEdge(key, value, &edge));
      sink->OnEdge(edge);
    } else if (!key.empty() && key[0] == kCannotLinkKeyPrefix) {
      CDP_RETURN_IF_ERROR(DecodeCannotLink(key, value, &cannot_link));
      sink->OnCannotLink(cannot_link);
    } else if (!key.empty() && key[0] == kReviewKeyPrefix) {
      CDP_RETURN_IF_ERROR(DecodeReview(key, value, &review));
      sink->OnReview(review);
    } else {
      return CorruptionError("a record of an unknown kind");
    }
    return Status::Ok();
  };
  const auto on_profile = [&](std::string_view key, std::string_view value) {
    CDP_RETURN_IF_ERROR(DecodeProfile(key, value, &profile));
    sink->OnProfile(profile);
    return Status::Ok();
  };
  // The nodes on a second thread, the rest on this one (GraphRecordSink allows it): start-up
  // reads both big families at once.
  Status nodes_status;
  std::thread nodes_thread([&] {
    nodes_status = ScanFamily(db, rep_->handles[kIdentifiersFamily], snapshot.get(), {}, {},
                              "identifiers", on_node);
  });
  Status s = ScanFamily(db, rep_->handles[kEdgesFamily], snapshot.get(), {}, {}, "edges", on_edge);
  if (s.ok()) {
    s = ScanFamily(db, rep_->handles[kProfilesFamily], snapshot.get(), kProfileRangeBegin,
                   kProfileRangeEnd, "profiles", on_profile);
  }
  nodes_thread.join();
  return nodes_status.ok() ? s : nodes_status;
}

Result<std::optional<EdgeRecord>> Store::GetEdge(std::uint32_t a, std::uint32_t b) const {
  if (!rep_->db) return FailedPreconditionError("the store is closed");
  if (a == b) return std::optional<EdgeRecord>();
  if (a > b) std::swap(a, b);
  std::string key;
  EncodeEdgeKey(a, b, &key);
  rocksdb::PinnableSlice value;
  rocksdb::Status s =
      rep_->db->Get(rocksdb::ReadOptions(), rep_->handles[kEdgesFamily], key, &value);
  if (s.IsNotFound()) return std::optional<EdgeRecord>();
  CDP_RETURN_IF_ERROR(FromRocks(s, "cannot read an edge"));
  EdgeRecord edge;
  CDP_RETURN_IF_ERROR(DecodeEdge(key, View(value), &edge));
  return std::optional<EdgeRecord>(std::move(edge));
}

Status Store::GetEdges(std::span<const std::pair<std::uint32_t, std::uint32_t>> pairs,
                       std::vector<std::optional<EdgeRecord>>* out) const {
  if (!rep_->db) return FailedPreconditionError("the store is closed");
  out->assign(pairs.size(), std::nullopt);
  // The keys of the pairs that can have an edge, side by side in one buffer.
  std::string key_bytes;
  key_bytes.reserve(pairs.size() * kEdgeKeySize);
  std::vector<std::size_t> positions;
  positions.reserve(pairs.size());
  std::string key;
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    const auto [a, b] = pairs[i];
    if (a == b) continue;
    EncodeEdgeKey(std::min(a, b), std::max(a, b), &key);
    key_bytes.append(key);
    positions.push_back(i);
  }
  const std::size_t n = positions.size();
  if (n == 0) return Status::Ok();
  std::vector<rocksdb::Slice> keys;
  keys.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    keys.emplace_back(key_bytes.data() + i * kEdgeKeySize, kEdgeKeySize);
  }
  std::vector<rocksdb::PinnableSlice> values(n);
  std::vector<rocksdb::Status> statuses(n);
  rep_->db->MultiGet(rocksdb::ReadOptions(), rep_->handles[kEdgesFamily], n, keys.data(),
                     values.data(), statuses.data());
  for (std::size_t i = 0; i < n; ++i) {
    if (statuses[i].IsNotFound()) continue;
    CDP_RETURN_IF_ERROR(FromRocks(statuses[i], "cannot read an edge"));
    EdgeRecord edge;
    CDP_RETURN_IF_ERROR(DecodeEdge(View(keys[i]), View(values[i]), &edge));
    (*out)[positions[i]] = std::move(edge);
  }
  return Status::Ok();
}

Result<std::optional<ProfileRecord>> Store::GetProfile(std::uint64_t id) const {
  if (!rep_->db) return FailedPreconditionError("the store is closed");
  std::string key;
  EncodeProfileKey(id, &key);
  rocksdb::PinnableSlice value;
  rocksdb::Status s =
      rep_->db->Get(rocksdb::ReadOptions(), rep_->handles[kProfilesFamily], key, &value);
  if (s.IsNotFound()) return std::optional<ProfileRecord>();
  CDP_RETURN_IF_ERROR(FromRocks(s, "cannot read a profile"));
  ProfileRecord profile;
  CDP_RETURN_IF_ERROR(DecodeProfile(key, View(value), &profile));
  return std::optional<ProfileRecord>(profile);
}

Status Store::GetProfileWithTraits(std::uint64_t id, std::optional<ProfileRecord>* record,
                                   std::optional<ProfileTraits>* traits) const {
  if (!rep_->db) return FailedPreconditionError("the store is closed");
  record->reset();
  traits->reset();
  std::string profile_key;
  std::string traits_key;
  EncodeProfileKey(id, &profile_key);
  EncodeTraitsKey(id, &traits_key);
  rocksdb::Slice keys[2] = {profile_key, traits_key};
  rocksdb::PinnableSlice values[2];
  rocksdb::Status statuses[2];
  rep_->db->MultiGet(rocksdb::ReadOptions(), rep_->handles[kProfilesFamily], 2, keys, values,
                     statuses);
  if (!statuses[0].IsNotFound()) {
    CDP_RETURN_IF_ERROR(FromRocks(statuses[0], "cannot read a profile"));
    ProfileRecord profile;
    CDP_RETURN_IF_ERROR(DecodeProfile(profile_key, View(values[0]), &profile));
    *record = profile;
  }
  if (!statuses[1].IsNotFound()) {
    CDP_RETURN_IF_ERROR(FromRocks(statuses[1], "cannot read a profile's traits"));
    CDP_ASSIGN_OR_RETURN(ProfileTraits decoded, DecodeProfileTraits(View(values[1])));
    *traits = std::move(decoded);
  }
  return Status::Ok();
}

Result<std::optional<ReviewRecord>> Store::GetReview(std::uint32_t id) const {
  if (!rep_->db) return FailedPreconditionError("the store is closed");
  std::string key;
  EncodeReviewKey(id, &key);
  rocksdb::PinnableSlice value;
  rocksdb::Status s =
      rep_->db->Get(rocksdb::ReadOptions(), rep_->handles[kEdgesFamily], key, &value);
  if (s.IsNotFound()) return std::optional<ReviewRecord>();
  CDP_RETURN_IF_ERROR(FromRocks(s, "cannot read a review item"));
  ReviewRecord review;
  CDP_RETURN_IF_ERROR(DecodeReview(key, View(value), &review));
  return std::optional<ReviewRecord>(std::move(review));
}

Status Store::ReplaceGraph(const GraphDelta& all) {
  if (!rep_->db) return FailedPreconditionError("the store is closed");
  std::lock_guard lock(rep_->commit_mu);
  Rep& rep = *rep_;
  // Reserve the batch: each Put adds a tag, a column family id and two lengths (~5 bytes).
  constexpr std::size_t kPutOverhead = 5;
  std::size_t bytes = 64;
  for (const NodeRecord& n : all.nodes) {
    bytes += kPutOverhead + kNodeKeySize + kNodeValueFixedSize + n.value.size();
  }
  const auto evidence_bytes = [](const MatchEvidence& m) {
    return kMatchEvidenceFixedSize + kMatchEvidenceFieldSize * m.fields.size();
  };
  for (const EdgeRecord& e : all.edges) {
    bytes += kPutOverhead + kEdgeKeySize + kEdgeValueFixedSize + e.evidence_message.size() +
             (e.match ? evidence_bytes(*e.match) : 0);
  }
  for (const CannotLinkRecord& c : all.cannot_links) {
    bytes += kPutOverhead + kCannotLinkKeySize + 17 + 4 * (c.sides[0].size() + c.sides[1].size());
  }
  for (const ReviewRecord& r : all.reviews) {
    bytes += kPutOverhead + kReviewKeySize + kReviewValueFixedSize + r.message_id.size() +
             evidence_bytes(r.evidence);
  }
  bytes += all.profiles.size() * (kPutOverhead + kProfileKeySize + kProfileValueSize);
  rocksdb::WriteBatch batch(bytes);

  // Every record of `identifiers` and `edges` (edges, cannot-links and review items): [first
  // possible key, last stored key) and the last stored key itself.
  for (std::size_t family : {kIdentifiersFamily, kEdgesFamily}) {
    rocksdb::ColumnFamilyHandle* cf = rep.handles[family];
    std::unique_ptr<rocksdb::Iterator> it(rep.db->NewIterator(rocksdb::ReadOptions(), cf));
    it->SeekToLast();
    CDP_RETURN_IF_ERROR(FromRocks(it->status(), "cannot read the identity graph"));
    if (!it->Valid()) continue;
    const std::string last = it->key().ToString();
    rocksdb::Status s = batch.DeleteRange(cf, rocksdb::Slice(), last);
    if (s.ok()) s = batch.Delete(cf, last);
    CDP_RETURN_IF_ERROR(FromRocks(s, "cannot build the write batch"));
  }
  CDP_RETURN_IF_ERROR(FromRocks(
      batch.DeleteRange(rep.handles[kProfilesFamily],
                        rocksdb::Slice(kProfileRangeBegin.data(), kProfileRangeBegin.size()),
                        rocksdb::Slice(kProfileRangeEnd.data(), kProfileRangeEnd.size())),
      "cannot build the write batch"));
  CDP_RETURN_IF_ERROR(FromRocks(
      batch.DeleteRange(rep.handles[kProfilesFamily],
                        rocksdb::Slice(kTimelineRangeBegin.data(), kTimelineRangeBegin.size()),
                        rocksdb::Slice(kTimelineRangeEnd.data(), kTimelineRangeEnd.size())),
      "cannot build the write batch"));
  CDP_RETURN_IF_ERROR(rep.AppendGraph(all, /*allow_state_only=*/false, &batch));
  // The timeline is rebuilt with the graph; the change feed is history and stays as it is.
  std::uint64_t unused_last_change = 0;
  CDP_RETURN_IF_ERROR(rep.AppendFeed({}, all.anchors, &unused_last_change, &batch));
  rocksdb::WriteOptions wo;
  wo.sync = true;
  const rocksdb::Status s = rep.db->Write(wo, &batch);
  if (!s.ok()) rep.write_failed.store(true);
  return FromRocks(s, "cannot replace the identity graph");
}

Status Store::ReadChanges(std::uint64_t after, std::size_t limit,
                          std::vector<StoredChange>* out) const {
  if (!rep_->db) return FailedPreconditionError("the store is closed");
  if (limit == 0) return Status::Ok();
  std::string start;
  EncodeChangeKey(after + 1, &start);
  rocksdb::ReadOptions ro;
  ro.readahead_size = std::min<std::size_t>(kScanReadahead, limit * 64);
  std::unique_ptr<rocksdb::Iterator> it(rep_->db->NewIterator(ro, rep_->handles[kChangesFamily]));
  for (it->Seek(start); it->Valid() && limit > 0; it->Next(), --limit) {
    StoredChange entry;
    CDP_RETURN_IF_ERROR(
        DecodeChange(View(it->key()), View(it->value()), &entry.sequence, &entry.change));
    out->push_back(entry);
  }
  return FromRocks(it->status(), "cannot read the change feed");
}

std::uint64_t Store::LastChangeSequence() const { return rep_->last_change.load(); }

void Store::SetChangeListener(std::function<void(std::uint64_t)> listener) {
  std::lock_guard lock(rep_->commit_mu);
  rep_->change_listener = std::move(listener);
}

Status Store::ReadTimeline(std::span<const std::uint32_t> nodes, std::uint64_t before,
                           std::size_t limit, std::vector<std::uint64_t>* out) const {
  if (!rep_->db) return FailedPreconditionError("the store is closed");
  if (limit == 0 || nodes.empty() || before == 1) return Status::Ok();
  const std::uint64_t bound = before == 0 ? std::numeric_limits<std::uint64_t>::max() : before - 1;
  rocksdb::ReadOptions ro;
  std::unique_ptr<const rocksdb::Snapshot, std::function<void(const rocksdb::Snapshot*)>> snapshot(
      rep_->db->GetSnapshot(),
      [db = rep_->db.get()](const rocksdb::Snapshot* s) { db->ReleaseSnapshot(s); });
  ro.snapshot = snapshot.get();
  // One iterator per node, walking back from `bound`; a heap of their current sequences gives
  // the newest next. Each stays inside its node's range.
  struct Cursor {
    std::uint64_t sequence;
    std::size_t index;
    bool operator<(const Cursor& other) const { return sequence < other.sequence; }
  };
  std::vector<std::unique_ptr<rocksdb::Iterator>> iterators;
  iterators.reserve(nodes.size());
  std::priority_queue<Cursor> heap;
  std::string key;
  const auto current = [&](std::size_t i,
                           std::uint32_t node) -> Result<std::optional<std::uint64_t>> {
    rocksdb::Iterator& it = *iterators[i];
    if (!it.Valid()) {
      CDP_RETURN_IF_ERROR(FromRocks(it.status(), "cannot read the timeline"));
      return std::optional<std::uint64_t>();
    }
    std::uint32_t at_node = 0;
    std::uint64_t sequence = 0;
    if (it.key().size() == 0 || it.key()[0] != kTimelineKeyPrefix) {
      return std::optional<std::uint64_t>();
    }
    CDP_RETURN_IF_ERROR(DecodeTimelineKey(View(it.key()), &at_node, &sequence));
    if (at_node != node) return std::optional<std::uint64_t>();
    return std::optional<std::uint64_t>(sequence);
  };
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    iterators.emplace_back(rep_->db->NewIterator(ro, rep_->handles[kProfilesFamily]));
    EncodeTimelineKey(nodes[i], bound, &key);
    iterators[i]->SeekForPrev(key);
    CDP_ASSIGN_OR_RETURN(auto sequence, current(i, nodes[i]));
    if (sequence) heap.push(Cursor{*sequence, i});
  }
  while (!heap.empty() && limit > 0) {
    const Cursor top = heap.top();
    heap.pop();
    out->push_back(top.sequence);
    --limit;
    iterators[top.index]->Prev();
    CDP_ASSIGN_OR_RETURN(auto sequence, current(top.index, nodes[top.index]));
    if (sequence) heap.push(Cursor{*sequence, top.index});
  }
  return Status::Ok();
}

Status Store::GetProfileTraits(std::span<const std::uint64_t> profiles,
                               std::vector<std::optional<ProfileTraits>>* out) const {
  if (!rep_->db) return FailedPreconditionError("the store is closed");
  out->assign(profiles.size(), std::nullopt);
  if (profiles.empty()) return Status::Ok();
  std::string key_bytes;
  key_bytes.reserve(profiles.size() * kTraitsKeySize);
  std::string key;
  for (std::uint64_t profile : profiles) {
    EncodeTraitsKey(profile, &key);
    key_bytes += key;
  }
  std::vector<rocksdb::Slice> keys;
  keys.reserve(profiles.size());
  for (std::size_t i = 0; i < profiles.size(); ++i) {
    keys.emplace_back(key_bytes.data() + kTraitsKeySize * i, kTraitsKeySize);
  }
  std::vector<rocksdb::PinnableSlice> values(profiles.size());
  std::vector<rocksdb::Status> statuses(profiles.size());
  rep_->db->MultiGet(rocksdb::ReadOptions(), rep_->handles[kProfilesFamily], keys.size(),
                     keys.data(), values.data(), statuses.data());
  for (std::size_t i = 0; i < profiles.size(); ++i) {
    if (statuses[i].IsNotFound()) continue;
    CDP_RETURN_IF_ERROR(FromRocks(statuses[i], "cannot read a profile's traits"));
    CDP_ASSIGN_OR_RETURN(ProfileTraits traits, DecodeProfileTraits(View(values[i])));
    (*out)[i] = std::move(traits);
  }
  return Status::Ok();
}

Status Store::GetEvents(std::span<const std::uint64_t> sequences,
                        std::vector<std::optional<std::string>>* out) const {
  if (!rep_->db) return FailedPreconditionError("the store is closed");
  out->assign(sequences.size(), std::nullopt);
  if (sequences.empty()) return Status::Ok();
  std::string key_bytes;
  key_bytes.reserve(sequences.size() * 8);
  for (std::uint64_t sequence : sequences) AppendBigEndian64(key_bytes, sequence);
  std::vector<rocksdb::Slice> keys;
  keys.reserve(sequences.size());
  for (std::size_t i = 0; i < sequences.size(); ++i) keys.emplace_back(key_bytes.data() + 8 * i, 8);
  std::vector<rocksdb::PinnableSlice> values(sequences.size());
  std::vector<rocksdb::Status> statuses(sequences.size());
  rep_->db->MultiGet(rocksdb::ReadOptions(), rep_->handles[kEventsFamily], keys.size(), keys.data(),
                     values.data(), statuses.data());
  for (std::size_t i = 0; i < sequences.size(); ++i) {
    if (statuses[i].IsNotFound()) continue;
    CDP_RETURN_IF_ERROR(FromRocks(statuses[i], "cannot read an event"));
    if (values[i].size() == 0 || values[i].data()[0] != kEventRecordVersion) {
      return CorruptionError("event record with an unknown version");
    }
    (*out)[i] = std::string(values[i].data() + 1, values[i].size() - 1);
  }
  return Status::Ok();
}

}  // namespace cdp::storage
