#include "cdp/matcher.h"

#include <absl/container/flat_hash_map.h>
#include <xxhash.h>

#include <algorithm>
#include <array>
#include <map>
#include <string>

namespace cdp {
namespace {

// Blocking key kinds (the first byte hashed with the key text), in kind index order.
enum BlockKind : char {
  kBlockSurnameYear = 's',   // phonetic surname (either of the two) + birth year
  kBlockPostalGiven = 'p',   // postal code (or city) + the first two letters of the given name
  kBlockPhone = 't',         // phone
  kBlockEmail = 'e',         // email
  kBlockGivenBirth = 'g',    // phonetic given name + full birth date
  kBlockDocument = 'd',      // document number
  kBlockBirthPlace = 'b',    // full birth date + postal code (or city): catches name errors
  kBlockGivenSurname = 'n',  // phonetic given name + phonetic first surname, without a birth date
};
constexpr std::array<BlockKind, kBlockingKeyKinds> kBlockKinds = {
    kBlockSurnameYear, kBlockPostalGiven, kBlockPhone,      kBlockEmail,
    kBlockGivenBirth,  kBlockDocument,    kBlockBirthPlace, kBlockGivenSurname};

constexpr std::uint16_t Bit(MatchField f) { return static_cast<std::uint16_t>(1u << f); }

std::uint64_t KeyHash(BlockKind kind, std::string_view a, std::string_view b = {}) {
  // Keys are short; a longer one is cut (its hash still tells most keys apart).
  std::array<char, 128> key;
  std::size_t n = 0;
  key[n++] = kind;
  const auto append = [&](std::string_view part) {
    const std::size_t take = std::min(part.size(), key.size() - n);
    std::copy_n(part.data(), take, key.data() + n);
    n += take;
  };
  append(a);
  if (n < key.size()) key[n++] = '\x1f';
  append(b);
  return XXH3_64bits(key.data(), n);
}

// "1980" for a year, "19800517" for a YYYYMMDD number: the decimal digits of `value`.
std::string_view Digits(std::uint32_t value, std::array<char, 12>& buffer) {
  std::size_t i = buffer.size();
  do {
    buffer[--i] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0 && i > 0);
  return std::string_view(buffer.data() + i, buffer.size() - i);
}

struct Block {
  std::vector<std::uint32_t> nodes;
  bool oversized = false;
};

struct Scored {
  double score = 0;
  std::uint32_t profile_node = 0;
  std::uint32_t best_node = 0;
  MatchEvidence evidence;
};

// Name frequencies are used once the matcher holds this many records; with fewer, every name
// looks common and the adjustment would only add noise.
constexpr std::size_t kMinRecordsForFrequencies = 1000;

// Most members walked to find a profile's records (profiles hold few; a pathological one
// with thousands of anonymous ids must not make every look-up slow).
constexpr std::size_t kMaxProfileWalk = 4096;

}  // namespace

std::uint16_t BlockingKeyFields(std::uint8_t kind) {
  if (kind >= kBlockingKeyKinds) return 0;
  switch (kBlockKinds[kind]) {
    case kBlockSurnameYear: return Bit(kFieldSurnames) | Bit(kFieldBirth);
    case kBlockPostalGiven: return Bit(kFieldLocality) | Bit(kFieldGiven);
    case kBlockPhone: return Bit(kFieldPhone);
    case kBlockEmail: return Bit(kFieldEmail);
    case kBlockGivenBirth: return Bit(kFieldGiven) | Bit(kFieldBirth);
    case kBlockDocument: return Bit(kFieldDocument);
    case kBlockBirthPlace: return Bit(kFieldBirth) | Bit(kFieldLocality);
    case kBlockGivenSurname: return Bit(kFieldGiven) | Bit(kFieldSurnames);
  }
  return 0;
}

std::size_t BlockingKeys(const PreparedRecord& r, std::span<std::uint64_t, 8> out,
                         std::array<std::uint8_t, 8>* kinds) {
  std::size_t n = 0;
  const auto add = [&](std::uint8_t kind, std::string_view a, std::string_view b) {
    if (n == out.size()) return;
    if (kinds != nullptr) (*kinds)[n] = kind;
    out[n++] = KeyHash(kBlockKinds[kind], a, b);
  };
  const PersonRecord& p = r.person;
  std::array<char, 12> year_buffer;
  std::array<char, 12> birth_buffer;
  const std::string_view year =
      p.birth.empty() ? std::string_view() : Digits(p.birth.year, year_buffer);
  const std::string_view birth =
      r.birth_number == 0 ? std::string_view() : Digits(r.birth_number, birth_buffer);
  if (!year.empty()) {
    if (!r.surname1_key.empty()) add(0, r.surname1_key, year);
    if (!r.surname2_key.empty() && r.surname2_key != r.surname1_key) add(0, r.surname2_key, year);
  }
  const std::string_view place =
      !p.postal_code.empty() ? std::string_view(p.postal_code) : std::string_view(p.city);
  if (!place.empty() && r.given_first.size() >= 2) {
    add(1, place, std::string_view(r.given_first).substr(0, 2));
  }
  if (!p.phone.empty()) add(2, p.phone, {});
  if (!p.email.empty()) add(3, p.email, {});
  if (!r.given_key.empty() && !birth.empty()) add(4, r.given_key, birth);
  if (!p.document.empty()) add(5, p.document, {});
  if (!birth.empty() && !place.empty()) add(6, place, birth);
  if (birth.empty() && !r.given_key.empty() && !r.surname1_key.empty()) {
    add(7, r.given_key, r.surname1_key);
  }
  return n;
}

Status MatcherOptions::Validate() const {
  if (!(link_threshold >= -64 && link_threshold <= 256)) {
    return InvalidArgumentError("link_threshold: must lie in [-64, 256]");
  }
  if (!(review_threshold >= -64 && review_threshold <= link_threshold)) {
    return InvalidArgumentError("review_threshold: must lie in [-64, link_threshold]");
  }
  if (max_block_size < 2 || max_block_size > 100'000) {
    return InvalidArgumentError("max_block_size: must lie in [2, 100000]");
  }
  if (max_candidates < 1 || max_candidates > 1000) {
    return InvalidArgumentError("max_candidates: must lie in [1, 1000]");
  }
  if (max_cluster_records < 1 || max_cluster_records > 256) {
    return InvalidArgumentError("max_cluster_records: must lie in [1, 256]");
  }
  if (!(contradiction_threshold >= -256 && contradiction_threshold <= 0)) {
    return InvalidArgumentError("contradiction_threshold: must lie in [-256, 0]");
  }
  if (min_corroborating_fields > kMatchFieldCount) {
    return InvalidArgumentError("min_corroborating_fields: must lie in [0, 9]");
  }
  if (max_reviews_per_record > 16) {
    return InvalidArgumentError("max_reviews_per_record: must lie in [0, 16]");
  }
  return Status::Ok();
}

struct Matcher::Rep final : NameFrequencies {
  MatcherOptions options;
  MatchModel model;

  std::vector<PreparedRecord> records;
  absl::flat_hash_map<std::uint32_t, std::uint32_t> record_of_node;  // node -> records index
  absl::flat_hash_map<std::uint64_t, Block> blocks;
  absl::flat_hash_map<std::uint64_t, std::uint32_t> given_counts;
  absl::flat_hash_map<std::uint64_t, std::uint32_t> surnames_counts;

  std::map<std::uint32_t, ReviewRecord> reviews;  // by id: every item, decided ones too
  std::uint32_t next_review = 1;
  std::vector<std::uint32_t> dirty_reviews;
  std::vector<std::uint32_t> unassigned_reviews;  // proposed by the event being applied

  MatcherStats stats;

  // The record ResolveRecord is scoring (not indexed yet), or null.
  std::uint32_t resolving_node = 0;
  const PreparedRecord* resolving = nullptr;

  // Scratch of ResolveRecord.
  std::vector<const PreparedRecord*> own;     // the record and its profile's records
  std::vector<std::uint32_t> candidate_keys;  // ProfileKey of each candidate profile
  Scored candidate;
  std::vector<std::uint8_t> hits;      // by node: blocking keys shared with the new record
  std::vector<std::uint32_t> touched;  // the nodes with hits
  std::vector<std::pair<std::uint32_t, std::uint32_t>> ranked;  // (hits, node)

  Rep(const MatcherOptions& o, const MatchModel& m) : options(o), model(m) {}

  double GivenFrequency(std::uint64_t hash) const override { return Frequency(given_counts, hash); }
  double SurnamesFrequency(std::uint64_t hash) const override {
    return Frequency(surnames_counts, hash);
  }
  double Frequency(const absl::flat_hash_map<std::uint64_t, std::uint32_t>& counts,
                   std::uint64_t hash) const {
    if (hash == 0 || records.size() < kMinRecordsForFrequencies) return 0;
    auto it = counts.find(hash);
    const double count = it == counts.end() ? 1.0 : it->second;
    return count / static_cast<double>(records.size());
  }

  // Stores a record and indexes it under its blocking keys.
  void Add(std::uint32_t node, PreparedRecord record) {
    std::array<std::uint64_t, 8> keys{};
    const std::size_t n = BlockingKeys(record, keys);
    for (std::size_t i = 0; i < n; ++i) {
      auto [it, inserted] = blocks.try_emplace(keys[i]);
      if (inserted) ++stats.blocks;
      Block& block = it->second;
      if (block.oversized) continue;
      if (block.nodes.size() >= options.max_block_size) {
        block.oversized = true;
        block.nodes = {};
        ++stats.oversized_blocks;
        continue;
      }
      block.nodes.push_back(node);
    }
    if (record.given_hash != 0) ++given_counts[record.given_hash];
    if (record.surnames_hash != 0) ++surnames_counts[record.surnames_hash];
    record_of_node[node] = static_cast<std::uint32_t>(records.size());
    records.push_back(std::move(record));
    ++stats.records;
  }

  const PreparedRecord* Find(std::uint32_t node) const {
    auto it = record_of_node.find(node);
    return it == record_of_node.end() ? nullptr : &records[it->second];
  }

  void Propose(std::uint32_t node, const Scored& s, const Event& event, std::uint64_t sequence) {
    ReviewRecord item;
    item.id = next_review++;
    item.record_node = node;
    item.candidate_node = s.best_node;
    // The profile ids once the event's new identifiers have theirs (RecordsResolved).
    unassigned_reviews.push_back(item.id);
    item.evidence = s.evidence;
    item.created_at = event.timestamp;
    item.message_id = event.message_id;
    item.sequence = sequence;
    reviews.emplace(item.id, std::move(item));
    dirty_reviews.push_back(next_review - 1);
    ++stats.reviews_pending;
    ++stats.reviews_created;
  }
};

Matcher::Matcher(const MatcherOptions& options, const MatchModel& model)
    : rep_(std::make_unique<Rep>(options, model)) {}

Matcher::~Matcher() = default;

const MatcherOptions& Matcher::options() const { return rep_->options; }
const MatchModel& Matcher::model() const { return rep_->model; }

Status Matcher::LoadFromGraph(const IdentityGraph& graph) {
  Rep& r = *rep_;
  const std::size_t n = graph.NodeCount();
  for (std::size_t i = 0; i < n; ++i) {
    const auto node = static_cast<std::uint32_t>(i);
    if (graph.NodeType(node) != kPersonRecord) continue;
    Result<PersonRecord> person = DecodePersonRecord(graph.NodeValue(node));
    if (!person.ok()) return person.status();
    r.Add(node, PrepareRecord(*person));
  }
  return Status::Ok();
}

void Matcher::LoadReview(const ReviewRecord& record) {
  Rep& r = *rep_;
  auto [it, inserted] = r.reviews.try_emplace(record.id, record);
  if (!inserted) {
    if (it->second.state == ReviewState::kPending) --r.stats.reviews_pending;
    it->second = record;
  }
  if (record.state == ReviewState::kPending) ++r.stats.reviews_pending;
  r.next_review = std::max(r.next_review, record.id + 1);
}

double Matcher::ScoreAgainstProfile(const IdentityGraph& graph, const PreparedRecord& record,
                                    std::uint32_t profile_node, std::uint32_t* best_node,
                                    MatchEvidence* best, std::size_t* pairs) const {
  const PreparedRecord* own[] = {&record};
  return ScoreProfiles(graph, own, profile_node, best_node, best, pairs);
}

double Matcher::ScoreProfiles(const IdentityGraph& graph,
                              std::span<const PreparedRecord* const> own,
                              std::uint32_t profile_node, std::uint32_t* best_node,
                              MatchEvidence* best, std::size_t* pairs) const {
  const Rep& r = *rep_;
  std::array<std::uint32_t, 256> members;
  const std::size_t count = graph.ProfileNodesOfType(
      profile_node, kPersonRecord,
      std::span<std::uint32_t>(members.data(), r.options.max_cluster_records), kMaxProfileWalk);
  // Cluster-to-cluster: each field at its best level over the pairs of records, so that a
  // field one record disagrees on counts as agreeing when another (the same person's) agrees,
  // and a field both profiles have but never agree on counts against.
  ComparisonVector cluster;
  cluster.level.fill(kLevelMissing);
  std::array<double, kMatchFieldCount> field_best;
  field_best.fill(-1e300);
  std::size_t scored = 0;
  double top_pair = -1e300;
  for (std::size_t i = 0; i < count; ++i) {
    const PreparedRecord* other = r.Find(members[i]);
    if (other == nullptr) continue;
    for (const PreparedRecord* mine : own) {
      const ComparisonVector v = CompareRecords(*mine, *other);
      ++scored;
      double pair = 0;
      for (std::uint8_t f = 0; f < kMatchFieldCount; ++f) {
        if (v.level[f] == kLevelMissing) continue;
        const double w = r.model.LevelWeight(f, v.level[f]);
        pair += w;
        if (w > field_best[f]) {
          field_best[f] = w;
          cluster.level[f] = v.level[f];
        }
      }
      if (pair > top_pair) {
        top_pair = pair;
        if (best_node != nullptr) *best_node = members[i];
      }
    }
  }
  if (pairs != nullptr) *pairs += scored;
  if (scored == 0) return -1e300;
  // Names are weighed by how common the new record's are (the first of `own`).
  const double total = ScoreComparison(r.model, cluster, *own.front(), &r, best);
  if (best != nullptr)
    best->best_pair_weight = static_cast<float>(top_pair + r.model.PriorWeight());
  return total;
}

void Matcher::ResolveRecord(IdentityGraph& graph, std::uint32_t node, const Event& event,
                            std::uint64_t sequence) {
  Rep& r = *rep_;
  if (r.record_of_node.contains(node)) return;
  PreparedRecord record = PrepareRecord(*event.person);
  if (!r.options.enabled) {
    r.Add(node, std::move(record));
    return;
  }
  ++r.stats.resolved;

  // Candidates: the records sharing a blocking key, most shared keys first.
  std::array<std::uint64_t, 8> keys{};
  const std::size_t key_count = BlockingKeys(record, keys);
  // Shared keys counted in an array indexed by node (ids are dense): no hashing, no
  // allocation once it has grown.
  if (r.hits.size() < graph.NodeCount()) r.hits.resize(graph.NodeCount() + graph.NodeCount() / 4);
  r.touched.clear();
  for (std::size_t i = 0; i < key_count; ++i) {
    auto it = r.blocks.find(keys[i]);
    if (it == r.blocks.end() || it->second.oversized) continue;
    for (std::uint32_t other : it->second.nodes) {
      if (r.hits[other]++ == 0) r.touched.push_back(other);
    }
  }
  r.ranked.clear();
  for (std::uint32_t other : r.touched) {
    r.ranked.emplace_back(r.hits[other], other);
    r.hits[other] = 0;
  }
  std::sort(r.ranked.begin(), r.ranked.end(), [](const auto& x, const auto& y) {
    return x.first != y.first ? x.first > y.first : x.second < y.second;
  });

  // The record's own profile (the event's identifiers linked it before it is resolved): its
  // other records take part, so that an office visit joining a profile by its national id
  // brings that profile's phone to the comparison with a phone call's profile.
  std::array<std::uint32_t, 256> own_nodes;
  const std::size_t own_count = graph.ProfileNodesOfType(
      node, kPersonRecord,
      std::span<std::uint32_t>(own_nodes.data(), r.options.max_cluster_records), kMaxProfileWalk);
  std::vector<const PreparedRecord*>& own = r.own;
  own.assign(1, &record);
  for (std::size_t i = 0; i < own_count; ++i) {
    if (const PreparedRecord* other = r.Find(own_nodes[i])) own.push_back(other);
  }

  // The graph asks RecordsCompatible about this record before it is indexed.
  r.resolving_node = node;
  r.resolving = &record;

  // One representative per candidate profile, scored cluster-to-cluster.
  const std::uint32_t own_key = graph.ProfileKey(node);
  std::vector<std::uint32_t>& profiles = r.candidate_keys;
  profiles.clear();
  std::vector<Scored> scored;
  Scored& c = r.candidate;
  for (const auto& [h, other] : r.ranked) {
    if (profiles.size() >= r.options.max_candidates) break;
    const std::uint32_t key = graph.ProfileKey(other);
    if (key == own_key || std::find(profiles.begin(), profiles.end(), key) != profiles.end()) {
      continue;
    }
    profiles.push_back(key);
    // A strong identifier that disagrees, or a cannot-link: never linked, whatever the score.
    // The identifiers are checked before scoring (cheap, and most candidates fail it when
    // records carry national ids); whether the records may be one person (it compares the
    // records of both profiles) only for the candidates that score.
    if (!graph.CanLinkByIdentifiers(node, other)) {
      ++r.stats.refused;
      continue;
    }
    // The scratch candidate keeps its evidence's capacity: no allocation for the many that
    // score low.
    c.profile_node = other;
    c.score = ScoreProfiles(graph, own, other, &c.best_node, &c.evidence, &r.stats.pairs_scored);
    if (c.score < r.options.review_threshold) continue;
    if (!graph.CanLink(node, other)) {
      ++r.stats.refused;
      continue;
    }
    scored.push_back(c);
  }
  r.resolving = nullptr;
  r.Add(node, std::move(record));
  if (scored.empty()) return;
  std::sort(scored.begin(), scored.end(), [](const Scored& x, const Scored& y) {
    return x.score != y.score ? x.score > y.score : x.profile_node < y.profile_node;
  });

  // Every profile that qualifies is linked, best first (two profiles of one person that the
  // record matches both are joined through it); one that scores but does not qualify (a
  // sibling sharing surnames, address and phone whose given name disagrees) goes to review
  // and does not stop the others.
  std::size_t proposed = 0;
  for (const Scored& s : scored) {
    if (graph.SameProfile(node, s.profile_node)) continue;
    // A link needs corroboration beyond the names and (with given_must_agree and
    // birth_must_agree) given names and a birth date that do not disagree outright;
    // otherwise it goes to review.
    std::size_t corroborating = 0;
    bool given_disagrees = false;
    bool birth_disagrees = false;
    for (const FieldContribution& f : s.evidence.fields) {
      if (f.field != kFieldGiven && f.field != kFieldSurnames && f.field != kFieldGender &&
          f.weight > 0) {
        ++corroborating;
      }
      if (f.field == kFieldGiven && f.level + 1 == kMatchFieldLevels[kFieldGiven]) {
        given_disagrees = true;
      }
      if (f.field == kFieldBirth && f.level + 1 == kMatchFieldLevels[kFieldBirth]) {
        birth_disagrees = true;
      }
    }
    if (s.score >= r.options.link_threshold && (!given_disagrees || !r.options.given_must_agree) &&
        (!birth_disagrees || !r.options.birth_must_agree) &&
        corroborating >= r.options.min_corroborating_fields) {
      if (graph.LinkNodes(node, s.best_node, LinkRule::kProbabilistic, event.timestamp,
                          event.message_id, sequence, &s.evidence)) {
        ++r.stats.links;
      } else {
        ++r.stats.refused;
      }
      continue;
    }
    if (proposed >= r.options.max_reviews_per_record) continue;
    if (!graph.CanLink(node, s.profile_node)) continue;
    r.Propose(node, s, event, sequence);
    ++proposed;
  }
}

bool Matcher::RecordsCompatible(const IdentityGraph& graph, std::span<const std::uint32_t> a,
                                std::span<const std::uint32_t> b) const {
  const Rep& r = *rep_;
  // Records of the event being applied are not indexed yet: decoded from the node.
  std::vector<PreparedRecord> decoded;
  decoded.reserve(a.size() + b.size());
  const auto get = [&](std::uint32_t node) -> const PreparedRecord* {
    if (const PreparedRecord* known = r.Find(node)) return known;
    if (r.resolving != nullptr && node == r.resolving_node) return r.resolving;
    Result<PersonRecord> person = DecodePersonRecord(graph.NodeValue(node));
    if (!person.ok()) return nullptr;
    decoded.push_back(PrepareRecord(*person));
    return &decoded.back();
  };
  std::vector<const PreparedRecord*> left;
  std::vector<const PreparedRecord*> right;
  for (std::uint32_t n : a) {
    if (const PreparedRecord* p = get(n)) left.push_back(p);
  }
  for (std::uint32_t n : b) {
    if (const PreparedRecord* p = get(n)) right.push_back(p);
  }
  constexpr std::uint8_t kIdentityFields[] = {kFieldGiven, kFieldSurnames, kFieldBirth,
                                              kFieldDocument, kFieldGender};
  for (const PreparedRecord* x : left) {
    for (const PreparedRecord* y : right) {
      const ComparisonVector v = CompareRecords(*x, *y);
      double w = 0;
      for (std::uint8_t f : kIdentityFields) w += r.model.LevelWeight(f, v.level[f]);
      if (w >= r.options.contradiction_threshold) return true;
    }
  }
  return left.empty() || right.empty();
}

void Matcher::RecordsResolved(const IdentityGraph& graph) {
  Rep& r = *rep_;
  for (std::uint32_t id : r.unassigned_reviews) {
    ReviewRecord& item = r.reviews.at(id);
    item.left_profile = graph.NodeProfile(item.record_node);
    item.right_profile = graph.NodeProfile(item.candidate_node);
  }
  r.unassigned_reviews.clear();
}

std::vector<ReviewItem> Matcher::PendingReviews(const IdentityGraph& graph, std::uint32_t after,
                                                std::size_t limit) const {
  const Rep& r = *rep_;
  std::vector<ReviewItem> out;
  for (auto it = r.reviews.upper_bound(after); it != r.reviews.end() && out.size() < limit; ++it) {
    if (it->second.state != ReviewState::kPending) continue;
    ReviewItem item;
    item.record = it->second;
    item.left_profile = graph.NodeProfile(it->second.record_node);
    item.right_profile = graph.NodeProfile(it->second.candidate_node);
    out.push_back(std::move(item));
  }
  return out;
}

Result<ReviewOutcome> Matcher::Decide(IdentityGraph& graph, std::uint32_t id,
                                      ReviewDecision decision, Timestamp at,
                                      std::uint64_t after_sequence) {
  Rep& r = *rep_;
  auto it = r.reviews.find(id);
  if (it == r.reviews.end()) return NotFoundError("unknown review item");
  ReviewRecord& item = it->second;
  if (item.state != ReviewState::kPending) {
    return ConflictError("review item already decided: " +
                         std::string(ReviewStateName(item.state)));
  }
  ReviewOutcome outcome;
  outcome.decision = decision;
  const std::uint32_t a = item.record_node;
  const std::uint32_t b = item.candidate_node;
  if (decision == ReviewDecision::kMatch) {
    if (!graph.CanLink(a, b)) {
      return ConflictError(
          "the two profiles cannot be linked: an identifier limit or a cannot-link forbids it");
    }
    const std::string evidence_message = "review:" + std::to_string(id);
    if (!graph.LinkNodes(a, b, LinkRule::kReview, at, evidence_message, after_sequence,
                         &item.evidence)) {
      return ConflictError("the two profiles cannot be linked");
    }
    item.state = ReviewState::kMatch;
    outcome.profile = graph.NodeProfile(a);
  } else {
    if (!graph.SameProfile(a, b)) {
      const std::uint32_t left[] = {a};
      const std::uint32_t right[] = {b};
      CDP_RETURN_IF_ERROR(graph.AddCannotLink(left, right, at, after_sequence));
    }
    item.state = ReviewState::kNoMatch;
  }
  item.decided_at = at;
  item.decided_after_sequence = after_sequence;
  r.dirty_reviews.push_back(id);
  --r.stats.reviews_pending;
  return outcome;
}

void Matcher::TakeDelta(GraphDelta* delta) {
  Rep& r = *rep_;
  std::sort(r.dirty_reviews.begin(), r.dirty_reviews.end());
  r.dirty_reviews.erase(std::unique(r.dirty_reviews.begin(), r.dirty_reviews.end()),
                        r.dirty_reviews.end());
  for (std::uint32_t id : r.dirty_reviews) {
    delta->reviews.push_back(r.reviews.at(id));
  }
  r.dirty_reviews.clear();
}

void Matcher::DiscardDelta() { rep_->dirty_reviews.clear(); }

MatcherStats Matcher::Stats() const { return rep_->stats; }

}  // namespace cdp
