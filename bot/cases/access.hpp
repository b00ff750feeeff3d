// Who may do what (DESIGN §7): coordinators everything; referents look at, annotate and update
// the cases of their own centres and acknowledge alerts, and see of each what the detained person
// agreed to (bot/desk/CASES.md, "Who sees what"). Anyone else, or anything else, gets the very
// answer a case that does not exist would get. Pure.
#pragma once

#include <string>
#include <vector>

#include "bot/cases/case.hpp"
#include "bot/cases/desk_texts.hpp"
#include "bot/core/vocabulary.hpp"

namespace gvo::cases {

using Role = core::StaffRole;  // as the staff registry stores it (bot/core/vocabulary.hpp)

// Whether the role may use the command at all.
bool may_use(Role role, StaffVerb verb);

// Whether the role may correct that field (a result name of correctable_fields()) of a case it
// may see with the visit view or more: coordinators every field, referents what a visit checks
// (names, nationality, SP number, date of arrest, phone), never the centre or the consent.
bool may_correct(Role role, const std::string& field);

// Whether a member may see a case at centre (their own centres for a referent).
bool may_see(Role role, const std::vector<std::string>& centres, const std::string& case_centre);

// What a member is shown of a case: every time a case reaches them (alert, list, view, news).
enum class View {
  none,     // nothing: to them it does not exist
  reduced,  // consent not recorded: that a case exists, its centre and dates, no detail of the
            // person (no name, other name, nationality, date of birth, phone, nor words of others)
  visit,    // consent given: what a visit needs (referent_results)
  full,     // coordinators: everything
};

View view_of(Role role, const std::vector<std::string>& centres, const std::string& case_centre,
             Consent consent);
// The view of a referent of the case's centre (or of the centre it moved to).
View referent_view(Consent consent);

// The verbs the role may use, in the order help lists them.
std::vector<StaffVerb> verbs_of(Role role);

}  // namespace gvo::cases
