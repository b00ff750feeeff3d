// The lawyer's deadlines: some recourses must be lodged within 5 days of a decision, others within
// 10 (domain/PROCEDURE.md). The bot counts from the date of the decision when a coordinator gave
// it, else from the date of arrest, and alerts the coordinators the day before each, at 09:00 in
// Brussels. The deadlines are a function of the case as it stands (its dates and status): the
// desk recomputes them on every change. Pure.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "bot/cases/case.hpp"
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

// The date the deadlines count from: the decision's when given, else the arrest's.
std::optional<flows::CivilDate> deadline_start(const Facts& facts);

// The deadlines a case in status wants alerts for: none once it is released, deported or closed,
// none without a start date.
std::vector<Deadline> deadlines_of(const Facts& facts, Status status);

// What an alert already sent is remembered by (an event's detail): the deadline and the day it
// fell on, so that a changed date gets an alert of its own. "5 2026-03-17".
std::string alert_mark(const Deadline& deadline);

// The deadlines still to be alerted: not past (due today or later), not alerted yet (marks of
// those sent), in date order.
std::vector<Deadline> alerts_wanted(const std::vector<Deadline>& deadlines, long today,
                                    const std::vector<std::string>& sent_marks);

// The first deadline due today or later, if any.
std::optional<Deadline> next_deadline(const std::vector<Deadline>& deadlines, long today);

// How many days ago the deadline fell (0: today or still to come).
long days_late(const Deadline& deadline, long today);

// The coordinators' daily digest goes at 09:00 Brussels time (summer time or not).
inline constexpr int kDigestHour = 9;
// The first moment after now_ms (Unix milliseconds) a Brussels clock shows hour:00, as Unix
// milliseconds: today's when it is still to come, else tomorrow's (23 or 25 hours away on the
// days the clocks change).
std::int64_t next_brussels_hour_ms(std::int64_t now_ms, int hour);

}  // namespace gvo::cases
