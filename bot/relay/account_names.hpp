// Which account names gvo-relay accepts, and the look-alike skeleton that keeps a newcomer from
// taking a name that reads like a provisioned one (gvo-b0t for gvo-bot). Pure functions; any
// thread.
#pragma once

#include <string>
#include <string_view>

namespace gvo::relay {

// A name an account may already have: A-Z a-z 0-9 . _ -, 1 to 64 of them. Older relays let
// accounts register with capitals and a leading '_' or '-'; such rows keep working, so lookups
// accept them.
bool is_account_name(std::string_view name);

// A name a new account may take: [a-z0-9][a-z0-9._-]{0,63}.
bool is_new_account_name(std::string_view name);

// What a name looks like to a reader: lowercase, without . _ -, with 0 read as o, 1 and i as l,
// 5 as s, 3 as e, "rn" as m and "vv" as w. Two names with the same skeleton are look-alikes.
std::string skeleton(std::string_view name);

}  // namespace gvo::relay
