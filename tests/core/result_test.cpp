#include "bot/core/result.hpp"

#include <memory>
#include <string>

#include <catch2/catch.hpp>

namespace {

enum class SampleErrc { too_small, too_large };

using gvo::core::fail;
template <typename T>
using SampleResult = gvo::core::Result<T, SampleErrc>;

SampleResult<int> checked(int value) {
  if (value < 0) return fail(SampleErrc::too_small, "value " + std::to_string(value));
  if (value > 9) return fail(SampleErrc::too_large);
  return value * 2;
}

SampleResult<void> accept(int value) {
  if (auto doubled = checked(value); !doubled) return std::move(doubled).error();
  return {};
}

}  // namespace

TEST_CASE("a Result holds either the value or the module error with its detail") {
  const auto good = checked(4);
  REQUIRE(good.ok());
  CHECK(good.value() == 8);

  const auto bad = checked(-3);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.code() == SampleErrc::too_small);
  CHECK(bad.error().detail == "value -3");

  CHECK(checked(12).code() == SampleErrc::too_large);
  CHECK(checked(12).error().detail.empty());
}

TEST_CASE("a Result of void carries only success or the error") {
  CHECK(accept(1).ok());
  const auto refused = accept(10);
  REQUIRE_FALSE(refused);
  CHECK(refused.code() == SampleErrc::too_large);
}

TEST_CASE("a Result can hold a type that only moves") {
  SampleResult<std::unique_ptr<int>> owned(std::make_unique<int>(7));
  std::unique_ptr<int> taken = std::move(owned).value();
  REQUIRE(taken != nullptr);
  CHECK(*taken == 7);
}
