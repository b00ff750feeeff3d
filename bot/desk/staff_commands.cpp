// Staff by chat: every command is read (bot/cases/commands.hpp), authorised (bot/cases/access.hpp)
// and applied here, inside the transaction of the message. A member who may not do something, or
// may not see a case, gets the very answer a case that does not exist gets.
#include <algorithm>
#include <cstdio>

#include "bot/cases/deadlines.hpp"
#include "bot/cases/host_line.hpp"
#include "bot/desk/desk.hpp"
#include "bot/desk/stats.hpp"
#include "bot/log/log.hpp"

namespace gvo::desk {
namespace {

namespace log = gvo::log;

constexpr std::size_t kListedCases = 20;
// What "close" takes: the outcomes.
constexpr cases::Status kOutcomes[] = {cases::Status::released, cases::Status::deported,
                                       cases::Status::transferred, cases::Status::closed};

// "1234 5678" and "12345678" are one fingerprint.
std::string compact(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c != ' ' && c != '-' && c != ':') out += static_cast<char>(std::tolower(c));
  }
  return out;
}

std::string date_of(std::int64_t unix_seconds, const flows::Validators& validators,
                    const flows::Language& language) {
  return validators.display_date(flows::brussels_date(static_cast<double>(unix_seconds) * 1000.0),
                                 language);
}

// Who did it, as events and the audit trail name them: the member's role.
std::string actor_of(const storage::StaffRow& member) {
  return std::string(storage::to_string(member.role));
}

}  // namespace

Result<void> Desk::reply(const storage::StaffRow& member, const std::string& key,
                         const std::map<std::string, std::string>& values) {
  const std::string text = flows_.desk.text(key, member.language, values);
  // A member who is not active is told only what holds no case data.
  if (member.state != storage::StaffState::active)
    return send_(member.address, text, storage::Audience::notice);
  return to_staff(member.address, text);
}

Result<void> Desk::audit(const storage::StaffRow& member, const std::string& action,
                         const std::string& subject, TimePoint now) {
  return audit_.record(unix_seconds(now), actor_of(member), member.id, action, subject);
}

Result<void> Desk::on_staff_message(storage::StaffRow member, std::string_view text,
                                    TimePoint now) {
  // A key that is not the pinned one means the person may not be who was verified.
  const auto identity = identity_of_ ? identity_of_(member.address) : std::nullopt;
  if (member.state == storage::StaffState::active && identity &&
      member.pinned_key != identity->key) {
    if (auto suspended = on_identity_changed(member.address, now); !suspended) return suspended;
    member.state = storage::StaffState::suspended;
  }
  if (member.state != storage::StaffState::active)
    return answer_inactive(member, text, identity, now);

  const cases::StaffCommand command = cases::read_staff_command(text, flows_.desk, flows_.folder);
  if (command.verb == cases::StaffVerb::unknown || !cases::may_use(member.role, command.verb)) {
    // A command the member may not use is audited: who, which command, never its arguments.
    if (command.verb != cases::StaffVerb::unknown) {
      auto audited =
          audit(member, "refused " + std::string(cases::to_string(command.verb)), "", now);
      if (!audited) return audited;
    }
    // Not allowed, for a case: the answer to a case that does not exist.
    if (command.verb != cases::StaffVerb::unknown && !command.references.empty())
      return reply(member, "staff.no_such_case", {{"reference", command.references.front()}});
    const std::string suggestion = command.suggestion.empty()
                                       ? std::string()
                                       : flows_.desk.text("staff.did_you_mean", member.language,
                                                          {{"command", command.suggestion}});
    std::string word = command.rest.empty() ? std::string(text.substr(0, 40)) : command.rest;
    if (command.verb != cases::StaffVerb::unknown) {
      const auto space = std::string_view(text).find(' ');
      word = std::string(text.substr(0, std::min<std::size_t>(space, 40)));
    }
    return reply(member, "staff.unknown_command", {{"word", word}, {"suggestion", suggestion}});
  }
  return run_staff_command(member, command, now);
}

Result<std::optional<Desk::Loaded>> Desk::visible_case(const storage::StaffRow& member,
                                                       const std::string& reference) {
  auto found = cases_.by_reference(reference);
  if (!found) return std::move(found).error();
  std::optional<Loaded> loaded;
  if (found.value()) {
    auto row = cases_.get(*found.value());
    if (!row) return std::move(row).error();
    auto intake = flows::session_from_json(row->intake);
    if (intake) {
      cases::Facts facts = cases::facts_of(intake.value());
      if (cases::may_see(member.role, member.centres, facts.centre)) {
        loaded = Loaded{std::move(row).value(), std::move(intake).value(), std::move(facts)};
      }
    }
  }
  if (!loaded) {
    if (auto said = reply(member, "staff.no_such_case", {{"reference", reference}}); !said)
      return std::move(said).error();
  }
  return loaded;
}

Result<void> Desk::run_staff_command(const storage::StaffRow& member,
                                     const cases::StaffCommand& command, TimePoint now) {
  using cases::StaffVerb;
  const std::string verb_word(cases::to_string(command.verb));
  switch (command.verb) {
    case StaffVerb::help:
      return reply(member, member.role == cases::Role::coordinator ? "staff.help_coordinator"
                                                                   : "staff.help_referent");
    case StaffVerb::cases:
      return list_cases(member, command, now);
    case StaffVerb::stats:
      return show_stats(member);
    case StaffVerb::staff:
      return list_staff(member);
    case StaffVerb::verify:
      return verify_member(member, command, now);
    case StaffVerb::link:
    case StaffVerb::unlink:
      return link_cases(member, command, now);
    case StaffVerb::deadlines:
      return list_deadlines(member, now);
    // the two-way line with hosts (host_line.cpp)
    case StaffVerb::reply:
      return reply_to_hosts(member, command, now);
    case StaffVerb::requests:
      return list_requests(member);
    case StaffVerb::done:
      return close_request(member, command, now);
    // finding and managing cases (merge.cpp)
    case StaffVerb::merge:
      return merge_cases(member, command, now);
    case StaffVerb::find:
      return find_cases(member, command, now);
    default:
      break;
  }
  // The rest act on one case.
  if (command.references.empty())
    return reply(member, "staff.missing_reference", {{"command", verb_word}});
  const auto loaded = visible_case(member, command.references.front());
  if (!loaded) return std::move(loaded).error();
  if (!loaded.value()) return {};  // answered as a case that does not exist
  const Loaded& visible = *loaded.value();
  if (command.verb == StaffVerb::erase) return erase_case(member, command, visible, now);
  // What the command queues is about the case: erasing it drops what has not gone yet.
  const auto mark = outbox_mark();
  if (!mark) return std::move(mark).error();
  if (auto ran = run_case_command(member, command, visible, now); !ran) return ran;
  return queued_about(visible.row.id, mark.value());
}

Result<void> Desk::run_case_command(const storage::StaffRow& member,
                                    const cases::StaffCommand& command, const Loaded& loaded,
                                    TimePoint now) {
  using cases::StaffVerb;
  // A case the person did not want shared is, to a referent, a case that does not exist.
  if (command.verb != StaffVerb::consent && command.verb != StaffVerb::audit) {
    const auto view = view_for(member, loaded);
    if (!view) return std::move(view).error();
    if (view.value() == cases::View::none)
      return reply(member, "staff.no_such_case", {{"reference", command.references.front()}});
  }
  switch (command.verb) {
    case StaffVerb::show:
      if (auto shown = show_case(member, loaded); !shown) return shown;
      return audit(member, "viewed", loaded.row.reference, now);
    case StaffVerb::consent:
      return record_consent(member, command, loaded, now);
    case StaffVerb::audit:
      return case_audit(member, loaded);
    default:
      return change_case(member, command, loaded, now);
  }
}

Result<void> Desk::case_audit(const storage::StaffRow& member, const Loaded& loaded) {
  auto entries = audit_.about(loaded.row.reference);
  if (!entries) return std::move(entries).error();
  std::string lines;
  for (const auto& entry : entries.value()) {
    std::string actor = entry.actor;
    if (entry.actor_staff) {
      auto who = staff_.get(*entry.actor_staff);
      if (who && who.value()) actor += " " + who.value()->address;
    }
    if (!lines.empty()) lines += '\n';
    lines += flows_.desk.text("staff.audit_line", member.language,
                              {{"date", date_of(entry.at, *flows_.validators, member.language) +
                                            " " + cases::brussels_clock(entry.at)},
                               {"actor", actor},
                               {"action", entry.action}});
  }
  return to_staff(member.address, lines.empty() ? loaded.row.reference : lines);
}

Result<void> Desk::list_cases(const storage::StaffRow& member, const cases::StaffCommand& command,
                              TimePoint now) {
  // Filters: a centre (coordinators), a status, "urgent", "mine", "all" (closed ones too). A
  // word that is none of them is answered, never ignored.
  std::string centre, status;
  bool urgent = false, mine = false, all = false;
  const auto terms = cases::read_filters(command.words, flows_.desk.filter_words);
  for (const auto& value : terms.values) {
    if (value == "urgent") {
      urgent = true;
    } else if (value == "mine") {
      mine = true;
    } else if (value == "all") {
      all = true;
    } else {
      status = value;
    }
  }
  for (const auto& word : terms.unknown) {
    for (const auto& each : flows_.validators->centres().centres) {
      if (std::find(each.aliases.begin(), each.aliases.end(), word) != each.aliases.end() ||
          word == each.id) {
        centre = each.id;
      }
    }
    if (!centre.empty()) continue;
    if (cases::looks_like_partial_reference(word))
      return reply(member, "staff.partial_reference", {{"word", word}});
    const std::string near = cases::closest_word(word, flows_.desk.filter_words);
    return reply(
        member, "staff.unknown_filter",
        {{"word", word},
         {"suggestion", near.empty() ? std::string()
                                     : flows_.desk.text("staff.did_you_mean", member.language,
                                                        {{"command", near}})}});
  }
  auto ids = cases_.all();
  if (!ids) return std::move(ids).error();
  const long today = flows::days_from_civil(context(member.language, now).today);
  std::vector<std::string> lines;
  std::size_t matched = 0;
  for (auto it = ids->rbegin(); it != ids->rend(); ++it) {  // newest first
    auto row = cases_.get(*it);
    if (!row) return std::move(row).error();
    auto intake = flows::session_from_json(row->intake);
    if (!intake) continue;
    const cases::Facts facts = cases::facts_of(intake.value());
    if (!cases::may_see(member.role, member.centres, facts.centre)) continue;
    if (!centre.empty() && facts.centre != centre) continue;
    // A referent lists what the person agreed to: no name without consent, no line once refused.
    cases::View view = cases::View::full;
    if (member.role != cases::Role::coordinator) {
      const auto consent = consent_now(*it, facts);
      if (!consent) return std::move(consent).error();
      view = cases::view_of(member.role, member.centres, facts.centre, consent.value());
    }
    if (view == cases::View::none) continue;
    if (!status.empty() && cases::to_string(row->status) != status) continue;
    // Released, deported and closed cases are listed when asked for.
    if (status.empty() && !all && cases::is_final(row->status)) continue;
    if (mine && row->assigned != member.id) continue;
    if (urgent) {
      // Not over yet, and a lawyer wanted within the 10 days of the arrest.
      const bool open = !cases::is_final(row->status);
      const bool in_time =
          facts.arrest_date && today - flows::days_from_civil(*facts.arrest_date) <= 10;
      if (!open || !facts.wants_lawyer || !in_time) continue;
    }
    ++matched;
    if (lines.size() >= kListedCases) continue;
    lines.push_back(case_line(member, row.value(), facts, view, today));
  }
  if (lines.empty()) return reply(member, "staff.no_cases");
  std::string text;
  for (const auto& line : lines) text += (text.empty() ? "" : "\n") + line;
  if (matched > lines.size()) {
    text += "\n" + flows_.desk.text("staff.more_cases", member.language,
                                    {{"count", std::to_string(matched - lines.size())}});
  }
  return to_staff(member.address, text);
}

std::string Desk::case_line(const storage::StaffRow& member, const storage::CaseRow& row,
                            const cases::Facts& facts, cases::View view, long today) const {
  const auto* where = flows_.validators->centres().find(facts.centre);
  std::string name = facts.names.empty() ? std::string() : facts.names.front();
  if (name.empty() && !facts.aliases.empty()) name = facts.aliases.front();
  if (view == cases::View::reduced)
    name = flows_.desk.text("staff.consent_not_recorded_short", member.language);
  // Since when: the day of arrest and how many days ago, else the day it was reported.
  std::string since =
      flows_.desk.text("staff.case_reported", member.language,
                       {{"date", date_of(row.created_at, *flows_.validators, member.language)}});
  if (facts.arrest_date) {
    since = flows_.desk.text(
        "staff.case_arrested", member.language,
        {{"date", flows_.validators->display_date(*facts.arrest_date, member.language)},
         {"days", std::to_string(today - flows::days_from_civil(*facts.arrest_date))}});
  }
  return flows_.desk.text("staff.case_line", member.language,
                          {{"reference", row.reference},
                           {"status", status_text(row.status, member.language)},
                           {"centre", where != nullptr ? where->name : facts.centre},
                           {"name", name},
                           {"since", since}});
}

Result<void> Desk::show_case(const storage::StaffRow& member, const Loaded& loaded) {
  auto wording = wording_or_fail(loaded.intake);
  if (!wording) return std::move(wording).error();
  // Coordinators see everything, and what the referents see; referents what the person agreed
  // to (a visit's needs, or the centre and dates only).
  const auto consent = consent_now(loaded.row.id, loaded.facts);
  if (!consent) return std::move(consent).error();
  const cases::View view =
      cases::view_of(member.role, member.centres, loaded.facts.centre, consent.value());
  std::string fields = cases::view_fields(
      wording.value(), cases::with_consent(loaded.intake, consent.value()), view, member.language);
  if (view == cases::View::full) {
    fields +=
        "\n" + flows_.desk.text("staff.sharing_" + std::string(cases::to_string(consent.value())),
                                member.language);
  }
  auto events = cases_.events(loaded.row.id);
  if (!events) return std::move(events).error();
  std::string event_lines;
  for (const auto& event : events.value()) {
    // Coordinators' matters (notes naming a lawyer, or private) are theirs alone.
    if (event.kind == cases::kCoordinatorNoteEvent && view != cases::View::full) continue;
    const std::string kind = event_text(event, view, member.language);
    // Who: the role and, for staff, their address (a host's stays the role: it names them).
    std::string actor = event.actor;
    if (event.actor == "coordinator" || event.actor == "referent") {
      auto who = actor_name(event);
      if (!who) return std::move(who).error();
      actor = who.value();
    }
    event_lines +=
        (event_lines.empty() ? "" : "\n") +
        flows_.desk.text("staff.event_line", member.language,
                         {{"date", date_of(event.at, *flows_.validators, member.language) + " " +
                                       cases::brussels_clock(event.at)},
                          {"actor", actor},
                          {"kind", kind}});
  }
  std::string assigned;
  if (loaded.row.assigned) {
    auto who = staff_.get(*loaded.row.assigned);
    if (!who) return std::move(who).error();
    if (who.value()) {
      assigned = flows_.desk.text("staff.assigned_to", member.language,
                                  {{"address", who.value()->address}});
    }
  }
  return reply(member, "staff.case_detail",
               {{"reference", loaded.row.reference},
                {"status", status_text(loaded.row.status, member.language)},
                {"assigned", assigned},
                {"fields", fields},
                {"events", event_lines}});
}

Result<void> Desk::case_event(const storage::StaffRow& member, const Loaded& loaded,
                              const std::string& kind, std::optional<cases::Status> status,
                              const std::string& detail, TimePoint now) {
  const std::int64_t seconds = unix_seconds(now);
  auto actor = peers_.find_or_add(member.address, seconds);
  if (!actor) return std::move(actor).error();
  auto added = cases_.add_event(loaded.row.id, seconds, actor_of(member), actor.value(), kind,
                                status, detail);
  if (!added) return added;
  if (auto later = staff_news_later(now); !later) return later;
  return audit(member, kind, loaded.row.reference, now);
}

// assign, note, status, close, acknowledge: one change to one case, an event and an audit line.
Result<void> Desk::change_case(const storage::StaffRow& member, const cases::StaffCommand& command,
                               const Loaded& loaded, TimePoint now) {
  using cases::StaffVerb;
  const std::string& reference = loaded.row.reference;
  // The member is a peer of the events they write (as before any of them is written).
  if (auto actor = peers_.find_or_add(member.address, unix_seconds(now)); !actor)
    return std::move(actor).error();
  switch (command.verb) {
    case StaffVerb::note: {
      if (command.rest.empty()) return reply(member, "staff.empty_note");
      const auto audience = cases::note_audience(command.words, flows_.desk);
      if (auto noted = case_event(member, loaded, std::string(cases::note_kind(audience)),
                                  std::nullopt, command.rest, now);
          !noted) {
        return noted;
      }
      return reply(member,
                   audience == cases::NoteAudience::coordinators ? "staff.noted_coordinators"
                                                                 : "staff.noted",
                   {{"reference", reference}});
    }
    case StaffVerb::status:
    case StaffVerb::close:
      return set_case_status(member, command, loaded, now);
    case StaffVerb::acknowledge:
      return acknowledge_case(member, loaded, now);
    case StaffVerb::assign:
      return assign_case(member, command, loaded, now);
    case StaffVerb::correct:
      return correct_case(member, command, loaded, now);
    default:
      return reply(member, "staff.no_such_case", {{"reference", reference}});
  }
}

// "status K7QM-3XPD located he is in Vottem": the status word, then why.
Result<void> Desk::set_case_status(const storage::StaffRow& member,
                                   const cases::StaffCommand& command, const Loaded& loaded,
                                   TimePoint now) {
  // The status word first, in any language and of up to three words ("not found", "niet
  // gevonden", "pas trouvé"), then why.
  const auto [status_word, used] = cases::leading_filter(command.words, flows_.desk.filter_words);
  const std::optional<cases::Status> status = cases::parse_status(status_word);
  const bool closing = command.verb == cases::StaffVerb::close;
  const bool an_outcome = status && std::find(std::begin(kOutcomes), std::end(kOutcomes),
                                              *status) != std::end(kOutcomes);
  if (!status || (closing && !an_outcome)) {
    if (closing) return reply(member, "staff.which_outcome");
    std::string names;
    for (const auto& [each, word] : core::vocabulary::kCaseStatuses) {
      if (each == cases::Status::reported) continue;
      names += (names.empty() ? "" : ", ") + status_text(each, member.language);
    }
    return reply(member, "staff.which_status", {{"statuses", names}});
  }
  const std::string why = cases::words_after(command.rest, used);
  if (auto set = cases_.set_status(loaded.row.id, *status, unix_seconds(now)); !set) return set;
  if (auto event = case_event(member, loaded, closing ? "closed" : "status", status, why, now);
      !event) {
    return event;
  }
  // Closed, its alerts go; reopened, they come back.
  if (auto planned = plan_deadlines(loaded.row.id, now); !planned) return planned;
  // The hosts hear of what concerns them (host_line.cpp).
  if (auto told = tell_hosts_status(loaded.row, *status, std::nullopt); !told) return told;
  return reply(
      member, "staff.status_set",
      {{"reference", loaded.row.reference}, {"status", status_text(*status, member.language)}});
}

Result<void> Desk::acknowledge_case(const storage::StaffRow& member, const Loaded& loaded,
                                    TimePoint now) {
  const std::string& reference = loaded.row.reference;
  if (loaded.row.status == cases::Status::reported) {
    const auto acknowledged = cases::Status::acknowledged;
    if (auto set = cases_.set_status(loaded.row.id, acknowledged, unix_seconds(now)); !set)
      return set;
    if (auto event = case_event(member, loaded, "acknowledged", acknowledged, {}, now); !event)
      return event;
  }
  const auto* centre = flows_.validators->centres().find(loaded.facts.centre);
  const std::string centre_name = centre != nullptr ? centre->name : loaded.facts.centre;
  // A coordinator's "ok" is a coordinator's, not a referent's.
  const bool by_coordinator = member.role == cases::Role::coordinator;
  auto told = tell_coordinators(
      [&](const storage::StaffRow& other) {
        return flows_.desk.text(
            by_coordinator ? "staff.acknowledged_by_coordinator" : "staff.acknowledged",
            other.language,
            {{"reference", reference}, {"centre", centre_name}, {"who", member.address}});
      },
      member.address);
  if (!told) return told;
  return reply(member, "staff.ack_done", {{"reference", reference}});
}

Result<void> Desk::assign_case(const storage::StaffRow& member, const cases::StaffCommand& command,
                               const Loaded& loaded, TimePoint now) {
  const std::string& reference = loaded.row.reference;
  const std::string address = command.rest.substr(0, command.rest.find(' '));
  auto target = staff_.find(address);
  if (!target) return std::move(target).error();
  // Any active member who may see the case: a coordinator (so that "mine" lists it), or a
  // referent of its centre when the person agreed to share it.
  const bool fits =
      target.value() && target.value()->state == storage::StaffState::active &&
      cases::may_see(target.value()->role, target.value()->centres, loaded.facts.centre);
  if (!fits) return reply(member, "staff.not_a_referent", {{"address", address}});
  if (target.value()->role == cases::Role::referent) {
    const auto consent = consent_now(loaded.row.id, loaded.facts);
    if (!consent) return std::move(consent).error();
    if (cases::referent_view(consent.value()) == cases::View::none)
      return reply(member, "staff.not_shared", {{"reference", reference}});
  }
  if (auto assigned = cases_.assign(loaded.row.id, target.value()->id, unix_seconds(now));
      !assigned) {
    return assigned;
  }
  if (auto event = case_event(member, loaded, "assigned", std::nullopt, address, now); !event)
    return event;
  auto told = to_staff(
      target.value()->address,
      flows_.desk.text("staff.assigned_you", target.value()->language, {{"reference", reference}}));
  if (!told) return told;
  return reply(member, "staff.assigned", {{"reference", reference}, {"address", address}});
}

Result<cases::View> Desk::view_for(const storage::StaffRow& member, const Loaded& loaded) {
  if (member.role == cases::Role::coordinator) return cases::View::full;
  const auto consent = consent_now(loaded.row.id, loaded.facts);
  if (!consent) return std::move(consent).error();
  return cases::view_of(member.role, member.centres, loaded.facts.centre, consent.value());
}

// "consent K7QM-3XPD yes": the event holds the value (sealed), the audit line who and when only.
Result<void> Desk::record_consent(const storage::StaffRow& member,
                                  const cases::StaffCommand& command, const Loaded& loaded,
                                  TimePoint now) {
  const std::string& reference = loaded.row.reference;
  std::string value;
  if (!command.words.empty()) {
    const auto it = flows_.desk.consent_words.find(command.words.front());
    if (it != flows_.desk.consent_words.end()) value = it->second;
  }
  if (value.empty()) return reply(member, "staff.which_consent", {{"reference", reference}});
  const cases::Consent wanted = cases::parse_consent(value);
  const auto before = consent_now(loaded.row.id, loaded.facts);
  if (!before) return std::move(before).error();
  if (before.value() == wanted)
    return reply(member, "staff.consent_same", {{"reference", reference}});
  if (auto event = case_event(member, loaded, cases::kConsentEvent, std::nullopt, value, now);
      !event) {
    return event;
  }
  log::info("a coordinator recorded a detained person's consent");
  // No: nothing more reaches the referents (what they were sent before cannot be taken back).
  if (wanted == cases::Consent::no)
    return reply(member, "staff.consent_recorded_no", {{"reference", reference}});
  // Yes: the referents of the centre get the alert a case filed with consent gets.
  auto wording = wording_or_fail(loaded.intake);
  if (!wording) return std::move(wording).error();
  auto told = tell_staff(
      [&](const storage::StaffRow& other) {
        return other.role == cases::Role::referent
                   ? referent_alert_for(other, wording.value(), loaded.intake, reference, wanted)
                   : std::string();
      },
      loaded.facts.centre);
  if (!told) return told;
  const auto* centre = flows_.validators->centres().find(loaded.facts.centre);
  return reply(member, "staff.consent_recorded_yes",
               {{"reference", reference},
                {"centre", centre != nullptr ? centre->name : loaded.facts.centre}});
}

Result<void> Desk::link_cases(const storage::StaffRow& member, const cases::StaffCommand& command,
                              TimePoint now) {
  const std::string verb_word(cases::to_string(command.verb));
  if (command.references.size() != 2)
    return reply(member, "staff.two_references", {{"command", verb_word}});
  const auto first = visible_case(member, command.references[0]);
  if (!first) return std::move(first).error();
  if (!first.value()) return {};
  const auto second = visible_case(member, command.references[1]);
  if (!second) return std::move(second).error();
  if (!second.value()) return {};
  const Loaded& one = *first.value();
  const Loaded& other = *second.value();
  const std::int64_t seconds = unix_seconds(now);
  const bool linking = command.verb == cases::StaffVerb::link;
  if (linking) {
    if (auto linked = cases_.link(one.row.id, other.row.id, seconds); !linked) return linked;
  } else {
    auto unlinked = cases_.unlink(one.row.id, other.row.id);
    if (!unlinked) return std::move(unlinked).error();
    if (!unlinked.value()) {
      return reply(member, "staff.not_linked",
                   {{"reference", one.row.reference}, {"other", other.row.reference}});
    }
  }
  const std::string kind = linking ? "linked" : "unlinked";
  if (auto event = case_event(member, one, kind, std::nullopt, other.row.reference, now); !event)
    return event;
  if (auto event = case_event(member, other, kind, std::nullopt, one.row.reference, now); !event)
    return event;
  return reply(member, linking ? "staff.linked_done" : "staff.unlinked_done",
               {{"reference", one.row.reference}, {"other", other.row.reference}});
}

// Every row of the case, once confirmed; the audit keeps that it happened, and who did it.
Result<void> Desk::erase_case(const storage::StaffRow& member, const cases::StaffCommand& command,
                              const Loaded& loaded, TimePoint now) {
  const bool confirmed =
      std::any_of(command.words.begin(), command.words.end(), [&](const auto& w) {
        return std::find(flows_.desk.confirm_words.begin(), flows_.desk.confirm_words.end(), w) !=
               flows_.desk.confirm_words.end();
      });
  if (!confirmed)
    return reply(member, "staff.erase_confirm", {{"reference", loaded.row.reference}});
  // Of its trail only the erasure stays: who, when (the reference sealed, no field).
  if (auto erased = erase_everywhere(loaded.row); !erased) return erased;
  if (auto audited = audit(member, "erased", loaded.row.reference, now); !audited) return audited;
  log::info("a coordinator erased a case");
  auto told = tell_coordinators(
      [&](const storage::StaffRow& other) {
        return flows_.desk.text("staff.erased_by", other.language,
                                {{"reference", loaded.row.reference}, {"who", member.address}});
      },
      member.address);
  if (!told) return told;
  return reply(member, "staff.erased", {{"reference", loaded.row.reference}});
}

Result<void> Desk::verify_member(const storage::StaffRow& member,
                                 const cases::StaffCommand& command, TimePoint now) {
  const auto space = command.rest.find(' ');
  const std::string address = command.rest.substr(0, space);
  const std::string fingerprint =
      space == std::string::npos ? std::string() : compact(command.rest.substr(space + 1));
  auto target = staff_.find(address);
  if (!target) return std::move(target).error();
  if (!target.value()) return reply(member, "staff.no_such_member", {{"address", address}});
  const auto identity = identity_of_ ? identity_of_(address) : std::nullopt;
  if (!identity) return reply(member, "staff.no_key_yet", {{"address", address}});
  if (fingerprint.empty() || compact(identity->fingerprint) != fingerprint) {
    // Never the fingerprint held: the check would become copy and paste.
    log::notice("a verification with a wrong fingerprint was refused");
    if (auto audited = audit(member, "verify_refused", address, now); !audited) return audited;
    return reply(member, "staff.fingerprint_mismatch", {{"address", address}});
  }
  if (auto verified = staff_.verify(target.value()->id, identity->key, unix_seconds(now));
      !verified) {
    return verified;
  }
  if (auto audited = audit(member, "staff_verified", address, now); !audited) return audited;
  return reply(member, "staff.verified", {{"address", address}});
}

Result<void> Desk::list_staff(const storage::StaffRow& member) {
  auto members = staff_.all();
  if (!members) return std::move(members).error();
  std::string lines;
  for (const auto& each : members.value()) {
    std::string centres;
    for (const auto& centre : each.centres) centres += (centres.empty() ? "" : ",") + centre;
    const auto identity = identity_of_ ? identity_of_(each.address) : std::nullopt;
    const bool active = each.state == storage::StaffState::active;
    lines += (lines.empty() ? "" : "\n") +
             flows_.desk.text(
                 "staff.staff_line", member.language,
                 {{"address", each.address},
                  {"role", std::string(storage::to_string(each.role))},
                  {"centres", centres.empty() ? "-" : centres},
                  {"state", std::string(storage::to_string(each.state))},
                  {"fingerprint", identity && active ? identity->fingerprint : std::string("-")}});
  }
  return to_staff(member.address, lines);
}

// Anonymous counts: by centre, status and month; no names, no references.
Result<void> Desk::show_stats(const storage::StaffRow& member) {
  auto counts = count_cases(store_);
  if (!counts) return std::move(counts).error();
  std::map<std::string, std::int64_t> by_centre, by_status, by_month;
  std::int64_t total = 0;
  for (const auto& count : counts.value()) {
    if (count.status == kConversationCount) continue;  // not cases
    by_centre[count.centre] += count.count;
    by_status[count.status] += count.count;
    by_month[count.month] += count.count;
    total += count.count;
  }
  auto joined = [](const std::map<std::string, std::int64_t>& each) {
    std::string text;
    for (const auto& [name, count] : each)
      text += (text.empty() ? "" : ", ") + name + " " + std::to_string(count);
    return text.empty() ? std::string("-") : text;
  };
  return reply(member, "staff.stats",
               {{"total", std::to_string(total)},
                {"centres", joined(by_centre)},
                {"statuses", joined(by_status)},
                {"months", joined(by_month)}});
}

}  // namespace gvo::desk
