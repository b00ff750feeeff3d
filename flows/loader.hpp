// Loads a flow from JSON and checks it whole: every problem is reported with the file, the JSON
// path and what was expected (unknown node references, unreachable nodes, loops that never wait,
// missing translations, invalid answer types, duplicate result names). Pure.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "flows/catalog.hpp"
#include "flows/flow.hpp"
#include "flows/text.hpp"

namespace gvo::flows {

// On failure the detail holds one problem per line: "<source>: <path>: <what was expected>".
Result<Flow> load_flow(std::string_view json_text, std::string_view source);

// Checks any definition file by what it holds: a flow ("nodes"), the catalog ("messages"), the
// centre directory ("centres") or the nationalities ("countries"). Returns a one-line summary.
Result<std::string> check_definition(std::string_view json_text, std::string_view source,
                                     const TextFolder& folder);

// Every version of every flow the bot knows. A session stays on the version it started on; new
// sessions start on the latest.
class FlowLibrary {
 public:
  // Refuses a second flow with the same id and version.
  bool add(Flow flow);
  const Flow* find(const std::string& id, int version) const;
  const Flow* latest(const std::string& id) const;
  std::size_t size() const { return flows_.size(); }

 private:
  std::map<std::pair<std::string, int>, Flow> flows_;
};

}  // namespace gvo::flows
