// The lawyer's deadlines: some recourses must be lodged within 5 days of a decision, others within
// 10 (domain/PROCEDURE.md). The bot counts from the date of arrest (or of the decision, when a
// coordinator gives it) and alerts the coordinators the day before each, at 09:00 in Brussels.
// Pure.
#pragma once

#include <chrono>
#include <vector>

#include "flows/answer.hpp"

namespace gvo::cases {

inline constexpr int kDeadlineDays[] = {5, 10};
inline constexpr int kAlertHour = 9;  // Europe/Brussels, the day before the deadline

struct Deadline {
  int days = 0;              // 5 or 10
  flows::CivilDate due;      // start + days
  std::int64_t alert_at_ms;  // 09:00 Brussels the day before, as Unix milliseconds
};

std::vector<Deadline> deadlines_from(const flows::CivilDate& start);

}  // namespace gvo::cases
