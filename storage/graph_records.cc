#include "storage/graph_records.h"

#include <bit>
#include <chrono>
#include <cmath>
#include <limits>

namespace cdp::storage {
namespace {

// Integers are big-endian in keys and values alike (FORMAT.md). Compilers turn these loops
// into one load or store and a byte swap.
char* PutU16(char* p, std::uint16_t v) {
  p[0] = static_cast<char>(v >> 8);
  p[1] = static_cast<char>(v & 0xFFu);
  return p + 2;
}

char* PutU32(char* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>((v >> (24 - 8 * i)) & 0xFFu);
  return p + 4;
}

char* PutU64(char* p, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>((v >> (56 - 8 * i)) & 0xFFu);
  return p + 8;
}

char* PutTime(char* p, Timestamp t) {
  return PutU64(p, static_cast<std::uint64_t>(t.time_since_epoch().count()));
}

std::uint16_t GetU16(const char* p) {
  return static_cast<std::uint16_t>((static_cast<unsigned>(static_cast<unsigned char>(p[0])) << 8) |
                                    static_cast<unsigned char>(p[1]));
}

std::uint32_t GetU32(const char* p) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

std::uint64_t GetU64(const char* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

Timestamp GetTime(const char* p) {
  return Timestamp(std::chrono::milliseconds(static_cast<std::int64_t>(GetU64(p))));
}

// Floats are stored as their IEEE 754 binary32 bits, as a u32.
char* PutF32(char* p, float v) { return PutU32(p, std::bit_cast<std::uint32_t>(v)); }
float GetF32(const char* p) { return std::bit_cast<float>(GetU32(p)); }

bool ValidEdgeState(std::uint8_t v) { return v <= static_cast<std::uint8_t>(EdgeState::kRemoved); }
bool ValidLinkRule(std::uint8_t v) { return v <= static_cast<std::uint8_t>(LinkRule::kReview); }
bool ValidProfileState(std::uint8_t v) {
  return v <= static_cast<std::uint8_t>(ProfileState::kMerged);
}
bool ValidChangeType(std::uint8_t v) { return v <= static_cast<std::uint8_t>(ChangeType::kDelete); }
bool ValidReviewState(std::uint8_t v) {
  return v <= static_cast<std::uint8_t>(ReviewState::kNoMatch);
}

Status Corrupt(std::string_view kind, std::string_view defect) {
  std::string message(kind);
  message += " record: ";
  message += defect;
  return CorruptionError(message);
}

Status Unencodable(std::string_view kind, std::string_view defect) {
  std::string message("cannot encode a ");
  message += kind;
  message += " record: ";
  message += defect;
  return InvalidArgumentError(message);
}

// Checks the parts every value shares: not empty, a known version byte.
Status CheckVersion(std::string_view kind, std::string_view value) {
  if (value.empty()) return Corrupt(kind, "empty value");
  if (value[0] != kGraphRecordVersion) return Corrupt(kind, "unknown version byte");
  return Status::Ok();
}

Status CheckKey(std::string_view kind, std::string_view key, char prefix, std::size_t size) {
  if (key.size() != size) return Corrupt(kind, "key of the wrong size");
  if (key[0] != prefix) return Corrupt(kind, "key of another record kind");
  return Status::Ok();
}

// Checks that `evidence` fits a match-evidence section.
Status CheckEvidence(std::string_view kind, const MatchEvidence& evidence) {
  if (evidence.fields.size() > kMaxMatchEvidenceFields) {
    return Unencodable(kind, "match evidence with too many fields");
  }
  bool finite = std::isfinite(evidence.prior) && std::isfinite(evidence.weight) &&
                std::isfinite(evidence.best_pair_weight);
  for (const FieldContribution& field : evidence.fields) {
    finite = finite && std::isfinite(field.weight);
  }
  if (!finite) return Unencodable(kind, "a match weight that is not finite");
  return Status::Ok();
}

// Appends the match-evidence section of `evidence`. REQUIRES: CheckEvidence accepts it.
void AppendEvidence(const MatchEvidence& evidence, std::string* value) {
  char buf[kMatchEvidenceFixedSize + kMatchEvidenceFieldSize * kMaxMatchEvidenceFields];
  buf[0] = kMatchEvidenceVersion;
  char* p = PutU32(buf + 1, evidence.model_version);
  p = PutF32(p, evidence.prior);
  p = PutF32(p, evidence.weight);
  p = PutF32(p, evidence.best_pair_weight);
  *p++ = static_cast<char>(evidence.fields.size());
  for (const FieldContribution& field : evidence.fields) {
    *p++ = static_cast<char>(field.field);
    *p++ = static_cast<char>(field.level);
    p = PutF32(p, field.weight);
  }
  value->append(buf, static_cast<std::size_t>(p - buf));
}

// Validates a match-evidence section that `section` holds exactly and, when `out` is not null,
// decodes it into `*out` (reusing the capacity of its fields).
Status ParseEvidence(std::string_view kind, std::string_view section, MatchEvidence* out) {
  if (section.empty()) return Corrupt(kind, "missing match evidence");
  if (section[0] != kMatchEvidenceVersion) return Corrupt(kind, "unknown match evidence version");
  if (section.size() < kMatchEvidenceFixedSize) return Corrupt(kind, "truncated match evidence");
  const char* p = section.data();
  const std::size_t count = static_cast<unsigned char>(p[17]);
  if (count > kMaxMatchEvidenceFields) return Corrupt(kind, "match evidence with too many fields");
  const std::size_t left = section.size() - kMatchEvidenceFixedSize;
  if (count * kMatchEvidenceFieldSize > left) {
    return Corrupt(kind, "match evidence field count beyond the value");
  }
  if (count * kMatchEvidenceFieldSize < left) {
    return Corrupt(kind, "trailing bytes after the match evidence");
  }
  bool finite =
      std::isfinite(GetF32(p + 5)) && std::isfinite(GetF32(p + 9)) && std::isfinite(GetF32(p + 13));
  for (std::size_t i = 0; i < count; ++i) {
    finite = finite &&
             std::isfinite(GetF32(p + kMatchEvidenceFixedSize + i * kMatchEvidenceFieldSize + 2));
  }
  if (!finite) return Corrupt(kind, "a match weight that is not finite");
  if (out == nullptr) return Status::Ok();
  out->model_version = GetU32(p + 1);
  out->prior = GetF32(p + 5);
  out->weight = GetF32(p + 9);
  out->best_pair_weight = GetF32(p + 13);
  out->fields.resize(count);
  const char* f = p + kMatchEvidenceFixedSize;
  for (FieldContribution& field : out->fields) {
    field.field = static_cast<std::uint8_t>(f[0]);
    field.level = static_cast<std::uint8_t>(f[1]);
    field.weight = GetF32(f + 2);
    f += kMatchEvidenceFieldSize;
  }
  return Status::Ok();
}

// The parts of an edge value, pointing into the value's bytes.
struct EdgeValueView {
  std::uint8_t state = 0;
  std::uint8_t rule = 0;
  Timestamp evidence_time;
  std::uint64_t evidence_sequence = 0;
  std::string_view message;
  bool has_match = false;  // a match-evidence section follows the messageId
};

// Validates an edge value and fills `*view`; when the value holds match evidence and `match` is
// not null, decodes it into `*match`.
Status ParseEdgeValue(std::string_view value, EdgeValueView* view, MatchEvidence* match) {
  constexpr std::string_view kKind = "edge";
  CDP_RETURN_IF_ERROR(CheckVersion(kKind, value));
  if (value.size() < kEdgeValueFixedSize) return Corrupt(kKind, "truncated value");
  const char* p = value.data();
  view->state = static_cast<std::uint8_t>(p[1]);
  view->rule = static_cast<std::uint8_t>(p[2]);
  if (!ValidEdgeState(view->state)) return Corrupt(kKind, "unknown state");
  if (!ValidLinkRule(view->rule)) return Corrupt(kKind, "unknown rule");
  view->evidence_time = GetTime(p + 3);
  view->evidence_sequence = GetU64(p + 11);
  const std::size_t length = GetU16(p + 19);
  const std::size_t left = value.size() - kEdgeValueFixedSize;
  if (length > left) return Corrupt(kKind, "messageId length beyond the value");
  view->message = value.substr(kEdgeValueFixedSize, length);
  // Bytes after the messageId are a match-evidence section (values written before evidence
  // existed end with the messageId).
  const std::string_view section = value.substr(kEdgeValueFixedSize + length);
  view->has_match = !section.empty();
  if (view->has_match) CDP_RETURN_IF_ERROR(ParseEvidence(kKind, section, match));
  return Status::Ok();
}

}  // namespace

void EncodeNodeKey(std::uint32_t node, std::string* key) {
  char buf[kNodeKeySize];
  buf[0] = kNodeKeyPrefix;
  PutU32(buf + 1, node);
  key->assign(buf, sizeof(buf));
}

void EncodeEdgeKey(std::uint32_t a, std::uint32_t b, std::string* key) {
  char buf[kEdgeKeySize];
  buf[0] = kEdgeKeyPrefix;
  PutU32(PutU32(buf + 1, a), b);
  key->assign(buf, sizeof(buf));
}

void EncodeCannotLinkKey(std::uint32_t id, std::string* key) {
  char buf[kCannotLinkKeySize];
  buf[0] = kCannotLinkKeyPrefix;
  PutU32(buf + 1, id);
  key->assign(buf, sizeof(buf));
}

void EncodeReviewKey(std::uint32_t id, std::string* key) {
  char buf[kReviewKeySize];
  buf[0] = kReviewKeyPrefix;
  PutU32(buf + 1, id);
  key->assign(buf, sizeof(buf));
}

void EncodeProfileKey(std::uint64_t id, std::string* key) {
  char buf[kProfileKeySize];
  buf[0] = kProfileKeyPrefix;
  PutU64(buf + 1, id);
  key->assign(buf, sizeof(buf));
}

void EncodeChangeKey(std::uint64_t sequence, std::string* key) {
  char buf[kChangeKeySize];
  PutU64(buf, sequence);
  key->assign(buf, sizeof(buf));
}

void EncodeTraitsKey(std::uint64_t profile, std::string* key) {
  char buf[kTraitsKeySize];
  buf[0] = kTraitsKeyPrefix;
  PutU64(buf + 1, profile);
  key->assign(buf, sizeof(buf));
}

void EncodeTimelineKey(std::uint32_t node, std::uint64_t sequence, std::string* key) {
  char buf[kTimelineKeySize];
  buf[0] = kTimelineKeyPrefix;
  PutU64(PutU32(buf + 1, node), sequence);
  key->assign(buf, sizeof(buf));
}

Status EncodeNode(const NodeRecord& record, std::string* key, std::string* value) {
  if (record.value.size() > kMaxGraphRecordString) {
    return Unencodable("node", "identifier value too long");
  }
  EncodeNodeKey(record.node, key);
  char buf[kNodeValueFixedSize];
  buf[0] = kGraphRecordVersion;
  buf[1] = static_cast<char>(record.type);
  char* p = PutU64(buf + 2, record.hash);
  p = PutU32(p, record.first_seen);
  p = PutU32(p, record.last_seen);
  p = PutU64(p, record.profile);
  PutU16(p, static_cast<std::uint16_t>(record.value.size()));
  value->assign(buf, sizeof(buf));
  value->append(record.value);
  return Status::Ok();
}

Status EncodeEdge(const EdgeRecord& record, std::string* key, std::string* value) {
  constexpr std::string_view kKind = "edge";
  if (record.state_only) return Unencodable(kKind, "a state-only update has no evidence");
  if (record.a >= record.b) return Unencodable(kKind, "a must be less than b");
  if (!ValidEdgeState(static_cast<std::uint8_t>(record.state))) {
    return Unencodable(kKind, "unknown state");
  }
  if (!ValidLinkRule(static_cast<std::uint8_t>(record.rule))) {
    return Unencodable(kKind, "unknown rule");
  }
  if (record.evidence_message.size() > kMaxGraphRecordString) {
    return Unencodable(kKind, "messageId too long");
  }
  if (record.match) CDP_RETURN_IF_ERROR(CheckEvidence(kKind, *record.match));
  EncodeEdgeKey(record.a, record.b, key);
  char buf[kEdgeValueFixedSize];
  buf[0] = kGraphRecordVersion;
  buf[1] = static_cast<char>(record.state);
  buf[2] = static_cast<char>(record.rule);
  char* p = PutTime(buf + 3, record.evidence_time);
  p = PutU64(p, record.evidence_sequence);
  PutU16(p, static_cast<std::uint16_t>(record.evidence_message.size()));
  value->assign(buf, sizeof(buf));
  value->append(record.evidence_message);
  if (record.match) AppendEvidence(*record.match, value);
  return Status::Ok();
}

Status EncodeProfile(const ProfileRecord& record, std::string* key, std::string* value) {
  if (!ValidProfileState(static_cast<std::uint8_t>(record.state))) {
    return Unencodable("profile", "unknown state");
  }
  EncodeProfileKey(record.id, key);
  char buf[kProfileValueSize];
  buf[0] = kGraphRecordVersion;
  buf[1] = static_cast<char>(record.state);
  PutTime(PutU64(buf + 2, record.merged_into), record.created_at);
  value->assign(buf, sizeof(buf));
  return Status::Ok();
}

Status EncodeChange(std::uint64_t sequence, const ChangeRecord& record, std::string* key,
                    std::string* value) {
  if (!ValidChangeType(static_cast<std::uint8_t>(record.type))) {
    return Unencodable("change", "unknown type");
  }
  EncodeChangeKey(sequence, key);
  char buf[kChangeValueSize];
  buf[0] = kGraphRecordVersion;
  buf[1] = static_cast<char>(record.type);
  char* p = PutU64(buf + 2, record.profile);
  p = PutU64(p, record.merged_into);
  PutU64(PutTime(p, record.at), record.event_sequence);
  value->assign(buf, sizeof(buf));
  return Status::Ok();
}

Status EncodeCannotLink(const CannotLinkRecord& record, std::string* key, std::string* value) {
  for (const auto& side : record.sides) {
    if (side.size() > std::numeric_limits<std::uint32_t>::max()) {
      return Unencodable("cannot-link", "too many nodes");
    }
  }
  EncodeCannotLinkKey(record.id, key);
  char buf[17];
  buf[0] = kGraphRecordVersion;
  PutU64(PutTime(buf + 1, record.at), record.after_sequence);
  value->assign(buf, sizeof(buf));
  value->reserve(sizeof(buf) + 8 + 4 * (record.sides[0].size() + record.sides[1].size()));
  for (const auto& side : record.sides) {
    char word[4];
    PutU32(word, static_cast<std::uint32_t>(side.size()));
    value->append(word, sizeof(word));
    for (std::uint32_t node : side) {
      PutU32(word, node);
      value->append(word, sizeof(word));
    }
  }
  return Status::Ok();
}

Status EncodeReview(const ReviewRecord& record, std::string* key, std::string* value) {
  constexpr std::string_view kKind = "review";
  if (!ValidReviewState(static_cast<std::uint8_t>(record.state))) {
    return Unencodable(kKind, "unknown state");
  }
  if (record.message_id.size() > kMaxGraphRecordString) {
    return Unencodable(kKind, "messageId too long");
  }
  CDP_RETURN_IF_ERROR(CheckEvidence(kKind, record.evidence));
  EncodeReviewKey(record.id, key);
  char buf[kReviewValueFixedSize];
  buf[0] = kGraphRecordVersion;
  buf[1] = static_cast<char>(record.state);
  char* p = PutU32(buf + 2, record.record_node);
  p = PutU32(p, record.candidate_node);
  p = PutU64(p, record.left_profile);
  p = PutU64(p, record.right_profile);
  p = PutTime(p, record.created_at);
  p = PutTime(p, record.decided_at);
  p = PutU64(p, record.sequence);
  p = PutU64(p, record.decided_after_sequence);
  PutU16(p, static_cast<std::uint16_t>(record.message_id.size()));
  value->assign(buf, sizeof(buf));
  value->reserve(sizeof(buf) + record.message_id.size() + kMatchEvidenceFixedSize +
                 kMatchEvidenceFieldSize * record.evidence.fields.size());
  value->append(record.message_id);
  AppendEvidence(record.evidence, value);
  return Status::Ok();
}

Status DecodeNode(std::string_view key, std::string_view value, NodeRecord* record) {
  constexpr std::string_view kKind = "node";
  CDP_RETURN_IF_ERROR(CheckKey(kKind, key, kNodeKeyPrefix, kNodeKeySize));
  CDP_RETURN_IF_ERROR(CheckVersion(kKind, value));
  if (value.size() < kNodeValueFixedSize) return Corrupt(kKind, "truncated value");
  const char* p = value.data();
  const std::size_t length = GetU16(p + 26);
  const std::size_t left = value.size() - kNodeValueFixedSize;
  if (length > left) return Corrupt(kKind, "identifier length beyond the value");
  if (length < left) return Corrupt(kKind, "trailing bytes after the identifier");
  record->node = GetU32(key.data() + 1);
  record->type = static_cast<IdentifierType>(p[1]);
  record->hash = GetU64(p + 2);
  record->first_seen = GetU32(p + 10);
  record->last_seen = GetU32(p + 14);
  record->profile = GetU64(p + 18);
  record->value.assign(value.substr(kNodeValueFixedSize));
  return Status::Ok();
}

Status DecodeEdge(std::string_view key, std::string_view value, EdgeRecord* record) {
  constexpr std::string_view kKind = "edge";
  CDP_RETURN_IF_ERROR(CheckKey(kKind, key, kEdgeKeyPrefix, kEdgeKeySize));
  const std::uint32_t a = GetU32(key.data() + 1);
  const std::uint32_t b = GetU32(key.data() + 5);
  if (a >= b) return Corrupt(kKind, "key whose a is not less than b");
  EdgeValueView view;
  if (!record->match) record->match.emplace();
  CDP_RETURN_IF_ERROR(ParseEdgeValue(value, &view, &*record->match));
  if (!view.has_match) record->match.reset();
  record->a = a;
  record->b = b;
  record->state = static_cast<EdgeState>(view.state);
  record->rule = static_cast<LinkRule>(view.rule);
  record->evidence_time = view.evidence_time;
  record->evidence_sequence = view.evidence_sequence;
  record->evidence_message.assign(view.message);
  record->state_only = false;
  return Status::Ok();
}

Status DecodeProfile(std::string_view key, std::string_view value, ProfileRecord* record) {
  constexpr std::string_view kKind = "profile";
  CDP_RETURN_IF_ERROR(CheckKey(kKind, key, kProfileKeyPrefix, kProfileKeySize));
  CDP_RETURN_IF_ERROR(CheckVersion(kKind, value));
  if (value.size() < kProfileValueSize) return Corrupt(kKind, "truncated value");
  if (value.size() > kProfileValueSize) return Corrupt(kKind, "trailing bytes");
  const char* p = value.data();
  const auto state = static_cast<std::uint8_t>(p[1]);
  if (!ValidProfileState(state)) return Corrupt(kKind, "unknown state");
  record->id = GetU64(key.data() + 1);
  record->state = static_cast<ProfileState>(state);
  record->merged_into = GetU64(p + 2);
  record->created_at = GetTime(p + 10);
  return Status::Ok();
}

Status DecodeChange(std::string_view key, std::string_view value, std::uint64_t* sequence,
                    ChangeRecord* record) {
  constexpr std::string_view kKind = "change";
  if (key.size() != kChangeKeySize) return Corrupt(kKind, "key of the wrong size");
  CDP_RETURN_IF_ERROR(CheckVersion(kKind, value));
  if (value.size() < kChangeValueSize) return Corrupt(kKind, "truncated value");
  if (value.size() > kChangeValueSize) return Corrupt(kKind, "trailing bytes");
  const char* p = value.data();
  const auto type = static_cast<std::uint8_t>(p[1]);
  if (!ValidChangeType(type)) return Corrupt(kKind, "unknown type");
  *sequence = GetU64(key.data());
  record->type = static_cast<ChangeType>(type);
  record->profile = GetU64(p + 2);
  record->merged_into = GetU64(p + 10);
  record->at = GetTime(p + 18);
  record->event_sequence = GetU64(p + 26);
  return Status::Ok();
}

Status DecodeTimelineKey(std::string_view key, std::uint32_t* node, std::uint64_t* sequence) {
  CDP_RETURN_IF_ERROR(CheckKey("timeline", key, kTimelineKeyPrefix, kTimelineKeySize));
  *node = GetU32(key.data() + 1);
  *sequence = GetU64(key.data() + 5);
  return Status::Ok();
}

Status DecodeCannotLink(std::string_view key, std::string_view value, CannotLinkRecord* record) {
  constexpr std::string_view kKind = "cannot-link";
  CDP_RETURN_IF_ERROR(CheckKey(kKind, key, kCannotLinkKeyPrefix, kCannotLinkKeySize));
  CDP_RETURN_IF_ERROR(CheckVersion(kKind, value));
  if (value.size() < 17) return Corrupt(kKind, "truncated value");
  record->id = GetU32(key.data() + 1);
  record->at = GetTime(value.data() + 1);
  record->after_sequence = GetU64(value.data() + 9);
  std::size_t at = 17;
  for (auto& side : record->sides) {
    if (value.size() - at < 4) return Corrupt(kKind, "truncated value");
    const std::size_t count = GetU32(value.data() + at);
    at += 4;
    // Checked against the bytes present before anything is allocated.
    if (count > (value.size() - at) / 4) return Corrupt(kKind, "node count beyond the value");
    side.resize(count);
    for (std::size_t i = 0; i < count; ++i, at += 4) side[i] = GetU32(value.data() + at);
  }
  if (at != value.size()) return Corrupt(kKind, "trailing bytes");
  return Status::Ok();
}

Status DecodeReview(std::string_view key, std::string_view value, ReviewRecord* record) {
  constexpr std::string_view kKind = "review";
  CDP_RETURN_IF_ERROR(CheckKey(kKind, key, kReviewKeyPrefix, kReviewKeySize));
  CDP_RETURN_IF_ERROR(CheckVersion(kKind, value));
  if (value.size() < kReviewValueFixedSize) return Corrupt(kKind, "truncated value");
  const char* p = value.data();
  const auto state = static_cast<std::uint8_t>(p[1]);
  if (!ValidReviewState(state)) return Corrupt(kKind, "unknown state");
  const std::size_t length = GetU16(p + 58);
  if (length > value.size() - kReviewValueFixedSize) {
    return Corrupt(kKind, "messageId length beyond the value");
  }
  CDP_RETURN_IF_ERROR(
      ParseEvidence(kKind, value.substr(kReviewValueFixedSize + length), &record->evidence));
  record->id = GetU32(key.data() + 1);
  record->state = static_cast<ReviewState>(state);
  record->record_node = GetU32(p + 2);
  record->candidate_node = GetU32(p + 6);
  record->left_profile = GetU64(p + 10);
  record->right_profile = GetU64(p + 18);
  record->created_at = GetTime(p + 26);
  record->decided_at = GetTime(p + 34);
  record->sequence = GetU64(p + 42);
  record->decided_after_sequence = GetU64(p + 50);
  record->message_id.assign(value.substr(kReviewValueFixedSize, length));
  return Status::Ok();
}

Status SetEdgeValueState(EdgeState state, std::string* value) {
  if (!ValidEdgeState(static_cast<std::uint8_t>(state))) {
    return Unencodable("edge", "unknown state");
  }
  EdgeValueView view;
  CDP_RETURN_IF_ERROR(ParseEdgeValue(*value, &view, nullptr));
  (*value)[1] = static_cast<char>(state);
  return Status::Ok();
}

}  // namespace cdp::storage
