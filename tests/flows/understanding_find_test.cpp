// Values found inside the openings hosts write ("Mon ami Mamadou DIALLO, guinéen, arrêté hier à
// Bruxelles, il est au 127bis"), in four languages: each value with the words it was read from
// (its byte span), and nothing found where nothing is said.
#include <catch2/catch.hpp>

#include "tests/flows/flow_fixture.hpp"

namespace {

using namespace gvo;
using flows::AnswerKind;

const flows::CivilDate kToday{2026, 11, 26};  // a Thursday

struct FindRow {
  const char* text;
  AnswerKind kind;
  const char* found;  // "value@words as written | ...", in the order found; "" for none
  const char* language = "fr";
};

std::string found_in(const FindRow& row) {
  flows::AnswerSpec spec;
  spec.kind = row.kind;
  if (row.kind == AnswerKind::date) spec.max_days_ago = 36500;
  const auto& validators = *test::validator_world().validators;
  flows::ValidationContext context{row.language, kToday};
  context.minute_of_day = 10 * 60;
  const std::string text = row.text;
  std::string out;
  for (const flows::Found& found : validators.find(spec, text, context)) {
    REQUIRE(found.begin < found.end);
    REQUIRE(found.end <= text.size());
    if (!out.empty()) out += " | ";
    out += found.answer.value + "@" + text.substr(found.begin, found.end - found.begin);
  }
  return out;
}

}  // namespace

TEST_CASE("values are found inside openings, with the words they were read from") {
  const char* const fr1 =
      "Mon ami Mamadou DIALLO, guinéen, arrêté hier à Bruxelles, il est au 127bis";
  const char* const fr2 =
      "Bonjour. Ma copine SOW Aminata, mauritanienne, née le 02/02/1998, arrêtée vendredi "
      "dernier à la gare du nord, elle est à Caricole. Elle veut un avocat.";
  const char* const fr3 =
      "Bonsoir. Mon mari KOUASSI Yao (ivoirien) est à Merksplas depuis le 10 novembre, arrêté à "
      "Anvers. Son avocat c'est Maître Dupont.";
  const char* const fr4 =
      "Bonjour mon ami est toujours au commissariat de Schaerbeek depuis hier matin";
  const char* const nl1 =
      "Dag, ik meld een vriendin: KONE Mariam, Ivoriaanse, geboren 14/07/1993, vrijdag opgepakt in "
      "Gent, nu in Caricole.";
  const char* const nl2 =
      "Hallo. Mijn vriend BENSAID Anouar (Algerije) zit in Vottem sinds woensdag. "
      "Zijn advocaat is meester Janssens.";
  const char* const nl3 =
      "Goeiendag, mijn vriend zit nog op het politiebureau in Mechelen sinds gisterenochtend";
  const char* const en1 =
      "Hi. DEMBELE Seydou, Malian, arrested Thursday 12 November, now in Vottem. He wants a "
      "lawyer.";
  const char* const en2 =
      "Hello. Friend arrested on the 24th, name KHAN Imran, Pakistani, he is in 127bis. "
      "His phone is 0475 12 34 56.";
  const char* const en3 =
      "Hello, my friend ABDI Hassan Mohamed from Somalia was taken to Bruges centre last Tuesday";
  const char* const ar1 =
      "السلام عليكم، زوجي يوسف بن علي، تونسي، اعتقل أول أمس وهو في مركز 127 مكرر";
  const char* const ar2 = "مرحبا، أخي BOUAZZA Rachid جزائري اعتقل يوم السبت وهو الآن في مركز فوتم";
  const char* const ar3 = "اخي اسمه عمر الفاروق، مصري، في مركز ميركسبلاس منذ يوم الخميس";
  const char* const ar4 = "السلام عليكم صديقي مازال في الكوميسارية منذ أمس الصباح";
  const std::vector<FindRow> rows = {
      {fr1, AnswerKind::name, "Mamadou DIALLO@Mamadou DIALLO"},
      {fr1, AnswerKind::nationality, "GN@guinéen"},
      {fr1, AnswerKind::centre, "127bis@127bis"},
      {fr1, AnswerKind::phone, ""},
      {fr2, AnswerKind::name, "SOW Aminata@SOW Aminata"},
      {fr2, AnswerKind::nationality, "MR@mauritanienne"},
      {fr2, AnswerKind::centre, "caricole@Caricole"},
      {fr3, AnswerKind::name, "KOUASSI Yao@KOUASSI Yao"},
      {fr3, AnswerKind::nationality, "CI@ivoirien"},
      {fr3, AnswerKind::centre, "merksplas@Merksplas"},
      {fr3, AnswerKind::text, "Maître Dupont@Maître Dupont"},
      {fr4, AnswerKind::centre, "police_station@au commissariat"},
      {fr4, AnswerKind::text, "Schaerbeek@Schaerbeek"},
      {fr4, AnswerKind::name, ""},
      {"slt jai un pb mon pote a ete pris par la police samedi", AnswerKind::name, ""},
      {"slt jai un pb mon pote a ete pris par la police samedi", AnswerKind::centre, ""},
      {"bonjour mon ami a disparu depuis jeudi", AnswerKind::name, ""},
      {"bonjour, je m'inquiète, mon ami Samir n'est pas rentré", AnswerKind::name, "Samir@Samir"},
      {"bjr on connais que son surnom Papis, il est pris depuis 3 jours", AnswerKind::text,
       "Papis@Papis"},
      {"SVP URGENT mon frère est arrêté", AnswerKind::name, ""},
      {nl1, AnswerKind::name, "KONE Mariam@KONE Mariam", "nl"},
      {nl1, AnswerKind::nationality, "CI@Ivoriaanse", "nl"},
      {nl1, AnswerKind::centre, "caricole@Caricole", "nl"},
      {nl2, AnswerKind::name, "BENSAID Anouar@BENSAID Anouar", "nl"},
      {nl2, AnswerKind::nationality, "DZ@Algerije", "nl"},
      {nl2, AnswerKind::centre, "vottem@Vottem", "nl"},
      {nl2, AnswerKind::text, "meester Janssens@meester Janssens", "nl"},
      {nl3, AnswerKind::centre, "police_station@op het politiebureau", "nl"},
      {nl3, AnswerKind::text, "Mechelen@Mechelen", "nl"},
      {"Buurman opgepakt door politie zaterdagavond, wat nu?", AnswerKind::centre, "", "nl"},
      {"mijn man zit in Brugge", AnswerKind::nationality, "", "nl"},
      {en1, AnswerKind::name, "DEMBELE Seydou@DEMBELE Seydou", "en"},
      {en1, AnswerKind::nationality, "ML@Malian", "en"},
      {en1, AnswerKind::centre, "vottem@Vottem", "en"},
      {en2, AnswerKind::name, "KHAN Imran@KHAN Imran", "en"},
      {en2, AnswerKind::nationality, "PK@Pakistani", "en"},
      {en2, AnswerKind::centre, "127bis@127bis", "en"},
      {en2, AnswerKind::phone, "+32475123456@0475 12 34 56", "en"},
      {en3, AnswerKind::name, "ABDI Hassan Mohamed@ABDI Hassan Mohamed", "en"},
      {en3, AnswerKind::nationality, "SO@Somalia", "en"},
      {en3, AnswerKind::centre, "bruges@Bruges", "en"},
      {"Hi my friend was taken by the police, the number of the centre is +32 2 719 71 09",
       AnswerKind::phone, "+3227197109@+32 2 719 71 09", "en"},
      {"hi my friend HABTE Yonas, eritrean, was picked up the day before yesterday, he is in "
       "caricole",
       AnswerKind::centre, "caricole@caricole", "en"},
      {"he is at Steenokkerzeel", AnswerKind::centre, "", "en"},
      {"Hello, my friend is still at the police station in Ixelles since yesterday morning",
       AnswerKind::text, "Ixelles@Ixelles", "en"},
      {"my friend is from Guinea-Bissau, not Guinea", AnswerKind::nationality,
       "GW@Guinea-Bissau | GN@Guinea", "en"},
      {ar1, AnswerKind::name, "يوسف بن علي@يوسف بن علي", "ar"},
      {ar1, AnswerKind::nationality, "TN@تونسي", "ar"},
      {ar1, AnswerKind::centre, "127bis@127 مكرر", "ar"},
      {ar2, AnswerKind::name, "BOUAZZA Rachid@BOUAZZA Rachid", "ar"},
      {ar2, AnswerKind::nationality, "DZ@جزائري", "ar"},
      {ar2, AnswerKind::centre, "vottem@فوتم", "ar"},
      {ar3, AnswerKind::name, "عمر الفاروق@عمر الفاروق", "ar"},
      {ar3, AnswerKind::nationality, "EG@مصري", "ar"},
      {ar3, AnswerKind::centre, "merksplas@ميركسبلاس", "ar"},
      {ar4, AnswerKind::name, "", "ar"},
      {ar4, AnswerKind::centre, "police_station@الكوميسارية", "ar"},
      {"السلام عليكم صديقي اعتقلته الشرطة", AnswerKind::name, "", "ar"},
      {"السلام عليكم صديقي اعتقلته الشرطة", AnswerKind::centre, "", "ar"},
  };
  for (const FindRow& row : rows) {
    INFO("text: '" << row.text << "' kind " << static_cast<int>(row.kind));
    CHECK(found_in(row) == row.found);
  }
}
