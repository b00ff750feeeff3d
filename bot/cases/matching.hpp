// Whether two reports may be the same person. Names are compared by a skeleton of their Latin key
// (flows::TextFolder::latin_key): vowels and doubled letters dropped, particles glued to the next
// word, words sorted, so that "BENALI Mohamed", "Mohammed Ben Ali" and "محمد بن علي" meet. The
// store keeps these keys only as keyed hashes (storage::Sealer::blind_index); this file says which
// keys a case leaves and which it looks for. Pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "bot/cases/case.hpp"
#include "flows/text.hpp"

namespace gvo::cases {

// "mohammed ben ali" -> "bnl mhmd"; "" when nothing is left.
std::string name_skeleton(std::string_view latin_key);

struct MatchKeys {
  std::vector<std::string> kept;    // stored with the case
  std::vector<std::string> sought;  // looked up among the kept keys of other cases
};

// A report links to a case when
//  - a name of two words or more and the nationality are the same, or
//  - an alias of either is a name or an alias of the other (any nationality).
MatchKeys match_keys(const Facts& facts, const flows::TextFolder& folder);

// "find NAME": whether a case goes by a name that contains every word of what was sought, both
// read as their skeletons ("Benali" finds "Mohammed Ben Ali" and "محمد بن علي"; "mohamed benali"
// finds "BENALI Mohamed"); a word may also begin or end a word of the name where short words
// were glued ("Kane" finds "KANE Ibrahima", whose skeleton is "knbrhm"). Nothing is found by a
// search that leaves no skeleton (a letter, vowels only): sought_skeleton says so first.
std::string sought_skeleton(std::string_view text, const flows::TextFolder& folder);
bool goes_by(const Facts& facts, const std::string& sought, const flows::TextFolder& folder);

}  // namespace gvo::cases
