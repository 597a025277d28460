#include "api/router.h"

namespace cdp::api {

Router::Router(std::shared_ptr<const KeySet> keys) : keys_(std::move(keys)) {}

std::vector<std::string> Router::SplitPath(std::string_view path) {
  std::vector<std::string> segments;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    if (slash > start) segments.emplace_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return segments;
}

void Router::Add(std::string_view method, std::string_view pattern, std::optional<Scope> scope,
                 RequestHandler handler) {
  Route route;
  route.method = std::string(method);
  route.segments = SplitPath(pattern);
  route.auth = scope.has_value() ? Auth::kScope : Auth::kNone;
  route.scope = scope.value_or(Scope::kRead);
  route.handler = std::move(handler);
  routes_.push_back(std::move(route));
}

void Router::AddWithAnyKey(std::string_view method, std::string_view pattern,
                           RequestHandler handler) {
  Add(method, pattern, std::nullopt, std::move(handler));
  routes_.back().auth = Auth::kAnyKey;
}

bool Router::Match(const Route& route, const std::vector<std::string>& segments,
                   std::vector<std::pair<std::string, std::string>>* params) const {
  if (route.segments.size() != segments.size()) return false;
  params->clear();
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const std::string& want = route.segments[i];
    if (want.size() > 2 && want.front() == '{' && want.back() == '}') {
      auto decoded = PercentDecode(segments[i], /*plus_as_space=*/false);
      if (!decoded.ok()) return false;
      params->emplace_back(want.substr(1, want.size() - 2), std::move(decoded).value());
    } else if (want != segments[i]) {
      return false;
    }
  }
  return true;
}

Result<std::optional<std::string>> Router::RequestKey(const HttpRequest& request) {
  const auto header = request.Header("authorization");
  if (!header.has_value()) return std::optional<std::string>();
  CDP_ASSIGN_OR_RETURN(std::string key, KeyFromAuthorizationHeader(*header));
  return std::optional<std::string>(std::move(key));
}

Status Router::Authenticate(const Route& route, const HttpRequest& request) const {
  CDP_ASSIGN_OR_RETURN(std::optional<std::string> key, RequestKey(request));
  if (route.auth == Auth::kScope) {
    return keys_->Authorize(key ? std::optional<std::string_view>(*key) : std::nullopt,
                            route.scope);
  }
  if (!key.has_value() || key->empty()) return UnauthenticatedError("missing API key");
  if (!keys_->Lookup(*key).has_value()) return UnauthenticatedError("unknown API key");
  return Status::Ok();
}

void Router::Dispatch(HttpRequest&& request, Responder respond) const {
  const std::vector<std::string> segments = SplitPath(request.path);
  std::vector<std::pair<std::string, std::string>> params;
  const Route* found = nullptr;
  bool path_known = false;
  std::string allowed;
  for (const Route& route : routes_) {
    if (!Match(route, segments, &params)) continue;
    path_known = true;
    if (route.method == request.method) {
      found = &route;
      break;
    }
    if (!allowed.empty()) allowed += ", ";
    allowed += route.method;
  }
  if (found == nullptr) {
    if (!path_known) {
      respond(ErrorResponse(NotFoundError("no route for this path")));
      return;
    }
    HttpResponse response = ErrorResponse(InvalidArgumentError("method not allowed"));
    response.status = 405;
    response.headers.emplace_back("Allow", allowed);
    respond(std::move(response));
    return;
  }
  if (found->auth != Auth::kNone) {
    Status s = Authenticate(*found, request);
    if (!s.ok()) {
      HttpResponse response = ErrorResponse(s);
      if (response.status == 401) {
        response.headers.emplace_back("WWW-Authenticate", "Basic realm=\"cdp\"");
      }
      respond(std::move(response));
      return;
    }
  }
  request.path_params = std::move(params);
  found->handler(std::move(request), std::move(respond));
}

}  // namespace cdp::api
