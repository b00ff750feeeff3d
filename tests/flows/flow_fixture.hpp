// The flow engine as the bot builds it: the catalog, the data files and the flows of flows/defs,
// loaded from the source tree once per test program.
#pragma once

#include <string>
#include <vector>

#include "bot/desk/flow_set.hpp"

namespace gvo::test {

// The engine as gvo-bot builds it (desk::load_flows) from this tree's flows/defs.
using FlowWorld = desk::FlowSet;

// Shared by every test of the program; built on first use.
const FlowWorld& flow_world();

// The validators alone as the bot builds them, from this tree's messages.json and data files
// (centres, nationalities, understanding), without the flows and the desk's texts.
struct ValidatorWorld {
  flows::TextFolder folder;
  flows::Catalog catalog;
  std::unique_ptr<flows::Validators> validators;
};
const ValidatorWorld& validator_world();

std::string source_path(const std::string& relative);
std::string read_text(const std::string& path);
flows::Flow load_flow_file(const std::string& path);

// A host's report as the tests script it: the facts, in the host's words and language.
struct ScriptedIntake {
  std::string language;     // en, fr, nl or ar
  std::string person;       // the registered name as the host writes it
  std::string nationality;  // as the host writes it
  std::string centre;       // as the host writes it
  std::string date;         // the date of arrest, as the host writes it
  std::string lawyer;       // the answer to "do they want a lawyer": the host's yes or no
};

// What that host writes, message after message, to file the report through the intake this tree
// ships (the answers its version asks for: every question, each confirmed, up to version 2; the
// intake that listens from version 3), from the greeting to the summary's "yes", the person
// agreeing to share. One place, so that a change of the intake's questions changes it once.
std::vector<std::string> intake_answers(const ScriptedIntake& report);

// A moment from "2026-11-26T09:00:00Z".
flows::TimePoint utc(const std::string& iso);

}  // namespace gvo::test
