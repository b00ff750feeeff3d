// Inside flows/: the tables each validator builds once from ICU and the data files.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <unicode/datefmt.h>
#include <unicode/measfmt.h>

#include "flows/validators.hpp"

namespace gvo::flows {

struct Validators::DateTables {
  std::vector<std::pair<Phrase, int>> relative;  // ICU's "hier", "eergisteren" -> day offset
  std::map<std::string, int> months;             // folded name -> 1..12
  std::map<std::string, int> weekdays;           // ICU's folded weekday names -> 1 (Monday)..7
  std::map<Language, std::unique_ptr<icu::DateFormat>> formats;
  std::map<Language, std::unique_ptr<icu::MeasureFormat>> durations;  // "3 jours", "36 uur"
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

// Whether tokens hold phrase from index at.
bool starts_with(const std::vector<std::string>& tokens, std::size_t at, const Phrase& phrase);

// A word of a message, folded, with its place in the message as written.
struct Token {
  std::string word;                // folded; a word with a digit keeps its / - . : ("12/03")
  std::size_t begin = 0, end = 0;  // bytes in the text as written
  bool capitalised = false;        // its first letter is upper case as written
  bool all_caps = false;           // two letters or more, all upper case
  bool break_before = false;       // punctuation (, ; : . ! ? ( ) ...) or a new line before it
};

// The words of text as written (empty for text that is not UTF-8).
std::vector<Token> tokenize(const TextFolder& folder, std::string_view text);
std::vector<std::string> words_of(const std::vector<Token>& tokens);
// The longest of phrases that tokens hold at index at (its length; 0 when none).
std::size_t match_at(const std::vector<std::string>& tokens, std::size_t at,
                     const std::vector<Phrase>& phrases);

// A time said in a message: a moment (a day, maybe an hour) or a duration (hours).
struct TimeReading {
  bool is_duration = false;
  long day = 0;              // moment: days since 1970-01-01
  int minute = -1;           // moment: minute of that day, -1 when not said
  long hours = 0;            // duration
  bool ago = false;          // duration: said as how long ago ("il y a", "geleden", "depuis")
  bool ahead = false;        // duration: still to come ("dans 3 jours", "over een week")
  bool approximate = false;  // "environ", weeks and months
  bool calendar = false;     // said as a date of the calendar (month, month_day, year below)
  bool bare_day = false;     // only the day of the month ("le 26", "the 24th")
  bool needs_year = false;   // a day and month without a year: the year is ours to choose
  bool short_year = false;   // "12/3/26"
  int month = 0, month_day = 0, year = 0;  // calendar dates as said (checked later)
  std::size_t first = 0, last = 0;         // the tokens it spans [first, last)
};

// Every time said in the words, left to right.
std::vector<TimeReading> read_times(const Validators::DateTables& tables,
                                    const UnderstandingWords& words,
                                    const std::vector<std::string>& tokens,
                                    const ValidationContext& context);

std::unique_ptr<Validators::DateTables> make_date_tables(const TextFolder& folder,
                                                         const std::vector<Language>& languages);
std::unique_ptr<Validators::NationalityIndex> make_nationality_index(
    const TextFolder& folder, const NationalityWords& words,
    const std::vector<Language>& languages);

}  // namespace gvo::flows
