// The bytes of the identity graph's records in the `identifiers`, `edges` and `profiles` column
// families (storage/FORMAT.md): encoders and validating decoders, free of RocksDB.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "cdp/graph_delta.h"
#include "cdp/status.h"

namespace cdp::storage {

// The first byte of a graph record's key names its kind.
inline constexpr char kNodeKeyPrefix = 'n';        // in `identifiers`
inline constexpr char kEdgeKeyPrefix = 'e';        // in `edges`
inline constexpr char kCannotLinkKeyPrefix = 'c';  // in `edges`
inline constexpr char kReviewKeyPrefix = 'r';      // in `edges`
inline constexpr char kProfileKeyPrefix = 'p';     // in `profiles`
inline constexpr char kTimelineKeyPrefix = 't';    // in `profiles`: the timeline index
inline constexpr char kTraitsKeyPrefix = 'd';      // in `profiles`: a profile's traits
inline constexpr std::size_t kTraitsKeySize = 9;

// The version byte that begins every graph record value.
inline constexpr char kGraphRecordVersion = 0x01;
// The version byte that begins a match-evidence section (in edge and review values).
inline constexpr char kMatchEvidenceVersion = 0x01;

inline constexpr std::size_t kNodeKeySize = 5;
inline constexpr std::size_t kEdgeKeySize = 9;
inline constexpr std::size_t kCannotLinkKeySize = 5;
inline constexpr std::size_t kReviewKeySize = 5;
inline constexpr std::size_t kProfileKeySize = 9;
// The fixed part of a node value (before the identifier value's bytes), of an edge value and
// of a review value (before the messageId's bytes); a profile value has only a fixed part.
inline constexpr std::size_t kNodeValueFixedSize = 28;
inline constexpr std::size_t kEdgeValueFixedSize = 21;
inline constexpr std::size_t kReviewValueFixedSize = 60;
inline constexpr std::size_t kProfileValueSize = 18;
// A change-feed record (`changes`): the key is the feed sequence; the value has a fixed size.
inline constexpr std::size_t kChangeKeySize = 8;
inline constexpr std::size_t kChangeValueSize = 34;
// A timeline index entry (`profiles`): prefix, node, event sequence; the value is the version
// byte alone.
inline constexpr std::size_t kTimelineKeySize = 13;
// A match-evidence section: a fixed part, then one entry per field, at most
// kMaxMatchEvidenceFields of them.
inline constexpr std::size_t kMatchEvidenceFixedSize = 18;
inline constexpr std::size_t kMatchEvidenceFieldSize = 6;
inline constexpr std::size_t kMaxMatchEvidenceFields = 32;
// Longest identifier value and messageId a record can hold (their length is a u16).
inline constexpr std::size_t kMaxGraphRecordString = 0xFFFF;

// Keys. Each replaces the contents of `*key`, reusing its capacity.
void EncodeNodeKey(std::uint32_t node, std::string* key);
// REQUIRES: a < b.
void EncodeEdgeKey(std::uint32_t a, std::uint32_t b, std::string* key);
void EncodeCannotLinkKey(std::uint32_t id, std::string* key);
void EncodeReviewKey(std::uint32_t id, std::string* key);
void EncodeProfileKey(std::uint64_t id, std::string* key);
void EncodeChangeKey(std::uint64_t sequence, std::string* key);
void EncodeTraitsKey(std::uint64_t profile, std::string* key);
// The key of event `sequence` in the timeline of `node`; with sequence 0, the first key of the
// node's range (no event has sequence 0).
void EncodeTimelineKey(std::uint32_t node, std::uint64_t sequence, std::string* key);

// Records. Each replaces the contents of `*key` and `*value`, reusing their capacity.
// kInvalidArgument (and the outputs unspecified) for a record the format cannot hold: a string
// longer than kMaxGraphRecordString, an edge whose a >= b, a `state_only` edge (it has no
// evidence to write), an enum value outside its type's named values, match evidence with more
// than kMaxMatchEvidenceFields fields or a weight that is not finite. An edge's match evidence
// is written when `record.match` is set, whatever its rule.
Status EncodeNode(const NodeRecord& record, std::string* key, std::string* value);
Status EncodeEdge(const EdgeRecord& record, std::string* key, std::string* value);
Status EncodeProfile(const ProfileRecord& record, std::string* key, std::string* value);
Status EncodeCannotLink(const CannotLinkRecord& record, std::string* key, std::string* value);
Status EncodeReview(const ReviewRecord& record, std::string* key, std::string* value);
// A change record under feed sequence `sequence` (storage assigns it).
Status EncodeChange(std::uint64_t sequence, const ChangeRecord& record, std::string* key,
                    std::string* value);

// Fill `*record` from a stored key and value, reusing the capacity of its strings and vectors.
// kCorruption saying which part is wrong (the key's kind or size, a missing or unknown version
// byte, a truncated value, a length that does not match the bytes present, trailing bytes, an
// unknown enum value, an edge whose a >= b, a match-evidence section with an unknown version,
// too many fields or a weight that is not finite); `*record` is then unspecified. The messages
// carry sizes and kinds, never record contents. DecodeEdge sets `state_only` to false, and
// `match` to the stored evidence or to nullopt when the value has none (a value written before
// evidence existed has none).
Status DecodeNode(std::string_view key, std::string_view value, NodeRecord* record);
Status DecodeEdge(std::string_view key, std::string_view value, EdgeRecord* record);
Status DecodeProfile(std::string_view key, std::string_view value, ProfileRecord* record);
Status DecodeCannotLink(std::string_view key, std::string_view value, CannotLinkRecord* record);
Status DecodeReview(std::string_view key, std::string_view value, ReviewRecord* record);
Status DecodeChange(std::string_view key, std::string_view value, std::uint64_t* sequence,
                    ChangeRecord* record);
// The node and event sequence of a timeline key; kCorruption for a key of another size or kind.
Status DecodeTimelineKey(std::string_view key, std::uint32_t* node, std::uint64_t* sequence);

// Rewrites the state of a stored edge value in place, keeping its evidence (match evidence
// included: only the state byte changes). kCorruption (value unchanged) when `*value` is not a
// valid edge value; kInvalidArgument for an unknown state.
Status SetEdgeValueState(EdgeState state, std::string* value);

}  // namespace cdp::storage
