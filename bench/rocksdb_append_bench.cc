// The raw RocksDB append rate for ingest: the physical limit the server's event log is measured
// against. Each event is a ~450-byte Segment JSON value (300..600 bytes, uniform) under an
// 8-byte big-endian sequence key in `events`, plus a messageId -> sequence entry (~40 bytes) in
// `dedup`, written in WriteBatches of 100, 1000 and 10000 events, synced or not. The column
// family options mirror storage/store.cc. Each run uses a fresh temporary directory and
// removes it.
#include <benchmark/benchmark.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <system_error>
#include <vector>

namespace {

constexpr char kRecordVersion = 1;
constexpr std::size_t kDistinctValues = 4096;

void AppendBigEndian64(std::string& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out += static_cast<char>((v >> shift) & 0xff);
  }
}

// Segment-like JSON values, 300..600 bytes uniformly (mean ~450), with varied digits so that
// block compression sees realistic redundancy, not one repeated string.
std::vector<std::string> MakeValues() {
  std::mt19937_64 rng(42);
  static const char* const kTemplates[] = {
      R"j({"type":"track","messageId":"lg-bench-%","userId":"u%","anonymousId":"d-%",)j"
      R"j("timestamp":"2026-11-28T10:00:00.123Z","event":"Appointment Booked","properties":)j"
      R"j({"service_id":"svc-ayuda-dependencia","office":"oficina-centro","slot_minutes":20},)j"
      R"j("context":{"channel":"web","ip":"10.%.%.%","userAgent":"Mozilla/5.0 (X11) Firefox",)j"
      R"j("locale":"es-ES","campaign":{"content":")j",
      R"j({"type":"identify","messageId":"lg-bench-%","userId":"u%","anonymousId":"d-%",)j"
      R"j("timestamp":"2026-11-28T10:00:00.123Z","traits":{"email":"maria.garcia.%@correo.)j"
      R"j(example","phone":"+346%","firstName":"María","lastName":"García","birthday":"1957"},)j"
      R"j("context":{"channel":"phone","ip":"10.%.%.%","userAgent":"cdp-callcentre/1.4",)j"
      R"j("locale":"es-ES","campaign":{"content":")j",
      R"j({"type":"page","messageId":"lg-bench-%","anonymousId":"d-%","timestamp":")j"
      R"j(2026-11-28T10:00:00.123Z","name":"Cita previa","properties":{"path":"/cita-previa",)j"
      R"j("title":"Cita previa | Sede electrónica"},"context":{"channel":"app","ip":"10.%.%.%",)j"
      R"j("userAgent":"CiudadApp/3.2.1 (Android 14)","locale":"ca-ES","campaign":{"content":")j",
  };
  static const char kFiller[] =
      "solicitud presentada en plazo con la documentacion requerida por la convocatoria vigente "
      "el ciudadano consiente el tratamiento de sus datos para la finalidad indicada y autoriza "
      "la consulta de su situacion en otras administraciones publicas competentes la resolucion "
      "se notificara por medios electronicos en la carpeta ciudadana en el plazo maximo ";
  std::uniform_int_distribution<std::size_t> size(300, 600);
  std::vector<std::string> values;
  values.reserve(kDistinctValues);
  for (std::size_t i = 0; i < kDistinctValues; ++i) {
    std::string v(1, kRecordVersion);
    for (const char* c = kTemplates[i % 3]; *c != '\0'; ++c) {
      if (*c == '%') {
        v += std::to_string(rng() % 10'000'000);
      } else {
        v += *c;
      }
    }
    const std::size_t target = size(rng) + 1;  // the version byte is not JSON
    std::size_t at = rng() % 64;
    while (v.size() + 3 < target) v += kFiller[at++ % (sizeof kFiller - 1)];
    v += "\"}}";
    values.push_back(std::move(v));
  }
  return values;
}

const std::vector<std::string>& Values() {
  static const auto* values = new std::vector<std::string>(MakeValues());
  return *values;
}

// A RocksDB with the server's `events` and `dedup` families in a temporary directory, removed
// on destruction.
class TempEventStore {
 public:
  TempEventStore() {
    std::error_code ec;
    std::string pattern =
        (std::filesystem::temp_directory_path(ec) / "rocksdb_append_bench.XXXXXX").string();
    if (ec || mkdtemp(pattern.data()) == nullptr) {
      error_ = "cannot create a temporary directory";
      return;
    }
    dir_ = pattern;

    rocksdb::DBOptions db_options;
    db_options.create_if_missing = true;
    db_options.create_missing_column_families = true;
    db_options.max_background_jobs = 2;
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    families.emplace_back(rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions());
    rocksdb::ColumnFamilyOptions events;
    events.write_buffer_size = 64u << 20;
    events.compression = rocksdb::kLZ4Compression;
    families.emplace_back("events", events);
    rocksdb::ColumnFamilyOptions dedup;
    rocksdb::BlockBasedTableOptions table;
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    dedup.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    dedup.write_buffer_size = 32u << 20;
    families.emplace_back("dedup", dedup);

    rocksdb::DB* db = nullptr;
    rocksdb::Status s = rocksdb::DB::Open(db_options, dir_, families, &handles_, &db);
    if (!s.ok()) {
      error_ = "cannot open RocksDB: " + s.ToString();
      return;
    }
    db_.reset(db);
  }

  ~TempEventStore() {
    for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
    if (db_) db_->Close().PermitUncheckedError();
    db_.reset();
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }
  TempEventStore(const TempEventStore&) = delete;
  TempEventStore& operator=(const TempEventStore&) = delete;

  // Empty when the store is open.
  const std::string& error() const { return error_; }
  rocksdb::DB* db() { return db_.get(); }
  rocksdb::ColumnFamilyHandle* events() { return handles_[1]; }
  rocksdb::ColumnFamilyHandle* dedup() { return handles_[2]; }

 private:
  std::string dir_;
  std::string error_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::unique_ptr<rocksdb::DB> db_;
};

// Arguments: events per WriteBatch, sync (1) or not (0).
void BM_AppendEvents(benchmark::State& state) {
  const auto batch_size = static_cast<std::size_t>(state.range(0));
  const bool sync = state.range(1) != 0;
  const std::vector<std::string>& values = Values();
  TempEventStore store;
  if (!store.error().empty()) {
    state.SkipWithError(store.error().c_str());
    return;
  }
  rocksdb::WriteOptions write_options;
  write_options.sync = sync;

  std::uint64_t sequence = 0;
  std::uint64_t bytes = 0;
  std::string key;
  std::string message_id;
  std::string dedup_value;
  rocksdb::WriteBatch batch;
  for (auto _ : state) {
    batch.Clear();
    for (std::size_t i = 0; i < batch_size; ++i) {
      ++sequence;
      key.clear();
      AppendBigEndian64(key, sequence);
      const std::string& value = values[sequence % values.size()];
      // A loadgen-style messageId (~23 bytes) -> version, sequence, received-at (17 bytes).
      message_id = "lg-5f0c1d2e-3-";
      message_id += std::to_string(sequence);
      dedup_value.assign(1, kRecordVersion);
      AppendBigEndian64(dedup_value, sequence);
      AppendBigEndian64(dedup_value, 1'795'000'000'000 + sequence);
      rocksdb::Status s = batch.Put(store.events(), key, value);
      if (s.ok()) s = batch.Put(store.dedup(), message_id, dedup_value);
      if (!s.ok()) {
        state.SkipWithError(s.ToString().c_str());
        return;
      }
      bytes += key.size() + value.size() + message_id.size() + dedup_value.size();
    }
    rocksdb::Status s = store.db()->Write(write_options, &batch);
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      return;
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(sequence));
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  state.counters["batch_bytes"] = benchmark::Counter(
      static_cast<double>(bytes) / static_cast<double>(std::max<std::uint64_t>(1, sequence)) *
      static_cast<double>(batch_size));
}
BENCHMARK(BM_AppendEvents)
    ->ArgNames({"batch", "sync"})
    ->Args({100, 1})
    ->Args({1000, 1})
    ->Args({10000, 1})
    ->Args({100, 0})
    ->Args({1000, 0})
    ->Args({10000, 0})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
