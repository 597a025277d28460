// Tests for cdp/status.h: codes, names, context and the Result/macro plumbing.
#include "cdp/status.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace cdp {
namespace {

TEST(StatusTest, DefaultIsOkWithEmptyMessage) {
  const Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kOk);
  EXPECT_EQ(s.message(), "");
  EXPECT_EQ(s.ToString(), "ok");
  EXPECT_EQ(s, Status::Ok());
}

TEST(StatusTest, OkCodeWithMessageIsStillOkAndDropsTheMessage) {
  const Status s(StatusCode::kOk, "ignored");
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.message(), "");
}

TEST(StatusTest, ErrorCarriesCodeAndMessage) {
  const Status s(StatusCode::kNotFound, "no such profile");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "no such profile");
  EXPECT_EQ(s.ToString(), "not_found: no such profile");
}

TEST(StatusTest, EveryCodeHasItsSnakeCaseName) {
  const std::vector<std::pair<StatusCode, std::string_view>> cases = {
      {StatusCode::kOk, "ok"},
      {StatusCode::kInvalidArgument, "invalid_argument"},
      {StatusCode::kUnauthenticated, "unauthenticated"},
      {StatusCode::kPermissionDenied, "permission_denied"},
      {StatusCode::kNotFound, "not_found"},
      {StatusCode::kConflict, "conflict"},
      {StatusCode::kPayloadTooLarge, "payload_too_large"},
      {StatusCode::kResourceExhausted, "resource_exhausted"},
      {StatusCode::kUnavailable, "unavailable"},
      {StatusCode::kFailedPrecondition, "failed_precondition"},
      {StatusCode::kIoError, "io_error"},
      {StatusCode::kCorruption, "corruption"},
      {StatusCode::kInternal, "internal"},
  };
  for (const auto& [code, name] : cases) {
    EXPECT_EQ(StatusCodeName(code), name);
  }
}

TEST(StatusTest, EachErrorFactoryReturnsItsCode) {
  struct Case {
    Status status;
    StatusCode code;
  };
  const std::vector<Case> cases = {
      {InvalidArgumentError("m"), StatusCode::kInvalidArgument},
      {UnauthenticatedError("m"), StatusCode::kUnauthenticated},
      {PermissionDeniedError("m"), StatusCode::kPermissionDenied},
      {NotFoundError("m"), StatusCode::kNotFound},
      {ConflictError("m"), StatusCode::kConflict},
      {PayloadTooLargeError("m"), StatusCode::kPayloadTooLarge},
      {ResourceExhaustedError("m"), StatusCode::kResourceExhausted},
      {UnavailableError("m"), StatusCode::kUnavailable},
      {FailedPreconditionError("m"), StatusCode::kFailedPrecondition},
      {IoError("m"), StatusCode::kIoError},
      {CorruptionError("m"), StatusCode::kCorruption},
      {InternalError("m"), StatusCode::kInternal},
  };
  for (const Case& c : cases) {
    EXPECT_FALSE(c.status.ok()) << StatusCodeName(c.code);
    EXPECT_EQ(c.status.code(), c.code);
    EXPECT_EQ(c.status.message(), "m");
  }
}

TEST(StatusTest, EqualityComparesCodeAndMessage) {
  EXPECT_EQ(NotFoundError("a"), NotFoundError("a"));
  EXPECT_FALSE(NotFoundError("a") == NotFoundError("b"));
  EXPECT_FALSE(NotFoundError("a") == ConflictError("a"));
  EXPECT_FALSE(NotFoundError("") == Status::Ok());
}

TEST(StatusTest, WithContextPrependsContextAndKeepsCode) {
  const Status s = IoError("disk full").WithContext("writing segment 7");
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_EQ(s.message(), "writing segment 7: disk full");
}

TEST(StatusTest, WithContextNests) {
  const Status s = NotFoundError("x").WithContext("inner").WithContext("outer");
  EXPECT_EQ(s.message(), "outer: inner: x");
}

TEST(StatusTest, WithContextOnOkStaysOk) {
  const Status s = Status::Ok().WithContext("anything");
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.message(), "");
}

TEST(StatusTest, WithContextLeavesTheOriginalUnchanged) {
  const Status original = ConflictError("busy");
  const Status derived = original.WithContext("ctx");
  EXPECT_EQ(original.message(), "busy");
  EXPECT_EQ(derived.message(), "ctx: busy");
}

TEST(StatusTest, CopiesCompareEqual) {
  const Status a = CorruptionError("bad block");
  const Status b = a;  // NOLINT(performance-unnecessary-copy-initialization)
  EXPECT_EQ(a, b);
  EXPECT_EQ(b.ToString(), "corruption: bad block");
}

TEST(ResultTest, HoldsValue) {
  Result<int> r = 42;
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.status().ok());
  EXPECT_EQ(r.value(), 42);
  EXPECT_EQ(*r, 42);
}

TEST(ResultTest, HoldsError) {
  Result<int> r = NotFoundError("gone");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(r.status().message(), "gone");
}

TEST(ResultTest, ConvertsFromConstructibleType) {
  Result<std::string> r = "text";
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "text");
  EXPECT_EQ(r->size(), 4u);
}

TEST(ResultTest, ValueIsMutableThroughReference) {
  Result<std::vector<int>> r = std::vector<int>{1, 2};
  ASSERT_TRUE(r.ok());
  r->push_back(3);
  r.value().push_back(4);
  EXPECT_EQ(*r, (std::vector<int>{1, 2, 3, 4}));
}

TEST(ResultTest, MoveOnlyValueCanBeMovedOut) {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(7);
  ASSERT_TRUE(r.ok());
  std::unique_ptr<int> p = std::move(r).value();
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(*p, 7);
}

// Helpers that use the macros the way production code does.

Status FailIf(bool fail) {
  if (fail) return InvalidArgumentError("asked to fail");
  return Status::Ok();
}

Result<int> ParsePositive(int x) {
  if (x <= 0) return InvalidArgumentError("not positive");
  return x;
}

// Counts how far it got so the tests can see that an error returns early.
Status TwoSteps(bool fail_first, bool fail_second, int* steps) {
  CDP_RETURN_IF_ERROR(FailIf(fail_first));
  ++*steps;
  CDP_RETURN_IF_ERROR(FailIf(fail_second).WithContext("second"));
  ++*steps;
  return Status::Ok();
}

Status CheckResult(int x, int* steps) {
  CDP_RETURN_IF_ERROR(ParsePositive(x));
  ++*steps;
  return Status::Ok();
}

Result<int> SumOfPositives(int a, int b) {
  CDP_ASSIGN_OR_RETURN(int x, ParsePositive(a));
  CDP_ASSIGN_OR_RETURN(const int y, ParsePositive(b));
  return x + y;
}

Result<std::string> MaybeHello(int n) {
  if (n <= 0) return NotFoundError("n");
  return std::string("hello");
}

Result<std::string> Greeting(int n) {
  std::string out = "hi";
  CDP_ASSIGN_OR_RETURN(out, MaybeHello(n));
  return out;
}

Status AssignMoveOnly(bool fail, int* seen) {
  auto make = [fail]() -> Result<std::unique_ptr<int>> {
    if (fail) return UnavailableError("later");
    return std::make_unique<int>(5);
  };
  CDP_ASSIGN_OR_RETURN(std::unique_ptr<int> p, make());
  *seen = *p;
  return Status::Ok();
}

TEST(StatusMacrosTest, ReturnIfErrorContinuesOnOk) {
  int steps = 0;
  EXPECT_TRUE(TwoSteps(false, false, &steps).ok());
  EXPECT_EQ(steps, 2);
}

TEST(StatusMacrosTest, ReturnIfErrorReturnsFirstError) {
  int steps = 0;
  const Status s = TwoSteps(true, false, &steps);
  EXPECT_EQ(s, InvalidArgumentError("asked to fail"));
  EXPECT_EQ(steps, 0);
}

TEST(StatusMacrosTest, ReturnIfErrorReturnsLaterErrorWithContext) {
  int steps = 0;
  const Status s = TwoSteps(false, true, &steps);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "second: asked to fail");
  EXPECT_EQ(steps, 1);
}

TEST(StatusMacrosTest, ReturnIfErrorAcceptsResult) {
  int steps = 0;
  EXPECT_TRUE(CheckResult(3, &steps).ok());
  EXPECT_EQ(steps, 1);
  const Status s = CheckResult(-1, &steps);
  EXPECT_EQ(s, InvalidArgumentError("not positive"));
  EXPECT_EQ(steps, 1);
}

TEST(StatusMacrosTest, AssignOrReturnAssignsOnOk) {
  const Result<int> r = SumOfPositives(2, 3);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 5);
}

TEST(StatusMacrosTest, AssignOrReturnPropagatesEitherError) {
  const Result<int> first = SumOfPositives(-2, 3);
  EXPECT_EQ(first.status(), InvalidArgumentError("not positive"));
  const Result<int> second = SumOfPositives(2, 0);
  EXPECT_EQ(second.status(), InvalidArgumentError("not positive"));
}

TEST(StatusMacrosTest, AssignOrReturnAssignsToExistingVariable) {
  const Result<std::string> ok = Greeting(1);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, "hello");
  const Result<std::string> error = Greeting(0);
  EXPECT_EQ(error.status().code(), StatusCode::kNotFound);
}

TEST(StatusMacrosTest, AssignOrReturnMovesMoveOnlyValues) {
  int seen = 0;
  EXPECT_TRUE(AssignMoveOnly(false, &seen).ok());
  EXPECT_EQ(seen, 5);
  seen = 0;
  EXPECT_EQ(AssignMoveOnly(true, &seen).code(), StatusCode::kUnavailable);
  EXPECT_EQ(seen, 0);
}

}  // namespace
}  // namespace cdp
