// Finding and managing cases (issue 15): "merge KEPT OTHER" makes two reports of one person one
// case (every host kept, one set of deadline alerts, the other's events carried over, the other
// closed as merged and pointing at the kept one), and "find NAME" looks for cases by name across
// scripts with the linking skeletons. Inside the caller's transaction, like every desk call.
#include <algorithm>
#include <set>

#include "bot/cases/matching.hpp"
#include "bot/desk/desk.hpp"
#include "bot/log/log.hpp"

namespace gvo::desk {
namespace {

namespace log = gvo::log;

constexpr std::size_t kFoundShown = 20;

}  // namespace

Result<std::optional<std::string>> Desk::merged_into(storage::CaseId id) {
  auto events = cases_.events(id);
  if (!events) return std::move(events).error();
  std::optional<std::string> into;
  for (const auto& event : events.value()) {
    if (event.kind == cases::kMergedIntoEvent) into = event.detail;
  }
  return into;
}

Result<void> Desk::merge_cases(const storage::StaffRow& member, const cases::StaffCommand& command,
                               TimePoint now) {
  const std::string verb_word(cases::to_string(command.verb));
  if (command.references.size() == 1 && command.references_written >= 2)
    return reply(member, "staff.merge_same", {{"reference", command.references.front()}});
  if (command.references.size() != 2)
    return reply(member, "staff.two_references", {{"command", verb_word}});
  const auto first = visible_case(member, command.references[0]);
  if (!first) return std::move(first).error();
  if (!first.value()) return {};  // answered as a case that does not exist
  const auto second = visible_case(member, command.references[1]);
  if (!second) return std::move(second).error();
  if (!second.value()) return {};
  const Loaded& kept = *first.value();
  const Loaded& other = *second.value();
  // A case merged already lives on in the one it went into.
  for (const Loaded* each : {&kept, &other}) {
    auto into = merged_into(each->row.id);
    if (!into) return std::move(into).error();
    if (into.value()) {
      return reply(member, "staff.merged_already",
                   {{"reference", each->row.reference}, {"other", *into.value()}});
    }
  }
  const std::int64_t seconds = unix_seconds(now);
  const auto mark = outbox_mark();
  if (!mark) return std::move(mark).error();

  // Every host of the other report is a host of the kept case (the two-way line reaches them).
  auto other_hosts = cases_.hosts(other.row.id);
  if (!other_hosts) return std::move(other_hosts).error();
  for (storage::PeerId host : other_hosts.value()) {
    if (auto added = cases_.add_host(kept.row.id, host, seconds); !added) return added;
  }
  auto hosts = cases_.hosts(kept.row.id);
  if (!hosts) return std::move(hosts).error();

  // One case: what the kept one lacks is taken from the other, the other's names kept as other
  // names, and it is found by the keys of both (a later report of either links to it).
  auto skeleton = [&](const std::string& name) {
    return cases::name_skeleton(flows_.folder.latin_key(name));
  };
  std::vector<std::string> kept_skeletons;
  for (const auto* list : {&kept.facts.names, &kept.facts.aliases})
    for (const auto& name : *list) kept_skeletons.push_back(skeleton(name));
  std::vector<std::pair<std::string, std::string>> other_names;
  for (const auto* list : {&other.facts.names, &other.facts.aliases})
    for (const auto& name : *list) other_names.emplace_back(name, skeleton(name));
  const flows::Session intake =
      cases::merged_intake(kept.intake, other.intake, kept_skeletons, other_names);
  const cases::Facts facts = cases::facts_of(intake);
  std::set<std::string> keys;
  for (const auto& key : cases::match_keys(facts, flows_.folder).kept) keys.insert(key);
  for (const auto& key : cases::match_keys(other.facts, flows_.folder).kept) keys.insert(key);
  if (auto stored = cases_.correct(kept.row.id, flows::to_json(intake), facts.centre,
                                   {keys.begin(), keys.end()}, seconds);
      !stored) {
    return stored;
  }

  // The kept case's timeline: the merge, then the other's events as they were (an alert it sent
  // is one the kept case does not send again for the same deadline). Its consent events stay
  // behind: a "no" of either report is the kept case's, a "yes" is not widened by a merge.
  if (auto event =
          case_event(member, kept, cases::kMergedEvent, std::nullopt, other.row.reference, now);
      !event) {
    return event;
  }
  auto events = cases_.events(other.row.id);
  if (!events) return std::move(events).error();
  for (const auto& event : events.value()) {
    if (event.kind == cases::kConsentEvent) continue;
    if (auto copied = cases_.add_event(kept.row.id, event.at, event.actor, event.actor_peer,
                                       event.kind, event.status, event.detail);
        !copied) {
      return copied;
    }
  }
  const auto kept_consent = consent_now(kept.row.id, kept.facts);
  if (!kept_consent) return std::move(kept_consent).error();
  const auto other_consent = consent_now(other.row.id, other.facts);
  if (!other_consent) return std::move(other_consent).error();
  if (other_consent.value() == cases::Consent::no && kept_consent.value() != cases::Consent::no) {
    if (auto event = case_event(member, kept, cases::kConsentEvent, std::nullopt, "no", now);
        !event) {
      return event;
    }
  }
  // Its look-alikes are the kept case's; its assignment too when the kept one has none.
  auto links = cases_.links(other.row.id);
  if (!links) return std::move(links).error();
  for (storage::CaseId linked : links.value()) {
    if (linked == kept.row.id) continue;
    if (auto done = cases_.link(kept.row.id, linked, seconds); !done) return done;
  }
  if (!kept.row.assigned && other.row.assigned) {
    if (auto done = cases_.assign(kept.row.id, *other.row.assigned, seconds); !done) return done;
  }

  // The other is closed as merged, pointing at the kept one; its alerts go, the kept case's are
  // planned again from what it now says (one set).
  if (auto set = cases_.set_status(other.row.id, cases::Status::closed, seconds); !set) return set;
  if (auto event = case_event(member, other, cases::kMergedIntoEvent, cases::Status::closed,
                              kept.row.reference, now);
      !event) {
    return event;
  }
  if (auto cancelled = cancel_deadlines(other.row.id); !cancelled) return cancelled;
  if (auto planned = plan_deadlines(kept.row.id, now); !planned) return planned;

  // The other report's hosts learn which reference their news now goes to.
  auto kept_row = cases_.get(kept.row.id);
  if (!kept_row) return std::move(kept_row).error();
  for (storage::PeerId host : other_hosts.value()) {
    auto address = peers_.address(host);
    if (!address) {
      if (address.code() == storage::Errc::not_found) continue;
      return std::move(address).error();
    }
    auto language = language_of(host, other.row.intake);
    if (!language) return std::move(language).error();
    if (auto sent = to_host(address.value(), flows_.desk.text("host.line.merged", language.value(),
                                                              {{"reference", kept.row.reference},
                                                               {"other", other.row.reference}}));
        !sent) {
      return sent;
    }
  }
  if (auto queued = queued_about(kept.row.id, mark.value()); !queued) return queued;
  log::info("a coordinator merged two cases");
  return reply(member, "staff.merge_done",
               {{"reference", kept.row.reference},
                {"other", other.row.reference},
                {"hosts", std::to_string(hosts->size())}});
}

Result<void> Desk::find_cases(const storage::StaffRow& member, const cases::StaffCommand& command,
                              TimePoint now) {
  const std::string& name = command.rest;
  const std::string sought = cases::sought_skeleton(name, flows_.folder);
  if (sought.empty()) return reply(member, "staff.find_how");
  auto ids = cases_.all();
  if (!ids) return std::move(ids).error();
  const long today = flows::days_from_civil(context(member.language, now).today);
  std::vector<std::string> lines;
  std::size_t found = 0;
  for (auto it = ids->rbegin(); it != ids->rend(); ++it) {  // newest first
    auto row = cases_.get(*it);
    if (!row) return std::move(row).error();
    auto intake = flows::session_from_json(row->intake);
    if (!intake) continue;
    const cases::Facts facts = cases::facts_of(intake.value());
    if (!cases::may_see(member.role, member.centres, facts.centre)) continue;
    // A referent finds by name only what the person agreed to share: a case whose name they are
    // not shown is not confirmed by its name either.
    cases::View view = cases::View::full;
    if (member.role != cases::Role::coordinator) {
      const auto consent = consent_now(*it, facts);
      if (!consent) return std::move(consent).error();
      view = cases::view_of(member.role, member.centres, facts.centre, consent.value());
    }
    if (view != cases::View::full && view != cases::View::visit) continue;
    if (!cases::goes_by(facts, sought, flows_.folder)) continue;
    ++found;
    if (lines.size() >= kFoundShown) continue;
    auto into = merged_into(*it);
    if (!into) return std::move(into).error();
    if (into.value()) {
      lines.push_back(flows_.desk.text("staff.find_merged", member.language,
                                       {{"reference", row->reference}, {"other", *into.value()}}));
      continue;
    }
    lines.push_back(case_line(member, row.value(), facts, view, today));
  }
  if (auto audited = audit(member, "searched", "", now); !audited) return audited;
  if (found == 0) return reply(member, "staff.find_none", {{"name", name}});
  std::string text = flows_.desk.text("staff.find_found", member.language,
                                      {{"count", std::to_string(found)}, {"name", name}});
  for (const auto& line : lines) text += "\n" + line;
  if (found > lines.size()) {
    text += "\n" + flows_.desk.text("staff.more_cases", member.language,
                                    {{"count", std::to_string(found - lines.size())}});
  }
  return to_staff(member.address, text);
}

}  // namespace gvo::desk
