// Fuzzes the graph record decoders (storage/graph_records.h) with any stored key and value: no
// crash, and a record that decodes encodes back to exactly the same bytes. Input: one byte
// giving the key's length, the key, then the value.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "storage/graph_records.h"

namespace {

using cdp::CannotLinkRecord;
using cdp::EdgeRecord;
using cdp::EdgeState;
using cdp::NodeRecord;
using cdp::ProfileRecord;
namespace storage = cdp::storage;

void Check(bool condition) {
  if (!condition) __builtin_trap();
}

// Decodes with `decode`; when it succeeds, `encode` must give back `key` and `value`.
template <typename Record, typename Decode, typename Encode>
void RoundTrip(std::string_view key, std::string_view value, Decode decode, Encode encode) {
  Record record;
  if (!decode(key, value, &record).ok()) return;
  std::string key_out;
  std::string value_out;
  Check(encode(record, &key_out, &value_out).ok());
  Check(key_out == key);
  Check(value_out == value);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t key_size = std::min<std::size_t>(data[0], size - 1);
  const std::string_view key = input.substr(1, key_size);
  const std::string_view value = input.substr(1 + key_size);

  RoundTrip<NodeRecord>(key, value, storage::DecodeNode, storage::EncodeNode);
  RoundTrip<EdgeRecord>(key, value, storage::DecodeEdge, storage::EncodeEdge);
  RoundTrip<ProfileRecord>(key, value, storage::DecodeProfile, storage::EncodeProfile);
  RoundTrip<CannotLinkRecord>(key, value, storage::DecodeCannotLink, storage::EncodeCannotLink);

  // A state change keeps every other byte, and refuses what DecodeEdge refuses.
  std::string edge_value(value);
  const bool valid_value = storage::SetEdgeValueState(EdgeState::kRemoved, &edge_value).ok();
  if (valid_value) {
    Check(edge_value.size() == value.size());
    Check(edge_value[0] == value[0]);
    Check(edge_value.substr(2) == value.substr(2));
    Check(edge_value[1] == static_cast<char>(EdgeState::kRemoved));
  } else {
    Check(edge_value == value);
  }
  EdgeRecord edge;
  std::string edge_key;
  storage::EncodeEdgeKey(1, 2, &edge_key);
  Check(storage::DecodeEdge(edge_key, value, &edge).ok() == valid_value);
  return 0;
}
