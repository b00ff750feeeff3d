#include "bot/cases/deadlines.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

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

std::optional<flows::CivilDate> deadline_start(const Facts& facts) {
  if (facts.decision_date) return facts.decision_date;
  return facts.arrest_date;
}

std::vector<Deadline> deadlines_of(const Facts& facts, Status status) {
  const auto start = deadline_start(facts);
  if (is_final(status) || !start) return {};
  return deadlines_from(*start);
}

std::string alert_mark(const Deadline& deadline) {
  return std::to_string(deadline.days) + " " + flows::to_iso(deadline.due);
}

std::vector<Deadline> alerts_wanted(const std::vector<Deadline>& deadlines, long today,
                                    const std::vector<std::string>& sent_marks) {
  std::vector<Deadline> wanted;
  for (const auto& deadline : deadlines) {
    if (flows::days_from_civil(deadline.due) < today) continue;
    if (std::find(sent_marks.begin(), sent_marks.end(), alert_mark(deadline)) != sent_marks.end())
      continue;
    wanted.push_back(deadline);
  }
  std::sort(wanted.begin(), wanted.end(),
            [](const Deadline& a, const Deadline& b) { return a.alert_at_ms < b.alert_at_ms; });
  return wanted;
}

std::optional<Deadline> next_deadline(const std::vector<Deadline>& deadlines, long today) {
  std::optional<Deadline> next;
  for (const auto& deadline : deadlines) {
    const long due = flows::days_from_civil(deadline.due);
    if (due < today) continue;
    if (!next || due < flows::days_from_civil(next->due)) next = deadline;
  }
  return next;
}

long days_late(const Deadline& deadline, long today) {
  return std::max(0L, today - flows::days_from_civil(deadline.due));
}

std::int64_t next_brussels_hour_ms(std::int64_t now_ms, int hour) {
  const flows::CivilDate today = flows::brussels_date(static_cast<double>(now_ms));
  const auto at = [&](const flows::CivilDate& day) {
    return static_cast<std::int64_t>(std::llround(flows::brussels_time(day, hour, 0)));
  };
  const std::int64_t later_today = at(today);
  if (later_today > now_ms) return later_today;
  return at(flows::civil_from_days(flows::days_from_civil(today) + 1));
}

}  // namespace gvo::cases
