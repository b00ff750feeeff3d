// The validators that understand people's answers: dates as they are written in chat, countries
// and demonyms in four languages with typos, detention centres by their loose names, Belgian and
// foreign phone numbers, names in any script, yes/no and choices. Built once from the catalog and
// the data files (centres, nationalities); immutable and pure afterwards (ICU, libphonenumber).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "flows/answer.hpp"
#include "flows/catalog.hpp"
#include "flows/text.hpp"

namespace gvo::flows {

struct Centre {
  std::string id;
  std::string name;
  std::vector<std::string> phones;
  std::vector<std::string> emails;
  std::vector<std::string> aliases;  // folded
};

// The closed detention centres (flows/defs/centres.json), editable without code.
struct CentreDirectory {
  std::vector<Centre> centres;
  std::vector<std::string> unknown_words;  // folded: "je ne sais pas", "onbekend"...
  std::vector<std::string> police_words;   // folded: "commissariat", "politiebureau"...
  const Centre* find(std::string_view id) const;
};

Result<CentreDirectory> load_centres(std::string_view json_text, std::string_view source,
                                     const TextFolder& folder);

// Demonyms and other names of countries (flows/defs/nationalities.json); the countries' own names
// in every language come from ICU.
struct NationalityWords {
  std::map<std::string, std::vector<std::string>> words;  // ISO code -> folded words
  std::map<std::string, LocalText> special;  // codes ICU does not name ("XX": stateless)
};

Result<NationalityWords> load_nationalities(std::string_view json_text, std::string_view source,
                                            const TextFolder& folder);

class Validators {
 public:
  static constexpr std::size_t kMaxInputBytes = 4096;

  Validators(const Catalog& catalog, const TextFolder& folder, CentreDirectory centres,
             NationalityWords nationalities);
  Validators(const Validators&) = delete;
  Validators& operator=(const Validators&) = delete;
  ~Validators();

  Validation validate(const AnswerSpec& spec, std::string_view input,
                      const ValidationContext& context) const;

  Validation text(const AnswerSpec& spec, std::string_view input) const;
  Validation name(std::string_view input) const;
  Validation date(const AnswerSpec& spec, std::string_view input,
                  const ValidationContext& context) const;
  Validation nationality(std::string_view input, const ValidationContext& context) const;
  Validation centre(std::string_view input, const ValidationContext& context) const;
  Validation phone(std::string_view input) const;
  Validation yes_no(std::string_view input, const ValidationContext& context) const;
  Validation choice(const AnswerSpec& spec, std::string_view input,
                    const ValidationContext& context) const;

  // "jeudi 12 mars 2026", "donderdag 12 maart 2026", "Thursday 12 March 2026", "الخميس، ١٢ مارس".
  std::string display_date(const CivilDate& date, const Language& language) const;
  std::string country_name(const std::string& code, const Language& language) const;
  std::string choice_list(const AnswerSpec& spec, const Language& language) const;
  const CentreDirectory& centres() const { return centres_; }

  // What ICU and the tables give for parsing, built once (flows/validators/*.cpp).
  struct DateTables;
  struct NationalityIndex;

 private:
  std::string centre_list() const;
  std::string label(const Choice& choice, const Language& language) const;

  const Catalog& catalog_;
  const TextFolder& folder_;
  CentreDirectory centres_;
  NationalityWords nationality_words_;
  std::unique_ptr<DateTables> dates_;
  std::unique_ptr<NationalityIndex> countries_;
};

// The civil date in Europe/Brussels at a moment (milliseconds since the Unix epoch).
CivilDate brussels_date(double unix_millis);
// The moment (milliseconds since the Unix epoch) a Brussels clock shows hour:minute on date.
double brussels_time(const CivilDate& date, int hour, int minute);

}  // namespace gvo::flows
