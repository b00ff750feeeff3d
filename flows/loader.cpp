#include "flows/loader.hpp"

#include <algorithm>
#include <functional>
#include <set>

#include "bot/core/json_reader.hpp"
#include "flows/validators.hpp"

namespace gvo::flows {
namespace {

using core::Json;
using core::JsonReader;

const std::map<std::string, NodeKind>& node_kinds() {
  static const std::map<std::string, NodeKind> kKinds = {
      {"say", NodeKind::say}, {"ask", NodeKind::ask},       {"branch", NodeKind::branch},
      {"set", NodeKind::set}, {"action", NodeKind::action}, {"summary", NodeKind::summary},
      {"end", NodeKind::end}};
  return kKinds;
}

const std::map<std::string, AnswerKind>& answer_kinds() {
  static const std::map<std::string, AnswerKind> kKinds = {
      {"text", AnswerKind::text},     {"name", AnswerKind::name},
      {"date", AnswerKind::date},     {"nationality", AnswerKind::nationality},
      {"centre", AnswerKind::centre}, {"phone", AnswerKind::phone},
      {"yes_no", AnswerKind::yes_no}, {"choice", AnswerKind::choice},
      {"since", AnswerKind::since}};
  return kKinds;
}

bool is_identifier(const std::string& id) {
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::string names_of(const std::map<std::string, NodeKind>& kinds) {
  std::string text;
  for (const auto& [name, kind] : kinds) text += (text.empty() ? "" : ", ") + name;
  return text;
}

class FlowReader {
 public:
  FlowReader(JsonReader& reader, Flow& flow) : reader_(reader), flow_(flow) {}

  LocalText local_text(const Json& object, const std::string& path, const char* key,
                       bool required) {
    LocalText text;
    const auto it = object.find(key);
    const std::string here = path + "/" + key;
    if (it == object.end()) {
      if (required) reader_.problem(here, "missing (expected a text in each language)");
      return text;
    }
    if (!reader_.expect_object(*it, here)) return text;
    for (const auto& item : it->items()) {
      if (std::find(flow_.languages.begin(), flow_.languages.end(), item.key()) ==
          flow_.languages.end()) {
        reader_.problem(here + "/" + item.key(), "language not listed in /languages");
        continue;
      }
      if (!item.value().is_string() || item.value().get_ref<const std::string&>().empty()) {
        reader_.problem(here + "/" + item.key(), "expected a non-empty string");
        continue;
      }
      text[item.key()] = item.value().get<std::string>();
    }
    for (const Language& language : flow_.languages) {
      if (text.count(language) == 0 && !it->contains(language)) {
        reader_.problem(here + "/" + language, "missing translation");
      }
    }
    texts_.push_back({here, text});
    return text;
  }

  void answer(const Json& object, const std::string& path, AnswerSpec& spec) {
    const auto it = object.find("answer");
    if (it == object.end()) {
      reader_.problem(path + "/answer", "missing (expected {\"type\": ...})");
      return;
    }
    const std::string here = path + "/answer";
    if (!reader_.expect_object(*it, here)) return;
    reader_.reject_unknown_keys(*it, here,
                                {"type", "min_length", "max_length", "allow_future", "max_days_ago",
                                 "min_age_years", "choices", "confirm", "full_name"});
    std::string type;
    reader_.read_string(*it, here, "type", type, true);
    const auto kind = answer_kinds().find(type);
    if (!type.empty() && kind == answer_kinds().end()) {
      reader_.problem(here + "/type",
                      "expected one of: text, name, date, nationality, centre, "
                      "phone, yes_no, choice, since");
      return;
    }
    if (kind == answer_kinds().end()) return;
    spec.kind = kind->second;
    // A reading the validator is not sure of is always confirmed; "confirm": true confirms
    // every answer of this question.
    reader_.read_bool(*it, here, "confirm", spec.confirm);
    int min_length = static_cast<int>(spec.min_length);
    int max_length = static_cast<int>(spec.max_length);
    reader_.read_int(*it, here, "min_length", min_length, 1, 4000);
    reader_.read_int(*it, here, "max_length", max_length, 1, 4000);
    if (min_length > max_length) reader_.problem(here, "expected min_length <= max_length");
    spec.min_length = static_cast<std::size_t>(min_length);
    spec.max_length = static_cast<std::size_t>(max_length);
    reader_.read_bool(*it, here, "allow_future", spec.allow_future);
    reader_.read_int(*it, here, "max_days_ago", spec.max_days_ago, 0, 365 * 150);
    reader_.read_int(*it, here, "min_age_years", spec.min_age_years, 0, 150);
    const bool date_keys = it->contains("allow_future") || it->contains("max_days_ago") ||
                           it->contains("min_age_years");
    if (date_keys && spec.kind != AnswerKind::date) {
      reader_.problem(here,
                      "allow_future, max_days_ago and min_age_years are for answers of type date");
    }
    if (spec.min_age_years > 0 && spec.allow_future) {
      reader_.problem(here, "min_age_years and allow_future cannot go together");
    }
    reader_.read_bool(*it, here, "full_name", spec.full_name);
    if (it->contains("full_name") && spec.kind != AnswerKind::name)
      reader_.problem(here + "/full_name", "full_name is for answers of type name");
    const bool text_keys = it->contains("min_length") || it->contains("max_length");
    if (text_keys && spec.kind != AnswerKind::text) {
      reader_.problem(here, "min_length and max_length are for answers of type text");
    }
    if (spec.kind == AnswerKind::choice) {
      choices(*it, here, spec);
    } else if (it->contains("choices")) {
      reader_.problem(here + "/choices", "choices are for answers of type choice");
    }
  }

  void choices(const Json& answer, const std::string& path, AnswerSpec& spec) {
    const auto it = answer.find("choices");
    const std::string here = path + "/choices";
    if (it == answer.end() || !it->is_array() || it->size() < 2) {
      reader_.problem(here, "expected an array of at least two choices");
      return;
    }
    std::set<std::string> values;
    for (std::size_t i = 0; i < it->size(); ++i) {
      const std::string at = here + "/" + std::to_string(i);
      const Json& item = (*it)[i];
      if (!reader_.expect_object(item, at)) continue;
      reader_.reject_unknown_keys(item, at, {"value", "label", "keywords"});
      Choice choice;
      reader_.read_string(item, at, "value", choice.value, true);
      if (!choice.value.empty() && !values.insert(choice.value).second) {
        reader_.problem(at + "/value", "duplicate choice value '" + choice.value + "'");
      }
      choice.label = local_text(item, at, "label", true);
      if (const auto keywords = item.find("keywords");
          keywords != item.end() && reader_.expect_object(*keywords, at + "/keywords")) {
        for (const auto& language : keywords->items()) {
          reader_.read_string_list(*keywords, at + "/keywords", language.key().c_str(),
                                   choice.keywords[language.key()]);
        }
      }
      spec.choices.push_back(std::move(choice));
    }
  }

  std::optional<Takes> takes(const Json& object, const std::string& path) {
    const auto it = object.find("takes");
    if (it == object.end()) return std::nullopt;
    const std::string here = path + "/takes";
    if (!reader_.expect_object(*it, here)) return std::nullopt;
    reader_.reject_unknown_keys(*it, here, {"cues", "shared", "ask"});
    Takes takes;
    reader_.read_bool(*it, here, "shared", takes.shared);
    reader_.read_bool(*it, here, "ask", takes.ask);
    if (const auto cues = it->find("cues"); cues != it->end()) {
      if (!reader_.expect_object(*cues, here + "/cues")) return takes;
      for (const auto& language : cues->items()) {
        if (std::find(flow_.languages.begin(), flow_.languages.end(), language.key()) ==
            flow_.languages.end()) {
          reader_.problem(here + "/cues/" + language.key(), "language not listed in /languages");
          continue;
        }
        reader_.read_string_list(*cues, here + "/cues", language.key().c_str(),
                                 takes.cues[language.key()]);
      }
    }
    return takes;
  }

  // "absent": {"no": "yes", "unknown": "not_asked", "skip": "skip"}.
  void absent(const Json& object, const std::string& path, Node& node) {
    const auto it = object.find("absent");
    if (it == object.end()) return;
    const std::string here = path + "/absent";
    if (!reader_.expect_object(*it, here)) return;
    reader_.reject_unknown_keys(*it, here, {"no", "unknown", "skip"});
    for (const char* key : {"no", "unknown", "skip"}) {
      std::string value;
      reader_.read_string(*it, here, key, value);
      if (value.empty()) continue;
      // A centre answer has "unknown" of its own ("do you know where?" "no").
      const bool a_choice =
          std::any_of(node.answer.choices.begin(), node.answer.choices.end(),
                      [&](const Choice& choice) { return choice.value == value; }) ||
          (node.answer.kind == AnswerKind::centre && value == "unknown");
      if (value == "skip" ? !node.optional : !a_choice) {
        reader_.problem(here + "/" + key,
                        value == "skip" ? "skip is for optional questions"
                                        : "expected a choice's value or skip, got '" + value + "'");
        continue;
      }
      node.absent[key] = value;
    }
  }

  std::optional<Timer> timer(const Json& object, const std::string& path, const char* key,
                             bool is_timeout) {
    const auto it = object.find(key);
    if (it == object.end()) return std::nullopt;
    const std::string here = path + "/" + key;
    if (!reader_.expect_object(*it, here)) return std::nullopt;
    if (is_timeout) {
      reader_.reject_unknown_keys(*it, here, {"after_minutes", "text", "next"});
    } else {
      reader_.reject_unknown_keys(*it, here, {"after_minutes", "text"});
    }
    Timer timer;
    reader_.read_int(*it, here, "after_minutes", timer.after_minutes, 1, 60 * 24 * 60, true);
    timer.text = local_text(*it, here, "text", !is_timeout);
    if (is_timeout) reader_.read_string(*it, here, "next", timer.next);
    return timer;
  }

  void conditions(const Json& object, const std::string& path, Node& node) {
    const auto it = object.find("cases");
    const std::string here = path + "/cases";
    if (it == object.end() || !it->is_array() || it->empty()) {
      reader_.problem(here, "expected a non-empty array of {\"when\": ..., \"next\": ...}");
      return;
    }
    for (std::size_t i = 0; i < it->size(); ++i) {
      const std::string at = here + "/" + std::to_string(i);
      const Json& item = (*it)[i];
      if (!reader_.expect_object(item, at)) continue;
      reader_.reject_unknown_keys(item, at, {"when", "next"});
      BranchCase branch;
      reader_.read_string(item, at, "next", branch.next, true);
      const auto when = item.find("when");
      if (when == item.end() || !reader_.expect_object(*when, at + "/when")) {
        if (when == item.end())
          reader_.problem(at + "/when", "missing (expected {\"result\": ...})");
        continue;
      }
      reader_.reject_unknown_keys(*when, at + "/when", {"result", "any_of", "below", "not_latin"});
      reader_.read_bool(*when, at + "/when", "not_latin", branch.when.not_latin);
      reader_.read_string(*when, at + "/when", "result", branch.when.result, true);
      reader_.read_string_list(*when, at + "/when", "any_of", branch.when.any_of);
      if (const auto below = when->find("below"); below != when->end()) {
        if (below->is_number_integer()) {
          branch.when.below = below->get<long>();
        } else {
          reader_.problem(at + "/when/below", "expected a whole number");
        }
      }
      node.cases.push_back(std::move(branch));
    }
  }

  Node node(const std::string& id, const Json& object) {
    const std::string path = "/nodes/" + id;
    Node node;
    node.id = id;
    if (!is_identifier(id))
      reader_.problem(path, "expected a node id of lowercase letters, digits and _");
    if (!reader_.expect_object(object, path)) return node;
    std::string type;
    reader_.read_string(object, path, "type", type, true);
    const auto kind = node_kinds().find(type);
    if (kind == node_kinds().end()) {
      if (!type.empty()) {
        reader_.problem(path + "/type", "expected one of: " + names_of(node_kinds()));
      }
      untyped_ = true;
      return node;
    }
    node.kind = kind->second;
    switch (node.kind) {
      case NodeKind::say:
        reader_.reject_unknown_keys(object, path, {"type", "text", "next"});
        node.text = local_text(object, path, "text", true);
        reader_.read_string(object, path, "next", node.next, true);
        break;
      case NodeKind::ask:
        reader_.reject_unknown_keys(object, path,
                                    {"type", "text", "result", "label", "why", "answer", "optional",
                                     "reminder", "timeout", "takes", "absent", "next"});
        node.text = local_text(object, path, "text", true);
        node.label = local_text(object, path, "label", true);
        node.why = local_text(object, path, "why", true);
        reader_.read_string(object, path, "result", node.result, true);
        reader_.read_bool(object, path, "optional", node.optional);
        answer(object, path, node.answer);
        node.reminder = timer(object, path, "reminder", false);
        node.timeout = timer(object, path, "timeout", true);
        node.takes = takes(object, path);
        if (node.takes && !node.takes->ask && !node.optional) {
          reader_.problem(path + "/takes/ask", "a question that is never asked must be optional");
        }
        absent(object, path, node);
        reader_.read_string(object, path, "next", node.next, true);
        break;
      case NodeKind::branch:
        reader_.reject_unknown_keys(object, path, {"type", "cases", "otherwise"});
        conditions(object, path, node);
        reader_.read_string(object, path, "otherwise", node.otherwise, true);
        break;
      case NodeKind::set:
        reader_.reject_unknown_keys(object, path, {"type", "result", "value", "next"});
        reader_.read_string(object, path, "result", node.result, true);
        reader_.read_string(object, path, "value", node.value, true);
        reader_.read_string(object, path, "next", node.next, true);
        break;
      case NodeKind::action:
        reader_.reject_unknown_keys(object, path, {"type", "action", "next"});
        reader_.read_string(object, path, "action", node.action, true);
        reader_.read_string(object, path, "next", node.next, true);
        if (!node.action.empty() && !is_identifier(node.action)) {
          reader_.problem(path + "/action",
                          "expected an action name of lowercase letters, digits and _");
        }
        break;
      case NodeKind::summary:
        reader_.reject_unknown_keys(object, path, {"type", "text", "results", "next"});
        node.text = local_text(object, path, "text", true);
        reader_.read_string_list(object, path, "results", node.results);
        if (node.results.empty())
          reader_.problem(path + "/results", "expected the results to show");
        reader_.read_string(object, path, "next", node.next, true);
        break;
      case NodeKind::end:
        reader_.reject_unknown_keys(object, path, {"type", "text"});
        node.text = local_text(object, path, "text", false);
        break;
    }
    return node;
  }

  // A node without a known type hides where it leads: reachability cannot be judged then.
  bool has_untyped_nodes() const { return untyped_; }

  // Texts may show results: "{registered_name}". Checked once every result is known.
  void check_placeholders(const std::set<std::string>& results) {
    for (const auto& [path, text] : texts_) {
      for (const auto& [language, value] : text) {
        std::size_t open = value.find('{');
        while (open != std::string::npos) {
          const std::size_t close = value.find('}', open);
          if (close == std::string::npos) break;
          const std::string name = value.substr(open + 1, close - open - 1);
          if (is_identifier(name) && results.count(name) == 0) {
            reader_.problem(path + "/" + language, "unknown result '{" + name + "}'");
          }
          open = value.find('{', close);
        }
      }
    }
  }

 private:
  JsonReader& reader_;
  Flow& flow_;
  std::vector<std::pair<std::string, LocalText>> texts_;
  bool untyped_ = false;
};

std::vector<std::pair<std::string, std::string>> exits_of(const Node& node) {
  std::vector<std::pair<std::string, std::string>> exits;  // (json key, target)
  if (!node.next.empty()) exits.emplace_back("next", node.next);
  for (std::size_t i = 0; i < node.cases.size(); ++i) {
    exits.emplace_back("cases/" + std::to_string(i) + "/next", node.cases[i].next);
  }
  if (!node.otherwise.empty()) exits.emplace_back("otherwise", node.otherwise);
  if (node.timeout && !node.timeout->next.empty()) {
    exits.emplace_back("timeout/next", node.timeout->next);
  }
  return exits;
}

bool waits(NodeKind kind) {
  return kind == NodeKind::ask || kind == NodeKind::summary || kind == NodeKind::end;
}

void check_graph(JsonReader& reader, Flow& flow, bool check_reachability) {
  if (flow.nodes.count(flow.start) == 0) {
    if (!flow.start.empty()) reader.problem("/start", "unknown node '" + flow.start + "'");
    return;
  }
  for (const auto& [id, node] : flow.nodes) {
    for (const auto& [key, target] : exits_of(node)) {
      if (flow.nodes.count(target) == 0) {
        reader.problem("/nodes/" + id + "/" + key, "unknown node '" + target + "'");
      }
    }
  }
  // Reachability from the start.
  std::set<std::string> reached{flow.start};
  std::vector<std::string> pending{flow.start};
  while (!pending.empty()) {
    const Node& node = flow.nodes.at(pending.back());
    pending.pop_back();
    for (const auto& [key, target] : exits_of(node)) {
      if (flow.nodes.count(target) != 0 && reached.insert(target).second) pending.push_back(target);
    }
  }
  for (const auto& [id, node] : flow.nodes) {
    if (check_reachability && reached.count(id) == 0) {
      reader.problem("/nodes/" + id, "unreachable from /start");
    }
  }
  // A cycle through nodes that never wait would run for ever.
  std::map<std::string, int> state;  // 1: on the path, 2: done
  std::function<bool(const std::string&)> cycles = [&](const std::string& id) {
    const Node& node = flow.nodes.at(id);
    if (waits(node.kind)) return false;
    int& mark = state[id];
    if (mark == 1) return true;
    if (mark == 2) return false;
    mark = 1;
    for (const auto& [key, target] : exits_of(node)) {
      if (flow.nodes.count(target) != 0 && cycles(target)) {
        reader.problem("/nodes/" + id + "/" + key, "a loop that never waits for an answer");
        state[id] = 2;
        return false;  // one report a loop
      }
    }
    state[id] = 2;
    return false;
  };
  for (const auto& [id, node] : flow.nodes) cycles(id);
}

void check_results(JsonReader& reader, Flow& flow, std::set<std::string>& known) {
  std::set<std::string> set_results;
  for (const auto& [id, node] : flow.nodes) {
    const std::string path = "/nodes/" + id + "/result";
    if (node.kind == NodeKind::ask && !node.result.empty()) {
      if (!is_identifier(node.result))
        reader.problem(path, "expected lowercase letters, digits and _");
      if (!flow.ask_node_of_result.emplace(node.result, id).second) {
        reader.problem(path, "duplicate result name '" + node.result + "' (also asked by node '" +
                                 flow.ask_node_of_result[node.result] + "')");
      }
    }
    if (node.kind == NodeKind::set && !node.result.empty()) set_results.insert(node.result);
  }
  for (const auto& [id, node] : flow.nodes) {
    if (node.kind == NodeKind::set && flow.ask_node_of_result.count(node.result) != 0) {
      reader.problem("/nodes/" + id + "/result",
                     "duplicate result name '" + node.result + "' (an ask node's result)");
    }
  }
  for (const auto& [result, node] : flow.ask_node_of_result) {
    known.insert(result);
    // A centre's answer also gives its phone numbers to texts: "{centre_phone}".
    if (flow.nodes.at(node).answer.kind == AnswerKind::centre) known.insert(result + "_phone");
  }
  known.insert(set_results.begin(), set_results.end());
  for (const auto& [id, node] : flow.nodes) {
    for (std::size_t i = 0; i < node.cases.size(); ++i) {
      const std::string at = "/nodes/" + id + "/cases/" + std::to_string(i) + "/when";
      const std::string& result = node.cases[i].when.result;
      if (!result.empty() && known.count(result) == 0) {
        reader.problem(at + "/result", "unknown result '" + result + "'");
      }
      // Only a since answer stores a number to compare.
      if (node.cases[i].when.below) {
        const auto asked = flow.ask_node_of_result.find(result);
        if (asked == flow.ask_node_of_result.end() ||
            flow.nodes.at(asked->second).answer.kind != AnswerKind::since) {
          reader.problem(at + "/below", "below is for the result of a question of type since");
        }
      }
    }
    for (std::size_t i = 0; i < node.results.size(); ++i) {
      if (flow.ask_node_of_result.count(node.results[i]) == 0) {
        reader.problem("/nodes/" + id + "/results/" + std::to_string(i),
                       "unknown result '" + node.results[i] + "' (expected an ask node's result)");
      }
    }
  }
}

}  // namespace

Result<Flow> load_flow(std::string_view json_text, std::string_view source) {
  std::string why;
  const Json root = core::parse_json(json_text, why);
  if (root.is_discarded()) return core::fail(FlowErrc::syntax, std::string(source) + ": " + why);
  JsonReader reader(source);
  Flow flow;
  if (!reader.expect_object(root, "")) return core::fail(FlowErrc::invalid, reader.report());
  reader.reject_unknown_keys(
      root, "", {"format", "id", "version", "comment", "languages", "start", "provided", "nodes"});
  int format = 0;
  reader.read_int(root, "", "format", format, 1, 1000, true);
  if (format > Flow::kFormat) {
    reader.problem("/format", "format " + std::to_string(format) +
                                  " is newer than this gvo-bot reads (" +
                                  std::to_string(Flow::kFormat) + ")");
  }
  reader.read_string(root, "", "id", flow.id, true);
  if (!flow.id.empty() && !is_identifier(flow.id)) {
    reader.problem("/id", "expected lowercase letters, digits and _");
  }
  reader.read_int(root, "", "version", flow.version, 1, 1000000, true);
  reader.read_string_list(root, "", "languages", flow.languages);
  if (flow.languages.empty()) reader.problem("/languages", "expected at least one language");
  reader.read_string(root, "", "start", flow.start, true);
  reader.read_string_list(root, "", "provided", flow.provided);
  for (std::size_t i = 0; i < flow.provided.size(); ++i) {
    if (!is_identifier(flow.provided[i]))
      reader.problem("/provided/" + std::to_string(i), "expected lowercase letters, digits and _");
  }

  FlowReader nodes(reader, flow);
  const auto it = root.find("nodes");
  if (it == root.end() || !it->is_object() || it->empty()) {
    reader.problem("/nodes", "expected an object of nodes by id");
  } else {
    for (const auto& item : it->items())
      flow.nodes[item.key()] = nodes.node(item.key(), item.value());
  }
  std::set<std::string> results;
  check_results(reader, flow, results);
  for (const auto& name : flow.provided) {
    if (!results.insert(name).second)
      reader.problem("/provided", "'" + name + "' is also a result of the flow");
  }
  nodes.check_placeholders(results);
  check_graph(reader, flow, !nodes.has_untyped_nodes());
  if (reader.failed()) return core::fail(FlowErrc::invalid, reader.report());
  return flow;
}

Result<std::string> check_definition(std::string_view json_text, std::string_view source,
                                     const TextFolder& folder) {
  std::string why;
  const Json root = core::parse_json(json_text, why);
  if (root.is_discarded()) return core::fail(FlowErrc::syntax, std::string(source) + ": " + why);
  auto summary = [](auto loaded, auto describe) -> Result<std::string> {
    if (!loaded) return std::move(loaded).error();
    return describe(loaded.value());
  };
  auto joined = [](const std::vector<Language>& languages) {
    std::string text;
    for (const auto& language : languages) text += (text.empty() ? "" : " ") + language;
    return text;
  };
  if (root.is_object() && root.contains("nodes")) {
    return summary(load_flow(json_text, source), [&](const Flow& flow) {
      return "flow " + flow.id + " version " + std::to_string(flow.version) + ", " +
             std::to_string(flow.nodes.size()) + " nodes, languages " + joined(flow.languages);
    });
  }
  if (root.is_object() && root.contains("messages")) {
    return summary(load_catalog(json_text, source, folder), [&](const Catalog& catalog) {
      return "catalog of " + std::to_string(catalog.messages.size()) + " messages, languages " +
             joined(catalog.languages);
    });
  }
  if (root.is_object() && root.contains("centres")) {
    return summary(load_centres(json_text, source, folder), [](const CentreDirectory& directory) {
      return "directory of " + std::to_string(directory.centres.size()) + " centres";
    });
  }
  if (root.is_object() && root.contains("countries")) {
    return summary(load_nationalities(json_text, source, folder),
                   [](const NationalityWords& words) {
                     return "names of " + std::to_string(words.words.size()) + " nationalities";
                   });
  }
  if (root.is_object() && root.contains("absence")) {
    return summary(load_understanding(json_text, source, folder), [](const UnderstandingWords&) {
      return std::string("everyday words of the validators");
    });
  }
  return core::fail(FlowErrc::invalid,
                    std::string(source) +
                        ": /: expected a flow or data file (with nodes, messages, centres, "
                        "countries or absence)");
}

bool FlowLibrary::add(Flow flow) {
  auto key = std::make_pair(flow.id, flow.version);
  return flows_.emplace(std::move(key), std::move(flow)).second;
}

const Flow* FlowLibrary::find(const std::string& id, int version) const {
  const auto it = flows_.find({id, version});
  return it == flows_.end() ? nullptr : &it->second;
}

const Flow* FlowLibrary::latest(const std::string& id) const {
  const Flow* found = nullptr;
  for (const auto& [key, flow] : flows_) {
    if (key.first == id) found = &flow;  // ordered by version
  }
  return found;
}

}  // namespace gvo::flows
