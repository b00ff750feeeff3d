// What a staff member asks by chat, in any language: the verb (the first word, from desk.json's
// "commands", one typo tolerated in words of four letters or more), the references it names and
// the rest of the line. Who may do what is bot/cases/access.hpp's; this only reads. Pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "bot/cases/desk_texts.hpp"

namespace gvo::cases {

struct StaffCommand {
  StaffVerb verb = StaffVerb::unknown;
  std::vector<std::string> references;  // in the order written, each once
  std::vector<std::string> words;       // folded words after the verb, references left out
  std::string rest;                     // the text after the verb and the references, as written
  std::string suggestion;               // unknown verb: the command it was probably meant to be
};

StaffCommand read_staff_command(std::string_view text, const DeskTexts& texts,
                                const flows::TextFolder& folder);

}  // namespace gvo::cases
