// A case's deadline alerts, kept in step with the case: set when it is filed, set again after
// every change of its dates or status (a case reopened gets them back), sent to the coordinators
// naming the person and the centre, and said to be late when the bot was down at their time.
// Inside the caller's transaction, like every desk call.
#include "bot/cases/deadlines.hpp"

#include <algorithm>

#include "bot/desk/desk.hpp"
#include "bot/log/log.hpp"

namespace gvo::desk {
namespace {

namespace log = gvo::log;

constexpr char kAlertedEvent[] = "deadline_alert";

}  // namespace

std::string Desk::centre_name(const std::string& centre) const {
  const auto* where = flows_.validators->centres().find(centre);
  return where != nullptr ? where->name : centre;
}

Result<void> Desk::plan_deadlines(storage::CaseId id, TimePoint now) {
  if (auto cancelled = cancel_deadlines(id); !cancelled) return cancelled;
  auto row = cases_.get(id);
  if (!row) return std::move(row).error();
  auto intake = flows::session_from_json(row->intake);
  if (!intake) return {};  // nothing to count from
  const auto deadlines = cases::deadlines_of(cases::facts_of(intake.value()), row->status);
  if (deadlines.empty()) return {};
  auto events = cases_.events(id);
  if (!events) return std::move(events).error();
  std::vector<std::string> sent;
  for (const auto& event : events.value()) {
    if (event.kind == kAlertedEvent) sent.push_back(event.detail);
  }
  const long today = flows::days_from_civil(context({}, now).today);
  for (const auto& deadline : cases::alerts_wanted(deadlines, today, sent)) {
    const cases::DeadlineAlert alert{id, deadline.days};
    const auto stored = cases::encode(alert);
    auto set = timers_.schedule(stored.kind, stored.subject,
                                std::max(deadline.alert_at_ms, unix_millis(now)));
    if (!set) return set;
  }
  return {};
}

Result<void> Desk::deadline_alert(storage::CaseId id, int days, TimePoint now) {
  auto row = cases_.get(id);
  if (!row) {
    if (row.code() == storage::Errc::not_found) return {};  // erased meanwhile
    return std::move(row).error();
  }
  auto intake = flows::session_from_json(row->intake);
  if (!intake) return {};
  const cases::Facts facts = cases::facts_of(intake.value());
  const auto deadlines = cases::deadlines_of(facts, row->status);
  const auto it = std::find_if(deadlines.begin(), deadlines.end(),
                               [&](const cases::Deadline& each) { return each.days == days; });
  if (it == deadlines.end()) return {};  // closed meanwhile, or no date any more
  const cases::Deadline deadline = *it;
  auto events = cases_.events(id);
  if (!events) return std::move(events).error();
  const std::string mark = cases::alert_mark(deadline);
  for (const auto& event : events.value()) {
    if (event.kind == kAlertedEvent && event.detail == mark) return {};  // sent already
  }
  const long today = flows::days_from_civil(context({}, now).today);
  const long late = cases::days_late(deadline, today);
  const auto start = cases::deadline_start(facts);
  const bool from_decision = facts.decision_date.has_value();
  const std::string name = cases::first_name(facts);
  const std::string centre = centre_name(facts.centre);
  const auto mark_before = outbox_mark();
  if (!mark_before) return std::move(mark_before).error();
  auto told = tell_coordinators([&](const storage::StaffRow& member) {
    return flows_.desk.text(
        late > 0 ? "staff.deadline_late" : "staff.deadline", member.language,
        {{"reference", row->reference},
         {"name", name.empty() ? "-" : name},
         {"centre", centre.empty() ? "-" : centre},
         {"days", std::to_string(days)},
         {"due", flows_.validators->display_date(deadline.due, member.language)},
         {"late", std::to_string(late)},
         {"start",
          flows_.desk.text(from_decision ? "staff.start_decision" : "staff.start_arrest",
                           member.language,
                           {{"date", flows_.validators->display_date(*start, member.language)}})},
         {"status", status_text(row->status, member.language)}});
  });
  if (!told) return told;
  if (auto recorded = cases_.add_event(id, unix_seconds(now), "bot", std::nullopt, kAlertedEvent,
                                       std::nullopt, mark);
      !recorded) {
    return recorded;
  }
  log::info(late > 0 ? "a late deadline alert went to the coordinators"
                     : "a deadline alert went to the coordinators");
  return queued_about(id, mark_before.value());
}

Result<void> Desk::list_deadlines(const storage::StaffRow& member, TimePoint now) {
  auto ids = cases_.all();
  if (!ids) return std::move(ids).error();
  const long today = flows::days_from_civil(context(member.language, now).today);
  struct Row {
    long due;
    std::string line;
  };
  std::vector<Row> rows;
  for (storage::CaseId id : ids.value()) {
    auto row = cases_.get(id);
    if (!row) return std::move(row).error();
    auto intake = flows::session_from_json(row->intake);
    if (!intake) continue;
    const cases::Facts facts = cases::facts_of(intake.value());
    if (!cases::may_see(member.role, member.centres, facts.centre)) continue;
    const auto next = cases::next_deadline(cases::deadlines_of(facts, row->status), today);
    if (!next) continue;
    const long due = flows::days_from_civil(next->due);
    const std::string name = cases::first_name(facts);
    rows.push_back({due, flows_.desk.text(
                             "staff.deadline_row", member.language,
                             {{"reference", row->reference},
                              {"days", std::to_string(next->days)},
                              {"due", flows_.validators->display_date(next->due, member.language)},
                              {"left", std::to_string(due - today)},
                              {"name", name.empty() ? "-" : name},
                              {"centre", centre_name(facts.centre)},
                              {"status", status_text(row->status, member.language)}})});
  }
  if (rows.empty()) return reply(member, "staff.no_deadlines");
  std::stable_sort(rows.begin(), rows.end(),
                   [](const Row& a, const Row& b) { return a.due < b.due; });
  std::string text;
  for (const auto& each : rows) text += (text.empty() ? "" : "\n") + each.line;
  return to_staff(member.address, text);
}

}  // namespace gvo::desk
