// Status and Result: how drover reports failures across module boundaries.
//
// Environment errors (an unreachable agent, a bad message, a failed lvcreate)
// travel as a Status or a Result<T>; broken invariants of our own code abort.
// Exceptions from third-party libraries are caught in their wrapper file and
// converted here, so no exception crosses a module boundary.
#pragma once

#include <string>
#include <string_view>
#include <tl/expected.hpp>
#include <utility>

namespace drover {

enum class Code {
  kOk = 0,
  kInvalidArgument,  // bad input: a flag, a file, a field, a message
  kNotFound,
  kAlreadyExists,
  kPermissionDenied,  // an unaccepted key, a wrong ticket
  kUnavailable,       // a peer that does not answer, a lost connection
  kTimeout,
  kInfeasible,  // a plan that cannot be made
  kAborted,
  kIoError,
  kInternal,
};

std::string_view CodeName(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  // Lets RETURN_IF_ERROR and ASSIGN_OR_RETURN work in functions that return
  // a plain Status as well as in those that return a Result.
  Status(tl::unexpected<Status> error);  // NOLINT(google-explicit-constructor)

  static Status Ok() { return {}; }
  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string ToString() const;

  // Returns a copy whose message is prefixed with `context: `.
  Status WithContext(std::string_view context) const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

inline Status::Status(tl::unexpected<Status> error) : Status(std::move(error.value())) {}

inline Status InvalidArgument(std::string m) { return {Code::kInvalidArgument, std::move(m)}; }
inline Status NotFound(std::string m) { return {Code::kNotFound, std::move(m)}; }
inline Status AlreadyExists(std::string m) { return {Code::kAlreadyExists, std::move(m)}; }
inline Status PermissionDenied(std::string m) { return {Code::kPermissionDenied, std::move(m)}; }
inline Status Unavailable(std::string m) { return {Code::kUnavailable, std::move(m)}; }
inline Status Timeout(std::string m) { return {Code::kTimeout, std::move(m)}; }
inline Status Infeasible(std::string m) { return {Code::kInfeasible, std::move(m)}; }
inline Status Aborted(std::string m) { return {Code::kAborted, std::move(m)}; }
inline Status IoError(std::string m) { return {Code::kIoError, std::move(m)}; }
inline Status Internal(std::string m) { return {Code::kInternal, std::move(m)}; }

// A value or the Status that explains why there is none.
template <typename T>
using Result = tl::expected<T, Status>;

inline tl::unexpected<Status> Err(Status s) { return tl::unexpected<Status>(std::move(s)); }

// Status from errno with the failing call and its object named.
Status ErrnoStatus(std::string_view what, int err);

}  // namespace drover

#define DROVER_CONCAT_INNER(a, b) a##b
#define DROVER_CONCAT(a, b) DROVER_CONCAT_INNER(a, b)

// Returns the Status from the enclosing function when `expr` is not ok.
#define RETURN_IF_ERROR(expr)                                        \
  do {                                                               \
    ::drover::Status drover_status_ = (expr);                        \
    if (!drover_status_.ok()) return tl::unexpected(drover_status_); \
  } while (0)

// Like RETURN_IF_ERROR, for functions that return Status rather than Result.
#define RETURN_STATUS_IF_ERROR(expr)                 \
  do {                                               \
    ::drover::Status drover_status_ = (expr);        \
    if (!drover_status_.ok()) return drover_status_; \
  } while (0)

// Binds `lhs` to the value of a Result, or returns its error.
#define ASSIGN_OR_RETURN(lhs, expr)                                         \
  auto DROVER_CONCAT(drover_result_, __LINE__) = (expr);                    \
  if (!DROVER_CONCAT(drover_result_, __LINE__))                             \
    return tl::unexpected(DROVER_CONCAT(drover_result_, __LINE__).error()); \
  lhs = std::move(*DROVER_CONCAT(drover_result_, __LINE__))
