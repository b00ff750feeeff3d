// The local Signal network of the signal_cli_real tests, as child processes: Signal's mock server
// (network.js, on 127.0.0.1 ports the system picks), the real signal-cli 0.13.19 linked to the
// bot's mock account as a second device (as a bot's number is linked to a phone), and its daemon
// on a UNIX socket as deploy/signal-cli.service runs it (--receive-mode manual). The mock users
// write to the bot and read what they decrypted of its answers through network.js's control
// port. What prepare.sh set up (ready.env in the build folder) says where everything is; without
// it the tests are skipped.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace gvo::test::real {

// ready.env of prepare.sh: JAVA_HOME, SIGNAL_CLI_CLASSPATH, MOCK_CERTS, MOCK_TRUSTSTORE,
// NODE_PATH, NETWORK_JS. Nothing when the tests cannot run here (no Java >= 21).
std::optional<std::map<std::string, std::string>> prepared(const std::string& build_dir);

class LocalNetwork {
 public:
  // Starts the mock server with these users (and "bot", the phone of the bot's account), links
  // signal-cli to the bot's account and starts its daemon. Throws std::runtime_error saying what
  // did not come up, with the logs.
  LocalNetwork(std::map<std::string, std::string> prepared, const std::vector<std::string>& users);
  LocalNetwork(const LocalNetwork&) = delete;
  LocalNetwork& operator=(const LocalNetwork&) = delete;
  ~LocalNetwork();

  const std::string& socket_path() const { return socket_; }
  const std::string& bot_number() const { return bot_number_; }
  std::string aci(const std::string& user) const;

  // signal-cli's daemon: killed with SIGKILL (its socket file stays, as after a crash), stopped
  // with SIGTERM, started again (clearing a stale socket first, as the unit's ExecStartPre does).
  void kill_daemon();
  void stop_daemon();
  void start_daemon();
  bool daemon_running() const;
  std::string daemon_log() const;
  // What the mock server logged (network.js: each user's failures to send or decrypt).
  std::string network_log() const;

  // A user writes to the bot (queued in order; delivered once signal-cli receives).
  void send(const std::string& from, const std::string& text);
  // Something else than words, as a Signal app sends it (network.js /send?kind=): voice_note,
  // picture, file, view_once, sticker, reaction, deletion, edit, call; text a caption.
  void send_other(const std::string& from, const std::string& kind, const std::string& text = "");
  // What user received and decrypted, from the since-th message on, waiting up to wait for one.
  std::vector<std::string> inbox(const std::string& user, std::size_t since,
                                 std::chrono::milliseconds wait);
  // Sends to user that reached the server (refused ones included).
  int sends_to(const std::string& user);
  // The control port's /fault with this query ("captcha=host", "http429=off"...).
  void fault(const std::string& query);
  nlohmann::json control(const std::string& path_and_query,
                         std::chrono::seconds timeout = std::chrono::seconds(120));

  // How long each step of the start took (for the report).
  std::chrono::milliseconds started_in{0};
  std::chrono::milliseconds linked_in{0};

 private:
  std::vector<std::string> java_args(const std::vector<std::string>& args) const;

  std::map<std::string, std::string> prepared_;
  TempDir dir_;
  std::string socket_;
  std::string config_dir_;
  std::unique_ptr<ChildProcess> mock_;
  std::unique_ptr<ChildProcess> daemon_;
  unsigned short signal_port_ = 0;
  unsigned short control_port_ = 0;
  std::string bot_number_;
  nlohmann::json users_;
};

// Percent-encoding of a query value.
std::string url_encoded(const std::string& text);

}  // namespace gvo::test::real
