// The conversation engine and the desk's texts as gvo-bot runs them, built from a flows folder
// at start-up: the catalog (messages.json), the data (centres.json, nationalities.json), the desk's
// texts (desk.json) and every flow (any other *.json). Read once, before the loop; then immutable.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>

#include "bot/cases/desk_texts.hpp"
#include "flows/engine.hpp"
#include "flows/loader.hpp"

namespace gvo::desk {

struct FlowSet {
  flows::TextFolder folder;
  flows::Catalog catalog;
  flows::FlowLibrary library;
  std::unique_ptr<flows::Validators> validators;
  std::unique_ptr<flows::Engine> engine;
  cases::DeskTexts desk;  // desk.json: what the bot says about cases
};

// What is wrong with a flows folder, one problem a line. A start-up error: gvo-bot exits 78.
class FlowsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Every file is checked; any problem throws FlowsError with each problem listed.
std::unique_ptr<FlowSet> load_flows(const std::string& directory);

}  // namespace gvo::desk
