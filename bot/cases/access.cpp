#include "bot/cases/access.hpp"

#include <algorithm>

namespace gvo::cases {

std::vector<StaffVerb> verbs_of(Role role) {
  if (role == Role::referent) {
    return {StaffVerb::help, StaffVerb::cases,  StaffVerb::show,
            StaffVerb::note, StaffVerb::status, StaffVerb::acknowledge};
  }
  return {StaffVerb::help,        StaffVerb::cases,   StaffVerb::show,   StaffVerb::assign,
          StaffVerb::note,        StaffVerb::status,  StaffVerb::link,   StaffVerb::unlink,
          StaffVerb::close,       StaffVerb::erase,   StaffVerb::audit,  StaffVerb::stats,
          StaffVerb::acknowledge, StaffVerb::consent, StaffVerb::verify, StaffVerb::staff};
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
