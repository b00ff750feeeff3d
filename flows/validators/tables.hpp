// Inside flows/: the tables each validator builds once from ICU and the data files.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <unicode/datefmt.h>

#include "flows/validators.hpp"

namespace gvo::flows {

struct Validators::DateTables {
  std::vector<std::pair<std::string, int>> relative;  // folded word -> day offset, longest first
  std::map<std::string, int> months;                  // folded name -> 1..12
  std::map<std::string, int> numbers;                 // folded number word -> value
  std::map<Language, std::unique_ptr<icu::DateFormat>> formats;
};

struct Validators::NationalityIndex {
  struct Name {
    std::string folded;
    std::u32string points;  // decoded once, for typo distances
    std::vector<std::string> codes;
  };
  std::vector<Name> names;
  std::map<std::string, std::size_t> by_folded;  // folded name -> index in names
};

std::unique_ptr<Validators::DateTables> make_date_tables(const TextFolder& folder,
                                                         const std::vector<Language>& languages);
std::unique_ptr<Validators::NationalityIndex> make_nationality_index(
    const TextFolder& folder, const NationalityWords& words,
    const std::vector<Language>& languages);

}  // namespace gvo::flows
