#include "bot/core/config.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <utility>

#include "bot/core/json_reader.hpp"

namespace gvo::core {
namespace {

constexpr std::array<std::pair<std::string_view, LogLevel>, 5> kLogLevels{{
    {"error", LogLevel::error},
    {"warning", LogLevel::warning},
    {"notice", LogLevel::notice},
    {"info", LogLevel::info},
    {"debug", LogLevel::debug},
}};

void read_sealing(JsonReader& reader, const Json& root, SealingConfig& sealing) {
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

// relay: where the relay is and how the bot proves it talks with it (TLS unless on loopback).
void read_relay(JsonReader& reader, const Json& root, RelayConfig& relay) {
  const std::string path = "/relay";
  const auto it = root.find("relay");
  if (it != root.end() && reader.expect_object(*it, path)) {
    reader.reject_unknown_keys(*it, path,
                               {"host", "port", "account", "tls", "ca_file", "certificate_sha256"});
    reader.read_string(*it, path, "host", relay.host);
    reader.read_int(*it, path, "port", relay.port, 1, 65535);
    reader.read_string(*it, path, "account", relay.account);
    reader.read_string(*it, path, "ca_file", relay.ca_file);
    reader.read_string(*it, path, "certificate_sha256", relay.certificate_sha256);
  }
  const bool pinned_or_ca = !relay.ca_file.empty() || !relay.certificate_sha256.empty();
  relay.tls = pinned_or_ca || !is_loopback_host(relay.host);
  if (it == root.end() || !it->is_object() || !it->contains("tls")) return;
  reader.read_bool(*it, path, "tls", relay.tls);
  if (!relay.tls && pinned_or_ca) {
    reader.problem(path + "/tls", "expected true with ca_file or certificate_sha256");
  } else if (!relay.tls && !is_loopback_host(relay.host)) {
    reader.problem(path + "/tls",
                   "expected true: plain ws:// is for a relay on this machine only (127.0.0.0/8, "
                   "::1, localhost); anyone on the way to " +
                       relay.host + " would read the bot's login");
  }
}

void read_log(JsonReader& reader, const Json& root, Config& config) {
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

}  // namespace

bool is_loopback_host(std::string_view host) {
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host == "::1" || host == "0:0:0:0:0:0:0:1") return true;
  std::string lower;
  for (const char c : host) lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (lower == "localhost" || lower == "localhost.") return true;
  // 127.a.b.c, each part a decimal number 0-255 without leading zeros (inet_aton's octal and
  // short forms are not taken: what is allowed must be plain to read).
  int parts = 0;
  std::size_t start = 0;
  while (start <= host.size()) {
    const std::size_t end = std::min(host.find('.', start), host.size());
    const std::string_view part = host.substr(start, end - start);
    if (part.empty() || part.size() > 3 || (part.size() > 1 && part.front() == '0') ||
        part.find_first_not_of("0123456789") != std::string_view::npos) {
      return false;
    }
    int value = 0;
    for (const char digit : part) value = value * 10 + (digit - '0');
    if (value > 255 || (parts == 0 && value != 127)) return false;
    ++parts;
    start = end + 1;
  }
  return parts == 4;
}

std::optional<std::vector<std::uint8_t>> parse_certificate_sha256(std::string_view text) {
  std::vector<std::uint8_t> bytes;
  int high = -1;
  for (const char c : text) {
    if (c == ':' || c == ' ') continue;
    int digit = -1;
    if (c >= '0' && c <= '9') digit = c - '0';
    if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
    if (c >= 'A' && c <= 'F') digit = c - 'A' + 10;
    if (digit < 0) return std::nullopt;
    if (high < 0) {
      high = digit;
      continue;
    }
    bytes.push_back(static_cast<std::uint8_t>(high * 16 + digit));
    high = -1;
  }
  if (high >= 0 || bytes.size() != 32) return std::nullopt;
  return bytes;
}

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

namespace {

void read_flood(JsonReader& reader, const Json& parsed, FloodConfig& flood) {
  const auto section = parsed.find("flood");
  if (section == parsed.end() || !reader.expect_object(*section, "/flood")) return;
  const std::string path = "/flood";
  reader.reject_unknown_keys(*section, path,
                             {"host_per_minute", "host_burst", "staff_per_minute", "staff_burst",
                              "all_hosts_per_minute", "all_hosts_burst"});
  const auto read = [&](const char* key, std::optional<int>& target) {
    if (section->find(key) == section->end()) return;
    int value = 0;
    reader.read_int(*section, path, key, value, 1, 1000000);
    target = value;
  };
  read("host_per_minute", flood.host_per_minute);
  read("host_burst", flood.host_burst);
  read("staff_per_minute", flood.staff_per_minute);
  read("staff_burst", flood.staff_burst);
  read("all_hosts_per_minute", flood.all_hosts_per_minute);
  read("all_hosts_burst", flood.all_hosts_burst);
}

}  // namespace

Result<Config, ConfigErrc> parse_config(std::string_view json_text, std::string_view source_name) {
  std::string why;
  const Json parsed = parse_json(json_text, why);
  if (parsed.is_discarded()) return fail(ConfigErrc::syntax, std::string(source_name) + ": " + why);

  JsonReader reader(source_name);
  Config config;
  if (!reader.expect_object(parsed, "")) return fail(ConfigErrc::invalid, reader.report());
  reader.reject_unknown_keys(
      parsed, "",
      {"data_dir", "database", "sealing", "log", "relay", "replies", "flows_dir", "flow",
       "retention", "flood", "test_clock_start", "transport", "signal_cli"});
  reader.read_string(parsed, "", "data_dir", config.data_dir);
  reader.read_string(parsed, "", "database", config.database);
  reader.read_string(parsed, "", "flows_dir", config.flows_dir);
  reader.read_string(parsed, "", "flow", config.flow);
  std::string replies;
  reader.read_string(parsed, "", "replies", replies);
  if (replies == "echo") {
    config.replies = ReplyMode::echo;
  } else if (!replies.empty() && replies != "flow") {
    reader.problem("/replies", "expected flow or echo");
  }
  read_relay(reader, parsed, config.relay);
  if (!config.relay.certificate_sha256.empty() &&
      !parse_certificate_sha256(config.relay.certificate_sha256)) {
    reader.problem("/relay/certificate_sha256",
                   "expected 64 hex digits (SHA-256 of the certificate's DER; colons and spaces "
                   "allowed), as `openssl x509 -noout -fingerprint -sha256` prints them");
  }
  std::string transport;
  reader.read_string(parsed, "", "transport", transport);
  if (transport == "signal-cli") {
    config.transport = TransportKind::signal_cli;
  } else if (!transport.empty() && transport != "relay") {
    reader.problem("/transport", "expected relay or signal-cli");
  }
  if (const auto cli = parsed.find("signal_cli");
      cli != parsed.end() && reader.expect_object(*cli, "/signal_cli")) {
    const std::string path = "/signal_cli";
    reader.reject_unknown_keys(*cli, path,
                               {"socket", "host", "port", "account", "profile_name",
                                "host_expiration_seconds", "typing_indicators", "receive_mode"});
    reader.read_string(*cli, path, "socket", config.signal_cli.socket);
    reader.read_string(*cli, path, "host", config.signal_cli.host);
    reader.read_int(*cli, path, "port", config.signal_cli.port, 1, 65535);
    reader.read_string(*cli, path, "account", config.signal_cli.account);
    reader.read_string(*cli, path, "profile_name", config.signal_cli.profile_name);
    reader.read_int(*cli, path, "host_expiration_seconds",
                    config.signal_cli.host_expiration_seconds, 0, 365 * 24 * 3600);
    reader.read_bool(*cli, path, "typing_indicators", config.signal_cli.typing_indicators);
    std::string receive_mode = "manual";
    reader.read_string(*cli, path, "receive_mode", receive_mode);
    if (receive_mode == "on-connection") {
      config.signal_cli.subscribe = false;
    } else if (receive_mode != "manual") {
      reader.problem(path + "/receive_mode",
                     "expected manual or on-connection (signal-cli's --receive-mode)");
    }
  }
  if (config.transport == TransportKind::signal_cli &&
      config.signal_cli.socket.empty() ==
          (config.signal_cli.host.empty() || config.signal_cli.port == 0)) {
    reader.problem("/signal_cli", "expected either socket, or host and port");
  }
  read_sealing(reader, parsed, config.sealing);
  read_log(reader, parsed, config);
  if (const auto retention = parsed.find("retention");
      retention != parsed.end() && reader.expect_object(*retention, "/retention")) {
    reader.reject_unknown_keys(*retention, "/retention",
                               {"conversation_days", "closed_case_days", "seen_days"});
    reader.read_int(*retention, "/retention", "conversation_days",
                    config.retention.conversation_days, 1, 3650);
    reader.read_int(*retention, "/retention", "seen_days", config.retention.seen_days, 1, 365);
    reader.read_int(*retention, "/retention", "closed_case_days", config.retention.closed_case_days,
                    1, 3650);
  }
  read_flood(reader, parsed, config.flood);
  reader.read_string(parsed, "", "test_clock_start", config.test_clock_start);
  if (!config.test_clock_start.empty()) {
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    char zone = 0;
    if (std::sscanf(config.test_clock_start.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &year, &month,
                    &day, &hour, &minute, &second, &zone) != 7 ||
        zone != 'Z' || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 ||
        second > 59) {
      reader.problem("/test_clock_start", "expected a UTC time like 2026-03-16T10:00:00Z");
    }
  }
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
