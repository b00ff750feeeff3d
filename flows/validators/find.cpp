// Values found inside a longer message ("Mon ami Mamadou DIALLO, guinéen, arrêté hier à
// Bruxelles, il est au 127bis"), each with its byte span, so that the engine can fill in the
// questions the flow will ask later and look at the cue words around each value. Names and free
// text are read in names.cpp, phone numbers in validators.cpp.
#include <algorithm>

#include "flows/validators.hpp"
#include "flows/validators/tables.hpp"

namespace gvo::flows {
namespace {

constexpr std::size_t kMaxPhraseWords = 5;  // a country's or a centre's name, in words

// Whether tokens [first, first + length) are one stretch of text (no punctuation inside).
bool one_stretch(const std::vector<Token>& tokens, std::size_t first, std::size_t length) {
  for (std::size_t i = first + 1; i < first + length; ++i) {
    if (tokens[i].break_before) return false;
  }
  return true;
}

// The folded words as one phrase, the parts of one hyphenated word joined with a space or,
// with_hyphens, again with their hyphen ("Guinea-Bissau" -> "guinea bissau", "guinea-bissau").
std::string joined(const std::vector<Token>& tokens, std::size_t first, std::size_t length,
                   bool with_hyphens) {
  std::string out;
  for (std::size_t i = first; i < first + length; ++i) {
    if (i > first) out += with_hyphens && tokens[i].begin == tokens[i - 1].begin ? '-' : ' ';
    out += tokens[i].word;
  }
  return out;
}

}  // namespace

std::vector<Found> Validators::find(const AnswerSpec& spec, std::string_view text,
                                    const ValidationContext& context) const {
  if (text.empty() || text.size() > kMaxInputBytes || !is_valid_utf8(text)) return {};
  switch (spec.kind) {
    case AnswerKind::name:
      return find_names(text);
    case AnswerKind::text:
      return find_text(text);
    case AnswerKind::nationality:
      return find_nationalities(text, context);
    case AnswerKind::centre:
      return find_centres(text, context);
    case AnswerKind::phone:
      return find_phones(text);
    case AnswerKind::date:
    case AnswerKind::since:
      return find_times(spec, text, context);
    case AnswerKind::yes_no:
    case AnswerKind::choice:
      break;
  }
  // Yes/no and choices: only a message that is itself the answer.
  std::vector<Found> found;
  Validation whole = validate(spec, text, context);
  if (auto* answer = std::get_if<Answer>(&whole)) {
    found.push_back(Found{std::move(*answer), 0, text.size()});
  }
  return found;
}

std::vector<Found> Validators::find_nationalities(std::string_view text,
                                                  const ValidationContext& context) const {
  std::vector<Found> found;
  const std::vector<Token> tokens = tokenize(folder_, text);
  for (std::size_t i = 0; i < tokens.size();) {
    std::size_t matched = 0;
    for (std::size_t length = std::min(kMaxPhraseWords, tokens.size() - i); length > 0; --length) {
      if (!one_stretch(tokens, i, length)) continue;
      // The parts of a hyphenated word are one.
      if (i + length < tokens.size() && tokens[i + length].begin == tokens[i + length - 1].begin) {
        continue;
      }
      std::string phrase = joined(tokens, i, length, false);
      if (phrase.size() < 3) continue;
      auto it = countries_->by_folded.find(phrase);
      if (it == countries_->by_folded.end()) {
        phrase = joined(tokens, i, length, true);
        it = countries_->by_folded.find(phrase);
      }
      if (it == countries_->by_folded.end()) continue;
      matched = length;
      // A language named in a message is not a nationality said ("kan het in het Nederlands?").
      if (catalog_.language_words.count(phrase) != 0) break;
      const auto& codes = countries_->names[it->second].codes;
      if (codes.size() == 1) {  // "congolais" could be either Congo: asked at its question
        const std::size_t begin = tokens[i].begin;
        const std::size_t end = tokens[i + length - 1].end;
        found.push_back(Found{Answer{codes.front(),
                                     country_name(codes.front(), context.language),
                                     std::string(text.substr(begin, end - begin)),
                                     {},
                                     false},
                              begin, end});
      }
      break;
    }
    i += matched > 0 ? matched : 1;
  }
  return found;
}

std::vector<Found> Validators::find_centres(std::string_view text,
                                            const ValidationContext& context) const {
  std::vector<Found> found;
  const std::vector<Token> tokens = tokenize(folder_, text);
  const std::vector<std::string> folded = words_of(tokens);
  auto span_text = [&](std::size_t first, std::size_t length) {
    const std::size_t begin = tokens[first].begin;
    return std::string(text.substr(begin, tokens[first + length - 1].end - begin));
  };
  struct Match {
    std::size_t first, length;
    std::vector<const Centre*> centres;
    bool exact;
  };
  std::vector<Match> matches;
  for (std::size_t i = 0; i < tokens.size();) {
    Match best{i, 0, {}, true};
    for (const Centre& centre : centres_.centres) {
      for (const std::string& alias : centre.aliases) {
        const Phrase phrase = words(alias);
        if (phrase.empty() || phrase.size() < best.length || !starts_with(folded, i, phrase) ||
            !one_stretch(tokens, i, phrase.size())) {
          continue;
        }
        if (phrase.size() > best.length) best.centres.clear();
        best.length = phrase.size();
        if (std::find(best.centres.begin(), best.centres.end(), &centre) == best.centres.end()) {
          best.centres.push_back(&centre);
        }
      }
    }
    // A typo of a one-word alias of six letters or more ("caricol", "merksplass").
    if (best.length == 0 && code_points(folded[i]) >= 6) {
      for (const Centre& centre : centres_.centres) {
        for (const std::string& alias : centre.aliases) {
          if (alias.find(' ') != std::string::npos || code_points(alias) < 6) continue;
          if (edit_distance(folded[i], alias, 1) <= 1 &&
              std::find(best.centres.begin(), best.centres.end(), &centre) == best.centres.end()) {
            best.centres.push_back(&centre);
            best.length = 1;
            best.exact = false;
          }
        }
      }
    }
    if (best.length == 0) {
      for (const std::string& words_said : centres_.police_in_message) {
        const Phrase phrase = words(words_said);
        if (!phrase.empty() && phrase.size() > best.length && starts_with(folded, i, phrase) &&
            one_stretch(tokens, i, phrase.size())) {
          best.length = phrase.size();
        }
      }
      if (best.length > 0) {
        const std::size_t end = tokens[i + best.length - 1].end;
        found.push_back(Found{Answer{"police_station",
                                     catalog_.text("centre_police_value", context.language),
                                     span_text(i, best.length),
                                     {},
                                     false},
                              tokens[i].begin, end});
        i += best.length;
        continue;
      }
    }
    if (best.length > 0) matches.push_back(best);
    i += best.length > 0 ? best.length : 1;
  }
  // A name two centres share ("Steenokkerzeel") is not a centre found: its question asks which.
  for (const Match& match : matches) {
    if (match.centres.size() != 1) continue;  // asked at its question
    const Centre& centre = *match.centres.front();
    Answer answer{centre.id,
                  centre_name(centre.id, context.language),
                  span_text(match.first, match.length),
                  {},
                  false};
    answer.certain = match.exact;
    found.push_back(Found{std::move(answer), tokens[match.first].begin,
                          tokens[match.first + match.length - 1].end});
  }
  std::sort(found.begin(), found.end(),
            [](const Found& a, const Found& b) { return a.begin < b.begin; });
  return found;
}

std::vector<Found> Validators::find_times(const AnswerSpec& spec, std::string_view text,
                                          const ValidationContext& context) const {
  std::vector<Found> found;
  const std::vector<Token> tokens = tokenize(folder_, text);
  if (tokens.empty()) return found;
  for (const TimeReading& reading : read_times(*dates_, words_, words_of(tokens), context)) {
    if (reading.first >= reading.last || reading.last > tokens.size()) continue;
    const std::size_t begin = tokens[reading.first].begin;
    const std::size_t end = tokens[reading.last - 1].end;
    const std::string_view said = text.substr(begin, end - begin);
    Validation read =
        spec.kind == AnswerKind::since ? since(said, context) : date(spec, said, context);
    if (auto* answer = std::get_if<Answer>(&read)) {
      found.push_back(Found{std::move(*answer), begin, end});
    }
  }
  return found;
}

}  // namespace gvo::flows
