// A case: one detained person as GVO follows them, made from the answers of the intake flow. Its
// statuses, its reference (what hosts and staff type to name it) and the facts the bot acts on
// (names for linking, centre for referents, arrest date for deadlines). Pure.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bot/core/vocabulary.hpp"
#include "flows/answer.hpp"
#include "flows/session.hpp"

namespace gvo::cases {

// A case's status (bot/core/vocabulary.hpp: the words the store keeps). Every change is an event
// with who, when and why.
using Status = core::CaseStatus;
using core::parse_status;  // "new", "acknowledged"... (nothing for any other word)
using core::to_string;
// Released, deported and closed cases need no more alerts.
bool is_final(Status status);

// The result names of the intake flow (flows/defs/intake.json) that the bot reads. The other
// results are kept and shown as they are.
namespace result {
inline constexpr char registered_name[] = "registered_name";
inline constexpr char other_names[] = "other_names";
inline constexpr char alias_name[] = "alias_name";  // the alias-only path's one name
inline constexpr char alias_only[] = "alias_only";
inline constexpr char nationality[] = "nationality";
inline constexpr char centre[] = "centre";
inline constexpr char arrest_date[] = "arrest_date";
inline constexpr char detainee_phone[] = "detainee_phone";
inline constexpr char wants_lawyer[] = "wants_lawyer";
inline constexpr char consent[] = "consent";
inline constexpr char host_contact[] = "host_contact";  // the host's own: forgotten with them
// Not asked by the intake: a coordinator records it ("set K7QM-3XPD decision 2026-03-20").
inline constexpr char decision_date[] = "decision_date";
inline constexpr char birth_date[] = "birth_date";
inline constexpr char oe_number[] = "oe_number";  // the SP / OE number
}  // namespace result

// Whether the detained person agreed that what GVO knows of them is shared (domain/PROCEDURE.md,
// "Confidentiality"). The intake's answer first; a coordinator may record it later ("consent
// K7QM-3XPD yes"), as an event of kind kConsentEvent whose detail is "yes" or "no".
enum class Consent { yes, not_asked, no };

inline constexpr char kConsentEvent[] = "consent";

std::string_view to_string(Consent consent);  // "yes", "not_asked", "no": the intake's values
// "yes" and "no" are answers; anything else (skipped, "I don't know", not reached) is not_asked.
Consent parse_consent(std::string_view value);

// The intake as it reads with consent now: the consent result replaced (its label is then shown
// in the reader's language), so that no one reads an answer a coordinator has since corrected.
flows::Session with_consent(flows::Session intake, Consent consent);

// The intake without what belongs to the host who filed it (how to reach them), for a host who
// asked to be forgotten: the rest is about the detained person and stays with the case.
flows::Session without_host(flows::Session intake);

// What is left of a conversation once its intake is filed (the case holds the answers): the
// flow and the language, so that the bot goes on in it, and nothing the host answered.
flows::Session filed_remains(const flows::Session& session);

// "merge K7QM-3XPD Q4ZT-8HNE": the events the two cases get ("merged" on the one kept, its
// detail the other's reference; "merged_into" on the other, closed, its detail the kept one's).
inline constexpr char kMergedEvent[] = "merged";
inline constexpr char kMergedIntoEvent[] = "merged_into";

// The kept case's intake once another report of the same person is merged into it: what the kept
// one left unanswered is taken from the other (the other host's own contact and the consent
// excepted: consent is recorded by events, the most cautious kept), and the other's names (as
// written, with their linking skeleton) that the kept one does not go by (kept_skeletons) become
// other names of the kept case.
flows::Session merged_intake(flows::Session kept, const flows::Session& other,
                             const std::vector<std::string>& kept_skeletons,
                             const std::vector<std::pair<std::string, std::string>>& other_names);

// What the bot acts on, read from a filed session's results.
struct Facts {
  std::vector<std::string> names;    // the registered name(s), as written
  std::vector<std::string> aliases;  // other names; with alias_only, the reported name too
  bool alias_only = false;
  std::string nationality;  // ISO code, or "" when not given
  std::string centre;       // centre id, "unknown", "police_station" or ""
  std::optional<flows::CivilDate> arrest_date;
  std::optional<flows::CivilDate> decision_date;  // the decision the deadlines count from
  bool wants_lawyer = false;
  Consent consent = Consent::not_asked;  // as the intake says: events may have changed it
};

Facts facts_of(const flows::Session& intake);

// The name a case goes by in staff messages: the first registered name, else the first alias.
std::string first_name(const Facts& facts);

// "2026-03-12" as a valid day; nothing for anything else.
std::optional<flows::CivilDate> parse_iso_date(const std::string& text);

// "K7QM-3XPD": 8 symbols of an alphabet without 0/O, 1/I/L, from 40 random bits. Never
// sequential, easy to read out and to type on a phone.
inline constexpr std::size_t kReferenceRandomBytes = 5;
std::string make_reference(const std::array<std::uint8_t, kReferenceRandomBytes>& random);
// The first reference written in text, in any case, with or without its dash ("k7qm3xpd",
// "K7QM 3XPD"); "" when there is none.
std::string find_reference(std::string_view text);
// A word that reads as a piece of a reference ("k7qm", "K7QM-3X"): 3 to 7 of its symbols, with
// a digit and a letter, and no whole reference.
bool looks_like_partial_reference(std::string_view word);

}  // namespace gvo::cases
