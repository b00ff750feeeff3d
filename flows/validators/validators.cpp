// The validators' dispatch and the simpler ones: free text, names, phone numbers, yes/no and
// choices. Dates, nationalities and centres have files of their own.
#include "flows/validators.hpp"

#include <algorithm>

#include <phonenumbers/logger.h>
#include <phonenumbers/phonenumbermatch.h>
#include <phonenumbers/phonenumbermatcher.h>
#include <phonenumbers/phonenumberutil.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include "flows/validators/tables.hpp"

namespace gvo::flows {
namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

// libphonenumber's default logger writes what it parses to stdout; no personal data in logs.
PhoneNumberUtil& phone_util() {
  static PhoneNumberUtil* util = [] {
    PhoneNumberUtil* instance = PhoneNumberUtil::GetInstance();
    instance->SetLogger(new i18n::phonenumbers::NullLogger());
    return instance;
  }();
  return *util;
}

bool in(const std::vector<std::string>& list, const std::string& word) {
  return std::find(list.begin(), list.end(), word) != list.end();
}

// "1", " 2 ", "٣", "n°4", "4." -> 4; anything else 0.
int chosen_number(const std::string& folded) {
  std::string digits;
  for (char c : folded) {
    if (c >= '0' && c <= '9') {
      digits += c;
    } else if (c != ' ' && c != '.' && c != 'n' && c != 'o') {
      return 0;
    }
  }
  if (digits.empty() || digits.size() > 3) return 0;
  return std::stoi(digits);
}

}  // namespace

Validators::Validators(const Catalog& catalog, const TextFolder& folder, CentreDirectory centres,
                       NationalityWords nationalities, UnderstandingWords understanding)
    : catalog_(catalog),
      folder_(folder),
      centres_(std::move(centres)),
      nationality_words_(std::move(nationalities)),
      words_(std::move(understanding)),
      dates_(make_date_tables(folder, catalog.languages)),
      countries_(make_nationality_index(folder, nationality_words_, catalog.languages)) {}

Validators::~Validators() = default;

Validation Validators::validate(const AnswerSpec& spec, std::string_view input,
                                const ValidationContext& context) const {
  switch (spec.kind) {
    case AnswerKind::text:
      return text(spec, input);
    case AnswerKind::name:
      return name(spec, input);
    case AnswerKind::date:
      return date(spec, input, context);
    case AnswerKind::nationality:
      return nationality(input, context);
    case AnswerKind::centre:
      return centre(input, context);
    case AnswerKind::phone:
      return phone(input);
    case AnswerKind::yes_no:
      return yes_no(input, context);
    case AnswerKind::choice:
      return choice(spec, input, context);
    case AnswerKind::since:
      return since(input, context);
  }
  return Rejection{"text_too_short", {}};
}

Validation Validators::text(const AnswerSpec& spec, std::string_view input) const {
  const std::string tidied = tidy(input);
  const std::size_t length = code_points(tidied);
  if (length < std::max<std::size_t>(spec.min_length, 1)) return Rejection{"text_too_short", {}};
  if (length > spec.max_length) {
    return Rejection{"text_too_long", {{"max", std::to_string(spec.max_length)}}};
  }
  return Answer{tidied, tidied, std::string(input), {}, false};
}

Validation Validators::phone(std::string_view input) const {
  const std::string tidied = tidy(input);
  if (tidied.empty() || tidied.size() > 64) return Rejection{"phone", {}};
  PhoneNumberUtil& util = phone_util();
  PhoneNumber number;
  if (util.Parse(tidied, "BE", &number) != PhoneNumberUtil::NO_PARSING_ERROR ||
      !util.IsValidNumber(number)) {
    return Rejection{"phone", {}};
  }
  std::string e164;
  std::string shown;
  util.Format(number, PhoneNumberUtil::E164, &e164);
  util.Format(number, PhoneNumberUtil::INTERNATIONAL, &shown);
  return Answer{e164, shown, std::string(input), {}, false};
}

std::vector<Found> Validators::find_phones(std::string_view text) const {
  std::vector<Found> found;
  const std::string whole(text);
  i18n::phonenumbers::PhoneNumberMatcher matcher(phone_util(), whole, "BE",
                                                 i18n::phonenumbers::PhoneNumberMatcher::VALID, 5);
  std::size_t searched = 0;
  i18n::phonenumbers::PhoneNumberMatch match;
  while (matcher.HasNext() && matcher.Next(&match)) {
    // The matcher's offsets count characters; find the number's bytes as written.
    const std::size_t at = whole.find(match.raw_string(), searched);
    if (at == std::string::npos) continue;
    searched = at + match.raw_string().size();
    std::string e164;
    std::string shown;
    phone_util().Format(match.number(), PhoneNumberUtil::E164, &e164);
    phone_util().Format(match.number(), PhoneNumberUtil::INTERNATIONAL, &shown);
    found.push_back(Found{Answer{e164, shown, match.raw_string(), {}, false}, at, searched});
  }
  return found;
}

Validation Validators::yes_no(std::string_view input, const ValidationContext& context) const {
  const std::string tidied = tidy(input);
  // Thumbs are answers too; folding would drop them as symbols.
  const bool thumbs_up = tidied.rfind("\xF0\x9F\x91\x8D", 0) == 0 || tidied == "\xE2\x9C\x85";
  const bool thumbs_down = tidied.rfind("\xF0\x9F\x91\x8E", 0) == 0 || tidied == "\xE2\x9D\x8C";
  const std::string folded = fold_words(folder_, input);
  const std::vector<std::string> tokens = words(folded);
  const std::string first = tokens.empty() ? std::string() : tokens.front();
  bool yes = thumbs_up || in(catalog_.yes_words, folded);
  bool no = thumbs_down || in(catalog_.no_words, folded);
  if (!yes && !no) {
    // "Oui merci", "non, pas encore": the first word says it, unless another word contradicts
    // it ("oui non").
    const auto& other = in(catalog_.yes_words, first) ? catalog_.no_words : catalog_.yes_words;
    const bool contradicted = std::any_of(tokens.begin() + (tokens.empty() ? 0 : 1), tokens.end(),
                                          [&](const std::string& word) { return in(other, word); });
    yes = in(catalog_.yes_words, first) && !contradicted;
    no = in(catalog_.no_words, first) && !contradicted;
  }
  if (yes == no) return Rejection{"yes_no", {}};
  const std::string value = yes ? "yes" : "no";
  return Answer{value, catalog_.text(value, context.language), std::string(input), {}, false};
}

std::string Validators::label(const Choice& choice, const Language& language) const {
  if (const auto it = choice.label.find(language); it != choice.label.end()) return it->second;
  for (const Language& other : catalog_.languages) {
    if (const auto it = choice.label.find(other); it != choice.label.end()) return it->second;
  }
  return choice.value;
}

std::string Validators::choice_list(const AnswerSpec& spec, const Language& language) const {
  std::string list;
  for (std::size_t i = 0; i < spec.choices.size(); ++i) {
    if (!list.empty()) list += "\n";
    list += std::to_string(i + 1) + ". " + label(spec.choices[i], language);
  }
  return list;
}

Validation Validators::choice(const AnswerSpec& spec, std::string_view input,
                              const ValidationContext& context) const {
  const std::string folded = fold_words(folder_, input);
  auto answer = [&](const Choice& picked) -> Validation {
    return Answer{picked.value, label(picked, context.language), std::string(input), {}, false};
  };
  const int number = chosen_number(folder_.fold(input));
  if (number >= 1 && static_cast<std::size_t>(number) <= spec.choices.size()) {
    return answer(spec.choices[static_cast<std::size_t>(number - 1)]);
  }
  // Every label in every language, and the keywords: exact, then inside a sentence, then a typo.
  std::vector<std::vector<std::string>> words_of(spec.choices.size());
  for (std::size_t i = 0; i < spec.choices.size(); ++i) {
    for (const auto& [language, text] : spec.choices[i].label) {
      words_of[i].push_back(fold_words(folder_, text));
    }
    for (const auto& [language, list] : spec.choices[i].keywords) {
      for (const auto& word : list) words_of[i].push_back(fold_words(folder_, word));
    }
  }
  auto unique_match = [&](auto matches) -> const Choice* {
    const Choice* found = nullptr;
    for (std::size_t i = 0; i < spec.choices.size(); ++i) {
      if (!std::any_of(words_of[i].begin(), words_of[i].end(), matches)) continue;
      if (found != nullptr) return nullptr;
      found = &spec.choices[i];
    }
    return found;
  };
  if (folded.empty()) {
    return Rejection{"choice", {{"options", choice_list(spec, context.language)}}};
  }
  if (const Choice* picked = unique_match([&](const std::string& w) { return w == folded; })) {
    return answer(*picked);
  }
  if (const Choice* picked = unique_match(
          [&](const std::string& w) { return w.size() >= 2 && contains_phrase(folded, w); })) {
    return answer(*picked);
  }
  if (const Choice* picked = unique_match([&](const std::string& w) {
        return code_points(w) >= 4 && edit_distance(folded, w, 1) <= 1;
      })) {
    return answer(*picked);
  }
  return Rejection{"choice", {{"options", choice_list(spec, context.language)}}};
}

}  // namespace gvo::flows
