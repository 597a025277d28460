#include "ingest/profile_requests.h"

#include <simdjson.h>

#include <optional>

namespace cdp::ingest {
namespace {

namespace dom = simdjson::dom;

constexpr std::size_t kMaxDepth = 8;

Status JsonError(simdjson::error_code e) {
  if (e == simdjson::UTF8_ERROR) return InvalidArgumentError("the body is not valid UTF-8");
  if (e == simdjson::DEPTH_ERROR) return InvalidArgumentError("the JSON is nested too deeply");
  return InvalidArgumentError(std::string("malformed JSON: ") + simdjson::error_message(e));
}

// The body as a JSON object (parsed by `parser`, which must outlive the result).
Result<dom::object> ParseObject(dom::parser& parser, std::string_view body,
                                const simdjson::padded_string& padded) {
  if (auto e = parser.allocate(body.size() + 1, kMaxDepth + 1); e) return JsonError(e);
  dom::element root;
  if (auto e = parser.parse(padded).get(root); e) return JsonError(e);
  dom::object object;
  if (root.get_object().get(object) != simdjson::SUCCESS) {
    return InvalidArgumentError("the body must be a JSON object");
  }
  return object;
}

}  // namespace

Result<bool> ParseReviewDecision(std::string_view body) {
  if (body.size() > kMaxReviewBodyBytes) return PayloadTooLargeError("the body is too large");
  dom::parser parser(kMaxReviewBodyBytes);
  const simdjson::padded_string padded(body);
  CDP_ASSIGN_OR_RETURN(dom::object object, ParseObject(parser, body, padded));
  std::optional<bool> decision;
  for (auto [key, value] : object) {
    if (key != "decision") return InvalidArgumentError("unknown field '" + std::string(key) + "'");
    if (decision) return InvalidArgumentError("decision: given more than once");
    std::string_view text;
    if (value.get_string().get(text) != simdjson::SUCCESS ||
        (text != "match" && text != "no_match")) {
      return InvalidArgumentError("decision: expected \"match\" or \"no_match\"");
    }
    decision = text == "match";
  }
  if (!decision) return InvalidArgumentError("missing 'decision'");
  return *decision;
}

Result<std::vector<std::string>> ParseSplitRequest(std::string_view body) {
  if (body.size() > kMaxSplitBodyBytes) return PayloadTooLargeError("the body is too large");
  dom::parser parser(kMaxSplitBodyBytes);
  const simdjson::padded_string padded(body);
  CDP_ASSIGN_OR_RETURN(dom::object object, ParseObject(parser, body, padded));
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
