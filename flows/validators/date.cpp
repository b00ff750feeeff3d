// Dates as people write them in chat: relative words from ICU's CLDR data ("hier", "gisteren",
// "yesterday", "أمس"), "N days ago" in four languages, day-first numbers with or without a year,
// and month names from ICU in French, Dutch, English and several Arabic usages.
#include <algorithm>
#include <cassert>
#include <cctype>
#include <optional>
#include <variant>

#include <unicode/datefmt.h>
#include <unicode/dtfmtsym.h>
#include <unicode/gregocal.h>
#include <unicode/locid.h>
#include <unicode/measfmt.h>
#include <unicode/measunit.h>
#include <unicode/measure.h>
#include <unicode/reldatefmt.h>
#include <unicode/timezone.h>

#include "flows/validators.hpp"
#include "flows/validators/tables.hpp"

namespace gvo::flows {

namespace {

std::string utf8(const icu::UnicodeString& text) {
  std::string out;
  text.toUTF8String(out);
  return out;
}

// Locales whose month names people use; Arabic differs between the Mashriq and the Maghreb.
constexpr const char* kMonthLocales[] = {"fr",    "nl",    "en",    "ar",
                                         "ar_MA", "ar_DZ", "ar_TN", "ar_SY"};
constexpr const char* kRelativeLocales[] = {"fr", "nl", "en", "ar"};

const char* display_locale(const Language& language) {
  if (language == "fr") return "fr_BE";
  if (language == "nl") return "nl_BE";
  if (language == "ar") return "ar";
  return "en_GB";
}

bool all_digits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int to_int(std::string_view digits) {
  int value = 0;
  for (char c : digits) {
    value = value * 10 + (c - '0');
    if (value > 100000) return value;  // callers range-check; this only stops overflow
  }
  return value;
}

// "1er", "2nd", "3rd", "12th", "12e" -> the number; anything else -1.
int day_number(std::string_view token) {
  std::size_t digits = 0;
  while (digits < token.size() && token[digits] >= '0' && token[digits] <= '9') ++digits;
  if (digits == 0 || digits > 2) return -1;
  const std::string_view suffix = token.substr(digits);
  static constexpr std::string_view kSuffixes[] = {"",   "er", "e",  "st", "nd",
                                                   "rd", "th", "de", "ste"};
  if (std::find(std::begin(kSuffixes), std::end(kSuffixes), suffix) == std::end(kSuffixes)) {
    return -1;
  }
  const int day = to_int(token.substr(0, digits));
  return day >= 1 && day <= 31 ? day : -1;
}

std::vector<std::string> split_on(std::string_view text, char separator) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find(separator, start), text.size());
    parts.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

// A two-digit year: for a date that cannot be in the future, the latest such year not after
// this one ("85" is 1985); otherwise the nearest one ("30" is 2030).
int full_year(int yy, int this_year, bool allow_future) {
  const int century = this_year - this_year % 100;
  int year = century + yy;
  if (!allow_future) return year > this_year ? year - 100 : year;
  if (year - this_year > 50) year -= 100;
  if (this_year - year > 50) year += 100;
  return year;
}

int month_of(const std::map<std::string, int>& months, const std::string& token) {
  if (const auto it = months.find(token); it != months.end()) return it->second;
  if (code_points(token) < 4) return 0;
  int found = 0;
  for (const auto& [name, month] : months) {
    if (code_points(name) < 4 || edit_distance(token, name, 1) > 1) continue;
    if (found != 0 && found != month) return 0;  // a typo close to two months: not a guess to make
    found = month;
  }
  return found;
}

bool in_list(const std::vector<std::string>& list, const std::string& word) {
  return std::find(list.begin(), list.end(), word) != list.end();
}

// Reads the times of one message: a cursor over its folded words.
class TimeReader {
 public:
  TimeReader(const Validators::DateTables& tables, const UnderstandingWords& words,
             const std::vector<std::string>& tokens, const ValidationContext& context)
      : tables_(tables), words_(words), tokens_(tokens), today_(days_from_civil(context.today)) {}

  std::vector<TimeReading> all() {
    std::vector<TimeReading> found;
    std::size_t i = 0;
    while (i < tokens_.size()) {
      if (auto reading = at(i)) {
        i = reading->last;
        found.push_back(*reading);
      } else {
        ++i;
      }
    }
    return found;
  }

 private:
  const std::string& token(std::size_t i) const {
    static const std::string kNone;
    return i < tokens_.size() ? tokens_[i] : kNone;
  }

  // A time starting at i: its words before ("depuis environ"), the time, its words after.
  std::optional<TimeReading> at(std::size_t i) {
    bool since = false;
    bool about = false;
    bool ago = false;
    bool ahead = false;
    std::size_t j = i;
    // A word for a day wins over a lead word it starts with ("قبل البارح" is a day, not "before").
    const bool day_word = match_moment(i) > 0;
    for (bool more = !day_word; more && j < tokens_.size();) {
      more = false;
      for (const auto* list : {&words_.since, &words_.ago_before, &words_.about, &words_.ahead}) {
        if (const std::size_t length = match_at(tokens_, j, *list)) {
          since = since || list == &words_.since;
          ago = ago || list == &words_.ago_before;
          about = about || list == &words_.about;
          ahead = ahead || list == &words_.ahead;
          j += length;
          more = true;
          break;
        }
      }
    }
    const bool led = since || ago || about || ahead;
    std::optional<TimeReading> reading = duration(j, led);
    if (!reading) reading = moment(j);
    // Small words before a day ("le", "on", "op", "نهار"): skipped only when a day follows.
    for (std::size_t k = j; !reading && k < j + 2 && in_list(words_.joiners, token(k)); ++k) {
      reading = moment(k + 1);
    }
    if (!reading) return std::nullopt;
    reading->first = i;
    reading->approximate = reading->approximate || about;
    if (reading->is_duration) {
      if (const std::size_t length = match_at(tokens_, reading->last, words_.ago_after)) {
        reading->last += length;
        ago = true;
      }
      reading->ahead = ahead && !ago && !since;
      reading->ago = (ago || since) && !reading->ahead;
    }
    return reading;
  }

  std::size_t match_moment(std::size_t i) const {
    std::size_t best = 0;
    for (const auto& entry : words_.moments) {
      if (entry.first.size() > best && starts_with(tokens_, i, entry.first))
        best = entry.first.size();
    }
    return best;
  }

  // A number at i ("3", "trois", "a couple of"): its value and words.
  std::optional<std::pair<long, std::size_t>> number(std::size_t i) const {
    const std::string& word = token(i);
    if (all_digits(word) && word.size() <= 4) return std::pair{static_cast<long>(to_int(word)), 1};
    for (std::size_t length = 3; length >= 1; --length) {
      if (i + length > tokens_.size()) continue;
      std::string joined = tokens_[i];
      for (std::size_t k = 1; k < length; ++k) joined += " " + tokens_[i + k];
      if (const auto it = words_.numbers.find(joined); it != words_.numbers.end()) {
        return std::pair{static_cast<long>(it->second), length};
      }
    }
    return std::nullopt;
  }

  const std::pair<int, int>* unit(const std::string& word) const {
    const auto it = words_.units.find(word);
    return it == words_.units.end() ? nullptr : &it->second;
  }

  // "3 jours", "trois dagen", "a week", "48h", "3j", "يومين", and after a lead word "semaine".
  std::optional<TimeReading> duration(std::size_t i, bool led) const {
    TimeReading reading;
    reading.is_duration = true;
    auto made = [&](long count, const std::pair<int, int>& per, std::size_t end) {
      reading.hours = count * per.first * per.second;
      reading.approximate = per.first >= 168;
      reading.last = end;
      return reading;
    };
    if (const auto n = number(i)) {
      if (const auto* per = unit(token(i + n->second)))
        return made(n->first, *per, i + n->second + 1);
    }
    // "48h", "3j", "3dagen": digits and a unit in one word.
    const std::string& word = token(i);
    std::size_t digits = 0;
    while (digits < word.size() && word[digits] >= '0' && word[digits] <= '9') ++digits;
    if (digits > 0 && digits <= 4 && digits < word.size()) {
      if (const auto* per = unit(word.substr(digits))) {
        return made(to_int(word.substr(0, digits)), *per, i + 1);
      }
    }
    if (const auto* per = unit(word); per != nullptr && (per->second > 1 || led)) {
      return made(1, *per, i + 1);  // "يومين"; "depuis semaine" is odd but clear
    }
    return std::nullopt;
  }

  // A part of the day after a day ("soir", "in the morning"): its hour and words.
  std::optional<std::pair<int, std::size_t>> part_of_day(std::size_t i) const {
    for (std::size_t length = 3; length >= 1; --length) {
      if (i + length > tokens_.size()) continue;
      std::string joined = tokens_[i];
      for (std::size_t k = 1; k < length; ++k) joined += " " + tokens_[i + k];
      if (const auto it = words_.parts_of_day.find(joined); it != words_.parts_of_day.end()) {
        return std::pair{it->second, length};
      }
    }
    return std::nullopt;
  }

  // "18h", "18h30", "18:30", "18u", "6pm", "à 14 heures", "om 15 uur": minute of the day.
  std::optional<std::pair<int, std::size_t>> clock(std::size_t i) const {
    std::size_t j = i;
    bool cued = false;
    if (in_list({"a", "at", "om", "vers", "rond", "around", "الساعة", "ساعة", "sa3a", "f"},
                token(j))) {
      cued = true;
      ++j;
    }
    const std::string& word = token(j);
    std::size_t digits = 0;
    while (digits < word.size() && word[digits] >= '0' && word[digits] <= '9') ++digits;
    if (digits == 0 || digits > 2) return std::nullopt;
    int hour = to_int(word.substr(0, digits));
    int minute = 0;
    std::string rest = word.substr(digits);
    bool marked = false;
    if (!rest.empty() && (rest[0] == 'h' || rest[0] == 'u' || rest[0] == ':')) {
      const std::string after = rest.substr(1);
      if (after.empty() || after == "r" || after == "eure" || after == "eures") {
        marked = true;
      } else if (after.size() == 2 && all_digits(after)) {
        minute = to_int(after);
        marked = true;
      } else {
        return std::nullopt;
      }
    } else if (rest == "pm" || rest == "am") {
      if (rest == "pm" && hour < 12) hour += 12;
      marked = true;
    } else if (!rest.empty()) {
      return std::nullopt;
    }
    ++j;
    if (!marked &&
        in_list({"h", "heure", "heures", "uur", "u", "hours", "o'clock", "oclock"}, token(j))) {
      marked = true;
      ++j;
    } else if (!marked && (token(j) == "pm" || token(j) == "am")) {
      if (token(j) == "pm" && hour < 12) hour += 12;
      marked = true;
      ++j;
    }
    if (!marked && !cued) return std::nullopt;
    if (hour > 23 || minute > 59) return std::nullopt;
    return std::pair{hour * 60 + minute, j - i};
  }

  // After a day: its part of the day or its hour ("hier soir", "lundi à 18h").
  void time_of_day(TimeReading& reading) const {
    if (const auto part = part_of_day(reading.last)) {
      reading.minute = part->first * 60;
      reading.last += part->second;
    }
    if (const auto at = clock(reading.last)) {
      reading.minute = at->first;
      reading.last += at->second;
    }
  }

  int weekday(const std::string& word) const {
    if (const auto it = words_.weekdays.find(word); it != words_.weekdays.end()) return it->second;
    if (const auto it = tables_.weekdays.find(word); it != tables_.weekdays.end())
      return it->second;
    return 0;
  }

  std::optional<TimeReading> moment(std::size_t i) const {
    TimeReading reading;
    // Words for a day and its time ("ce matin", "gisteravond", "avant-hier"), longest first.
    std::size_t best = 0;
    for (const auto& [phrase, when] : words_.moments) {
      if (phrase.size() > best && starts_with(tokens_, i, phrase)) {
        best = phrase.size();
        reading.day = today_ + when.first;
        reading.minute = when.second == 12 ? -1 : when.second * 60;
        // "la semaine dernière", "vorige week": a week, not a day: a guess to confirm.
        reading.approximate = when.first <= -7 || when.first >= 7;
      }
    }
    for (const auto& [phrase, offset] : tables_.relative) {
      if (phrase.size() > best && starts_with(tokens_, i, phrase)) {
        best = phrase.size();
        reading.day = today_ + offset;
        reading.minute = -1;
        reading.approximate = false;
      }
    }
    if (best > 0) {
      reading.last = i + best;
      time_of_day(reading);
      return reading;
    }
    if (auto day = weekday_at(i)) return day;
    return calendar(i);
  }

  // "lundi", "lundi dernier", "last Monday", "vorige maandag", "الاثنين الماضي", "maandagavond".
  std::optional<TimeReading> weekday_at(std::size_t i) const {
    std::size_t j = i;
    bool last = false;
    bool next = false;
    if (const std::size_t length = match_at(tokens_, j, words_.last)) {
      last = true;
      j += length;
    } else if (const std::size_t ahead = match_at(tokens_, j, words_.next)) {
      next = true;
      j += ahead;
    }
    int day = weekday(token(j));
    int minute = -1;
    if (day == 0) {
      // Dutch writes a day and its part as one word: "maandagavond", "zondagochtend".
      for (const auto& [name, number] : words_.weekdays) {
        const std::string& word = token(j);
        if (word.size() > name.size() && word.compare(0, name.size(), name) == 0) {
          if (const auto it = words_.parts_of_day.find(word.substr(name.size()));
              it != words_.parts_of_day.end()) {
            day = number;
            minute = it->second * 60;
          }
        }
      }
    }
    if (day == 0) return std::nullopt;
    ++j;
    if (const std::size_t length = match_at(tokens_, j, words_.last)) {
      last = true;
      j += length;
    } else if (const std::size_t ahead = match_at(tokens_, j, words_.next)) {
      next = true;
      j += ahead;
    }
    // 1970-01-01 was a Thursday (4).
    const long today_weekday = ((today_ % 7) + 7 + 3) % 7 + 1;
    long back = (today_weekday - day + 7) % 7;
    if (last && back == 0) back = 7;
    if (next) back = -((day - today_weekday + 6) % 7 + 1);  // the next one after today
    TimeReading reading;
    reading.day = today_ - back;
    reading.minute = minute;
    reading.last = j;
    time_of_day(reading);
    return reading;
  }

  // 12/03, 12/03/2026, 2026-03-12, "12 3 2026", "12 mars", "March 12th", "24th of November",
  // "le 26", "the 24th".
  std::optional<TimeReading> calendar(std::size_t i) const {
    TimeReading reading;
    reading.calendar = true;
    reading.last = i + 1;
    const std::string& word = token(i);
    auto done = [&]() -> std::optional<TimeReading> {
      time_of_day(reading);
      return reading;
    };
    for (char separator : {'/', '-', '.'}) {
      if (word.find(separator) == std::string::npos) continue;
      std::vector<std::string> parts = split_on(word, separator);
      while (!parts.empty() && parts.back().empty()) parts.pop_back();  // "12/3/"
      if (parts.size() < 2 || parts.size() > 3 ||
          !std::all_of(parts.begin(), parts.end(),
                       [](const std::string& p) { return all_digits(p); })) {
        continue;
      }
      if (parts.size() == 3 && parts[0].size() == 4) {  // ISO: 2026-03-12
        reading.year = to_int(parts[0]);
        reading.month = to_int(parts[1]);
        reading.month_day = to_int(parts[2]);
        return done();
      }
      if (parts[0].size() > 2 || parts[1].size() > 2) continue;
      reading.month_day = to_int(parts[0]);
      reading.month = to_int(parts[1]);
      if (parts.size() == 3) {
        if (parts[2].size() != 2 && parts[2].size() != 4) continue;
        reading.year = to_int(parts[2]);
        reading.short_year = parts[2].size() == 2;
      } else {
        reading.needs_year = true;
      }
      return done();
    }
    // "12 3 2026": three bare numbers.
    if (all_digits(word) && word.size() <= 2 && all_digits(token(i + 1)) &&
        token(i + 1).size() <= 2 && all_digits(token(i + 2)) &&
        (token(i + 2).size() == 4 || token(i + 2).size() == 2)) {
      reading.month_day = to_int(word);
      reading.month = to_int(token(i + 1));
      reading.year = to_int(token(i + 2));
      reading.short_year = token(i + 2).size() == 2;
      reading.last = i + 3;
      return done();
    }
    // A month's name with its day before ("12 mars", "24th of November") or after ("March 12").
    const int day = day_number(word);
    std::size_t m = i + 1;
    if (day > 0 && in_list(words_.joiners, token(m)) && month_of(tables_.months, token(m + 1)) > 0)
      ++m;
    int month = day > 0 ? month_of(tables_.months, token(m)) : 0;
    if (month > 0) {
      reading.month_day = day;
      reading.month = month;
      reading.last = m + 1;
    } else if ((month = month_of(tables_.months, word)) > 0) {
      std::size_t d = i + 1;
      if (in_list(words_.joiners, token(d)) && day_number(token(d + 1)) > 0) ++d;
      if (day_number(token(d)) <= 0) return std::nullopt;
      reading.month = month;
      reading.month_day = day_number(token(d));
      reading.last = d + 1;
    } else if (day > 0 && (word.size() > 2 || (i > 0 && in_list(words_.joiners, token(i - 1))))) {
      // "le 26", "the 24th", "26e": the day of this month or the one before.
      reading.bare_day = true;
      reading.month_day = day;
      reading.needs_year = true;
      return done();
    } else {
      return std::nullopt;
    }
    if (all_digits(token(reading.last)) && token(reading.last).size() == 4) {
      reading.year = to_int(token(reading.last));
      ++reading.last;
    } else {
      reading.needs_year = true;
    }
    return done();
  }

  const Validators::DateTables& tables_;
  const UnderstandingWords& words_;
  const std::vector<std::string>& tokens_;
  const long today_;
};

}  // namespace

std::unique_ptr<Validators::DateTables> make_date_tables(const TextFolder& folder,
                                                         const std::vector<Language>& languages) {
  auto tables = std::make_unique<Validators::DateTables>();
  for (const char* locale : kRelativeLocales) {
    UErrorCode status = U_ZERO_ERROR;
    icu::RelativeDateTimeFormatter formatter(icu::Locale(locale), status);
    if (U_FAILURE(status)) continue;
    const std::pair<UDateDirection, int> offsets[] = {
        {UDAT_DIRECTION_LAST_2, -2}, {UDAT_DIRECTION_LAST, -1}, {UDAT_DIRECTION_THIS, 0}};
    for (const auto& [direction, offset] : offsets) {
      icu::UnicodeString word;
      status = U_ZERO_ERROR;
      formatter.format(direction, UDAT_ABSOLUTE_DAY, word, status);
      if (U_SUCCESS(status) && word.length() > 0) {
        tables->relative.emplace_back(words(fold_words(folder, utf8(word))), offset);
      }
    }
  }
  std::stable_sort(tables->relative.begin(), tables->relative.end(),
                   [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });

  for (const char* locale : kMonthLocales) {
    UErrorCode status = U_ZERO_ERROR;
    icu::DateFormatSymbols symbols(icu::Locale(locale), status);
    if (U_FAILURE(status)) continue;
    for (auto context : {icu::DateFormatSymbols::FORMAT, icu::DateFormatSymbols::STANDALONE}) {
      for (auto width : {icu::DateFormatSymbols::WIDE, icu::DateFormatSymbols::ABBREVIATED}) {
        int32_t count = 0;
        const icu::UnicodeString* names = symbols.getMonths(count, context, width);
        for (int32_t m = 0; m < count && m < 12; ++m) {
          const std::string name = fold_words(folder, utf8(names[m]));
          if (!name.empty() && tables->months.count(name) == 0) tables->months[name] = m + 1;
        }
      }
    }
  }

  // Weekdays by their full names (ICU counts from Sunday, 1; ours from Monday).
  for (const char* locale : kRelativeLocales) {
    UErrorCode status = U_ZERO_ERROR;
    icu::DateFormatSymbols symbols(icu::Locale(locale), status);
    if (U_FAILURE(status)) continue;
    for (auto context : {icu::DateFormatSymbols::FORMAT, icu::DateFormatSymbols::STANDALONE}) {
      int32_t count = 0;
      const icu::UnicodeString* names =
          symbols.getWeekdays(count, context, icu::DateFormatSymbols::WIDE);
      for (int32_t d = 1; d < count && d <= 7; ++d) {
        const std::string name = fold_words(folder, utf8(names[d]));
        if (!name.empty() && name.find(' ') == std::string::npos) {
          tables->weekdays.emplace(name, d == 1 ? 7 : d - 1);
        }
      }
    }
  }

  for (const Language& language : languages) {
    std::unique_ptr<icu::DateFormat> format(icu::DateFormat::createDateInstance(
        icu::DateFormat::kFull, icu::Locale(display_locale(language))));
    if (format == nullptr) continue;
    format->adoptTimeZone(icu::TimeZone::createTimeZone("UTC"));
    tables->formats[language] = std::move(format);
    UErrorCode status = U_ZERO_ERROR;
    auto measures = std::make_unique<icu::MeasureFormat>(icu::Locale(display_locale(language)),
                                                         UMEASFMT_WIDTH_WIDE, status);
    if (U_SUCCESS(status)) tables->durations[language] = std::move(measures);
  }
  return tables;
}

std::string Validators::display_date(const CivilDate& date, const Language& language) const {
  auto it = dates_->formats.find(language);
  if (it == dates_->formats.end()) it = dates_->formats.begin();
  if (it == dates_->formats.end()) return to_iso(date);
  const double noon = (static_cast<double>(days_from_civil(date)) * 86400.0 + 43200.0) * 1000.0;
  icu::UnicodeString text;
  it->second->format(noon, text);
  return utf8(text);
}

std::vector<TimeReading> read_times(const Validators::DateTables& tables,
                                    const UnderstandingWords& words,
                                    const std::vector<std::string>& tokens,
                                    const ValidationContext& context) {
  return TimeReader(tables, words, tokens, context).all();
}

namespace {

// The day a reading names (days since 1970-01-01), or the reason it names none.
std::variant<long, std::string> day_of(const TimeReading& reading, const ValidationContext& context,
                                       bool allow_future) {
  const long today = days_from_civil(context.today);
  if (reading.is_duration) {
    const long then =
        today * 1440 + context.minute_of_day + (reading.ahead ? 1 : -1) * reading.hours * 60;
    return then >= 0 ? then / 1440 : (then - 1439) / 1440;
  }
  if (!reading.calendar) return reading.day;
  CivilDate date{reading.year, reading.month, reading.month_day};
  if (reading.bare_day) {
    // "le 26": this month's, else the month's before (after, for future dates).
    date = {context.today.year, context.today.month, reading.month_day};
    for (int tries = 0; tries < 3; ++tries) {
      const bool fits = is_valid(date) && (allow_future ? days_from_civil(date) >= today
                                                        : days_from_civil(date) <= today);
      if (fits) break;
      date.month += allow_future ? 1 : -1;
      if (date.month == 0) date = {date.year - 1, 12, date.day};
      if (date.month == 13) date = {date.year + 1, 1, date.day};
    }
  } else if (reading.needs_year) {
    date.year = context.today.year;
    if (!allow_future && is_valid(date) && days_from_civil(date) > today) date.year -= 1;
    // 29 February without a year: the one before today (or after it, for future dates).
    for (int tries = 0; tries < 8 && date.month == 2 && date.day == 29 && !is_valid(date);
         ++tries) {
      date.year += allow_future ? 1 : -1;
    }
  } else if (reading.short_year) {
    date.year = full_year(date.year, context.today.year, allow_future);
  }
  if (!is_valid(date)) return std::string("date_impossible");
  return days_from_civil(date);
}

}  // namespace

Validation Validators::date(const AnswerSpec& spec, std::string_view input,
                            const ValidationContext& context) const {
  const std::vector<TimeReading> times =
      read_times(*dates_, words_, words_of(tokenize(folder_, input)), context);
  if (times.empty()) return Rejection{"date", {}};
  const TimeReading& reading = times.front();
  const auto day = day_of(reading, context, spec.allow_future);
  if (const auto* reason = std::get_if<std::string>(&day)) return Rejection{*reason, {}};
  const long days = std::get<long>(day);
  const long today = days_from_civil(context.today);
  const CivilDate date = civil_from_days(days);
  const std::string display = display_date(date, context.language);
  if (!spec.allow_future && days > today) return Rejection{"date_future", {{"value", display}}};
  if (spec.max_days_ago > 0 && today - days > spec.max_days_ago) {
    return Rejection{"date_too_old", {{"value", display}}};
  }
  if (spec.min_age_years > 0) {
    CivilDate latest{context.today.year - spec.min_age_years, context.today.month,
                     context.today.day};
    if (!is_valid(latest)) latest.day = 28;  // born on 29 February
    if (days > days_from_civil(latest)) {
      return Rejection{"date_too_young",
                       {{"value", display}, {"years", std::to_string(spec.min_age_years)}}};
    }
  }
  Answer answer{to_iso(date), display, std::string(input), {}, false};
  // A bare duration ("3 jours") or an approximate one ("about a week") is a guess at a day, and
  // so is last year for a day and month a few weeks ahead ("28/11" on 26 November).
  const bool year_guessed =
      reading.calendar && reading.needs_year && !reading.bare_day &&
      date.year < context.today.year &&
      days_from_civil({context.today.year, date.month, date.day}) - today < 62;
  answer.certain = !reading.approximate && (!reading.is_duration || reading.ago) && !year_guessed;
  return answer;
}

std::string Validators::display_duration(long hours, const Language& language) const {
  auto it = dates_->durations.find(language);
  if (it == dates_->durations.end()) it = dates_->durations.begin();
  const bool in_days = hours >= 48;
  const long amount = in_days ? (hours + 12) / 24 : hours;
  if (it == dates_->durations.end()) return std::to_string(amount) + (in_days ? " d" : " h");
  UErrorCode status = U_ZERO_ERROR;
  icu::MeasureUnit* unit =
      in_days ? icu::MeasureUnit::createDay(status) : icu::MeasureUnit::createHour(status);
  if (U_FAILURE(status) || unit == nullptr) return std::to_string(amount);
  const icu::Measure measure(icu::Formattable(static_cast<int32_t>(amount)), unit, status);
  icu::UnicodeString text;
  icu::FieldPosition position;
  it->second->formatMeasures(&measure, 1, text, position, status);
  if (U_FAILURE(status)) return std::to_string(amount);
  return utf8(text);
}

Validation Validators::since(std::string_view input, const ValidationContext& context) const {
  const std::vector<TimeReading> times =
      read_times(*dates_, words_, words_of(tokenize(folder_, input)), context);
  if (times.empty()) return Rejection{"since", {}};
  const TimeReading& reading = times.front();
  const long today = days_from_civil(context.today);
  const long now = today * 1440 + context.minute_of_day;
  long hours = reading.hours;
  if (reading.ahead) return Rejection{"since", {}};
  if (!reading.is_duration) {
    const auto day = day_of(reading, context, false);
    if (std::holds_alternative<std::string>(day)) return Rejection{"since", {}};
    const long days = std::get<long>(day);
    // A day without its hour: an earlier day counts from its start (someone gone "since
    // yesterday" may have been gone for 35 hours: better looked for than told to wait), today
    // from its noon.
    const long unsaid = days < today ? 0 : 12 * 60;
    const long then = days * 1440 + (reading.minute < 0 ? unsaid : reading.minute);
    if (then > now) {
      // "aujourd'hui" before noon, "ce soir" said at 19:55: just now. A later day is refused.
      if (days > today) return Rejection{"since", {}};
      hours = 0;
    } else {
      hours = (now - then) / 60;
    }
  }
  if (hours < 0 || hours > kMaxSinceHours) return Rejection{"since", {}};
  Answer answer{std::to_string(hours),
                display_duration(hours, context.language),
                std::string(input),
                {},
                false};
  answer.certain = !reading.approximate;
  return answer;
}

namespace {

// Looking the zone up by name is most of the cost; calendars copy this one. Built once
// (thread-safe static); never changed afterwards.
const icu::TimeZone& brussels() {
  static const std::unique_ptr<const icu::TimeZone> kBrussels(
      icu::TimeZone::createTimeZone("Europe/Brussels"));
  return *kBrussels;
}

}  // namespace

double brussels_time(const CivilDate& date, int hour, int minute) {
  UErrorCode status = U_ZERO_ERROR;
  icu::GregorianCalendar calendar(brussels(), status);
  calendar.clear();
  calendar.set(date.year, date.month - 1, date.day, hour, minute, 0);
  const double millis = calendar.getTime(status);
  assert(U_SUCCESS(status) && "ICU calendar failed");
  return millis;
}

CivilDate brussels_date(double unix_millis) {
  UErrorCode status = U_ZERO_ERROR;
  icu::GregorianCalendar calendar(brussels(), status);
  calendar.setTime(unix_millis, status);
  CivilDate date{calendar.get(UCAL_YEAR, status), calendar.get(UCAL_MONTH, status) + 1,
                 calendar.get(UCAL_DATE, status)};
  assert(U_SUCCESS(status) && "ICU calendar failed");
  return date;
}

}  // namespace gvo::flows
