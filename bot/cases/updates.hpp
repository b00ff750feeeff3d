// What a host means by a message after filing: news ("libéré", "vrijgelaten", "transferred to
// Vottem", "il a un billet pour mardi"), a question ("statut?"), or a new report ("nouveau").
// Whole words and phrases of desk.json, in any language; small typos in long words. Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "bot/cases/desk_texts.hpp"
#include "flows/validators.hpp"

namespace gvo::cases {

struct HostUpdate {
  UpdateKind kind = UpdateKind::none;
  std::string centre;                    // transferred: the centre named, if one is
  std::optional<flows::CivilDate> date;  // flight: the day named ("mardi", "demain", "12/3")
};

// When several kinds are named, the most urgent wins: flight, deported, transferred, released,
// then a status question, then a new report.
HostUpdate read_update(std::string_view text, const DeskTexts& texts,
                       const flows::Validators& validators, const flows::TextFolder& folder,
                       const flows::ValidationContext& context);

}  // namespace gvo::cases
