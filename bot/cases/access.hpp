// Who may do what (DESIGN §7): coordinators everything; referents look at, annotate and update
// the cases of their own centres and acknowledge alerts. Anyone else, or anything else, gets the
// very answer a case that does not exist would get. Pure.
#pragma once

#include <string>
#include <vector>

#include "bot/cases/desk_texts.hpp"

namespace gvo::cases {

enum class Role { coordinator, referent };

// Whether the role may use the command at all.
bool may_use(Role role, StaffVerb verb);

// Whether a member may see a case at centre (their own centres for a referent).
bool may_see(Role role, const std::vector<std::string>& centres, const std::string& case_centre);

// The verbs the role may use, in the order help lists them.
std::vector<StaffVerb> verbs_of(Role role);

}  // namespace gvo::cases
