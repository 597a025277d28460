#include "ingest/config_parser.h"

#include <simdjson.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "ingest/segment_parser.h"

namespace cdp::ingest {
namespace {

// The config is small and read once, so the DOM parser (which validates the whole document,
// trailing content included) is the simplest fit.
namespace dom = simdjson::dom;

Status JsonError(const std::string& where, simdjson::error_code error) {
  return InvalidArgumentError(where + ": " + simdjson::error_message(error));
}

Result<ApiKey> ParseKey(dom::element value, const std::string& where) {
  dom::object object;
  if (auto e = value.get_object().get(object); e) return JsonError(where, e);
  ApiKey key;
  bool has_key = false;
  bool has_scopes = false;
  for (auto [name, field] : object) {
    if (name == "key") {
      std::string_view text;
      if (auto e = field.get_string().get(text); e) return JsonError(where + ".key", e);
      key.key = std::string(text);
      has_key = true;
    } else if (name == "scopes") {
      dom::array scopes;
      if (auto e = field.get_array().get(scopes); e) return JsonError(where + ".scopes", e);
      std::size_t i = 0;
      for (dom::element element : scopes) {
        const std::string at = where + ".scopes[" + std::to_string(i++) + "]";
        std::string_view text;
        if (auto e = element.get_string().get(text); e) return JsonError(at, e);
        auto scope = ParseScope(text);
        if (!scope.ok()) return scope.status().WithContext(at);
        key.scopes.Add(*scope);
      }
      has_scopes = true;
    } else if (name == "name") {
      std::string_view text;
      if (auto e = field.get_string().get(text); e) return JsonError(where + ".name", e);
      if (!IsValidKeyName(text)) {
        return InvalidArgumentError(where + ".name: expected 1 to " +
                                    std::to_string(kMaxKeyNameLength) +
                                    " letters, digits, '_', '-' or '.'");
      }
      key.name = std::string(text);
    } else if (name == "description") {
      // A free-text note for operators; not used by the server.
      if (!field.is_string())
        return InvalidArgumentError(where + ".description: expected a string");
    } else {
      return InvalidArgumentError(where + ": unknown field '" + std::string(name) + "'");
    }
  }
  if (!has_key) return InvalidArgumentError(where + ": missing 'key'");
  if (!has_scopes) return InvalidArgumentError(where + ": missing 'scopes'");
  return key;
}

Result<std::int64_t> ParseInteger(dom::element value, const std::string& where, std::int64_t min,
                                  std::int64_t max) {
  std::int64_t n = 0;
  if (value.get_int64().get(n) != simdjson::SUCCESS || n < min || n > max) {
    return InvalidArgumentError(where + ": expected an integer from " + std::to_string(min) +
                                " to " + std::to_string(max));
  }
  return n;
}

Result<std::string> ParseString(dom::element value, const std::string& where) {
  std::string_view text;
  if (auto e = value.get_string().get(text); e) return JsonError(where, e);
  return std::string(text);
}

// An array of strings, each at most `max_length` bytes.
Result<std::vector<std::string>> ParseStrings(dom::element value, const std::string& where,
                                              std::size_t max_length) {
  dom::array array;
  if (auto e = value.get_array().get(array); e) return JsonError(where, e);
  std::vector<std::string> strings;
  std::size_t i = 0;
  for (dom::element element : array) {
    const std::string at = where + "[" + std::to_string(i++) + "]";
    CDP_ASSIGN_OR_RETURN(std::string text, ParseString(element, at));
    if (text.size() > max_length) {
      return InvalidArgumentError(at + ": longer than " + std::to_string(max_length) + " bytes");
    }
    strings.push_back(std::move(text));
  }
  return strings;
}

// One entry of identity.types: overrides the given fields of the type it names, or adds a
// custom type. `configured` marks the types an earlier entry named.
Status ParseIdentifierType(dom::element value, const std::string& where, IdentityConfig& identity,
                           std::vector<bool>& configured) {
  dom::object object;
  if (auto e = value.get_object().get(object); e) return JsonError(where, e);
  dom::element name_element;
  if (object.at_key("name").get(name_element) != simdjson::SUCCESS) {
    return InvalidArgumentError(where + ": missing 'name'");
  }
  CDP_ASSIGN_OR_RETURN(std::string name, ParseString(name_element, where + ".name"));
  std::optional<IdentifierType> type = identity.FindType(name);
  if (type.has_value() && configured[*type]) {
    return InvalidArgumentError(where + ".name: '" + name + "' is configured twice");
  }
  const bool custom = !type.has_value() || *type >= kBuiltinIdentifierTypes;
  if (!type.has_value()) {
    if (identity.types.size() >= kMaxIdentifierTypes) {
      return InvalidArgumentError(where + ": more than " + std::to_string(kMaxIdentifierTypes) +
                                  " identifier types");
    }
    IdentifierRule rule;
    rule.name = name;
    identity.types.push_back(std::move(rule));
    configured.push_back(false);
    type = static_cast<IdentifierType>(identity.types.size() - 1);
  }
  configured[*type] = true;
  IdentifierRule& rule = identity.types[*type];
  for (auto [field_name, field] : object) {
    const std::string at = where + "." + std::string(field_name);
    if (field_name == "name") {
      continue;
    } else if (field_name == "max_per_profile") {
      CDP_ASSIGN_OR_RETURN(std::int64_t n,
                           ParseInteger(field, at, 0, std::numeric_limits<std::uint32_t>::max()));
      rule.max_per_profile = static_cast<std::uint32_t>(n);
    } else if (field_name == "priority") {
      CDP_ASSIGN_OR_RETURN(std::int64_t n, ParseInteger(field, at, -1'000'000, 1'000'000));
      rule.priority = static_cast<int>(n);
    } else if (field_name == "linking") {
      if (auto e = field.get_bool().get(rule.linking); e) return JsonError(at, e);
    } else if (field_name == "paths") {
      CDP_ASSIGN_OR_RETURN(rule.paths, ParseStrings(field, at, kMaxIdentifierPathLength));
      for (std::size_t i = 0; i < rule.paths.size(); ++i) {
        Status s = CheckIdentifierPath(rule.paths[i]);
        if (!s.ok()) return s.WithContext(at + "[" + std::to_string(i) + "]");
      }
    } else {
      return InvalidArgumentError(where + ": unknown field '" + std::string(field_name) + "'");
    }
  }
  Status s = ValidateIdentifierRule(rule, custom);
  if (!s.ok()) return InvalidArgumentError(where + "." + std::string(s.message()));
  return Status::Ok();
}

// The "identity" section, applied over the defaults.
Result<IdentityConfig> ParseIdentity(dom::element value) {
  dom::object object;
  if (auto e = value.get_object().get(object); e) return JsonError("identity", e);
  IdentityConfig identity = IdentityConfig::Defaults();
  std::vector<bool> configured(identity.types.size(), false);
  for (auto [name, field] : object) {
    const std::string where = "identity." + std::string(name);
    if (name == "types") {
      dom::array types;
      if (auto e = field.get_array().get(types); e) return JsonError(where, e);
      std::size_t i = 0;
      for (dom::element element : types) {
        CDP_RETURN_IF_ERROR(ParseIdentifierType(element, where + "[" + std::to_string(i++) + "]",
                                                identity, configured));
      }
    } else if (name == "blocked_values") {
      // Added to the default block list, which cannot be shortened.
      CDP_ASSIGN_OR_RETURN(std::vector<std::string> blocked,
                           ParseStrings(field, where, kMaxIdentifierValueLength));
      identity.blocked_values.insert(identity.blocked_values.end(),
                                     std::make_move_iterator(blocked.begin()),
                                     std::make_move_iterator(blocked.end()));
    } else if (name == "default_region") {
      CDP_ASSIGN_OR_RETURN(identity.default_region, ParseString(field, where));
    } else {
      return InvalidArgumentError("identity: unknown field '" + std::string(name) + "'");
    }
  }
  Status s = identity.Validate();
  if (!s.ok()) return InvalidArgumentError("identity." + std::string(s.message()));
  return identity;
}

// The "matching" section, applied over the defaults.
Result<MatcherOptions> ParseMatching(dom::element value) {
  dom::object object;
  if (auto e = value.get_object().get(object); e) return JsonError("matching", e);
  MatcherOptions options;
  for (auto [name, field] : object) {
    const std::string where = "matching." + std::string(name);
    bool* flag = name == "enabled"            ? &options.enabled
                 : name == "given_must_agree" ? &options.given_must_agree
                 : name == "birth_must_agree" ? &options.birth_must_agree
                                              : nullptr;
    if (flag != nullptr) {
      if (auto e = field.get_bool().get(*flag); e) return JsonError(where, e);
      continue;
    }
    double* threshold = name == "link_threshold"            ? &options.link_threshold
                        : name == "review_threshold"        ? &options.review_threshold
                        : name == "contradiction_threshold" ? &options.contradiction_threshold
                                                            : nullptr;
    if (threshold != nullptr) {
      if (auto e = field.get_double().get(*threshold); e) return JsonError(where, e);
      continue;
    }
    std::size_t* target = name == "max_block_size"             ? &options.max_block_size
                          : name == "max_candidates"           ? &options.max_candidates
                          : name == "max_cluster_records"      ? &options.max_cluster_records
                          : name == "max_reviews_per_record"   ? &options.max_reviews_per_record
                          : name == "min_corroborating_fields" ? &options.min_corroborating_fields
                                                               : nullptr;
    if (target == nullptr) {
      return InvalidArgumentError("matching: unknown field '" + std::string(name) + "'");
    }
    std::uint64_t v = 0;
    if (auto e = field.get_uint64().get(v); e) return JsonError(where, e);
    *target = static_cast<std::size_t>(std::min<std::uint64_t>(v, 1'000'000'000));
  }
  Status s = options.Validate();
  if (!s.ok()) return InvalidArgumentError("matching." + std::string(s.message()));
  return options;
}

// The "profiles" section.
Result<TraitsOptions> ParseProfiles(dom::element value) {
  dom::object object;
  if (auto e = value.get_object().get(object); e) return JsonError("profiles", e);
  TraitsOptions options;
  for (auto [name, field] : object) {
    const std::string where = "profiles." + std::string(name);
    if (name == "source_priority") {
      dom::array array;
      if (auto e = field.get_array().get(array); e) return JsonError(where, e);
      if (array.size() > kMaxSourcePriorityEntries) {
        return InvalidArgumentError(where + ": more than " +
                                    std::to_string(kMaxSourcePriorityEntries) + " entries");
      }
      CDP_ASSIGN_OR_RETURN(options.source_priority,
                           ParseStrings(field, where, std::numeric_limits<std::size_t>::max()));
    } else {
      return InvalidArgumentError("profiles: unknown field '" + std::string(name) + "'");
    }
  }
  Status s = options.Validate();
  if (!s.ok()) return InvalidArgumentError("profiles." + std::string(s.message()));
  return options;
}

}  // namespace

Result<Config> ParseConfig(std::string_view json) {
  if (json.size() > kMaxConfigBytes) return InvalidArgumentError("config: larger than 4 MiB");
  dom::parser parser;
  dom::element root_element;
  if (auto e = parser.parse(json.data(), json.size()).get(root_element); e) {
    return JsonError("config", e);
  }
  dom::object root;
  if (auto e = root_element.get_object().get(root); e) return JsonError("config", e);
  Config config;
  bool has_identity = false;
  bool has_matching = false;
  bool has_profiles = false;
  for (auto [name, field] : root) {
    if (name == "profiles") {
      if (has_profiles) return InvalidArgumentError("profiles: given twice");
      has_profiles = true;
      CDP_ASSIGN_OR_RETURN(config.profiles, ParseProfiles(field));
      continue;
    }
    if (name == "matching") {
      if (has_matching) return InvalidArgumentError("matching: given twice");
      has_matching = true;
      CDP_ASSIGN_OR_RETURN(config.matching, ParseMatching(field));
      continue;
    }
    if (name == "identity") {
      if (has_identity) return InvalidArgumentError("identity: given twice");
      has_identity = true;
      CDP_ASSIGN_OR_RETURN(config.identity, ParseIdentity(field));
      continue;
    }
    if (name != "keys") continue;  // Later versions add sections; ignore them.
    dom::array keys;
    if (auto e = field.get_array().get(keys); e) return JsonError("keys", e);
    std::size_t i = 0;
    for (dom::element element : keys) {
      const std::string where = "keys[" + std::to_string(i++) + "]";
      CDP_ASSIGN_OR_RETURN(ApiKey key, ParseKey(element, where));
      config.keys.push_back(std::move(key));
    }
  }
  // Validate the keys the same way the server will.
  CDP_RETURN_IF_ERROR(KeySet::Create(config.keys).status());
  return config;
}

}  // namespace cdp::ingest
