#include "cdp/identity_graph.h"

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>
#include <xxhash.h>

#include <algorithm>
#include <array>
#include <limits>
#include <thread>
#include <tuple>
#include <utility>

namespace cdp {
namespace {

constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();
// Types with a per-profile limit get a counter slot in each cluster; more are refused by
// IdentityConfig::Validate.
constexpr std::size_t kMaxLimitedTypes = 8;
constexpr std::uint8_t kNoSlot = 0xff;

// A root's parent field holds this bit and its cluster index; node ids stay below it.
constexpr std::uint32_t kRootBit = 0x8000'0000u;
constexpr std::uint32_t kMaxNodes = kRootBit - 1;

// How far an event must be past an identifier's last_seen to move it (seconds).
constexpr std::uint32_t kLastSeenStep = 3600;

// Node flags.
constexpr std::uint8_t kNodeDirty = 1;
constexpr std::uint8_t kNodeHasTags = 2;

// Cluster flags.
constexpr std::uint8_t kClusterConflicted = 1;  // a node of it has a refused edge
constexpr std::uint8_t kClusterHasTags = 2;     // cannot-link tags (cluster_tags)
constexpr std::uint8_t kClusterFree = 4;
constexpr std::uint8_t kClusterHasRecords = 8;  // holds a person record node

// Most person records of each side the resolver compares before a union.
constexpr std::size_t kMaxCompatibilityRecords = 16;

// Profile slots: a cluster index, or a redirect to the profile that absorbed it.
constexpr std::uint32_t kRedirect = 0x8000'0000u;
// Profile slots while loading: not yet seen, and active with its cluster still to be built.
constexpr std::uint32_t kLoadMissing = 0x7fff'ffffu;
constexpr std::uint32_t kLoadActive = 0x7fff'fffeu;

// Edge order keys: 42 bits of milliseconds since the epoch, 20 bits of messageId hash, and the
// state in the top two bits.
constexpr std::uint64_t kOrderMask = (std::uint64_t{1} << 62) - 1;
constexpr int kStateShift = 62;
constexpr std::int64_t kMaxOrderMillis = (std::int64_t{1} << 42) - 1;

std::uint32_t Seconds(Timestamp t) {
  const std::int64_t s =
      std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
  if (s < 0) return 0;
  if (s > std::numeric_limits<std::uint32_t>::max())
    return std::numeric_limits<std::uint32_t>::max();
  return static_cast<std::uint32_t>(s);
}

std::uint64_t OrderKey(Timestamp t, std::string_view message_id) {
  std::int64_t ms = t.time_since_epoch().count();
  ms = std::clamp<std::int64_t>(ms, 0, kMaxOrderMillis);
  const std::uint64_t h = XXH3_64bits(message_id.data(), message_id.size());
  return (static_cast<std::uint64_t>(ms) << 20) | (h & 0xFFFFF);
}

struct Node {
  std::uint32_t value_off = 0;
  std::uint16_t value_len = 0;
  IdentifierType type = 0;
  std::uint8_t flags = 0;
  // Union-find parent; a root holds kRootBit | its cluster index instead.
  std::uint32_t parent = 0;
  std::uint32_t next = 0;  // circular list of the cluster's members
  std::uint32_t first_edge = kNone;
  std::uint32_t first_seen = 0;
  std::uint32_t last_seen = 0;

  bool is_root() const { return (parent & kRootBit) != 0; }
  std::uint32_t cluster() const { return parent & ~kRootBit; }  // REQUIRES: is_root()
  void set_root(std::uint32_t cluster_index) { parent = kRootBit | cluster_index; }
};
static_assert(sizeof(Node) == 28);

struct Edge {
  std::uint32_t a = 0;  // a < b
  std::uint32_t b = 0;
  std::uint32_t next_a = kNone;  // next edge of a
  std::uint32_t next_b = kNone;  // next edge of b
  std::uint64_t order = 0;       // state << 62 | order key

  EdgeState state() const { return static_cast<EdgeState>(order >> kStateShift); }
  std::uint64_t key() const { return order & kOrderMask; }
  void set_state(EdgeState s) { order = key() | (static_cast<std::uint64_t>(s) << kStateShift); }
  std::uint32_t next_of(std::uint32_t node) const { return node == a ? next_a : next_b; }
};
static_assert(sizeof(Edge) == 24);

struct Cluster {
  std::uint32_t profile = 0;
  std::uint32_t size = 0;
  std::uint32_t root = 0;
  std::uint8_t flags = 0;
  std::array<std::uint8_t, kMaxLimitedTypes> counts{};
};

struct PendingEvidence {
  LinkRule rule = LinkRule::kCoOccurrence;
  Timestamp time;
  std::string message_id;
  std::uint64_t sequence = 0;
  std::optional<MatchEvidence> match;
};

// A (type, value) look-up key for the node index.
struct IdentKey {
  IdentifierType type;
  std::string_view value;
};

}  // namespace

std::string_view LinkRuleName(LinkRule rule) {
  switch (rule) {
    case LinkRule::kCoOccurrence: return "co_occurrence";
    case LinkRule::kAlias: return "alias";
    case LinkRule::kProbabilistic: return "probabilistic";
    case LinkRule::kReview: return "review";
  }
  return "unknown";
}

std::string_view ReviewStateName(ReviewState state) {
  switch (state) {
    case ReviewState::kPending: return "pending";
    case ReviewState::kMatch: return "match";
    case ReviewState::kNoMatch: return "no_match";
  }
  return "unknown";
}

std::string_view ChangeTypeName(ChangeType type) {
  switch (type) {
    case ChangeType::kUpsert: return "upsert";
    case ChangeType::kMerge: return "merge";
    case ChangeType::kSplit: return "split";
    case ChangeType::kDelete: return "delete";
  }
  return "unknown";
}

std::string_view EdgeStateName(EdgeState state) {
  switch (state) {
    case EdgeState::kLinked: return "linked";
    case EdgeState::kRefused: return "refused";
    case EdgeState::kRemoved: return "removed";
  }
  return "unknown";
}

std::uint64_t IdentityGraph::HashIdentifier(IdentifierType type, std::string_view value) {
  std::array<char, kMaxIdentifierValueLength + 1> buffer;
  if (value.size() >= buffer.size()) {
    std::string joined(1, static_cast<char>(type));
    joined.append(value);
    return XXH3_64bits(joined.data(), joined.size());
  }
  buffer[0] = static_cast<char>(type);
  std::copy(value.begin(), value.end(), buffer.begin() + 1);
  return XXH3_64bits(buffer.data(), value.size() + 1);
}

struct IdentityGraph::Rep {
  IdentityGraph* self = nullptr;
  RecordResolver* resolver = nullptr;
  IdentityConfig config;
  IdentityGraphOptions options;
  std::array<std::uint8_t, kMaxIdentifierTypes> slot_of_type{};
  std::array<std::uint32_t, kMaxLimitedTypes> slot_limit{};
  std::size_t limited_slots = 0;

  std::vector<Node> nodes;
  std::vector<char> arena;
  std::vector<Edge> edges;
  std::vector<Cluster> clusters;
  std::vector<std::uint32_t> free_clusters;
  std::vector<std::uint32_t> profile_slot{0};  // by profile id; id 0 is never issued
  std::vector<std::uint32_t> profile_created{0};
  absl::flat_hash_map<std::uint32_t, std::vector<std::uint32_t>> merged_lists;
  absl::flat_hash_map<std::uint32_t, std::vector<std::uint32_t>> node_tags;
  absl::flat_hash_map<std::uint32_t, std::vector<std::uint32_t>> cluster_tags;
  std::uint32_t next_cannot_link = 1;
  std::vector<std::uint32_t> new_nodes;  // created by the event being applied

  struct NodeHash {
    using is_transparent = void;
    const Rep* rep;
    std::size_t operator()(std::uint32_t node) const { return (*this)(rep->Key(node)); }
    // In memory only (the persisted hash is HashIdentifier): seeded by the type, no copy.
    std::size_t operator()(const IdentKey& k) const {
      return XXH3_64bits_withSeed(k.value.data(), k.value.size(), k.type);
    }
  };
  struct NodeEq {
    using is_transparent = void;
    const Rep* rep;
    bool operator()(std::uint32_t x, std::uint32_t y) const { return x == y; }
    bool operator()(std::uint32_t x, const IdentKey& k) const { return Same(rep->Key(x), k); }
    bool operator()(const IdentKey& k, std::uint32_t x) const { return Same(rep->Key(x), k); }
    static bool Same(const IdentKey& x, const IdentKey& y) {
      return x.type == y.type && x.value == y.value;
    }
  };
  absl::flat_hash_set<std::uint32_t, NodeHash, NodeEq> index{0, NodeHash{this}, NodeEq{this}};

  struct EdgeHash {
    using is_transparent = void;
    const Rep* rep;
    std::size_t operator()(std::uint32_t e) const {
      return (*this)(Pair(rep->edges[e].a, rep->edges[e].b));
    }
    std::size_t operator()(std::uint64_t pair) const { return XXH3_64bits(&pair, sizeof pair); }
  };
  struct EdgeEq {
    using is_transparent = void;
    const Rep* rep;
    bool operator()(std::uint32_t x, std::uint32_t y) const { return x == y; }
    bool operator()(std::uint32_t e, std::uint64_t pair) const {
      return Pair(rep->edges[e].a, rep->edges[e].b) == pair;
    }
    bool operator()(std::uint64_t pair, std::uint32_t e) const { return (*this)(e, pair); }
  };
  absl::flat_hash_set<std::uint32_t, EdgeHash, EdgeEq> edge_index{0, EdgeHash{this}, EdgeEq{this}};

  // Pending changes for TakeDelta.
  std::vector<std::uint32_t> dirty_nodes;
  absl::flat_hash_map<std::uint32_t, PendingEvidence> dirty_evidence;
  absl::flat_hash_set<std::uint32_t> dirty_edge_states;
  absl::flat_hash_set<std::uint32_t> dirty_profiles;
  std::vector<CannotLinkRecord> pending_cannot_links;
  // The change feed: entries in the order the changes happened, the cause they are stamped
  // with, and the profiles upserted since the last merge or split (consecutive upserts of one
  // profile are written once).
  std::vector<ChangeRecord> pending_changes;
  absl::flat_hash_set<std::uint32_t> upserted;
  Timestamp change_at;
  std::uint64_t change_sequence = 0;
  bool applying_event = false;
  // The event being applied: its linking identifiers' nodes and the anchor's index among them.
  std::vector<std::uint32_t> event_nodes;
  std::size_t event_anchor = 0;
  std::vector<EventAnchor> pending_anchors;
  std::vector<std::uint64_t> pending_reshaped;

  void NoteUpsert(std::uint32_t profile) {
    if (profile == 0 || !upserted.insert(profile).second) return;
    pending_changes.push_back(
        ChangeRecord{ChangeType::kUpsert, profile, 0, change_at, change_sequence});
  }
  void NoteMerge(std::uint32_t absorbed, std::uint32_t survivor) {
    pending_changes.push_back(
        ChangeRecord{ChangeType::kMerge, absorbed, survivor, change_at, change_sequence});
    upserted.clear();
  }
  void NoteSplit(std::uint32_t profile) {
    pending_changes.push_back(
        ChangeRecord{ChangeType::kSplit, profile, 0, change_at, change_sequence});
    upserted.clear();
    upserted.insert(profile);
  }

  // Loading.
  std::vector<std::uint32_t> load_profile;  // by node
  std::vector<std::uint8_t> load_seen;      // by node
  Status load_error;                        // from LoadEdge, LoadProfile and LoadCannotLink
  Status node_load_error;                   // from LoadNode (which may run concurrently with those)

  IdentityGraphStats stats;

  explicit Rep(const IdentityConfig& c, const IdentityGraphOptions& o) : config(c), options(o) {
    slot_of_type.fill(kNoSlot);
    for (std::size_t t = 0; t < config.types.size() && t < kMaxIdentifierTypes; ++t) {
      const IdentifierRule& rule = config.types[t];
      if (rule.max_per_profile == 0 || limited_slots == kMaxLimitedTypes) continue;
      slot_of_type[t] = static_cast<std::uint8_t>(limited_slots);
      slot_limit[limited_slots] = std::min<std::uint32_t>(rule.max_per_profile, 254);
      ++limited_slots;
    }
  }

  static std::uint64_t Pair(std::uint32_t a, std::uint32_t b) {
    if (a > b) std::swap(a, b);
    return (std::uint64_t{a} << 32) | b;
  }

  IdentKey Key(std::uint32_t node) const {
    const Node& n = nodes[node];
    return IdentKey{n.type, std::string_view(arena.data() + n.value_off, n.value_len)};
  }
  std::string_view Value(std::uint32_t node) const { return Key(node).value; }
  std::uint64_t NodeHashOf(std::uint32_t node) const {
    const IdentKey k = Key(node);
    return HashIdentifier(k.type, k.value);
  }

  // Union-find. The const version does not compress (readers run concurrently).
  std::uint32_t FindConst(std::uint32_t x) const {
    while (!nodes[x].is_root()) x = nodes[x].parent;
    return x;
  }
  std::uint32_t Find(std::uint32_t x) {
    while (!nodes[x].is_root()) {
      const std::uint32_t up = nodes[x].parent;
      if (!nodes[up].is_root()) nodes[x].parent = nodes[up].parent;  // path halving
      x = nodes[x].parent;
    }
    return x;
  }
  Cluster& ClusterOf(std::uint32_t root) { return clusters[nodes[root].cluster()]; }

  void MarkNode(std::uint32_t node) {
    if ((nodes[node].flags & kNodeDirty) == 0) {
      nodes[node].flags |= kNodeDirty;
      dirty_nodes.push_back(node);
    }
  }

  std::uint32_t NewCluster() {
    if (!free_clusters.empty()) {
      const std::uint32_t c = free_clusters.back();
      free_clusters.pop_back();
      clusters[c] = Cluster{};
      return c;
    }
    clusters.emplace_back();
    return static_cast<std::uint32_t>(clusters.size() - 1);
  }
  void FreeCluster(std::uint32_t c) {
    clusters[c].flags = kClusterFree;
    cluster_tags.erase(c);
    free_clusters.push_back(c);
  }

  std::uint32_t NewProfile(std::uint32_t cluster, std::uint32_t created) {
    const auto id = static_cast<std::uint32_t>(profile_slot.size());
    profile_slot.push_back(cluster);
    profile_created.push_back(created);
    dirty_profiles.insert(id);
    ++stats.profiles;
    return id;
  }

  void AddCount(Cluster& c, IdentifierType type) {
    const std::uint8_t slot = slot_of_type[type];
    if (slot != kNoSlot && c.counts[slot] < 255) ++c.counts[slot];
  }

  std::uint32_t CreateNode(IdentifierType type, std::string_view value, std::uint32_t seen) {
    const auto id = static_cast<std::uint32_t>(nodes.size());
    Node n;
    n.value_off = static_cast<std::uint32_t>(arena.size());
    n.value_len = static_cast<std::uint16_t>(value.size());
    n.type = type;
    n.next = id;
    n.first_seen = seen;
    n.last_seen = seen;
    arena.insert(arena.end(), value.begin(), value.end());
    nodes.push_back(n);
    const std::uint32_t c = NewCluster();
    Cluster& cl = clusters[c];
    cl.root = id;
    cl.size = 1;
    AddCount(cl, type);
    if (type == kPersonRecord) cl.flags |= kClusterHasRecords;
    nodes[id].set_root(c);
    // The profile id is given at the end of the event (AssignNewProfiles): identifiers first
    // seen together share one new profile instead of merging several.
    cl.profile = 0;
    new_nodes.push_back(id);
    index.insert(id);
    MarkNode(id);
    ++stats.nodes;
    return id;
  }

  std::uint32_t FindOrCreateNode(IdentifierType type, std::string_view value, std::uint32_t seen) {
    auto it = index.find(IdentKey{type, value});
    if (it == index.end()) {
      if (nodes.size() >= kMaxNodes) return kNone;
      return CreateNode(type, value, seen);
    }
    Node& n = nodes[*it];
    // last_seen moves in steps of kLastSeenStep: an identifier seen all day is rewritten
    // once an hour, not once per event.
    if (seen < n.first_seen || seen >= n.last_seen + std::uint64_t{kLastSeenStep}) {
      n.first_seen = std::min(n.first_seen, seen);
      if (seen >= n.last_seen + std::uint64_t{kLastSeenStep}) n.last_seen = seen;
      MarkNode(*it);
    }
    return *it;
  }

  std::uint32_t FindEdge(std::uint32_t a, std::uint32_t b) const {
    auto it = edge_index.find(Pair(a, b));
    return it == edge_index.end() ? kNone : *it;
  }

  std::uint32_t AddEdge(std::uint32_t a, std::uint32_t b, std::uint64_t key, EdgeState state) {
    if (a > b) std::swap(a, b);
    const auto e = static_cast<std::uint32_t>(edges.size());
    Edge edge;
    edge.a = a;
    edge.b = b;
    edge.order = key;
    edge.set_state(state);
    edge.next_a = nodes[a].first_edge;
    edge.next_b = nodes[b].first_edge;
    edges.push_back(edge);
    nodes[a].first_edge = e;
    nodes[b].first_edge = e;
    edge_index.insert(e);
    ++stats.edges;
    if (state == EdgeState::kRefused) ++stats.conflicts;
    return e;
  }

  bool TagsCompatible(const std::vector<std::uint32_t>& x,
                      const std::vector<std::uint32_t>& y) const {
    // Tags are id * 2 + side; sorted. Incompatible when one holds t and the other t ^ 1.
    for (std::uint32_t t : x) {
      if (std::binary_search(y.begin(), y.end(), t ^ 1u)) return false;
    }
    return true;
  }

  bool CanUnion(std::uint32_t ca, std::uint32_t cb, bool ask_resolver = true) const {
    const Cluster& a = clusters[ca];
    const Cluster& b = clusters[cb];
    for (std::size_t s = 0; s < limited_slots; ++s) {
      if (std::uint32_t{a.counts[s]} + b.counts[s] > slot_limit[s]) return false;
    }
    if ((a.flags & kClusterHasTags) && (b.flags & kClusterHasTags) &&
        !TagsCompatible(cluster_tags.at(ca), cluster_tags.at(cb))) {
      return false;
    }
    if (ask_resolver && resolver != nullptr && (a.flags & b.flags & kClusterHasRecords)) {
      return RecordsCompatible(ClusterRecords(a.root), ClusterRecords(b.root));
    }
    return true;
  }

  // Up to kMaxCompatibilityRecords person record nodes of the cluster holding `root`.
  std::vector<std::uint32_t> ClusterRecords(std::uint32_t root) const {
    std::vector<std::uint32_t> out;
    std::size_t walked = 0;
    for (std::uint32_t n = root; out.size() < kMaxCompatibilityRecords && walked < 4096; ++walked) {
      if (nodes[n].type == kPersonRecord) out.push_back(n);
      n = nodes[n].next;
      if (n == root) break;
    }
    return out;
  }
  bool RecordsCompatible(const std::vector<std::uint32_t>& a,
                         const std::vector<std::uint32_t>& b) const {
    return a.empty() || b.empty() || resolver->RecordsCompatible(*self, a, b);
  }

  static void MergeSorted(std::vector<std::uint32_t>& into,
                          const std::vector<std::uint32_t>& from) {
    std::vector<std::uint32_t> out;
    out.reserve(into.size() + from.size());
    std::set_union(into.begin(), into.end(), from.begin(), from.end(), std::back_inserter(out));
    into = std::move(out);
  }

  // Joins two clusters (fast path). The older profile id survives; the other redirects.
  void Union(std::uint32_t ra, std::uint32_t rb) {
    std::uint32_t ca = nodes[ra].cluster();
    std::uint32_t cb = nodes[rb].cluster();
    if (clusters[ca].size < clusters[cb].size) {
      std::swap(ra, rb);
      std::swap(ca, cb);
    }
    // ra is the larger root and keeps its cluster record.
    Cluster& big = clusters[ca];
    Cluster& small = clusters[cb];
    // Profile 0 is a cluster of new identifiers without an id yet: it merges silently.
    const std::uint32_t survivor = big.profile == 0     ? small.profile
                                   : small.profile == 0 ? big.profile
                                                        : std::min(big.profile, small.profile);
    const std::uint32_t absorbed = big.profile == survivor ? small.profile : big.profile;
    // Nodes whose profile changes are rewritten.
    const std::uint32_t renamed_root = big.profile == survivor ? rb : ra;
    for (std::uint32_t n = renamed_root;;) {
      MarkNode(n);
      n = nodes[n].next;
      if (n == renamed_root) break;
    }
    std::swap(nodes[ra].next, nodes[rb].next);
    big.size += small.size;
    for (std::size_t s = 0; s < limited_slots; ++s) {
      big.counts[s] = static_cast<std::uint8_t>(
          std::min<std::uint32_t>(255, std::uint32_t{big.counts[s]} + small.counts[s]));
    }
    big.flags |= small.flags & (kClusterConflicted | kClusterHasTags | kClusterHasRecords);
    if (small.flags & kClusterHasTags) {
      std::vector<std::uint32_t> from = std::move(cluster_tags[cb]);
      MergeSorted(cluster_tags[ca], from);
    }
    big.profile = survivor;
    if (survivor != 0) profile_slot[survivor] = ca;
    if (absorbed != 0) Redirect(absorbed, survivor);
    nodes[rb].parent = ra;
    FreeCluster(cb);
  }

  void Redirect(std::uint32_t absorbed, std::uint32_t survivor) {
    profile_slot[absorbed] = kRedirect | survivor;
    merged_lists[survivor].push_back(absorbed);
    dirty_profiles.insert(absorbed);
    dirty_profiles.insert(survivor);
    NoteMerge(absorbed, survivor);
    ++stats.merges;
    --stats.profiles;
  }

  // Joins the clusters of roots `ra` and `rb` (edge `e` between them) when the limits and
  // cannot-links allow it; otherwise refuses `e` and marks both clusters conflicted. Returns
  // whether they were joined. REQUIRES: ra != rb.
  bool UnionOrRefuse(std::uint32_t e, std::uint32_t ra, std::uint32_t rb) {
    if (CanUnion(nodes[ra].cluster(), nodes[rb].cluster())) {
      Union(ra, rb);
      return true;
    }
    SetEdgeState(e, EdgeState::kRefused);
    ClusterOf(ra).flags |= kClusterConflicted;
    ClusterOf(rb).flags |= kClusterConflicted;
    return false;
  }

  // Tags the nodes of both sides of a cannot-link, and their clusters.
  void TagCannotLink(const CannotLinkRecord& cl) {
    for (std::size_t s = 0; s < 2; ++s) {
      const std::uint32_t tag = cl.id * 2 + static_cast<std::uint32_t>(s);
      for (std::uint32_t node : cl.sides[s]) {
        auto& tags = node_tags[node];
        if (!std::binary_search(tags.begin(), tags.end(), tag)) {
          tags.insert(std::upper_bound(tags.begin(), tags.end(), tag), tag);
        }
        nodes[node].flags |= kNodeHasTags;
        const std::uint32_t c = nodes[Find(node)].cluster();
        auto& ctags = cluster_tags[c];
        if (!std::binary_search(ctags.begin(), ctags.end(), tag)) {
          ctags.insert(std::upper_bound(ctags.begin(), ctags.end(), tag), tag);
        }
        clusters[c].flags |= kClusterHasTags;
      }
    }
  }

  void SetEdgeState(std::uint32_t e, EdgeState s) {
    Edge& edge = edges[e];
    if (edge.state() == s) return;
    if (edge.state() == EdgeState::kRefused) --stats.conflicts;
    if (s == EdgeState::kRefused) ++stats.conflicts;
    edge.set_state(s);
    dirty_edge_states.insert(e);
  }

  // FinishLoad: the clusters from each node's stored profile. Nodes are grouped by profile
  // with a counting sort, so that the work is sequential rather than a chain of cache misses.
  Status BuildLoadedClusters() {
    const std::size_t n = nodes.size();
    const std::size_t profiles = profile_slot.size();
    std::vector<std::uint32_t> start(profiles + 1, 0);
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint32_t p = load_profile[i];
      if (p == 0 || p >= profiles || profile_slot[p] != kLoadActive) {
        return CorruptionError("identity graph: node of an unknown or merged profile");
      }
      ++start[p + 1];
    }
    for (std::size_t p = 1; p <= profiles; ++p) start[p] += start[p - 1];
    std::vector<std::uint32_t> order(n);
    {
      std::vector<std::uint32_t> fill(start.begin(), start.end() - 1);
      for (std::size_t i = 0; i < n; ++i)
        order[fill[load_profile[i]]++] = static_cast<std::uint32_t>(i);
    }
    clusters.reserve(profiles);
    for (std::size_t p = 1; p < profiles; ++p) {
      if (profile_slot[p] != kLoadActive) continue;
      const std::uint32_t begin = start[p];
      const std::uint32_t end = start[p + 1];
      if (begin == end)
        return CorruptionError("identity graph: active profile without identifiers");
      const std::uint32_t c = NewCluster();
      const std::uint32_t root = order[begin];
      Cluster& cl = clusters[c];
      cl.profile = static_cast<std::uint32_t>(p);
      cl.root = root;
      cl.size = end - begin;
      for (std::uint32_t k = begin; k < end; ++k) {
        const std::uint32_t id = order[k];
        Node& node = nodes[id];
        node.parent = root;
        node.next = k + 1 < end ? order[k + 1] : root;
        AddCount(cl, node.type);
        if (node.type == kPersonRecord) cl.flags |= kClusterHasRecords;
      }
      nodes[root].set_root(c);
      profile_slot[p] = c;
    }
    stats.nodes = n;
    stats.profiles = clusters.size();
    return Status::Ok();
  }

  // FinishLoad: adjacency lists, the edge index and the conflicted flags.
  Status LinkLoadedEdges() {
    const std::size_t n = nodes.size();
    edge_index.reserve(edges.size());
    for (std::size_t i = 0; i < edges.size(); ++i) {
      Edge& edge = edges[i];
      if (edge.b >= n) return CorruptionError("identity graph: edge to an unknown node");
      const auto e = static_cast<std::uint32_t>(i);
      edge.next_a = nodes[edge.a].first_edge;
      edge.next_b = nodes[edge.b].first_edge;
      nodes[edge.a].first_edge = e;
      nodes[edge.b].first_edge = e;
      if (!edge_index.insert(e).second) return CorruptionError("identity graph: duplicate edge");
      const std::uint32_t ra = Find(edge.a);
      const std::uint32_t rb = Find(edge.b);
      if (edge.state() == EdgeState::kRefused) {
        ++stats.conflicts;
        ClusterOf(ra).flags |= kClusterConflicted;
        ClusterOf(rb).flags |= kClusterConflicted;
      } else if (edge.state() == EdgeState::kLinked && ra != rb) {
        return CorruptionError("identity graph: linked edge across profiles");
      }
    }
    return Status::Ok();
  }

  void ApplyEvent(const Event& event, std::uint64_t sequence) {
    applying_event = true;
    change_at = event.received_at;
    change_sequence = sequence;
    event_nodes.clear();
    event_anchor = 0;
    ApplyEventLinks(event, sequence);
    bool resolved = false;
    if (resolver != nullptr && event.person.has_value()) {
      // new_nodes may grow while the resolver works: index, do not iterate.
      for (std::size_t i = 0; i < new_nodes.size(); ++i) {
        const std::uint32_t n = new_nodes[i];
        if (nodes[n].type != kPersonRecord) continue;
        resolver->ResolveRecord(*self, n, event, sequence);
        resolved = true;
      }
    }
    AssignNewProfiles(Seconds(event.timestamp));
    if (resolved) resolver->RecordsResolved(*self);
    // Every profile whose identifiers the event touched (more than one when a link was refused).
    for (std::uint32_t n : event_nodes) NoteUpsert(ClusterOf(Find(n)).profile);
    if (!event_nodes.empty()) pending_anchors.push_back({sequence, event_nodes[event_anchor]});
    applying_event = false;
  }
  // Joins the profiles of `a` and `b` through edge `e` as ApplyEventLinks does.
  void JoinThrough(std::uint32_t e, std::uint32_t a, std::uint32_t b, std::uint32_t now) {
    const std::uint32_t ra = Find(a);
    const std::uint32_t rb = Find(b);
    if (ra == rb) return;
    const bool conflicted = ((ClusterOf(ra).flags | ClusterOf(rb).flags) & kClusterConflicted) != 0;
    if (!conflicted) {
      if (!UnionOrRefuse(e, ra, rb)) Recompute({a, b}, 0, nullptr, now, nullptr);
      return;
    }
    if (!Recompute({a, b}, 0, nullptr, now, nullptr)) DecideInArrivalOrder({e});
  }
  void ApplyEventLinks(const Event& event, std::uint64_t sequence);
  // Gives a profile id to each cluster of new identifiers that has none, in node order.
  void AssignNewProfiles(std::uint32_t created) {
    for (std::uint32_t n : new_nodes) {
      const std::uint32_t c = nodes[Find(n)].cluster();
      if (clusters[c].profile == 0) clusters[c].profile = NewProfile(c, created);
    }
    new_nodes.clear();
  }
  bool Recompute(const std::vector<std::uint32_t>& seeds, std::uint32_t split_profile,
                 const absl::flat_hash_set<std::uint32_t>* split_off, std::uint32_t now,
                 std::vector<std::uint32_t>* split_profiles);
  void DecideInArrivalOrder(const std::vector<std::uint32_t>& tentative);
};

void IdentityGraph::Rep::ApplyEventLinks(const Event& event, std::uint64_t sequence) {
  // The linking identifiers, as nodes.
  std::array<std::uint32_t, 64> ids_buf;
  std::array<std::uint8_t, 64> src_buf;
  std::size_t count = 0;
  const std::uint32_t seen = Seconds(event.timestamp);
  int best_priority = std::numeric_limits<int>::min();
  std::size_t anchor = 0;
  for (const Identifier& id : event.identifiers) {
    if (!id.linking || id.type >= config.types.size() || !config.types[id.type].linking) continue;
    if (id.value.empty() || id.value.size() > kMaxIdentifierValueLength) continue;
    if (count == ids_buf.size()) break;
    ids_buf[count] = FindOrCreateNode(id.type, id.value, seen);
    if (ids_buf[count] == kNone) continue;  // the graph is full
    src_buf[count] = static_cast<std::uint8_t>(id.source);
    if (config.types[id.type].priority > best_priority) {
      best_priority = config.types[id.type].priority;
      anchor = count;
    }
    ++count;
  }
  event_nodes.assign(ids_buf.begin(), ids_buf.begin() + static_cast<std::ptrdiff_t>(count));
  event_anchor = anchor;
  if (count < 2) return;

  const std::uint64_t key = OrderKey(event.timestamp, event.message_id);
  std::vector<std::uint32_t> seeds;
  std::vector<std::uint32_t> tentative;
  const std::uint32_t a = ids_buf[anchor];
  const auto evidence = [&](std::size_t i) {
    const auto previous = static_cast<std::uint8_t>(IdentifierSource::kPreviousId);
    const bool alias = src_buf[i] == previous || src_buf[anchor] == previous;
    return PendingEvidence{alias ? LinkRule::kAlias : LinkRule::kCoOccurrence, event.timestamp,
                           event.message_id, sequence, std::nullopt};
  };
  const auto conflicted = [&](std::uint32_t root) {
    return (ClusterOf(root).flags & kClusterConflicted) != 0;
  };
  // The event's person record first: the anchor's profile then holds who the event is about,
  // so that a union with a profile of a clearly different person is refused
  // (RecordResolver::RecordsCompatible) before the event's other identifiers join it. The
  // canonical order (Recompute) ranks these edges first among an event's edges too.
  std::array<std::uint8_t, 64> order_buf;
  std::size_t ordered = 0;
  for (int pass = 0; pass < 2; ++pass) {
    for (std::size_t i = 0; i < count; ++i) {
      if (i != anchor && (nodes[ids_buf[i]].type == kPersonRecord) == (pass == 0)) {
        order_buf[ordered++] = static_cast<std::uint8_t>(i);
      }
    }
  }
  for (std::size_t k = 0; k < ordered; ++k) {
    const std::size_t i = order_buf[k];
    const std::uint32_t b = ids_buf[i];
    std::uint32_t e = FindEdge(a, b);
    if (e != kNone) {
      // Asserted before: only earlier evidence changes anything (the common case is none).
      if (edges[e].state() == EdgeState::kRemoved || key >= edges[e].key()) continue;
      edges[e].order = key | (edges[e].order & ~kOrderMask);
      dirty_evidence[e] = evidence(i);
      if (conflicted(Find(a)) || conflicted(Find(b))) {
        seeds.push_back(a);
        seeds.push_back(b);
      }
      continue;
    }
    const std::uint32_t ra = Find(a);
    const std::uint32_t rb = Find(b);
    e = AddEdge(a, b, key, EdgeState::kLinked);
    dirty_evidence[e] = evidence(i);
    if (conflicted(ra) || conflicted(rb)) {
      seeds.push_back(a);
      seeds.push_back(b);
      tentative.push_back(e);
      continue;
    }
    if (ra != rb && !UnionOrRefuse(e, ra, rb)) {
      seeds.push_back(a);
      seeds.push_back(b);
    }
  }
  if (!seeds.empty() && !Recompute(seeds, 0, nullptr, seen, nullptr)) {
    DecideInArrivalOrder(tentative);
  }
}

// For a component too large to recompute: decides the new edges as the fast path would.
void IdentityGraph::Rep::DecideInArrivalOrder(const std::vector<std::uint32_t>& tentative) {
  for (std::uint32_t e : tentative) {
    const std::uint32_t ra = Find(edges[e].a);
    const std::uint32_t rb = Find(edges[e].b);
    if (ra != rb) UnionOrRefuse(e, ra, rb);
  }
}

// Recomputes the component(s) reachable from `seeds` over non-removed edges in canonical
// order. For a split, `split_profile` keeps its id with the part holding most nodes not in
// `split_off`, and the new profiles of the split-off part are appended to `split_profiles`.
// Returns false (changing nothing) when the component is larger than max_recompute_nodes.
bool IdentityGraph::Rep::Recompute(const std::vector<std::uint32_t>& seeds,
                                   std::uint32_t split_profile,
                                   const absl::flat_hash_set<std::uint32_t>* split_off,
                                   std::uint32_t now, std::vector<std::uint32_t>* split_profiles) {
  // 1. The component: breadth-first over every non-removed edge.
  absl::flat_hash_map<std::uint32_t, std::uint32_t> local;  // node -> local index
  std::vector<std::uint32_t> members;
  for (std::uint32_t s : seeds) {
    if (local.emplace(s, static_cast<std::uint32_t>(members.size())).second) members.push_back(s);
  }
  for (std::size_t i = 0; i < members.size(); ++i) {
    const std::uint32_t n = members[i];
    // Cluster-mates are in the component through linked edges; add them directly.
    for (std::uint32_t m = nodes[n].next; m != n; m = nodes[m].next) {
      if (local.emplace(m, static_cast<std::uint32_t>(members.size())).second) {
        members.push_back(m);
      }
    }
    for (std::uint32_t e = nodes[n].first_edge; e != kNone; e = edges[e].next_of(n)) {
      if (edges[e].state() == EdgeState::kRemoved) continue;
      const std::uint32_t other = edges[e].a == n ? edges[e].b : edges[e].a;
      if (local.emplace(other, static_cast<std::uint32_t>(members.size())).second) {
        members.push_back(other);
      }
    }
    if (members.size() > options.max_recompute_nodes) {
      ++stats.oversized_components;
      return false;
    }
  }
  ++stats.recomputes;

  // 2. Its edges in canonical order: evidence key, then the endpoints' identifier hashes
  // (node ids depend on arrival order; identifiers do not).
  // Within one event's edges: those joining a person record to another identifier first (as
  // ApplyEventLinks applies them), then the others, then record-to-record links.
  struct Ordered {
    std::uint64_t key;
    std::uint8_t rank;
    std::uint64_t lo;
    std::uint64_t hi;
    std::uint32_t edge;
    std::uint32_t la;
    std::uint32_t lb;
  };
  std::vector<std::uint64_t> hashes(members.size());
  for (std::size_t i = 0; i < members.size(); ++i) hashes[i] = NodeHashOf(members[i]);
  std::vector<Ordered> order;
  for (std::size_t i = 0; i < members.size(); ++i) {
    const std::uint32_t n = members[i];
    for (std::uint32_t e = nodes[n].first_edge; e != kNone; e = edges[e].next_of(n)) {
      if (edges[e].a != n || edges[e].state() == EdgeState::kRemoved) continue;
      const std::uint32_t la = static_cast<std::uint32_t>(i);
      const std::uint32_t lb = local.at(edges[e].b);
      const std::uint64_t x = hashes[la];
      const std::uint64_t y = hashes[lb];
      const int records = (nodes[edges[e].a].type == kPersonRecord ? 1 : 0) +
                          (nodes[edges[e].b].type == kPersonRecord ? 1 : 0);
      const auto rank = static_cast<std::uint8_t>(records == 1 ? 0 : records == 0 ? 1 : 2);
      order.push_back(Ordered{edges[e].key(), rank, std::min(x, y), std::max(x, y), e, la, lb});
    }
  }
  std::sort(order.begin(), order.end(), [](const Ordered& x, const Ordered& y) {
    return std::tie(x.key, x.rank, x.lo, x.hi) < std::tie(y.key, y.rank, y.lo, y.hi);
  });

  // 3. Greedy union in that order, on local structures.
  const std::size_t m = members.size();
  std::vector<std::uint32_t> parent(m);
  std::vector<std::uint32_t> size(m, 1);
  std::vector<std::array<std::uint8_t, kMaxLimitedTypes>> counts(m);
  std::vector<std::vector<std::uint32_t>> tags(m);
  // Person records per local component (for the resolver's compatibility check).
  std::vector<std::vector<std::uint32_t>> records(resolver != nullptr ? m : 0);
  for (std::size_t i = 0; i < m; ++i) {
    parent[i] = static_cast<std::uint32_t>(i);
    counts[i].fill(0);
    const std::uint8_t slot = slot_of_type[nodes[members[i]].type];
    if (slot != kNoSlot) counts[i][slot] = 1;
    if (nodes[members[i]].flags & kNodeHasTags) tags[i] = node_tags.at(members[i]);
    if (resolver != nullptr && nodes[members[i]].type == kPersonRecord) {
      records[i].push_back(members[i]);
    }
  }
  auto find = [&](std::uint32_t x) {
    while (parent[x] != x) {
      parent[x] = parent[parent[x]];
      x = parent[x];
    }
    return x;
  };
  for (const Ordered& o : order) {
    const std::uint32_t e = o.edge;
    const std::uint32_t x = find(o.la);
    const std::uint32_t y = find(o.lb);
    if (x == y) {
      SetEdgeState(e, EdgeState::kLinked);
      continue;
    }
    bool ok = true;
    for (std::size_t s = 0; s < limited_slots && ok; ++s) {
      ok = std::uint32_t{counts[x][s]} + counts[y][s] <= slot_limit[s];
    }
    if (ok && !tags[x].empty() && !tags[y].empty()) ok = TagsCompatible(tags[x], tags[y]);
    if (ok && resolver != nullptr) ok = RecordsCompatible(records[x], records[y]);
    if (!ok) {
      SetEdgeState(e, EdgeState::kRefused);
      continue;
    }
    SetEdgeState(e, EdgeState::kLinked);
    const auto [big, small] = size[x] >= size[y] ? std::pair(x, y) : std::pair(y, x);
    parent[small] = big;
    size[big] += size[small];
    for (std::size_t s = 0; s < limited_slots; ++s) {
      counts[big][s] = static_cast<std::uint8_t>(
          std::min<std::uint32_t>(255, std::uint32_t{counts[big][s]} + counts[small][s]));
    }
    if (!tags[small].empty()) MergeSorted(tags[big], tags[small]);
    if (resolver != nullptr) {
      for (std::uint32_t n : records[small]) {
        if (records[big].size() >= kMaxCompatibilityRecords) break;
        records[big].push_back(n);
      }
    }
  }

  // 4. Profile ids. Old profiles in ascending (oldest first) order each go to the new part
  // holding most of their nodes, unless that part already has an older id; parts left
  // without one get new ids; old ids that found no part redirect to their main part.
  std::vector<std::uint32_t> old_profile(m);
  std::vector<std::uint32_t> old_profiles;
  std::vector<std::uint32_t> old_clusters;
  for (std::size_t i = 0; i < m; ++i) {
    const std::uint32_t root = Find(members[i]);
    old_profile[i] = ClusterOf(root).profile;
    if (root == members[i]) {
      if (old_profile[i] != 0) old_profiles.push_back(old_profile[i]);  // 0: new, no id yet
      old_clusters.push_back(nodes[root].cluster());
    }
  }
  std::sort(old_profiles.begin(), old_profiles.end());
  // Votes: (old profile, new root) -> nodes.
  absl::flat_hash_map<std::uint64_t, std::uint32_t> votes;
  for (std::size_t i = 0; i < m; ++i) {
    if (old_profile[i] == 0) continue;  // new identifiers carry no id
    if (split_off != nullptr && old_profile[i] == split_profile && split_off->contains(members[i]))
      continue;  // the split-off part does not carry the id
    ++votes[(std::uint64_t{old_profile[i]} << 32) | find(static_cast<std::uint32_t>(i))];
  }
  absl::flat_hash_map<std::uint32_t, std::uint32_t> root_profile;  // new local root -> id
  absl::flat_hash_map<std::uint32_t, std::uint32_t> main_part;     // old id -> new local root
  for (const auto& [k, v] : votes) {
    const auto p = static_cast<std::uint32_t>(k >> 32);
    const auto r = static_cast<std::uint32_t>(k);
    auto [it, inserted] = main_part.emplace(p, r);
    if (!inserted) {
      const std::uint32_t cur = votes[(std::uint64_t{p} << 32) | it->second];
      if (v > cur || (v == cur && members[r] < members[it->second])) it->second = r;
    }
  }
  for (std::uint32_t p : old_profiles) {
    auto it = main_part.find(p);
    if (it != main_part.end()) root_profile.emplace(it->second, p);  // keeps an older id
  }

  // 5. Write back: new clusters, node links, profile slots.
  std::vector<std::uint8_t> has_records(m, 0);  // by local root
  for (std::size_t i = 0; i < m; ++i) {
    if (nodes[members[i]].type == kPersonRecord)
      has_records[find(static_cast<std::uint32_t>(i))] = 1;
  }
  for (std::uint32_t c : old_clusters) FreeCluster(c);
  absl::flat_hash_map<std::uint32_t, std::uint32_t> root_cluster;  // local root -> cluster
  absl::flat_hash_map<std::uint32_t, std::uint32_t> root_last;     // local root -> last member
  for (std::size_t i = 0; i < m; ++i) {
    const std::uint32_t r = find(static_cast<std::uint32_t>(i));
    const std::uint32_t node = members[i];
    auto [it, inserted] = root_cluster.emplace(r, 0);
    if (inserted) {
      it->second = NewCluster();
      Cluster& c = clusters[it->second];
      c.root = node;
      c.size = 0;
      c.counts = counts[r];
      if (has_records[r]) c.flags |= kClusterHasRecords;
      if (!tags[r].empty()) {
        c.flags |= kClusterHasTags;
        cluster_tags[it->second] = tags[r];
      }
      nodes[node].set_root(it->second);
      nodes[node].next = node;
      root_last[r] = node;
    } else {
      const std::uint32_t root = clusters[it->second].root;
      nodes[node].parent = root;
      // Append after the last member: keeps the ring in member order.
      const std::uint32_t last = root_last[r];
      nodes[node].next = nodes[last].next;
      nodes[last].next = node;
      root_last[r] = node;
    }
    ++clusters[it->second].size;
  }
  // New ids in the order of the parts' first members, so that the same graph state always
  // gives the same ids (`cdp rebuild` compares them).
  std::vector<std::pair<std::uint32_t, std::uint32_t>> parts(root_cluster.begin(),
                                                             root_cluster.end());
  std::sort(parts.begin(), parts.end());
  for (const auto& [r, c] : parts) {
    auto pit = root_profile.find(r);
    std::uint32_t profile;
    if (pit != root_profile.end()) {
      profile = pit->second;
      profile_slot[profile] = c;
      dirty_profiles.insert(profile);
      NoteUpsert(profile);
      pending_reshaped.push_back(profile);
    } else {
      profile = NewProfile(c, now);
      --stats.profiles;  // counted below with the others
      if (split_profiles != nullptr) split_profiles->push_back(profile);
      NoteSplit(profile);
      pending_reshaped.push_back(profile);
    }
    clusters[c].profile = profile;
  }
  // Old ids that kept no part: redirect to their main part.
  std::size_t active_before = old_profiles.size();
  for (std::uint32_t p : old_profiles) {
    auto it = main_part.find(p);
    if (it != main_part.end() && root_profile.at(it->second) == p) continue;
    std::uint32_t target_root;
    if (it != main_part.end()) {
      target_root = it->second;
    } else {
      // Every node of p went to the split-off part: follow its first node.
      target_root = kNone;
      for (std::size_t i = 0; i < m && target_root == kNone; ++i) {
        if (old_profile[i] == p) target_root = find(static_cast<std::uint32_t>(i));
      }
    }
    const std::uint32_t target = clusters[root_cluster.at(target_root)].profile;
    profile_slot[p] = kRedirect | target;
    merged_lists[target].push_back(p);
    dirty_profiles.insert(p);
    NoteMerge(p, target);
    ++stats.merges;
  }
  stats.profiles = stats.profiles - active_before + root_cluster.size();
  // Conflicted flags and changed nodes.
  for (std::size_t i = 0; i < m; ++i) {
    const std::uint32_t node = members[i];
    const std::uint32_t root = Find(node);
    Cluster& c = ClusterOf(root);
    if (c.profile != old_profile[i]) MarkNode(node);
    for (std::uint32_t e = nodes[node].first_edge; e != kNone; e = edges[e].next_of(node)) {
      if (edges[e].state() == EdgeState::kRefused) c.flags |= kClusterConflicted;
    }
  }
  return true;
}

IdentityGraph::IdentityGraph(const IdentityConfig& config, const IdentityGraphOptions& options)
    : rep_(std::make_unique<Rep>(config, options)) {
  rep_->self = this;
}

IdentityGraph::~IdentityGraph() = default;

const IdentityConfig& IdentityGraph::config() const { return rep_->config; }

void IdentityGraph::ApplyEvent(const Event& event, std::uint64_t sequence) {
  rep_->ApplyEvent(event, sequence);
}

void IdentityGraph::ApplyEvents(std::span<const Event* const> events,
                                std::span<const std::uint64_t> sequences) {
  Rep& r = *rep_;
  // Look-ups miss the cache on a large graph: fetch the index slots of a later event's
  // identifiers while this one is applied.
  constexpr std::size_t kAhead = 4;
  const auto prefetch = [&](std::size_t j) {
    if (j >= events.size()) return;
    for (const Identifier& id : events[j]->identifiers) {
      if (id.linking) r.index.prefetch(IdentKey{id.type, id.value});
    }
  };
  for (std::size_t j = 0; j < kAhead; ++j) prefetch(j);
  for (std::size_t i = 0; i < events.size(); ++i) {
    prefetch(i + kAhead);
    r.ApplyEvent(*events[i], sequences[i]);
  }
}

Result<SplitOutcome> IdentityGraph::Split(std::uint64_t profile,
                                          std::span<const Identifier> identifiers, Timestamp at,
                                          std::uint64_t after_sequence) {
  Rep& r = *rep_;
  const std::optional<std::uint64_t> active = ResolveProfileId(profile);
  if (!active) return NotFoundError("unknown profile");
  if (identifiers.empty()) return InvalidArgumentError("identifiers: none given");
  const auto pid = static_cast<std::uint32_t>(*active);
  const std::uint32_t cluster = r.profile_slot[pid];
  const std::uint32_t root = r.clusters[cluster].root;
  absl::flat_hash_set<std::uint32_t> side;
  for (const Identifier& id : identifiers) {
    auto it = r.index.find(IdentKey{id.type, id.value});
    if (it == r.index.end() || r.FindConst(*it) != root) {
      return FailedPreconditionError("identifiers: " + std::string(r.config.types[id.type].name) +
                                     " identifier not in this profile");
    }
    side.insert(*it);
  }
  if (side.size() == r.clusters[cluster].size) {
    return FailedPreconditionError(
        "identifiers: all of the profile's identifiers; nothing would remain");
  }
  // The two sides, each sorted.
  CannotLinkRecord record;
  record.id = r.next_cannot_link++;
  record.at = at;
  record.after_sequence = after_sequence;
  std::vector<std::uint32_t> members;
  for (std::uint32_t n = root;;) {
    members.push_back(n);
    record.sides[side.contains(n) ? 0 : 1].push_back(n);
    n = r.nodes[n].next;
    if (n == root) break;
  }
  for (auto& s : record.sides) std::sort(s.begin(), s.end());
  // Cut the edges between the sides.
  for (std::uint32_t n : record.sides[0]) {
    for (std::uint32_t e = r.nodes[n].first_edge; e != kNone; e = r.edges[e].next_of(n)) {
      const std::uint32_t other = r.edges[e].a == n ? r.edges[e].b : r.edges[e].a;
      if (r.edges[e].state() != EdgeState::kRemoved && !side.contains(other) &&
          r.FindConst(other) == root) {
        r.SetEdgeState(e, EdgeState::kRemoved);
      }
    }
  }
  // Tag both sides.
  for (int s = 0; s < 2; ++s) {
    const std::uint32_t tag = record.id * 2 + static_cast<std::uint32_t>(s);
    for (std::uint32_t n : record.sides[static_cast<std::size_t>(s)]) {
      auto& tags = r.node_tags[n];
      tags.insert(std::upper_bound(tags.begin(), tags.end(), tag), tag);
      r.nodes[n].flags |= kNodeHasTags;
    }
  }
  r.pending_cannot_links.push_back(record);
  r.change_at = at;
  r.change_sequence = after_sequence;
  std::vector<std::uint32_t> split_profiles;
  const std::size_t saved = r.options.max_recompute_nodes;
  r.options.max_recompute_nodes = std::numeric_limits<std::size_t>::max();
  r.Recompute(members, pid, &side, Seconds(at), &split_profiles);
  r.options.max_recompute_nodes = saved;
  SplitOutcome outcome;
  outcome.kept = *ResolveProfileId(pid);
  for (std::uint32_t p : split_profiles) outcome.split_off.push_back(p);
  std::sort(outcome.split_off.begin(), outcome.split_off.end());
  return outcome;
}

void IdentityGraph::TakeDelta(GraphDelta* delta) {
  Rep& r = *rep_;
  delta->clear();
  for (std::uint32_t n : r.dirty_nodes) {
    Node& node = r.nodes[n];
    node.flags = static_cast<std::uint8_t>(node.flags & ~kNodeDirty);
    NodeRecord rec;
    rec.node = n;
    rec.type = node.type;
    rec.value = std::string(r.Value(n));
    rec.hash = HashIdentifier(node.type, rec.value);
    rec.first_seen = node.first_seen;
    rec.last_seen = node.last_seen;
    rec.profile = r.ClusterOf(r.Find(n)).profile;
    delta->nodes.push_back(std::move(rec));
  }
  r.dirty_nodes.clear();
  for (auto& [e, ev] : r.dirty_evidence) {
    EdgeRecord rec;
    rec.a = r.edges[e].a;
    rec.b = r.edges[e].b;
    rec.state = r.edges[e].state();
    rec.rule = ev.rule;
    rec.evidence_time = ev.time;
    rec.evidence_message = std::move(ev.message_id);
    rec.evidence_sequence = ev.sequence;
    rec.match = std::move(ev.match);
    delta->edges.push_back(std::move(rec));
    r.dirty_edge_states.erase(e);
  }
  for (std::uint32_t e : r.dirty_edge_states) {
    EdgeRecord rec;
    rec.a = r.edges[e].a;
    rec.b = r.edges[e].b;
    rec.state = r.edges[e].state();
    rec.state_only = true;
    delta->edges.push_back(std::move(rec));
  }
  r.dirty_evidence.clear();
  r.dirty_edge_states.clear();
  // Deterministic order: by edge endpoints.
  std::sort(delta->edges.begin(), delta->edges.end(), [](const EdgeRecord& x, const EdgeRecord& y) {
    return std::pair(x.a, x.b) < std::pair(y.a, y.b);
  });
  std::vector<std::uint32_t> profiles(r.dirty_profiles.begin(), r.dirty_profiles.end());
  std::sort(profiles.begin(), profiles.end());
  for (std::uint32_t p : profiles) {
    ProfileRecord rec;
    rec.id = p;
    const std::uint32_t slot = r.profile_slot[p];
    if (slot & kRedirect) {
      rec.state = ProfileState::kMerged;
      rec.merged_into = slot & ~kRedirect;
    }
    rec.created_at = Timestamp(std::chrono::seconds(r.profile_created[p]));
    delta->profiles.push_back(rec);
  }
  r.dirty_profiles.clear();
  delta->cannot_links = std::move(r.pending_cannot_links);
  r.pending_cannot_links.clear();
  delta->changes = std::move(r.pending_changes);
  r.pending_changes.clear();
  r.upserted.clear();
  delta->anchors = std::move(r.pending_anchors);
  r.pending_anchors.clear();
  std::sort(r.pending_reshaped.begin(), r.pending_reshaped.end());
  r.pending_reshaped.erase(std::unique(r.pending_reshaped.begin(), r.pending_reshaped.end()),
                           r.pending_reshaped.end());
  delta->reshaped = std::move(r.pending_reshaped);
  r.pending_reshaped.clear();
}

void IdentityGraph::DiscardDelta() {
  Rep& r = *rep_;
  for (std::uint32_t n : r.dirty_nodes) {
    r.nodes[n].flags = static_cast<std::uint8_t>(r.nodes[n].flags & ~kNodeDirty);
  }
  r.dirty_nodes.clear();
  r.dirty_evidence.clear();
  r.dirty_edge_states.clear();
  r.dirty_profiles.clear();
  r.pending_cannot_links.clear();
  r.pending_changes.clear();
  r.upserted.clear();
  r.pending_anchors.clear();
  r.pending_reshaped.clear();
}

void IdentityGraph::LoadNode(const NodeRecord& record) {
  Rep& r = *rep_;
  if (!r.node_load_error.ok()) return;
  if (record.type >= r.config.types.size() || record.value.empty() ||
      record.value.size() > kMaxIdentifierValueLength || record.profile == 0 ||
      record.profile >= kRedirect) {
    r.node_load_error = CorruptionError("identity graph: malformed node record");
    return;
  }
  if (HashIdentifier(record.type, record.value) != record.hash) {
    r.node_load_error = CorruptionError("identity graph: identifier hash mismatch");
    return;
  }
  if (record.node >= r.nodes.size()) {
    r.nodes.resize(std::size_t{record.node} + 1);
    r.load_profile.resize(r.nodes.size(), 0);
    r.load_seen.resize(r.nodes.size(), 0);
  }
  if (r.load_seen[record.node]) {
    r.node_load_error = CorruptionError("identity graph: node stored twice");
    return;
  }
  r.load_seen[record.node] = 1;
  Node& n = r.nodes[record.node];
  n.value_off = static_cast<std::uint32_t>(r.arena.size());
  n.value_len = static_cast<std::uint16_t>(record.value.size());
  n.type = record.type;
  n.first_seen = record.first_seen;
  n.last_seen = record.last_seen;
  r.arena.insert(r.arena.end(), record.value.begin(), record.value.end());
  r.load_profile[record.node] = static_cast<std::uint32_t>(record.profile);
}

void IdentityGraph::LoadEdge(const EdgeRecord& record) {
  Rep& r = *rep_;
  if (!r.load_error.ok()) return;
  if (record.a >= record.b || static_cast<std::uint8_t>(record.state) > 2) {
    r.load_error = CorruptionError("identity graph: malformed edge record");
    return;
  }
  // Nodes may not be loaded yet: checked in FinishLoad.
  Edge edge;
  edge.a = record.a;
  edge.b = record.b;
  edge.order = OrderKey(record.evidence_time, record.evidence_message);
  edge.set_state(record.state);
  r.edges.push_back(edge);
}

void IdentityGraph::LoadProfile(const ProfileRecord& record) {
  Rep& r = *rep_;
  if (!r.load_error.ok()) return;
  if (record.id == 0 || record.id >= kRedirect ||
      (record.state == ProfileState::kMerged &&
       (record.merged_into == 0 || record.merged_into >= kRedirect))) {
    r.load_error = CorruptionError("identity graph: malformed profile record");
    return;
  }
  if (record.id >= r.profile_slot.size()) {
    r.profile_slot.resize(record.id + 1, kLoadMissing);
    r.profile_created.resize(record.id + 1, 0);
  }
  r.profile_slot[record.id] = record.state == ProfileState::kMerged
                                  ? (kRedirect | static_cast<std::uint32_t>(record.merged_into))
                                  : kLoadActive;
  r.profile_created[record.id] = Seconds(record.created_at);
}

void IdentityGraph::LoadCannotLink(const CannotLinkRecord& record) {
  Rep& r = *rep_;
  if (!r.load_error.ok()) return;
  if (record.id == 0 || record.id >= kRedirect / 2) {
    r.load_error = CorruptionError("identity graph: malformed cannot-link record");
    return;
  }
  r.pending_cannot_links.push_back(record);  // applied in FinishLoad, then cleared
}

Status IdentityGraph::FinishLoad() {
  Rep& r = *rep_;
  if (!r.node_load_error.ok()) return r.node_load_error;
  if (!r.load_error.ok()) return r.load_error;
  const std::size_t n = r.nodes.size();
  for (std::size_t i = 0; i < n; ++i) {
    if (!r.load_seen[i]) return CorruptionError("identity graph: node ids have a gap");
  }
  // Profiles.
  for (std::size_t p = 1; p < r.profile_slot.size(); ++p) {
    if (r.profile_slot[p] == kLoadMissing) {
      return CorruptionError("identity graph: profile ids have a gap");
    }
    if (r.profile_slot[p] & kRedirect) {
      const std::uint32_t target = r.profile_slot[p] & ~kRedirect;
      if (target >= r.profile_slot.size()) {
        return CorruptionError("identity graph: redirect to an unknown profile");
      }
      r.merged_lists[target].push_back(static_cast<std::uint32_t>(p));
      ++r.stats.merges;
    }
  }
  // The index is built on a second thread meanwhile: it reads only the nodes' values, which
  // nothing below writes.
  bool duplicate = false;
  std::thread index_thread([&r, n, &duplicate] {
    r.index.reserve(n);
    for (std::size_t i = 0; i < n && !duplicate; ++i) {
      duplicate = !r.index.insert(static_cast<std::uint32_t>(i)).second;
    }
  });
  Status status = r.BuildLoadedClusters();
  if (status.ok()) status = r.LinkLoadedEdges();
  index_thread.join();
  if (!status.ok()) return status;
  if (duplicate) return CorruptionError("identity graph: duplicate identifier");
  r.stats.edges = r.edges.size();
  // Cannot-links.
  for (const CannotLinkRecord& cl : r.pending_cannot_links) {
    r.next_cannot_link = std::max(r.next_cannot_link, cl.id + 1);
    for (const auto& side : cl.sides) {
      for (std::uint32_t node : side) {
        if (node >= n) return CorruptionError("identity graph: cannot-link of an unknown node");
      }
    }
    r.TagCannotLink(cl);
  }
  r.pending_cannot_links.clear();
  r.load_profile = {};
  r.load_seen = {};
  return Status::Ok();
}

std::optional<std::uint64_t> IdentityGraph::FindProfile(IdentifierType type,
                                                        std::string_view value) const {
  const Rep& r = *rep_;
  auto it = r.index.find(IdentKey{type, value});
  if (it == r.index.end()) return std::nullopt;
  return r.clusters[r.nodes[r.FindConst(*it)].cluster()].profile;
}

std::optional<std::uint64_t> IdentityGraph::ResolveProfileId(std::uint64_t id) const {
  const Rep& r = *rep_;
  for (std::size_t hops = 0; hops <= r.profile_slot.size(); ++hops) {
    if (id == 0 || id >= r.profile_slot.size()) return std::nullopt;
    const std::uint32_t slot = r.profile_slot[id];
    if ((slot & kRedirect) == 0) return id;
    id = slot & ~kRedirect;
  }
  return std::nullopt;  // a redirect cycle: never written
}

ProfileView IdentityGraph::View(std::uint64_t id) const {
  const Rep& r = *rep_;
  ProfileView view;
  view.id = id;
  const Cluster& c = r.clusters[r.profile_slot[id]];
  for (std::uint32_t n = c.root;;) {
    view.nodes.push_back(n);
    n = r.nodes[n].next;
    if (n == c.root) break;
  }
  std::sort(view.nodes.begin(), view.nodes.end(), [&](std::uint32_t x, std::uint32_t y) {
    const IdentKey kx = r.Key(x);
    const IdentKey ky = r.Key(y);
    return std::pair(kx.type, kx.value) < std::pair(ky.type, ky.value);
  });
  for (std::uint32_t n : view.nodes) {
    view.identifiers.push_back(NodeIdentifier(n));
    for (std::uint32_t e = r.nodes[n].first_edge; e != kNone; e = r.edges[e].next_of(n)) {
      const Edge& edge = r.edges[e];
      const std::uint32_t other = edge.a == n ? edge.b : edge.a;
      // Each edge once: from its smaller end, or from this end when the other is outside.
      if (edge.a == n || r.FindConst(other) != c.root) {
        view.edges.push_back(ProfileEdge{edge.a, edge.b, edge.state()});
      }
    }
  }
  std::sort(view.edges.begin(), view.edges.end(), [](const ProfileEdge& x, const ProfileEdge& y) {
    return std::pair(x.a, x.b) < std::pair(y.a, y.b);
  });
  view.edges.erase(std::unique(view.edges.begin(), view.edges.end(),
                               [](const ProfileEdge& x, const ProfileEdge& y) {
                                 return x.a == y.a && x.b == y.b;
                               }),
                   view.edges.end());
  std::vector<std::uint32_t> stack{static_cast<std::uint32_t>(id)};
  while (!stack.empty()) {
    const std::uint32_t p = stack.back();
    stack.pop_back();
    auto it = r.merged_lists.find(p);
    if (it == r.merged_lists.end()) continue;
    for (std::uint32_t m : it->second) {
      view.merged_ids.push_back(m);
      stack.push_back(m);
    }
  }
  std::sort(view.merged_ids.begin(), view.merged_ids.end());
  return view;
}

ProfileIdentifier IdentityGraph::NodeIdentifier(std::uint32_t node) const {
  const Rep& r = *rep_;
  const Node& n = r.nodes[node];
  return ProfileIdentifier{n.type, std::string(r.Value(node)), n.first_seen, n.last_seen};
}

IdentityGraphStats IdentityGraph::Stats() const {
  const Rep& r = *rep_;
  IdentityGraphStats s = r.stats;
  s.memory_bytes = r.nodes.capacity() * sizeof(Node) + r.arena.capacity() +
                   r.edges.capacity() * sizeof(Edge) + r.clusters.capacity() * sizeof(Cluster) +
                   r.profile_slot.capacity() * 8 + r.index.capacity() * 5 +
                   r.edge_index.capacity() * 5;
  return s;
}

std::vector<std::uint64_t> IdentityGraph::NodeProfiles() const {
  const Rep& r = *rep_;
  std::vector<std::uint64_t> out(r.nodes.size());
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = r.clusters[r.nodes[r.FindConst(static_cast<std::uint32_t>(i))].cluster()].profile;
  }
  return out;
}

void IdentityGraph::SetRecordResolver(RecordResolver* resolver) { rep_->resolver = resolver; }

std::optional<std::uint32_t> IdentityGraph::FindNode(IdentifierType type,
                                                     std::string_view value) const {
  const Rep& r = *rep_;
  auto it = r.index.find(IdentKey{type, value});
  if (it == r.index.end()) return std::nullopt;
  return *it;
}

std::size_t IdentityGraph::NodeCount() const { return rep_->nodes.size(); }

std::uint64_t IdentityGraph::ProfileIdEnd() const { return rep_->profile_slot.size(); }

IdentifierType IdentityGraph::NodeType(std::uint32_t node) const { return rep_->nodes[node].type; }

std::string_view IdentityGraph::NodeValue(std::uint32_t node) const { return rep_->Value(node); }

std::uint64_t IdentityGraph::NodeProfile(std::uint32_t node) const {
  const Rep& r = *rep_;
  return r.clusters[r.nodes[r.FindConst(node)].cluster()].profile;
}

std::uint32_t IdentityGraph::ProfileKey(std::uint32_t node) const { return rep_->FindConst(node); }

bool IdentityGraph::SameProfile(std::uint32_t a, std::uint32_t b) const {
  return rep_->FindConst(a) == rep_->FindConst(b);
}

std::size_t IdentityGraph::ProfileNodesOfType(std::uint32_t node, IdentifierType type,
                                              std::span<std::uint32_t> out,
                                              std::size_t max_walk) const {
  const Rep& r = *rep_;
  std::size_t written = 0;
  std::size_t walked = 0;
  for (std::uint32_t n = node; written < out.size() && walked < max_walk; ++walked) {
    if (r.nodes[n].type == type) out[written++] = n;
    n = r.nodes[n].next;
    if (n == node) break;
  }
  return written;
}

bool IdentityGraph::CanLink(std::uint32_t a, std::uint32_t b) const {
  const Rep& r = *rep_;
  const std::uint32_t ra = r.FindConst(a);
  const std::uint32_t rb = r.FindConst(b);
  return ra == rb || r.CanUnion(r.nodes[ra].cluster(), r.nodes[rb].cluster());
}

bool IdentityGraph::CanLinkByIdentifiers(std::uint32_t a, std::uint32_t b) const {
  const Rep& r = *rep_;
  const std::uint32_t ra = r.FindConst(a);
  const std::uint32_t rb = r.FindConst(b);
  return ra == rb ||
         r.CanUnion(r.nodes[ra].cluster(), r.nodes[rb].cluster(), /*ask_resolver=*/false);
}

bool IdentityGraph::LinkNodes(std::uint32_t a, std::uint32_t b, LinkRule rule, Timestamp at,
                              std::string_view message_id, std::uint64_t sequence,
                              const MatchEvidence* match) {
  Rep& r = *rep_;
  if (a == b) return true;
  PendingEvidence evidence{rule, at, std::string(message_id), sequence, std::nullopt};
  if (match != nullptr) evidence.match = *match;
  std::uint32_t e = r.FindEdge(a, b);
  if (e == kNone) {
    e = r.AddEdge(a, b, OrderKey(at, message_id), EdgeState::kLinked);
  } else if (r.edges[e].state() == EdgeState::kRemoved) {
    return SameProfile(a, b);
  }
  r.dirty_evidence[e] = std::move(evidence);
  if (!r.applying_event) {
    r.change_at = at;
    r.change_sequence = sequence;
  }
  r.JoinThrough(e, a, b, Seconds(at));
  if (!r.applying_event) {
    r.NoteUpsert(r.ClusterOf(r.Find(a)).profile);
    r.NoteUpsert(r.ClusterOf(r.Find(b)).profile);
  }
  return SameProfile(a, b);
}

Status IdentityGraph::AddCannotLink(std::span<const std::uint32_t> side_a,
                                    std::span<const std::uint32_t> side_b, Timestamp at,
                                    std::uint64_t after_sequence) {
  Rep& r = *rep_;
  if (side_a.empty() || side_b.empty()) return InvalidArgumentError("cannot-link: an empty side");
  for (auto side : {side_a, side_b}) {
    for (std::uint32_t n : side) {
      if (n >= r.nodes.size()) return InvalidArgumentError("cannot-link: unknown node");
    }
  }
  for (std::uint32_t x : side_a) {
    for (std::uint32_t y : side_b) {
      if (r.FindConst(x) == r.FindConst(y)) {
        return FailedPreconditionError("cannot-link: the two sides share a profile");
      }
    }
  }
  CannotLinkRecord record;
  record.id = r.next_cannot_link++;
  record.at = at;
  record.after_sequence = after_sequence;
  record.sides[0].assign(side_a.begin(), side_a.end());
  record.sides[1].assign(side_b.begin(), side_b.end());
  for (auto& side : record.sides) {
    std::sort(side.begin(), side.end());
    side.erase(std::unique(side.begin(), side.end()), side.end());
  }
  r.TagCannotLink(record);
  r.pending_cannot_links.push_back(std::move(record));
  return Status::Ok();
}

}  // namespace cdp
