#include "bot/core/json_reader.hpp"

#include <algorithm>

namespace gvo::core {

std::string_view json_kind(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::object:
      return "an object";
    case Json::value_t::array:
      return "an array";
    case Json::value_t::string:
      return "a string";
    case Json::value_t::boolean:
      return "a boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float:
      return "a number";
    default:
      return "a value of another kind";
  }
}

Json parse_json(std::string_view text, std::string& why) {
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::exception& e) {
    // A syntax error, or a number out of range ("1e99999"). nlohmann's message starts with
    // "[json.exception.parse_error.101] "; keep what follows.
    std::string message = e.what();
    const auto bracket = message.find("] ");
    why = bracket == std::string::npos ? message : message.substr(bracket + 2);
    return Json(Json::value_t::discarded);
  }
}

void JsonReader::problem(const std::string& path, const std::string& what) {
  problems_.push_back(source_ + ": " + (path.empty() ? "/" : path) + ": " + what);
}

bool JsonReader::expect_object(const Json& value, const std::string& path) {
  if (value.is_object()) return true;
  problem(path, "expected an object, got " + std::string(json_kind(value)));
  return false;
}

void JsonReader::reject_unknown_keys(const Json& object, const std::string& path,
                                     std::initializer_list<std::string_view> known) {
  for (const auto& item : object.items()) {
    if (std::find(known.begin(), known.end(), item.key()) != known.end()) continue;
    std::string expected;
    for (std::string_view key : known) {
      if (!expected.empty()) expected += ", ";
      expected += key;
    }
    problem(path + "/" + item.key(), "unknown key (expected one of: " + expected + ")");
  }
}

void JsonReader::read_string(const Json& object, const std::string& path, const char* key,
                             std::string& target, bool required) {
  const std::string here = path + "/" + key;
  const auto it = object.find(key);
  if (it == object.end()) {
    if (required) problem(here, "missing (expected a string)");
    return;
  }
  if (!it->is_string()) {
    problem(here, "expected a string, got " + std::string(json_kind(*it)));
    return;
  }
  auto text = it->get<std::string>();
  if (text.empty()) {
    problem(here, "expected a non-empty string");
    return;
  }
  target = std::move(text);
}

void JsonReader::read_bool(const Json& object, const std::string& path, const char* key,
                           bool& target) {
  const auto it = object.find(key);
  if (it == object.end()) return;
  if (!it->is_boolean()) {
    problem(path + "/" + key, "expected true or false, got " + std::string(json_kind(*it)));
    return;
  }
  target = it->get<bool>();
}

void JsonReader::read_int(const Json& object, const std::string& path, const char* key, int& target,
                          int min, int max, bool required) {
  const std::string here = path + "/" + key;
  const auto it = object.find(key);
  if (it == object.end()) {
    if (required) problem(here, "missing (expected a whole number)");
    return;
  }
  const std::string range = " from " + std::to_string(min) + " to " + std::to_string(max);
  if (!it->is_number_integer()) {
    problem(here, "expected a whole number" + range + ", got " + std::string(json_kind(*it)));
    return;
  }
  const auto value = it->get<long long>();
  if (value < min || value > max) {
    problem(here, "expected a whole number" + range + ", got " + std::to_string(value));
    return;
  }
  target = static_cast<int>(value);
}

void JsonReader::read_string_list(const Json& object, const std::string& path, const char* key,
                                  std::vector<std::string>& target) {
  const auto it = object.find(key);
  if (it == object.end()) return;
  const std::string here = path + "/" + key;
  if (!it->is_array()) {
    problem(here, "expected an array of strings, got " + std::string(json_kind(*it)));
    return;
  }
  std::vector<std::string> values;
  for (std::size_t i = 0; i < it->size(); ++i) {
    const Json& element = (*it)[i];
    if (!element.is_string() || element.get_ref<const std::string&>().empty()) {
      problem(here + "/" + std::to_string(i), "expected a non-empty string");
      continue;
    }
    values.push_back(element.get<std::string>());
  }
  target = std::move(values);
}

std::string JsonReader::report() const {
  std::string text;
  for (const auto& line : problems_) {
    if (!text.empty()) text += '\n';
    text += line;
  }
  return text;
}

}  // namespace gvo::core
