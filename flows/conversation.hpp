// One person's conversation as the bot keeps it: the saved session (JSON) and a message in, the
// replies and the session to save out. A conversation goes on on the flow version it started on;
// a new one starts on the latest. Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "flows/engine.hpp"
#include "flows/loader.hpp"

namespace gvo::flows {

struct Reaction {
  std::optional<std::string> state;  // the session to save; nothing: erase what was saved
  std::vector<std::string> replies;
  std::vector<FlowAction> actions;  // create_case...: for the case service
  bool human_requested = false;
};

Reaction converse(const Engine& engine, const FlowLibrary& library, const std::string& flow_id,
                  const std::optional<std::string>& saved, std::string_view text, TimePoint now);

}  // namespace gvo::flows
