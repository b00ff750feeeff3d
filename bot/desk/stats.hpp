// Anonymous counts of cases by month (of the report, Brussels time), centre and status, living
// cases and those retention purged together, and of purged conversations that never became a
// case (status "conversation"): for `stats` by chat and `gvo-bot stats --csv`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "storage/store.hpp"

namespace gvo::desk {

// The status of the counts of purged conversations that never became a case.
inline constexpr char kConversationCount[] = "conversation";

struct CaseCount {
  std::string month;   // "2026-03"
  std::string centre;  // a centre id, "unknown", "police_station" or "-"
  std::string status;  // the status, or the outcome a purged case had
  std::int64_t count = 0;
};

// Sorted by month, centre, status.
storage::Result<std::vector<CaseCount>> count_cases(storage::Store& store);

// "month,centre,status,count" and a line per count.
std::string to_csv(const std::vector<CaseCount>& counts);

}  // namespace gvo::desk
