// Staff awareness (issue 15): what one member did to a case (a status, a note, an assignment, a
// close, a correction, a link) reaches the other coordinators and the member the case is assigned
// to, grouped: a few minutes after the first change, one message per reader with every change
// since, read from the case events. An erasure is told at once (the events go with the case).
// Inside the caller's transaction.
#include <algorithm>

#include "bot/cases/host_line.hpp"
#include "bot/desk/desk.hpp"
#include "bot/log/log.hpp"

namespace gvo::desk {
namespace {

namespace log = gvo::log;

// How long changes gather before they are told.
constexpr std::int64_t kNewsDelaySeconds = 2 * 60;
// The events other staff are told of (staff's own work; hosts' news has notices of its own).
constexpr const char* kNewsKinds[] = {cases::kCoordinatorNoteEvent,
                                      "status",
                                      "closed",
                                      "note",
                                      "assigned",
                                      "corrected",
                                      "consent",
                                      "linked",
                                      "unlinked",
                                      "merged",
                                      "reply"};

bool is_news(const storage::CaseEventRow& event) {
  if (event.actor != "coordinator" && event.actor != "referent") return false;
  return std::any_of(std::begin(kNewsKinds), std::end(kNewsKinds),
                     [&](const char* kind) { return event.kind == kind; });
}

}  // namespace

std::string Desk::event_text(const storage::CaseEventRow& event, cases::View view,
                             const flows::Language& language) const {
  std::string kind = event.kind;
  if (event.status) kind += " → " + status_text(*event.status, language);
  // Notes and hosts' words may name the person: not without their consent.
  if (event.detail.empty() || view == cases::View::reduced) return kind;
  // A correction names a field's old value: a referent reads which field changed only (it may
  // be one they are not shown, such as the date of birth).
  const bool corrected = event.kind == "corrected" && view != cases::View::full;
  return kind + " : " + (corrected ? event.detail.substr(0, event.detail.find(':')) : event.detail);
}

Result<std::string> Desk::actor_name(const storage::CaseEventRow& event) {
  if (!event.actor_peer) return event.actor;
  auto address = peers_.address(*event.actor_peer);
  if (!address) {
    if (address.code() == storage::Errc::not_found) return event.actor;
    return std::move(address).error();
  }
  return event.actor + " " + address.value();
}

Result<void> Desk::tell_if_no_referent(const std::string& reference, const std::string& centre) {
  if (flows_.validators->centres().find(centre) == nullptr) return {};  // unknown, a station
  auto members = staff_.all();
  if (!members) return std::move(members).error();
  const bool followed =
      std::any_of(members->begin(), members->end(), [&](const storage::StaffRow& member) {
        return member.state == storage::StaffState::active &&
               member.role == cases::Role::referent && follows(member, centre);
      });
  if (followed) return {};
  log::notice("a case is at a centre without an active referent");
  return tell_coordinators([&](const storage::StaffRow& member) {
    return flows_.desk.text("staff.no_referent", member.language,
                            {{"reference", reference}, {"centre", centre_name(centre)}});
  });
}

Result<void> Desk::staff_news_later(TimePoint now) {
  const auto stored = cases::encode(cases::StaffNews{});
  auto set = timers_.exists(stored.kind, stored.subject);
  if (!set) return std::move(set).error();
  if (set.value()) return {};
  return timers_.schedule(stored.kind, stored.subject, unix_millis(now) + kNewsDelaySeconds * 1000);
}

Result<void> Desk::tell_staff_news(std::int64_t due_at_ms, TimePoint now) {
  const std::int64_t since = due_at_ms / 1000 - kNewsDelaySeconds;
  const std::int64_t until = unix_seconds(now);
  auto members = staff_.all();
  if (!members) return std::move(members).error();
  std::map<std::string, std::vector<std::string>> lines;  // by reader's address
  auto ids = cases_.all();
  if (!ids) return std::move(ids).error();
  for (storage::CaseId id : ids.value()) {
    auto row = cases_.get(id);
    if (!row) return std::move(row).error();
    auto events = cases_.events(id);
    if (!events) return std::move(events).error();
    std::vector<const storage::CaseEventRow*> news;
    for (const auto& event : events.value()) {
      if (event.at >= since && event.at <= until && is_news(event)) news.push_back(&event);
    }
    if (news.empty()) continue;
    // A case merged into another: its events were carried to that one, told there.
    auto into = merged_into(id);
    if (!into) return std::move(into).error();
    if (into.value()) continue;
    auto intake = flows::session_from_json(row->intake);
    if (!intake) continue;
    const Loaded loaded{row.value(), intake.value(), cases::facts_of(intake.value())};
    const std::string name = cases::first_name(loaded.facts);
    for (const auto& member : members.value()) {
      if (member.state != storage::StaffState::active) continue;
      const bool coordinator = member.role == cases::Role::coordinator;
      if (!coordinator && row->assigned != member.id) continue;
      const auto view = view_for(member, loaded);
      if (!view) return std::move(view).error();
      if (view.value() == cases::View::none) continue;
      for (const auto* event : news) {
        if (event->kind == cases::kCoordinatorNoteEvent && !coordinator) continue;
        // Not told of what they did themselves.
        if (event->actor_peer) {
          auto own = peers_.find(member.address);
          if (!own) return std::move(own).error();
          if (own.value() && *own.value() == *event->actor_peer) continue;
        }
        auto who = actor_name(*event);
        if (!who) return std::move(who).error();
        lines[member.address].push_back(flows_.desk.text(
            "staff.news_line", member.language,
            {{"reference", row->reference},
             {"name", view.value() == cases::View::reduced || name.empty() ? "-" : name},
             {"time", cases::brussels_clock(event->at)},
             {"who", who.value()},
             {"what", event_text(*event, view.value(), member.language)}}));
      }
    }
  }
  for (const auto& member : members.value()) {
    const auto it = lines.find(member.address);
    if (it == lines.end()) continue;
    std::string text;
    for (const auto& line : it->second) text += "\n" + line;
    if (auto sent = to_staff(member.address,
                             flows_.desk.text("staff.news", member.language,
                                              {{"count", std::to_string(it->second.size())}}) +
                                 text);
        !sent) {
      return sent;
    }
  }
  if (!lines.empty()) log::info("staff were told of other staff's changes");
  return {};
}

}  // namespace gvo::desk
