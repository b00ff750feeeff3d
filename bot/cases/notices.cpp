#include "bot/cases/notices.hpp"

#include <algorithm>
#include <cstdio>

#include "bot/cases/case.hpp"
#include "bot/cases/deadlines.hpp"

namespace gvo::cases {
namespace {

// What a referent needs to find and visit someone, and no more.
constexpr const char* kReferentResults[] = {
    result::registered_name, result::other_names,    result::nationality, result::centre,
    result::arrest_date,     result::detainee_phone, result::consent};

// Without consent: what the deadlines and a visit's planning need, nothing that points to a
// person. Nationality is left out too: in a centre of a hundred, with the day of arrest, it can
// name one.
constexpr const char* kReducedResults[] = {result::centre, result::arrest_date};

std::string local(const flows::LocalText& text, const flows::Language& language,
                  const flows::Flow& flow) {
  auto it = text.find(language);
  if (it == text.end() && !flow.languages.empty()) it = text.find(flow.languages.front());
  if (it == text.end()) it = text.begin();
  return it == text.end() ? std::string() : it->second;
}

}  // namespace

std::string shown_value(const Wording& wording, const std::string& result,
                        const flows::Answer& answer, const flows::Language& language) {
  if (answer.skipped) return wording.catalog.text("summary_empty", language);
  const flows::Node* node = nullptr;
  if (const auto it = wording.flow.ask_node_of_result.find(result);
      it != wording.flow.ask_node_of_result.end()) {
    node = wording.flow.node(it->second);
  }
  if (node == nullptr) {
    // A field no question asks (a decision date a coordinator recorded): a day, shown as one.
    if (const auto date = parse_iso_date(answer.value))
      return wording.validators.display_date(*date, language);
    return answer.display.empty() ? answer.value : answer.display;
  }
  switch (node->answer.kind) {
    case flows::AnswerKind::date: {
      flows::CivilDate date;
      if (std::sscanf(answer.value.c_str(), "%d-%d-%d", &date.year, &date.month, &date.day) == 3 &&
          flows::is_valid(date)) {
        return wording.validators.display_date(date, language);
      }
      return answer.value;
    }
    case flows::AnswerKind::nationality:
      return wording.validators.country_name(answer.value, language);
    case flows::AnswerKind::centre: {
      if (answer.value == "unknown") return wording.catalog.text("centre_unknown_value", language);
      if (answer.value == "police_station")
        return wording.catalog.text("centre_police_value", language);
      const auto* centre = wording.validators.centres().find(answer.value);
      return centre != nullptr ? centre->name : answer.value;
    }
    case flows::AnswerKind::choice:
      for (const auto& choice : node->answer.choices) {
        if (choice.value == answer.value) return local(choice.label, language, wording.flow);
      }
      return answer.value;
    case flows::AnswerKind::yes_no:
      return wording.catalog.text(answer.value == "yes" ? "yes" : "no", language);
    case flows::AnswerKind::phone:
    case flows::AnswerKind::since:
      return answer.display;
    case flows::AnswerKind::text:
    case flows::AnswerKind::name:
      break;
  }
  return answer.value;
}

std::string field_label(const Wording& wording, const std::string& result,
                        const flows::Language& language) {
  if (const auto node = wording.flow.ask_node_of_result.find(result);
      node != wording.flow.ask_node_of_result.end()) {
    if (const auto* ask = wording.flow.node(node->second); ask && !ask->label.empty())
      return local(ask->label, language, wording.flow);
  }
  const std::string key = "field." + result;
  if (wording.desk.messages.count(key) != 0) return wording.desk.text(key, language);
  return result;
}

std::vector<std::string> summary_results(const flows::Flow& flow) {
  std::vector<std::string> order;
  for (const auto& [id, node] : flow.nodes) {
    if (node.kind == flows::NodeKind::summary && node.results.size() > order.size())
      order = node.results;
  }
  return order;
}

std::string field_lines(const Wording& wording, const flows::Session& intake,
                        const std::vector<std::string>& results, const flows::Language& language) {
  std::string lines;
  for (const auto& name : results) {
    const auto answer = intake.results.find(name);
    if (answer == intake.results.end() || answer->second.skipped) continue;
    if (!lines.empty()) lines += '\n';
    lines += field_label(wording, name, language) + " : " +
             shown_value(wording, name, answer->second, language);
  }
  return lines;
}

std::string coordinator_notice(const Wording& wording, const flows::Session& intake,
                               const std::string& reference, const CaseFlags& flags,
                               const flows::Language& language) {
  const DeskTexts& desk = wording.desk;
  std::string text = desk.text("staff.new_case", language, {{"reference", reference}});
  std::string flag_list;
  auto add = [&](const std::string& flag) { flag_list += (flag_list.empty() ? "" : " · ") + flag; };
  if (flags.wants_lawyer) add(desk.text("staff.flag_lawyer", language));
  if (flags.alias_only) add(desk.text("staff.flag_alias_only", language));
  if (flags.no_deadline_start)
    add(desk.text("staff.flag_no_arrest_date", language, {{"reference", reference}}));
  if (flags.consent != Consent::yes) {
    add(desk.text(
        flags.consent == Consent::no ? "staff.flag_consent_no" : "staff.flag_consent_not_asked",
        language, {{"reference", reference}}));
  }
  if (!flags.duplicate_of.empty()) {
    std::string references;
    for (const auto& other : flags.duplicate_of)
      references += (references.empty() ? "" : ", ") + other;
    add(desk.text("staff.flag_duplicate", language, {{"references", references}}));
  }
  if (!flag_list.empty()) text += "\n" + desk.text("staff.flags", language, {{"flags", flag_list}});
  text += "\n" + field_lines(wording, intake, summary_results(wording.flow), language);
  return text;
}

std::vector<std::string> referent_results() {
  return {std::begin(kReferentResults), std::end(kReferentResults)};
}

std::string referent_alert(const Wording& wording, const flows::Session& intake,
                           const std::string& reference, const flows::Language& language) {
  const std::vector<std::string> results(std::begin(kReferentResults), std::end(kReferentResults));
  return wording.desk.text(
      "staff.referent_alert", language,
      {{"reference", reference}, {"fields", field_lines(wording, intake, results, language)}});
}

std::vector<std::string> reduced_results() {
  return {std::begin(kReducedResults), std::end(kReducedResults)};
}

std::string deadline_lines(const Wording& wording, const flows::Session& intake,
                           const flows::Language& language) {
  const auto start = deadline_start(facts_of(intake));
  if (!start) return {};
  std::string lines;
  for (const auto& deadline : deadlines_from(*start)) {
    if (!lines.empty()) lines += '\n';
    lines += wording.desk.text("staff.deadline_line", language,
                               {{"days", std::to_string(deadline.days)},
                                {"due", wording.validators.display_date(deadline.due, language)}});
  }
  return lines;
}

std::string referent_alert_reduced(const Wording& wording, const flows::Session& intake,
                                   const std::string& reference, const flows::Language& language) {
  return wording.desk.text(
      "staff.referent_alert_reduced", language,
      {{"reference", reference},
       {"fields", field_lines(wording, intake, reduced_results(), language)},
       {"deadlines", deadline_lines(wording, intake, language)},
       {"consent", wording.desk.text("staff.consent_not_recorded", language)}});
}

std::string view_fields(const Wording& wording, const flows::Session& intake, View view,
                        const flows::Language& language) {
  switch (view) {
    case View::full: {
      auto results = summary_results(wording.flow);
      results.push_back(result::decision_date);  // recorded by a coordinator, asked by no one
      return field_lines(wording, intake, results, language);
    }
    case View::visit:
      return field_lines(wording, intake, referent_results(), language);
    case View::reduced: {
      std::string lines = field_lines(wording, intake, reduced_results(), language);
      for (const std::string& more : {deadline_lines(wording, intake, language),
                                      wording.desk.text("staff.consent_not_recorded", language)}) {
        if (!more.empty()) lines += (lines.empty() ? "" : "\n") + more;
      }
      return lines;
    }
    case View::none:
      break;
  }
  return {};
}

std::string centre_phone_lines(const flows::CentreDirectory& directory, const DeskTexts& desk,
                               const flows::Language& language) {
  std::vector<const flows::Centre*> order;
  for (const auto& centre : directory.centres) order.push_back(&centre);
  std::stable_partition(order.begin(), order.end(),
                        [](const flows::Centre* centre) { return centre->id == "caricole"; });
  std::string lines;
  for (const auto* centre : order) {
    std::string phones;
    for (const auto& phone : centre->phones) phones += (phones.empty() ? "" : ", ") + phone;
    if (!lines.empty()) lines += '\n';
    lines +=
        desk.text("centre_phones_line", language, {{"centre", centre->name}, {"phones", phones}});
  }
  return lines;
}

}  // namespace gvo::cases
