// The flow interpreter: step(session, event, now) -> actions. Pure: it reads no clock (now comes
// in), does no I/O and keeps no state of its own; the bot applies the actions (send, persist the
// session, schedule timers, create a case) in one transaction. Commands valid anywhere (back,
// skip, why, help, stop, restart, human, a language's name) are handled here, outside the flows.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "flows/catalog.hpp"
#include "flows/flow.hpp"
#include "flows/session.hpp"
#include "flows/validators.hpp"

namespace gvo::flows {

using TimePoint = std::chrono::system_clock::time_point;

enum class TimerKind { reminder, timeout };

// Events
struct Message {
  std::string text;
};
struct TimerFired {
  TimerKind kind;
  int wait;  // Session::wait when it was scheduled
};
using Event = std::variant<Message, TimerFired>;

// Actions
struct Reply {
  std::string text;
};
struct ScheduleTimer {
  TimerKind kind;
  TimePoint due;
  int wait;
};
struct CancelTimers {};
struct FlowAction {  // an action node: "create_case", "notify"...
  std::string name;
  std::map<std::string, Answer> results;
};
struct HumanRequested {};
struct ForgetMe {};  // "stop / forget me" confirmed: erase this person's conversation
struct Finished {};
using Action = std::variant<Reply, ScheduleTimer, CancelTimers, FlowAction, HumanRequested,
                            ForgetMe, Finished>;

class Engine {
 public:
  static constexpr int kFailuresBeforeHelp = 3;

  Engine(const Catalog& catalog, const Validators& validators, const TextFolder& folder)
      : catalog_(catalog), validators_(validators), folder_(folder) {}

  // A session that has not started yet, on this flow's version.
  static Session new_session(const Flow& flow);

  // flow must be the one the session names (id and version).
  std::vector<Action> step(const Flow& flow, Session& session, const Event& event,
                           TimePoint now) const;

  // The language a first message is written in, or "" when it is not clear.
  Language guess_language(std::string_view text) const;

 private:
  class Turn;
  const Catalog& catalog_;
  const Validators& validators_;
  const TextFolder& folder_;
};

}  // namespace gvo::flows
