// The bot's settings as a plain struct, parsed from JSON text and validated before anything starts.
// Pure: the caller reads the file; this turns its text into a Config or into every problem found.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bot/core/result.hpp"

namespace gvo::core {

enum class LogLevel { error, warning, notice, info, debug };

[[nodiscard]] std::string_view to_string(LogLevel level);

struct SealingConfig {
  // Where the 256-bit key that seals personal data comes from: a systemd credential by name (read
  // from $CREDENTIALS_DIRECTORY), or else a key file. Relative paths are below data_dir.
  std::string key_file = "sealing.key";
  std::string credential;
  // Keys that sealed older values: used to open them, never to seal.
  std::vector<std::string> retired_key_files;
  // Create a key when there is none and no database exists yet (never for an existing database).
  bool create_key = false;
};

struct RelayConfig {
  std::string host = "127.0.0.1";
  int port = 8787;
  std::string account = "gvo-bot";  // the bot's account at the relay; its secret is made and kept
                                    // (sealed) in the database on first run
  // wss://: on unless the host is a loopback one (plain ws:// is refused for any other host).
  bool tls = false;
  std::string ca_file;             // PEM; empty: the system's trust store. Relative: below data_dir
  std::string certificate_sha256;  // hex SHA-256 of the relay certificate's DER: accept only it
};

// Whether host names this machine only: 127.0.0.0/8, ::1 or localhost. Plain ws:// is allowed
// there and nowhere else.
[[nodiscard]] bool is_loopback_host(std::string_view host);

// A certificate pin as people copy it (64 hex digits, either case, colons or spaces between
// them): the 32 bytes, or nothing when it is not one.
[[nodiscard]] std::optional<std::vector<std::uint8_t>> parse_certificate_sha256(
    std::string_view text);

// signal-cli's JSON-RPC daemon (deploy/signal-cli.service): where it listens, and what the bot
// sets through it.
struct SignalCliConfig {
  std::string socket;  // a UNIX socket, or host and port (TCP)
  std::string host;
  int port = 0;
  std::string account;  // for a multi-account daemon; "" with `signal-cli -a NUMBER daemon`
  std::string profile_name = "Getting the Voice Out";
  int host_expiration_seconds = 0;  // disappearing messages for hosts (0: off)
  bool typing_indicators = true;    // "typing..." between the parts of a long answer
  // signal-cli's --receive-mode: "manual" (gvo-bot subscribes on each connection, so that no
  // other connection, such as `gvo-bot captcha`, is handed messages) or "on-connection".
  bool subscribe = true;
};

enum class TransportKind { relay, signal_cli };

enum class ReplyMode {
  flow,  // people talk with the flow
  echo,  // every message comes back as it was: a check of the path end to end
};

// How long what people wrote is kept once nothing more happens (DESIGN §8): conversations that
// never became a case, and cases released, deported or closed. Only counts remain after.
struct RetentionConfig {
  int conversation_days = 30;
  int closed_case_days = 180;
  // How long the bot remembers that a message was taken in (sender and timestamp, to take a
  // redelivered one only once): redeliveries come within minutes, hours at worst.
  int seen_days = 7;
};

// The desk's limits on what reaches it (bot/cases/rate_limit.hpp), in messages a minute and
// messages in a burst. Unset: that limit's default there. A relay or a server with many hosts at
// once may need more than the defaults (a whole intake is some 40 messages from one host).
struct FloodConfig {
  std::optional<int> host_per_minute;
  std::optional<int> host_burst;
  std::optional<int> staff_per_minute;
  std::optional<int> staff_burst;
  std::optional<int> all_hosts_per_minute;
  std::optional<int> all_hosts_burst;
};

struct Config {
  std::string data_dir = "gvo-data";
  std::string database = "gvo-bot.db";  // relative paths are below data_dir
  SealingConfig sealing;
  LogLevel log_level = LogLevel::info;
  TransportKind transport = TransportKind::relay;
  RelayConfig relay;
  SignalCliConfig signal_cli;
  ReplyMode replies = ReplyMode::flow;
  // Where the flows and their data are; by default this build's own flows/defs.
  std::string flows_dir = GVO_DEFAULT_FLOWS_DIR;
  std::string flow = "intake";  // the flow new conversations start on
  RetentionConfig retention;
  FloodConfig flood;
  // For tests only: the bot's clock starts at this UTC time ("2026-03-16T10:00:00Z") and runs
  // from there; deadlines and reminders then fall on known days. Empty: the system clock.
  std::string test_clock_start;
};

// What gvo-bot runs with when no --config is given: a local folder, a key made on first run.
[[nodiscard]] Config embedded_defaults();

enum class ConfigErrc {
  syntax,   // not JSON
  invalid,  // JSON, but a key is unknown, of the wrong type or out of range
};

[[nodiscard]] std::string_view to_string(ConfigErrc code);

// On failure the detail holds one line per problem: "<source>: <json path>: <what was expected>".
[[nodiscard]] Result<Config, ConfigErrc> parse_config(std::string_view json_text,
                                                      std::string_view source_name);

// A path in the config resolved against data_dir (absolute paths are kept as they are).
[[nodiscard]] std::string resolve_in_data_dir(const Config& config, const std::string& path);

}  // namespace gvo::core
