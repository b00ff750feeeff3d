// Result<T, Code>: the value of an operation that can fail, or the module error code that says why
// plus a detail text. Every module defines its own error enum and an alias of this template.
// Header-only, no I/O; safe to use from any thread.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace gvo::core {

// A failure: which error (a module's enum) and what it concerned. The detail names the thing that
// failed (a key path, a file, a table) and never carries personal data or message text.
template <typename Code>
struct Error {
  static_assert(std::is_enum_v<Code>, "error codes are module enums");
  Code code;
  std::string detail;
};

template <typename Code>
[[nodiscard]] Error<Code> fail(Code code, std::string detail = {}) {
  return Error<Code>{code, std::move(detail)};
}

template <typename T, typename Code>
class [[nodiscard]] Result {
 public:
  using Value = T;
  using Failure = Error<Code>;

  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit
  Result(Failure failure) : state_(std::in_place_index<1>, std::move(failure)) {}  // NOLINT

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok() && "value() of a failed Result");
    return std::get<0>(state_);
  }
  const T& value() const& {
    assert(ok() && "value() of a failed Result");
    return std::get<0>(state_);
  }
  T&& value() && {
    assert(ok() && "value() of a failed Result");
    return std::get<0>(std::move(state_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  template <typename U>
  T value_or(U&& fallback) const& {
    return ok() ? value() : static_cast<T>(std::forward<U>(fallback));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Failure& error() const& {
    assert(!ok() && "error() of a successful Result");
    return std::get<1>(state_);
  }
  Failure&& error() && {
    assert(!ok() && "error() of a successful Result");
    return std::get<1>(std::move(state_));
  }
  Code code() const { return error().code; }

 private:
  std::variant<T, Failure> state_;
};

template <typename Code>
class [[nodiscard]] Result<void, Code> {
 public:
  using Value = void;
  using Failure = Error<Code>;

  Result() = default;
  Result(Failure failure) : failure_(std::move(failure)) {}  // NOLINT: implicit

  bool ok() const { return !failure_.has_value(); }
  explicit operator bool() const { return ok(); }

  const Failure& error() const& {
    assert(!ok() && "error() of a successful Result");
    return *failure_;
  }
  Failure&& error() && {
    assert(!ok() && "error() of a successful Result");
    return std::move(*failure_);
  }
  Code code() const { return error().code; }

 private:
  std::optional<Failure> failure_;
};

}  // namespace gvo::core
