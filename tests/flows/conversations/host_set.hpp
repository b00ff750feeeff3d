// The intake conversation set (tests/flows/conversations/*.json, README there): hosts written as
// real hosts write, each played against the intake through flows::converse, the way the desk runs
// a conversation (its session saved as JSON and read back between messages). Each host answers
// what the bot asks from its own lines; the run records how many bot turns it took to reach the
// case's filing and what was stored. Used by the conversation-set test and gvo-intake-bench.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "tests/flows/flow_fixture.hpp"

namespace gvo::test {

struct Host {
  std::string id;
  flows::Language language;
  std::vector<std::string> opening;  // the first messages, before any question
  // What the host writes when asked for a result; the n-th time asked, the n-th line.
  std::map<std::string, std::vector<std::string>> answers;
  std::string yes;                 // at a confirmation and the summary
  std::string no;                  // at a confirmation of a value it did not mean
  std::string dont_know;           // to a question the host has no line (left) for
  std::string skip;                // after that, the skip word the bot offers
  std::string language_name;       // if the bot asks which language
  bool opening_has_facts = false;  // the opening gives the name, nationality, centre and date
  std::map<std::string, std::string> expected;  // result -> stored value
};

struct HostSet {
  std::string now;  // the hosts' clock, UTC "2026-03-16T10:00:00"
  std::vector<Host> hosts;
  std::vector<std::string> absence_words;   // never a stored value ("non", "jsp", "لا"...)
  std::vector<std::string> sentence_words;  // never inside a name ("je crois", "told"...)
};

// Every *.json of the folder, hosts in file order. Throws std::runtime_error on a bad file.
HostSet load_host_set(const std::string& folder);

struct HostRun {
  const Host* host = nullptr;
  bool filed = false;  // the create_case action was emitted
  int bot_turns = 0;   // messages the host sent until the filing (or the cut-off)
  std::map<std::string, flows::Answer> results;  // as at the filing
  std::string last_node;                         // where the conversation last waited
  bool asked_language = false;                   // the bot showed the language menu
  flows::Language language;                      // the conversation's language at the end
  std::vector<std::string> advice;               // the bot's replies in the filing's turn
  std::vector<std::string> transcript;           // "> host" and "< bot" lines, for failures
  std::vector<std::string> problems;             // judged against the host's expectations
};

// Plays one host (at most max_turns messages) and judges the run: filed, the expected values,
// no absence word stored as a value, no sentence in a name field, the conversation in the host's
// language without the language menu, and a known centre's own phone in the advice (no other
// centre's).
// engine: through flows::converse, the saved session read back at every message (fast; the
// bot turns are counted so). desk: through the real desk on a SQLite store of its own, the case
// read from the store (the desk's own placeholders filled in the advice).
enum class Carrier { engine, desk };
HostRun play(const FlowWorld& world, const HostSet& set, const Host& host,
             Carrier carrier = Carrier::engine, int max_turns = 80);

// The median of the turns of the runs that filed (0 for none).
double median_turns(const std::vector<HostRun>& runs);

}  // namespace gvo::test
