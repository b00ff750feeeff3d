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
  std::string name;  // in the first language given (the fallback)
  LocalText names;   // in each language given
  std::vector<std::string> phones;
  std::vector<std::string> emails;
  std::vector<std::string> aliases;  // folded
};

// The closed detention centres (flows/defs/centres.json), editable without code.
struct CentreDirectory {
  std::vector<Centre> centres;
  std::vector<std::string> unknown_words;  // folded: "je ne sais pas", "onbekend"...
  std::vector<std::string> police_words;   // folded: "commissariat", "politiebureau"...
  // folded: what, inside a longer message, says the person is still at a police station
  // ("au commissariat", "op het politiebureau"; not "police" alone: "la police l'a arrêté").
  std::vector<std::string> police_in_message;
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

// No / don't know / skip, said in any language, SMS or dialect form ("jsp", "weet ik nie",
// "dunno", "ma3reftch", "لا"); none when the text says something else.
enum class Absence { none, no, unknown, skip };

// A phrase as folded words ("je ne sais pas" -> {"je", "ne", "sais", "pas"}).
using Phrase = std::vector<std::string>;

// The everyday words the validators read (flows/defs/understanding.json), folded, every language
// together. Coordinators edit them without touching code.
struct UnderstandingWords {
  // No / don't know / skip: the whole answer, or a lead followed by only polite words.
  std::vector<std::pair<Phrase, Absence>> absence;  // longest first
  std::vector<Phrase> no_leads;                     // "pas de", "geen", "no": "pas d'avocat" is no
  std::vector<std::string> polite;  // "merci", "hoor", "thanks", "شكرا": ignored after an absence
  // Time.
  std::map<std::string, int> numbers;                // "trois" -> 3
  std::map<std::string, std::pair<int, int>> units;  // "jours" -> {24 hours, 1}; "يومين" -> {24, 2}
  std::vector<std::pair<Phrase, std::pair<int, int>>> moments;  // "ce matin" -> {day 0, 9 h}
  std::map<std::string, int> parts_of_day;                      // "matin" -> 9 ("hier matin")
  std::map<std::string, int> weekdays;                          // "lundi", "ma" -> 1 (Monday) .. 7
  std::vector<Phrase> last;          // "dernier", "vorige", "last", "الماضي"
  std::vector<Phrase> next;          // "prochain", "volgende", "next", "القادم"
  std::vector<Phrase> ago_before;    // "il y a", "منذ": before a duration
  std::vector<Phrase> ago_after;     // "geleden", "ago": after a duration
  std::vector<Phrase> ahead;         // "dans", "over", "in": before a duration still to come
  std::vector<Phrase> since;         // "depuis", "sinds", "since", "منذ"
  std::vector<Phrase> about;         // "environ", "ongeveer", "about"
  std::vector<std::string> joiners;  // "de", "of", "van", "le", "the", "à"
  // Names.
  std::vector<Phrase> name_cues;   // the name follows: "il s'appelle", "his name is", "اسمه"
  std::vector<Phrase> alias_cues;  // another name follows: "alias", "dit", "also called", "ook"
  std::vector<Phrase> fillers;     // dropped around a name: "je crois", "i think", "denk ik"
  std::vector<std::string> sentence_words;  // a stretch with one of them is no name: "est", "is"
  std::vector<Phrase> lawyer_cues;          // "avocat", "advocaat", "lawyer", "محامي"
  std::vector<Phrase> police_cues;          // "commissariat de", "politie van", "police station in"
  std::vector<std::string>
      not_names;  // written in capitals but no name: "SVP", "GVO", "SP", "URGENT"
};

Result<UnderstandingWords> load_understanding(std::string_view json_text, std::string_view source,
                                              const TextFolder& folder);

// A value found inside a longer message, with its byte span in that message.
struct Found {
  Answer answer;
  std::size_t begin = 0, end = 0;
};

class Validators {
 public:
  static constexpr std::size_t kMaxInputBytes = 4096;
  static constexpr long kMaxSinceHours = 24L * 366 * 10;  // a since answer: at most ten years

  Validators(const Catalog& catalog, const TextFolder& folder, CentreDirectory centres,
             NationalityWords nationalities, UnderstandingWords understanding = {});
  Validators(const Validators&) = delete;
  Validators& operator=(const Validators&) = delete;
  ~Validators();

  Validation validate(const AnswerSpec& spec, std::string_view input,
                      const ValidationContext& context) const;

  Validation text(const AnswerSpec& spec, std::string_view input) const;
  Validation name(const AnswerSpec& spec, std::string_view input) const;
  Validation name(std::string_view input) const { return name(AnswerSpec{}, input); }
  Validation date(const AnswerSpec& spec, std::string_view input,
                  const ValidationContext& context) const;
  Validation nationality(std::string_view input, const ValidationContext& context) const;
  Validation centre(std::string_view input, const ValidationContext& context) const;
  Validation phone(std::string_view input) const;
  Validation yes_no(std::string_view input, const ValidationContext& context) const;
  Validation choice(const AnswerSpec& spec, std::string_view input,
                    const ValidationContext& context) const;
  // How long ago, in whole hours before the message ("avant-hier", "3 days", "sinds maandag").
  Validation since(std::string_view input, const ValidationContext& context) const;

  // Whether the whole input says no / don't know / skip (the engine maps it to the question's
  // own choice; it is never a value).
  Absence absence(std::string_view input, const Language& language) const;

  // Every value of spec's type inside a longer message, with its span, in the order found.
  std::vector<Found> find(const AnswerSpec& spec, std::string_view text,
                          const ValidationContext& context) const;

  // "jeudi 12 mars 2026", "donderdag 12 maart 2026", "Thursday 12 March 2026", "الخميس، ١٢ مارس".
  std::string display_date(const CivilDate& date, const Language& language) const;
  // "36 heures", "3 dagen", "2 days", "٣ أيام": hours ago as shown back (days from 48 hours).
  std::string display_duration(long hours, const Language& language) const;
  std::string country_name(const std::string& code, const Language& language) const;
  std::string choice_list(const AnswerSpec& spec, const Language& language) const;
  const CentreDirectory& centres() const { return centres_; }
  // A centre's name in the language (else its first name); the id itself for an unknown id.
  std::string centre_name(std::string_view id, const Language& language) const;
  const UnderstandingWords& understanding() const { return words_; }

  // What ICU and the tables give for parsing, built once (flows/validators/*.cpp).
  struct DateTables;
  struct NationalityIndex;

 private:
  // find() for each kind (flows/validators/find.cpp, names.cpp).
  std::vector<Found> find_names(std::string_view text) const;
  std::vector<Found> find_text(std::string_view text) const;
  std::vector<Found> find_nationalities(std::string_view text,
                                        const ValidationContext& context) const;
  std::vector<Found> find_centres(std::string_view text, const ValidationContext& context) const;
  std::vector<Found> find_phones(std::string_view text) const;
  std::vector<Found> find_times(const AnswerSpec& spec, std::string_view text,
                                const ValidationContext& context) const;
  // Whether a folded word or phrase names a country or a nationality ("guinéen", "maroc").
  bool is_country_word(const std::string& folded) const;
  std::string centre_list(const Language& language) const;
  std::string label(const Choice& choice, const Language& language) const;

  const Catalog& catalog_;
  const TextFolder& folder_;
  CentreDirectory centres_;
  NationalityWords nationality_words_;
  UnderstandingWords words_;
  std::unique_ptr<DateTables> dates_;
  std::unique_ptr<NationalityIndex> countries_;
};

// The civil date in Europe/Brussels at a moment (milliseconds since the Unix epoch).
CivilDate brussels_date(double unix_millis);
// The moment (milliseconds since the Unix epoch) a Brussels clock shows hour:minute on date.
double brussels_time(const CivilDate& date, int hour, int minute);

}  // namespace gvo::flows
