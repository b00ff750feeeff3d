// Dates as people write them in chat: relative words from ICU's CLDR data ("hier", "gisteren",
// "yesterday", "أمس"), "N days ago" in four languages, day-first numbers with or without a year,
// and month names from ICU in French, Dutch, English and several Arabic usages.
#include <algorithm>
#include <cassert>
#include <cctype>

#include <unicode/datefmt.h>
#include <unicode/dtfmtsym.h>
#include <unicode/gregocal.h>
#include <unicode/locid.h>
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

struct Parsed {
  CivilDate date;
  bool year_given = true;
  bool short_year = false;  // "12/3/26": the century is ours to choose
};

std::optional<Parsed> numeric_date(const std::vector<std::string>& tokens) {
  for (const std::string& token : tokens) {
    for (char separator : {'/', '-', '.'}) {
      if (token.find(separator) == std::string::npos) continue;
      std::vector<std::string> parts = split_on(token, separator);
      while (!parts.empty() && parts.back().empty()) parts.pop_back();  // "12/3/"
      if (parts.size() < 2 || parts.size() > 3) continue;
      if (!std::all_of(parts.begin(), parts.end(),
                       [](const std::string& p) { return all_digits(p); })) {
        continue;
      }
      if (parts.size() == 3 && parts[0].size() == 4) {  // ISO: 2026-03-12
        return Parsed{{to_int(parts[0]), to_int(parts[1]), to_int(parts[2])}, true, false};
      }
      if (parts[0].size() > 2 || parts[1].size() > 2) continue;
      Parsed parsed{{0, to_int(parts[1]), to_int(parts[0])}, parts.size() == 3, false};
      if (parsed.year_given) {
        if (parts[2].size() != 2 && parts[2].size() != 4) continue;
        parsed.date.year = to_int(parts[2]);
        parsed.short_year = parts[2].size() == 2;
      }
      return parsed;
    }
  }
  // "12 3 2026": three bare numbers.
  for (std::size_t i = 0; i + 2 < tokens.size(); ++i) {
    if (all_digits(tokens[i]) && all_digits(tokens[i + 1]) && all_digits(tokens[i + 2]) &&
        tokens[i].size() <= 2 && tokens[i + 1].size() <= 2 &&
        (tokens[i + 2].size() == 4 || tokens[i + 2].size() == 2)) {
      return Parsed{{to_int(tokens[i + 2]), to_int(tokens[i + 1]), to_int(tokens[i])},
                    true,
                    tokens[i + 2].size() == 2};
    }
  }
  return std::nullopt;
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

std::optional<Parsed> month_name_date(const std::map<std::string, int>& months,
                                      const std::vector<std::string>& tokens) {
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const int month = month_of(months, tokens[i]);
    if (month == 0) continue;
    int day = i > 0 ? day_number(tokens[i - 1]) : -1;  // "12 mars"
    std::size_t after = i + 1;
    if (day < 0 && after < tokens.size()) {  // "March 12"
      day = day_number(tokens[after]);
      if (day > 0) ++after;
    }
    if (day < 0) continue;
    Parsed parsed{{0, month, day}, false, false};
    if (after < tokens.size() && all_digits(tokens[after]) && tokens[after].size() == 4) {
      parsed.date.year = to_int(tokens[after]);
      parsed.year_given = true;
    }
    return parsed;
  }
  return std::nullopt;
}

bool is_one_of(const std::string& token, std::initializer_list<std::string_view> words) {
  return std::find(words.begin(), words.end(), token) != words.end();
}

// "il y a 3 jours", "3 dagen geleden", "3 days ago", "منذ 3 أيام", "منذ يومين", "two days ago".
std::optional<int> days_ago(const std::map<std::string, int>& numbers,
                            const std::vector<std::string>& tokens) {
  auto number_at = [&](std::size_t i) -> int {
    if (i >= tokens.size()) return -1;
    if (all_digits(tokens[i]) && tokens[i].size() <= 4) return to_int(tokens[i]);
    const auto it = numbers.find(tokens[i]);
    return it == numbers.end() ? -1 : it->second;
  };
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const std::string& next = i + 1 < tokens.size() ? tokens[i + 1] : std::string();
    const std::string& after = i + 2 < tokens.size() ? tokens[i + 2] : std::string();
    const std::string& before = i > 0 ? tokens[i - 1] : std::string();
    const int n = number_at(i);
    if (n >= 0) {
      if (is_one_of(next, {"day", "days"}) && after == "ago") return n;
      if (is_one_of(next, {"dag", "dagen"}) && after == "geleden") return n;
      if (is_one_of(next, {"jour", "jours"}) && before == "a") return n;
      if (is_one_of(next, {"يوم", "ايام"}) && is_one_of(before, {"منذ", "قبل"})) return n;
    }
    if (is_one_of(tokens[i], {"منذ", "قبل"})) {
      if (next == "يومين") return 2;
      if (next == "يوم") return 1;
    }
  }
  return std::nullopt;
}

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
        tables->relative.emplace_back(folder.fold(utf8(word)), offset);
      }
    }
  }
  // CLDR has no English word for two days back.
  tables->relative.emplace_back("the day before yesterday", -2);
  tables->relative.emplace_back("day before yesterday", -2);
  std::sort(tables->relative.begin(), tables->relative.end(),
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

  static const std::map<std::string, int> kNumberWords = {
      {"un", 1},    {"une", 1},   {"deux", 2},  {"trois", 3}, {"quatre", 4}, {"cinq", 5},
      {"six", 6},   {"sept", 7},  {"huit", 8},  {"neuf", 9},  {"dix", 10},   {"een", 1},
      {"één", 1},   {"twee", 2},  {"drie", 3},  {"vier", 4},  {"vijf", 5},   {"zes", 6},
      {"zeven", 7}, {"acht", 8},  {"negen", 9}, {"tien", 10}, {"one", 1},    {"a", 1},
      {"two", 2},   {"three", 3}, {"four", 4},  {"five", 5},  {"seven", 7},  {"eight", 8},
      {"nine", 9},  {"ten", 10},  {"واحد", 1},  {"اثنين", 2}, {"اثنان", 2},  {"ثلاثة", 3},
      {"أربعة", 4}, {"خمسة", 5},  {"ستة", 6},   {"سبعة", 7},  {"ثمانية", 8}, {"تسعة", 9},
      {"عشرة", 10}};
  for (const auto& [word, value] : kNumberWords) tables->numbers[folder.fold(word)] = value;

  for (const Language& language : languages) {
    std::unique_ptr<icu::DateFormat> format(icu::DateFormat::createDateInstance(
        icu::DateFormat::kFull, icu::Locale(display_locale(language))));
    if (format == nullptr) continue;
    format->adoptTimeZone(icu::TimeZone::createTimeZone("UTC"));
    tables->formats[language] = std::move(format);
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

Validation Validators::date(const AnswerSpec& spec, std::string_view input,
                            const ValidationContext& context) const {
  const std::string folded = folder_.fold(input);
  const long today = days_from_civil(context.today);
  std::optional<Parsed> parsed;
  for (const auto& [word, offset] : dates_->relative) {
    if (folded == word ||
        (folded.size() > word.size() && folded.compare(0, word.size(), word) == 0 &&
         folded[word.size()] == ' ')) {
      parsed = Parsed{civil_from_days(today + offset), true, false};
      break;
    }
  }
  const std::vector<std::string> tokens = words(folded);
  if (!parsed) {
    if (const auto ago = days_ago(dates_->numbers, tokens); ago && *ago <= 36500) {
      parsed = Parsed{civil_from_days(today - *ago), true, false};
    }
  }
  if (!parsed) parsed = numeric_date(tokens);
  if (!parsed) parsed = month_name_date(dates_->months, tokens);
  if (!parsed) return Rejection{"date", {}};

  CivilDate& date = parsed->date;
  if (!parsed->year_given) {
    date.year = context.today.year;
    if (!spec.allow_future && days_from_civil(date) > today) date.year -= 1;
    // 29 February without a year: the one before today (or after it, for future dates).
    for (int tries = 0; tries < 8 && date.month == 2 && date.day == 29 && !is_valid(date);
         ++tries) {
      date.year += spec.allow_future ? 1 : -1;
    }
  } else if (parsed->short_year) {
    date.year = full_year(date.year, context.today.year, spec.allow_future);
  }
  if (!is_valid(date)) return Rejection{"date_impossible", {}};
  const long days = days_from_civil(date);
  const std::string display = display_date(date, context.language);
  if (!spec.allow_future && days > today) return Rejection{"date_future", {{"value", display}}};
  if (spec.max_days_ago > 0 && today - days > spec.max_days_ago) {
    return Rejection{"date_too_old", {{"value", display}}};
  }
  return Answer{to_iso(date), display, std::string(input), {}, false};
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
