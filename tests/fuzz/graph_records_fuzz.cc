// Fuzzes the graph record decoders (storage/graph_records.h) with any stored key and value: no
// crash, and a record that decodes encodes back to exactly the same bytes, whether it was
// decoded into a fresh record or into one left over from another record. Input: one byte
// giving the key's length, the key, then the value. The value is also decoded as an edge and
// as a review item under fixed valid keys, so that value layouts are explored without a key to
// guess.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include "storage/graph_records.h"

namespace {

using cdp::CannotLinkRecord;
using cdp::EdgeRecord;
using cdp::EdgeState;
using cdp::FieldContribution;
using cdp::MatchEvidence;
using cdp::NodeRecord;
using cdp::ProfileRecord;
using cdp::ReviewRecord;
namespace storage = cdp::storage;

void Check(bool condition) {
  if (!condition) __builtin_trap();
}

MatchEvidence StaleEvidence() {
  MatchEvidence m;
  m.model_version = 77;
  m.prior = 1;
  m.weight = 2;
  m.best_pair_weight = 3;
  m.fields.assign(storage::kMaxMatchEvidenceFields, FieldContribution{1, 2, 3});
  return m;
}

// A record holding data of another record, so that decoding must replace every part of it.
template <typename Record>
Record Stale() {
  Record record;
  if constexpr (std::is_same_v<Record, EdgeRecord>) {
    record.evidence_message = "stale message";
    record.match = StaleEvidence();
    record.state_only = true;
  } else if constexpr (std::is_same_v<Record, ReviewRecord>) {
    record.message_id = "stale message";
    record.evidence = StaleEvidence();
  } else if constexpr (std::is_same_v<Record, NodeRecord>) {
    record.value = "stale value";
  } else if constexpr (std::is_same_v<Record, CannotLinkRecord>) {
    record.sides[0] = {1, 2, 3};
    record.sides[1] = {4};
  }
  return record;
}

// Decodes with `decode` into `record`; when it succeeds, `encode` must give back `key` and
// `value`. Returns whether it decoded.
template <typename Record, typename Decode, typename Encode>
bool RoundTripInto(Record record, std::string_view key, std::string_view value, Decode decode,
                   Encode encode) {
  if (!decode(key, value, &record).ok()) return false;
  std::string key_out;
  std::string value_out;
  Check(encode(record, &key_out, &value_out).ok());
  Check(key_out == key);
  Check(value_out == value);
  return true;
}

// The same with a fresh record and with a stale one: both decode or neither does.
template <typename Record, typename Decode, typename Encode>
bool RoundTrip(std::string_view key, std::string_view value, Decode decode, Encode encode) {
  const bool fresh = RoundTripInto(Record(), key, value, decode, encode);
  const bool stale = RoundTripInto(Stale<Record>(), key, value, decode, encode);
  Check(fresh == stale);
  return fresh;
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
  RoundTrip<ReviewRecord>(key, value, storage::DecodeReview, storage::EncodeReview);

  // Change-feed records: a decoded one encodes back to the same bytes.
  {
    std::uint64_t sequence = 0;
    cdp::ChangeRecord change;
    if (storage::DecodeChange(key, value, &sequence, &change).ok()) {
      std::string key_out;
      std::string value_out;
      Check(storage::EncodeChange(sequence, change, &key_out, &value_out).ok());
      Check(key_out == key && value_out == value);
    }
    std::uint32_t node = 0;
    if (storage::DecodeTimelineKey(key, &node, &sequence).ok()) {
      std::string key_out;
      storage::EncodeTimelineKey(node, sequence, &key_out);
      Check(key_out == key);
    }
  }

  std::string review_key;
  storage::EncodeReviewKey(3, &review_key);
  RoundTrip<ReviewRecord>(review_key, value, storage::DecodeReview, storage::EncodeReview);

  // A state change keeps every other byte (match evidence included), and refuses what
  // DecodeEdge refuses.
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
  std::string edge_key;
  storage::EncodeEdgeKey(1, 2, &edge_key);
  Check(RoundTrip<EdgeRecord>(edge_key, value, storage::DecodeEdge, storage::EncodeEdge) ==
        valid_value);
  if (valid_value) {
    EdgeRecord before;
    EdgeRecord after;
    Check(storage::DecodeEdge(edge_key, value, &before).ok());
    Check(storage::DecodeEdge(edge_key, edge_value, &after).ok());
    Check(after.state == EdgeState::kRemoved);
    Check(after.match == before.match);
  }
  return 0;
}
