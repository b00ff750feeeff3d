#include "flows/conversation.hpp"

namespace gvo::flows {

Reaction converse(const Engine& engine, const FlowLibrary& library, const std::string& flow_id,
                  const std::optional<std::string>& saved, std::string_view text, TimePoint now) {
  Reaction reaction;
  // A saved session goes on unless it finished, cannot be read, or its version is gone.
  std::optional<Session> session;
  if (saved) {
    if (auto restored = session_from_json(*saved);
        restored && restored->state != SessionState::finished &&
        library.find(restored->flow_id, restored->flow_version) != nullptr) {
      session = std::move(restored).value();
    }
  }
  const Flow* flow =
      session ? library.find(session->flow_id, session->flow_version) : library.latest(flow_id);
  if (flow == nullptr) return reaction;  // no such flow loaded: the bot checks at start-up
  if (!session) session = Engine::new_session(*flow);

  bool forget = false;
  for (auto& action : engine.step(*flow, *session, Message{std::string(text)}, now)) {
    if (auto* reply = std::get_if<Reply>(&action)) {
      reaction.replies.push_back(std::move(reply->text));
    } else if (auto* emitted = std::get_if<FlowAction>(&action)) {
      reaction.actions.push_back(std::move(*emitted));
    } else if (std::holds_alternative<HumanRequested>(action)) {
      reaction.human_requested = true;
    } else if (std::holds_alternative<ForgetMe>(action)) {
      forget = true;
    }
  }
  if (!forget) reaction.state = to_json(*session);
  return reaction;
}

}  // namespace gvo::flows
