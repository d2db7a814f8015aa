// Status and Result<T>: how every Stratus function reports failure.
//
// A Status carries a code (what kind of failure, which the API layers map to HTTP/AWS errors) and a
// message a user can act on ("image ami-0123 not found", not "error 2"). No exceptions cross module
// boundaries; "can't happen" is a crash with a message (STRATUS_CHECK).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <variant>

namespace stratus {

enum class Code {
  kOk = 0,
  kInvalidArgument,     // the request is malformed or a value is out of range (HTTP 400)
  kNotFound,            // a named object does not exist (HTTP 404)
  kAlreadyExists,       // creating something whose name/id is taken (HTTP 409)
  kFailedPrecondition,  // the object is in the wrong state for the operation (HTTP 409)
  kConflict,            // a concurrent change won (revision mismatch) (HTTP 409)
  kResourceExhausted,   // a limit was reached (HTTP 429/400)
  kUnauthenticated,     // missing or bad credentials (HTTP 401/403)
  kPermissionDenied,    // credentials fine, not allowed (HTTP 403)
  kUnavailable,         // a dependency is down; retrying may help (HTTP 503)
  kInternal,            // a bug or an unexpected system failure (HTTP 500)
};

const char* CodeName(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // "NotFound: image ami-0123 not found"
  std::string ToString() const;

  // Returns a copy whose message is prefixed with `context: `.
  Status WithContext(const std::string& context) const;

  // The API-level error code, when the failure has a more precise name than its Code: AWS's codes
  // such as "InvalidInstanceID.NotFound" or "IncorrectInstanceState". Empty when not set.
  const std::string& error_code() const { return error_code_; }
  Status WithErrorCode(std::string error_code) const {
    Status s = *this;
    s.error_code_ = std::move(error_code);
    return s;
  }

 private:
  Code code_ = Code::kOk;
  std::string message_;
  std::string error_code_;
};

inline Status InvalidArgument(std::string m) { return Status(Code::kInvalidArgument, std::move(m)); }
inline Status NotFound(std::string m) { return Status(Code::kNotFound, std::move(m)); }
inline Status AlreadyExists(std::string m) { return Status(Code::kAlreadyExists, std::move(m)); }
inline Status FailedPrecondition(std::string m) { return Status(Code::kFailedPrecondition, std::move(m)); }
inline Status Conflict(std::string m) { return Status(Code::kConflict, std::move(m)); }
inline Status ResourceExhausted(std::string m) { return Status(Code::kResourceExhausted, std::move(m)); }
inline Status Unauthenticated(std::string m) { return Status(Code::kUnauthenticated, std::move(m)); }
inline Status PermissionDenied(std::string m) { return Status(Code::kPermissionDenied, std::move(m)); }
inline Status Unavailable(std::string m) { return Status(Code::kUnavailable, std::move(m)); }
inline Status Internal(std::string m) { return Status(Code::kInternal, std::move(m)); }

// Result<T>: either a value or a non-ok Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT: implicit by design
    if (std::get<Status>(v_).ok()) {
      std::fprintf(stderr, "Result constructed from an ok Status\n");
      std::abort();
    }
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace stratus

// Crash with a message when an invariant that cannot fail by design fails.
#define STRATUS_CHECK(cond, msg)                                                            \
  do {                                                                                      \
    if (!(cond)) {                                                                          \
      std::fprintf(stderr, "%s:%d: check failed: %s: %s\n", __FILE__, __LINE__, #cond, msg); \
      std::abort();                                                                         \
    }                                                                                       \
  } while (0)

// Return early from a function returning Status or Result<T> when `expr` (a Status) is not ok.
#define STRATUS_RETURN_IF_ERROR(expr)       \
  do {                                      \
    ::stratus::Status _st = (expr);         \
    if (!_st.ok()) return _st;              \
  } while (0)

#define STRATUS_CONCAT_INNER(a, b) a##b
#define STRATUS_CONCAT(a, b) STRATUS_CONCAT_INNER(a, b)
// STRATUS_ASSIGN_OR_RETURN(auto x, Foo()): x = Foo().value(), or return its Status.
#define STRATUS_ASSIGN_OR_RETURN(lhs, expr) \
  STRATUS_ASSIGN_OR_RETURN_IMPL(STRATUS_CONCAT(_res_, __LINE__), lhs, expr)
#define STRATUS_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return tmp.status();                 \
  lhs = std::move(tmp).value()
