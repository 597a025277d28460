#include "cdp/auth.h"

#include <algorithm>
#include <array>
#include <random>

#include "cdp/json_writer.h"

namespace cdp {
namespace {

constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

bool IsKeyChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.';
}

bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char a = s[i];
    if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
    if (a != prefix[i]) return false;
  }
  return true;
}

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string_view ScopeName(Scope scope) {
  switch (scope) {
    case Scope::kRead: return "read";
    case Scope::kWrite: return "write";
    case Scope::kAdmin: return "admin";
  }
  return "?";
}

Result<Scope> ParseScope(std::string_view name) {
  if (name == "read") return Scope::kRead;
  if (name == "write") return Scope::kWrite;
  if (name == "admin") return Scope::kAdmin;
  return InvalidArgumentError("unknown scope (expected read, write or admin)");
}

Result<KeySet> KeySet::Create(std::vector<ApiKey> keys) {
  KeySet set;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const std::string where = "keys[" + std::to_string(i) + "]";
    const std::string& key = keys[i].key;
    if (key.size() < kMinKeyLength || key.size() > kMaxKeyLength) {
      return InvalidArgumentError(where + ": a key must hold 4 to 256 characters");
    }
    for (char c : key) {
      if (!IsKeyChar(c)) {
        return InvalidArgumentError(where + ": a key may hold only letters, digits, '_', '-', '.'");
      }
    }
    if (keys[i].scopes.empty()) return InvalidArgumentError(where + ": a key needs a scope");
    if (!keys[i].name.empty() && !IsValidKeyName(keys[i].name)) {
      return InvalidArgumentError(
          where +
          ": a name must hold 1 to 64 bytes of text, no control character, no leading or "
          "trailing space");
    }
    if (!set.index_.emplace(key, i).second) {
      return InvalidArgumentError(where + ": duplicate key");
    }
  }
  set.keys_ = std::move(keys);
  return set;
}

std::optional<ScopeSet> KeySet::Lookup(std::string_view key) const {
  const ApiKey* entry = Find(key);
  if (entry == nullptr) return std::nullopt;
  return entry->scopes;
}

const ApiKey* KeySet::Find(std::string_view key) const {
  auto it = index_.find(std::string(key));
  if (it == index_.end()) return nullptr;
  return &keys_[it->second];
}

bool IsValidKeyName(std::string_view name) {
  if (name.empty() || name.size() > kMaxKeyNameLength) return false;
  if (name.front() == ' ' || name.back() == ' ') return false;
  // Any text but control characters (the config parser has checked that it is UTF-8).
  return std::none_of(name.begin(), name.end(), [](char c) {
    const auto b = static_cast<unsigned char>(c);
    return b < 0x20 || b == 0x7F;
  });
}

Status KeySet::Authorize(std::optional<std::string_view> key, Scope needed) const {
  if (!key.has_value() || key->empty()) return UnauthenticatedError("missing API key");
  const auto scopes = Lookup(*key);
  if (!scopes.has_value()) return UnauthenticatedError("unknown API key");
  if (!scopes->Has(needed)) {
    return PermissionDeniedError("the API key lacks the '" + std::string(ScopeName(needed)) +
                                 "' scope");
  }
  return Status::Ok();
}

Result<std::string> KeyFromAuthorizationHeader(std::string_view header) {
  header = TrimSpaces(header);
  if (StartsWithIgnoreCase(header, "bearer ")) {
    std::string_view key = TrimSpaces(header.substr(7));
    if (key.empty()) return UnauthenticatedError("empty bearer token");
    return std::string(key);
  }
  if (StartsWithIgnoreCase(header, "basic ")) {
    std::string_view encoded = TrimSpaces(header.substr(6));
    auto decoded = Base64Decode(encoded);
    if (!decoded.ok()) return UnauthenticatedError("malformed basic credentials");
    const std::string& creds = *decoded;
    const std::size_t colon = creds.find(':');
    std::string user = colon == std::string::npos ? creds : creds.substr(0, colon);
    if (user.empty()) return UnauthenticatedError("empty basic user name");
    return user;
  }
  return UnauthenticatedError("unsupported authorization scheme (use Basic or Bearer)");
}

Result<std::string> Base64Decode(std::string_view in) {
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  if (in.size() % 4 == 1) return InvalidArgumentError("truncated base64");
  std::string out;
  out.reserve(in.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    const int v = Base64Value(c);
    if (v < 0) return InvalidArgumentError("invalid base64 character");
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFFu);
    }
  }
  return out;
}

std::string Base64Encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  while (i + 2 < in.size()) {
    const std::uint32_t v =
        (static_cast<std::uint32_t>(static_cast<unsigned char>(in[i])) << 16) |
        (static_cast<std::uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8) |
        static_cast<std::uint32_t>(static_cast<unsigned char>(in[i + 2]));
    out += kBase64Alphabet[(v >> 18) & 63];
    out += kBase64Alphabet[(v >> 12) & 63];
    out += kBase64Alphabet[(v >> 6) & 63];
    out += kBase64Alphabet[v & 63];
    i += 3;
  }
  const std::size_t rest = in.size() - i;
  if (rest > 0) {
    std::uint32_t v = static_cast<std::uint32_t>(static_cast<unsigned char>(in[i])) << 16;
    if (rest == 2) v |= static_cast<std::uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8;
    out += kBase64Alphabet[(v >> 18) & 63];
    out += kBase64Alphabet[(v >> 12) & 63];
    out += rest == 2 ? kBase64Alphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string GenerateKey(std::string_view prefix) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::random_device rd;
  std::string key(prefix);
  key += '_';
  for (int i = 0; i < 4; ++i) {
    std::uint32_t word = rd();
    for (int k = 0; k < 8; ++k) {
      key += kHex[word & 0xFu];
      word >>= 4;
    }
  }
  return key;
}

std::string RenderKeysJson(const std::vector<ApiKey>& keys) {
  JsonWriter w;
  w.BeginObject().Key("keys").BeginArray();
  for (const ApiKey& k : keys) {
    w.BeginObject().Key("key").String(k.key).Key("scopes").BeginArray();
    for (Scope s : {Scope::kRead, Scope::kWrite, Scope::kAdmin}) {
      if (k.scopes.Has(s)) w.String(ScopeName(s));
    }
    w.EndArray();
    if (!k.name.empty()) w.Key("name").String(k.name);
    w.EndObject();
  }
  w.EndArray().EndObject();
  return w.Release() + "\n";
}

}  // namespace cdp
