// gvo-chat's command line: what to connect to, how to trust it, what to do. Pure.
#pragma once

#include <string>
#include <vector>

namespace gvo::chat {

inline constexpr int kExitUsage = 64;
inline constexpr int kExitConfig = 78;

struct Options {
  std::string host = "127.0.0.1";
  unsigned short port = 8787;
  bool tls = false;  // decided by parse_options: ws:// or wss://, --tls, or by the host
  std::string ca_file;
  std::string certificate_sha256;
  std::string to = "gvo-bot";
  std::string data_dir = "gvo-chat-data";
  std::string account;     // first run: this name instead of a random one
  std::string claim;       // the one-time code of an account the relay's admin provisioned
  std::string enrol;       // sent as "enrol CODE" before anything else
  std::string expect_bot;  // the fingerprint the bot's identity key must have
  bool fingerprint = false;
  bool bot_fingerprint = false;
  bool verbose = false;
  std::string script;
  int timeout_s = 20;
  int idle_timeout_s = 20;
};

struct Parsed {
  int exit_status = -1;  // -1: go on with options; otherwise exit with it (after help, say)
  std::string output;    // for stdout (help, version)
  std::string error;     // for stderr
  Options options;
};

[[nodiscard]] Parsed parse_options(const std::vector<std::string>& args);

}  // namespace gvo::chat
