// Plain HTTP request and response values, apart from sockets, so that request handling is a
// plain function that tests can call directly.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cdp/status.h"

namespace cdp::api {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // the target before '?', percent-decoding left to handlers
  std::string query;   // the target after '?', without it
  // Header names lower-cased; values as received.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Filled by the router from `{name}` segments of the matched route.
  std::vector<std::pair<std::string, std::string>> path_params;

  // The first header named `name` (lower-case), if present.
  std::optional<std::string_view> Header(std::string_view name) const;
  std::optional<std::string_view> PathParam(std::string_view name) const;
  // The value of query parameter `name`, percent-decoded; nullopt when absent.
  std::optional<std::string> QueryParam(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  // Extra headers, e.g. Retry-After.
  std::vector<std::pair<std::string, std::string>> headers;
};

// Delivers the response to a request. Call exactly once, from any thread.
using Responder = std::function<void(HttpResponse)>;

// Handles one request; must eventually call the responder exactly once.
using RequestHandler = std::function<void(HttpRequest&&, Responder)>;

// The one mapping from status codes to HTTP statuses.
int HttpStatusFor(StatusCode code);

// `{"error": {"code": "...", "message": "..."}}` with the status that fits. Internal errors
// (io_error, corruption, internal) carry a generic message: internals are not echoed.
// 429 and 503 carry Retry-After: `retry_after_seconds`.
HttpResponse ErrorResponse(const Status& status, int retry_after_seconds = 1);

// A 200 (or `status`) response with a JSON body.
HttpResponse JsonResponse(std::string body, int status = 200);

// Splits "path?query" into its two parts.
std::pair<std::string, std::string> SplitTarget(std::string_view target);

// Decodes %XX escapes (and '+' as space when `plus_as_space`). kInvalidArgument on a bad escape.
Result<std::string> PercentDecode(std::string_view in, bool plus_as_space);

}  // namespace cdp::api
