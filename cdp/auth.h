// API keys and scopes: which key may call what. The HTTP layer extracts the key from the
// request; this unit decides.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cdp/status.h"

namespace cdp {

enum class Scope : std::uint8_t { kRead = 1, kWrite = 2, kAdmin = 4 };

// A bit set of scopes.
class ScopeSet {
 public:
  constexpr ScopeSet() = default;
  constexpr ScopeSet(std::initializer_list<Scope> scopes) {
    for (Scope s : scopes) bits_ = static_cast<std::uint8_t>(bits_ | static_cast<std::uint8_t>(s));
  }
  constexpr bool Has(Scope s) const { return (bits_ & static_cast<std::uint8_t>(s)) != 0; }
  constexpr void Add(Scope s) {
    bits_ = static_cast<std::uint8_t>(bits_ | static_cast<std::uint8_t>(s));
  }
  constexpr bool empty() const { return bits_ == 0; }
  friend constexpr bool operator==(ScopeSet, ScopeSet) = default;

 private:
  std::uint8_t bits_ = 0;
};

// "read", "write" or "admin".
std::string_view ScopeName(Scope scope);
// Returns kInvalidArgument for any other name.
Result<Scope> ParseScope(std::string_view name);

struct ApiKey {
  std::string key;
  ScopeSet scopes;
  // The source that sends with this key ("civil_register"), or empty for none: ingest stamps
  // it into each event it stores (the top-level "source") and unified traits rank values by
  // it (cdp/profile_traits.h). Several keys may share a name (a rotation).
  std::string name = {};
};

// Longest key name.
inline constexpr std::size_t kMaxKeyNameLength = 64;

// Whether `name` is a valid key name: 1 to kMaxKeyNameLength bytes without a control character,
// not beginning or ending with a space ("web portal" and "Padrón" are).
bool IsValidKeyName(std::string_view name);

// Keys accepted by the server. Immutable after creation, so thread-safe.
class KeySet {
 public:
  // Limits on a key's text, checked by Create().
  static constexpr std::size_t kMinKeyLength = 4;
  static constexpr std::size_t kMaxKeyLength = 256;

  // Fails with kInvalidArgument when a key is empty, too short or long, holds characters
  // outside [A-Za-z0-9_.-], has no scope, or appears twice, or when a name is not empty and
  // not IsValidKeyName.
  static Result<KeySet> Create(std::vector<ApiKey> keys);

  // The scopes of `key`, or nullopt when it is not a known key.
  std::optional<ScopeSet> Lookup(std::string_view key) const;

  // The entry of `key`, or null when it is not a known key. Valid as long as this KeySet.
  const ApiKey* Find(std::string_view key) const;

  // Ok when `key` is known and holds `needed`; kUnauthenticated when absent or unknown,
  // kPermissionDenied when it lacks the scope.
  Status Authorize(std::optional<std::string_view> key, Scope needed) const;

  const std::vector<ApiKey>& keys() const { return keys_; }

 private:
  std::vector<ApiKey> keys_;
  // Key text -> index in keys_.
  std::unordered_map<std::string, std::size_t> index_;
};

// Extracts the key from an Authorization header value: "Basic base64(key:)" (the key as the
// user name, any password ignored) or "Bearer key". kUnauthenticated on anything else.
Result<std::string> KeyFromAuthorizationHeader(std::string_view header);

// Decodes standard base64 (padding optional). kInvalidArgument on malformed input.
Result<std::string> Base64Decode(std::string_view in);
std::string Base64Encode(std::string_view in);

// A fresh random key "PREFIX_" followed by 32 hex digits (128 bits from std::random_device).
std::string GenerateKey(std::string_view prefix);

// Renders keys as the config file's `{"keys": [...]}` document (a name when it is set).
std::string RenderKeysJson(const std::vector<ApiKey>& keys);

}  // namespace cdp
