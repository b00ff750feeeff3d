// The pure case logic: references, name skeletons and linking keys, deadlines in Brussels time,
// what hosts' updates mean, and the desk texts' loader.
#include <set>

#include <catch2/catch.hpp>

#include "bot/cases/case.hpp"

using namespace gvo;

TEST_CASE("references: eight symbols, a dash, a digit and a letter; found in text") {
  std::array<std::uint8_t, cases::kReferenceRandomBytes> bits{};
  CHECK(cases::make_reference(bits).size() == 9);
}
