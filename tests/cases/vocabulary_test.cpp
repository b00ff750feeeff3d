// The stored words of staff roles, member states and case statuses: each value has one, each
// reads back, and no other word reads as any of them.
#include "bot/core/vocabulary.hpp"

#include <catch2/catch.hpp>

using namespace gvo;

TEST_CASE("vocabulary: every role, state and status has its stored word, read back") {
  using core::CaseStatus;
  using core::StaffRole;
  using core::StaffState;
  for (const auto& [role, word] : std::vector<std::pair<StaffRole, const char*>>{
           {StaffRole::coordinator, "coordinator"}, {StaffRole::referent, "referent"}}) {
    CHECK(core::to_string(role) == word);
    CHECK(core::parse_staff_role(word) == role);
  }
  for (const auto& [state, word] :
       std::vector<std::pair<StaffState, const char*>>{{StaffState::unverified, "unverified"},
                                                       {StaffState::active, "active"},
                                                       {StaffState::suspended, "suspended"}}) {
    CHECK(core::to_string(state) == word);
    CHECK(core::parse_staff_state(word) == state);
  }
  for (const auto& [status, word] :
       std::vector<std::pair<CaseStatus, const char*>>{{CaseStatus::reported, "new"},
                                                       {CaseStatus::acknowledged, "acknowledged"},
                                                       {CaseStatus::located, "located"},
                                                       {CaseStatus::not_found, "not_found"},
                                                       {CaseStatus::lawyer, "lawyer"},
                                                       {CaseStatus::released, "released"},
                                                       {CaseStatus::deported, "deported"},
                                                       {CaseStatus::transferred, "transferred"},
                                                       {CaseStatus::closed, "closed"}}) {
    CHECK(core::to_string(status) == word);
    CHECK(core::parse_status(word) == status);
  }
}

TEST_CASE("vocabulary: any other word is none of them") {
  for (const char* word : {"", "Coordinator", "coordinator ", "admin", "reported", "NEW", "open"}) {
    INFO("'" << word << "'");
    CHECK_FALSE(core::parse_staff_role(word));
    CHECK_FALSE(core::parse_staff_state(word));
    CHECK_FALSE(core::parse_status(word));
  }
}
