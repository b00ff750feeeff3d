#include "bot/desk/case_index.hpp"

#include <memory>

#include "bot/cases/case.hpp"
#include "bot/cases/matching.hpp"
#include "flows/session.hpp"

namespace gvo::desk {

storage::CaseIndexer case_indexer() {
  auto folder = std::make_shared<std::unique_ptr<flows::TextFolder>>();  // ICU: made if needed
  return [folder](std::string_view intake) -> storage::Result<storage::CaseIndexValues> {
    auto session = flows::session_from_json(intake);
    if (!session) {
      return storage::fail(storage::Errc::sealed_malformed, "an intake that is not a session");
    }
    if (!*folder) *folder = std::make_unique<flows::TextFolder>();
    const cases::Facts facts = cases::facts_of(session.value());
    return storage::CaseIndexValues{facts.centre, cases::match_keys(facts, **folder).kept};
  };
}

}  // namespace gvo::desk
