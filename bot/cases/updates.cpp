#include "bot/cases/updates.hpp"

#include <array>
#include <vector>

namespace gvo::cases {
namespace {

std::vector<std::string> words_of(const std::string& folded) {
  std::vector<std::string> words;
  std::size_t start = 0;
  while (start < folded.size()) {
    std::size_t end = folded.find(' ', start);
    if (end == std::string::npos) end = folded.size();
    if (end > start) words.push_back(folded.substr(start, end - start));
    start = end + 1;
  }
  return words;
}

// A phrase of the list as whole words of the text; one-word entries of six letters or more also
// with one typo ("libere" for "liberee", "vrijgelate").
bool names_any(const std::string& padded, const std::vector<std::string>& words,
               const std::vector<std::string>& list) {
  for (const auto& phrase : list) {
    if (phrase.empty()) continue;
    if (padded.find(" " + phrase + " ") != std::string::npos) return true;
    if (phrase.size() < 6 || phrase.find(' ') != std::string::npos) continue;
    for (const auto& word : words) {
      if (word.size() + 1 >= phrase.size() && word.size() <= phrase.size() + 1 &&
          flows::edit_distance(word, phrase, 1) <= 1) {
        return true;
      }
    }
  }
  return false;
}

// The one centre named by 1 to 4 consecutive words; "" when none or several are.
std::string named_centre(const std::vector<std::string>& words,
                         const flows::CentreDirectory& directory) {
  std::string found;
  for (const auto& centre : directory.centres) {
    bool named = false;
    for (std::size_t i = 0; i < words.size() && !named; ++i) {
      std::string window;
      for (std::size_t n = 0; n < 4 && i + n < words.size() && !named; ++n) {
        window += (n == 0 ? "" : " ") + words[i + n];
        for (const auto& alias : centre.aliases) named = named || alias == window;
      }
    }
    if (!named) continue;
    if (!found.empty() && found != centre.id) return {};
    found = centre.id;
  }
  return found;
}

// words: folded words; dated: the text folded but with its date separators ("20/3").
std::optional<flows::CivilDate> named_day(const std::vector<std::string>& words,
                                          const std::vector<std::string>& dated,
                                          const DeskTexts& texts,
                                          const flows::Validators& validators,
                                          const flows::ValidationContext& context) {
  const long today = flows::days_from_civil(context.today);
  for (const auto& word : words) {
    for (const auto& tomorrow : texts.tomorrow_words) {
      if (word == tomorrow) return flows::civil_from_days(today + 1);
    }
    if (const auto it = texts.weekdays.find(word); it != texts.weekdays.end()) {
      // 1970-01-01 was a Thursday (3 when Monday is 0). The next such day, never today.
      const long weekday_today = ((today % 7) + 7 + 3) % 7;
      long ahead = (it->second - weekday_today + 7) % 7;
      if (ahead == 0) ahead = 7;
      return flows::civil_from_days(today + ahead);
    }
  }
  flows::AnswerSpec future;
  future.kind = flows::AnswerKind::date;
  future.allow_future = true;
  for (std::size_t i = 0; i < dated.size(); ++i) {
    if (dated[i].find_first_of("0123456789") == std::string::npos) continue;
    for (std::size_t n = 2; n >= 1; --n) {
      if (i + n > dated.size()) continue;
      std::string window = dated[i];
      if (n == 2) window += " " + dated[i + 1];
      const auto parsed = validators.date(future, window, context);
      if (const auto* answer = std::get_if<flows::Answer>(&parsed)) {
        flows::CivilDate date;
        if (std::sscanf(answer->value.c_str(), "%d-%d-%d", &date.year, &date.month, &date.day) == 3)
          return date;
      }
    }
  }
  return std::nullopt;
}

}  // namespace

HostUpdate read_update(std::string_view text, const DeskTexts& texts,
                       const flows::Validators& validators, const flows::TextFolder& folder,
                       const flows::ValidationContext& context) {
  HostUpdate update;
  if (text.size() > flows::Validators::kMaxInputBytes || !flows::is_valid_utf8(text)) return update;
  const std::string folded = flows::fold_words(folder, text);
  const std::vector<std::string> words = words_of(folded);
  const std::string padded = " " + folded + " ";
  static constexpr std::array<UpdateKind, 6> kByUrgency = {
      UpdateKind::flight,   UpdateKind::deported, UpdateKind::transferred,
      UpdateKind::released, UpdateKind::status,   UpdateKind::new_report};
  for (UpdateKind kind : kByUrgency) {
    const auto it = texts.update_words.find(kind);
    if (it == texts.update_words.end() || !names_any(padded, words, it->second)) continue;
    update.kind = kind;
    break;
  }
  if (update.kind == UpdateKind::transferred)
    update.centre = named_centre(words, validators.centres());
  if (update.kind == UpdateKind::flight)
    update.date = named_day(words, words_of(folder.fold(text)), texts, validators, context);
  return update;
}

}  // namespace gvo::cases
