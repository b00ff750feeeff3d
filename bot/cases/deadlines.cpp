#include "bot/cases/deadlines.hpp"

#include <cmath>

#include "flows/validators.hpp"

namespace gvo::cases {

std::vector<Deadline> deadlines_from(const flows::CivilDate& start) {
  std::vector<Deadline> deadlines;
  const long first = flows::days_from_civil(start);
  for (int days : kDeadlineDays) {
    Deadline deadline;
    deadline.days = days;
    deadline.due = flows::civil_from_days(first + days);
    deadline.alert_at_ms = static_cast<std::int64_t>(std::llround(
        flows::brussels_time(flows::civil_from_days(first + days - 1), kAlertHour, 0)));
    deadlines.push_back(deadline);
  }
  return deadlines;
}

}  // namespace gvo::cases
