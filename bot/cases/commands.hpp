// What a staff member asks by chat, in any language: the verb (the first word, from desk.json's
// "commands", one typo tolerated in words of four letters or more), the references it names and
// the rest of the line. Who may do what is bot/cases/access.hpp's; this only reads. Pure.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bot/cases/desk_texts.hpp"

namespace gvo::cases {

struct StaffCommand {
  StaffVerb verb = StaffVerb::unknown;
  std::vector<std::string> references;  // in the order written, each once
  std::size_t references_written = 0;   // how many were written, the same one twice counted twice
  std::vector<std::string> words;       // folded words after the verb, references left out
  std::string rest;                     // the text after the verb and the references, as written
  std::string suggestion;               // unknown verb: the command it was probably meant to be
};

// The words of a filter or a status as desk.json lists them ("filters": one table for every
// language), read from folded words: phrases of up to three words first ("not found", "niet
// gevonden", "pas trouve"), then single words.
struct FilterTerms {
  std::vector<std::string> values;   // "urgent", "mine", "all", a status, in the order written
  std::vector<std::string> unknown;  // words that are no filter, as given
};
FilterTerms read_filters(const std::vector<std::string>& words,
                         const std::map<std::string, std::string>& table);

// The filter or status the words start with, and how many words it took (0: none).
std::pair<std::string, std::size_t> leading_filter(const std::vector<std::string>& words,
                                                   const std::map<std::string, std::string>& table);

// text without its first count words, trimmed ("not found he is at Vottem", 2 -> "he is...").
std::string words_after(std::string_view text, std::size_t count);

// The table's word closest to word (one typo, in words of four letters or more), "" if none.
std::string closest_word(const std::string& word, const std::map<std::string, std::string>& table);

StaffCommand read_staff_command(std::string_view text, const DeskTexts& texts,
                                const flows::TextFolder& folder);

}  // namespace gvo::cases
