// Tests for storage/graph_records.h: round trips, key order, refused records and tables of
// malformed stored bytes for each decoder.
#include "storage/graph_records.h"

#include <gtest/gtest.h>

#include <bit>
#include <chrono>
#include <cstdint>
#include <limits>
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

MatchEvidence MakeEvidence(std::size_t fields = 3) {
  MatchEvidence m;
  m.model_version = 0x0A0B0C0D;
  m.prior = -13.25f;
  m.weight = 21.5f;
  m.best_pair_weight = 18.0625f;
  for (std::size_t i = 0; i < fields; ++i) {
    FieldContribution f;
    f.field = static_cast<std::uint8_t>(i);
    f.level = static_cast<std::uint8_t>(0xFF - i);
    f.weight = i % 2 == 0 ? 4.75f * static_cast<float>(i + 1) : -0.0f;
    m.fields.push_back(f);
  }
  return m;
}

EdgeRecord MakeProbabilisticEdge() {
  EdgeRecord r = MakeEdge();
  r.state = EdgeState::kLinked;
  r.rule = LinkRule::kProbabilistic;
  r.match = MakeEvidence();
  return r;
}

ReviewRecord MakeReview() {
  ReviewRecord r;
  r.id = 0x0A000001;
  r.record_node = 17;
  r.candidate_node = 0xFFFFFFF0;
  r.left_profile = 0x1112131415161718ull;
  r.right_profile = 0x2122232425262728ull;
  r.evidence = MakeEvidence(2);
  r.created_at = At(1'772'366'400'123);
  r.message_id = "msg-review";
  r.sequence = 0x0102030405060708ull;
  r.state = ReviewState::kNoMatch;
  r.decided_at = At(-7);
  r.decided_after_sequence = 0x8877665544332211ull;
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
  edge.rule = static_cast<LinkRule>(4);
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
  bad_rule[2] = 4;
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

// Overwrites the four bytes at `at` with `bits`, big-endian.
std::string WithU32(std::string value, std::size_t at, std::uint32_t bits) {
  for (std::size_t i = 0; i < 4; ++i) {
    value[at + i] = static_cast<char>((bits >> (24 - 8 * i)) & 0xFFu);
  }
  return value;
}

constexpr std::uint32_t kNaNBits = 0x7FC00000;
constexpr std::uint32_t kInfinityBits = 0x7F800000;
constexpr std::uint32_t kMinusInfinityBits = 0xFF800000;

TEST(GraphRecordsTest, EdgeWithMatchEvidenceRoundTrips) {
  for (std::size_t fields : {std::size_t{0}, std::size_t{3}, kMaxMatchEvidenceFields}) {
    EdgeRecord in = MakeProbabilisticEdge();
    in.match = MakeEvidence(fields);
    for (LinkRule rule : {LinkRule::kProbabilistic, LinkRule::kReview}) {
      in.rule = rule;
      const Encoded e = EncodeOrDie(in, EncodeEdge);
      EXPECT_EQ(e.value.size(), kEdgeValueFixedSize + in.evidence_message.size() +
                                    kMatchEvidenceFixedSize + kMatchEvidenceFieldSize * fields);
      EdgeRecord out;
      out.match = MakeEvidence(kMaxMatchEvidenceFields);  // replaced, not merged
      out.state_only = true;
      ASSERT_TRUE(DecodeEdge(e.key, e.value, &out).ok()) << fields;
      EXPECT_EQ(out.rule, rule);
      EXPECT_EQ(out.state, in.state);
      EXPECT_EQ(out.evidence_time, in.evidence_time);
      EXPECT_EQ(out.evidence_message, in.evidence_message);
      EXPECT_EQ(out.evidence_sequence, in.evidence_sequence);
      EXPECT_FALSE(out.state_only);
      ASSERT_TRUE(out.match.has_value());
      EXPECT_EQ(*out.match, *in.match);
      // Bit for bit: the sign of a zero weight survives.
      for (std::size_t i = 0; i < fields; ++i) {
        EXPECT_EQ(std::bit_cast<std::uint32_t>(out.match->fields[i].weight),
                  std::bit_cast<std::uint32_t>(in.match->fields[i].weight));
      }
    }
  }
}

TEST(GraphRecordsTest, MatchEvidenceLayoutIsAsDocumented) {
  EdgeRecord in = MakeProbabilisticEdge();
  in.evidence_message = "m";
  in.match = MatchEvidence{};
  in.match->model_version = 2;
  in.match->prior = 1.0f;             // 0x3F800000
  in.match->weight = -2.0f;           // 0xC0000000
  in.match->best_pair_weight = 0;     // 0x00000000
  in.match->fields = {{5, 1, 0.5f}};  // 0x3F000000
  const Encoded e = EncodeOrDie(in, EncodeEdge);
  const std::string_view section = std::string_view(e.value).substr(kEdgeValueFixedSize + 1);
  EXPECT_EQ(section, std::string_view("\x01"
                                      "\x00\x00\x00\x02"
                                      "\x3F\x80\x00\x00"
                                      "\xC0\x00\x00\x00"
                                      "\x00\x00\x00\x00"
                                      "\x01"
                                      "\x05\x01\x3F\x00\x00\x00",
                                      24));
}

TEST(GraphRecordsTest, EdgeWithoutMatchEvidenceDecodesWithNone) {
  EdgeRecord in = MakeEdge();
  const Encoded e = EncodeOrDie(in, EncodeEdge);
  EXPECT_EQ(e.value.size(), kEdgeValueFixedSize + in.evidence_message.size());
  EdgeRecord out;
  out.match = MakeEvidence();
  ASSERT_TRUE(DecodeEdge(e.key, e.value, &out).ok());
  EXPECT_FALSE(out.match.has_value());

  // A value as written before match evidence existed, byte by byte.
  const std::string old_value(
      "\x01"                              // version
      "\x00"                              // linked
      "\x01"                              // alias
      "\x00\x00\x01\x9C\xA5\x35\x9C\x00"  // time
      "\x00\x00\x00\x00\x00\x00\x00\x2A"  // sequence 42
      "\x00\x03"
      "abc",
      24);
  out.match = MakeEvidence();
  ASSERT_TRUE(DecodeEdge(e.key, old_value, &out).ok());
  EXPECT_EQ(out.state, EdgeState::kLinked);
  EXPECT_EQ(out.rule, LinkRule::kAlias);
  EXPECT_EQ(out.evidence_sequence, 42u);
  EXPECT_EQ(out.evidence_message, "abc");
  EXPECT_FALSE(out.match.has_value());
  // It encodes back to the same bytes.
  Encoded again = EncodeOrDie(out, EncodeEdge);
  EXPECT_EQ(again.value, old_value);
}

TEST(GraphRecordsTest, ReviewRoundTrips) {
  for (ReviewState state : {ReviewState::kPending, ReviewState::kMatch, ReviewState::kNoMatch}) {
    ReviewRecord in = MakeReview();
    in.state = state;
    const Encoded e = EncodeOrDie(in, EncodeReview);
    EXPECT_EQ(e.key, std::string("r\x0A\x00\x00\x01", 5));
    EXPECT_EQ(e.value.size(), kReviewValueFixedSize + in.message_id.size() +
                                  kMatchEvidenceFixedSize +
                                  kMatchEvidenceFieldSize * in.evidence.fields.size());
    EXPECT_EQ(e.value[0], kGraphRecordVersion);
    ReviewRecord out;
    out.message_id = "leftover that must be replaced";
    out.evidence = MakeEvidence(kMaxMatchEvidenceFields);
    ASSERT_TRUE(DecodeReview(e.key, e.value, &out).ok());
    EXPECT_EQ(out.id, in.id);
    EXPECT_EQ(out.record_node, in.record_node);
    EXPECT_EQ(out.candidate_node, in.candidate_node);
    EXPECT_EQ(out.left_profile, in.left_profile);
    EXPECT_EQ(out.right_profile, in.right_profile);
    EXPECT_EQ(out.evidence, in.evidence);
    EXPECT_EQ(out.created_at, in.created_at);
    EXPECT_EQ(out.message_id, in.message_id);
    EXPECT_EQ(out.sequence, in.sequence);
    EXPECT_EQ(out.state, in.state);
    EXPECT_EQ(out.decided_at, in.decided_at);
    EXPECT_EQ(out.decided_after_sequence, in.decided_after_sequence);
  }

  ReviewRecord empty;
  const Encoded e = EncodeOrDie(empty, EncodeReview);
  EXPECT_EQ(e.value.size(), kReviewValueFixedSize + kMatchEvidenceFixedSize);
  ReviewRecord out = MakeReview();
  ASSERT_TRUE(DecodeReview(e.key, e.value, &out).ok());
  EXPECT_TRUE(out.message_id.empty());
  EXPECT_TRUE(out.evidence.fields.empty());
  EXPECT_EQ(out.state, ReviewState::kPending);
}

TEST(GraphRecordsTest, ReviewKeysSortByIdAfterEdges) {
  std::string r1, r2, edge, cannot_link;
  EncodeReviewKey(0xFF, &r1);
  EncodeReviewKey(0x100, &r2);
  EncodeEdgeKey(0xFFFFFFFE, 0xFFFFFFFF, &edge);
  EncodeCannotLinkKey(0xFFFFFFFF, &cannot_link);
  EXPECT_LT(r1, r2);
  EXPECT_LT(cannot_link, edge);
  EXPECT_LT(edge, r1);
}

TEST(GraphRecordsTest, EncodersRefuseEvidenceTheFormatCannotHold) {
  std::string key, value;
  const float bad_floats[] = {std::numeric_limits<float>::quiet_NaN(),
                              std::numeric_limits<float>::infinity(),
                              -std::numeric_limits<float>::infinity()};
  // Each of the four weights of the evidence, set to `v`.
  const auto variants = [](float v) {
    std::vector<MatchEvidence> out(4, MakeEvidence());
    out[0].prior = v;
    out[1].weight = v;
    out[2].best_pair_weight = v;
    out[3].fields[1].weight = v;
    return out;
  };
  std::vector<MatchEvidence> bad = {MakeEvidence(kMaxMatchEvidenceFields + 1)};
  for (float v : bad_floats) {
    for (MatchEvidence& m : variants(v)) bad.push_back(std::move(m));
  }
  for (std::size_t i = 0; i < bad.size(); ++i) {
    EdgeRecord edge = MakeProbabilisticEdge();
    edge.match = bad[i];
    EXPECT_EQ(EncodeEdge(edge, &key, &value).code(), StatusCode::kInvalidArgument) << i;
    ReviewRecord review = MakeReview();
    review.evidence = bad[i];
    EXPECT_EQ(EncodeReview(review, &key, &value).code(), StatusCode::kInvalidArgument) << i;
  }

  ReviewRecord review = MakeReview();
  review.state = static_cast<ReviewState>(3);
  EXPECT_EQ(EncodeReview(review, &key, &value).code(), StatusCode::kInvalidArgument);
  review = MakeReview();
  review.message_id.assign(kMaxGraphRecordString + 1, 'm');
  EXPECT_EQ(EncodeReview(review, &key, &value).code(), StatusCode::kInvalidArgument);
  review.message_id.assign(kMaxGraphRecordString, 'm');
  EXPECT_TRUE(EncodeReview(review, &key, &value).ok());
}

// Defects of a match-evidence section that begins at `at` in `good`'s value and holds 3 or
// more fields (2 or more for reviews).
void AddEvidenceCases(const Encoded& good, std::size_t at, std::vector<Malformed>* cases) {
  const std::size_t count_at = at + 17;
  std::string v = good.value;
  v[at] = 0x00;
  cases->push_back({"evidence version 0", good.key, v});
  v[at] = 0x02;
  cases->push_back({"evidence version 2", good.key, v});
  v = good.value;
  v[count_at] = static_cast<char>(v[count_at] + 1);
  cases->push_back({"field count too large", good.key, v});
  v = good.value;
  v[count_at] = static_cast<char>(v[count_at] - 1);
  cases->push_back({"field count too small", good.key, v});
  v = good.value;
  v[count_at] = static_cast<char>(kMaxMatchEvidenceFields + 1);
  v.resize(count_at + 1 + kMatchEvidenceFieldSize * (kMaxMatchEvidenceFields + 1), '\0');
  cases->push_back({"33 fields, all present", good.key, v});
  v[count_at] = '\xFF';
  cases->push_back({"255 fields", good.key, v});
  cases->push_back({"half a field", good.key, good.value.substr(0, good.value.size() - 3)});
  const std::pair<const char*, std::uint32_t> bad_floats[] = {
      {"NaN", kNaNBits}, {"+inf", kInfinityBits}, {"-inf", kMinusInfinityBits}};
  const std::pair<const char*, std::size_t> weights[] = {
      {"prior", at + 5},
      {"weight", at + 9},
      {"cluster weight", at + 13},
      {"field 0 weight", at + kMatchEvidenceFixedSize + 2},
      {"field 1 weight", at + kMatchEvidenceFixedSize + kMatchEvidenceFieldSize + 2},
  };
  for (const auto& [float_name, bits] : bad_floats) {
    for (const auto& [weight_name, offset] : weights) {
      cases->push_back({std::string(weight_name) + " " + float_name, good.key,
                        WithU32(good.value, offset, bits)});
    }
  }
}

TEST(GraphRecordsTest, MalformedMatchEvidenceOfEdgesIsCorruption) {
  const EdgeRecord in = MakeProbabilisticEdge();
  const Encoded good = EncodeOrDie(in, EncodeEdge);
  const std::size_t at = kEdgeValueFixedSize + in.evidence_message.size();
  std::vector<Malformed> cases;
  // Every prefix but the one that ends with the messageId (a value without evidence).
  for (std::size_t n = 0; n < good.value.size(); ++n) {
    if (n == at) continue;
    cases.push_back({"truncated to " + std::to_string(n), good.key, good.value.substr(0, n)});
  }
  AddEvidenceCases(good, at, &cases);
  AddKeyAndVersionCases(good, kReviewKeyPrefix, &cases);
  std::string bad_rule = good.value;
  bad_rule[2] = 4;
  cases.push_back({"unknown rule", good.key, bad_rule});
  ExpectAllCorrupt<EdgeRecord>(cases, DecodeEdge);
  for (const Malformed& c : cases) {
    if (c.key != good.key) continue;
    std::string value = c.value;
    EXPECT_EQ(SetEdgeValueState(EdgeState::kRemoved, &value).code(), StatusCode::kCorruption)
        << c.name;
    EXPECT_EQ(value, c.value) << c.name;
  }

  EdgeRecord out;
  ASSERT_TRUE(DecodeEdge(good.key, good.value.substr(0, at), &out).ok());
  EXPECT_FALSE(out.match.has_value());
}

TEST(GraphRecordsTest, MalformedReviewsAreCorruption) {
  const ReviewRecord in = MakeReview();
  const Encoded good = EncodeOrDie(in, EncodeReview);
  const std::size_t at = kReviewValueFixedSize + in.message_id.size();
  std::string bad_state = good.value;
  bad_state[1] = 3;
  std::string huge_state = good.value;
  huge_state[1] = '\xFF';
  std::string longer = good.value;
  longer[59] = static_cast<char>(longer[59] + 1);
  std::string shorter = good.value;
  shorter[59] = static_cast<char>(shorter[59] - 1);
  std::string huge = good.value;
  huge[58] = '\xFF';
  huge[59] = '\xFF';
  std::vector<Malformed> cases =
      WithTruncations(good, {
                                {"unknown state 3", good.key, bad_state},
                                {"unknown state 255", good.key, huge_state},
                                {"messageId length too large", good.key, longer},
                                {"messageId length too small", good.key, shorter},
                                {"messageId length 65535", good.key, huge},
                                {"no evidence", good.key, good.value.substr(0, at)},
                            });
  AddEvidenceCases(good, at, &cases);
  AddKeyAndVersionCases(good, kCannotLinkKeyPrefix, &cases);
  ExpectAllCorrupt<ReviewRecord>(cases, DecodeReview);
}

TEST(GraphRecordsTest, SetEdgeValueStateKeepsTheMatchEvidence) {
  const EdgeRecord in = MakeProbabilisticEdge();
  Encoded e = EncodeOrDie(in, EncodeEdge);
  const std::string before = e.value;
  ASSERT_TRUE(SetEdgeValueState(EdgeState::kRemoved, &e.value).ok());
  ASSERT_EQ(e.value.size(), before.size());
  EXPECT_EQ(e.value.substr(2), before.substr(2));
  EdgeRecord out;
  ASSERT_TRUE(DecodeEdge(e.key, e.value, &out).ok());
  EXPECT_EQ(out.state, EdgeState::kRemoved);
  EXPECT_EQ(out.rule, in.rule);
  EXPECT_EQ(out.evidence_message, in.evidence_message);
  ASSERT_TRUE(out.match.has_value());
  EXPECT_EQ(*out.match, *in.match);
}

}  // namespace
}  // namespace cdp::storage

namespace cdp::storage {
namespace {

TEST(GraphRecordsTest, ChangeRoundTripsAndKeysSortBySequence) {
  ChangeRecord in;
  in.type = ChangeType::kMerge;
  in.profile = 0x0102030405060708;
  in.merged_into = 42;
  in.at = Timestamp(std::chrono::milliseconds(1'767'225'600'123));
  in.event_sequence = 99;
  std::string key;
  std::string value;
  ASSERT_TRUE(EncodeChange(0x1122334455667788, in, &key, &value).ok());
  EXPECT_EQ(key, std::string("\x11\x22\x33\x44\x55\x66\x77\x88", 8));
  EXPECT_EQ(value.size(), kChangeValueSize);
  EXPECT_EQ(value[0], kGraphRecordVersion);
  std::uint64_t sequence = 0;
  ChangeRecord out;
  ASSERT_TRUE(DecodeChange(key, value, &sequence, &out).ok());
  EXPECT_EQ(sequence, 0x1122334455667788u);
  EXPECT_EQ(out, in);
  std::string k1, k2;
  EncodeChangeKey(255, &k1);
  EncodeChangeKey(256, &k2);
  EXPECT_LT(k1, k2);
  in.type = static_cast<ChangeType>(9);
  EXPECT_EQ(EncodeChange(1, in, &key, &value).code(), StatusCode::kInvalidArgument);
}

TEST(GraphRecordsTest, MalformedChangesAreCorruption) {
  ChangeRecord in;
  in.profile = 7;
  std::string key;
  std::string value;
  ASSERT_TRUE(EncodeChange(3, in, &key, &value).ok());
  std::string bad_type = value;
  bad_type[1] = 4;
  std::string bad_version = value;
  bad_version[0] = 2;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {key, ""},
      {key, value.substr(0, 1)},
      {key, value.substr(0, value.size() - 1)},
      {key, value + '\0'},
      {key, bad_type},
      {key, bad_version},
      {key.substr(0, 7), value},
      {key + '\0', value},
  };
  for (const auto& [k, v] : cases) {
    std::uint64_t sequence = 0;
    ChangeRecord out;
    EXPECT_EQ(DecodeChange(k, v, &sequence, &out).code(), StatusCode::kCorruption)
        << k.size() << " " << v.size();
  }
}

TEST(GraphRecordsTest, TimelineKeysSortByNodeThenSequence) {
  std::string a, b, c;
  EncodeTimelineKey(1, 500, &a);
  EncodeTimelineKey(2, 1, &b);
  EncodeTimelineKey(2, 256, &c);
  EXPECT_EQ(a.size(), kTimelineKeySize);
  EXPECT_EQ(a[0], kTimelineKeyPrefix);
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  std::uint32_t node = 0;
  std::uint64_t sequence = 0;
  ASSERT_TRUE(DecodeTimelineKey(c, &node, &sequence).ok());
  EXPECT_EQ(node, 2u);
  EXPECT_EQ(sequence, 256u);
  EXPECT_EQ(DecodeTimelineKey(c.substr(1), &node, &sequence).code(), StatusCode::kCorruption);
  std::string other = c;
  other[0] = kProfileKeyPrefix;
  EXPECT_EQ(DecodeTimelineKey(other, &node, &sequence).code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace cdp::storage
