// `gvo-bot cases export`: every case as one JSON document for coordinators' own tools. The format
// is documented in bot/desk/CASES.md; it holds personal data, so the caller writes it to a new
// owner-only file.
#pragma once

#include <string>

#include "flows/engine.hpp"
#include "storage/store.hpp"

namespace gvo::desk {

storage::Result<std::string> export_cases(storage::Store& store, flows::TimePoint now);

}  // namespace gvo::desk
