// What a validator makes of a person's reply: an answer (the value we store, how we show it back,
// what they wrote) or the reason it was refused, which names the catalog message to re-ask with.
#pragma once

#include <map>
#include <string>
#include <variant>
#include <vector>

#include "flows/flow.hpp"

namespace gvo::flows {

struct Answer {
  std::string value;    // canonical: ISO date, ISO country code, centre id, E.164, choice value...
  std::string display;  // echoed to the person, in their language
  std::string raw;      // what they wrote
  std::string key;      // names: a Latin matching key; empty otherwise
  bool skipped = false;
  // False when the reading was typo-corrected, fuzzy, ambiguous or guessed ("about a week",
  // "marocian"): the engine confirms it; an exact reading is only acknowledged.
  bool certain = true;
  // names: the other names given with it ("alias Momo", "also called Ali"), as written.
  std::vector<std::string> aliases = {};
  // Not certain: the catalog message that asks to confirm it, when not the usual "confirm"
  // ("confirm_one_name": one word where the police record two).
  std::string confirm_with = {};
};

struct Rejection {
  std::string reason;                         // the catalog message is "invalid.<reason>"
  std::map<std::string, std::string> values;  // placeholders for that message
};

using Validation = std::variant<Answer, Rejection>;

// A day in the proleptic Gregorian calendar.
struct CivilDate {
  int year = 1970;
  int month = 1;
  int day = 1;
};

bool operator==(const CivilDate& a, const CivilDate& b);
bool is_valid(const CivilDate& date);
long days_from_civil(const CivilDate& date);  // days since 1970-01-01
CivilDate civil_from_days(long days);
std::string to_iso(const CivilDate& date);  // "2026-03-12"

struct ValidationContext {
  Language language;
  CivilDate today;              // in Europe/Brussels
  int minute_of_day = 12 * 60;  // the Brussels time of day of the message (0..1439)
};

}  // namespace gvo::flows
