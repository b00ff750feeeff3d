// The real processes of the relay path for the campaign harnesses: gvo-relay (its limits on
// connections and registrations from one address lifted: every simulated host is on loopback)
// with the bot's and the coordinator's accounts provisioned, gvo-bot in flow mode, claimed and
// with a coordinator enrolled; and in this process, simulated people (a host, the coordinator)
// each with their own store, Signal endpoint and Messenger, all on one io_context.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "bot/signal/endpoint.hpp"
#include "bot/transport/messenger.hpp"
#include "storage/store.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace gvo::campaign {

constexpr const char* kBotAccount = "gvo-bot";
constexpr const char* kCoordinator = "coord";

struct StackOptions {
  std::string bot_settings;        // more keys of bot.json, each with a leading comma
  std::string log_level = "info";  // the bot's
  bool coordinator = true;         // provision and enrol kCoordinator
  // Runs gvo-bot as: wrapper... gvo-bot --config bot.json (e.g. a mount namespace).
  std::vector<std::string> bot_wrapper;
};

class RelayStack {
 public:
  explicit RelayStack(StackOptions options = {});
  RelayStack(const RelayStack&) = delete;
  RelayStack& operator=(const RelayStack&) = delete;
  ~RelayStack();

  const test::TempDir& dir() const { return dir_; }
  unsigned short port() const { return port_; }
  transport::RelayAccount account(const std::string& name) const;
  const std::string& coordinator_claim() const { return coordinator_claim_; }
  const std::string& coordinator_enrolment() const { return coordinator_enrolment_; }

  // From one thread at a time. Restarts are on the same port; each waits for READY=1.
  void start_bot();
  void kill_bot();      // SIGKILL, then waits for the exit
  int terminate_bot();  // SIGTERM, then waits; the exit status (-1: none within 10 s)
  void start_relay();
  void kill_relay();
  void stop_relay();      // SIGSTOP
  void continue_relay();  // SIGCONT
  void terminate_relay();
  pid_t bot_pid() const;
  pid_t relay_pid() const;
  bool bot_running();
  std::string bot_log() const;  // the stderr of every bot process so far
  int bot_starts() const { return bot_starts_; }
  int relay_starts() const { return relay_starts_; }

  test::Completed bot_command(std::vector<std::string> args) const;
  std::string bot_database() const { return dir_.file("bot/gvo-bot.db"); }

 private:
  void start_relay_process();

  StackOptions options_;
  test::TempDir dir_;
  unsigned short port_ = 0;
  test::ReadyDaemon relay_;
  test::ReadyDaemon bot_;
  std::string old_bot_logs_;
  std::string coordinator_claim_;
  std::string coordinator_enrolment_;
  int bot_starts_ = 0;
  int relay_starts_ = 0;
};

// Someone writing to the bot through the relay: their own store (synchronous=OFF: they are not
// under test, and never killed), endpoint and Messenger. on_message is called for each message
// from the bot once it is committed.
class RelayPeer {
 public:
  using OnMessage = std::function<void(const std::string& text)>;
  RelayPeer(boost::asio::io_context& io, const std::string& database,
            transport::RelayAccount account, OnMessage on_message);
  RelayPeer(const RelayPeer&) = delete;
  RelayPeer& operator=(const RelayPeer&) = delete;
  ~RelayPeer();

  void start();
  void stop();
  bool ready() const { return ready_; }
  void say(const std::string& text);  // queued and flushed
  const transport::MessengerStatus& status() const { return messenger_->status(); }

 private:
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<signal::Endpoint> endpoint_;
  std::unique_ptr<transport::Messenger> messenger_;
  OnMessage on_message_;
  bool ready_ = false;
  bool started_ = false;
};

// Runs io until done() holds or the time is up; whether it held.
bool run_until(boost::asio::io_context& io, const std::function<bool()>& done,
               std::chrono::milliseconds timeout);

// The coordinator's side: counts the new-case notices per case reference.
class Coordinator {
 public:
  Coordinator(boost::asio::io_context& io, const RelayStack& stack);
  // Enrols with the code (waits for "You are enrolled").
  void enrol(boost::asio::io_context& io);
  const std::map<std::string, int>& new_cases() const { return new_cases_; }
  int messages() const { return messages_; }
  RelayPeer& peer() { return *peer_; }

 private:
  std::unique_ptr<RelayPeer> peer_;
  std::string enrolment_;
  bool enrolled_ = false;
  int messages_ = 0;
  std::map<std::string, int> new_cases_;
};

// The case references in `gvo-bot cases export`, each with its registered name (the bot stopped).
struct ExportedCase {
  std::string reference;
  std::string registered_name;
  std::map<std::string, std::string> fields;  // name -> value ("" for a skipped one)
};
std::vector<ExportedCase> export_cases(const RelayStack& stack);
std::vector<ExportedCase> export_cases_with(
    const std::function<test::Completed(const std::vector<std::string>&)>& bot_command,
    const std::string& folder);

// Prints and counts failures: check("what", ok).
class Verdict {
 public:
  void check(const std::string& what, bool ok);
  int failures() const { return failures_; }

 private:
  int failures_ = 0;
};

}  // namespace gvo::campaign
