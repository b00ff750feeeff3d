// Reads settings out of a JSON document and collects every problem with its JSON path and what
// was expected, so that one check reports all of them. Used by the config parser and the flow
// loader. Pure; include it from .cpp files only (it brings nlohmann/json).
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace gvo::core {

using Json = nlohmann::json;

class JsonReader {
 public:
  explicit JsonReader(std::string_view source) : source_(source) {}

  // Problems read "<source>: <path>: <what>"; the root's path is "/".
  void problem(const std::string& path, const std::string& what);

  bool expect_object(const Json& value, const std::string& path);
  void reject_unknown_keys(const Json& object, const std::string& path,
                           std::initializer_list<std::string_view> known);

  // Each reads object[key] into target when present; required ones report a missing key.
  void read_string(const Json& object, const std::string& path, const char* key,
                   std::string& target, bool required = false);
  void read_bool(const Json& object, const std::string& path, const char* key, bool& target);
  void read_int(const Json& object, const std::string& path, const char* key, int& target, int min,
                int max, bool required = false);
  void read_string_list(const Json& object, const std::string& path, const char* key,
                        std::vector<std::string>& target);

  bool failed() const { return !problems_.empty(); }
  const std::vector<std::string>& problems() const { return problems_; }
  std::string report() const;  // one problem a line

 private:
  std::string source_;
  std::vector<std::string> problems_;
};

// "an object", "a string", "a number"...: for "expected X, got Y" messages.
std::string_view json_kind(const Json& value);

// Parses text; on failure returns discarded JSON and puts the parser's reason (with line and
// column) in why.
Json parse_json(std::string_view text, std::string& why);

}  // namespace gvo::core
