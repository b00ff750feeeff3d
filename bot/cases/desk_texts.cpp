#include "bot/cases/desk_texts.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "flows/json_words.hpp"

namespace gvo::cases {
namespace {

constexpr std::array<std::pair<UpdateKind, const char*>, 6> kUpdateKinds{{
    {UpdateKind::status, "status"},
    {UpdateKind::new_report, "new_report"},
    {UpdateKind::released, "released"},
    {UpdateKind::deported, "deported"},
    {UpdateKind::transferred, "transferred"},
    {UpdateKind::flight, "flight"},
}};

constexpr std::array<std::pair<StaffVerb, const char*>, 23> kVerbs{{
    {StaffVerb::help, "help"},
    {StaffVerb::cases, "cases"},
    {StaffVerb::show, "show"},
    {StaffVerb::assign, "assign"},
    {StaffVerb::note, "note"},
    {StaffVerb::status, "status"},
    {StaffVerb::link, "link"},
    {StaffVerb::unlink, "unlink"},
    {StaffVerb::close, "close"},
    {StaffVerb::erase, "erase"},
    {StaffVerb::audit, "audit"},
    {StaffVerb::stats, "stats"},
    {StaffVerb::acknowledge, "acknowledge"},
    {StaffVerb::verify, "verify"},
    {StaffVerb::staff, "staff"},
    {StaffVerb::consent, "consent"},
    {StaffVerb::deadlines, "deadlines"},
    {StaffVerb::correct, "correct"},
    {StaffVerb::reply, "reply"},
    {StaffVerb::requests, "requests"},
    {StaffVerb::done, "done"},
    {StaffVerb::merge, "merge"},
    {StaffVerb::find, "find"},
}};

// What a coordinator may record of the person's agreement ("consent K7QM-3XPD yes").
constexpr std::array<const char*, 2> kConsentValues{{"yes", "no"}};

constexpr std::array<const char*, 12> kFilters{{"urgent", "mine", "all", "new", "acknowledged",
                                                "located", "not_found", "lawyer", "released",
                                                "deported", "transferred", "closed"}};

}  // namespace

std::string_view to_string(StaffVerb verb) {
  for (const auto& [value, name] : kVerbs) {
    if (value == verb) return name;
  }
  return "unknown";
}

std::string_view to_string(UpdateKind kind) {
  for (const auto& [value, name] : kUpdateKinds) {
    if (value == kind) return name;
  }
  return "none";
}

std::string DeskTexts::text(const std::string& key, const flows::Language& language,
                            const std::map<std::string, std::string>& values) const {
  return flows::message_text(messages, languages, key, language, values);
}

NoteAudience note_audience(const std::vector<std::string>& folded_words, const DeskTexts& texts) {
  const auto any_of = [&](const std::vector<std::string>& list) {
    return std::any_of(folded_words.begin(), folded_words.end(), [&](const std::string& word) {
      return std::find(list.begin(), list.end(), word) != list.end();
    });
  };
  if (any_of(texts.note_private_words)) return NoteAudience::coordinators;
  if (any_of(texts.note_shared_words)) return NoteAudience::everyone;
  return any_of(texts.lawyer_words) ? NoteAudience::coordinators : NoteAudience::everyone;
}

std::string_view note_kind(NoteAudience audience) {
  return audience == NoteAudience::coordinators ? kCoordinatorNoteEvent : "note";
}

const std::vector<std::string>& correctable_fields() {
  static const std::vector<std::string> kFields = {
      "centre",      "registered_name", "other_names", "nationality",    "oe_number",
      "arrest_date", "decision_date",   "birth_date",  "detainee_phone", "consent"};
  return kFields;
}

const std::vector<std::string>& required_desk_keys() {
  static const std::vector<std::string> kKeys = {
      "staff.new_case", "staff.flags", "staff.flag_lawyer", "staff.flag_alias_only",
      "staff.flag_no_arrest_date", "staff.flag_duplicate", "staff.referent_alert", "staff.linked",
      "staff.host_update", "staff.host_update_urgent", "staff.deadline", "staff.deadline_late",
      "staff.noted_coordinators", "staff.unknown_filter", "staff.case_arrested",
      "staff.case_reported", "staff.partial_reference", "staff.not_linked", "staff.news",
      "staff.news_line", "staff.acknowledged_by_coordinator", "staff.no_referent",
      "staff.erased_by", "staff.corrected", "staff.corrected_by", "staff.correct_how",
      "staff.correct_refused", "staff.correct_same", "staff.case_left", "staff.case_moved",
      "staff.transfer_proposed", "field.decision_date", "staff.start_arrest",
      "staff.start_decision", "staff.deadline_row", "staff.no_deadlines", "staff.acknowledged",
      "staff.ack_done", "staff.no_such_case", "staff.human",
      // the two-way line with hosts
      "staff.human.line", "staff.human.none", "staff.human.closed", "staff.human.closed_by",
      "staff.human.no_such", "staff.line.host_note", "staff.line.host_note_reduced",
      "staff.line.replied", "staff.line.replied_by", "staff.line.replied_request",
      "staff.line.no_host", "staff.line.reply_how", "host.line.from_gvo",
      "host.line.from_gvo_plain", "host.line.noted", "host.line.human", "host.line.located",
      "host.line.released", "host.line.deported", "host.line.closed", "staff.help_coordinator",
      "staff.help_referent", "staff.unknown_command", "staff.did_you_mean", "staff.inactive",
      "staff.missing_reference", "staff.case_line", "staff.no_cases", "staff.more_cases",
      "staff.case_detail", "staff.assigned_to", "staff.event_line", "staff.assigned",
      "staff.assigned_you", "staff.not_a_referent", "staff.noted", "staff.empty_note",
      "staff.status_set", "staff.which_status", "staff.linked_done", "staff.unlinked_done",
      "staff.two_references", "staff.which_outcome", "staff.erase_confirm", "staff.erased",
      "staff.audit_line", "staff.stats", "staff.verified", "staff.fingerprint_mismatch",
      "staff.no_key_yet", "staff.no_such_member", "staff.identity_changed", "staff.staff_line",
      "staff.host_forgotten", "staff.host_forgotten_alone", "staff.fingerprint_later",
      "staff.enrolled", "staff.enrol_refused", "staff.flag_consent_not_asked",
      "staff.flag_consent_no", "staff.referent_alert_reduced", "staff.deadline_line",
      "staff.consent_not_recorded", "staff.consent_not_recorded_short", "staff.sharing_yes",
      "staff.sharing_not_asked", "staff.sharing_no", "staff.host_update_reduced",
      "staff.host_update_urgent_reduced", "staff.consent_recorded_yes", "staff.consent_recorded_no",
      "staff.consent_same", "staff.which_consent", "staff.not_shared", "host.update_noted",
      "host.forgotten_with_case", "host.busy", "host.unreadable", "host.flight_noted",
      "host.status_line", "host.no_case", "host.follow_up", "update.released", "update.deported",
      "update.transferred", "update.transferred_to", "update.flight", "update.flight_on",
      "status.new", "status.acknowledged", "status.located", "status.not_found", "status.lawyer",
      "status.released", "status.deported", "status.transferred", "status.closed",
      "centre_phones_line",
      // merge, find, the daily digest
      "staff.merge_same", "staff.merge_done", "staff.merged_already", "host.line.merged",
      "staff.find_how", "staff.find_none", "staff.find_found", "staff.find_merged", "staff.digest",
      "staff.digest_new", "staff.digest_deadlines", "staff.digest_flights", "staff.digest_requests",
      "staff.digest_no_referent", "staff.digest_flight_line"};
  return kKeys;
}

flows::Result<DeskTexts> load_desk_texts(std::string_view json_text, std::string_view source,
                                         const flows::TextFolder& folder) {
  std::string why;
  const core::Json root = core::parse_json(json_text, why);
  if (root.is_discarded())
    return core::fail(flows::FlowErrc::syntax, std::string(source) + ": " + why);
  core::JsonReader reader(source);
  DeskTexts texts;
  if (!reader.expect_object(root, "")) return core::fail(flows::FlowErrc::invalid, reader.report());
  reader.reject_unknown_keys(
      root, "",
      {"format", "comment", "languages", "messages", "updates", "commands", "filters", "confirm",
       "tomorrow", "weekdays", "consent", "fields", "notes"});
  int format = 0;
  reader.read_int(root, "", "format", format, 1, 1, true);
  reader.read_string_list(root, "", "languages", texts.languages);
  if (texts.languages.empty()) reader.problem("/languages", "expected at least one language");
  texts.messages = flows::read_messages(reader, root, required_desk_keys(), texts.languages);

  auto words = [&](const core::Json& object, const std::string& path) {
    std::vector<std::string> all;
    for (auto& [language, list] : flows::read_words(reader, object, path, texts.languages, folder))
      all.insert(all.end(), list.begin(), list.end());
    return all;
  };
  if (const auto updates = root.find("updates");
      updates == root.end() || !reader.expect_object(*updates, "/updates")) {
    if (updates == root.end()) reader.problem("/updates", "missing (expected words by kind)");
  } else {
    for (const auto& [kind, name] : kUpdateKinds) {
      if (!updates->contains(name)) {
        reader.problem(std::string("/updates/") + name,
                       "missing (expected words in each language)");
        continue;
      }
      texts.update_words[kind] = words((*updates)[name], std::string("/updates/") + name);
    }
    reader.reject_unknown_keys(
        *updates, "/updates",
        {"status", "new_report", "released", "deported", "transferred", "flight"});
  }
  for (const char* key : {"confirm", "tomorrow"}) {
    const auto it = root.find(key);
    if (it == root.end()) {
      reader.problem(std::string("/") + key, "missing (expected words in each language)");
      continue;
    }
    (std::string(key) == "confirm" ? texts.confirm_words : texts.tomorrow_words) =
        words(*it, std::string("/") + key);
  }
  // A word may name one command only (the same word in two languages is one entry).
  if (const auto commands = root.find("commands");
      commands == root.end() || !reader.expect_object(*commands, "/commands")) {
    if (commands == root.end()) reader.problem("/commands", "missing (expected words by command)");
  } else {
    for (const auto& [verb, name] : kVerbs) {
      const std::string path = std::string("/commands/") + name;
      if (!commands->contains(name)) {
        reader.problem(path, "missing (expected words in each language)");
        continue;
      }
      for (const auto& word : words((*commands)[name], path)) {
        const auto [it, added] = texts.command_words.emplace(word, verb);
        if (!added && it->second != verb)
          reader.problem(path,
                         "'" + word + "' already names " + std::string(to_string(it->second)));
      }
    }
    for (const auto& item : commands->items()) {
      const bool known = std::any_of(kVerbs.begin(), kVerbs.end(),
                                     [&](const auto& verb) { return item.key() == verb.second; });
      if (!known) reader.problem("/commands/" + item.key(), "unknown command");
    }
  }
  if (const auto filters = root.find("filters");
      filters == root.end() || !reader.expect_object(*filters, "/filters")) {
    if (filters == root.end()) reader.problem("/filters", "missing (expected words by filter)");
  } else {
    for (const char* name : kFilters) {
      const std::string path = std::string("/filters/") + name;
      if (!filters->contains(name)) {
        reader.problem(path, "missing (expected words in each language)");
        continue;
      }
      for (const auto& word : words((*filters)[name], path)) texts.filter_words.emplace(word, name);
    }
  }
  // A word means yes or no, not both.
  if (const auto consent = root.find("consent");
      consent == root.end() || !reader.expect_object(*consent, "/consent")) {
    if (consent == root.end()) reader.problem("/consent", "missing (expected yes and no words)");
  } else {
    for (const char* value : kConsentValues) {
      const std::string path = std::string("/consent/") + value;
      if (!consent->contains(value)) {
        reader.problem(path, "missing (expected words in each language)");
        continue;
      }
      for (const auto& word : words((*consent)[value], path)) {
        const auto [it, added] = texts.consent_words.emplace(word, value);
        if (!added && it->second != value)
          reader.problem(path, "'" + word + "' already means " + it->second);
      }
    }
    reader.reject_unknown_keys(*consent, "/consent", {"yes", "no"});
  }
  if (const auto notes = root.find("notes");
      notes == root.end() || !reader.expect_object(*notes, "/notes")) {
    if (notes == root.end()) reader.problem("/notes", "missing (private, shared and lawyer words)");
  } else {
    texts.note_private_words = words((*notes)["private"], "/notes/private");
    texts.note_shared_words = words((*notes)["shared"], "/notes/shared");
    texts.lawyer_words = words((*notes)["lawyer"], "/notes/lawyer");
    reader.reject_unknown_keys(*notes, "/notes", {"private", "shared", "lawyer"});
  }
  // A word names one field only.
  if (const auto fields = root.find("fields");
      fields == root.end() || !reader.expect_object(*fields, "/fields")) {
    if (fields == root.end()) reader.problem("/fields", "missing (expected words by field)");
  } else {
    for (const auto& field : correctable_fields()) {
      const std::string path = "/fields/" + field;
      if (!fields->contains(field)) {
        reader.problem(path, "missing (expected words in each language)");
        continue;
      }
      for (const auto& word : words((*fields)[field], path)) {
        const auto [it, added] = texts.field_words.emplace(word, field);
        if (!added && it->second != field)
          reader.problem(path, "'" + word + "' already names " + it->second);
      }
    }
    for (const auto& item : fields->items()) {
      const auto& known = correctable_fields();
      if (std::find(known.begin(), known.end(), item.key()) == known.end())
        reader.problem("/fields/" + item.key(), "unknown field");
    }
  }
  if (const auto weekdays = root.find("weekdays"); weekdays == root.end()) {
    reader.problem("/weekdays", "missing (expected seven names, Monday first, in each language)");
  } else {
    for (auto& [language, list] :
         flows::read_words(reader, *weekdays, "/weekdays", texts.languages, folder)) {
      if (list.size() != 7) {
        reader.problem("/weekdays/" + language, "expected seven names, Monday first");
        continue;
      }
      for (int day = 0; day < 7; ++day) texts.weekdays[list[static_cast<std::size_t>(day)]] = day;
    }
  }
  if (reader.failed()) return core::fail(flows::FlowErrc::invalid, reader.report());
  return texts;
}

}  // namespace gvo::cases
