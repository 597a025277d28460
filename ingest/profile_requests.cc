#include "ingest/profile_requests.h"

#include <simdjson.h>

namespace cdp::ingest {
namespace {

namespace dom = simdjson::dom;

constexpr std::size_t kMaxDepth = 8;

Status JsonError(simdjson::error_code e) {
  if (e == simdjson::UTF8_ERROR) return InvalidArgumentError("the body is not valid UTF-8");
  if (e == simdjson::DEPTH_ERROR) return InvalidArgumentError("the JSON is nested too deeply");
  return InvalidArgumentError(std::string("malformed JSON: ") + simdjson::error_message(e));
}

}  // namespace

Result<std::vector<std::string>> ParseSplitRequest(std::string_view body) {
  if (body.size() > kMaxSplitBodyBytes) return PayloadTooLargeError("the body is too large");
  dom::parser parser(kMaxSplitBodyBytes);
  if (auto e = parser.allocate(body.size() + 1, kMaxDepth + 1); e) return JsonError(e);
  const simdjson::padded_string padded(body);
  dom::element root;
  if (auto e = parser.parse(padded).get(root); e) return JsonError(e);
  dom::object object;
  if (root.get_object().get(object) != simdjson::SUCCESS) {
    return InvalidArgumentError("the body must be a JSON object");
  }
  std::vector<std::string> refs;
  bool found = false;
  for (auto [key, value] : object) {
    if (key != "identifiers") {
      return InvalidArgumentError("unknown field '" + std::string(key) + "'");
    }
    if (found) return InvalidArgumentError("identifiers: given more than once");
    dom::array list;
    if (value.get_array().get(list) != simdjson::SUCCESS) {
      return InvalidArgumentError("identifiers: expected an array of \"type:value\" strings");
    }
    found = true;
    std::size_t i = 0;
    for (dom::element element : list) {
      std::string_view text;
      if (element.get_string().get(text) != simdjson::SUCCESS) {
        return InvalidArgumentError("identifiers[" + std::to_string(i) + "]: expected a string");
      }
      if (refs.size() == kMaxSplitIdentifiers) {
        return InvalidArgumentError("identifiers: more than " +
                                    std::to_string(kMaxSplitIdentifiers));
      }
      refs.emplace_back(text);
      ++i;
    }
  }
  if (!found) return InvalidArgumentError("missing 'identifiers'");
  if (refs.empty()) return InvalidArgumentError("identifiers: empty");
  return refs;
}

}  // namespace cdp::ingest
