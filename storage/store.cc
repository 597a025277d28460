#include "storage/store.h"

#include <rocksdb/compaction_filter.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <atomic>
#include <cstdarg>
#include <filesystem>
#include <mutex>
#include <unordered_set>

#include "cdp/log.h"

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
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;  // parallel to ColumnFamilyNames()
  rocksdb::ColumnFamilyHandle* meta = nullptr;
  std::uint32_t format_version = 0;
  std::mutex close_mu;
};

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

  if (options.dedup_retention < std::chrono::minutes(1)) {
    return InvalidArgumentError("dedup retention: at least one minute");
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
  return store;
}

Status Store::Close() {
  std::lock_guard lock(rep_->close_mu);
  if (!rep_->db) return Status::Ok();
  Status result = FromRocks(rep_->db->FlushWAL(/*sync=*/true), "cannot sync the WAL");
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
  return FromRocks(rep_->db->Put(wo, rep_->meta, rocksdb::Slice(key.data(), key.size()),
                                 rocksdb::Slice(value.data(), value.size())),
                   "cannot write meta");
}

Status Store::Commit(std::span<const Event> events, const CommitOptions& options,
                     std::vector<std::uint8_t>* stored) {
  if (!rep_->db) return FailedPreconditionError("the store is closed");
  stored->assign(events.size(), 0);
  if (events.empty()) return Status::Ok();
  std::lock_guard lock(rep_->commit_mu);
  rocksdb::ColumnFamilyHandle* events_cf = rep_->handles[kEventsFamily];
  rocksdb::ColumnFamilyHandle* dedup_cf = rep_->handles[kDedupFamily];

  std::vector<rocksdb::Slice> keys;
  keys.reserve(events.size());
  for (const Event& e : events) keys.emplace_back(e.message_id.data(), e.message_id.size());
  std::vector<rocksdb::PinnableSlice> values(events.size());
  std::vector<rocksdb::Status> statuses(events.size());
  rep_->db->MultiGet(rocksdb::ReadOptions(), dedup_cf, keys.size(), keys.data(), values.data(),
                     statuses.data());

  rocksdb::WriteBatch batch;
  std::unordered_set<std::string_view> seen;
  seen.reserve(events.size());
  std::uint64_t sequence = rep_->last_sequence;
  std::uint64_t appended = 0;
  std::string dedup_value;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const Event& e = events[i];
    if (statuses[i].ok()) continue;  // stored before
    if (!statuses[i].IsNotFound()) return FromRocks(statuses[i], "cannot read the dedup index");
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
    CDP_RETURN_IF_ERROR(FromRocks(s, "cannot build the write batch"));
    (*stored)[i] = 1;
    ++appended;
  }
  if (appended == 0) return Status::Ok();
  const std::uint64_t count = rep_->event_count.load() + appended;
  rocksdb::Status s =
      batch.Put(rep_->meta, std::string(kLastSequenceKey), std::to_string(sequence));
  if (s.ok()) s = batch.Put(rep_->meta, std::string(kEventCountKey), std::to_string(count));
  rocksdb::WriteOptions wo;
  wo.sync = options.sync;
  if (s.ok()) s = rep_->db->Write(wo, &batch);
  if (!s.ok()) {
    stored->assign(events.size(), 0);
    return FromRocks(s, "cannot commit events");
  }
  rep_->last_sequence = sequence;
  rep_->event_count.store(count);
  return Status::Ok();
}

std::uint64_t Store::EventCount() const { return rep_->event_count.load(); }

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
  return FromRocks(rep_->db->FlushWAL(/*sync=*/true), "cannot sync the WAL");
}

}  // namespace cdp::storage
