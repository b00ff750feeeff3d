// What the benchmarks give the desk for the random part of new case references: distinct and
// repeatable, without the cost of the system's random source that the bot uses.
#pragma once

#include <array>
#include <cstdint>

#include "bot/desk/desk.hpp"

namespace gvo::bench {

inline desk::Desk::Random counting_reference_bits() {
  return [counter = std::uint64_t{0}]() mutable {
    std::array<std::uint8_t, cases::kReferenceRandomBytes> bits{};
    std::uint64_t value = ++counter * 0x9E3779B97F4A7C15ull;
    for (auto& bit : bits) bit = static_cast<std::uint8_t>((value >>= 8) & 0xff);
    return bits;
  };
}

}  // namespace gvo::bench
