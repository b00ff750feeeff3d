// The two-way line between staff and a case's hosts (issue 15): which changes of a case its
// hosts are told of, and how staff name a host's request for a person. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "bot/cases/case.hpp"

namespace gvo::cases {

// The desk text a case's hosts are sent, in their language, when the case takes status: found,
// released, deported, closed ("host.line.located"...). "" for a status they are not told of:
// the steps of staff's own work (acknowledged, lawyer...) are not news for the host.
std::string host_notice_key(Status status);

// A request's number as staff write it first in "reply 3 text" or "done 3" ("3", "#3", "n°3",
// "nr.3", Arabic-Indic digits too); nothing when the word is not one.
std::optional<std::int64_t> request_number(std::string_view word);

// The Brussels time of day of a moment, "09:05" (Unix seconds).
std::string brussels_clock(std::int64_t unix_seconds);

// The text after the first word ("reply 3 can you call us?" -> "can you call us?").
std::string after_first_word(std::string_view text);

}  // namespace gvo::cases
