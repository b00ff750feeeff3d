// Staff enrolment codes: one-time, unguessable, easy to read out and type. An admin issues one
// with `gvo-bot staff add` (or `staff enrol`); the member's first message carries it, and only
// then is their identity key pinned. Pure: the randomness comes in as an argument.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gvo::cases {

// 60 bits: 12 symbols of the references' alphabet (no I, O, 0 or 1), as ABCD-EFGH-JKMN.
inline constexpr std::size_t kEnrolmentRandomBytes = 8;
inline constexpr std::size_t kEnrolmentSymbols = 12;

std::string make_enrolment_code(const std::array<std::uint8_t, kEnrolmentRandomBytes>& random);

// The code a message carries, normalised (upper case, no dashes or spaces), if it ends with one:
// "enrol ABCD-EFGH-JKMN", "abcd efgh jkmn", "ABCDEFGHJKMN." all carry ABCDEFGHJKMN. Anything else
// (a greeting, a question) carries none, so that it does not count as a wrong try.
std::optional<std::string> find_enrolment_code(std::string_view text);

}  // namespace gvo::cases
