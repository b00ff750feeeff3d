#include "bot/core/config.hpp"

#include <algorithm>
#include <array>
#include <initializer_list>
#include <optional>
#include <utility>

#include <nlohmann/json.hpp>

namespace gvo::core {
namespace {

using Json = nlohmann::json;

constexpr std::array<std::pair<std::string_view, LogLevel>, 5> kLogLevels{{
    {"error", LogLevel::error},
    {"warning", LogLevel::warning},
    {"notice", LogLevel::notice},
    {"info", LogLevel::info},
    {"debug", LogLevel::debug},
}};

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

// Walks the JSON document and collects every problem with its path, so that one run of
// --check-config reports all of them instead of the first.
class ConfigReader {
 public:
  explicit ConfigReader(std::string_view source) : source_(source) {}

  void problem(const std::string& path, const std::string& what) {
    problems_.push_back(std::string(source_) + ": " + (path.empty() ? "/" : path) + ": " + what);
  }

  bool expect_object(const Json& value, const std::string& path) {
    if (value.is_object()) return true;
    problem(path, "expected an object, got " + std::string(json_kind(value)));
    return false;
  }

  void reject_unknown_keys(const Json& object, const std::string& path,
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

  // Reads a non-empty string into target when the key is present.
  void read_string(const Json& object, const std::string& path, const char* key,
                   std::string& target) {
    const auto it = object.find(key);
    if (it == object.end()) return;
    const std::string here = path + "/" + key;
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

  void read_bool(const Json& object, const std::string& path, const char* key, bool& target) {
    const auto it = object.find(key);
    if (it == object.end()) return;
    if (!it->is_boolean()) {
      problem(path + "/" + key, "expected true or false, got " + std::string(json_kind(*it)));
      return;
    }
    target = it->get<bool>();
  }

  void read_string_list(const Json& object, const std::string& path, const char* key,
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

  bool failed() const { return !problems_.empty(); }

  std::string report() const {
    std::string text;
    for (const auto& line : problems_) {
      if (!text.empty()) text += '\n';
      text += line;
    }
    return text;
  }

 private:
  std::string_view source_;
  std::vector<std::string> problems_;
};

void read_sealing(ConfigReader& reader, const Json& root, SealingConfig& sealing) {
  const auto it = root.find("sealing");
  if (it == root.end()) return;
  const std::string path = "/sealing";
  if (!reader.expect_object(*it, path)) return;
  reader.reject_unknown_keys(*it, path,
                             {"key_file", "credential", "retired_key_files", "create_key"});
  reader.read_string(*it, path, "key_file", sealing.key_file);
  reader.read_string(*it, path, "credential", sealing.credential);
  reader.read_string_list(*it, path, "retired_key_files", sealing.retired_key_files);
  reader.read_bool(*it, path, "create_key", sealing.create_key);
  if (it->contains("key_file") && it->contains("credential")) {
    reader.problem(path, "expected either key_file or credential, not both");
  }
  if (!sealing.credential.empty() && sealing.create_key) {
    reader.problem(path + "/create_key",
                   "expected false with a credential (systemd credentials are read-only)");
  }
  if (sealing.credential.find('/') != std::string::npos) {
    reader.problem(path + "/credential", "expected a credential name, not a path");
  }
}

void read_log(ConfigReader& reader, const Json& root, Config& config) {
  const auto it = root.find("log");
  if (it == root.end()) return;
  const std::string path = "/log";
  if (!reader.expect_object(*it, path)) return;
  reader.reject_unknown_keys(*it, path, {"level"});
  std::string level;
  reader.read_string(*it, path, "level", level);
  if (level.empty()) return;
  for (const auto& [name, value] : kLogLevels) {
    if (name == level) {
      config.log_level = value;
      return;
    }
  }
  reader.problem(path + "/level", "expected one of: error, warning, notice, info, debug");
}

std::optional<Json> parse_json(std::string_view text, std::string& why) {
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::parse_error& e) {
    // nlohmann's message starts with "[json.exception.parse_error.101] "; keep what follows.
    std::string message = e.what();
    const auto bracket = message.find("] ");
    why = bracket == std::string::npos ? message : message.substr(bracket + 2);
    return std::nullopt;
  }
}

}  // namespace

std::string_view to_string(LogLevel level) {
  for (const auto& [name, value] : kLogLevels) {
    if (value == level) return name;
  }
  return "info";
}

std::string_view to_string(ConfigErrc code) {
  switch (code) {
    case ConfigErrc::syntax:
      return "the configuration is not valid JSON";
    case ConfigErrc::invalid:
      return "the configuration has invalid settings";
  }
  return "configuration error";
}

Config embedded_defaults() {
  Config config;
  config.sealing.create_key = true;
  return config;
}

Result<Config, ConfigErrc> parse_config(std::string_view json_text, std::string_view source_name) {
  std::string why;
  const std::optional<Json> root = parse_json(json_text, why);
  if (!root) return fail(ConfigErrc::syntax, std::string(source_name) + ": " + why);

  ConfigReader reader(source_name);
  Config config;
  if (!reader.expect_object(*root, "")) return fail(ConfigErrc::invalid, reader.report());
  reader.reject_unknown_keys(*root, "", {"data_dir", "database", "sealing", "log"});
  reader.read_string(*root, "", "data_dir", config.data_dir);
  reader.read_string(*root, "", "database", config.database);
  read_sealing(reader, *root, config.sealing);
  read_log(reader, *root, config);
  if (reader.failed()) return fail(ConfigErrc::invalid, reader.report());
  return config;
}

std::string resolve_in_data_dir(const Config& config, const std::string& path) {
  if (!path.empty() && path.front() == '/') return path;
  std::string resolved = config.data_dir;
  if (!resolved.empty() && resolved.back() != '/') resolved += '/';
  return resolved + path;
}

}  // namespace gvo::core
