// Names are names: the name taken out of a sentence ("il a donné le nom TRAORE Bakary je crois",
// "I told you already: KHAN Imran", "DIOP Omar, Senegalese, born ..."), the other names given with
// it kept apart ("alias Momo", "ook Kofi"), anything that cannot be reduced to a name refused. The
// words (cues, fillers, the words of sentences) are in flows/defs/understanding.json.
#include <algorithm>
#include <functional>

#include <unicode/uchar.h>

#include "flows/validators.hpp"
#include "flows/validators/tables.hpp"

namespace gvo::flows {
namespace {

constexpr std::size_t kMaxNameWords = 6;
constexpr std::size_t kMaxNameLength = 200;       // code points of the name kept
constexpr std::size_t kMaxNameInputLength = 600;  // code points of the sentence it is taken from

// Tokens [first, last) of a message.
struct Span {
  std::size_t first = 0, last = 0;
  bool empty() const { return first >= last; }
  std::size_t size() const { return last > first ? last - first : 0; }
};

bool in(const std::vector<std::string>& list, const std::string& word) {
  return std::find(list.begin(), list.end(), word) != list.end();
}

bool has_letter(std::string_view text) {
  for (const char32_t c : decode(text)) {
    if (u_isalpha(static_cast<UChar32>(c))) return true;
  }
  return false;
}

std::size_t count_digits(std::string_view text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }));
}

// Reads names out of the tokens of one message.
class NameReader {
 public:
  NameReader(const UnderstandingWords& words, const std::vector<Token>& tokens,
             std::string_view text, const std::function<bool(const std::string&)>& is_country)
      : words_(words),
        tokens_(tokens),
        text_(text),
        folded_(words_of(tokens)),
        is_country_(is_country) {
    std::size_t letters = 0, upper = 0;
    for (const Token& token : tokens_) {
      ++letters;
      if (token.all_caps) ++upper;
    }
    shouting_ = letters >= 3 && upper == letters;
  }

  std::size_t size() const { return tokens_.size(); }
  bool shouting() const { return shouting_; }

  // Written in capitals, a word is part of a name whatever it means elsewhere ("BEN ALI", "AL
  // AMRANI"), unless the whole message is written so.
  bool written_as_name(std::size_t i) const { return tokens_[i].all_caps && !shouting_; }
  bool sentence_word(std::size_t i) const {
    return !written_as_name(i) && in(words_.sentence_words, folded_[i]);
  }
  bool not_a_name(std::size_t i) const {
    return sentence_word(i) || in(words_.not_names, folded_[i]) || is_country_(folded_[i]);
  }
  bool latin(std::size_t i) const {
    return is_latin_script(text_.substr(tokens_[i].begin, tokens_[i].end - tokens_[i].begin));
  }

  // The span without the fillers at either end ("je crois", "oui", "i think").
  Span trim(Span span) const {
    bool changed = true;
    while (changed && !span.empty()) {
      changed = false;
      if (!written_as_name(span.first)) {
        if (const std::size_t length = match_at(folded_, span.first, words_.fillers);
            length > 0 && length <= span.size()) {
          span.first += length;
          changed = true;
        }
      }
      for (std::size_t length = std::min<std::size_t>(span.size(), 5); length > 0; --length) {
        const std::size_t at = span.last - length;
        if (written_as_name(at) || tokens_[at].capitalised) continue;  // "Abdoulaye Bah"
        const std::size_t matched = match_at(folded_, at, words_.fillers);
        if (matched == length) {
          span.last = at;
          changed = true;
          break;
        }
      }
    }
    return span;
  }

  // Whether the span can be a name as it is: a few words, none of a sentence, no punctuation
  // between them, not a country, not only numbers.
  bool clean(Span span) const {
    if (span.empty() || span.size() > kMaxNameWords) return false;
    std::string joined;
    bool letter = false;
    for (std::size_t i = span.first; i < span.last; ++i) {
      if (i > span.first && tokens_[i].break_before) return false;
      if (sentence_word(i) || in(words_.not_names, folded_[i])) return false;
      if (!joined.empty()) joined += ' ';
      joined += folded_[i];
      letter = letter || has_letter(folded_[i]);
    }
    return letter && !is_country_(joined);
  }

  // The next break (punctuation) after first, or last.
  std::size_t clause_end(std::size_t first, std::size_t last) const {
    for (std::size_t i = first + 1; i < last; ++i) {
      if (tokens_[i].break_before) return i;
    }
    return last;
  }

  // The name right after a cue: up to the punctuation, the first word of a sentence or a
  // nationality ("TRAORE Bakary je crois", "BOUAZZA Rachid جزائري اعتقل").
  Span after_cue(std::size_t from, std::size_t last) const {
    if (from >= last) return {};
    const std::size_t end = clause_end(from, last);
    // A name written with capitals ends at the first word without ("AZIZI Omid gegeven").
    const bool capitals = tokens_[from].capitalised;
    std::size_t stop = from;
    while (stop < end && !not_a_name(stop) &&
           (!capitals || tokens_[stop].capitalised || !latin(stop))) {
      ++stop;
    }
    Span span = trim(Span{from, stop});
    return clean(span) ? span : Span{};
  }

  // Every cue of phrases in [first, last): its index and length.
  std::vector<std::pair<std::size_t, std::size_t>> cues(const std::vector<Phrase>& phrases,
                                                        Span within) const {
    std::vector<std::pair<std::size_t, std::size_t>> found;
    for (std::size_t i = within.first; i < within.last; ++i) {
      if (written_as_name(i)) continue;
      const std::size_t length = match_at(folded_, i, phrases);
      if (length > 0 && i + length <= within.last) {
        found.emplace_back(i, length);
        i += length - 1;
      }
    }
    return found;
  }

  // The name a whole answer gives, read in [first, last).
  Span answer(Span within) const {
    // The name after the last cue that has one ("il a donné le nom X", "son nom: X").
    const auto name_cues = cues(words_.name_cues, within);
    for (auto cue = name_cues.rbegin(); cue != name_cues.rend(); ++cue) {
      const Span span = after_cue(cue->first + cue->second, within.last);
      if (!span.empty()) return span;
    }
    // A name as it is, or with fillers around it ("Mamadou Diallo", "oui DIALLO Mamadou merci").
    const Span trimmed = trim(within);
    if (clean(trimmed)) return trimmed;
    // Words all capitalised are a name even if one is also a word ("Ben Ali Youssef").
    if (!trimmed.empty() && trimmed.size() <= kMaxNameWords && !shouting_) {
      bool name_like = true;
      for (std::size_t i = trimmed.first; i < trimmed.last; ++i) {
        name_like = name_like && tokens_[i].capitalised && !is_country_(folded_[i]);
      }
      if (name_like) return trimmed;
    }
    // One clause of several that is a name: the one in capitals, else the first ("I told you
    // already: KHAN Imran", "DIOP Omar, Senegalese, born 1990").
    Span first_clean;
    for (std::size_t from = within.first; from < within.last;) {
      const std::size_t end = clause_end(from, within.last);
      const Span clause = trim(Span{from, end});
      if (clean(clause)) {
        for (std::size_t i = clause.first; i < clause.last; ++i) {
          if (written_as_name(i) && folded_[i].size() >= 2) return clause;
        }
        if (first_clean.empty()) first_clean = clause;
      }
      from = end;
    }
    if (!first_clean.empty() && first_clean.size() < within.size()) return first_clean;
    // A name in capitals inside a sentence ("je pense que DIALLO Mamadou est son nom").
    const auto runs = capital_runs(within);
    if (!runs.empty()) return runs.front();
    return {};
  }

  // Runs of capitalised words with one in capitals at least, apart from the words of sentences:
  // "Mamadou DIALLO", "KHAN Imran", "NGUYEN Van Minh".
  std::vector<Span> capital_runs(Span within) const {
    std::vector<Span> runs;
    if (shouting_) return runs;
    std::size_t i = within.first;
    while (i < within.last) {
      if (!tokens_[i].capitalised || not_a_name(i)) {
        ++i;
        continue;
      }
      std::size_t end = i + 1;
      while (end < within.last && !tokens_[end].break_before && tokens_[end].capitalised &&
             !not_a_name(end)) {
        ++end;
      }
      const Span run = trim(Span{i, end});
      bool capitals = false;
      for (std::size_t k = run.first; k < run.last; ++k) {
        capitals = capitals || (tokens_[k].all_caps && folded_[k].size() >= 2);
      }
      const bool long_enough =
          run.size() >= 2 || (run.size() == 1 && folded_[run.first].size() >= 3);
      if (capitals && long_enough && clean(run)) runs.push_back(run);
      i = end;
    }
    return runs;
  }

  // Names in a longer message: after a cue, and in capitals.
  std::vector<Span> in_message() const {
    std::vector<Span> found;
    const Span all{0, tokens_.size()};
    // A lawyer's name is not the person's ("son avocat c'est Maître Dupont").
    std::vector<std::size_t> lawyer_ends;
    for (const auto& [at, length] : cues(words_.lawyer_cues, all))
      lawyer_ends.push_back(at + length);
    auto after_lawyer = [&](std::size_t first) {
      return std::any_of(lawyer_ends.begin(), lawyer_ends.end(),
                         [&](std::size_t end) { return first >= end && first <= end + 2; });
    };
    for (const auto& [at, length] : cues(words_.name_cues, all)) {
      const Span span = after_cue(at + length, tokens_.size());
      if (span.empty() || after_lawyer(span.first) || after_lawyer(at)) continue;
      // Latin letters: only a name as written ("mon ami Samir", not "mon ami a disparu"); other
      // scripts have no capitals: two words at least, ending at punctuation or a sentence's word.
      bool ok = true;
      if (latin(span.first)) {
        for (std::size_t i = span.first; i < span.last; ++i) ok = ok && tokens_[i].capitalised;
      } else {
        ok = span.size() >= 2 && (span.last == tokens_.size() || tokens_[span.last].break_before ||
                                  not_a_name(span.last));
      }
      if (ok) found.push_back(span);
    }
    for (const Span& run : capital_runs(all)) {
      if (!after_lawyer(run.first)) found.push_back(run);
    }
    std::sort(found.begin(), found.end(), [](const Span& a, const Span& b) {
      return a.first != b.first ? a.first < b.first : a.size() > b.size();
    });
    std::vector<Span> kept;
    for (const Span& span : found) {
      if (!kept.empty() && span.first < kept.back().last) continue;  // overlaps a longer one
      kept.push_back(span);
    }
    return kept;
  }

  // The stretch after a cue in a longer message ("son avocat c'est Maître Dupont", "commissariat
  // de Schaerbeek"): up to the punctuation or the first word of a sentence, a few words.
  std::vector<Span> after_cues(const std::vector<Phrase>& phrases, std::size_t max_words) const {
    std::vector<Span> found;
    for (const auto& [at, length] : cues(phrases, Span{0, tokens_.size()})) {
      const std::size_t from = at + length;
      if (from >= tokens_.size()) continue;
      const std::size_t end = clause_end(from, tokens_.size());
      std::size_t stop = from;
      while (stop < end && stop - from < max_words && !sentence_word(stop)) ++stop;
      const Span span = trim(Span{from, stop});
      if (!span.empty()) found.push_back(span);
    }
    return found;
  }

  std::string written(Span span) const {
    return std::string(text_.substr(tokens_[span.first].begin,
                                    tokens_[span.last - 1].end - tokens_[span.first].begin));
  }
  std::size_t begin(Span span) const { return tokens_[span.first].begin; }
  std::size_t end(Span span) const { return tokens_[span.last - 1].end; }

 private:
  const UnderstandingWords& words_;
  const std::vector<Token>& tokens_;
  std::string_view text_;
  std::vector<std::string> folded_;
  const std::function<bool(const std::string&)>& is_country_;
  bool shouting_ = false;
};

// A name kept: letters, not a number, an address on the web or a paragraph.
bool acceptable_name(const std::string& name) {
  return !name.empty() && has_letter(name) && code_points(name) <= kMaxNameLength &&
         count_digits(name) * 2 <= name.size() && name.find("http") == std::string::npos &&
         name.find('@') == std::string::npos;
}

}  // namespace

bool Validators::is_country_word(const std::string& folded) const {
  return countries_->by_folded.count(folded) != 0;
}

Validation Validators::name(const AnswerSpec& spec, std::string_view input) const {
  const std::string tidied = tidy(input);
  if (tidied.empty() || code_points(tidied) > kMaxNameInputLength) return Rejection{"name", {}};
  const std::vector<Token> tokens = tokenize(folder_, tidied);
  if (tokens.empty()) return Rejection{"name", {}};
  const std::function<bool(const std::string&)> is_country = [this](const std::string& word) {
    return is_country_word(word);
  };
  const NameReader reader(words_, tokens, tidied, is_country);
  const std::vector<std::string> folded = words_of(tokens);

  // Other names after an alias cue ("X alias Y", "X, ook Z"): split at the first cue the name
  // before which reads, so that "il m'a dit son nom: X" is not split at "dit".
  Span name_part{0, tokens.size()};
  std::vector<Span> alias_parts;
  for (const auto& [at, length] : reader.cues(words_.alias_cues, Span{1, tokens.size()})) {
    const Span before = reader.answer(Span{0, at});
    if (before.empty()) continue;
    name_part = before;
    std::size_t from = at + length;
    for (const auto& [next, next_length] :
         reader.cues(words_.alias_cues, Span{from, tokens.size()})) {
      alias_parts.push_back(Span{from, next});
      from = next + next_length;
    }
    alias_parts.push_back(Span{from, tokens.size()});
    break;
  }
  const Span name = alias_parts.empty() ? reader.answer(name_part) : name_part;
  if (name.empty()) return Rejection{"name", {}};
  const std::string value = reader.written(name);
  if (!acceptable_name(value)) return Rejection{"name", {}};

  Answer answer{value, value, std::string(input), folder_.latin_key(value), false};
  for (const Span& part : alias_parts) {
    const Span alias = reader.answer(part);
    if (alias.empty()) continue;
    const std::string other = reader.written(alias);
    if (acceptable_name(other) && other != value) answer.aliases.push_back(other);
  }
  // Taken out of a sentence: a guess to confirm.
  answer.certain = name.first == 0 && name.last == tokens.size() && alias_parts.empty();
  // One word where the police record a last name and a first name: most often only one of them
  // (a first name in Arabic script too); the host is asked for the other, or to confirm.
  if (spec.full_name && name.last - name.first == 1) {
    answer.certain = false;
    answer.confirm_with = "confirm_one_name";
  }
  return answer;
}

std::vector<Found> Validators::find_names(std::string_view text) const {
  std::vector<Found> found;
  const std::vector<Token> tokens = tokenize(folder_, text);
  const std::function<bool(const std::string&)> is_country = [this](const std::string& word) {
    return is_country_word(word);
  };
  const NameReader reader(words_, tokens, text, is_country);
  for (const Span& span : reader.in_message()) {
    const std::string value = reader.written(span);
    if (!acceptable_name(value)) continue;
    Answer answer{value, value, value, folder_.latin_key(value), false};
    answer.certain = false;  // read in a longer message: the summary confirms it
    found.push_back(Found{std::move(answer), reader.begin(span), reader.end(span)});
  }
  return found;
}

std::vector<Found> Validators::find_text(std::string_view text) const {
  std::vector<Found> found;
  const std::vector<Token> tokens = tokenize(folder_, text);
  const std::function<bool(const std::string&)> is_country = [this](const std::string& word) {
    return is_country_word(word);
  };
  const NameReader reader(words_, tokens, text, is_country);
  auto add = [&](const std::vector<Span>& spans) {
    for (const Span& span : spans) {
      const std::string value = reader.written(span);
      Answer answer{value, value, value, {}, false};
      answer.certain = false;
      found.push_back(Found{std::move(answer), reader.begin(span), reader.end(span)});
    }
  };
  // A lawyer, a police station's place, other names: the words after their cues.
  add(reader.after_cues(words_.lawyer_cues, 4));
  add(reader.after_cues(words_.police_cues, 3));
  add(reader.after_cues(words_.alias_cues, 4));
  // A number of a file or a badge ("SP 7654321"): a word of five digits or more.
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (count_digits(tokens[i].word) >= 5 &&
        count_digits(tokens[i].word) == tokens[i].word.size()) {
      add({Span{i, i + 1}});
    }
  }
  std::sort(found.begin(), found.end(), [](const Found& a, const Found& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end > b.end;
  });
  // A stretch inside another found is the same value ("Maître Dupont", "Dupont").
  std::vector<Found> kept;
  for (Found& value : found) {
    if (!kept.empty() && value.begin < kept.back().end) continue;
    kept.push_back(std::move(value));
  }
  return kept;
}

}  // namespace gvo::flows
