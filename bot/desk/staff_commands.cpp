// Staff by chat: every command is read (bot/cases/commands.hpp), authorised (bot/cases/access.hpp)
// and applied here, inside the transaction of the message. A member who may not do something, or
// may not see a case, gets the very answer a case that does not exist gets.
#include <algorithm>
#include <cstdio>

#include "bot/cases/deadlines.hpp"
#include "bot/desk/desk.hpp"
#include "bot/desk/stats.hpp"
#include "bot/log/log.hpp"

namespace gvo::desk {
namespace {

namespace log = gvo::log;

constexpr std::size_t kListedCases = 20;
const char* const kOutcomes[] = {"released", "deported", "transferred", "closed"};

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

}  // namespace

bool Desk::reply(const storage::StaffRow& member, const std::string& key,
                 const std::map<std::string, std::string>& values) {
  const std::string text = flows_.desk.text(key, member.language, values);
  // A member who is not active is told only what holds no case data.
  if (member.state != "active") return send_(member.address, text, storage::Audience::notice);
  return to_staff(member.address, text);
}

bool Desk::audit(const storage::StaffRow& member, const std::string& action,
                 const std::string& subject, TimePoint now) {
  return audit_.record(unix_seconds(now), member.role, member.id, action, subject).ok();
}

bool Desk::on_staff_message(storage::StaffRow member, std::string_view text, TimePoint now) {
  // A key that is not the pinned one means the person may not be who was verified.
  const auto identity = identity_of_ ? identity_of_(member.address) : std::nullopt;
  if (member.state == "active" && identity && member.pinned_key != identity->key) {
    if (!on_identity_changed(member.address, now)) return false;
    member.state = "suspended";
  }
  if (member.state != "active") return answer_inactive(member, text, identity, now);

  const cases::StaffCommand command = cases::read_staff_command(text, flows_.desk, flows_.folder);
  const cases::Role role = role_of(member);
  if (command.verb == cases::StaffVerb::unknown || !cases::may_use(role, command.verb)) {
    // A command the member may not use is audited: who, which command, never its arguments.
    if (command.verb != cases::StaffVerb::unknown &&
        !audit(member, "refused " + std::string(cases::to_string(command.verb)), "", now)) {
      return false;
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

std::optional<Desk::Loaded> Desk::visible_case(const storage::StaffRow& member,
                                               const std::string& reference, bool& failed) {
  failed = false;
  auto found = cases_.by_reference(reference);
  if (!found) {
    failed = true;
    return std::nullopt;
  }
  std::optional<Loaded> loaded;
  if (found.value()) {
    auto row = cases_.get(*found.value());
    if (!row) {
      failed = true;
      return std::nullopt;
    }
    auto intake = flows::session_from_json(row->intake);
    if (intake) {
      cases::Facts facts = cases::facts_of(intake.value());
      if (cases::may_see(role_of(member), member.centres, facts.centre)) {
        loaded = Loaded{std::move(row).value(), std::move(intake).value(), std::move(facts)};
      }
    }
  }
  if (!loaded) failed = !reply(member, "staff.no_such_case", {{"reference", reference}});
  return loaded;
}

bool Desk::run_staff_command(const storage::StaffRow& member, const cases::StaffCommand& command,
                             TimePoint now) {
  using cases::StaffVerb;
  const std::string verb_word(cases::to_string(command.verb));
  switch (command.verb) {
    case StaffVerb::help:
      return reply(member, role_of(member) == cases::Role::coordinator ? "staff.help_coordinator"
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
    default:
      break;
  }
  // The rest act on one case.
  if (command.references.empty())
    return reply(member, "staff.missing_reference", {{"command", verb_word}});
  bool failed = false;
  const auto loaded = visible_case(member, command.references.front(), failed);
  if (!loaded) return !failed;
  if (command.verb == StaffVerb::erase) return erase_case(member, command, *loaded, now);
  // What the command queues is about the case: erasing it drops what has not gone yet.
  const auto mark = outbox_mark();
  return run_case_command(member, command, *loaded, now) && queued_about(loaded->row.id, mark);
}

bool Desk::run_case_command(const storage::StaffRow& member, const cases::StaffCommand& command,
                            const Loaded& loaded, TimePoint now) {
  using cases::StaffVerb;
  // A case the person did not want shared is, to a referent, a case that does not exist: the
  // answer then given (nothing: the command goes on).
  const auto hidden_answer = [&]() -> std::optional<bool> {
    const auto view = view_for(member, loaded);
    if (!view) return false;
    if (*view != cases::View::none) return std::nullopt;
    return reply(member, "staff.no_such_case", {{"reference", command.references.front()}});
  };
  switch (command.verb) {
    case StaffVerb::show:
      if (const auto answer = hidden_answer()) return *answer;
      return show_case(member, loaded) && audit(member, "viewed", loaded.row.reference, now);
    case StaffVerb::consent:
      return record_consent(member, command, loaded, now);
    case StaffVerb::audit: {
      auto entries = audit_.about(loaded.row.reference);
      if (!entries) return false;
      std::string lines;
      for (const auto& entry : entries.value()) {
        std::string actor = entry.actor;
        if (entry.actor_staff) {
          auto who = staff_.get(*entry.actor_staff);
          if (who && who.value()) actor += " " + who.value()->address;
        }
        if (!lines.empty()) lines += '\n';
        lines += flows_.desk.text("staff.audit_line", member.language,
                                  {{"date", date_of(entry.at, *flows_.validators, member.language)},
                                   {"actor", actor},
                                   {"action", entry.action}});
      }
      return to_staff(member.address, lines.empty() ? loaded.row.reference : lines);
    }
    default:
      if (const auto answer = hidden_answer()) return *answer;
      return change_case(member, command, loaded, now);
  }
}

bool Desk::list_cases(const storage::StaffRow& member, const cases::StaffCommand& command,
                      TimePoint now) {
  // Filters: a centre (coordinators), a status, "urgent", "mine".
  std::string centre, status;
  bool urgent = false, mine = false;
  for (const auto& word : command.words) {
    if (const auto it = flows_.desk.filter_words.find(word); it != flows_.desk.filter_words.end()) {
      if (it->second == "urgent") {
        urgent = true;
      } else if (it->second == "mine") {
        mine = true;
      } else {
        status = it->second;
      }
      continue;
    }
    for (const auto& each : flows_.validators->centres().centres) {
      if (std::find(each.aliases.begin(), each.aliases.end(), word) != each.aliases.end() ||
          word == each.id) {
        centre = each.id;
      }
    }
  }
  auto ids = cases_.all();
  if (!ids) return false;
  const long today = flows::days_from_civil(context(member.language, now).today);
  std::vector<std::string> lines;
  std::size_t matched = 0;
  for (auto it = ids->rbegin(); it != ids->rend(); ++it) {  // newest first
    auto row = cases_.get(*it);
    if (!row) return false;
    auto intake = flows::session_from_json(row->intake);
    if (!intake) continue;
    const cases::Facts facts = cases::facts_of(intake.value());
    if (!cases::may_see(role_of(member), member.centres, facts.centre)) continue;
    if (!centre.empty() && facts.centre != centre) continue;
    // A referent lists what the person agreed to: no name without consent, no line once refused.
    cases::View view = cases::View::full;
    if (role_of(member) != cases::Role::coordinator) {
      const auto consent = consent_now(*it, facts);
      if (!consent) return false;
      view = cases::view_of(role_of(member), member.centres, facts.centre, *consent);
    }
    if (view == cases::View::none) continue;
    if (!status.empty() && row->status != status) continue;
    if (mine && row->assigned != member.id) continue;
    if (urgent) {
      // Not over yet, and a lawyer wanted within the 10 days of the arrest.
      const auto known = cases::parse_status(row->status);
      const bool open = !known || !cases::is_final(*known);
      const bool in_time =
          facts.arrest_date && today - flows::days_from_civil(*facts.arrest_date) <= 10;
      if (!open || !facts.wants_lawyer || !in_time) continue;
    }
    ++matched;
    if (lines.size() >= kListedCases) continue;
    const auto* where = flows_.validators->centres().find(facts.centre);
    std::string name = facts.names.empty() ? std::string() : facts.names.front();
    if (name.empty() && !facts.aliases.empty()) name = facts.aliases.front();
    if (view == cases::View::reduced)
      name = flows_.desk.text("staff.consent_not_recorded_short", member.language);
    lines.push_back(
        flows_.desk.text("staff.case_line", member.language,
                         {{"reference", row->reference},
                          {"status", flows_.desk.text("status." + row->status, member.language)},
                          {"centre", where != nullptr ? where->name : facts.centre},
                          {"name", name}}));
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

bool Desk::show_case(const storage::StaffRow& member, const Loaded& loaded) {
  const auto wording = wording_for(loaded.intake);
  if (!wording) return false;
  // Coordinators see everything, and what the referents see; referents what the person agreed
  // to (a visit's needs, or the centre and dates only).
  const auto consent = consent_now(loaded.row.id, loaded.facts);
  if (!consent) return false;
  const cases::View view =
      cases::view_of(role_of(member), member.centres, loaded.facts.centre, *consent);
  std::string fields = cases::view_fields(*wording, cases::with_consent(loaded.intake, *consent),
                                          view, member.language);
  if (view == cases::View::full) {
    fields += "\n" + flows_.desk.text("staff.sharing_" + std::string(cases::to_string(*consent)),
                                      member.language);
  }
  auto events = cases_.events(loaded.row.id);
  if (!events) return false;
  std::string event_lines;
  for (const auto& event : events.value()) {
    std::string kind = event.kind;
    if (!event.status.empty())
      kind += " → " + flows_.desk.text("status." + event.status, member.language);
    // Notes and hosts' words may name the person: not without their consent.
    if (!event.detail.empty() && view != cases::View::reduced) kind += " : " + event.detail;
    event_lines +=
        (event_lines.empty() ? "" : "\n") +
        flows_.desk.text("staff.event_line", member.language,
                         {{"date", date_of(event.at, *flows_.validators, member.language)},
                          {"actor", event.actor},
                          {"kind", kind}});
  }
  std::string assigned;
  if (loaded.row.assigned) {
    auto who = staff_.get(*loaded.row.assigned);
    if (!who) return false;
    if (who.value()) {
      assigned = flows_.desk.text("staff.assigned_to", member.language,
                                  {{"address", who.value()->address}});
    }
  }
  return reply(member, "staff.case_detail",
               {{"reference", loaded.row.reference},
                {"status", flows_.desk.text("status." + loaded.row.status, member.language)},
                {"assigned", assigned},
                {"fields", fields},
                {"events", event_lines}});
}

// assign, note, status, close, acknowledge: one change to one case, an event and an audit line.
bool Desk::change_case(const storage::StaffRow& member, const cases::StaffCommand& command,
                       const Loaded& loaded, TimePoint now) {
  using cases::StaffVerb;
  const std::int64_t seconds = unix_seconds(now);
  const std::string& reference = loaded.row.reference;
  auto actor = peers_.find_or_add(member.address, seconds);
  if (!actor) return false;
  auto event = [&](const std::string& kind, const std::string& status, const std::string& detail) {
    return cases_
               .add_event(loaded.row.id, seconds, member.role, actor.value(), kind, status, detail)
               .ok() &&
           audit(member, kind, reference, now);
  };
  // "status K7QM-3XPD located he is in Vottem": the status word, then why.
  auto status_word = [&]() -> std::string {
    if (command.words.empty()) return {};
    const auto it = flows_.desk.filter_words.find(command.words.front());
    if (it == flows_.desk.filter_words.end() || !cases::parse_status(it->second)) return {};
    return it->second;
  };
  auto after_first_word = [&] {
    const auto space = command.rest.find(' ');
    return space == std::string::npos ? std::string() : command.rest.substr(space + 1);
  };
  switch (command.verb) {
    case StaffVerb::note:
      if (command.rest.empty()) return reply(member, "staff.empty_note");
      return event("note", {}, command.rest) &&
             reply(member, "staff.noted", {{"reference", reference}});
    case StaffVerb::status:
    case StaffVerb::close: {
      const std::string status = status_word();
      const bool closing = command.verb == StaffVerb::close;
      const bool outcome =
          std::find(std::begin(kOutcomes), std::end(kOutcomes), status) != std::end(kOutcomes);
      if (status.empty() || (closing && !outcome)) {
        if (closing) return reply(member, "staff.which_outcome");
        std::string names;
        for (const char* each : {"acknowledged", "located", "not_found", "lawyer", "released",
                                 "deported", "transferred", "closed"}) {
          names += (names.empty() ? "" : ", ") +
                   flows_.desk.text(std::string("status.") + each, member.language);
        }
        return reply(member, "staff.which_status", {{"statuses", names}});
      }
      if (!cases_.set_status(loaded.row.id, status, seconds) ||
          !event(closing ? "closed" : "status", status, after_first_word())) {
        return false;
      }
      const auto known = cases::parse_status(status);
      if (known && cases::is_final(*known) && !cancel_deadlines(loaded.row.id)) {
        return false;
      }
      return reply(member, "staff.status_set",
                   {{"reference", reference},
                    {"status", flows_.desk.text("status." + status, member.language)}});
    }
    case StaffVerb::acknowledge: {
      const std::string acknowledged(cases::to_string(cases::Status::acknowledged));
      if (loaded.row.status == cases::to_string(cases::Status::reported)) {
        if (!cases_.set_status(loaded.row.id, acknowledged, seconds) ||
            !event("acknowledged", acknowledged, {})) {
          return false;
        }
      }
      const auto* centre = flows_.validators->centres().find(loaded.facts.centre);
      const std::string centre_name = centre != nullptr ? centre->name : loaded.facts.centre;
      const bool told = tell_coordinators(
          [&](const storage::StaffRow& other) {
            return flows_.desk.text("staff.acknowledged", other.language,
                                    {{"reference", reference}, {"centre", centre_name}});
          },
          member.address);
      return told && reply(member, "staff.ack_done", {{"reference", reference}});
    }
    case StaffVerb::assign: {
      const std::string address = command.rest.substr(0, command.rest.find(' '));
      auto target = staff_.find(address);
      if (!target) return false;
      const bool fits = target.value() && target.value()->state == "active" &&
                        role_of(*target.value()) == cases::Role::referent &&
                        follows(*target.value(), loaded.facts.centre);
      if (!fits) return reply(member, "staff.not_a_referent", {{"address", address}});
      const auto consent = consent_now(loaded.row.id, loaded.facts);
      if (!consent) return false;
      if (cases::referent_view(*consent) == cases::View::none)
        return reply(member, "staff.not_shared", {{"reference", reference}});
      if (!cases_.assign(loaded.row.id, target.value()->id, seconds) ||
          !event("assigned", {}, {})) {
        return false;
      }
      return to_staff(target.value()->address,
                      flows_.desk.text("staff.assigned_you", target.value()->language,
                                       {{"reference", reference}})) &&
             reply(member, "staff.assigned", {{"reference", reference}, {"address", address}});
    }
    default:
      return reply(member, "staff.no_such_case", {{"reference", reference}});
  }
}

std::optional<cases::View> Desk::view_for(const storage::StaffRow& member, const Loaded& loaded) {
  if (role_of(member) == cases::Role::coordinator) return cases::View::full;
  const auto consent = consent_now(loaded.row.id, loaded.facts);
  if (!consent) return std::nullopt;
  return cases::view_of(role_of(member), member.centres, loaded.facts.centre, *consent);
}

// "consent K7QM-3XPD yes": the event holds the value (sealed), the audit line who and when only.
bool Desk::record_consent(const storage::StaffRow& member, const cases::StaffCommand& command,
                          const Loaded& loaded, TimePoint now) {
  const std::string& reference = loaded.row.reference;
  std::string value;
  if (!command.words.empty()) {
    const auto it = flows_.desk.consent_words.find(command.words.front());
    if (it != flows_.desk.consent_words.end()) value = it->second;
  }
  if (value.empty()) return reply(member, "staff.which_consent", {{"reference", reference}});
  const cases::Consent wanted = cases::parse_consent(value);
  const auto before = consent_now(loaded.row.id, loaded.facts);
  if (!before) return false;
  if (*before == wanted) return reply(member, "staff.consent_same", {{"reference", reference}});
  const std::int64_t seconds = unix_seconds(now);
  auto actor = peers_.find_or_add(member.address, seconds);
  if (!actor ||
      !cases_.add_event(loaded.row.id, seconds, member.role, actor.value(), cases::kConsentEvent,
                        {}, value) ||
      !audit(member, cases::kConsentEvent, reference, now)) {
    return false;
  }
  log::info("a coordinator recorded a detained person's consent");
  // No: nothing more reaches the referents (what they were sent before cannot be taken back).
  if (wanted == cases::Consent::no)
    return reply(member, "staff.consent_recorded_no", {{"reference", reference}});
  // Yes: the referents of the centre get the alert a case filed with consent gets.
  const auto wording = wording_for(loaded.intake);
  if (!wording) return false;
  const bool told = tell_staff(
      [&](const storage::StaffRow& other) {
        return role_of(other) == cases::Role::referent
                   ? referent_alert_for(other, *wording, loaded.intake, reference, wanted)
                   : std::string();
      },
      loaded.facts.centre);
  const auto* centre = flows_.validators->centres().find(loaded.facts.centre);
  return told && reply(member, "staff.consent_recorded_yes",
                       {{"reference", reference},
                        {"centre", centre != nullptr ? centre->name : loaded.facts.centre}});
}

bool Desk::link_cases(const storage::StaffRow& member, const cases::StaffCommand& command,
                      TimePoint now) {
  const std::string verb_word(cases::to_string(command.verb));
  if (command.references.size() != 2)
    return reply(member, "staff.two_references", {{"command", verb_word}});
  bool failed = false;
  const auto first = visible_case(member, command.references[0], failed);
  if (!first) return !failed;
  const auto second = visible_case(member, command.references[1], failed);
  if (!second) return !failed;
  const std::int64_t seconds = unix_seconds(now);
  const bool linking = command.verb == cases::StaffVerb::link;
  if (linking) {
    if (!cases_.link(first->row.id, second->row.id, seconds)) return false;
  } else if (!cases_.unlink(first->row.id, second->row.id)) {
    return false;
  }
  const std::string kind = linking ? "linked" : "unlinked";
  auto actor = peers_.find_or_add(member.address, seconds);
  if (!actor ||
      !cases_.add_event(first->row.id, seconds, member.role, actor.value(), kind, {},
                        second->row.reference) ||
      !cases_.add_event(second->row.id, seconds, member.role, actor.value(), kind, {},
                        first->row.reference) ||
      !audit(member, kind, first->row.reference, now) ||
      !audit(member, kind, second->row.reference, now)) {
    return false;
  }
  return reply(member, linking ? "staff.linked_done" : "staff.unlinked_done",
               {{"reference", first->row.reference}, {"other", second->row.reference}});
}

// Every row of the case, once confirmed; the audit keeps that it happened, and who did it.
bool Desk::erase_case(const storage::StaffRow& member, const cases::StaffCommand& command,
                      const Loaded& loaded, TimePoint now) {
  const bool confirmed =
      std::any_of(command.words.begin(), command.words.end(), [&](const auto& w) {
        return std::find(flows_.desk.confirm_words.begin(), flows_.desk.confirm_words.end(), w) !=
               flows_.desk.confirm_words.end();
      });
  if (!confirmed)
    return reply(member, "staff.erase_confirm", {{"reference", loaded.row.reference}});
  // Of its trail only the erasure stays: who, when (the reference sealed, no field).
  if (!erase_everywhere(loaded.row) || !audit(member, "erased", loaded.row.reference, now))
    return false;
  log::info("a coordinator erased a case");
  return reply(member, "staff.erased", {{"reference", loaded.row.reference}});
}

bool Desk::verify_member(const storage::StaffRow& member, const cases::StaffCommand& command,
                         TimePoint now) {
  const auto space = command.rest.find(' ');
  const std::string address = command.rest.substr(0, space);
  const std::string fingerprint =
      space == std::string::npos ? std::string() : compact(command.rest.substr(space + 1));
  auto target = staff_.find(address);
  if (!target) return false;
  if (!target.value()) return reply(member, "staff.no_such_member", {{"address", address}});
  const auto identity = identity_of_ ? identity_of_(address) : std::nullopt;
  if (!identity) return reply(member, "staff.no_key_yet", {{"address", address}});
  if (fingerprint.empty() || compact(identity->fingerprint) != fingerprint) {
    // Never the fingerprint held: the check would become copy and paste.
    log::notice("a verification with a wrong fingerprint was refused");
    return audit(member, "verify_refused", address, now) &&
           reply(member, "staff.fingerprint_mismatch", {{"address", address}});
  }
  if (!staff_.verify(target.value()->id, identity->key, unix_seconds(now)) ||
      !audit(member, "staff_verified", address, now)) {
    return false;
  }
  return reply(member, "staff.verified", {{"address", address}});
}

bool Desk::list_staff(const storage::StaffRow& member) {
  auto members = staff_.all();
  if (!members) return false;
  std::string lines;
  for (const auto& each : members.value()) {
    std::string centres;
    for (const auto& centre : each.centres) centres += (centres.empty() ? "" : ",") + centre;
    const auto identity = identity_of_ ? identity_of_(each.address) : std::nullopt;
    lines +=
        (lines.empty() ? "" : "\n") +
        flows_.desk.text("staff.staff_line", member.language,
                         {{"address", each.address},
                          {"role", each.role},
                          {"centres", centres.empty() ? "-" : centres},
                          {"state", each.state},
                          {"fingerprint", identity && each.state == "active" ? identity->fingerprint
                                                                             : std::string("-")}});
  }
  return to_staff(member.address, lines);
}

// Anonymous counts: by centre, status and month; no names, no references.
bool Desk::show_stats(const storage::StaffRow& member) {
  auto counts = count_cases(store_);
  if (!counts) return false;
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
