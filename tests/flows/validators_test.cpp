// Table-driven tests of every validator: what people write, what must be understood, and what
// must be refused (with which reason).
#include <catch2/catch.hpp>

#include "tests/flows/flow_fixture.hpp"

namespace {

using namespace gvo;
using flows::AnswerKind;
using flows::AnswerSpec;

struct Row {
  const char* input;
  const char* value;        // nullptr: must be refused
  const char* reason = "";  // the refusal's reason, when value is nullptr
  const char* language = "fr";
};

const flows::CivilDate kToday{2026, 11, 26};  // a Thursday

void check_rows(const AnswerSpec& spec, const std::vector<Row>& rows) {
  const auto& validators = *test::flow_world().validators;
  REQUIRE(rows.size() >= 20);
  for (const Row& row : rows) {
    INFO("input: '" << row.input << "' in " << row.language);
    const flows::Validation result =
        validators.validate(spec, row.input, flows::ValidationContext{row.language, kToday});
    if (row.value == nullptr) {
      const auto* refused = std::get_if<flows::Rejection>(&result);
      REQUIRE(refused != nullptr);
      CHECK(refused->reason == row.reason);
      continue;
    }
    const auto* answer = std::get_if<flows::Answer>(&result);
    if (answer == nullptr) FAIL("refused: " << std::get<flows::Rejection>(result).reason);
    CHECK(answer->value == row.value);
    CHECK(answer->raw == row.input);
    CHECK_FALSE(answer->display.empty());
  }
}

AnswerSpec spec_of(AnswerKind kind) {
  AnswerSpec spec;
  spec.kind = kind;
  return spec;
}

}  // namespace

TEST_CASE("dates: relative words, days ago, numbers and month names in four languages") {
  AnswerSpec spec = spec_of(AnswerKind::date);
  spec.max_days_ago = 3650;
  check_rows(spec, {
                       {"hier", "2026-11-25"},
                       {"Hier", "2026-11-25"},
                       {"HIER !", "2026-11-25"},
                       {"hier soir", "2026-11-25"},
                       {"avant-hier", "2026-11-24"},
                       {"aujourd'hui", "2026-11-26"},
                       {"gisteren", "2026-11-25", "", "nl"},
                       {"eergisteren", "2026-11-24", "", "nl"},
                       {"vandaag", "2026-11-26", "", "nl"},
                       {"yesterday", "2026-11-25", "", "en"},
                       {"Yesterday morning", "2026-11-25", "", "en"},
                       {"the day before yesterday", "2026-11-24", "", "en"},
                       {"أمس", "2026-11-25", "", "ar"},
                       {"امس", "2026-11-25", "", "ar"},
                       {"أول أمس", "2026-11-24", "", "ar"},
                       {"il y a 3 jours", "2026-11-23"},
                       {"Il y a trois jours", "2026-11-23"},
                       {"y a 10 jours", "2026-11-16"},
                       {"3 dagen geleden", "2026-11-23", "", "nl"},
                       {"twee dagen geleden", "2026-11-24", "", "nl"},
                       {"5 days ago", "2026-11-21", "", "en"},
                       {"a day ago", "2026-11-25", "", "en"},
                       {"منذ 3 أيام", "2026-11-23", "", "ar"},
                       {"منذ يومين", "2026-11-24", "", "ar"},
                       {"قبل ٤ ايام", "2026-11-22", "", "ar"},
                       {"12/3", "2026-03-12"},
                       {"12/03", "2026-03-12"},
                       {"12-03-2026", "2026-03-12"},
                       {"12.3.26", "2026-03-12"},
                       {"1/1/20", "2020-01-01"},
                       {"2026-03-12", "2026-03-12"},
                       {"12 3 2026", "2026-03-12"},
                       {"٢٥/١١", "2026-11-25", "", "ar"},
                       {"۲۵/۱۱/۲۰۲۶", "2026-11-25", "", "ar"},
                       {"12 mars", "2026-03-12"},
                       {"12 Mars 2025", "2025-03-12"},
                       {"le 1er novembre", "2026-11-01"},
                       {"mardi 24 novembre", "2026-11-24"},
                       {"12 maart", "2026-03-12", "", "nl"},
                       {"12 March", "2026-03-12", "", "en"},
                       {"March 12th", "2026-03-12", "", "en"},
                       {"12 febuary", "2026-02-12", "", "en"},
                       {"3 sept. 2024", "2024-09-03"},
                       {"12 مارس", "2026-03-12", "", "ar"},
                       {"12 شتنبر", "2026-09-12", "", "ar"},
                       {"12 décembre", "2025-12-12"},  // not in the future: last year's
                       {"29/02", "2024-02-29"},        // the last 29 February before today
                       {"demain", nullptr, "date_future"},
                       {"", nullptr, "date"},
                       {"je ne sais pas", nullptr, "date"},
                       {"12", nullptr, "date"},
                       {"mars", nullptr, "date"},
                       {"31/02", nullptr, "date_impossible"},
                       {"32/01/2026", nullptr, "date_impossible"},
                       {"12/13/2026", nullptr, "date_impossible"},
                       {"30/11/2026", nullptr, "date_future"},
                       {"2027-01-01", nullptr, "date_future"},
                       {"12/03/2000", nullptr, "date_too_old"},
                       {"9999999/1", nullptr, "date"},
                   });
}

TEST_CASE("dates in the future are accepted where the question allows it") {
  AnswerSpec spec = spec_of(AnswerKind::date);
  spec.allow_future = true;
  check_rows(spec, {
                       {"30/11/2026", "2026-11-30"},
                       {"2027-01-01", "2027-01-01"},
                       {"12 décembre", "2026-12-12"},
                       {"hier", "2026-11-25"},
                       {"12/3", "2026-03-12"},
                       {"1 janvier", "2026-01-01"},
                       {"15/08", "2026-08-15"},
                       {"31/12", "2026-12-31"},
                       {"1/1/30", "2030-01-01"},
                       {"3 dagen geleden", "2026-11-23"},
                       {"today", "2026-11-26"},
                       {"3 april 2027", "2027-04-03"},
                       {"aujourd hui", "2026-11-26"},
                       {"28/02/2027", "2027-02-28"},
                       {"29/02/2028", "2028-02-29"},
                       {"29/02/2027", nullptr, "date_impossible"},
                       {"0/1", nullptr, "date_impossible"},
                       {"1/0", nullptr, "date_impossible"},
                       {"bientôt", nullptr, "date"},
                       {"next week", nullptr, "date"},
                   });
}

TEST_CASE("dates are echoed in words in the person's language") {
  const auto& validators = *test::flow_world().validators;
  const flows::CivilDate date{2026, 3, 12};
  CHECK(validators.display_date(date, "fr") == "jeudi 12 mars 2026");
  CHECK(validators.display_date(date, "nl") == "donderdag 12 maart 2026");
  CHECK(validators.display_date(date, "en") == "Thursday, 12 March 2026");
  CHECK(validators.display_date(date, "ar") == "الخميس، ١٢ مارس ٢٠٢٦");
}

TEST_CASE("today in Brussels follows the Belgian clock, not UTC") {
  // 2026-11-26 23:30 UTC is already 27 November in Brussels (UTC+1 in winter).
  CHECK(flows::brussels_date(1795735800000.0) == flows::CivilDate{2026, 11, 27});
  // 2026-07-01 21:59 UTC is 23:59 in Brussels (UTC+2 in summer): still 1 July.
  CHECK(flows::brussels_date(1782943140000.0) == flows::CivilDate{2026, 7, 1});
  CHECK(flows::brussels_date(1782943260000.0) == flows::CivilDate{2026, 7, 2});
}

TEST_CASE("nationalities: countries and demonyms in four languages, with typos") {
  check_rows(spec_of(AnswerKind::nationality),
             {
                 {"marocain", "MA"},
                 {"Marocaine", "MA"},
                 {"il est marocain", "MA"},
                 {"Maroc", "MA"},
                 {"Marokkaan", "MA", "", "nl"},
                 {"Marokkaanse", "MA", "", "nl"},
                 {"marokkaans", "MA", "", "nl"},
                 {"Marokko", "MA", "", "nl"},
                 {"Moroccan", "MA", "", "en"},
                 {"morocco", "MA", "", "en"},
                 {"مغربي", "MA", "", "ar"},
                 {"مغربية", "MA", "", "ar"},
                 {"المغرب", "MA", "", "ar"},
                 {"marrocain", "MA"},
                 {"Morocan", "MA", "", "en"},
                 {"algérienne", "DZ"},
                 {"algerien", "DZ"},
                 {"Algerije", "DZ", "", "nl"},
                 {"جزائري", "DZ", "", "ar"},
                 {"tunisienne", "TN"},
                 {"guinéen", "GN"},
                 {"guinée équatoriale", "GQ"},
                 {"Guinea-Bissau", "GW", "", "en"},
                 {"rdc", "CD"},
                 {"Congo-Kinshasa", "CD"},
                 {"ivoirienne", "CI"},
                 {"Côte d'Ivoire", "CI"},
                 {"ivory coast", "CI", "", "en"},
                 {"afghan", "AF"},
                 {"Afghanistan", "AF", "", "en"},
                 {"érythréen", "ER"},
                 {"Eritrean", "ER", "", "en"},
                 {"syrienne", "SY"},
                 {"سوري", "SY", "", "ar"},
                 {"palestinien", "PS"},
                 {"albanais", "AL"},
                 {"Georgian", "GE", "", "en"},
                 {"kosovar", "XK"},
                 {"apatride", "XX"},
                 {"stateless", "XX", "", "en"},
                 {"tchétchène", "RU"},
                 {"nigérian", "NG"},
                 {"nigérien", "NE"},
                 {"Brésil", "BR"},
                 {"islande", "IS"},  // a country with no demonym in our file: ICU's name
                 {"congolais", nullptr, "nationality_ambiguous"},
                 {"xyzzy", nullptr, "nationality"},
                 {"", nullptr, "nationality"},
                 {"je ne sais pas", nullptr, "nationality"},
                 {"12345", nullptr, "nationality"},
             });
}

TEST_CASE("centres: loose names, aliases, typos, unknown and police station") {
  check_rows(spec_of(AnswerKind::centre), {
                                              {"127", "127bis"},
                                              {"127 bis", "127bis"},
                                              {"le 127bis", "127bis"},
                                              {"cent vingt-sept bis", "127bis"},
                                              {"Caricole", "caricole"},
                                              {"caricole à Steenokkerzeel", "caricole"},
                                              {"karikool", "caricole", "", "nl"},
                                              {"centre fermé de Vottem", "vottem"},
                                              {"Vottem", "vottem"},
                                              {"vottemm", "vottem"},
                                              {"CIV", "vottem"},
                                              {"Brugge", "bruges", "", "nl"},
                                              {"Bruges", "bruges"},
                                              {"CIB", "bruges"},
                                              {"Merksplas", "merksplas"},
                                              {"merksplass", "merksplas"},
                                              {"CIM", "merksplas"},
                                              {"gesloten centrum Merksplas", "merksplas", "", "nl"},
                                              {"je ne sais pas", "unknown"},
                                              {"onbekend", "unknown", "", "nl"},
                                              {"no idea", "unknown", "", "en"},
                                              {"لا أعرف", "unknown", "", "ar"},
                                              {"commissariat", "police_station"},
                                              {"au commissariat de Schaerbeek", "police_station"},
                                              {"politiebureau", "police_station", "", "nl"},
                                              {"police station", "police_station", "", "en"},
                                              {"مركز الشرطة", "police_station", "", "ar"},
                                              {"Steenokkerzeel", nullptr, "centre_ambiguous"},
                                              {"la lune", nullptr, "centre"},
                                              {"", nullptr, "centre"},
                                              {"Antwerpen", nullptr, "centre"},
                                          });
}

TEST_CASE("phones: Belgian by default, foreign with a prefix, any digits, E.164 stored") {
  check_rows(spec_of(AnswerKind::phone), {
                                             {"0470 12 34 56", "+32470123456"},
                                             {"0470123456", "+32470123456"},
                                             {"0470/12.34.56", "+32470123456"},
                                             {"+32 470 12 34 56", "+32470123456"},
                                             {"0032470123456", "+32470123456"},
                                             {"٠٤٧٠ ٥٥ ٦٦ ٧٧", "+32470556677"},
                                             {"02 719 71 09", "+3227197109"},
                                             {"02/719.71.10", "+3227197110"},
                                             {"04 228 89 00", "+3242288900"},
                                             {"050 45 10 40", "+3250451040"},
                                             {"014 63 91 10", "+3214639110"},
                                             {"+212 6 12 34 56 78", "+212612345678"},
                                             {"+33 6 12 34 56 78", "+33612345678"},
                                             {"+31 6 12345678", "+31612345678"},
                                             {"+224 622 12 34 56", "+224622123456"},
                                             {"+213 551 23 45 67", "+213551234567"},
                                             {" 0487 65 43 21 ", "+32487654321"},
                                             {"12345", nullptr, "phone"},
                                             {"", nullptr, "phone"},
                                             {"appelle-moi", nullptr, "phone"},
                                             {"0470 12 34", nullptr, "phone"},
                                             {"+999 123 456 789", nullptr, "phone"},
                                             {std::string(100, '1').c_str(), nullptr, "phone"},
                                         });
}

TEST_CASE("names: any script kept as written, numbers, links and walls of text refused") {
  const auto& validators = *test::flow_world().validators;
  check_rows(spec_of(AnswerKind::name),
             {
                 {"EL AMRANI Mohamed", "EL AMRANI Mohamed"},
                 {"  el   amrani mohamed ", "el amrani mohamed"},
                 {"محمد العمراني", "محمد العمراني"},
                 {"Ñúñez García, José", "Ñúñez García, José"},
                 {"Мухаммад Алиев", "Мухаммад Алиев"},
                 {"DIALLO Mamadou alias Momo", "DIALLO Mamadou"},  // the alias is kept apart,
                 {"O'Neill Patrick", "O'Neill Patrick"},
                 {"Nguyễn Văn An", "Nguyễn Văn An"},
                 {"ትግርኛ ስም", "ትግርኛ ስም"},
                 {"Ali", "Ali"},
                 {"X Æ A-12", "X Æ A-12"},
                 {"Abdoulaye\tBah", "Abdoulaye Bah"},
                 {"Jean-Pierre Mukendi", "Jean-Pierre Mukendi"},
                 {"Ahmad (Ahmed) Karimi", "Ahmad (Ahmed) Karimi"},
                 {"BAH", "BAH"},
                 {"12345", nullptr, "name"},
                 {"", nullptr, "name"},
                 {"   ", nullptr, "name"},
                 {"http://example.org", nullptr, "name"},
                 {"someone@example.org", nullptr, "name"},
                 {"+32470123456", nullptr, "name"},
                 {std::string(201, 'a').c_str(), nullptr, "name"},
             });
  const auto keyed = std::get<flows::Answer>(validators.name("محمد العمراني"));
  CHECK(keyed.key == "mhmd almrany");
  CHECK(std::get<flows::Answer>(validators.name("Ñúñez García, José")).key == "nunez garcia jose");
  CHECK(std::get<flows::Answer>(validators.name("MOHAMMED")).key == "mohammed");
}

TEST_CASE("yes and no in every language, thumbs too") {
  check_rows(spec_of(AnswerKind::yes_no), {
                                              {"oui", "yes"},
                                              {"Oui !", "yes"},
                                              {"ouais", "yes"},
                                              {"ok", "yes"},
                                              {"ja", "yes", "", "nl"},
                                              {"klopt", "yes", "", "nl"},
                                              {"yes", "yes"},
                                              {"Yes please", "yes"},
                                              {"yep", "yes"},
                                              {"نعم", "yes", "", "ar"},
                                              {"👍", "yes"},
                                              {"✅", "yes"},
                                              {"non", "no"},
                                              {"Non merci", "no"},
                                              {"nee", "no", "", "nl"},
                                              {"neen", "no", "", "nl"},
                                              {"no", "no"},
                                              {"nope", "no"},
                                              {"لا", "no", "", "ar"},
                                              {"👎", "no"},
                                              {"peut-être", nullptr, "yes_no"},
                                              {"", nullptr, "yes_no"},
                                              {"oui non", nullptr, "yes_no"},
                                              {"maybe", nullptr, "yes_no"},
                                          });
}

TEST_CASE("choices by number, label, keyword or a near miss, in any language") {
  const flows::Flow& demo = *test::flow_world().library.latest("demo");
  const AnswerSpec& consent = demo.node("ask_consent")->answer;
  check_rows(consent, {
                          {"1", "yes"},
                          {" 2 ", "not_asked"},
                          {"3", "no"},
                          {"٣", "no", "", "ar"},
                          {"3.", "no"},
                          {"Oui, d'accord", "yes"},
                          {"oui d accord", "yes"},
                          {"accord", "yes"},
                          {"acord", "yes"},
                          {"Pas encore demandé", "not_asked"},
                          {"pas encore", "not_asked"},
                          {"il n'a pas encore été demandé", "not_asked"},
                          {"not asked yet", "not_asked", "", "en"},
                          {"Nog niet gevraagd", "not_asked", "", "nl"},
                          {"akkoord", "yes", "", "nl"},
                          {"weigert", "no", "", "nl"},
                          {"refuses", "no", "", "en"},
                          {"لم يُسأل بعد", "not_asked", "", "ar"},
                          {"موافق", "yes", "", "ar"},
                          {"Non", "no"},
                          {"4", nullptr, "choice"},
                          {"0", nullptr, "choice"},
                          {"", nullptr, "choice"},
                          {"blabla", nullptr, "choice"},
                      });
}

TEST_CASE("free text is trimmed and kept within its length limits") {
  AnswerSpec spec = spec_of(AnswerKind::text);
  spec.min_length = 2;
  spec.max_length = 10;
  check_rows(spec, {
                       {"ok", "ok"},
                       {"  ok  ", "ok"},
                       {"a  b", "a b"},
                       {"حسنا", "حسنا"},
                       {"0123456789", "0123456789"},
                       {"ééééééééé", "ééééééééé"},
                       {"日本語のテキスト", "日本語のテキスト"},
                       {"line\nbreak", "line break"},
                       {"🙂🙂", "🙂🙂"},
                       {"x\ty", "x y"},
                       {"ab", "ab"},
                       {"abc", "abc"},
                       {"!?", "!?"},
                       {"12", "12"},
                       {"a", nullptr, "text_too_short"},
                       {"", nullptr, "text_too_short"},
                       {"   ", nullptr, "text_too_short"},
                       {"01234567890", nullptr, "text_too_long"},
                       {"ééééééééééé", nullptr, "text_too_long"},
                       {"\xff\xfe", nullptr, "text_too_short"},
                   });
}
