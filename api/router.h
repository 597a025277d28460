// Routes requests to handlers by method and path pattern, and checks the API key's scope
// before a handler runs. Sockets are not its business: it maps an HttpRequest to a response.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/http_types.h"
#include "cdp/auth.h"

namespace cdp::api {

// Configured once at start-up, then read concurrently: Add() is not thread-safe, Dispatch() is.
class Router {
 public:
  explicit Router(std::shared_ptr<const KeySet> keys);

  // Routes `method` on `pattern` ("/v1/profiles/{ref}/links": a `{name}` segment matches any
  // one non-empty segment and is passed as a path parameter). With a scope, a request needs a
  // key holding it (401 without a valid key, 403 without the scope); with kAnyKey it needs a
  // valid key of any scope; with nullopt no key.
  void Add(std::string_view method, std::string_view pattern, std::optional<Scope> scope,
           RequestHandler handler);
  void AddWithAnyKey(std::string_view method, std::string_view pattern, RequestHandler handler);

  // Matches, authenticates and calls the handler; unknown paths get a JSON 404, a known path
  // with another method a 405.
  void Dispatch(HttpRequest&& request, Responder respond) const;

  // The API key of a request: the Authorization header (Basic user name or Bearer), or
  // nullopt when there is none. kUnauthenticated when the header is malformed.
  static Result<std::optional<std::string>> RequestKey(const HttpRequest& request);

 private:
  enum class Auth { kNone, kAnyKey, kScope };
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    Auth auth = Auth::kNone;
    Scope scope = Scope::kRead;
    RequestHandler handler;
  };
  static std::vector<std::string> SplitPath(std::string_view path);
  // Ok when the request's key satisfies the route; kUnauthenticated or kPermissionDenied.
  Status Authenticate(const Route& route, const HttpRequest& request) const;
  bool Match(const Route& route, const std::vector<std::string>& segments,
             std::vector<std::pair<std::string, std::string>>* params) const;

  std::shared_ptr<const KeySet> keys_;
  std::vector<Route> routes_;
};

}  // namespace cdp::api
