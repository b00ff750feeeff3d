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

#include "bot/admin/commands.hpp"
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
#include "bot/transport/relay_login.hpp"
#include "bot/transport/signal_cli_once.hpp"
#include "bot/transport/signal_cli_transport.hpp"
#include "flows/loader.hpp"
#include "storage/cases.hpp"
#include "storage/checkpoints.hpp"
#include "storage/outbox.hpp"
#include "storage/staff.hpp"

namespace {

namespace daemon = gvo::daemon;
namespace log = gvo::log;
using gvo::transport::relay_account;
using gvo::transport::relay_address;
using gvo::transport::relay_refusal;
using gvo::transport::relay_secret;

// A start-up error can hold several problems, one per line (every bad key of a config file).
void log_each_line(const std::string& text) {
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    if (end > start) log::error(text.substr(start, end - start));
    start = end + 1;
  }
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

std::array<std::uint8_t, gvo::cases::kReferenceRandomBytes> random_reference_bits() {
  std::array<std::uint8_t, gvo::cases::kReferenceRandomBytes> bits{};
  if (RAND_bytes(bits.data(), static_cast<int>(bits.size())) != 1)
    throw std::runtime_error("no randomness for a case reference");
  return bits;
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
      return gvo::admin::check_flows(command_line->files);
    default:
      break;
  }
  try {
    const gvo::core::Config config = daemon::load_config(command_line->config_path);
    log::set_level(daemon::log_level_of(config.log_level));
    switch (command_line->command) {
      case daemon::Command::check_config:
        return gvo::admin::check_config(config, command_line->config_path);
      case daemon::Command::init:
        return gvo::admin::init_bot(config);
      case daemon::Command::export_cases:
        return gvo::admin::export_cases(config, command_line->output_path);
      case daemon::Command::staff:
        return gvo::admin::manage_staff(config, command_line->arguments);
      case daemon::Command::stats:
        return gvo::admin::print_stats(config, command_line->csv);
      case daemon::Command::relay_claim:
        return gvo::admin::claim_relay_account(config, command_line->arguments.at(0));
      case daemon::Command::fingerprint:
        return gvo::admin::print_fingerprint(config);
      case daemon::Command::captcha:
        return gvo::admin::answer_captcha(config, command_line->arguments.at(0),
                                          command_line->arguments.at(1));
      default:
        return run_bot(config);
    }
  } catch (const daemon::StartupError& error) {
    log_each_line(error.what());
    return error.exit_code();
  } catch (const gvo::transport::RelayLoginError& error) {
    log::error(error.what());
    return error.kind() == gvo::transport::RelayLoginError::Kind::config ? daemon::kExitConfig
                                                                         : daemon::kExitFailure;
  } catch (const gvo::desk::FlowsError& error) {
    log_each_line(error.what());
    return daemon::kExitConfig;
  } catch (const std::exception& error) {
    log::error(std::string("unexpected failure: ") + error.what());
    return daemon::kExitFailure;
  }
}
