// The everyday words (flows/defs/understanding.json) and what is read with them alone: no /
// don't know / skip in any language, the words of a message with their places in it.
#include <algorithm>

#include <unicode/uchar.h>

#include "bot/core/json_reader.hpp"
#include "flows/validators.hpp"
#include "flows/validators/tables.hpp"

namespace gvo::flows {
namespace {

using core::Json;
using core::JsonReader;

Phrase phrase_of(const TextFolder& folder, std::string_view text) {
  return words(fold_words(folder, text));
}

// {"fr": ["..."], "nl": [...]}: every language's strings together.
std::vector<std::string> read_language_lists(JsonReader& reader, const Json& object,
                                             const std::string& path) {
  std::vector<std::string> all;
  if (!reader.expect_object(object, path)) return all;
  for (const auto& item : object.items()) {
    std::vector<std::string> list;
    reader.read_string_list(object, path, item.key().c_str(), list);
    all.insert(all.end(), list.begin(), list.end());
  }
  return all;
}

const Json* member(JsonReader& reader, const Json& object, const std::string& path,
                   const char* key) {
  const auto it = object.find(key);
  if (it == object.end()) {
    reader.problem(path + "/" + key, "missing");
    return nullptr;
  }
  return &*it;
}

std::vector<Phrase> read_phrases(JsonReader& reader, const Json& object, const std::string& path,
                                 const char* key, const TextFolder& folder) {
  std::vector<Phrase> phrases;
  const Json* list = member(reader, object, path, key);
  if (list == nullptr) return phrases;
  for (const std::string& text : read_language_lists(reader, *list, path + "/" + key)) {
    Phrase phrase = phrase_of(folder, text);
    if (phrase.empty()) {
      reader.problem(path + "/" + key, "'" + text + "' has no words once folded");
      continue;
    }
    phrases.push_back(std::move(phrase));
  }
  // Longest first: "je ne sais pas" before "je".
  std::stable_sort(phrases.begin(), phrases.end(),
                   [](const Phrase& a, const Phrase& b) { return a.size() > b.size(); });
  return phrases;
}

std::vector<std::string> read_single_words(JsonReader& reader, const Json& object,
                                           const std::string& path, const char* key,
                                           const TextFolder& folder) {
  std::vector<std::string> out;
  for (Phrase& phrase : read_phrases(reader, object, path, key, folder)) {
    if (phrase.size() != 1) {
      reader.problem(path + "/" + key, "expected single words");
      continue;
    }
    out.push_back(std::move(phrase.front()));
  }
  return out;
}

// [{"day": 0, "hour": 9, "words": {...}}, ...]
template <typename Add>
void read_entries(JsonReader& reader, const Json& object, const std::string& path, const char* key,
                  std::initializer_list<const char*> numbers, Add add) {
  const Json* list = member(reader, object, path, key);
  if (list == nullptr) return;
  if (!list->is_array()) {
    reader.problem(path + "/" + key, "expected an array");
    return;
  }
  for (std::size_t i = 0; i < list->size(); ++i) {
    const std::string at = path + "/" + key + "/" + std::to_string(i);
    const Json& entry = (*list)[i];
    if (!reader.expect_object(entry, at)) continue;
    for (const auto& item : entry.items()) {
      if (item.key() != "words" && std::none_of(numbers.begin(), numbers.end(),
                                                [&](const char* n) { return item.key() == n; })) {
        reader.problem(at + "/" + item.key(), "unknown key");
      }
    }
    std::vector<int> values;
    for (const char* name : numbers) {
      int value = 0;
      reader.read_int(entry, at, name, value, -100000, 100000, true);
      values.push_back(value);
    }
    const Json* texts = member(reader, entry, at, "words");
    if (texts == nullptr) continue;
    add(values, read_language_lists(reader, *texts, at + "/words"), at);
  }
}

}  // namespace

Result<UnderstandingWords> load_understanding(std::string_view json_text, std::string_view source,
                                              const TextFolder& folder) {
  std::string why;
  const Json root = core::parse_json(json_text, why);
  if (root.is_discarded()) return core::fail(FlowErrc::syntax, std::string(source) + ": " + why);
  JsonReader reader(source);
  UnderstandingWords words;
  if (!reader.expect_object(root, "")) return core::fail(FlowErrc::invalid, reader.report());
  reader.reject_unknown_keys(root, "", {"format", "comment", "absence", "time", "names"});
  int format = 0;
  reader.read_int(root, "", "format", format, 1, 1, true);

  if (const Json* absence = member(reader, root, "", "absence");
      absence != nullptr && reader.expect_object(*absence, "/absence")) {
    reader.reject_unknown_keys(*absence, "/absence",
                               {"comment", "no", "unknown", "skip", "no_leads", "polite"});
    for (const auto& [key, kind] :
         {std::pair{"no", Absence::no}, std::pair{"unknown", Absence::unknown},
          std::pair{"skip", Absence::skip}}) {
      for (Phrase& phrase : read_phrases(reader, *absence, "/absence", key, folder)) {
        words.absence.emplace_back(std::move(phrase), kind);
      }
    }
    std::stable_sort(words.absence.begin(), words.absence.end(),
                     [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
    words.no_leads = read_phrases(reader, *absence, "/absence", "no_leads", folder);
    // Polite words are each ignored on their own ("thank you": "thank", "you").
    for (const Phrase& phrase : read_phrases(reader, *absence, "/absence", "polite", folder)) {
      words.polite.insert(words.polite.end(), phrase.begin(), phrase.end());
    }
  }

  if (const Json* time = member(reader, root, "", "time");
      time != nullptr && reader.expect_object(*time, "/time")) {
    reader.reject_unknown_keys(
        *time, "/time",
        {"comment", "numbers", "units", "moments", "parts_of_day", "weekdays", "last", "next",
         "ago_before", "ago_after", "since", "about", "joiners", "ahead"});
    read_entries(reader, *time, "/time", "numbers", {"value"},
                 [&](const std::vector<int>& values, const std::vector<std::string>& texts,
                     const std::string&) {
                   for (const auto& text : texts)
                     words.numbers[fold_words(folder, text)] = values[0];
                 });
    read_entries(reader, *time, "/time", "units", {"hours", "count"},
                 [&](const std::vector<int>& values, const std::vector<std::string>& texts,
                     const std::string& at) {
                   if (values[0] <= 0 || values[1] <= 0)
                     reader.problem(at, "expected hours and count above 0");
                   for (const auto& text : texts) {
                     words.units[fold_words(folder, text)] = {values[0], values[1]};
                   }
                 });
    read_entries(
        reader, *time, "/time", "moments", {"day", "hour"},
        [&](const std::vector<int>& values, const std::vector<std::string>& texts,
            const std::string& at) {
          if (values[0] > 7 || values[0] < -7 || values[1] < 0 || values[1] > 23) {
            reader.problem(at, "expected day -7..7 and hour 0..23");
          }
          for (const auto& text : texts) {
            words.moments.emplace_back(phrase_of(folder, text), std::pair{values[0], values[1]});
          }
        });
    std::stable_sort(words.moments.begin(), words.moments.end(),
                     [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
    read_entries(reader, *time, "/time", "parts_of_day", {"hour"},
                 [&](const std::vector<int>& values, const std::vector<std::string>& texts,
                     const std::string&) {
                   for (const auto& text : texts)
                     words.parts_of_day[fold_words(folder, text)] = values[0];
                 });
    read_entries(reader, *time, "/time", "weekdays", {"day"},
                 [&](const std::vector<int>& values, const std::vector<std::string>& texts,
                     const std::string& at) {
                   if (values[0] < 1 || values[0] > 7)
                     reader.problem(at, "expected day 1 (Monday)..7");
                   for (const auto& text : texts)
                     words.weekdays[fold_words(folder, text)] = values[0];
                 });
    words.last = read_phrases(reader, *time, "/time", "last", folder);
    words.next = read_phrases(reader, *time, "/time", "next", folder);
    words.ago_before = read_phrases(reader, *time, "/time", "ago_before", folder);
    words.ago_after = read_phrases(reader, *time, "/time", "ago_after", folder);
    words.ahead = read_phrases(reader, *time, "/time", "ahead", folder);
    words.since = read_phrases(reader, *time, "/time", "since", folder);
    words.about = read_phrases(reader, *time, "/time", "about", folder);
    words.joiners = read_single_words(reader, *time, "/time", "joiners", folder);
  }

  if (const Json* names = member(reader, root, "", "names");
      names != nullptr && reader.expect_object(*names, "/names")) {
    reader.reject_unknown_keys(*names, "/names",
                               {"comment", "cues", "alias_cues", "fillers", "sentence_words",
                                "lawyer_cues", "police_cues", "not_names"});
    words.name_cues = read_phrases(reader, *names, "/names", "cues", folder);
    words.alias_cues = read_phrases(reader, *names, "/names", "alias_cues", folder);
    words.fillers = read_phrases(reader, *names, "/names", "fillers", folder);
    words.sentence_words = read_single_words(reader, *names, "/names", "sentence_words", folder);
    words.lawyer_cues = read_phrases(reader, *names, "/names", "lawyer_cues", folder);
    words.police_cues = read_phrases(reader, *names, "/names", "police_cues", folder);
    words.not_names = read_single_words(reader, *names, "/names", "not_names", folder);
  }
  if (reader.failed()) return core::fail(FlowErrc::invalid, reader.report());
  return words;
}

bool starts_with(const std::vector<std::string>& tokens, std::size_t at, const Phrase& phrase) {
  if (phrase.empty() || at + phrase.size() > tokens.size()) return false;
  return std::equal(phrase.begin(), phrase.end(), tokens.begin() + static_cast<long>(at));
}

std::size_t match_at(const std::vector<std::string>& tokens, std::size_t at,
                     const std::vector<Phrase>& phrases) {
  std::size_t best = 0;
  for (const Phrase& phrase : phrases) {
    if (phrase.size() > best && starts_with(tokens, at, phrase)) best = phrase.size();
  }
  return best;
}

std::vector<std::string> words_of(const std::vector<Token>& tokens) {
  std::vector<std::string> out;
  out.reserve(tokens.size());
  for (const Token& token : tokens) out.push_back(token.word);
  return out;
}

namespace {

bool inside_word(char32_t c) {
  return u_isalnum(static_cast<UChar32>(c)) || u_getCombiningClass(static_cast<UChar32>(c)) != 0 ||
         u_charType(static_cast<UChar32>(c)) == U_NON_SPACING_MARK || c == '/' || c == '-' ||
         c == '.' || c == ':' || c == 0x0640;
}

bool is_separator_mark(char32_t c) { return c == '/' || c == '-' || c == '.' || c == ':'; }

bool breaks(char32_t c) {
  return c == ',' || c == ';' || c == '!' || c == '?' || c == '(' || c == ')' || c == '\n' ||
         c == '"' || c == 0x060C || c == 0x061B || c == 0x061F || c == 0x00AB || c == 0x00BB ||
         c == 0x2026 || c == '[' || c == ']';
}

std::size_t utf8_length(char32_t c) { return c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4; }

}  // namespace

std::vector<Token> tokenize(const TextFolder& folder, std::string_view text) {
  std::vector<Token> tokens;
  if (!is_valid_utf8(text)) return tokens;
  const std::u32string points = decode(text);
  std::size_t byte = 0;
  bool broke = false;
  std::size_t i = 0;
  while (i < points.size()) {
    if (!inside_word(points[i])) {
      // A full stop or colon between words breaks too ("...Bruxelles. Il est...").
      broke = broke || breaks(points[i]);
      byte += utf8_length(points[i]);
      ++i;
      continue;
    }
    std::size_t run_end = i;
    std::size_t end_byte = byte;
    while (run_end < points.size() && inside_word(points[run_end])) {
      end_byte += utf8_length(points[run_end]);
      ++run_end;
    }
    // Marks at the ends belong to the punctuation ("Bruxelles." "-Karim").
    std::size_t first = i;
    std::size_t last = run_end;
    std::size_t begin_byte = byte;
    std::size_t stop_byte = end_byte;
    bool break_after = false;
    while (first < last && is_separator_mark(points[first])) {
      begin_byte += 1;
      ++first;
    }
    while (last > first && is_separator_mark(points[last - 1])) {
      stop_byte -= 1;
      break_after = break_after || points[last - 1] == '.' || points[last - 1] == ':';
      --last;
    }
    if (first < last) {
      const std::string_view written = text.substr(begin_byte, stop_byte - begin_byte);
      const bool ascii = std::all_of(written.begin(), written.end(),
                                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
      std::string folded;
      if (ascii) {
        folded.reserve(written.size());
        for (char c : written) {
          folded += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        }
      } else {
        folded = folder.fold(written);
      }
      std::size_t letters = 0;
      std::size_t upper = 0;
      for (std::size_t k = first; k < last; ++k) {
        if (u_isalpha(static_cast<UChar32>(points[k]))) {
          ++letters;
          if (u_isupper(static_cast<UChar32>(points[k]))) ++upper;
        }
      }
      const bool capitalised = u_isupper(static_cast<UChar32>(points[first]));
      const bool all_caps = letters >= 2 && upper == letters;
      const bool has_digit =
          std::any_of(folded.begin(), folded.end(), [](char c) { return c >= '0' && c <= '9'; });
      if (!has_digit) {
        for (char& c : folded) {
          if (is_separator_mark(static_cast<unsigned char>(c))) c = ' ';
        }
      }
      bool first_part = true;
      for (const std::string& part : words(folded)) {
        tokens.push_back(Token{part, begin_byte, stop_byte, capitalised, all_caps,
                               first_part && (broke || tokens.empty())});
        first_part = false;
      }
    }
    broke = break_after;
    byte = end_byte;
    i = run_end;
  }
  if (!tokens.empty()) tokens.front().break_before = true;
  return tokens;
}

Absence Validators::absence(std::string_view input, const Language& /*language*/) const {
  if (input.size() > kMaxInputBytes) return Absence::none;
  const std::string tidied = tidy(input);
  // A shrug, or only question marks.
  if (tidied.rfind("\xF0\x9F\xA4\xB7", 0) == 0) return Absence::unknown;
  if (!tidied.empty() &&
      std::all_of(tidied.begin(), tidied.end(), [](char c) { return c == '?' || c == ' '; })) {
    return Absence::unknown;
  }
  if (tidied == "-" || tidied == "/" || tidied == "--" || tidied == "x" || tidied == "X") {
    return Absence::no;
  }
  const std::vector<Token> tokens = tokenize(folder_, tidied);
  const std::vector<std::string> folded = words_of(tokens);
  if (folded.empty()) return Absence::none;
  auto polite = [&](const std::string& word) {
    return std::find(words_.polite.begin(), words_.polite.end(), word) != words_.polite.end();
  };
  // The longest phrase at the start, then only polite words ("non merci", "jsp désolé").
  for (const auto& [phrase, kind] : words_.absence) {
    if (starts_with(folded, 0, phrase) &&
        std::all_of(folded.begin() + static_cast<long>(phrase.size()), folded.end(), polite)) {
      return kind;
    }
  }
  // "pas d'avocat", "geen advocaat", "no lawyer": a lead and one or two plain words. A comma, a
  // name in capitals or a number after it says something ("non, Karim", "geen 3 maar 4").
  if (const std::size_t lead = match_at(folded, 0, words_.no_leads)) {
    const std::size_t rest = tokens.size() - lead;
    const bool plain =
        std::none_of(tokens.begin() + static_cast<long>(lead), tokens.end(), [](const Token& t) {
          return t.break_before || t.all_caps ||
                 std::any_of(t.word.begin(), t.word.end(),
                             [](char c) { return c >= '0' && c <= '9'; });
        });
    if (rest >= 1 && rest <= 2 && plain) return Absence::no;
  }
  return Absence::none;
}

}  // namespace gvo::flows
