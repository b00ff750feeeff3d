// What the desk says to hosts and staff, and the words it understands after a case is filed
// (flows/defs/desk.json): messages in every language, the words of host updates ("libéré",
// "vrijgelaten", "ticket"...), of a referent's acknowledgement, and weekday names for a flight
// date. Loaded once; immutable and pure afterwards.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "flows/catalog.hpp"
#include "flows/flow.hpp"
#include "flows/text.hpp"

namespace gvo::cases {

enum class UpdateKind { none, status, new_report, released, deported, transferred, flight };

std::string_view to_string(UpdateKind kind);

// What staff ask by chat (bot/cases/commands.hpp).
enum class StaffVerb {
  unknown,
  help,
  cases,
  show,
  assign,
  note,
  status,
  link,
  unlink,
  close,
  erase,
  audit,
  stats,
  acknowledge,
  verify,
  staff,
  consent,
  deadlines,
  correct,
  // the two-way line with hosts
  reply,     // "reply K7QM-3XPD text": to the case's hosts; "reply 3 text": to request 3
  requests,  // the open requests for a person
  done,      // "done 3": request 3 is settled
  // finding and managing cases
  merge,  // "merge K7QM-3XPD Q4ZT-8HNE": the second folded into the first
  find,   // "find BENALI": cases by name, across scripts (the linking keys)
};

std::string_view to_string(StaffVerb verb);  // "cases", "show"... as in desk.json

struct DeskTexts {
  std::vector<flows::Language> languages;
  std::map<std::string, flows::LocalText> messages;
  std::map<UpdateKind, std::vector<std::string>> update_words;  // folded, every language
  std::vector<std::string> tomorrow_words;                      // folded
  std::map<std::string, int> weekdays;               // folded name -> 0 Monday ... 6 Sunday
  std::map<std::string, StaffVerb> command_words;    // folded word -> verb, every language
  std::map<std::string, std::string> filter_words;   // folded word -> "urgent", "mine", a status
  std::vector<std::string> confirm_words;            // folded: "confirm", "confirmer"...
  std::map<std::string, std::string> consent_words;  // folded word -> "yes" or "no"
  std::map<std::string, std::string> field_words;    // folded word -> a result ("centre"...)
  // Notes: a word that keeps one for the coordinators ("private", "privé"), one that shares it
  // with the centre's referents ("shared", "partagé"), words that name a lawyer ("avocat").
  std::vector<std::string> note_private_words, note_shared_words, lawyer_words;  // folded

  // The message in language (else the first that has it), {placeholders} filled.
  std::string text(const std::string& key, const flows::Language& language,
                   const std::map<std::string, std::string>& values = {}) const;
};

// Who reads a note (bot/desk/CASES.md, "Who sees what"): the coordinators only when it names a
// lawyer or is marked private, unless marked shared; everyone who sees the case otherwise.
enum class NoteAudience { everyone, coordinators };
NoteAudience note_audience(const std::vector<std::string>& folded_words, const DeskTexts& texts);
// The event kind a note of that audience is stored as ("note", "note.coordinators").
std::string_view note_kind(NoteAudience audience);
inline constexpr char kCoordinatorNoteEvent[] = "note.coordinators";

// The case fields staff may correct ("correct K7QM-3XPD centre merksplas"), by result name.
const std::vector<std::string>& correctable_fields();

// The message keys every desk.json must translate into each of its languages.
const std::vector<std::string>& required_desk_keys();

flows::Result<DeskTexts> load_desk_texts(std::string_view json_text, std::string_view source,
                                         const flows::TextFolder& folder);

}  // namespace gvo::cases
