#include "flows/session.hpp"

#include <array>
#include <climits>
#include <cstdint>
#include <stdexcept>

#include "bot/core/json_reader.hpp"

namespace gvo::flows {
namespace {

using core::Json;

constexpr std::array<std::pair<SessionState, const char*>, 8> kStates{{
    {SessionState::fresh, "fresh"},
    {SessionState::choosing_language, "choosing_language"},
    {SessionState::answering, "answering"},
    {SessionState::confirming, "confirming"},
    {SessionState::reviewing, "reviewing"},
    {SessionState::picking_line, "picking_line"},
    {SessionState::confirming_stop, "confirming_stop"},
    {SessionState::finished, "finished"},
}};

std::optional<SessionState> state_named(const std::string& name) {
  for (const auto& [state, text] : kStates) {
    if (name == text) return state;
  }
  return std::nullopt;
}

Json answer_json(const Answer& answer) {
  Json json{{"value", answer.value},
            {"display", answer.display},
            {"raw", answer.raw},
            {"key", answer.key},
            {"skipped", answer.skipped}};
  // Written only when they say something, so that sessions saved before them read the same.
  if (!answer.certain) json["certain"] = false;
  if (!answer.aliases.empty()) json["aliases"] = answer.aliases;
  return json;
}

Answer answer_from(const Json& json) {
  Answer answer{json.at("value").get<std::string>(), json.at("display").get<std::string>(),
                json.at("raw").get<std::string>(), json.at("key").get<std::string>(),
                json.at("skipped").get<bool>()};
  if (json.contains("certain")) answer.certain = json.at("certain").get<bool>();
  if (json.contains("aliases")) answer.aliases = json.at("aliases").get<std::vector<std::string>>();
  return answer;
}

Json heard_json(const std::vector<Heard>& heard) {
  Json list = Json::array();
  for (const auto& message : heard) {
    Json used = Json::array();
    for (const auto& [begin, end] : message.used) used.push_back({begin, end});
    list.push_back({{"text", message.text}, {"used", used}});
  }
  return list;
}

// A damaged saved session: a value of the wrong kind or out of range.
struct Damaged : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A number read as an int only when it is one: a float, or an integer beyond int, is damage (a
// double converted to int out of range is undefined behaviour).
int int_at(const Json& json, const char* key) {
  const Json& value = json.at(key);
  if (!value.is_number_integer()) throw Damaged(std::string(key) + " is not an integer");
  if (value.is_number_unsigned()
          ? value.get<std::uint64_t>() > INT_MAX
          : value.get<std::int64_t>() < INT_MIN || value.get<std::int64_t>() > INT_MAX) {
    throw Damaged(std::string(key) + " is out of range");
  }
  return static_cast<int>(value.get<std::int64_t>());
}

}  // namespace

const char* to_string(SessionState state) {
  for (const auto& [value, text] : kStates) {
    if (value == state) return text;
  }
  return "fresh";
}

std::string to_json(const Session& session) {
  Json results = Json::object();
  for (const auto& [name, answer] : session.results) results[name] = answer_json(answer);
  Json json{{"format", 1},
            {"flow", session.flow_id},
            {"version", session.flow_version},
            {"language", session.language},
            {"state", to_string(session.state)},
            {"node", session.node},
            {"results", results},
            {"asked", session.asked},
            {"pending", session.pending ? answer_json(*session.pending) : Json()},
            {"failures", session.failures},
            {"wait", session.wait},
            {"return_to", session.return_to},
            {"before_stop", to_string(session.before_stop)}};
  if (!session.heard.empty()) json["heard"] = heard_json(session.heard);
  return json.dump();
}

Result<Session> session_from_json(std::string_view json_text) {
  std::string why;
  const Json json = core::parse_json(json_text, why);
  if (json.is_discarded()) return core::fail(FlowErrc::session, "saved session: " + why);
  // The saved form is ours; any mismatch means damage, reported as one error.
  try {
    if (int_at(json, "format") != 1) {
      return core::fail(FlowErrc::session, "saved session: unknown format");
    }
    Session session;
    session.flow_id = json.at("flow").get<std::string>();
    session.flow_version = int_at(json, "version");
    session.language = json.at("language").get<std::string>();
    const auto state = state_named(json.at("state").get<std::string>());
    const auto before_stop = state_named(json.at("before_stop").get<std::string>());
    if (!state || !before_stop)
      return core::fail(FlowErrc::session, "saved session: unknown state");
    session.state = *state;
    session.before_stop = *before_stop;
    session.node = json.at("node").get<std::string>();
    for (const auto& [name, answer] : json.at("results").items()) {
      session.results[name] = answer_from(answer);
    }
    session.asked = json.at("asked").get<std::vector<std::string>>();
    if (!json.at("pending").is_null()) session.pending = answer_from(json.at("pending"));
    session.failures = int_at(json, "failures");
    session.wait = int_at(json, "wait");
    session.return_to = json.at("return_to").get<std::string>();
    // Sessions saved before the engine kept what it heard have none.
    if (const auto heard = json.find("heard"); heard != json.end()) {
      for (const auto& message : *heard) {
        Heard restored{message.at("text").get<std::string>(), {}};
        for (const auto& span : message.at("used")) {
          const auto begin = span.at(0).get<std::size_t>();
          const auto end = span.at(1).get<std::size_t>();
          if (begin > end || end > restored.text.size())
            throw Damaged("a heard span is out of range");
          restored.used.emplace_back(begin, end);
        }
        session.heard.push_back(std::move(restored));
      }
    }
    return session;
  } catch (const Json::exception& e) {
    return core::fail(FlowErrc::session, std::string("saved session: ") + e.what());
  } catch (const Damaged& e) {
    return core::fail(FlowErrc::session, std::string("saved session: ") + e.what());
  }
}

}  // namespace gvo::flows
