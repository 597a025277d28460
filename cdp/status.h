// Status and Result<T>: how every fallible call in the project reports an expected failure.
// Our code does not throw; a Status carries a code and a message meant for operators.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace cdp {

// The error space. api/ maps each code to one HTTP status (see api/http_status.cc).
enum class StatusCode : std::uint8_t {
  kOk = 0,
  kInvalidArgument,   // bad input from a caller
  kUnauthenticated,   // missing or unknown key
  kPermissionDenied,  // key lacks a scope
  kNotFound,
  kConflict,            // the request contradicts the stored state
  kPayloadTooLarge,     // a request over a size limit
  kResourceExhausted,   // overload: retry later
  kUnavailable,         // shutting down or not ready: retry later
  kFailedPrecondition,  // the system is not in a state that allows the operation
  kIoError,
  kCorruption,
  kInternal,
};

// Returns the stable snake_case name of `code` ("invalid_argument"), used in error bodies.
std::string_view StatusCodeName(StatusCode code);

// Value type; cheap to copy when ok (no allocation). Thread-compatible.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string_view message);

  static Status Ok() { return Status(); }

  bool ok() const { return rep_ == nullptr; }
  StatusCode code() const { return rep_ ? rep_->code : StatusCode::kOk; }
  // Empty when ok.
  std::string_view message() const { return rep_ ? std::string_view(rep_->message) : ""; }
  // "invalid_argument: message", or "ok".
  std::string ToString() const;

  // Returns a copy with `context + ": "` prepended to the message; ok stays ok.
  Status WithContext(std::string_view context) const;

  // Explicitly discards a status where the failure is acceptable (logged elsewhere).
  void IgnoreError() const {}

  friend bool operator==(const Status& a, const Status& b) {
    return a.code() == b.code() && a.message() == b.message();
  }

 private:
  struct Rep {
    StatusCode code;
    std::string message;
  };
  std::shared_ptr<const Rep> rep_;
};

Status InvalidArgumentError(std::string_view message);
Status UnauthenticatedError(std::string_view message);
Status PermissionDeniedError(std::string_view message);
Status NotFoundError(std::string_view message);
Status ConflictError(std::string_view message);
Status PayloadTooLargeError(std::string_view message);
Status ResourceExhaustedError(std::string_view message);
Status UnavailableError(std::string_view message);
Status FailedPreconditionError(std::string_view message);
Status IoError(std::string_view message);
Status CorruptionError(std::string_view message);
Status InternalError(std::string_view message);

// Either a T or a non-ok Status. Thread-compatible.
template <typename T>
class [[nodiscard]] Result {
 public:
  // REQUIRES: !status.ok().
  Result(Status status) : value_(std::move(status)) {}  // NOLINT(google-explicit-constructor)
  Result(T value) : value_(std::move(value)) {}         // NOLINT(google-explicit-constructor)
  // Converts from anything T can be built from (a unique_ptr<Derived> into unique_ptr<Base>).
  // It is constrained away from T and Status, so it hides neither copy nor move.
  // NOLINTBEGIN(google-explicit-constructor,bugprone-forwarding-reference-overload)
  template <typename U>
  requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::decay_t<U>, T> &&
           !std::is_same_v<std::decay_t<U>, Status>) Result(U&& value)
      : value_(T(std::forward<U>(value))) {}
  // NOLINTEND(google-explicit-constructor,bugprone-forwarding-reference-overload)

  bool ok() const { return std::holds_alternative<T>(value_); }
  // Ok when a value is held.
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(value_); }

  // REQUIRES: ok().
  T& value() & { return std::get<T>(value_); }
  const T& value() const& { return std::get<T>(value_); }
  T&& value() && { return std::get<T>(std::move(value_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<Status, T> value_;
};

namespace internal {
inline Status AsStatus(const Status& s) { return s; }
template <typename T>
Status AsStatus(const Result<T>& r) {
  return r.status();
}
}  // namespace internal

}  // namespace cdp

#define CDP_STATUS_CONCAT_INNER_(a, b) a##b
#define CDP_STATUS_CONCAT_(a, b) CDP_STATUS_CONCAT_INNER_(a, b)

// Returns from the enclosing function when `expr` (a Status or Result) is not ok.
#define CDP_RETURN_IF_ERROR(expr)                                  \
  do {                                                             \
    ::cdp::Status cdp_status_ = ::cdp::internal::AsStatus((expr)); \
    if (!cdp_status_.ok()) return cdp_status_;                     \
  } while (false)

// `CDP_ASSIGN_OR_RETURN(auto x, MakeX());` declares x from an ok Result or returns its Status.
#define CDP_ASSIGN_OR_RETURN(lhs, expr) \
  CDP_ASSIGN_OR_RETURN_IMPL_(CDP_STATUS_CONCAT_(cdp_result_, __LINE__), lhs, expr)
// NOLINTBEGIN(bugprone-macro-parentheses): `result` is an identifier and `lhs` a declaration.
#define CDP_ASSIGN_OR_RETURN_IMPL_(result, lhs, expr) \
  auto result = (expr);                               \
  if (!result.ok()) return result.status();           \
  lhs = std::move(result).value()
// NOLINTEND(bugprone-macro-parentheses)
