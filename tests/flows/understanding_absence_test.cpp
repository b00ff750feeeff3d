// One notion of no / don't know / skip (flows/defs/understanding.json): the forms hosts write in
// French, Dutch and Flemish, English, Arabic, chat-Arabic and Darija, SMS style, and the answers
// that merely look like them (a name "Nono", "nee" inside a sentence that answers).
#include <catch2/catch.hpp>

#include "tests/flows/flow_fixture.hpp"

namespace {

using gvo::flows::Absence;

struct Row {
  const char* input;
  Absence expected;
  const char* language;
};

constexpr Absence kNo = Absence::no;
constexpr Absence kUnknown = Absence::unknown;
constexpr Absence kSkip = Absence::skip;
constexpr Absence kNone = Absence::none;

const Row kRows[] = {
    // French, with SMS forms.
    {"non", kNo, "fr"},
    {"Non.", kNo, "fr"},
    {"NON !", kNo, "fr"},
    {"non merci", kNo, "fr"},
    {"Non, merci", kNo, "fr"},
    {"nn", kNo, "fr"},
    {"nan", kNo, "fr"},
    {"non non", kNo, "fr"},
    {"rien", kNo, "fr"},
    {"aucun", kNo, "fr"},
    {"pas encore", kNo, "fr"},
    {"pas d'avocat", kNo, "fr"},
    {"pas de numéro", kNo, "fr"},
    {"Pas d'autre nom", kNo, "fr"},
    {"aucune adresse", kNo, "fr"},
    {"il n'a pas de téléphone", kNo, "fr"},
    {"y a pas", kNo, "fr"},
    {"non désolé", kNo, "fr"},
    {"je ne sais pas", kUnknown, "fr"},
    {"Je sais pas", kUnknown, "fr"},
    {"je sais pas désolé", kUnknown, "fr"},
    {"jsp", kUnknown, "fr"},
    {"JSP", kUnknown, "fr"},
    {"jsais pas", kUnknown, "fr"},
    {"j'sais pas", kUnknown, "fr"},
    {"chais pas", kUnknown, "fr"},
    {"chépa", kUnknown, "fr"},
    {"sais pas", kUnknown, "fr"},
    {"aucune idée", kUnknown, "fr"},
    {"Aucune idee", kUnknown, "fr"},
    {"inconnu", kUnknown, "fr"},
    {"on ne sait pas", kUnknown, "fr"},
    {"je ne suis pas sûr", kUnknown, "fr"},
    {"j'en sais rien", kUnknown, "fr"},
    {"je me souviens pas", kUnknown, "fr"},
    {"passer", kSkip, "fr"},
    {"je passe", kSkip, "fr"},
    {"suivant", kSkip, "fr"},
    {"question suivante", kSkip, "fr"},
    {"plus tard", kSkip, "fr"},
    // Dutch and Flemish.
    {"nee", kNo, "nl"},
    {"Nee hoor", kNo, "nl"},
    {"neen", kNo, "nl"},
    {"nie", kNo, "nl"},
    {"niks", kNo, "nl"},
    {"nog niet", kNo, "nl"},
    {"geen advocaat", kNo, "nl"},
    {"geen gsm", kNo, "nl"},
    {"hij heeft geen nummer", kNo, "nl"},
    {"nee bedankt", kNo, "nl"},
    {"weet ik niet", kUnknown, "nl"},
    {"ik weet het niet", kUnknown, "nl"},
    {"weet ik nie", kUnknown, "nl"},
    {"weet nie", kUnknown, "nl"},
    {"kweet nie", kUnknown, "nl"},
    {"k weet het niet", kUnknown, "nl"},
    {"wetek nie", kUnknown, "nl"},
    {"geen idee", kUnknown, "nl"},
    {"Geen flauw idee", kUnknown, "nl"},
    {"geen gedacht", kUnknown, "nl"},
    {"gene gedacht", kUnknown, "nl"},
    {"onbekend", kUnknown, "nl"},
    {"weet ik veel", kUnknown, "nl"},
    {"overslaan", kSkip, "nl"},
    {"sla over", kSkip, "nl"},
    {"volgende", kSkip, "nl"},
    {"liever niet", kSkip, "nl"},
    // English.
    {"no", kNo, "en"},
    {"No.", kNo, "en"},
    {"nope", kNo, "en"},
    {"nah", kNo, "en"},
    {"no thanks", kNo, "en"},
    {"nothing", kNo, "en"},
    {"none", kNo, "en"},
    {"not yet", kNo, "en"},
    {"no lawyer", kNo, "en"},
    {"he has no phone", kNo, "en"},
    {"no sorry", kNo, "en"},
    {"i don't know", kUnknown, "en"},
    {"I dont know", kUnknown, "en"},
    {"dunno", kUnknown, "en"},
    {"idk", kUnknown, "en"},
    {"IDK sorry", kUnknown, "en"},
    {"no idea", kUnknown, "en"},
    {"no clue", kUnknown, "en"},
    {"not sure", kUnknown, "en"},
    {"unknown", kUnknown, "en"},
    {"i don't remember", kUnknown, "en"},
    {"skip", kSkip, "en"},
    {"pass", kSkip, "en"},
    {"next", kSkip, "en"},
    {"rather not say", kSkip, "en"},
    // Arabic script, Darija, chat-Arabic.
    {"لا", kNo, "ar"},
    {"لا شكرا", kNo, "ar"},
    {"لا يوجد", kNo, "ar"},
    {"والو", kNo, "ar"},
    {"ماكاينش", kNo, "ar"},
    {"ما عندوش", kNo, "ar"},
    {"ما عندوش محامي", kNo, "ar"},
    {"la", kNo, "ar"},
    {"lla", kNo, "ar"},
    {"walou", kNo, "ar"},
    {"makaynch", kNo, "ar"},
    {"ma3ndoch", kNo, "ar"},
    {"لا أعرف", kUnknown, "ar"},
    {"لا اعرف", kUnknown, "ar"},
    {"ما عرفتش", kUnknown, "ar"},
    {"معرفتش", kUnknown, "ar"},
    {"ما بعرف", kUnknown, "ar"},
    {"مش عارف", kUnknown, "ar"},
    {"مدري", kUnknown, "ar"},
    {"الله أعلم", kUnknown, "ar"},
    {"ما عنديش فكرة", kUnknown, "ar"},
    {"ma3reftch", kUnknown, "ar"},
    {"ma3rftch", kUnknown, "ar"},
    {"man3rafch", kUnknown, "ar"},
    {"ma n3rafch", kUnknown, "ar"},
    {"mish 3aref", kUnknown, "ar"},
    {"ma3ndi fikra", kUnknown, "ar"},
    {"تخطي", kSkip, "ar"},
    {"التالي", kSkip, "ar"},
    {"ndowz", kSkip, "ar"},
    // Signs.
    {"?", kUnknown, "fr"},
    {"??", kUnknown, "en"},
    {"\xF0\x9F\xA4\xB7", kUnknown, "nl"},
    {"\xF0\x9F\xA4\xB7\xE2\x80\x8D\xE2\x99\x82\xEF\xB8\x8F", kUnknown, "ar"},
    {"-", kNo, "fr"},
    {"/", kNo, "nl"},
    // What must NOT count: names, answers that start like a no, sentences that answer.
    {"Nono", kNone, "fr"},
    {"Noah", kNone, "en"},
    {"Nora", kNone, "en"},
    {"Lamia", kNone, "ar"},
    {"Laila", kNone, "ar"},
    {"Nadia", kNone, "fr"},
    {"Nee, hij heet Karim", kNone, "nl"},
    {"nee hij zit in Merksplas", kNone, "nl"},
    {"Non, il s'appelle Mamadou DIALLO", kNone, "fr"},
    {"non il est au 127bis", kNone, "fr"},
    {"no, his name is Ahmed", kNone, "en"},
    {"No, Karim", kNone, "en"},
    {"no KARIM", kNone, "en"},
    {"pas de nouvelles depuis 3 jours", kNone, "fr"},
    {"geen 3 maar 4 dagen", kNone, "nl"},
    {"لا، اسمه محمد", kNone, "ar"},
    {"la police l'a pris hier", kNone, "fr"},
    {"non je crois que c'est Vottem", kNone, "fr"},
    {"je sais pas son nom mais il est marocain", kNone, "fr"},
    {"I don't know his lawyer but he is in Caricole", kNone, "en"},
    {"weet ik niet, misschien Brugge", kNone, "nl"},
    {"Maître Dupont", kNone, "fr"},
    {"0470 12 34 56", kNone, "fr"},
    {"hier", kNone, "fr"},
    {"oui", kNone, "fr"},
    {"ja", kNone, "nl"},
    {"yes", kNone, "en"},
    {"نعم", kNone, "ar"},
    {"", kNone, "fr"},
    {"Nicolas", kNone, "fr"},
    {"Nina", kNone, "nl"},
    {"Laâyoune", kNone, "fr"},
    {"Pascal", kNone, "fr"},
    {"Rienzi", kNone, "en"},
};

const char* name_of(Absence absence) {
  switch (absence) {
    case Absence::no:
      return "no";
    case Absence::unknown:
      return "unknown";
    case Absence::skip:
      return "skip";
    case Absence::none:
      break;
  }
  return "none";
}

}  // namespace

TEST_CASE("absence: no, don't know and skip in every language and their SMS and dialect forms") {
  const auto& validators = *gvo::test::flow_world().validators;
  std::size_t forms = 0;
  std::size_t not_absences = 0;
  for (const Row& row : kRows) {
    INFO("input: '" << row.input << "' in " << row.language);
    CHECK(std::string(name_of(validators.absence(row.input, row.language))) ==
          name_of(row.expected));
    (row.expected == kNone ? not_absences : forms) += 1;
  }
  CHECK(forms >= 100);
  CHECK(not_absences >= 30);
}

TEST_CASE("absence: the same form means the same in every conversation language") {
  const auto& validators = *gvo::test::flow_world().validators;
  for (const char* language : {"fr", "nl", "en", "ar"}) {
    INFO(language);
    CHECK(validators.absence("jsp", language) == Absence::unknown);
    CHECK(validators.absence("no", language) == Absence::no);
    CHECK(validators.absence("لا", language) == Absence::no);
    CHECK(validators.absence("weet ik nie", language) == Absence::unknown);
    CHECK(validators.absence("Karim", language) == Absence::none);
  }
}

TEST_CASE("absence: text that is not UTF-8 or too long is no absence") {
  const auto& validators = *gvo::test::flow_world().validators;
  CHECK(validators.absence("\xFF\xFEnon", "fr") == Absence::none);
  CHECK(validators.absence(std::string(5000, 'n'), "fr") == Absence::none);
}
