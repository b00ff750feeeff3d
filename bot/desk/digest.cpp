// The coordinators' daily digest (issue 15): at 09:00 Brussels time, each active coordinator gets
// one message in their language with the new cases of the last 24 hours, the deadlines of the
// next 48 hours, the flights announced on open cases, the open requests for a person and the open
// cases at a centre no active referent follows. It is a timer row like the others: it survives
// restarts, runs once (the row goes in the transaction that sends it) and sets the next one, at
// the next 09:00 of the Brussels clock (cases::next_brussels_hour_ms), whatever the time of year.
// Inside the caller's transaction.
#include <algorithm>

#include "bot/cases/case.hpp"
#include "bot/cases/deadlines.hpp"
#include "bot/cases/host_line.hpp"
#include "bot/cases/updates.hpp"
#include "bot/core/vocabulary.hpp"
#include "bot/desk/desk.hpp"
#include "bot/log/log.hpp"
#include "storage/help_requests.hpp"

namespace gvo::desk {
namespace {

namespace log = gvo::log;

constexpr std::int64_t kNewSinceSeconds = 24 * 3600;
constexpr long kDeadlineDaysAhead = 2;  // 48 hours: due today, tomorrow or the day after
constexpr std::int64_t kFlightsSinceSeconds = 7 * 24 * 3600;
constexpr char kFlightEvent[] = "update.flight";

}  // namespace

Result<void> Desk::plan_digest(TimePoint now) {
  const auto stored = cases::encode(cases::DailyDigest{});
  return timers_.schedule(stored.kind, stored.subject,
                          cases::next_brussels_hour_ms(unix_millis(now), cases::kDigestHour));
}

Result<bool> Desk::has_referent(const std::string& centre) {
  auto members = staff_.all();
  if (!members) return std::move(members).error();
  return std::any_of(members->begin(), members->end(), [&](const storage::StaffRow& member) {
    return member.state == storage::StaffState::active && member.role == cases::Role::referent &&
           follows(member, centre);
  });
}

Result<void> Desk::daily_digest(TimePoint now) {
  const std::int64_t seconds = unix_seconds(now);
  const long today = flows::days_from_civil(context({}, now).today);
  // What each section holds, read once; worded per reader below.
  struct Item {
    storage::CaseRow row;
    cases::Facts facts;
  };
  struct DeadlineItem {
    Item item;
    cases::Deadline deadline;
  };
  struct FlightItem {
    Item item;
    std::optional<flows::CivilDate> date;
  };
  std::vector<Item> fresh, unfollowed;
  std::vector<DeadlineItem> deadlines;
  std::vector<FlightItem> flights;
  // Cases that are over only when new: they are in no other section.
  std::vector<storage::CaseStatus> over;
  for (const auto& [status, word] : core::vocabulary::kCaseStatuses) {
    if (cases::is_final(status)) over.push_back(status);
  }
  auto ids = cases_.outside_or_filed_since(over, seconds - kNewSinceSeconds);
  if (!ids) return std::move(ids).error();
  for (storage::CaseId id : ids.value()) {
    auto row = cases_.get(id);
    if (!row) return std::move(row).error();
    auto intake = flows::session_from_json(row->intake);
    if (!intake) continue;
    const cases::Facts facts = cases::facts_of(intake.value());
    auto into = merged_into(id);
    if (!into) return std::move(into).error();
    if (into.value()) continue;  // told as the case it went into
    const Item item{row.value(), facts};
    if (row->created_at >= seconds - kNewSinceSeconds) fresh.push_back(item);
    if (cases::is_final(row->status)) continue;
    if (const auto next = cases::next_deadline(cases::deadlines_of(facts, row->status), today);
        next && flows::days_from_civil(next->due) - today <= kDeadlineDaysAhead) {
      deadlines.push_back({item, *next});
    }
    auto events = cases_.events(id);
    if (!events) return std::move(events).error();
    const storage::CaseEventRow* flight = nullptr;
    for (const auto& event : events.value()) {
      if (event.kind == kFlightEvent && event.at >= seconds - kFlightsSinceSeconds) flight = &event;
    }
    if (flight != nullptr) {
      // The day as the host named it, read again relative to the day they wrote.
      const TimePoint written{std::chrono::seconds(flight->at)};
      const auto update = cases::read_update(flight->detail, flows_.desk, *flows_.validators,
                                             flows_.folder, context(intake->language, written));
      flights.push_back({item, update.date});
    }
    if (flows_.validators->centres().find(facts.centre) != nullptr) {
      auto followed = has_referent(facts.centre);
      if (!followed) return std::move(followed).error();
      if (!followed.value()) unfollowed.push_back(item);
    }
  }
  std::stable_sort(
      deadlines.begin(), deadlines.end(), [](const DeadlineItem& a, const DeadlineItem& b) {
        return flows::days_from_civil(a.deadline.due) < flows::days_from_civil(b.deadline.due);
      });
  auto requests = storage::HelpRequests(store_).all_open();
  if (!requests) return std::move(requests).error();
  struct RequestItem {
    storage::HelpRequestRow request;
    std::string address, references;
  };
  std::vector<RequestItem> open_requests;
  for (const auto& request : requests.value()) {
    auto address = peers_.address(request.peer);
    if (!address) {
      if (address.code() == storage::Errc::not_found) continue;
      return std::move(address).error();
    }
    auto references = host_references(request.peer);
    if (!references) return std::move(references).error();
    open_requests.push_back({request, address.value(), std::move(references).value()});
  }

  auto members = staff_.all();
  if (!members) return std::move(members).error();
  int told = 0;
  for (const auto& member : members.value()) {
    if (member.state != storage::StaffState::active || member.role != cases::Role::coordinator)
      continue;
    const flows::Language& language = member.language;
    auto section = [&](const std::string& key, std::size_t count) {
      return "\n\n" + flows_.desk.text(key, language, {{"count", std::to_string(count)}});
    };
    std::string text = flows_.desk.text(
        "staff.digest", language,
        {{"date", flows_.validators->display_date(context(language, now).today, language)}});
    text += section("staff.digest_new", fresh.size());
    for (const auto& each : fresh)
      text += "\n• " + case_line(member, each.row, each.facts, cases::View::full, today);
    text += section("staff.digest_deadlines", deadlines.size());
    for (const auto& each : deadlines) {
      const long due = flows::days_from_civil(each.deadline.due);
      const std::string name = cases::first_name(each.item.facts);
      text += "\n• " + flows_.desk.text(
                           "staff.deadline_row", language,
                           {{"reference", each.item.row.reference},
                            {"days", std::to_string(each.deadline.days)},
                            {"due", flows_.validators->display_date(each.deadline.due, language)},
                            {"left", std::to_string(due - today)},
                            {"name", name.empty() ? "-" : name},
                            {"centre", centre_name(each.item.facts.centre)},
                            {"status", status_text(each.item.row.status, language)}});
    }
    text += section("staff.digest_flights", flights.size());
    for (const auto& each : flights) {
      const std::string name = cases::first_name(each.item.facts);
      const std::string flight =
          each.date
              ? flows_.desk.text("update.flight_on", language,
                                 {{"date", flows_.validators->display_date(*each.date, language)}})
              : flows_.desk.text("update.flight", language);
      text += "\n• " + flows_.desk.text("staff.digest_flight_line", language,
                                        {{"reference", each.item.row.reference},
                                         {"name", name.empty() ? "-" : name},
                                         {"centre", centre_name(each.item.facts.centre)},
                                         {"flight", flight}});
    }
    text += section("staff.digest_requests", open_requests.size());
    for (const auto& each : open_requests) {
      const auto day = flows::brussels_date(static_cast<double>(each.request.opened_at) * 1000.0);
      text += "\n• " +
              flows_.desk.text("staff.human.line", language,
                               {{"number", std::to_string(each.request.id)},
                                {"date", flows_.validators->display_date(day, language)},
                                {"time", cases::brussels_clock(each.request.opened_at)},
                                {"address", each.address},
                                {"references", each.references.empty() ? "-" : each.references}});
    }
    text += section("staff.digest_no_referent", unfollowed.size());
    for (const auto& each : unfollowed)
      text += "\n• " + case_line(member, each.row, each.facts, cases::View::full, today);
    if (auto sent = to_staff(member.address, text); !sent) return sent;
    ++told;
  }
  log::info("the daily digest went to " + std::to_string(told) + " coordinator(s)");
  return plan_digest(now);
}

}  // namespace gvo::desk
