// Strong id types: a ProfileId cannot be passed where a Sequence is expected.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>

namespace cdp {

// A typed wrapper over an integer id. Value type; thread-compatible.
template <typename Tag, typename Rep = std::uint64_t>
class StrongId {
 public:
  using rep_type = Rep;
  constexpr StrongId() = default;
  constexpr explicit StrongId(Rep value) : value_(value) {}
  constexpr Rep value() const { return value_; }
  friend constexpr auto operator<=>(StrongId, StrongId) = default;

 private:
  Rep value_{};
};

struct ProfileIdTag {};
struct SequenceTag {};
struct NodeIdTag {};

// A unified profile (a cluster of the identity graph). Stable across merges of others into it.
using ProfileId = StrongId<ProfileIdTag>;
// The position of an event in the durable log; increases by one per stored event.
using Sequence = StrongId<SequenceTag>;
// An identifier node of the identity graph.
using NodeId = StrongId<NodeIdTag>;

}  // namespace cdp

template <typename Tag, typename Rep>
struct std::hash<cdp::StrongId<Tag, Rep>> {
  std::size_t operator()(cdp::StrongId<Tag, Rep> id) const noexcept {
    return std::hash<Rep>{}(id.value());
  }
};
