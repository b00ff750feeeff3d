// What every fuzz target shares: the engine built from the shipped catalog and data files, once.
#pragma once

#include <string>

#include "bot/cases/desk_texts.hpp"
#include "flows/catalog.hpp"
#include "flows/engine.hpp"
#include "flows/loader.hpp"
#include "flows/validators.hpp"

namespace gvo::fuzz {

struct World {
  flows::TextFolder folder;
  flows::Catalog catalog;
  std::unique_ptr<flows::Validators> validators;
  std::unique_ptr<flows::Engine> engine;
  flows::Flow demo;
  cases::DeskTexts desk;
};

const World& world();

}  // namespace gvo::fuzz
