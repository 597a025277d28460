// The bytes of a profile's unified and computed traits (cdp/profile_traits.h): an encoder and
// a validating decoder, free of RocksDB. The layout is in storage/FORMAT.md
// (`profiles`: a profile's traits).
#pragma once

#include <string>
#include <string_view>

#include "cdp/profile_traits.h"
#include "cdp/status.h"

namespace cdp::storage {

// The version byte that begins an encoded ProfileTraits.
inline constexpr char kProfileTraitsVersion = 0x01;

// The encoding of `traits`: canonical (equal values encode to equal bytes) and always
// possible, since every string a ProfileTraits holds is shorter than 64 KiB.
std::string EncodeProfileTraits(const ProfileTraits& traits);

// Decodes what EncodeProfileTraits wrote. kCorruption saying which part is wrong: empty input,
// an unknown version byte or flag bit, a truncated value, a count or length beyond the bytes
// present or over a limit of cdp/profile_traits.h, names not in strictly increasing order,
// trailing bytes, or a state no fold of events gives (ProfileTraits::FromParts). The messages
// carry sizes and kinds, never contents.
Result<ProfileTraits> DecodeProfileTraits(std::string_view bytes);

}  // namespace cdp::storage
