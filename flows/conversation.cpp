#include "flows/conversation.hpp"

namespace gvo::flows {

// A saved session goes on unless it finished, cannot be read, or its version is gone.
std::optional<Session> going_on(const FlowLibrary& library,
                                const std::optional<std::string>& saved) {
  if (!saved) return std::nullopt;
  auto restored = session_from_json(*saved);
  if (!restored || restored->state == SessionState::finished ||
      library.find(restored->flow_id, restored->flow_version) == nullptr) {
    return std::nullopt;
  }
  return std::move(restored).value();
}

Reaction converse(const Engine& engine, const FlowLibrary& library, const std::string& flow_id,
                  std::optional<Session> session, const Event& event, TimePoint now,
                  const Language& known_language) {
  Reaction reaction;
  if (!session && std::holds_alternative<TimerFired>(event)) return reaction;
  const Flow* flow =
      session ? library.find(session->flow_id, session->flow_version) : library.latest(flow_id);
  if (flow == nullptr) return reaction;  // no such flow loaded: the bot checks at start-up
  if (!session) {
    session = Engine::new_session(*flow);
    session->language = known_language;
  }

  bool forget = false;
  for (auto& action : engine.step(*flow, *session, event, now)) {
    if (auto* reply = std::get_if<Reply>(&action)) {
      reaction.replies.push_back(std::move(reply->text));
    } else if (auto* emitted = std::get_if<FlowAction>(&action)) {
      reaction.actions.push_back(std::move(*emitted));
    } else if (auto* timer = std::get_if<ScheduleTimer>(&action)) {
      reaction.timers.push_back(*timer);
    } else if (std::holds_alternative<CancelTimers>(action)) {
      reaction.cancel_timers = true;
      reaction.timers.clear();
    } else if (std::holds_alternative<HumanRequested>(action)) {
      reaction.human_requested = true;
    } else if (std::holds_alternative<ForgetMe>(action)) {
      forget = true;
    } else if (std::holds_alternative<Finished>(action)) {
      reaction.finished = true;
    }
  }
  reaction.forget = forget;
  if (!forget) reaction.state = to_json(*session);
  reaction.language = session->language;
  return reaction;
}

}  // namespace gvo::flows
