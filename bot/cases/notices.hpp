// The messages the desk writes about a case, in the reader's language: the coordinators' full
// case (every field labelled with the flow's own labels, in the lawyer's order), a referent's
// alert (what a visit needs and no more, or without any detail of the person while their consent
// is not recorded), a host's status line, and the values of answers shown again in another
// language than they were given in. Pure.
#pragma once

#include <string>
#include <vector>

#include "bot/cases/access.hpp"
#include "bot/cases/desk_texts.hpp"
#include "flows/catalog.hpp"
#include "flows/flow.hpp"
#include "flows/session.hpp"
#include "flows/validators.hpp"

namespace gvo::cases {

struct Wording {
  const flows::Flow& flow;  // the version the intake was filed on: its labels and choices
  const flows::Catalog& catalog;
  const flows::Validators& validators;
  const DeskTexts& desk;
};

// An answer as a reader of language should see it ("MA" -> "Maroc", "2026-03-12" -> "jeudi 12
// mars 2026", a choice's label).
std::string shown_value(const Wording& wording, const std::string& result,
                        const flows::Answer& answer, const flows::Language& language);

// A field's short name in language: the flow's label of the question that asks it, else the desk
// text "field.<result>" (fields no question asks), else the result's name.
std::string field_label(const Wording& wording, const std::string& result,
                        const flows::Language& language);

// The results of the flow's summary, in its order (the lawyer's order).
std::vector<std::string> summary_results(const flows::Flow& flow);

// "Label : value" lines of the given results that were answered (skipped ones are left out).
std::string field_lines(const Wording& wording, const flows::Session& intake,
                        const std::vector<std::string>& results, const flows::Language& language);

struct CaseFlags {
  bool wants_lawyer = false;
  bool alias_only = false;
  std::vector<std::string> duplicate_of;  // references of linked cases
  Consent consent = Consent::not_asked;   // not yes: the coordinators read what referents got
  bool no_deadline_start = false;         // no date of arrest (the host did not know it): no alerts
};

std::string coordinator_notice(const Wording& wording, const flows::Session& intake,
                               const std::string& reference, const CaseFlags& flags,
                               const flows::Language& language);

// What a referent sees of a case: what a visit needs, and no more.
std::vector<std::string> referent_results();

std::string referent_alert(const Wording& wording, const flows::Session& intake,
                           const std::string& reference, const flows::Language& language);

// What a referent sees of a case whose consent is not recorded: where, and since when.
std::vector<std::string> reduced_results();

// "⏰ 5-day deadline: Monday 16 March 2026" for each deadline from the date of arrest, if known.
std::string deadline_lines(const Wording& wording, const flows::Session& intake,
                           const flows::Language& language);

// The alert of View::reduced: the case exists, its centre, its dates, and that consent is not
// recorded. No name, other name, nationality, date of birth, phone nor anyone's words.
std::string referent_alert_reduced(const Wording& wording, const flows::Session& intake,
                                   const std::string& reference, const flows::Language& language);

// The field lines a view of the case shows (nothing for View::none). Intake as it reads now
// (with_consent).
std::string view_fields(const Wording& wording, const flows::Session& intake, View view,
                        const flows::Language& language);

// "• Caricole (Steenokkerzeel): 02 719 71 09, 02 719 71 10" for each centre, Caricole first:
// the order the procedure calls them in.
std::string centre_phone_lines(const flows::CentreDirectory& directory, const DeskTexts& desk,
                               const flows::Language& language);

}  // namespace gvo::cases
