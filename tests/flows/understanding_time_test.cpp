// Time as people say it (flows/defs/understanding.json and ICU): dates and durations in French,
// Dutch, English and Arabic, relative to a fixed message time, Thursday 26 November 2026 at 14:30
// in Brussels; the since answer (whole hours ago); the bounds of each question.
#include <catch2/catch.hpp>

#include "tests/flows/flow_fixture.hpp"

namespace {

using namespace gvo;
using flows::AnswerKind;
using flows::AnswerSpec;

const flows::CivilDate kToday{2026, 11, 26};  // a Thursday
constexpr int kMinute = 14 * 60 + 30;

struct DateRow {
  const char* input;
  const char* value;  // nullptr: refused with reason
  const char* reason = "";
  const char* language = "fr";
};

struct SinceRow {
  const char* input;
  long hours;  // -1: refused
  const char* language = "fr";
};

flows::ValidationContext context_in(const char* language) {
  return flows::ValidationContext{language, kToday, kMinute};
}

// Every row, and how many there were (each table's count adds to the 300 phrasings).
std::size_t check_dates(const AnswerSpec& spec, const std::vector<DateRow>& rows) {
  const auto& validators = *test::flow_world().validators;
  for (const DateRow& row : rows) {
    INFO("date: '" << row.input << "' in " << row.language);
    const flows::Validation result = validators.validate(spec, row.input, context_in(row.language));
    if (row.value == nullptr) {
      const auto* refused = std::get_if<flows::Rejection>(&result);
      if (refused == nullptr) FAIL("accepted as " << std::get<flows::Answer>(result).value);
      CHECK(refused->reason == row.reason);
      continue;
    }
    const auto* answer = std::get_if<flows::Answer>(&result);
    if (answer == nullptr) FAIL("refused: " << std::get<flows::Rejection>(result).reason);
    CHECK(answer->value == row.value);
    CHECK_FALSE(answer->display.empty());
  }
  return rows.size();
}

std::size_t check_since(const std::vector<SinceRow>& rows) {
  const auto& validators = *test::flow_world().validators;
  AnswerSpec spec;
  spec.kind = AnswerKind::since;
  for (const SinceRow& row : rows) {
    INFO("since: '" << row.input << "' in " << row.language);
    const flows::Validation result = validators.validate(spec, row.input, context_in(row.language));
    if (row.hours < 0) {
      const auto* refused = std::get_if<flows::Rejection>(&result);
      if (refused == nullptr) FAIL("accepted as " << std::get<flows::Answer>(result).value);
      CHECK(refused->reason == "since");
      continue;
    }
    const auto* answer = std::get_if<flows::Answer>(&result);
    if (answer == nullptr) FAIL("refused: " << std::get<flows::Rejection>(result).reason);
    CHECK(answer->value == std::to_string(row.hours));
    CHECK_FALSE(answer->display.empty());
  }
  return rows.size();
}

AnswerSpec past_dates() {
  AnswerSpec spec;
  spec.kind = AnswerKind::date;
  spec.max_days_ago = 3650;
  return spec;
}

}  // namespace

TEST_CASE("time: days said in words, parts of the day, the day before yesterday") {
  check_dates(past_dates(), {
                                {"aujourd'hui", "2026-11-26"},
                                {"ajd", "2026-11-26"},
                                {"ce matin", "2026-11-26"},
                                {"Ce matin vers 6h", "2026-11-26"},
                                {"cette nuit", "2026-11-26"},
                                {"cet après-midi", "2026-11-26"},
                                {"hier", "2026-11-25"},
                                {"Hier soir", "2026-11-25"},
                                {"hier matin", "2026-11-25"},
                                {"hier après-midi", "2026-11-25"},
                                {"hier à 18h", "2026-11-25"},
                                {"hier vers 22h30", "2026-11-25"},
                                {"avant-hier", "2026-11-24"},
                                {"avant hier", "2026-11-24"},
                                {"avanthier", "2026-11-24"},
                                {"avant-hier soir", "2026-11-24"},
                                {"il a été arrêté hier", "2026-11-25"},
                                {"vandaag", "2026-11-26", "", "nl"},
                                {"vanochtend", "2026-11-26", "", "nl"},
                                {"vanmorgen", "2026-11-26", "", "nl"},
                                {"vannacht", "2026-11-26", "", "nl"},
                                {"vanmiddag", "2026-11-26", "", "nl"},
                                {"gisteren", "2026-11-25", "", "nl"},
                                {"gister", "2026-11-25", "", "nl"},
                                {"gisterenochtend", "2026-11-25", "", "nl"},
                                {"gisterochtend", "2026-11-25", "", "nl"},
                                {"gisteravond", "2026-11-25", "", "nl"},
                                {"gisterenavond", "2026-11-25", "", "nl"},
                                {"gisteren om 15u", "2026-11-25", "", "nl"},
                                {"gisteren morgen", "2026-11-25", "", "nl"},
                                {"eergisteren", "2026-11-24", "", "nl"},
                                {"eergisteravond", "2026-11-24", "", "nl"},
                                {"today", "2026-11-26", "", "en"},
                                {"this morning", "2026-11-26", "", "en"},
                                {"early this morning", "2026-11-26", "", "en"},
                                {"this afternoon", "2026-11-26", "", "en"},
                                {"last night", "2026-11-26", "", "en"},
                                {"yesterday", "2026-11-25", "", "en"},
                                {"yesterday morning", "2026-11-25", "", "en"},
                                {"yesterday evening", "2026-11-25", "", "en"},
                                {"yesterday at 6pm", "2026-11-25", "", "en"},
                                {"yesterday at 6 pm", "2026-11-25", "", "en"},
                                {"the day before yesterday", "2026-11-24", "", "en"},
                                {"day before yesterday", "2026-11-24", "", "en"},
                                {"اليوم", "2026-11-26", "", "ar"},
                                {"هذا الصباح", "2026-11-26", "", "ar"},
                                {"صباح اليوم", "2026-11-26", "", "ar"},
                                {"أمس", "2026-11-25", "", "ar"},
                                {"امس", "2026-11-25", "", "ar"},
                                {"البارح", "2026-11-25", "", "ar"},
                                {"أمس صباحا", "2026-11-25", "", "ar"},
                                {"مساء أمس", "2026-11-25", "", "ar"},
                                {"أول أمس", "2026-11-24", "", "ar"},
                                {"اول امس", "2026-11-24", "", "ar"},
                                {"قبل البارح", "2026-11-24", "", "ar"},
                                {"lbare7", "2026-11-25", "", "ar"},
                                {"lbar7 f lil", "2026-11-25", "", "ar"},
                                {"lyoum sba7", "2026-11-26", "", "ar"},
                                {"9bel lbare7", "2026-11-24", "", "ar"},
                            });
}

TEST_CASE("time: weekdays with and without last, in four languages") {
  // Thursday 26 November: Monday was the 23rd, last Thursday the 19th.
  check_dates(past_dates(), {
                                {"lundi", "2026-11-23"},
                                {"Lundi", "2026-11-23"},
                                {"mardi", "2026-11-24"},
                                {"mercredi", "2026-11-25"},
                                {"vendredi", "2026-11-20"},
                                {"samedi", "2026-11-21"},
                                {"dimanche", "2026-11-22"},
                                {"jeudi", "2026-11-26"},
                                {"lundi dernier", "2026-11-23"},
                                {"jeudi dernier", "2026-11-19"},
                                {"dimanche passé", "2026-11-22"},
                                {"le lundi", "2026-11-23"},
                                {"lundi soir", "2026-11-23"},
                                {"mardi matin", "2026-11-24"},
                                {"mardi vers 10h", "2026-11-24"},
                                {"vendredi dernier au soir", "2026-11-20"},
                                {"maandag", "2026-11-23", "", "nl"},
                                {"dinsdag", "2026-11-24", "", "nl"},
                                {"woensdag", "2026-11-25", "", "nl"},
                                {"vrijdag", "2026-11-20", "", "nl"},
                                {"zaterdag", "2026-11-21", "", "nl"},
                                {"zondag", "2026-11-22", "", "nl"},
                                {"vorige maandag", "2026-11-23", "", "nl"},
                                {"vorige donderdag", "2026-11-19", "", "nl"},
                                {"afgelopen zondag", "2026-11-22", "", "nl"},
                                {"maandagavond", "2026-11-23", "", "nl"},
                                {"zondagochtend", "2026-11-22", "", "nl"},
                                {"op maandag", "2026-11-23", "", "nl"},
                                {"monday", "2026-11-23", "", "en"},
                                {"Tuesday", "2026-11-24", "", "en"},
                                {"wednesday", "2026-11-25", "", "en"},
                                {"friday", "2026-11-20", "", "en"},
                                {"saturday", "2026-11-21", "", "en"},
                                {"sunday", "2026-11-22", "", "en"},
                                {"last monday", "2026-11-23", "", "en"},
                                {"last thursday", "2026-11-19", "", "en"},
                                {"last Sunday", "2026-11-22", "", "en"},
                                {"on monday", "2026-11-23", "", "en"},
                                {"monday night", "2026-11-23", "", "en"},
                                {"past friday", "2026-11-20", "", "en"},
                                {"الاثنين", "2026-11-23", "", "ar"},
                                {"الإثنين", "2026-11-23", "", "ar"},
                                {"الثلاثاء", "2026-11-24", "", "ar"},
                                {"الأربعاء", "2026-11-25", "", "ar"},
                                {"الجمعة", "2026-11-20", "", "ar"},
                                {"السبت", "2026-11-21", "", "ar"},
                                {"الأحد", "2026-11-22", "", "ar"},
                                {"الاثنين الماضي", "2026-11-23", "", "ar"},
                                {"الخميس الماضي", "2026-11-19", "", "ar"},
                                {"الجمعة الفائتة", "2026-11-20", "", "ar"},
                                {"نهار الاثنين", "2026-11-23", "", "ar"},
                                {"nhar letnin", "2026-11-23", "", "ar"},
                                {"ljem3a li fatet", "2026-11-20", "", "ar"},
                                {"l7ed", "2026-11-22", "", "ar"},
                                {"الحد اللي فات", "2026-11-22", "", "ar"},
                            });
}

TEST_CASE("time: a week ago, days ago and other durations back") {
  check_dates(past_dates(), {
                                {"il y a une semaine", "2026-11-19"},
                                {"Il y a 1 semaine", "2026-11-19"},
                                {"y a une semaine", "2026-11-19"},
                                {"il y a deux semaines", "2026-11-12"},
                                {"il y a 3 jours", "2026-11-23"},
                                {"il y a trois jours", "2026-11-23"},
                                {"ya 3 jours", "2026-11-23"},
                                {"il y a 3j", "2026-11-23"},
                                {"ça fait 2 jours", "2026-11-24"},
                                {"il y a environ une semaine", "2026-11-19"},
                                {"il y a un mois", "2026-10-27"},
                                {"il y a 10 heures", "2026-11-26"},
                                {"il y a 20 heures", "2026-11-25"},
                                {"la semaine dernière", "2026-11-19"},
                                {"een week geleden", "2026-11-19", "", "nl"},
                                {"1 week geleden", "2026-11-19", "", "nl"},
                                {"twee weken geleden", "2026-11-12", "", "nl"},
                                {"3 dagen geleden", "2026-11-23", "", "nl"},
                                {"drie dagen geleden", "2026-11-23", "", "nl"},
                                {"2 dagen terug", "2026-11-24", "", "nl"},
                                {"vijf dagen geleden", "2026-11-21", "", "nl"},
                                {"een maand geleden", "2026-10-27", "", "nl"},
                                {"vorige week", "2026-11-19", "", "nl"},
                                {"a week ago", "2026-11-19", "", "en"},
                                {"one week ago", "2026-11-19", "", "en"},
                                {"two weeks ago", "2026-11-12", "", "en"},
                                {"3 days ago", "2026-11-23", "", "en"},
                                {"three days ago", "2026-11-23", "", "en"},
                                {"a day ago", "2026-11-25", "", "en"},
                                {"a couple of days ago", "2026-11-24", "", "en"},
                                {"about a week ago", "2026-11-19", "", "en"},
                                {"a month ago", "2026-10-27", "", "en"},
                                {"last week", "2026-11-19", "", "en"},
                                {"5 hours ago", "2026-11-26", "", "en"},
                                {"منذ أسبوع", "2026-11-19", "", "ar"},
                                {"قبل أسبوع", "2026-11-19", "", "ar"},
                                {"منذ أسبوعين", "2026-11-12", "", "ar"},
                                {"منذ 3 أيام", "2026-11-23", "", "ar"},
                                {"منذ ثلاثة أيام", "2026-11-23", "", "ar"},
                                {"منذ ٣ أيام", "2026-11-23", "", "ar"},
                                {"قبل ٤ ايام", "2026-11-22", "", "ar"},
                                {"منذ يومين", "2026-11-24", "", "ar"},
                                {"قبل يومين", "2026-11-24", "", "ar"},
                                {"منذ شهر", "2026-10-27", "", "ar"},
                                {"الأسبوع الماضي", "2026-11-19", "", "ar"},
                                {"hadi simana", "2026-11-19", "", "ar"},
                                {"9bel 3 iyam", "2026-11-23", "", "ar"},
                                {"hadi jouj iyam", "2026-11-24", "", "ar"},
                            });
}

TEST_CASE("time: calendar dates, a bare day of the month, month names, Arabic-Indic digits") {
  check_dates(
      past_dates(),
      {
          {"le 26", "2026-11-26"},
          {"le 24", "2026-11-24"},
          {"le 30", "2026-10-30"},
          {"Le 1er", "2026-11-01"},
          {"le 12 à 14h", "2026-11-12"},
          {"the 24th", "2026-11-24", "", "en"},
          {"the 2nd", "2026-11-02", "", "en"},
          {"on the 20th", "2026-11-20", "", "en"},
          {"op de 20ste", "2026-11-20", "", "nl"},
          {"de 24ste", "2026-11-24", "", "nl"},
          {"24th of November", "2026-11-24", "", "en"},
          {"24th November", "2026-11-24", "", "en"},
          {"November 24th", "2026-11-24", "", "en"},
          {"November 24", "2026-11-24", "", "en"},
          {"the 24th of november", "2026-11-24", "", "en"},
          {"Nov 24", "2026-11-24", "", "en"},
          {"24 nov", "2026-11-24", "", "en"},
          {"24 novembre", "2026-11-24"},
          {"le 24 novembre", "2026-11-24"},
          {"mardi 24 novembre", "2026-11-24"},
          {"le 3 octobre", "2026-10-03"},
          {"1er novembre 2026", "2026-11-01"},
          {"24 november", "2026-11-24", "", "nl"},
          {"op 24 november", "2026-11-24", "", "nl"},
          {"dinsdag 24 november", "2026-11-24", "", "nl"},
          {"3 oktober 2025", "2025-10-03", "", "nl"},
          {"24 نوفمبر", "2026-11-24", "", "ar"},
          {"٢٤ نوفمبر", "2026-11-24", "", "ar"},
          {"24 نونبر", "2026-11-24", "", "ar"},
          {"٢٤/١١", "2026-11-24", "", "ar"},
          {"٢٤/١١/٢٠٢٦", "2026-11-24", "", "ar"},
          {"۲۴/۱۱", "2026-11-24", "", "ar"},
          {"24/11", "2026-11-24"},
          {"24/11/2026", "2026-11-24"},
          {"24-11-26", "2026-11-24"},
          {"24.11.2026", "2026-11-24"},
          {"2026-11-24", "2026-11-24"},
          {"24 11 2026", "2026-11-24"},
          {"arrêté le 24/11 vers 7h", "2026-11-24"},
          {"3/10", "2026-10-03"},
          {"25 décembre", "2025-12-25"},
          {"le 28/11", "2025-11-28"},  // without a year, not in the future: last year's (confirmed)
          {"25 december", "2025-12-25", "", "nl"},
          {"Christmas? no: 25 December 2025", "2025-12-25", "", "en"},
      });
}

TEST_CASE("time: dates refused, with their reason") {
  check_dates(past_dates(), {
                                {"demain", nullptr, "date_future"},
                                {"tomorrow", nullptr, "date_future", "en"},
                                {"morgen", nullptr, "date_future", "nl"},
                                {"غدا", nullptr, "date_future", "ar"},
                                {"dans 3 jours", nullptr, "date_future"},
                                {"over een week", nullptr, "date_future", "nl"},
                                {"in 2 days", nullptr, "date_future", "en"},
                                {"2027-01-01", nullptr, "date_future"},
                                {"31/02", nullptr, "date_impossible"},
                                {"30/02/2026", nullptr, "date_impossible"},
                                {"32/01/2026", nullptr, "date_impossible"},
                                {"il y a 20 ans", nullptr, "date_too_old"},
                                {"12/03/2000", nullptr, "date_too_old"},
                                {"", nullptr, "date"},
                                {"je ne sais pas", nullptr, "date"},
                                {"jsp", nullptr, "date"},
                                {"12", nullptr, "date"},
                                {"mars", nullptr, "date"},
                                {"semaine", nullptr, "date"},
                                {"next week", nullptr, "date", "en"},
                                {"bientôt", nullptr, "date"},
                                {"Mamadou", nullptr, "date"},
                                {"lundi prochain", nullptr, "date_future"},
                                {"next friday", nullptr, "date_future", "en"},
                                {"volgende maandag", nullptr, "date_future", "nl"},
                                {"لا أعرف", nullptr, "date", "ar"},
                            });
}

TEST_CASE("time: the since answer is whole hours before the message") {
  // The message: Thursday 26 November 14:30. An earlier day without its hour counts from its
  // start, today from its noon.
  check_since({
      {"hier", 38},
      {"depuis hier", 38},
      {"depuis hier matin", 29},
      {"hier soir", 18},
      {"depuis hier soir", 18},
      {"depuis hier à 18h", 20},
      {"ce matin", 5},
      {"depuis ce matin", 5},
      {"depuis ce matin 8h", 6},
      {"cette nuit", 11},
      {"avant-hier", 62},
      {"depuis avant-hier", 62},
      {"depuis lundi", 86},
      {"depuis lundi dernier", 86},
      {"depuis jeudi dernier", 182},
      {"depuis le 20", 158},
      {"depuis le 24 novembre", 62},
      {"3 jours", 72},
      {"depuis 3 jours", 72},
      {"ça fait 3 jours", 72},
      {"trois jours", 72},
      {"2 jours", 48},
      {"48h", 48},
      {"depuis 10 heures", 10},
      {"depuis 5h", 5},
      {"une semaine", 168},
      {"environ une semaine", 168},
      {"à peu près une semaine", 168},
      {"depuis 2 semaines", 336},
      {"il y a une semaine", 168},
      {"pas de nouvelles depuis 4 jours", 96},
      {"depuis un mois", 720},
      {"depuis aujourd'hui", 2},
      {"gisteren", 38, "nl"},
      {"sinds gisteren", 38, "nl"},
      {"sinds gisterenochtend", 29, "nl"},
      {"sinds gisteravond", 18, "nl"},
      {"eergisteren", 62, "nl"},
      {"vanochtend", 5, "nl"},
      {"sinds vanochtend", 5, "nl"},
      {"sinds maandag", 86, "nl"},
      {"3 dagen", 72, "nl"},
      {"al 3 dagen", 72, "nl"},
      {"sinds 3 dagen", 72, "nl"},
      {"ongeveer een week", 168, "nl"},
      {"een week", 168, "nl"},
      {"twee weken", 336, "nl"},
      {"24 uur", 24, "nl"},
      {"sinds 12 uur", 12, "nl"},
      {"yesterday", 38, "en"},
      {"since yesterday", 38, "en"},
      {"since yesterday morning", 29, "en"},
      {"since last night", 11, "en"},
      {"since this morning", 5, "en"},
      {"since monday", 86, "en"},
      {"since last monday", 86, "en"},
      {"since the 24th", 62, "en"},
      {"about a week", 168, "en"},
      {"for about a week", 168, "en"},
      {"a week", 168, "en"},
      {"3 days", 72, "en"},
      {"for 3 days", 72, "en"},
      {"two days", 48, "en"},
      {"a couple of days", 48, "en"},
      {"10 hours", 10, "en"},
      {"for 36 hours", 36, "en"},
      {"the day before yesterday", 62, "en"},
      {"أمس", 38, "ar"},
      {"منذ أمس", 38, "ar"},
      {"من البارح", 38, "ar"},
      {"أول أمس", 62, "ar"},
      {"منذ ثلاثة أيام", 72, "ar"},
      {"منذ 3 أيام", 72, "ar"},
      {"منذ ٣ أيام", 72, "ar"},
      {"منذ يومين", 48, "ar"},
      {"يومين", 48, "ar"},
      {"منذ أسبوع", 168, "ar"},
      {"تقريبا أسبوع", 168, "ar"},
      {"منذ الاثنين", 86, "ar"},
      {"منذ صباح أمس", 29, "ar"},
      {"هذا الصباح", 5, "ar"},
      {"lbare7", 38, "ar"},
      {"men lbare7", 38, "ar"},
      {"hadi 3 iyam", 72, "ar"},
      {"jouj iyam", 48, "ar"},
      {"demain", -1},
      {"dans 3 jours", -1},
      {"tomorrow", -1, "en"},
      {"over twee dagen", -1, "nl"},
      {"je sais pas", -1},
      {"longtemps", -1},
      {"", -1},
      {"depuis 50 ans", -1},
      {"31/02", -1},
      {"غدا", -1, "ar"},
  });
}

TEST_CASE("time: sanity bounds per question") {
  AnswerSpec birth;
  birth.kind = AnswerKind::date;
  birth.max_days_ago = 36500;
  birth.min_age_years = 14;
  check_dates(birth, {
                         {"12/03/1990", "1990-03-12"},
                         {"12 mars 1990", "1990-03-12"},
                         {"1/1/85", "1985-01-01"},
                         {"26/11/2012", "2012-11-26"},
                         {"27/11/2012", nullptr, "date_too_young"},
                         {"il y a 3 jours", nullptr, "date_too_young"},
                         {"hier", nullptr, "date_too_young"},
                         {"12/03/2020", nullptr, "date_too_young"},
                         {"12/03/1900", nullptr, "date_too_old"},
                         {"demain", nullptr, "date_future"},
                     });
  const auto& validators = *test::flow_world().validators;
  const auto young = validators.validate(birth, "27/11/2012", context_in("fr"));
  REQUIRE(std::holds_alternative<flows::Rejection>(young));
  CHECK(std::get<flows::Rejection>(young).values.at("years") == "14");
  CHECK_FALSE(std::get<flows::Rejection>(young).values.at("value").empty());

  AnswerSpec ahead;
  ahead.kind = AnswerKind::date;
  ahead.allow_future = true;
  check_dates(ahead, {
                         {"demain", "2026-11-27"},
                         {"après-demain", "2026-11-28"},
                         {"dans 3 jours", "2026-11-29"},
                         {"over een week", "2026-12-03", "", "nl"},
                         {"in 2 days", "2026-11-28", "", "en"},
                         {"le 30", "2026-11-30"},
                         {"le 2", "2026-12-02"},
                         {"25 décembre", "2026-12-25"},
                         {"hier", "2026-11-25"},
                         {"lundi prochain", "2026-11-30"},
                         {"next thursday", "2026-12-03", "", "en"},
                         {"volgende vrijdag", "2026-11-27", "", "nl"},
                         {"الجمعة القادمة", "2026-11-27", "", "ar"},
                     });
}

TEST_CASE("time: approximate and guessed readings are not certain, exact ones are") {
  const auto& validators = *test::flow_world().validators;
  AnswerSpec since;
  since.kind = AnswerKind::since;
  auto certain = [&](const AnswerSpec& spec, const char* text, const char* language) {
    const auto result = validators.validate(spec, text, context_in(language));
    REQUIRE(std::holds_alternative<flows::Answer>(result));
    return std::get<flows::Answer>(result).certain;
  };
  CHECK(certain(since, "3 jours", "fr"));
  CHECK(certain(since, "sinds gisteren", "nl"));
  CHECK_FALSE(certain(since, "about a week", "en"));
  CHECK_FALSE(certain(since, "environ 3 jours", "fr"));
  CHECK_FALSE(certain(since, "تقريبا أسبوع", "ar"));
  CHECK(certain(past_dates(), "hier", "fr"));
  CHECK(certain(past_dates(), "24/11", "fr"));
  CHECK(certain(past_dates(), "il y a 3 jours", "fr"));
  CHECK_FALSE(certain(past_dates(), "3 jours", "fr"));     // a duration for a day: a guess
  CHECK_FALSE(certain(past_dates(), "a week ago", "en"));  // weeks are approximate
  CHECK_FALSE(certain(past_dates(), "il y a environ 10 jours", "fr"));
  CHECK_FALSE(certain(past_dates(), "28/11", "fr"));  // last year's, two days from now: a guess
  CHECK(certain(past_dates(), "3/10", "fr"));
  // "last week" is a week, not a day: its Monday is a guess to confirm, in every language.
  CHECK_FALSE(certain(past_dates(), "vorige week", "nl"));
  CHECK_FALSE(certain(past_dates(), "la semaine dernière", "fr"));
  CHECK_FALSE(certain(past_dates(), "last week", "en"));
  CHECK_FALSE(certain(past_dates(), "الأسبوع الماضي", "ar"));
  CHECK(certain(past_dates(), "avant-hier", "fr"));
  CHECK(certain(past_dates(), "eergisteren", "nl"));
}

TEST_CASE("time: the since answer is shown back in the person's language") {
  const auto& validators = *test::flow_world().validators;
  // ICU puts a no-break space between the number and its unit in some languages.
  auto shown = [&](long hours, const char* language) {
    std::string text = validators.display_duration(hours, language);
    for (const char* space : {"\xC2\xA0", "\xE2\x80\xAF"}) {
      for (auto at = text.find(space); at != std::string::npos; at = text.find(space)) {
        text.replace(at, std::string(space).size(), " ");
      }
    }
    return text;
  };
  CHECK(shown(5, "fr") == "5 heures");
  CHECK(shown(72, "fr") == "3 jours");
  CHECK(shown(72, "nl") == "3 dagen");
  CHECK(shown(26, "en") == "26 hours");
  CHECK(shown(1, "en") == "1 hour");
  CHECK(shown(72, "ar").find("\xD9\xA3") != std::string::npos);  // Arabic-Indic 3
}
