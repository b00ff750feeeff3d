// One person's conversation on a flow: where it waits, what they answered, in which language. It
// is plain data that the bot saves (sealed) after each step and gives back on the next message or
// timer, so a conversation resumes the same after any restart. It names the flow version it
// started on, and finishes on it.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "flows/answer.hpp"
#include "flows/catalog.hpp"

namespace gvo::flows {

enum class SessionState {
  fresh,              // nothing received yet
  choosing_language,  // asked which language
  answering,          // waiting for the answer to node
  confirming,         // waiting for yes/no on pending
  reviewing,          // the summary of node is shown
  picking_line,       // asked which summary line to correct
  confirming_stop,    // asked whether to stop and forget
  finished,
};

// A message the person wrote, kept so that later questions can take what it says; the byte
// spans of the values taken from it already.
struct Heard {
  std::string text;
  std::vector<std::pair<std::size_t, std::size_t>> used;
};

struct Session {
  std::string flow_id;
  int flow_version = 0;
  Language language;
  SessionState state = SessionState::fresh;
  std::string node;
  std::map<std::string, Answer> results;
  std::vector<std::string> asked;  // ask nodes answered, oldest first: "back" walks it
  std::optional<Answer> pending;
  int failures = 0;       // failed answers in a row at node
  int wait = 0;           // numbers each wait, so that a timer of an older one is ignored
  std::string return_to;  // a summary to come back to after a correction
  SessionState before_stop = SessionState::fresh;
  std::vector<Heard> heard;  // oldest first; emptied when the conversation finishes
};

std::string to_json(const Session& session);
Result<Session> session_from_json(std::string_view json_text);

const char* to_string(SessionState state);

}  // namespace gvo::flows
