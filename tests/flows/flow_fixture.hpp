// The flow engine as the bot builds it: the catalog, the data files and the flows of flows/defs,
// loaded from the source tree once per test program.
#pragma once

#include <string>

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

// A moment from "2026-11-26T09:00:00Z".
flows::TimePoint utc(const std::string& iso);

}  // namespace gvo::test
