#include "ingest/config_parser.h"

#include <simdjson.h>

#include <string>

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
    } else if (name == "name" || name == "description") {
      // Free-text labels for operators; not used by the server.
      if (!field.is_string())
        return InvalidArgumentError(where + "." + std::string(name) + ": expected a string");
    } else {
      return InvalidArgumentError(where + ": unknown field '" + std::string(name) + "'");
    }
  }
  if (!has_key) return InvalidArgumentError(where + ": missing 'key'");
  if (!has_scopes) return InvalidArgumentError(where + ": missing 'scopes'");
  return key;
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
  for (auto [name, field] : root) {
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
