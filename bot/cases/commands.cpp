#include "bot/cases/commands.hpp"

#include <algorithm>

#include "bot/cases/case.hpp"
#include "flows/validators.hpp"

namespace gvo::cases {
namespace {

constexpr std::size_t kTypoFrom = 4;  // words this long may carry one typo

// The text as written, split on spaces, with the folded form of each piece.
struct Piece {
  std::string written;
  std::string folded;
  std::size_t end = 0;  // where it ends in the text
};

std::vector<Piece> pieces_of(std::string_view text, const flows::TextFolder& folder) {
  std::vector<Piece> pieces;
  std::size_t start = 0;
  while (start < text.size()) {
    while (start < text.size() && (text[start] == ' ' || text[start] == '\n' ||
                                   text[start] == '\t' || text[start] == ',')) {
      ++start;
    }
    std::size_t end = start;
    while (end < text.size() && text[end] != ' ' && text[end] != '\n' && text[end] != '\t' &&
           text[end] != ',') {
      ++end;
    }
    if (end > start) {
      const std::string written(text.substr(start, end - start));
      pieces.push_back({written, flows::fold_words(folder, written), end});
    }
    start = end;
  }
  return pieces;
}

}  // namespace

std::pair<std::string, std::size_t> leading_filter(
    const std::vector<std::string>& words, const std::map<std::string, std::string>& table) {
  constexpr std::size_t kLongestPhrase = 3;
  for (std::size_t length = std::min(kLongestPhrase, words.size()); length > 0; --length) {
    std::string phrase;
    for (std::size_t i = 0; i < length; ++i) phrase += (i == 0 ? "" : " ") + words[i];
    if (const auto it = table.find(phrase); it != table.end()) return {it->second, length};
  }
  return {{}, 0};
}

FilterTerms read_filters(const std::vector<std::string>& words,
                         const std::map<std::string, std::string>& table) {
  FilterTerms terms;
  for (std::size_t at = 0; at < words.size();) {
    const std::vector<std::string> rest(words.begin() + static_cast<std::ptrdiff_t>(at),
                                        words.end());
    const auto [value, used] = leading_filter(rest, table);
    if (used == 0) {
      terms.unknown.push_back(words[at]);
      ++at;
      continue;
    }
    terms.values.push_back(value);
    at += used;
  }
  return terms;
}

std::string words_after(std::string_view text, std::size_t count) {
  std::size_t at = 0;
  for (std::size_t i = 0; i < count; ++i) {
    at = text.find_first_not_of(' ', at);
    if (at == std::string_view::npos) return {};
    at = text.find(' ', at);
    if (at == std::string_view::npos) return {};
  }
  const auto first = text.find_first_not_of(' ', at);
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\n");
  return std::string(text.substr(first, last - first + 1));
}

std::string closest_word(const std::string& word, const std::map<std::string, std::string>& table) {
  if (word.size() < kTypoFrom) return {};
  std::string best_word;
  std::size_t best = 2;
  for (const auto& [each, value] : table) {
    if (each.size() + 1 < word.size() || each.size() > word.size() + 1) continue;
    const std::size_t distance = flows::edit_distance(word, each, 1);
    if (distance < best) {
      best = distance;
      best_word = each;
    }
  }
  return best_word;
}

StaffCommand read_staff_command(std::string_view text, const DeskTexts& texts,
                                const flows::TextFolder& folder) {
  StaffCommand command;
  if (text.size() > flows::Validators::kMaxInputBytes || !flows::is_valid_utf8(text))
    return command;
  const std::vector<Piece> pieces = pieces_of(text, folder);
  if (pieces.empty()) return command;
  const std::string& first = pieces.front().folded;
  if (const auto it = texts.command_words.find(first); it != texts.command_words.end()) {
    command.verb = it->second;
  } else if (first.size() >= kTypoFrom) {
    std::size_t best = 2;
    for (const auto& [word, verb] : texts.command_words) {
      if (word.size() + 1 < first.size() || word.size() > first.size() + 1) continue;
      const std::size_t distance = flows::edit_distance(first, word, 1);
      if (distance < best) {
        best = distance;
        command.suggestion = word;
      }
    }
  }
  if (command.verb == StaffVerb::unknown) {
    command.rest = pieces.front().written;
    return command;
  }
  // A reference may be written with a space in its middle ("K7QM 3XPD"): pieces are joined
  // in pairs to find it. The rest is the text after the verb and the references that follow it.
  std::size_t rest_from = pieces.front().end;
  bool leading = true;
  for (std::size_t i = 1; i < pieces.size(); ++i) {
    std::string reference = find_reference(pieces[i].written);
    bool pair = false;
    if (reference.empty() && i + 1 < pieces.size()) {
      reference = find_reference(pieces[i].written + " " + pieces[i + 1].written);
      pair = !reference.empty();
    }
    if (reference.empty()) {
      leading = false;
      command.words.push_back(pieces[i].folded);
      continue;
    }
    ++command.references_written;
    if (std::find(command.references.begin(), command.references.end(), reference) ==
        command.references.end()) {
      command.references.push_back(reference);
    }
    if (pair) ++i;
    if (leading) rest_from = pieces[i].end;
  }
  const std::string_view rest = text.substr(std::min(rest_from, text.size()));
  const auto first_char = rest.find_first_not_of(" \t\n,:");
  const auto last_char = rest.find_last_not_of(" \t\n");
  if (first_char != std::string_view::npos)
    command.rest = std::string(rest.substr(first_char, last_char - first_char + 1));
  // "cas K7QM-3XPD": the list word with a reference shows that case.
  if (command.verb == StaffVerb::cases && !command.references.empty())
    command.verb = StaffVerb::show;
  return command;
}

}  // namespace gvo::cases
