// gvo-bot doctor: what is wrong with this installation, in plain words, and what to do. It changes
// nothing (the database is opened read-only, though SQLite may leave its -wal and -shm beside it;
// signal-cli is asked without subscribing), so it may run beside the bot. Each line is "ok",
// "warning" or "error"; the exit status is the worst.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "bot/admin/commands.hpp"
#include "bot/core/signal_cli_rpc.hpp"
#include "bot/daemon/startup.hpp"
#include "bot/desk/flow_set.hpp"
#include "bot/transport/relay_client.hpp"
#include "bot/transport/relay_login.hpp"
#include "bot/transport/signal_cli_once.hpp"
#include "storage/database.hpp"
#include "storage/migrations.hpp"

namespace gvo::admin {
namespace {

enum class Severity { ok = 0, warning = 1, error = 2 };

class Report {
 public:
  void say(Severity severity, const std::string& topic, const std::string& text) {
    static const char* const kWords[] = {"ok     ", "warning", "error  "};
    std::printf("%s  %s: %s\n", kWords[static_cast<int>(severity)], topic.c_str(), text.c_str());
    if (severity > worst_) worst_ = severity;
  }
  int exit_status() const { return static_cast<int>(worst_); }

 private:
  Severity worst_ = Severity::ok;
};

std::string plural(std::int64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string age_words(std::int64_t seconds) {
  if (seconds < 120) return std::to_string(seconds) + " s";
  if (seconds < 7200) return std::to_string(seconds / 60) + " min";
  if (seconds < 172800) return std::to_string(seconds / 3600) + " h";
  return std::to_string(seconds / 86400) + " days";
}

void check_key(const core::Config& config, Report& report) {
  try {
    std::string said = daemon::check_keys(config);
    if (said.rfind("sealing key: ", 0) == 0) said.erase(0, 13);
    report.say(Severity::ok, "sealing key", said);
  } catch (const daemon::StartupError& error) {
    report.say(Severity::error, "sealing key", error.what());
  }
}

void check_data_dir(const core::Config& config, Report& report) {
  struct stat info {};
  if (::stat(config.data_dir.c_str(), &info) != 0) {
    report.say(Severity::error, "data folder",
               config.data_dir + " does not exist: run `gvo-bot init` with this configuration");
    return;
  }
  if ((info.st_mode & 0077) != 0) {
    report.say(Severity::warning, "data folder",
               config.data_dir + " can be read by others than the bot (mode " +
                   std::to_string((info.st_mode >> 6) & 7) +
                   std::to_string((info.st_mode >> 3) & 7) + std::to_string(info.st_mode & 7) +
                   "): chmod 700 it");
  } else {
    report.say(Severity::ok, "data folder", config.data_dir + ", the bot's alone");
  }
  struct statvfs disk {};
  if (::statvfs(config.data_dir.c_str(), &disk) != 0) return;
  const auto free_bytes =
      static_cast<std::int64_t>(disk.f_bavail) * static_cast<std::int64_t>(disk.f_frsize);
  const auto total =
      static_cast<std::int64_t>(disk.f_blocks) * static_cast<std::int64_t>(disk.f_frsize);
  const std::string words =
      std::to_string(free_bytes >> 20) + " MiB free of " + std::to_string(total >> 20) + " MiB";
  if (free_bytes < (100 << 20)) {
    report.say(Severity::error, "disk",
               words +
                   ": the bot stops answering when the disk is full; "
                   "make room (old backups, logs)");
  } else if (free_bytes < (1LL << 30) || free_bytes < total / 10) {
    report.say(Severity::warning, "disk", words + ": getting low");
  } else {
    report.say(Severity::ok, "disk", words);
  }
}

std::int64_t count(storage::Database& db, const char* sql) {
  auto query = db.prepare(sql);
  if (!query || !query->step().value_or(false)) return -1;
  return query->column_int64(0);
}

void check_database(const core::Config& config, Report& report, std::int64_t now_ms) {
  const std::string path = daemon::database_path(config);
  if (::access(path.c_str(), F_OK) != 0) {
    report.say(Severity::warning, "database",
               path + " does not exist yet: the first start (or `gvo-bot init`) makes it");
    return;
  }
  auto db = storage::Database::open(path, storage::OpenMode::read_only);
  if (!db) {
    report.say(Severity::error, "database",
               storage::describe(db.error()) +
                   ": if the file is damaged, stop the bot and restore the last backup "
                   "(`gvo-bot restore FILE`)");
    return;
  }
  auto check = db->prepare("PRAGMA quick_check");
  std::string verdict = "no answer";
  if (check && check->step().value_or(false)) verdict = check->column_text(0);
  const int latest = static_cast<int>(storage::schema_migrations().size());
  const int version = db->user_version().value_or(-1);
  if (verdict != "ok") {
    report.say(Severity::error, "database",
               path + " is damaged (" + verdict +
                   "): stop the bot and restore the last backup (`gvo-bot restore FILE`)");
    return;
  }
  if (version > latest) {
    report.say(Severity::error, "database",
               "schema version " + std::to_string(version) + " is newer than this gvo-bot (" +
                   std::to_string(latest) + "): run the gvo-bot that wrote it");
    return;
  }
  report.say(
      Severity::ok, "database",
      "integrity ok, schema version " + std::to_string(version) +
          (version == latest ? " (current)"
                             : " (the next start migrates it to " + std::to_string(latest) + ")"));

  // Staff whose key nobody checked receive nothing about cases.
  const std::int64_t unverified =
      count(*db, "SELECT count(*) FROM staff WHERE state = 'unverified'");
  const std::int64_t suspended = count(*db, "SELECT count(*) FROM staff WHERE state = 'suspended'");
  const std::int64_t active = count(*db, "SELECT count(*) FROM staff WHERE state = 'active'");
  if (active == 0) {
    report.say(Severity::warning, "staff",
               "no active member: nobody receives the cases (`gvo-bot staff add`)");
  } else if (unverified > 0 || suspended > 0) {
    report.say(Severity::warning, "staff",
               plural(unverified, "member", "members") + " not enrolled or verified yet, " +
                   plural(suspended, "member", "members") +
                   " suspended after a key change: they receive nothing about cases until "
                   "`gvo-bot staff verify ADDRESS FINGERPRINT` (`gvo-bot staff list` shows who)");
  } else {
    report.say(Severity::ok, "staff", plural(active, "active member", "active members"));
  }

  // Messages waiting to leave, and for how long.
  const std::int64_t pending = count(*db, "SELECT count(*) FROM outbox");
  const std::int64_t oldest = count(*db, "SELECT coalesce(min(created_at), 0) FROM outbox");
  if (pending <= 0) {
    report.say(Severity::ok, "outbox", "nothing waiting to be sent");
  } else {
    const std::int64_t age = oldest > 0 ? (now_ms - oldest) / 1000 : 0;
    report.say(age > 600 ? Severity::warning : Severity::ok, "outbox",
               plural(pending, "message", "messages") + " waiting, the oldest for " +
                   age_words(age) +
                   (age > 600 ? ": the transport does not take them (see the bot's log)" : ""));
  }
  const std::int64_t kept = count(*db, "SELECT count(*) FROM inbox");
  if (kept > 0) {
    report.say(Severity::warning, "inbox",
               plural(kept, "message", "messages") +
                   " received but not taken in yet (storage failed when they came): the bot "
                   "takes them in again by itself; see its log if this stays");
  }
}

void check_flows(const core::Config& config, Report& report) {
  if (config.replies != core::ReplyMode::flow) {
    report.say(Severity::warning, "flows", "replies are \"echo\": people talk with no flow");
    return;
  }
  try {
    const auto flows = desk::load_flows(config.flows_dir);
    if (flows->library.latest(config.flow) == nullptr) {
      report.say(Severity::error, "flows", "no flow '" + config.flow + "' in " + config.flows_dir);
      return;
    }
    report.say(Severity::ok, "flows", config.flows_dir + ", starting flow '" + config.flow + "'");
  } catch (const desk::FlowsError& error) {
    std::string first = error.what();
    first = first.substr(0, first.find('\n'));
    report.say(Severity::error, "flows",
               first + " (`gvo-bot flows check " + config.flows_dir + "/*.json` lists all)");
  }
}

// A TCP connection to host:port within the timeout; "" when it opens, else why not.
std::string tcp_reachable(const std::string& host, int port, int timeout_ms) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (const int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found);
      rc != 0) {
    return std::string("cannot resolve ") + host + ": " + ::gai_strerror(rc);
  }
  std::string why = "no address";
  for (addrinfo* at = found; at != nullptr; at = at->ai_next) {
    const int fd = ::socket(at->ai_family, at->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    int rc = ::connect(fd, at->ai_addr, at->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd waiting{fd, POLLOUT, 0};
      rc = ::poll(&waiting, 1, timeout_ms) == 1 ? 0 : -1;
      int error = rc == 0 ? 0 : ETIMEDOUT;
      socklen_t length = sizeof error;
      if (rc == 0) ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
      errno = error;
      rc = error == 0 ? 0 : -1;
    }
    const int saved = errno;
    ::close(fd);
    if (rc == 0) {
      ::freeaddrinfo(found);
      return "";
    }
    why = std::strerror(saved);
  }
  ::freeaddrinfo(found);
  return why;
}

// The bot's secret at the relay, opened with the sealing key: empty when the database holds none
// yet; problem says why it could not be read.
struct StoredSecret {
  std::string secret;
  std::string problem;
};

StoredSecret stored_relay_secret(const core::Config& config) {
  auto db = storage::Database::open(daemon::database_path(config), storage::OpenMode::read_only);
  if (!db) return {"", "the database does not open, so neither does the bot's relay secret"};
  auto query = db->prepare("SELECT value FROM meta WHERE name = 'relay_secret'");
  if (!query) return {"", "the database cannot be read, so neither can the bot's relay secret"};
  if (!query->step().value_or(false)) return {};
  try {
    const storage::Sealer sealer = daemon::load_sealer(config);
    if (auto secret = sealer.open({"meta", "value", "relay_secret"}, query->column_blob(0)))
      return {secret.value(), ""};
  } catch (const daemon::StartupError&) {
  }
  return {"", "the bot's relay secret does not open with the sealing key"};
}

// Asks the relay whether it takes the bot's login (GET /v1/login): the bot's connection stays.
void check_relay(const core::Config& config, Report& report) {
  const std::string where = transport::relay_address(config);
  const StoredSecret stored = stored_relay_secret(config);
  if (!stored.problem.empty() || stored.secret.empty()) {
    // No login to ask about: whether the relay is there at all.
    const std::string why = tcp_reachable(config.relay.host, config.relay.port, 3000);
    const std::string reach =
        "the relay at " + where +
        (why.empty() ? " is reachable"
                     : " cannot be reached (" + why +
                           "): is gvo-relay running (systemctl status gvo-relay)?");
    if (!stored.problem.empty()) {
      report.say(Severity::error, "transport", stored.problem + "; " + reach);
    } else {
      report.say(why.empty() ? Severity::warning : Severity::error, "transport",
                 "the bot's relay secret is not made yet (its first start or `gvo-bot "
                 "relay-claim CODE` makes it); " +
                     reach);
    }
    return;
  }
  transport::RelayAccount account;
  try {
    account = transport::relay_account(config, stored.secret);
  } catch (const transport::RelayLoginError& error) {
    report.say(Severity::error, "transport", error.what());
    return;
  }
  account.check_only = true;
  const auto outcome = transport::login_once(account, std::chrono::seconds(5));
  using Kind = transport::LoginOutcome::Kind;
  switch (outcome.kind) {
    case Kind::accepted:
      report.say(Severity::ok, "transport",
                 "the relay at " + where + " takes the bot's login as " + config.relay.account);
      return;
    case Kind::unreachable:
      report.say(Severity::error, "transport",
                 "the relay at " + where + " cannot be reached (" +
                     (outcome.reason.empty() ? std::string("no answer") : outcome.reason) +
                     "): is gvo-relay running (systemctl status gvo-relay)?");
      return;
    case Kind::refused:
      break;
  }
  if (outcome.status == 404) {
    report.say(Severity::warning, "transport",
               "the relay at " + where + " does not know the account " + config.relay.account +
                   " yet: an open relay registers it at the bot's next login; a closed one needs "
                   "its admin (gvo-relay accounts add " +
                   config.relay.account + ", then gvo-bot relay-claim CODE)");
    return;
  }
  report.say(Severity::error, "transport",
             transport::relay_refusal(config, outcome.status, outcome.reason));
}

void check_signal_cli(const core::Config& config, Report& report) {
  namespace rpc = core::signal_cli;
  const auto& cli = config.signal_cli;
  const std::string where =
      cli.socket.empty() ? cli.host + ":" + std::to_string(cli.port) : cli.socket;
  if (!cli.subscribe) {
    // With --receive-mode=on-connection every connection is handed the messages arriving while
    // it is open: a doctor's would take them from the bot.
    report.say(Severity::warning, "transport",
               "signal-cli not asked: with signal_cli.receive_mode on-connection, messages "
               "arriving meanwhile would be handed to doctor and lost to the bot; "
               "deploy/signal-cli.service runs --receive-mode=manual");
    return;
  }
  const auto once = transport::call_once(
      {cli.socket, cli.host, static_cast<unsigned short>(cli.port)},
      [](std::int64_t id) { return rpc::list_accounts_request(id); }, std::chrono::seconds(10));
  if (!once.answered) {
    report.say(Severity::error, "transport",
               "signal-cli at " + where + " does not answer (" + once.unanswered +
                   "): is it running (systemctl status signal-cli)?");
    return;
  }
  if (once.response.error) {
    // A daemon started with -a holds one account and does not know listAccounts.
    if (once.response.error->code == -32601) {
      report.say(Severity::ok, "transport",
                 "signal-cli at " + where + " answers, with one account (started with -a)");
    } else {
      report.say(
          Severity::warning, "transport",
          "signal-cli at " + where + " refused listAccounts: " + once.response.error->message);
    }
    return;
  }
  auto accounts = rpc::read_accounts(once.response.result);
  if (!accounts) {
    report.say(Severity::warning, "transport",
               "signal-cli at " + where + " answered listAccounts in a shape not understood");
    return;
  }
  if (cli.account.empty() && accounts->size() != 1) {
    report.say(Severity::error, "transport",
               "signal-cli holds " + std::to_string(accounts->size()) +
                   " accounts and signal_cli.account is not set: set it to the bot's number");
    return;
  }
  bool held = cli.account.empty();
  for (const auto& number : *accounts) held = held || number == cli.account;
  if (!held) {
    report.say(Severity::error, "transport",
               "signal-cli does not hold signal_cli.account (" + cli.account +
                   "): register or link it (README, \"The real Signal network\")");
    return;
  }
  report.say(Severity::ok, "transport",
             "signal-cli at " + where + " answers and holds the bot's account");
}

}  // namespace

int run_doctor(const core::Config& config, const std::string& source) {
  Report report;
  report.say(Severity::ok, "configuration",
             (source.empty() ? std::string("the embedded defaults") : source) + ", valid");
  check_key(config, report);
  check_data_dir(config, report);
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  check_database(config, report, now_ms);
  check_flows(config, report);
  if (config.transport == core::TransportKind::relay) {
    check_relay(config, report);
  } else {
    check_signal_cli(config, report);
  }
  std::printf(
      "(messages that could not be read are counted in the bot's log, not in the database: "
      "journalctl -u gvo-bot --since -1d | grep -c 'could not be read')\n");
  return report.exit_status();
}

}  // namespace gvo::admin
