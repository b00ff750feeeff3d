// Staff correct a case's fields by chat ("correct K7QM-3XPD centre merksplas ; moved on Monday"):
// the value read as the intake's own question reads it, the intake sealed again with it, an event
// with who, when, what and why, the deadlines recomputed, and a change of centre moves the case
// (the new centre's referents get its alert and access, the old centre's are told it left and
// lose access, since access follows the centre). Inside the caller's transaction.
#include <algorithm>

#include "bot/cases/matching.hpp"
#include "bot/desk/desk.hpp"
#include "bot/log/log.hpp"

namespace gvo::desk {
namespace {

namespace log = gvo::log;

constexpr char kCorrectedEvent[] = "corrected";

std::string trimmed(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\n");
  return std::string(text.substr(first, last - first + 1));
}

}  // namespace

Result<void> Desk::correct_case(const storage::StaffRow& member, const cases::StaffCommand& command,
                                const Loaded& loaded, TimePoint now) {
  const std::string& reference = loaded.row.reference;
  auto wording = wording_or_fail(loaded.intake);
  if (!wording) return std::move(wording).error();
  // "FIELD VALUE ; why"
  const std::string& rest = command.rest;
  const auto space = rest.find_first_of(" \t");
  const std::string field_word = flows::fold_words(flows_.folder, rest.substr(0, space));
  const auto field_it = flows_.desk.field_words.find(field_word);
  const std::string after = space == std::string::npos ? std::string() : rest.substr(space + 1);
  const auto semicolon = after.find(';');
  const std::string value = trimmed(std::string_view(after).substr(0, semicolon));
  const std::string why =
      semicolon == std::string::npos ? std::string() : trimmed(after.substr(semicolon + 1));
  if (field_it == flows_.desk.field_words.end() || value.empty()) {
    std::string fields;
    for (const auto& field : cases::correctable_fields())
      fields += (fields.empty() ? "" : ", ") + cases::field_label(*wording, field, member.language);
    return reply(member, "staff.correct_how", {{"reference", reference}, {"fields", fields}});
  }
  const std::string& field = field_it->second;
  const std::string label = cases::field_label(*wording, field, member.language);
  // A referent corrects what a visit checks, on a case the person agreed to share.
  if (member.role != cases::Role::coordinator) {
    const auto view = view_for(member, loaded);
    if (!view) return std::move(view).error();
    if (view.value() != cases::View::visit || !cases::may_correct(member.role, field)) {
      return reply(member, "staff.correct_not_yours", {{"reference", reference}, {"field", label}});
    }
  }
  if (field == cases::result::consent) {
    cases::StaffCommand consent = command;
    consent.words = {flows::fold_words(flows_.folder, value)};
    return record_consent(member, consent, loaded, now);
  }

  // Read as the intake's question reads it (a date as "12/3" or "hier", a centre by its loose
  // name); a field no question asks is a date (the decision's).
  flows::AnswerSpec date_spec;
  date_spec.kind = flows::AnswerKind::date;
  const flows::AnswerSpec* spec = &date_spec;
  if (const auto node = wording->flow.ask_node_of_result.find(field);
      node != wording->flow.ask_node_of_result.end()) {
    if (const auto* ask = wording->flow.node(node->second)) spec = &ask->answer;
  }
  const auto read = flows_.validators->validate(*spec, value, context(member.language, now));
  if (const auto* refused = std::get_if<flows::Rejection>(&read)) {
    return reply(member, "staff.correct_refused",
                 {{"reference", reference},
                  {"field", label},
                  {"reason", flows_.catalog.text("invalid." + refused->reason, member.language,
                                                 refused->values)}});
  }
  flows::Answer answer = std::get<flows::Answer>(read);
  answer.raw = value;
  const auto before = loaded.intake.results.find(field);
  const bool had = before != loaded.intake.results.end() && !before->second.skipped;
  if (had && before->second.value == answer.value) {
    return reply(member, "staff.correct_same",
                 {{"reference", reference},
                  {"field", label},
                  {"value", cases::shown_value(*wording, field, answer, member.language)}});
  }

  flows::Session intake = loaded.intake;
  intake.results[field] = answer;
  const cases::Facts facts = cases::facts_of(intake);
  const std::int64_t seconds = unix_seconds(now);
  if (auto stored = cases_.correct(loaded.row.id, flows::to_json(intake), facts.centre,
                                   cases::match_keys(facts, flows_.folder).kept, seconds);
      !stored) {
    return stored;
  }
  const std::string detail = field + ": " + (had ? before->second.value : std::string("-")) +
                             " → " + answer.value + (why.empty() ? "" : " ; " + why);
  if (auto event = case_event(member, loaded, kCorrectedEvent, std::nullopt, detail, now); !event)
    return event;
  if (auto planned = plan_deadlines(loaded.row.id, now); !planned) return planned;
  if (facts.centre != loaded.facts.centre) {
    if (auto moved = move_case(loaded, intake, now); !moved) return moved;
  }
  auto told = tell_coordinators(
      [&](const storage::StaffRow& other) {
        return flows_.desk.text(
            "staff.corrected_by", other.language,
            {{"who", member.address},
             {"reference", reference},
             {"field", cases::field_label(*wording, field, other.language)},
             {"value", cases::shown_value(*wording, field, answer, other.language)},
             {"why", why.empty() ? std::string() : " (" + why + ")"}});
      },
      member.address);
  if (!told) return told;
  log::info("a staff member corrected a case's field");
  return reply(member, "staff.corrected",
               {{"reference", reference},
                {"field", label},
                {"value", cases::shown_value(*wording, field, answer, member.language)}});
}

Result<void> Desk::move_case(const Loaded& before, const flows::Session& intake, TimePoint now) {
  const std::string& reference = before.row.reference;
  const std::string& old_centre = before.facts.centre;
  const std::string new_centre = cases::facts_of(intake).centre;
  auto wording = wording_or_fail(intake);
  if (!wording) return std::move(wording).error();
  const auto consent = consent_now(before.row.id, before.facts);
  if (!consent) return std::move(consent).error();
  const bool shared = cases::referent_view(consent.value()) != cases::View::none;
  auto members = staff_.all();
  if (!members) return std::move(members).error();
  for (const auto& member : members.value()) {
    if (member.state != storage::StaffState::active || member.role != cases::Role::referent)
      continue;
    const bool old_one = follows(member, old_centre);
    const bool new_one = follows(member, new_centre);
    std::string text;
    if (old_one && !new_one && shared) {
      text = flows_.desk.text("staff.case_left", member.language,
                              {{"reference", reference}, {"centre", centre_name(new_centre)}});
    } else if (new_one && !old_one) {
      const std::string alert =
          referent_alert_for(member, *wording, intake, reference, consent.value());
      if (!alert.empty()) {
        text = flows_.desk.text("staff.case_moved", member.language,
                                {{"old", centre_name(old_centre)}}) +
               "\n" + alert;
      }
    }
    if (text.empty()) continue;
    if (auto sent = to_staff(member.address, text); !sent) return sent;
  }
  // A referent of the old centre it was assigned to follows it no more.
  if (before.row.assigned) {
    auto assigned = staff_.get(*before.row.assigned);
    if (!assigned) return std::move(assigned).error();
    if (assigned.value() && assigned.value()->role == cases::Role::referent &&
        !follows(*assigned.value(), new_centre)) {
      if (auto done = cases_.unassign(before.row.id, unix_seconds(now)); !done) return done;
    }
  }
  log::info("a case moved to another centre");
  return tell_if_no_referent(reference, new_centre);
}

}  // namespace gvo::desk
