#include "bot/cases/access.hpp"

#include <algorithm>

namespace gvo::cases {

std::vector<StaffVerb> verbs_of(Role role) {
  if (role == Role::referent) {
    return {StaffVerb::help,   StaffVerb::cases,       StaffVerb::show, StaffVerb::note,
            StaffVerb::status, StaffVerb::acknowledge, StaffVerb::find, StaffVerb::correct};
  }
  return {StaffVerb::help, StaffVerb::cases, StaffVerb::show, StaffVerb::assign, StaffVerb::note,
          StaffVerb::status, StaffVerb::link, StaffVerb::unlink, StaffVerb::close, StaffVerb::erase,
          StaffVerb::audit, StaffVerb::stats, StaffVerb::acknowledge, StaffVerb::consent,
          StaffVerb::verify, StaffVerb::staff, StaffVerb::deadlines, StaffVerb::correct,
          // the two-way line with hosts
          StaffVerb::reply, StaffVerb::requests, StaffVerb::done,
          // finding and managing cases
          StaffVerb::merge, StaffVerb::find};
}

bool may_correct(Role role, const std::string& field) {
  if (role == Role::coordinator) return true;
  // What a referent sees and can check on a visit; not the centre (a move hands the person's
  // data to another group: a coordinator confirms it), the consent (recorded by coordinators),
  // the decision date (a lawyer's matter) or the date of birth (never shown to referents).
  static const std::vector<std::string> kReferentFields = {"registered_name", "other_names",
                                                           "nationality",     "oe_number",
                                                           "arrest_date",     "detainee_phone"};
  return std::find(kReferentFields.begin(), kReferentFields.end(), field) != kReferentFields.end();
}

bool may_use(Role role, StaffVerb verb) {
  const auto allowed = verbs_of(role);
  return std::find(allowed.begin(), allowed.end(), verb) != allowed.end();
}

bool may_see(Role role, const std::vector<std::string>& centres, const std::string& case_centre) {
  if (role == Role::coordinator) return true;
  return std::find(centres.begin(), centres.end(), case_centre) != centres.end();
}

View view_of(Role role, const std::vector<std::string>& centres, const std::string& case_centre,
             Consent consent) {
  if (role == Role::coordinator) return View::full;
  if (!may_see(role, centres, case_centre)) return View::none;
  return referent_view(consent);
}

View referent_view(Consent consent) {
  switch (consent) {
    case Consent::yes:
      return View::visit;
    case Consent::no:
      return View::none;
    case Consent::not_asked:
      break;
  }
  return View::reduced;
}

}  // namespace gvo::cases
