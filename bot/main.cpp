// gvo-bot's composition root: the only file that knows every module. Parses the command line,
// loads the configuration, opens the sealed store and runs the event loop until SIGINT/SIGTERM.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <openssl/rand.h>

#include "bot/cases/enrolment.hpp"
#include "bot/core/config.hpp"
#include "bot/daemon/command_line.hpp"
#include "bot/daemon/hardening.hpp"
#include "bot/daemon/service_manager.hpp"
#include "bot/daemon/startup.hpp"
#include "bot/desk/case_index.hpp"
#include "bot/desk/desk.hpp"
#include "bot/desk/export.hpp"
#include "bot/desk/stats.hpp"
#include "bot/log/log.hpp"
#include "bot/signal/endpoint.hpp"
#include "bot/transport/alarm.hpp"
#include "bot/transport/event_loop.hpp"
#include "bot/transport/messenger.hpp"
#include "bot/transport/signal_cli_once.hpp"
#include "bot/transport/signal_cli_transport.hpp"
#include "flows/loader.hpp"
#include "storage/cases.hpp"
#include "storage/checkpoints.hpp"
#include "storage/outbox.hpp"
#include "storage/staff.hpp"

namespace {

constexpr int kExitDataError = 65;  // sysexits(3) EX_DATAERR

namespace daemon = gvo::daemon;
namespace log = gvo::log;

// A start-up error can hold several problems, one per line (every bad key of a config file).
void log_each_line(const std::string& text) {
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    if (end > start) log::error(text.substr(start, end - start));
    start = end + 1;
  }
}

// The bot's account secret at the relay: made on first run, kept sealed in the database.
std::string relay_secret(gvo::storage::Store& store) {
  const gvo::storage::SealedPlace place{"meta", "value", "relay_secret"};
  auto query = store.db().prepare("SELECT value FROM meta WHERE name = 'relay_secret'");
  if (query && query->step().value_or(false)) {
    if (auto secret = store.sealer().open(place, query->column_blob(0))) return secret.value();
    throw daemon::StartupError(daemon::kExitConfig,
                               "the relay secret in the database does not open");
  }
  auto key = gvo::storage::SealingKey::generate();  // 32 random bytes, as hex
  if (!key) throw daemon::StartupError(daemon::kExitFailure, "no randomness for a relay secret");
  const std::string secret = key->to_hex();
  auto sealed = store.sealer().seal(place, secret);
  auto insert = store.db().prepare("INSERT INTO meta(name, value) VALUES ('relay_secret', ?1)");
  if (!sealed || !insert ||
      !store.db().transact([&] { return insert->bind_blob(1, sealed.value()).run(); })) {
    throw daemon::StartupError(daemon::kExitFailure, "cannot store the relay secret");
  }
  return secret;
}

// A peer as logs may name it: a short keyed hash, never the address.
std::string log_name(const gvo::storage::Store& store, const std::string& peer) {
  const auto hash = store.sealer().blind_index("log peer", peer);
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string name = "peer ";
  for (std::size_t i = 0; i < 4; ++i) {
    name += kDigits[hash[i] >> 4];
    name += kDigits[hash[i] & 0x0f];
  }
  return name;
}

// The bot's clock: the system's, or for tests one that starts at a given UTC time and runs on.
std::function<gvo::flows::TimePoint()> make_clock(const gvo::core::Config& config) {
  if (config.test_clock_start.empty()) return [] { return std::chrono::system_clock::now(); };
  gvo::flows::CivilDate day;
  int hour = 0, minute = 0, second = 0;
  std::sscanf(config.test_clock_start.c_str(), "%d-%d-%dT%d:%d:%d", &day.year, &day.month, &day.day,
              &hour, &minute, &second);
  const auto start = std::chrono::system_clock::time_point(std::chrono::seconds(
      gvo::flows::days_from_civil(day) * 86400L + hour * 3600L + minute * 60L + second));
  const auto launched = std::chrono::steady_clock::now();
  log::warning("test clock in use: the bot's time starts at " + config.test_clock_start);
  return [start, launched] {
    return start + std::chrono::duration_cast<std::chrono::system_clock::duration>(
                       std::chrono::steady_clock::now() - launched);
  };
}

std::optional<gvo::desk::Identity> identity_of(gvo::signal::Endpoint& endpoint,
                                               const std::string& address) {
  auto key = endpoint.peer_identity_key({address});
  if (!key || !key.value()) return std::nullopt;
  return gvo::desk::Identity{*key.value(), gvo::signal::fingerprint_of(*key.value())};
}

// A key signal-cli holds: pinned by its fingerprint, compared by the safety number people see.
std::optional<gvo::desk::Identity> identity_of(
    const std::optional<gvo::core::signal_cli::KnownIdentity>& known) {
  if (!known || known->fingerprint.empty()) return std::nullopt;
  return gvo::desk::Identity{
      gvo::storage::Bytes(known->fingerprint.begin(), known->fingerprint.end()),
      known->safety_number};
}

using IdentityLookup = std::function<std::optional<gvo::desk::Identity>(const std::string&)>;

// For the staff commands: the identity keys the transport holds. The relay's are in our own
// store; signal-cli's are read from it once, on a brief connection that is handed no message
// (receive_mode manual). unavailable says why there are none.
IdentityLookup staff_identities(const gvo::core::Config& config, gvo::storage::Store& store,
                                std::int64_t now_ms, std::string& unavailable) {
  if (config.transport == gvo::core::TransportKind::relay) {
    auto endpoint = gvo::signal::Endpoint::open(store, now_ms);
    if (!endpoint) {
      unavailable = gvo::signal::describe(endpoint.error());
      return [](const std::string&) { return std::optional<gvo::desk::Identity>(); };
    }
    std::shared_ptr<gvo::signal::Endpoint> shared = std::move(endpoint).value();
    return [shared](const std::string& address) { return identity_of(*shared, address); };
  }
  const auto& cli = config.signal_cli;
  std::map<std::string, gvo::core::signal_cli::KnownIdentity> known;
  if (!cli.subscribe) {
    unavailable =
        "with signal_cli.receive_mode on-connection, keys are not read from the command line "
        "(its connection would be handed messages): verify members by chat";
  } else if (auto read = gvo::transport::identities_once(
                 {cli.socket, cli.host, static_cast<unsigned short>(cli.port)}, cli.account)) {
    for (auto& each : read.value()) {
      if (!each.number.empty()) known[each.number] = each;
      if (!each.uuid.empty()) known[each.uuid] = std::move(each);
    }
  } else {
    unavailable = "signal-cli: " + read.error().detail;
  }
  return [known = std::move(known)](const std::string& address) {
    const auto it = known.find(address);
    return identity_of(it == known.end() ? std::nullopt : std::make_optional(it->second));
  };
}

std::array<std::uint8_t, gvo::cases::kReferenceRandomBytes> random_reference_bits() {
  std::array<std::uint8_t, gvo::cases::kReferenceRandomBytes> bits{};
  if (RAND_bytes(bits.data(), static_cast<int>(bits.size())) != 1)
    throw std::runtime_error("no randomness for a case reference");
  return bits;
}

std::string relay_address(const gvo::core::Config& config) {
  return std::string(config.relay.tls ? "wss://" : "ws://") + config.relay.host + ":" +
         std::to_string(config.relay.port);
}

// The bot's login at the relay, checked before any connection (78 when it must not connect).
gvo::transport::RelayAccount relay_account(const gvo::core::Config& config, std::string secret) {
  gvo::transport::RelayAccount account;
  account.host = config.relay.host;
  account.port = static_cast<unsigned short>(config.relay.port);
  account.account = config.relay.account;
  account.secret = std::move(secret);
  account.tls.enabled = config.relay.tls;
  if (!config.relay.ca_file.empty())
    account.tls.ca_file = gvo::core::resolve_in_data_dir(config, config.relay.ca_file);
  account.tls.certificate_sha256 = config.relay.certificate_sha256;
  if (auto checked = gvo::transport::check_relay_setup(account); !checked)
    throw daemon::StartupError(daemon::kExitConfig, "relay: " + checked.error().detail);
  return account;
}

// What the log says when the relay refuses the bot's login (or the bot refuses the relay), with
// what would fix it.
std::string relay_refusal(const gvo::core::Config& config, int status, const std::string& reason) {
  const std::string later = "; the bot is not ready until then and tries again with backoff";
  if (status == 0) {
    return "cannot trust the relay at " + relay_address(config) + ": " + reason +
           ": set relay.ca_file (the CA that signed its certificate) or relay.certificate_sha256 "
           "(the certificate's pin)" +
           later;
  }
  const std::string refused = "the relay refused the login as " + config.relay.account + " (" +
                              std::to_string(status) + ": " + reason + "): ";
  if (status == 401) {
    return refused +
           "it holds another secret for this account (someone else claimed it, or this database "
           "is not the one that registered it): have the relay's admin provision it again "
           "(gvo-relay accounts add " +
           config.relay.account +
           ") and run 'gvo-bot relay-claim CODE', or set another "
           "relay.account" +
           later;
  }
  return refused + "if the relay's admin provisioned it (gvo-relay accounts add " +
         config.relay.account + "), run 'gvo-bot relay-claim CODE' with the code it printed" +
         later;
}

int run_bot(const gvo::core::Config& config) {
  gvo::storage::Store store = daemon::open_store(
      config,
      config.sealing.create_key ? daemon::KeyCreation::allowed : daemon::KeyCreation::refused,
      gvo::desk::case_indexer());
  // Checkpoints run on a thread of their own: no message waits for one. Declared after the store,
  // so that it stops first.
  std::unique_ptr<gvo::storage::BackgroundCheckpoints> checkpoints;
  if (auto started = gvo::storage::BackgroundCheckpoints::start(
          store.db(), gvo::core::resolve_in_data_dir(config, config.database))) {
    checkpoints = std::move(started).value();
  } else {
    log::warning("checkpoints stay on the bot's thread: " +
                 gvo::storage::describe(started.error()));
  }
  const auto& migration = store.migration();
  if (migration.from != migration.to) {
    log::notice("database schema migrated from version " + std::to_string(migration.from) + " to " +
                std::to_string(migration.to));
  }
  std::unique_ptr<gvo::desk::FlowSet> flows;
  if (config.replies == gvo::core::ReplyMode::flow) {
    flows = gvo::desk::load_flows(config.flows_dir);
    if (flows->library.latest(config.flow) == nullptr) {
      throw daemon::StartupError(daemon::kExitConfig,
                                 "no flow '" + config.flow + "' in " + config.flows_dir);
    }
  }
  const auto clock = make_clock(config);
  const bool on_relay = config.transport == gvo::core::TransportKind::relay;
  // The relay transport does end-to-end encryption itself; with signal-cli, signal-cli does.
  std::unique_ptr<gvo::signal::Endpoint> endpoint;
  if (on_relay) {
    auto opened = gvo::signal::Endpoint::open(store, gvo::desk::unix_millis(clock()));
    if (!opened) {
      throw daemon::StartupError(daemon::kExitFailure, gvo::signal::describe(opened.error()));
    }
    endpoint = std::move(opened).value();
  }

  gvo::transport::EventLoop loop;
  // The transport in use, once it exists: queue a message (in the open transaction), send.
  using Audience = gvo::storage::Audience;
  std::function<bool(const std::string&, const std::string&, Audience)> queue;
  std::function<void()> flush = [] {};
  // What a transport keeps of a person the desk removed (the relay transport's sessions are rows
  // of this database, removed with the person).
  std::function<void(const std::string&)> forget_address = [](const std::string&) {};
  // The identity key the transport holds for an address: the relay's is in our own store (the
  // bot does the encryption); signal-cli's is read from it (listIdentities), with the safety
  // number people compare in the Signal app.
  std::function<std::optional<gvo::desk::Identity>(const std::string&)> identity_source =
      [&](const std::string& address) -> std::optional<gvo::desk::Identity> {
    return endpoint ? identity_of(*endpoint, address) : std::nullopt;
  };
  std::unique_ptr<gvo::desk::Desk> desk;
  if (flows) {
    desk = std::make_unique<gvo::desk::Desk>(
        store, *flows, config.flow,
        [&](const std::string& address, const std::string& text,
            Audience audience) -> gvo::storage::Result<void> {
          if (queue(address, text, audience)) return {};
          return gvo::storage::fail(gvo::storage::Errc::sql_failed, "a message was not queued");
        },
        random_reference_bits,
        [&](const std::string& address) -> std::optional<gvo::desk::Identity> {
          return identity_source(address);
        },
        config.retention);
    const auto started =
        store.db().transact([&]() -> gvo::storage::Result<void> { return desk->start(clock()); });
    if (!started) {
      throw daemon::StartupError(daemon::kExitFailure,
                                 "the retention timer: " + gvo::storage::describe(started.error()));
    }
  }
  // After an erasure commits, the WAL is truncated so that nothing of the rows stays there.
  auto after_commit = [&] {
    if (desk && desk->take_erase_done()) {
      if (auto truncated = store.db().checkpoint_truncate(); !truncated)
        log::warning("the WAL could not be truncated after an erasure; it will be at the next");
    }
    if (desk) {
      for (const auto& address : desk->take_removed_addresses()) forget_address(address);
    }
  };
  // Timers are rows; the alarm wakes for the earliest, runs what is due in one transaction,
  // sends what it queued, and sleeps again.
  std::unique_ptr<gvo::transport::Alarm> alarm;
  auto rearm = [&] {
    if (!desk || !alarm) return;
    auto next = desk->next_timer_ms();
    if (!next) log::warning("timers: " + gvo::storage::describe(next.error()));
    alarm->set(next ? next.value() : std::nullopt);
  };
  alarm = std::make_unique<gvo::transport::Alarm>(loop.context(), clock, [&] {
    if (!desk) return;
    const auto ran = store.db().transact(
        [&]() -> gvo::storage::Result<void> { return desk->on_due_timers(clock()); });
    if (ran) {
      after_commit();
    } else {
      log::error("timers: " + gvo::storage::describe(ran.error()) + "; retrying in a minute");
      (void)desk->take_removed_addresses();  // rolled back: nobody was removed
    }
    flush();
    if (ran) {
      rearm();
    } else {
      alarm->set(gvo::desk::unix_millis(clock()) + 60 * 1000);
    }
  });

  gvo::transport::Messenger::Handlers handlers;
  // Inside the transaction that decrypted the message: the conversation moves on, and its
  // replies join the outbox, all in one commit.
  handlers.received = [&](const gvo::transport::Inbound& inbound) {
    if (!desk) return queue(inbound.peer, "echo: " + inbound.text, Audience::host);
    auto taken = desk->on_message(inbound.peer, inbound.text, clock());
    if (!taken)
      log::warning("a message was not taken in: " + gvo::storage::describe(taken.error()));
    return taken.ok();
  };
  handlers.committed = [&](const gvo::transport::Inbound&) {
    after_commit();
    rearm();
  };
  // Someone the bot has no session with any more wrote: asked to write again (a new session).
  handlers.sessionless = [&](const std::string& address) {
    if (!desk) return;
    const auto told = store.db().transact(
        [&]() -> gvo::storage::Result<void> { return desk->on_sessionless(address, clock()); });
    if (!told) {
      log::warning("a message without a session went unanswered: " +
                   gvo::storage::describe(told.error()));
    }
    flush();
  };
  // The confidentiality gate: asked by the transport as each message leaves. Echo replies go
  // back to whoever wrote.
  handlers.clearance = [&](const std::string& address, Audience audience,
                           const std::optional<gvo::storage::Bytes>& key)
      -> gvo::storage::Result<gvo::storage::Clearance> {
    if (desk) return desk->clear_to_send(address, audience, key, clock());
    // Echo mode has no desk: nothing but notices to a member of staff.
    gvo::storage::StaffStore staff(store);
    auto member = staff.find(address);
    if (!member) return std::move(member).error();
    if (member.value() && audience != Audience::notice) return gvo::storage::Clearance::drop;
    return audience == Audience::staff ? gvo::storage::Clearance::drop
                                       : gvo::storage::Clearance::send;
  };
  handlers.identity_changed = [&](const std::string& peer) {
    log::notice("the identity key of " + log_name(store, peer) + " changed");
    if (!desk) return true;
    auto accepted = desk->on_identity_changed(peer, clock());
    if (!accepted) {
      log::warning("a changed identity key was not taken in: " +
                   gvo::storage::describe(accepted.error()));
    }
    return accepted.ok();
  };
  // Staff keep priority under a flood (DESIGN §7): their envelopes are taken before anyone
  // else's, before anything is decrypted.
  handlers.priority = [&](const std::string& peer) {
    auto member = gvo::storage::StaffStore(store).find(peer);
    return member && member.value().has_value();
  };
  auto report_ready = [&](const std::string& where) {
    const std::string status =
        "ready, database schema version " + std::to_string(migration.to) + ", " + where;
    log::info(status);
    daemon::notify_ready(status);
  };
  // ready_at_start: ready once the loop runs (signal-cli); otherwise the transport says when.
  auto run = [&](const std::string& where, bool ready_at_start) {
    rearm();
    const int signal_number = loop.run_until_signal([&] {
      if (ready_at_start) report_ready(where);
    });
    daemon::notify_stopping();
    alarm->cancel();
    return signal_number;
  };
  int signal_number = 0;
  if (on_relay) {
    // Ready (systemd's READY=1, the "ready" line) only once logged in as itself with its keys
    // uploaded: a bot the relay refuses says why, keeps trying, and is never reported ready.
    const std::string where = "relay " + relay_address(config);
    bool reported_ready = false;
    handlers.ready = [&] {
      log::info("connected to the relay as " + config.relay.account);
      if (reported_ready) return;
      reported_ready = true;
      report_ready(where);
    };
    handlers.refused = [&](int status, const std::string& reason) {
      log::error(relay_refusal(config, status, reason));
    };
    gvo::transport::Messenger live(loop.context(), store, *endpoint,
                                   relay_account(config, relay_secret(store)), handlers);
    queue = [&](const std::string& address, const std::string& text, Audience audience) {
      return live.send(address, text, audience).ok();
    };
    flush = [&] { live.flush(); };
    live.start();
    signal_number = run(where, false);
    live.stop();
  } else {
    const auto& cli = config.signal_cli;
    gvo::transport::SignalCliSettings settings{
        {cli.socket, cli.host, static_cast<unsigned short>(cli.port)},
        cli.account,
        cli.profile_name,
        cli.host_expiration_seconds,
        cli.typing_indicators,
        cli.subscribe};
    // Hosts' conversations disappear after the configured time; staff's do not. Set once per
    // person and run (signal-cli keeps it).
    gvo::transport::SignalCliTransport* transport = nullptr;
    std::set<std::string> expiring;
    if (cli.host_expiration_seconds > 0) {
      handlers.committed = [&, committed =
                                   handlers.committed](const gvo::transport::Inbound& inbound) {
        committed(inbound);
        if (transport == nullptr || expiring.count(inbound.peer) != 0) return;
        gvo::storage::StaffStore staff(store);
        auto member = staff.find(inbound.peer);
        if (member && !member.value())
          transport->set_expiration(inbound.peer, cli.host_expiration_seconds);
        expiring.insert(inbound.peer);
      };
    }
    gvo::transport::SignalCliTransport live(loop.context(), store, std::move(settings), handlers,
                                            clock);
    transport = &live;
    identity_source = [&](const std::string& address) {
      return identity_of(live.identity(address));
    };
    queue = [&](const std::string& address, const std::string& text, Audience audience) {
      return live.send(address, text, audience).ok();
    };
    forget_address = [&](const std::string& address) { live.forget(address); };
    flush = [&] { live.flush(); };
    live.start();
    signal_number =
        run("signal-cli " +
                (cli.socket.empty() ? cli.host + ":" + std::to_string(cli.port) : cli.socket),
            true);
    live.stop();
  }
  log::info(std::string("stopping on ") + (signal_number == SIGINT ? "SIGINT" : "SIGTERM"));
  return 0;
}

int init_bot(const gvo::core::Config& config) {
  gvo::storage::Store store =
      daemon::open_store(config, daemon::KeyCreation::allowed, gvo::desk::case_indexer());
  std::printf("gvo-bot: data folder %s ready, sealing key id %s, database schema version %d\n",
              config.data_dir.c_str(), store.sealer().current_key().id_hex().c_str(),
              store.migration().to);
  return 0;
}

gvo::flows::Result<std::string> check_desk_texts(const std::string& text, const std::string& file,
                                                 const gvo::flows::TextFolder& folder) {
  auto loaded = gvo::cases::load_desk_texts(text, file, folder);
  if (!loaded) return std::move(loaded).error();
  return "desk texts, " + std::to_string(loaded->messages.size()) + " messages, languages " +
         std::to_string(loaded->languages.size());
}

// Checks each file and reports every problem; 65 (EX_DATAERR) when any file is not right.
int check_flows(const std::vector<std::string>& files) {
  const gvo::flows::TextFolder folder;
  int status = 0;
  for (const std::string& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "%s: cannot read: %s\n", file.c_str(), std::strerror(errno));
      status = kExitDataError;
      continue;
    }
    std::stringstream text;
    text << in.rdbuf();
    const bool desk_texts = file.size() >= 9 && file.compare(file.size() - 9, 9, "desk.json") == 0;
    const auto checked = desk_texts ? check_desk_texts(text.str(), file, folder)
                                    : gvo::flows::check_definition(text.str(), file, folder);
    if (checked) {
      std::printf("%s: ok (%s)\n", file.c_str(), checked.value().c_str());
      continue;
    }
    std::fprintf(stderr, "%s\n", checked.error().detail.c_str());
    status = kExitDataError;
  }
  return status;
}

// Writes every case to a new file only its owner can read; never overwrites one.
int export_cases(const gvo::core::Config& config, const std::string& output) {
  gvo::storage::Store store =
      daemon::open_store(config, daemon::KeyCreation::refused, gvo::desk::case_indexer());
  auto exported = gvo::desk::export_cases(store, std::chrono::system_clock::now());
  if (!exported) {
    log::error("cases export: " + gvo::storage::describe(exported.error()));
    return daemon::kExitFailure;
  }
  const int fd = ::open(output.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    std::fprintf(stderr, "gvo-bot: cannot create %s: %s%s\n", output.c_str(), std::strerror(errno),
                 errno == EEXIST ? " (remove it or choose another name)" : "");
    return daemon::kExitFailure;
  }
  const std::string& text = exported.value();
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    written += static_cast<std::size_t>(n);
  }
  const bool synced = written == text.size() && ::fsync(fd) == 0;
  ::close(fd);
  if (!synced) {
    std::fprintf(stderr, "gvo-bot: cannot write %s: %s\n", output.c_str(), std::strerror(errno));
    ::unlink(output.c_str());
    return daemon::kExitFailure;
  }
  gvo::storage::CaseStore cases(store);
  const auto count = cases.all();
  std::printf("gvo-bot: %zu case(s) written to %s (readable by you only)\n",
              count ? count->size() : 0, output.c_str());
  return 0;
}

constexpr long kDefaultEnrolmentHours = 72;

// A relay account name or a Signal ACI/number: printable, no spaces, not too long.
bool valid_address(const std::string& address) {
  if (address.empty() || address.size() > 128 || address.front() == '-') return false;
  return std::all_of(address.begin(), address.end(), [](char c) {
    return static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) < 0x7f;
  });
}

// gvo-bot staff add | enrol | list | remove | verify: the registry, offline, on the database.
int manage_staff(const gvo::core::Config& config, const std::vector<std::string>& arguments) {
  gvo::storage::Store store =
      daemon::open_store(config, daemon::KeyCreation::refused, gvo::desk::case_indexer());
  gvo::storage::StaffStore staff(store);
  const std::int64_t now = gvo::desk::unix_seconds(std::chrono::system_clock::now());
  const std::string& action = arguments.front();
  auto usage = [](const char* text) {
    std::fprintf(stderr, "gvo-bot: %s\nTry 'gvo-bot --help'.\n", text);
    return daemon::kExitUsage;
  };
  auto failed = [](const gvo::storage::Error& error) {
    std::fprintf(stderr, "gvo-bot: %s\n", gvo::storage::describe(error).c_str());
    return daemon::kExitFailure;
  };
  if (action == "list") {
    auto members = staff.all();
    if (!members) return failed(members.error());
    std::string unavailable;
    const auto identity_for = staff_identities(config, store, now * 1000, unavailable);
    if (!unavailable.empty())
      std::fprintf(stderr, "gvo-bot: no keys shown: %s\n", unavailable.c_str());
    for (const auto& member : members.value()) {
      std::string centres;
      for (const auto& centre : member.centres) centres += (centres.empty() ? "" : ",") + centre;
      // Only a pinned key's fingerprint: the one held for anyone else is what `staff verify`
      // checks, and is read out by the member, never copied from here.
      const auto identity = identity_for(member.address);
      std::string shown = unavailable.empty() ? "(no key yet)" : "(key not read)";
      if (identity && member.state == gvo::storage::StaffState::active &&
          identity->key == member.pinned_key) {
        shown = identity->fingerprint;
      } else if (identity) {
        shown = "(a key is held, not shown: the member reads theirs out)";
      }
      const std::string role(gvo::storage::to_string(member.role));
      const std::string state(gvo::storage::to_string(member.state));
      std::printf("%s\t%s\t%s\t%s\t%s\t%s\n", member.address.c_str(), role.c_str(),
                  centres.empty() ? "-" : centres.c_str(), member.language.c_str(), state.c_str(),
                  shown.c_str());
    }
    if (members->empty()) std::printf("no staff yet: gvo-bot staff add ADDRESS ROLE\n");
    return 0;
  }
  if (arguments.size() < 2) return usage("staff: which address?");
  const std::string& address = arguments[1];
  if (action == "remove") {
    auto removed = store.db().transact([&]() -> gvo::storage::Result<bool> {
      auto done = staff.remove(address);  // what waits for them in the outbox goes too
      if (done && done.value()) {
        gvo::storage::AuditLog audit(store);
        if (auto recorded = audit.record(now, "admin", std::nullopt, "staff_removed", address);
            !recorded) {
          return std::move(recorded).error();
        }
      }
      return done;
    });
    if (!removed) return failed(removed.error());
    if (!removed.value()) return usage("staff remove: no such member");
    std::printf("gvo-bot: %s removed\n", address.c_str());
    return 0;
  }
  if (action == "verify") {
    if (arguments.size() < 3)
      return usage(
          "staff verify ADDRESS FINGERPRINT (as the member reads it out from their device)");
    std::string given;
    for (std::size_t i = 2; i < arguments.size(); ++i) given += arguments[i];
    auto member = staff.find(address);
    if (!member) return failed(member.error());
    if (!member.value()) return usage("staff verify: no such member");
    std::string unavailable;
    const auto identity = staff_identities(config, store, now * 1000, unavailable)(address);
    if (!unavailable.empty()) {
      std::fprintf(stderr, "gvo-bot: the keys cannot be read: %s\n", unavailable.c_str());
      return daemon::kExitFailure;
    }
    auto digits = [](std::string text) {
      text.erase(std::remove(text.begin(), text.end(), ' '), text.end());
      return text;
    };
    if (!identity)
      return usage("staff verify: no key for this address yet (they must write first)");
    if (digits(identity->fingerprint) != digits(given)) {
      // Never the fingerprint held: the check would become copy and paste.
      gvo::storage::AuditLog audit(store);
      (void)store.db().transact(
          [&] { return audit.record(now, "admin", std::nullopt, "verify_refused", address); });
      std::fprintf(stderr,
                   "gvo-bot: that is not the fingerprint of the key held for %s: check it with "
                   "them again (this attempt is recorded)\n",
                   address.c_str());
      return daemon::kExitFailure;
    }
    auto verified = store.db().transact([&]() -> gvo::storage::Result<void> {
      if (auto done = staff.verify(member.value()->id, identity->key, now); !done) return done;
      gvo::storage::AuditLog audit(store);
      return audit.record(now, "admin", std::nullopt, "staff_verified", address);
    });
    if (!verified) return failed(verified.error());
    std::printf("gvo-bot: %s verified; their role is active\n", address.c_str());
    return 0;
  }
  // add ADDRESS ROLE [--centres a,b] [--language fr] [--valid-hours H]
  // enrol ADDRESS [--valid-hours H]
  const bool adding = action == "add";
  if (adding && arguments.size() < 3) return usage("staff add ADDRESS coordinator|referent");
  const auto role = gvo::storage::parse_staff_role(adding ? arguments[2] : std::string());
  if (adding && !role) return usage("staff add: the role is coordinator or referent");
  if (!valid_address(address))
    return usage("staff: an address is a relay account or a Signal ACI, without spaces");
  // A number can move to another account; messages come from the account's ACI.
  if (config.transport == gvo::core::TransportKind::signal_cli && address.front() == '+')
    return usage("staff: on signal-cli a member is their ACI (sourceUuid), not a phone number");
  std::vector<std::string> centres;
  std::string language = "fr";
  long valid_hours = kDefaultEnrolmentHours;
  for (std::size_t i = adding ? 3 : 2; i < arguments.size(); ++i) {
    const std::string& option = arguments[i];
    if (option == "--trust-first-key") {
      return usage(
          "staff add: --trust-first-key is gone: the member enrols with the code this command "
          "prints, or is verified by fingerprint");
    }
    if (i + 1 >= arguments.size()) return usage("staff: unknown option or missing value");
    const std::string& value = arguments[++i];
    if (option == "--valid-hours") {
      char* end = nullptr;
      valid_hours = std::strtol(value.c_str(), &end, 10);
      if (end == value.c_str() || *end != '\0' || valid_hours < 1 || valid_hours > 24 * 30)
        return usage("staff: --valid-hours is a number of hours from 1 to 720");
    } else if (adding && option == "--language") {
      language = value;
      if (language != "fr" && language != "nl" && language != "en" && language != "ar")
        return usage("staff add: --language is fr, nl, en or ar");
    } else if (adding && option == "--centres") {
      std::size_t start = 0;
      while (start <= value.size()) {
        const std::size_t end = std::min(value.find(',', start), value.size());
        if (end > start) centres.push_back(value.substr(start, end - start));
        start = end + 1;
      }
    } else {
      return usage("staff: unknown option or missing value");
    }
  }
  if (adding && role == gvo::storage::StaffRole::referent && centres.empty())
    return usage("staff add: a referent needs --centres (ids of centres.json)");
  if (adding && !centres.empty()) {
    const auto flows = gvo::desk::load_flows(config.flows_dir);
    for (const auto& centre : centres) {
      if (flows->validators->centres().find(centre) == nullptr)
        return usage(("staff add: no centre '" + centre + "' in centres.json").c_str());
    }
  }
  std::array<std::uint8_t, gvo::cases::kEnrolmentRandomBytes> random{};
  if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) {
    std::fprintf(stderr, "gvo-bot: no randomness for an enrolment code\n");
    return daemon::kExitFailure;
  }
  const std::string code = gvo::cases::make_enrolment_code(random);
  const std::int64_t expires_at = now + valid_hours * 3600;
  bool missing = false;
  auto issued = store.db().transact([&]() -> gvo::storage::Result<void> {
    gvo::storage::StaffId id = 0;
    if (adding) {
      auto added = staff.add(address, *role, centres, language, now);
      if (!added) return std::move(added).error();
      id = added.value();
    } else {
      auto member = staff.find(address);
      if (!member) return std::move(member).error();
      if (!member.value()) {
        missing = true;
        return {};
      }
      id = member.value()->id;
    }
    auto normalised = gvo::cases::find_enrolment_code(code);
    if (auto done = staff.set_enrolment(id, normalised.value_or(code), expires_at); !done)
      return done;
    gvo::storage::AuditLog audit(store);
    return audit.record(now, "admin", std::nullopt, adding ? "staff_added" : "enrolment_issued",
                        address);
  });
  if (!issued) {
    if (issued.code() == gvo::storage::Errc::constraint)
      return usage("staff add: this address is already registered (a new code: staff enrol)");
    return failed(issued.error());
  }
  if (missing) return usage("staff enrol: no such member");
  std::fprintf(stderr, "gvo-bot: %s%s. Their enrolment code, shown this once, valid %ld hours:\n",
               address.c_str(),
               adding ? (" added as " + std::string(gvo::storage::to_string(*role))).c_str()
                      : ": a new code",
               valid_hours);
  std::printf("%s\n", code.c_str());
  std::fprintf(stderr,
               "Give it to them by another way than this chat. Their first message to the bot "
               "carries it (\"enrol\" and the code; gvo-chat --enrol CODE); their identity key "
               "is pinned then, and their role is active.\n");
  return 0;
}

// Anonymous counts, living and purged cases together: CSV for coordinators' spreadsheets.
int print_stats(const gvo::core::Config& config, bool csv) {
  gvo::storage::Store store =
      daemon::open_store(config, daemon::KeyCreation::refused, gvo::desk::case_indexer());
  auto counts = gvo::desk::count_cases(store);
  if (!counts) {
    std::fprintf(stderr, "gvo-bot: %s\n", gvo::storage::describe(counts.error()).c_str());
    return daemon::kExitFailure;
  }
  if (csv) {
    std::fputs(gvo::desk::to_csv(counts.value()).c_str(), stdout);
    return 0;
  }
  std::printf("%-8s %-16s %-14s %s\n", "month", "centre", "status", "count");
  for (const auto& count : counts.value()) {
    std::printf("%-8s %-16s %-14s %lld\n", count.month.c_str(), count.centre.c_str(),
                count.status.c_str(), static_cast<long long>(count.count));
  }
  return 0;
}

// Signal asked for a captcha before the bot may send again (the bot logged the challenge token).
int answer_captcha(const gvo::core::Config& config, const std::string& challenge,
                   const std::string& captcha) {
  if (config.transport != gvo::core::TransportKind::signal_cli) {
    std::fprintf(stderr,
                 "gvo-bot: 'captcha' is for the signal-cli transport; this configuration "
                 "uses the relay\n");
    return daemon::kExitConfig;
  }
  const auto& cli = config.signal_cli;
  if (!cli.subscribe) {
    std::fprintf(stderr,
                 "gvo-bot: warning: with signal_cli.receive_mode on-connection, a message that "
                 "arrives while this command is connected is handed to it and lost to the bot; "
                 "deploy/signal-cli.service runs --receive-mode=manual\n");
  }
  using Outcome = gvo::transport::ChallengeAnswer::Outcome;
  const auto answer =
      gvo::transport::submit_captcha({cli.socket, cli.host, static_cast<unsigned short>(cli.port)},
                                     cli.account, challenge, captcha);
  switch (answer.outcome) {
    case Outcome::accepted:
      std::printf(
          "Signal accepted the captcha. The bot sends again at its next try (within five "
          "minutes), or at once if restarted.\n");
      return 0;
    case Outcome::rejected:
      std::fprintf(stderr,
                   "gvo-bot: Signal rejected the captcha: %s. Solve a new one at "
                   "https://signalcaptchas.org/challenge/generate.html and run this again.\n",
                   answer.detail.c_str());
      return daemon::kExitFailure;
    default:
      std::fprintf(stderr, "gvo-bot: the captcha was not handed over: %s\n", answer.detail.c_str());
      return daemon::kExitFailure;
  }
}

// gvo-bot relay-claim CODE: one login as the bot's account with its claim code; the relay then
// keeps the bot's secret (made now if the database has none yet).
int claim_relay_account(const gvo::core::Config& config, const std::string& code) {
  if (config.transport != gvo::core::TransportKind::relay) {
    std::fprintf(stderr,
                 "gvo-bot: 'relay-claim' is for the relay transport; this configuration "
                 "uses signal-cli\n");
    return daemon::kExitConfig;
  }
  gvo::storage::Store store = daemon::open_store(
      config,
      config.sealing.create_key ? daemon::KeyCreation::allowed : daemon::KeyCreation::refused,
      gvo::desk::case_indexer());
  gvo::transport::RelayAccount account = relay_account(config, relay_secret(store));
  account.claim = code;
  const auto outcome = gvo::transport::login_once(account, std::chrono::seconds(20));
  using Kind = gvo::transport::LoginOutcome::Kind;
  if (outcome.kind == Kind::accepted) {
    std::printf("gvo-bot: the relay at %s accepted the claim: the account %s is the bot's\n",
                relay_address(config).c_str(), config.relay.account.c_str());
    return 0;
  }
  if (outcome.kind == Kind::refused) {
    std::fprintf(stderr, "gvo-bot: %s\n",
                 outcome.status == 0
                     ? ("cannot trust the relay at " + relay_address(config) + ": " +
                        outcome.reason + ": set relay.ca_file or relay.certificate_sha256")
                           .c_str()
                     : ("the relay refused the claim as " + config.relay.account + " (" +
                        std::to_string(outcome.status) + ": " + outcome.reason + ")")
                           .c_str());
    return daemon::kExitFailure;
  }
  std::fprintf(stderr, "gvo-bot: the relay at %s could not be reached: %s\n",
               relay_address(config).c_str(),
               outcome.reason.empty() ? "no answer" : outcome.reason.c_str());
  return daemon::kExitFailure;
}

// gvo-bot fingerprint: the bot's identity key as people compare it (gvo-chat --expect-bot).
int print_fingerprint(const gvo::core::Config& config) {
  if (config.transport != gvo::core::TransportKind::relay) {
    std::fprintf(stderr,
                 "gvo-bot: on signal-cli the bot's keys are signal-cli's: people compare "
                 "its safety number in the Signal app\n");
    return daemon::kExitConfig;
  }
  gvo::storage::Store store = daemon::open_store(
      config,
      config.sealing.create_key ? daemon::KeyCreation::allowed : daemon::KeyCreation::refused,
      gvo::desk::case_indexer());
  auto endpoint =
      gvo::signal::Endpoint::open(store, gvo::desk::unix_millis(std::chrono::system_clock::now()));
  if (!endpoint) {
    std::fprintf(stderr, "gvo-bot: %s\n", gvo::signal::describe(endpoint.error()).c_str());
    return daemon::kExitFailure;
  }
  std::printf("%s\n", gvo::signal::fingerprint_of(endpoint.value()->identity_key()).c_str());
  return 0;
}

int check_config(const gvo::core::Config& config, const std::string& source) {
  const std::string key_status = daemon::check_keys(config);
  std::printf("%s: configuration is valid\n%s\n",
              source.empty() ? "embedded defaults" : source.c_str(), key_status.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  ::umask(077);  // every file gvo-bot creates is the service user's alone
  if (const std::string weak = gvo::daemon::harden_process(); !weak.empty())
    gvo::log::warning(weak);
  const std::vector<std::string> args(argv + 1, argv + argc);
  auto command_line = daemon::parse_command_line(args);
  if (!command_line) {
    std::fprintf(stderr, "gvo-bot: %s\nTry 'gvo-bot --help'.\n",
                 command_line.error().detail.c_str());
    return daemon::kExitUsage;
  }
  switch (command_line->command) {
    case daemon::Command::help:
      std::fputs(daemon::usage_text("gvo-bot").c_str(), stdout);
      return 0;
    case daemon::Command::version:
      std::printf("gvo-bot %s\n", GVO_VERSION);
      return 0;
    case daemon::Command::check_flows:
      return check_flows(command_line->files);
    default:
      break;
  }
  try {
    const gvo::core::Config config = daemon::load_config(command_line->config_path);
    log::set_level(daemon::log_level_of(config.log_level));
    switch (command_line->command) {
      case daemon::Command::check_config:
        return check_config(config, command_line->config_path);
      case daemon::Command::init:
        return init_bot(config);
      case daemon::Command::export_cases:
        return export_cases(config, command_line->output_path);
      case daemon::Command::staff:
        return manage_staff(config, command_line->arguments);
      case daemon::Command::stats:
        return print_stats(config, command_line->csv);
      case daemon::Command::relay_claim:
        return claim_relay_account(config, command_line->arguments.at(0));
      case daemon::Command::fingerprint:
        return print_fingerprint(config);
      case daemon::Command::captcha:
        return answer_captcha(config, command_line->arguments.at(0), command_line->arguments.at(1));
      default:
        return run_bot(config);
    }
  } catch (const daemon::StartupError& error) {
    log_each_line(error.what());
    return error.exit_code();
  } catch (const gvo::desk::FlowsError& error) {
    log_each_line(error.what());
    return daemon::kExitConfig;
  } catch (const std::exception& error) {
    log::error(std::string("unexpected failure: ") + error.what());
    return daemon::kExitFailure;
  }
}
