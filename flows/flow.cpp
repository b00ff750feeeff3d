#include "flows/flow.hpp"

namespace gvo::flows {

const Node* Flow::node(const std::string& node_id) const {
  const auto it = nodes.find(node_id);
  return it == nodes.end() ? nullptr : &it->second;
}

const char* to_string(AnswerKind kind) {
  switch (kind) {
    case AnswerKind::text:
      return "text";
    case AnswerKind::name:
      return "name";
    case AnswerKind::date:
      return "date";
    case AnswerKind::nationality:
      return "nationality";
    case AnswerKind::centre:
      return "centre";
    case AnswerKind::phone:
      return "phone";
    case AnswerKind::yes_no:
      return "yes_no";
    case AnswerKind::choice:
      return "choice";
    case AnswerKind::since:
      return "since";
  }
  return "text";
}

const char* to_string(NodeKind kind) {
  switch (kind) {
    case NodeKind::say:
      return "say";
    case NodeKind::ask:
      return "ask";
    case NodeKind::branch:
      return "branch";
    case NodeKind::set:
      return "set";
    case NodeKind::action:
      return "action";
    case NodeKind::summary:
      return "summary";
    case NodeKind::end:
      return "end";
  }
  return "say";
}

}  // namespace gvo::flows
