// Tests for storage/graph_records.h: round trips, key order, refused records and tables of
// malformed stored bytes for each decoder.
#include "storage/graph_records.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cdp::storage {
namespace {

Timestamp At(std::int64_t ms) { return Timestamp(std::chrono::milliseconds(ms)); }

NodeRecord MakeNode() {
  NodeRecord r;
  r.node = 0x01020304;
  r.type = kEmail;
  r.value = "someone@example.org";
  r.hash = 0x8877665544332211ull;
  r.first_seen = 1'772'366'400;
  r.last_seen = 1'772'366'999;
  r.profile = 0xA1B2C3D4E5F60718ull;
  return r;
}

EdgeRecord MakeEdge() {
  EdgeRecord r;
  r.a = 7;
  r.b = 0xFFFFFFFF;
  r.state = EdgeState::kRefused;
  r.rule = LinkRule::kAlias;
  r.evidence_time = At(1'772'366'400'123);
  r.evidence_message = "msg-1";
  r.evidence_sequence = 0x0102030405060708ull;
  return r;
}

ProfileRecord MakeProfile() {
  ProfileRecord r;
  r.id = 0xFEDCBA9876543210ull;
  r.state = ProfileState::kMerged;
  r.merged_into = 42;
  r.created_at = At(-5);  // before the epoch: the sign survives
  return r;
}

CannotLinkRecord MakeCannotLink() {
  CannotLinkRecord r;
  r.id = 9;
  r.sides[0] = {1, 2, 0xFFFFFFFF};
  r.sides[1] = {3};
  r.at = At(1'772'366'400'000);
  r.after_sequence = 0x0102030405060708;
  return r;
}

struct Encoded {
  std::string key;
  std::string value;
};

template <typename Record, typename Encode>
Encoded EncodeOrDie(const Record& record, Encode encode) {
  Encoded e;
  Status s = encode(record, &e.key, &e.value);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return e;
}

TEST(GraphRecordsTest, NodeRoundTrips) {
  const NodeRecord in = MakeNode();
  const Encoded e = EncodeOrDie(in, EncodeNode);
  EXPECT_EQ(e.key, std::string("n\x01\x02\x03\x04", 5));
  EXPECT_EQ(e.value.size(), kNodeValueFixedSize + in.value.size());
  EXPECT_EQ(e.value[0], kGraphRecordVersion);
  NodeRecord out;
  out.value = "leftover that must be replaced";
  ASSERT_TRUE(DecodeNode(e.key, e.value, &out).ok());
  EXPECT_EQ(out.node, in.node);
  EXPECT_EQ(out.type, in.type);
  EXPECT_EQ(out.value, in.value);
  EXPECT_EQ(out.hash, in.hash);
  EXPECT_EQ(out.first_seen, in.first_seen);
  EXPECT_EQ(out.last_seen, in.last_seen);
  EXPECT_EQ(out.profile, in.profile);
}

TEST(GraphRecordsTest, NodeWithEmptyAndLongestValuesRoundTrips) {
  for (std::size_t size : {std::size_t{0}, kMaxGraphRecordString}) {
    NodeRecord in = MakeNode();
    in.value.assign(size, 'x');
    const Encoded e = EncodeOrDie(in, EncodeNode);
    NodeRecord out;
    ASSERT_TRUE(DecodeNode(e.key, e.value, &out).ok());
    EXPECT_EQ(out.value, in.value);
  }
}

TEST(GraphRecordsTest, EdgeRoundTrips) {
  const EdgeRecord in = MakeEdge();
  const Encoded e = EncodeOrDie(in, EncodeEdge);
  EXPECT_EQ(e.key, std::string("e\x00\x00\x00\x07\xFF\xFF\xFF\xFF", 9));
  EdgeRecord out;
  out.state_only = true;
  ASSERT_TRUE(DecodeEdge(e.key, e.value, &out).ok());
  EXPECT_EQ(out.a, in.a);
  EXPECT_EQ(out.b, in.b);
  EXPECT_EQ(out.state, in.state);
  EXPECT_EQ(out.rule, in.rule);
  EXPECT_EQ(out.evidence_time, in.evidence_time);
  EXPECT_EQ(out.evidence_message, in.evidence_message);
  EXPECT_EQ(out.evidence_sequence, in.evidence_sequence);
  EXPECT_FALSE(out.state_only);
}

TEST(GraphRecordsTest, ProfileRoundTrips) {
  const ProfileRecord in = MakeProfile();
  const Encoded e = EncodeOrDie(in, EncodeProfile);
  EXPECT_EQ(e.key, std::string("p\xFE\xDC\xBA\x98\x76\x54\x32\x10", 9));
  EXPECT_EQ(e.value.size(), kProfileValueSize);
  ProfileRecord out;
  ASSERT_TRUE(DecodeProfile(e.key, e.value, &out).ok());
  EXPECT_EQ(out.id, in.id);
  EXPECT_EQ(out.state, in.state);
  EXPECT_EQ(out.merged_into, in.merged_into);
  EXPECT_EQ(out.created_at, in.created_at);
}

TEST(GraphRecordsTest, CannotLinkRoundTrips) {
  const CannotLinkRecord in = MakeCannotLink();
  const Encoded e = EncodeOrDie(in, EncodeCannotLink);
  EXPECT_EQ(e.key, std::string("c\x00\x00\x00\x09", 5));
  CannotLinkRecord out;
  out.sides[1] = {5, 6, 7, 8};
  ASSERT_TRUE(DecodeCannotLink(e.key, e.value, &out).ok());
  EXPECT_EQ(out.id, in.id);
  EXPECT_EQ(out.sides, in.sides);
  EXPECT_EQ(out.at, in.at);
  EXPECT_EQ(out.after_sequence, in.after_sequence);

  CannotLinkRecord empty;
  const Encoded e2 = EncodeOrDie(empty, EncodeCannotLink);
  ASSERT_TRUE(DecodeCannotLink(e2.key, e2.value, &out).ok());
  EXPECT_TRUE(out.sides[0].empty());
  EXPECT_TRUE(out.sides[1].empty());
}

TEST(GraphRecordsTest, KeysSortByNumber) {
  std::string k255, k256, kbig;
  EncodeNodeKey(255, &k255);
  EncodeNodeKey(256, &k256);
  EncodeNodeKey(0x01000000, &kbig);
  EXPECT_LT(k255, k256);
  EXPECT_LT(k256, kbig);
  std::string e1, e2, e3;
  EncodeEdgeKey(1, 0x100, &e1);
  EncodeEdgeKey(2, 3, &e2);
  EncodeEdgeKey(2, 4, &e3);
  EXPECT_LT(e1, e2);
  EXPECT_LT(e2, e3);
  std::string p1, p2;
  EncodeProfileKey(0xFF, &p1);
  EncodeProfileKey(0x100000000ull, &p2);
  EXPECT_LT(p1, p2);
}

TEST(GraphRecordsTest, EncodersRefuseRecordsTheFormatCannotHold) {
  std::string key, value;
  NodeRecord node = MakeNode();
  node.value.assign(kMaxGraphRecordString + 1, 'x');
  EXPECT_EQ(EncodeNode(node, &key, &value).code(), StatusCode::kInvalidArgument);

  EdgeRecord edge = MakeEdge();
  edge.b = edge.a;
  EXPECT_EQ(EncodeEdge(edge, &key, &value).code(), StatusCode::kInvalidArgument);
  edge = MakeEdge();
  std::swap(edge.a, edge.b);
  EXPECT_EQ(EncodeEdge(edge, &key, &value).code(), StatusCode::kInvalidArgument);
  edge = MakeEdge();
  edge.state_only = true;
  EXPECT_EQ(EncodeEdge(edge, &key, &value).code(), StatusCode::kInvalidArgument);
  edge = MakeEdge();
  edge.state = static_cast<EdgeState>(3);
  EXPECT_EQ(EncodeEdge(edge, &key, &value).code(), StatusCode::kInvalidArgument);
  edge = MakeEdge();
  edge.rule = static_cast<LinkRule>(2);
  EXPECT_EQ(EncodeEdge(edge, &key, &value).code(), StatusCode::kInvalidArgument);
  edge = MakeEdge();
  edge.evidence_message.assign(kMaxGraphRecordString + 1, 'm');
  EXPECT_EQ(EncodeEdge(edge, &key, &value).code(), StatusCode::kInvalidArgument);

  ProfileRecord profile = MakeProfile();
  profile.state = static_cast<ProfileState>(2);
  EXPECT_EQ(EncodeProfile(profile, &key, &value).code(), StatusCode::kInvalidArgument);
}

// A malformed stored record: a name for the failure message, its key and its value.
struct Malformed {
  std::string name;
  std::string key;
  std::string value;
};

// Every strict prefix of `good`'s value, then `extra` cases.
std::vector<Malformed> WithTruncations(const Encoded& good, std::vector<Malformed> extra) {
  std::vector<Malformed> cases;
  for (std::size_t n = 0; n < good.value.size(); ++n) {
    cases.push_back({"truncated to " + std::to_string(n), good.key, good.value.substr(0, n)});
  }
  for (auto& c : extra) cases.push_back(std::move(c));
  return cases;
}

// Common defects of any record: its key and its version byte.
void AddKeyAndVersionCases(const Encoded& good, char other_prefix, std::vector<Malformed>* cases) {
  std::string v = good.value;
  v[0] = 0x00;
  cases->push_back({"version 0", good.key, v});
  v[0] = 0x02;
  cases->push_back({"version 2", good.key, v});
  cases->push_back({"trailing byte", good.key, good.value + '\0'});
  cases->push_back({"empty key", "", good.value});
  cases->push_back({"short key", good.key.substr(0, good.key.size() - 1), good.value});
  cases->push_back({"long key", good.key + '\0', good.value});
  std::string k = good.key;
  k[0] = other_prefix;
  cases->push_back({"key of another kind", k, good.value});
}

template <typename Record, typename Decode>
void ExpectAllCorrupt(const std::vector<Malformed>& cases, Decode decode) {
  for (const Malformed& c : cases) {
    Record record;
    Status s = decode(c.key, c.value, &record);
    EXPECT_EQ(s.code(), StatusCode::kCorruption) << c.name << ": " << s.ToString();
    EXPECT_FALSE(s.message().empty()) << c.name;
  }
}

TEST(GraphRecordsTest, MalformedNodesAreCorruption) {
  const Encoded good = EncodeOrDie(MakeNode(), EncodeNode);
  std::string longer = good.value;
  longer[27] = static_cast<char>(longer[27] + 1);  // length one more than the bytes present
  std::string shorter = good.value;
  shorter[27] = static_cast<char>(shorter[27] - 1);
  std::string huge = good.value;
  huge[26] = '\xFF';
  huge[27] = '\xFF';
  std::vector<Malformed> cases = WithTruncations(good, {
                                                           {"length too large", good.key, longer},
                                                           {"length too small", good.key, shorter},
                                                           {"length 65535", good.key, huge},
                                                       });
  AddKeyAndVersionCases(good, kEdgeKeyPrefix, &cases);
  ExpectAllCorrupt<NodeRecord>(cases, DecodeNode);
}

TEST(GraphRecordsTest, MalformedEdgesAreCorruption) {
  const Encoded good = EncodeOrDie(MakeEdge(), EncodeEdge);
  std::string longer = good.value;
  longer[20] = static_cast<char>(longer[20] + 1);
  std::string shorter = good.value;
  shorter[20] = static_cast<char>(shorter[20] - 1);
  std::string bad_state = good.value;
  bad_state[1] = 3;
  std::string bad_rule = good.value;
  bad_rule[2] = 2;
  std::string equal_key;
  EncodeEdgeKey(5, 5, &equal_key);
  std::string reversed_key;
  EncodeEdgeKey(6, 5, &reversed_key);
  std::vector<Malformed> cases =
      WithTruncations(good, {
                                {"length too large", good.key, longer},
                                {"length too small", good.key, shorter},
                                {"unknown state", good.key, bad_state},
                                {"unknown rule", good.key, bad_rule},
                                {"a equal to b", equal_key, good.value},
                                {"a greater than b", reversed_key, good.value},
                            });
  AddKeyAndVersionCases(good, kCannotLinkKeyPrefix, &cases);
  ExpectAllCorrupt<EdgeRecord>(cases, DecodeEdge);
}

TEST(GraphRecordsTest, MalformedProfilesAreCorruption) {
  const Encoded good = EncodeOrDie(MakeProfile(), EncodeProfile);
  std::string bad_state = good.value;
  bad_state[1] = 2;
  std::vector<Malformed> cases = WithTruncations(good, {{"unknown state", good.key, bad_state}});
  AddKeyAndVersionCases(good, kNodeKeyPrefix, &cases);
  ExpectAllCorrupt<ProfileRecord>(cases, DecodeProfile);
}

TEST(GraphRecordsTest, MalformedCannotLinksAreCorruption) {
  const Encoded good = EncodeOrDie(MakeCannotLink(), EncodeCannotLink);
  // Side 0 holds 3 nodes: its count is at bytes 17..20 (after version, time and sequence).
  std::string more = good.value;
  more[20] = 4;
  std::string fewer = good.value;
  fewer[20] = 2;
  std::string huge = good.value;
  for (int i = 17; i < 21; ++i) huge[static_cast<std::size_t>(i)] = '\xFF';
  std::string half_node = good.value;
  half_node.resize(half_node.size() - 2);
  std::vector<Malformed> cases =
      WithTruncations(good, {
                                {"side 0 count too large", good.key, more},
                                {"side 0 count too small", good.key, fewer},
                                {"count 2^32-1", good.key, huge},
                                {"half a node id", good.key, half_node},
                                {"missing side 1", good.key, good.value.substr(0, 33)},
                            });
  AddKeyAndVersionCases(good, kEdgeKeyPrefix, &cases);
  ExpectAllCorrupt<CannotLinkRecord>(cases, DecodeCannotLink);
}

TEST(GraphRecordsTest, SetEdgeValueStateKeepsTheEvidence) {
  const EdgeRecord in = MakeEdge();
  Encoded e = EncodeOrDie(in, EncodeEdge);
  ASSERT_TRUE(SetEdgeValueState(EdgeState::kRemoved, &e.value).ok());
  EdgeRecord out;
  ASSERT_TRUE(DecodeEdge(e.key, e.value, &out).ok());
  EXPECT_EQ(out.state, EdgeState::kRemoved);
  EXPECT_EQ(out.rule, in.rule);
  EXPECT_EQ(out.evidence_time, in.evidence_time);
  EXPECT_EQ(out.evidence_message, in.evidence_message);
  EXPECT_EQ(out.evidence_sequence, in.evidence_sequence);
}

TEST(GraphRecordsTest, SetEdgeValueStateRefusesMalformedValues) {
  const Encoded good = EncodeOrDie(MakeEdge(), EncodeEdge);
  for (std::size_t n = 0; n < good.value.size(); ++n) {
    std::string value = good.value.substr(0, n);
    const std::string before = value;
    EXPECT_EQ(SetEdgeValueState(EdgeState::kLinked, &value).code(), StatusCode::kCorruption) << n;
    EXPECT_EQ(value, before);
  }
  std::string value = good.value;
  EXPECT_EQ(SetEdgeValueState(static_cast<EdgeState>(7), &value).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(value, good.value);
}

}  // namespace
}  // namespace cdp::storage
