// One person's conversation as the bot keeps it: the saved session (JSON, read with going_on) and
// a message in, the replies and the session to save out. A conversation goes on on the flow version
// it started on; a new one starts on the latest. Pure.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "flows/engine.hpp"
#include "flows/loader.hpp"

namespace gvo::flows {

struct Reaction {
  // The session to save. Nothing: with forget, erase what was saved; else nothing changed (a
  // timer of a conversation that is no longer going on).
  std::optional<std::string> state;
  bool forget = false;  // the person asked to be forgotten
  std::vector<std::string> replies;
  std::vector<FlowAction> actions;  // create_case...: for the case service
  std::vector<ScheduleTimer> timers;
  bool cancel_timers = false;  // before the timers above: the earlier waits are over
  bool human_requested = false;
  bool finished = false;  // the conversation reached its end in this step
  Language language;      // the session's language after this step
};

// The saved conversation, read, if it is still going on (not finished, readable, its version
// loaded); nothing otherwise.
std::optional<Session> going_on(const FlowLibrary& library,
                                const std::optional<std::string>& saved);

// A message, or a timer set by an earlier reaction, to the conversation going on (as going_on
// read it; nothing: a new one). A timer with no conversation to go on changes nothing and
// returns no state. A new conversation starts in known_language when its first message does not
// show one (the person wrote before).
Reaction converse(const Engine& engine, const FlowLibrary& library, const std::string& flow_id,
                  std::optional<Session> session, const Event& event, TimePoint now,
                  const Language& known_language = {});

}  // namespace gvo::flows
