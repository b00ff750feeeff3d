// The one-time codes that claim a provisioned gvo-relay account: 60 random bits written as
// twelve Crockford base32 digits, XXXX-XXXX-XXXX, easy to read out and type. Pure functions; any
// thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gvo::relay {

constexpr int kClaimCodeBits = 60;

// The low 60 bits of bits as XXXX-XXXX-XXXX.
std::string format_claim_code(std::uint64_t bits);

// The code as typed, in its canonical form (twelve digits, capitals, no dashes): case does not
// matter, dashes and spaces are dropped, O reads as 0 and I or L as 1. Nothing when it is not a
// code.
std::optional<std::string> canonical_claim_code(std::string_view typed);

}  // namespace gvo::relay
