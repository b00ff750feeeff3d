// Names are names: the name taken out of the sentences hosts write at the name question, the
// other names kept apart, sentences that hold no name refused, names in other scripts kept as
// written (and known not to be Latin, so that the flow asks for the spelling on the papers).
#include <catch2/catch.hpp>

#include "flows/text.hpp"
#include "tests/flows/flow_fixture.hpp"

namespace {

using namespace gvo;

struct NameRow {
  const char* input;
  const char* name;          // nullptr: must be refused
  const char* aliases = "";  // the other names, joined with " | "
  bool certain = false;      // an answer that is the name itself, as written
};

std::string joined(const std::vector<std::string>& list) {
  std::string out;
  for (const auto& item : list) out += (out.empty() ? "" : " | ") + item;
  return out;
}

}  // namespace

TEST_CASE("names are taken out of sentences in four languages, or refused") {
  const std::vector<NameRow> rows = {
      // The name as it is.
      {"DIALLO Mamadou", "DIALLO Mamadou", "", true},
      {"Mamadou Diallo", "Mamadou Diallo", "", true},
      {"  mamadou   diallo ", "mamadou diallo", "", true},
      {"BEN ALI Youssef", "BEN ALI Youssef", "", true},
      {"Ben Ali Youssef", "Ben Ali Youssef", "", true},
      {"EL AMRANI Youssef", "EL AMRANI Youssef", "", true},
      {"N'DIAYE Fatou", "N'DIAYE Fatou", "", true},
      {"Jean-Pierre Mukendi", "Jean-Pierre Mukendi", "", true},
      {"NGUYEN Van Minh", "NGUYEN Van Minh", "", true},
      {"Van Damme", "Van Damme", "", true},
      {"محمد العمراني", "محمد العمراني", "", true},
      {"فاطمة الزهراء بوعلام", "فاطمة الزهراء بوعلام", "", true},
      {"Иван Петров", "Иван Петров", "", true},
      {"Müller", "Müller", "", true},
      // After a cue word, fillers dropped (fr).
      {"il a donné le nom TRAORE Bakary je crois", "TRAORE Bakary"},
      {"il a donné le nom EL IDRISSI Hicham je crois", "EL IDRISSI Hicham"},
      {"Il s'appelle Mamadou Diallo", "Mamadou Diallo"},
      {"il s'appelle DIALLO", "DIALLO"},
      {"son nom c'est KOUASSI Yao", "KOUASSI Yao"},
      {"Son nom: CHERIF Nabil", "CHERIF Nabil"},
      {"son nom est SOW Aminata normalement", "SOW Aminata"},
      {"c'est DIOP Omar", "DIOP Omar"},
      {"oui c'est BARRY Alpha merci", "BARRY Alpha"},
      {"je crois que c'est CAMARA Ibrahima", "CAMARA Ibrahima"},
      {"enregistré sous le nom de BAH Ousmane", "BAH Ousmane"},
      {"Je vous ai déjà dit: NDIAYE Fatou", "NDIAYE Fatou"},
      // nl.
      {"hij heeft de naam AZIZI Omid gegeven denk ik", "AZIZI Omid"},
      {"hij heet Kwame Mensah", "Kwame Mensah"},
      {"zijn naam is OKAFOR Chinedu", "OKAFOR Chinedu"},
      {"de naam is JALLOH Abu denk ik", "JALLOH Abu"},
      {"Ik zei al: EL OUARDI Hamza", "EL OUARDI Hamza"},
      {"geregistreerd als BENSAID Anouar", "BENSAID Anouar"},
      // en.
      {"I told you already: KHAN Imran", "KHAN Imran"},
      {"his name is John Williams", "John Williams"},
      {"His name is WILLIAMS John I think", "WILLIAMS John"},
      {"he is called Abdul Kamara", "Abdul Kamara"},
      {"registered as YILMAZ Emre", "YILMAZ Emre"},
      {"the name is MUKENDI Esther", "MUKENDI Esther"},
      {"it's HABTE Yonas", "HABTE Yonas"},
      // ar, in script and in Latin letters.
      {"اسمه عمر الفاروق", "عمر الفاروق"},
      {"اسمه محمد العمراني", "محمد العمراني"},
      {"اسمها فاطمة الزهراء", "فاطمة الزهراء"},
      {"يسمى أحمد خليل", "أحمد خليل"},
      {"مسجل باسم يوسف بن علي", "يوسف بن علي"},
      {"smito Rachid Bouazza", "Rachid Bouazza"},
      {"اسمه KACEM Nordine", "KACEM Nordine"},
      // A name followed by what else is known of the person.
      {"DIOP Omar, sénégalais, né en 1990", "DIOP Omar"},
      {"NDIAYE Fatou, Senegalese, born 12/08/1990", "NDIAYE Fatou"},
      {"KONE Mariam, Ivoriaanse, geboren 14/07/1993", "KONE Mariam"},
      {"mamadou diallo, guinéen", "mamadou diallo"},
      {"je pense que DIALLO Mamadou est son nom", "DIALLO Mamadou"},
      // Other names kept apart.
      {"BENALI Mohamed alias Abou Ali", "BENALI Mohamed", "Abou Ali"},
      {"EL AMRANI Youssef dit Youssef le grand", "EL AMRANI Youssef", "Youssef le grand"},
      {"JALLOH Abu, also called Abu J", "JALLOH Abu", "Abu J"},
      {"MENSAH Kwame ook Kofi", "MENSAH Kwame", "Kofi"},
      {"il s'appelle SAADI Khaled alias Abou Salim", "SAADI Khaled", "Abou Salim"},
      {"KHAN Imran aka Immy", "KHAN Imran", "Immy"},
      {"il m'a dit son nom: SOW Moussa", "SOW Moussa"},
      // No name in it.
      {"il est au centre", nullptr},
      {"je ne sais pas son nom", nullptr},
      {"my friend is in the police station", nullptr},
      {"hij zit in Merksplas sinds gisteren", nullptr},
      {"bonjour", nullptr},
      {"oui", nullptr},
      {"0475 12 34 56", nullptr},
      {"http://example.org/profile", nullptr},
      {"mamadou@example.org", nullptr},
      {"marocain", nullptr},
      {"Guinée", nullptr},
      {"mijn vriend is gisteren opgepakt door de politie", nullptr},
      {"I don't know his name, sorry", nullptr},
      {"هو في المركز منذ أمس", nullptr},
  };
  REQUIRE(rows.size() >= 60);
  const auto& validators = *test::validator_world().validators;
  for (const NameRow& row : rows) {
    INFO("input: '" << row.input << "'");
    const flows::Validation result = validators.name(row.input);
    if (row.name == nullptr) {
      const auto* refused = std::get_if<flows::Rejection>(&result);
      if (refused == nullptr) {
        FAIL_CHECK("taken as " << std::get<flows::Answer>(result).value);
        continue;
      }
      CHECK(refused->reason == "name");
      continue;
    }
    const auto* answer = std::get_if<flows::Answer>(&result);
    if (answer == nullptr) {
      FAIL_CHECK("refused");
      continue;
    }
    CHECK(answer->value == row.name);
    CHECK(answer->display == row.name);
    CHECK(answer->raw == row.input);
    CHECK(answer->key == test::validator_world().folder.latin_key(row.name));
    CHECK(joined(answer->aliases) == row.aliases);
    CHECK(answer->certain == row.certain);
  }
}

TEST_CASE("a name in Arabic or another script is known not to be the Latin spelling") {
  CHECK(flows::is_latin_script("DIALLO Mamadou"));
  CHECK(flows::is_latin_script("Müller Ñúñez Øre"));
  CHECK(flows::is_latin_script("N'DIAYE-1"));
  CHECK_FALSE(flows::is_latin_script("محمد العمراني"));
  CHECK_FALSE(flows::is_latin_script("Mohamed محمد"));
  CHECK_FALSE(flows::is_latin_script("Иван"));
  CHECK_FALSE(flows::is_latin_script("ሀብቴ"));
  // The Latin key of a name in Arabic script is still Latin, for matching.
  const auto& validators = *test::validator_world().validators;
  const flows::Validation read = validators.name("اسمه عمر الفاروق");
  const auto* answer = std::get_if<flows::Answer>(&read);
  REQUIRE(answer != nullptr);
  CHECK_FALSE(flows::is_latin_script(answer->value));
  CHECK(flows::is_latin_script(answer->key));
  CHECK_FALSE(answer->key.empty());
}
