// A conversation flow as data: nodes that say, ask, branch, set results, emit actions for the bot,
// summarise and end. Built by flows/loader from JSON (flows/README.md documents the format);
// immutable afterwards and shared by every session on that flow version.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace gvo::flows {

using Language = std::string;                       // "fr", "nl", "en", "ar"
using LocalText = std::map<Language, std::string>;  // one text in each language

// since: how long ago something happened, given as a duration ("3 days", "about a week") or a
// moment ("avant-hier", "since yesterday morning"); stored as whole hours ago ("52").
enum class AnswerKind { text, name, date, nationality, centre, phone, yes_no, choice, since };

struct Choice {
  std::string value;  // stored as the result
  LocalText label;
  std::map<Language, std::vector<std::string>> keywords;  // more words that pick it
};

struct AnswerSpec {
  AnswerKind kind = AnswerKind::text;
  // text: length in characters (code points) after trimming.
  std::size_t min_length = 1;
  std::size_t max_length = 1000;
  // date: allowed range relative to today (Europe/Brussels).
  bool allow_future = false;
  int max_days_ago = 0;  // 0: no limit
  // date: a birth date makes the person at least this old (years; 0: no limit).
  int min_age_years = 0;
  // choice
  std::vector<Choice> choices;
  // Ask yes/no on the understood value before keeping it.
  bool confirm = false;
  // name: the name the police recorded (LAST NAME and first name): a single word is confirmed
  // with "confirm_one_name", which asks for the other name too.
  bool full_name = false;
};

struct Timer {
  int after_minutes = 0;
  LocalText text;    // what to send when it fires
  std::string next;  // timeout only: where to go (empty: the conversation ends)
};

struct Condition {
  std::string result;
  std::vector<std::string> any_of;  // empty: the result is set and not skipped
  // The stored value read as a number is below this ("below": 24 on a since answer's hours).
  std::optional<long> below;
  // The stored value is written in another script than Latin ("محمد"): ask the papers' spelling.
  bool not_latin = false;
};

// What a question may take from the person's earlier messages (the opening, other answers): a
// value of its answer type found there (Validators::find), if one of the cue words stands next to
// it in the same sentence; with no cues, any value found. Taken values are not asked again; the
// summary shows them for confirmation.
struct Takes {
  std::map<Language, std::vector<std::string>> cues;  // every language's cues count
  // A value another question took already counts here too ("arrested yesterday": the time
  // without news and the date of arrest).
  bool shared = false;
  // false: the question is never asked; what is not found in earlier messages stays unanswered
  // (optional questions only: the details picked out of an "anything else?" answer).
  bool ask = true;
};

struct BranchCase {
  Condition when;
  std::string next;
};

enum class NodeKind { say, ask, branch, set, action, summary, end };

struct Node {
  std::string id;
  NodeKind kind = NodeKind::say;
  LocalText text;  // say, ask (the question), summary (its heading), end (optional)
  std::string next;
  // ask
  std::string result;
  LocalText label;  // the field's short name in the summary
  LocalText why;    // why we ask
  AnswerSpec answer;
  bool optional = false;
  std::optional<Timer> reminder;
  std::optional<Timer> timeout;
  std::optional<Takes> takes;
  // What "no", "don't know" and "skip" answer here: a choice's value, or "skip" (optional
  // questions). Unlisted: a choice valued "no" / "unknown", else skipped when optional.
  std::map<std::string, std::string> absent;  // "no", "unknown", "skip" -> value or "skip"
  // branch
  std::vector<BranchCase> cases;
  std::string otherwise;
  // set (result above)
  std::string value;
  // action
  std::string action;
  // summary
  std::vector<std::string> results;
};

struct Flow {
  static constexpr int kFormat = 1;  // the format version this code reads

  std::string id;
  int version = 0;
  std::vector<Language> languages;  // every text exists in each; the first is the fallback
  std::string start;
  std::map<std::string, Node> nodes;
  std::map<std::string, std::string> ask_node_of_result;
  // Placeholders the bot fills in after the engine ("{case_reference}" once a case exists); the
  // engine leaves them as they are.
  std::vector<std::string> provided;

  const Node* node(const std::string& id) const;
};

const char* to_string(AnswerKind kind);
const char* to_string(NodeKind kind);

}  // namespace gvo::flows
