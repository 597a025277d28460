#include "cdp/status.h"

namespace cdp {

std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "ok";
    case StatusCode::kInvalidArgument: return "invalid_argument";
    case StatusCode::kUnauthenticated: return "unauthenticated";
    case StatusCode::kPermissionDenied: return "permission_denied";
    case StatusCode::kNotFound: return "not_found";
    case StatusCode::kConflict: return "conflict";
    case StatusCode::kPayloadTooLarge: return "payload_too_large";
    case StatusCode::kResourceExhausted: return "resource_exhausted";
    case StatusCode::kUnavailable: return "unavailable";
    case StatusCode::kFailedPrecondition: return "failed_precondition";
    case StatusCode::kIoError: return "io_error";
    case StatusCode::kCorruption: return "corruption";
    case StatusCode::kInternal: return "internal";
  }
  return "unknown";
}

Status::Status(StatusCode code, std::string_view message) {
  if (code != StatusCode::kOk) {
    rep_ = std::make_shared<const Rep>(Rep{code, std::string(message)});
  }
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  std::string out(StatusCodeName(code()));
  out += ": ";
  out += message();
  return out;
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  std::string message(context);
  message += ": ";
  message += this->message();
  return Status(code(), message);
}

Status InvalidArgumentError(std::string_view m) { return {StatusCode::kInvalidArgument, m}; }
Status UnauthenticatedError(std::string_view m) { return {StatusCode::kUnauthenticated, m}; }
Status PermissionDeniedError(std::string_view m) { return {StatusCode::kPermissionDenied, m}; }
Status NotFoundError(std::string_view m) { return {StatusCode::kNotFound, m}; }
Status ConflictError(std::string_view m) { return {StatusCode::kConflict, m}; }
Status PayloadTooLargeError(std::string_view m) { return {StatusCode::kPayloadTooLarge, m}; }
Status ResourceExhaustedError(std::string_view m) { return {StatusCode::kResourceExhausted, m}; }
Status UnavailableError(std::string_view m) { return {StatusCode::kUnavailable, m}; }
Status FailedPreconditionError(std::string_view m) { return {StatusCode::kFailedPrecondition, m}; }
Status IoError(std::string_view m) { return {StatusCode::kIoError, m}; }
Status CorruptionError(std::string_view m) { return {StatusCode::kCorruption, m}; }
Status InternalError(std::string_view m) { return {StatusCode::kInternal, m}; }

}  // namespace cdp
