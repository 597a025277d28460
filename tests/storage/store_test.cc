#include "storage/store.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

namespace cdp::storage {
namespace {

namespace fs = std::filesystem;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("cdp_store_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Every file in the store directory with its bytes.
  std::map<std::string, std::string> Snapshot() const {
    std::map<std::string, std::string> files;
    for (const auto& entry : fs::directory_iterator(dir_)) {
      std::ifstream in(entry.path(), std::ios::binary);
      files[entry.path().filename().string()] = std::string(std::istreambuf_iterator<char>(in), {});
    }
    return files;
  }

  // Writes `value` as the meta format_version with raw RocksDB, as another build would.
  void SetRawFormatVersion(const std::string& value) {
    rocksdb::DBOptions options;
    std::vector<std::string> names;
    ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(options, dir_.string(), &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    for (const auto& n : names) descriptors.emplace_back(n, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, dir_.string(), descriptors, &handles, &db).ok());
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (names[i] == "meta") {
        ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), handles[i], "format_version", value).ok());
      }
    }
    for (auto* h : handles) ASSERT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
    ASSERT_TRUE(db->Close().ok());
    delete db;
  }

  fs::path dir_;
};

TEST_F(StoreTest, CreatesANewStoreWithEveryColumnFamily) {
  auto store = Store::Open(dir_.string(), StoreOptions());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ((*store)->format_version(), kFormatVersion);
  ASSERT_TRUE((*store)->Close().ok());
  std::vector<std::string> names;
  ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir_.string(), &names).ok());
  std::sort(names.begin(), names.end());
  std::vector<std::string> expected = ColumnFamilyNames();
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(names, expected);
}

TEST_F(StoreTest, MetaSurvivesReopen) {
  {
    auto store = Store::Open(dir_.string(), StoreOptions());
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->PutMeta("answer", "42").ok());
  }
  auto store = Store::Open(dir_.string(), StoreOptions());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto value = (*store)->GetMeta("answer");
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(value->value_or(""), "42");
  auto version = (*store)->GetMeta("format_version");
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(version->value_or(""), std::to_string(kFormatVersion));
  auto missing = (*store)->GetMeta("nothing");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

TEST_F(StoreTest, CloseIsIdempotentAndLaterCallsFail) {
  auto store = Store::Open(dir_.string(), StoreOptions());
  ASSERT_TRUE(store.ok());
  EXPECT_TRUE((*store)->Close().ok());
  EXPECT_TRUE((*store)->Close().ok());
  EXPECT_FALSE((*store)->is_open());
  EXPECT_EQ((*store)->GetMeta("x").status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ((*store)->PutMeta("x", "y").code(), StatusCode::kFailedPrecondition);
}

TEST_F(StoreTest, FutureFormatVersionIsRefusedAndFilesAreUntouched) {
  { ASSERT_TRUE(Store::Open(dir_.string(), StoreOptions()).ok()); }
  SetRawFormatVersion(std::to_string(kFormatVersion + 1));
  const auto before = Snapshot();
  auto store = Store::Open(dir_.string(), StoreOptions());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("newer than this build"), std::string::npos)
      << store.status().ToString();
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(StoreTest, MalformedFormatVersionIsCorruption) {
  { ASSERT_TRUE(Store::Open(dir_.string(), StoreOptions()).ok()); }
  for (const std::string bad : {"", "x1", "1.0", "99999999999"}) {
    SetRawFormatVersion(bad);
    const auto before = Snapshot();
    auto store = Store::Open(dir_.string(), StoreOptions());
    ASSERT_FALSE(store.ok()) << bad;
    EXPECT_EQ(store.status().code(), StatusCode::kCorruption) << bad;
    EXPECT_EQ(Snapshot(), before);
  }
}

TEST_F(StoreTest, ForeignRocksDbIsRefused) {
  {
    rocksdb::Options options;
    options.create_if_missing = true;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, dir_.string(), &db).ok());
    ASSERT_TRUE(db->Close().ok());
    delete db;
  }
  const auto before = Snapshot();
  auto store = Store::Open(dir_.string(), StoreOptions());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("not a cdp store"), std::string::npos);
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(StoreTest, CorruptCurrentFileIsRefused) {
  { ASSERT_TRUE(Store::Open(dir_.string(), StoreOptions()).ok()); }
  std::ofstream(dir_ / "CURRENT", std::ios::trunc) << "MANIFEST-999999\n";
  const auto before = Snapshot();
  auto store = Store::Open(dir_.string(), StoreOptions());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kCorruption) << store.status().ToString();
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(StoreTest, RocksDbFilesWithoutCurrentAreRefused) {
  { ASSERT_TRUE(Store::Open(dir_.string(), StoreOptions()).ok()); }
  fs::remove(dir_ / "CURRENT");
  auto store = Store::Open(dir_.string(), StoreOptions());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kCorruption);
  EXPECT_FALSE(fs::exists(dir_ / "CURRENT"));
}

TEST_F(StoreTest, InterruptedCreationIsFinishedOnTheNextOpen) {
  {
    // What a crash between RocksDB's creation and the metadata write leaves behind.
    rocksdb::DBOptions options;
    options.create_if_missing = true;
    options.create_missing_column_families = true;
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    for (const auto& n : ColumnFamilyNames()) {
      descriptors.emplace_back(n, rocksdb::ColumnFamilyOptions());
    }
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, dir_.string(), descriptors, &handles, &db).ok());
    for (auto* h : handles) ASSERT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
    ASSERT_TRUE(db->Close().ok());
    delete db;
  }
  auto store = Store::Open(dir_.string(), StoreOptions());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto version = (*store)->GetMeta("format_version");
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(version->value_or(""), std::to_string(kFormatVersion));
}

TEST_F(StoreTest, MissingFormatVersionWithDataIsCorruption) {
  {
    auto store = Store::Open(dir_.string(), StoreOptions());
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->PutMeta("other", "x").ok());
  }
  {
    rocksdb::DBOptions options;
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    for (const auto& n : ColumnFamilyNames()) {
      descriptors.emplace_back(n, rocksdb::ColumnFamilyOptions());
    }
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, dir_.string(), descriptors, &handles, &db).ok());
    ASSERT_TRUE(db->Delete(rocksdb::WriteOptions(), handles.back(), "format_version").ok());
    for (auto* h : handles) ASSERT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
    ASSERT_TRUE(db->Close().ok());
    delete db;
  }
  auto store = Store::Open(dir_.string(), StoreOptions());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kCorruption);
}

TEST_F(StoreTest, DataPathThatIsAFileIsRefused) {
  std::ofstream(dir_.string()) << "not a directory";
  auto store = Store::Open(dir_.string(), StoreOptions());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kFailedPrecondition);
  fs::remove(dir_);
}

TEST_F(StoreTest, MissingStoreWithoutCreateIsNotFound) {
  StoreOptions options;
  options.create_if_missing = false;
  auto store = Store::Open(dir_.string(), options);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kNotFound);
}

TEST_F(StoreTest, SecondOpenOfTheSameDirectoryIsRefused) {
  auto first = Store::Open(dir_.string(), StoreOptions());
  ASSERT_TRUE(first.ok());
  auto second = Store::Open(dir_.string(), StoreOptions());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(second.status().message().find("another cdp process"), std::string::npos)
      << second.status().ToString();
}

}  // namespace
}  // namespace cdp::storage
