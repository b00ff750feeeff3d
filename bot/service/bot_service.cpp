#include "bot/service/bot_service.hpp"

#include <array>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>

#include <openssl/rand.h>

#include "bot/daemon/service_manager.hpp"
#include "bot/daemon/startup.hpp"
#include "bot/desk/case_index.hpp"
#include "bot/desk/desk.hpp"
#include "bot/log/log.hpp"
#include "bot/service/transports.hpp"
#include "bot/transport/alarm.hpp"
#include "bot/transport/event_loop.hpp"
#include "bot/transport/take_in.hpp"
#include "storage/checkpoints.hpp"
#include "storage/outbox.hpp"
#include "storage/peers.hpp"
#include "storage/staff.hpp"

namespace gvo::service {
namespace {

// The config's flood limits over the desk's defaults.
cases::RateLimitSettings flood_limits(const core::FloodConfig& flood) {
  cases::RateLimitSettings limits;
  const auto set = [](const std::optional<int>& value, double& limit) {
    if (value) limit = *value;
  };
  set(flood.host_per_minute, limits.per_sender_per_minute);
  set(flood.host_burst, limits.per_sender_burst);
  set(flood.staff_per_minute, limits.staff_per_minute);
  set(flood.staff_burst, limits.staff_burst);
  set(flood.all_hosts_per_minute, limits.everyone_per_minute);
  set(flood.all_hosts_burst, limits.everyone_burst);
  return limits;
}

using storage::Audience;

// How long the timers wait after a run of them failed.
constexpr std::int64_t kTimerRetryMs = 60 * 1000;

// The bot's clock: the system's, or for tests one that starts at a given UTC time and runs on.
Clock make_clock(const core::Config& config) {
  if (config.test_clock_start.empty()) return [] { return std::chrono::system_clock::now(); };
  flows::CivilDate day;
  int hour = 0, minute = 0, second = 0;
  std::sscanf(config.test_clock_start.c_str(), "%d-%d-%dT%d:%d:%d", &day.year, &day.month, &day.day,
              &hour, &minute, &second);
  const auto start = std::chrono::system_clock::time_point(std::chrono::seconds(
      flows::days_from_civil(day) * 86400L + hour * 3600L + minute * 60L + second));
  const auto launched = std::chrono::steady_clock::now();
  log::warning("test clock in use: the bot's time starts at " + config.test_clock_start);
  return [start, launched] {
    return start + std::chrono::duration_cast<std::chrono::system_clock::duration>(
                       std::chrono::steady_clock::now() - launched);
  };
}

std::array<std::uint8_t, cases::kReferenceRandomBytes> random_reference_bits() {
  std::array<std::uint8_t, cases::kReferenceRandomBytes> bits{};
  if (RAND_bytes(bits.data(), static_cast<int>(bits.size())) != 1)
    throw std::runtime_error("no randomness for a case reference");
  return bits;
}

// One run: members in the order they are made; the transport outlives the desk that asks it for
// keys, and both stop before the store closes.
class BotRun {
 public:
  explicit BotRun(const core::Config& config)
      : config_(config),
        store_(daemon::open_store(
            config,
            config.sealing.create_key ? daemon::KeyCreation::allowed : daemon::KeyCreation::refused,
            desk::case_indexer())),
        clock_(make_clock(config)) {}

  int run() {
    start_checkpoints();
    if (const auto& migration = store_.migration(); migration.from != migration.to) {
      log::notice("database schema migrated from version " + std::to_string(migration.from) +
                  " to " + std::to_string(migration.to));
    }
    if (config_.replies == core::ReplyMode::flow) {
      flows_ = desk::load_flows(config_.flows_dir);
      if (flows_->library.latest(config_.flow) == nullptr) {
        throw daemon::StartupError(daemon::kExitConfig,
                                   "no flow '" + config_.flow + "' in " + config_.flows_dir);
      }
    }
    transport_ = make_transport(loop_.context(), config_, store_, handlers(), clock_);
    if (flows_) start_desk();
    alarm_ = std::make_unique<transport::Alarm>(loop_.context(), clock_, [this] { ring(); });

    transport_->start();
    rearm();
    const int signal_number = loop_.run_until_signal([this] {
      if (transport_->ready_at_start()) report_ready();
    });
    daemon::notify_stopping();
    alarm_->cancel();
    transport_->stop();
    log::info(std::string("stopping on ") + (signal_number == SIGINT ? "SIGINT" : "SIGTERM"));
    return 0;
  }

 private:
  // Checkpoints run on a thread of their own: no message waits for one.
  void start_checkpoints() {
    auto started = storage::BackgroundCheckpoints::start(
        store_.db(), core::resolve_in_data_dir(config_, config_.database));
    if (!started) {
      log::warning("checkpoints stay on the bot's thread: " + storage::describe(started.error()));
      return;
    }
    checkpoints_ = std::move(started).value();
  }

  void start_desk() {
    desk_ = std::make_unique<desk::Desk>(
        store_, *flows_, config_.flow,
        [this](const std::string& address, const std::string& text, Audience audience) {
          return queue(address, text, audience);
        },
        random_reference_bits,
        [this](const std::string& address) { return transport_->identity(address); },
        config_.retention, flood_limits(config_.flood));
    const auto started = store_.db().transact([&] { return desk_->start(clock_()); });
    if (!started)
      throw daemon::StartupError(daemon::kExitFailure, storage::describe(started.error()));
  }

  // In the caller's transaction: the outbox is every transport's.
  storage::Result<void> queue(const std::string& address, const std::string& text,
                              Audience audience) {
    return storage::Outbox(store_).queue(address, text, desk::unix_millis(clock_()), audience);
  }

  // What the pipeline asks of the desk, each inside the savepoint of the message it is about.
  transport::Messenger::Handlers handlers() {
    transport::Messenger::Handlers handlers;
    handlers.received = [this](const transport::Inbound& inbound) -> storage::Result<void> {
      if (!desk_) {
        std::string echo = "echo: " + inbound.text;
        if (inbound.kind != core::MessageKind::text)
          echo += "[" + std::string(core::word_of(inbound.kind)) + "]";
        return queue(inbound.peer, echo, Audience::host);
      }
      return desk_->on_message(inbound.peer, inbound.text, inbound.kind, clock_());
    };
    handlers.committed = [this](const transport::Inbound& inbound) {
      after_commit();
      transport_->taken_in(inbound.peer);
      rearm();
    };
    handlers.sessionless = [this](const std::string& address) -> storage::Result<void> {
      if (!desk_) return {};
      return desk_->on_sessionless(address, clock_());
    };
    handlers.clearance = [this](const std::string& address, Audience audience,
                                const std::optional<storage::Bytes>& key) {
      return clear_to_send(address, audience, key);
    };
    handlers.identity_changed = [this](const std::string& peer) -> storage::Result<bool> {
      log::notice("the identity key of " + transport::peer_log_name(store_, peer) + " changed");
      if (!desk_) return true;
      if (auto handled = desk_->on_identity_changed(peer, clock_()); !handled)
        return std::move(handled).error();
      return true;  // the desk accepts every new key, suspending a member whose key it is
    };
    // Staff keep priority under a flood (DESIGN §7): theirs are taken before anyone else's.
    handlers.priority = [this](const std::string& peer) {
      auto member = storage::StaffStore(store_).find(peer);
      return member && member.value().has_value();
    };
    handlers.ready = [this] { report_ready(); };
    return handlers;
  }

  // The confidentiality gate. Echo mode has no desk: nothing but notices to a member of staff.
  storage::Result<storage::Clearance> clear_to_send(const std::string& address, Audience audience,
                                                    const std::optional<storage::Bytes>& key) {
    if (desk_) return desk_->clear_to_send(address, audience, key, clock_());
    auto member = storage::StaffStore(store_).find(address);
    if (!member) return std::move(member).error();
    if (member.value() && audience != Audience::notice) return storage::Clearance::drop;
    return audience == Audience::staff ? storage::Clearance::drop : storage::Clearance::send;
  }

  // After a commit: the WAL truncated after an erasure, so that nothing of the rows stays there;
  // a person removed is forgotten by the transport too (only when the removal did commit: a
  // savepoint rolled back may have named them).
  void after_commit() {
    if (!desk_) return;
    if (desk_->take_erase_done()) {
      if (auto truncated = store_.db().checkpoint_truncate(); !truncated)
        log::warning("the WAL could not be truncated after an erasure; it will be at the next");
    }
    for (const auto& address : desk_->take_removed_addresses()) {
      auto still = storage::Peers(store_).find(address);
      if (still && !still.value()) transport_->forget(address);
    }
  }

  // Timers are rows; the alarm wakes for the earliest, runs what is due in one transaction,
  // sends what it queued, and sleeps again.
  void ring() {
    if (!desk_) return;
    const auto ran = store_.db().transact([&] { return desk_->on_due_timers(clock_()); });
    if (ran) {
      after_commit();
    } else {
      log::error("timers: " + storage::describe(ran.error()) + "; retrying in a minute");
      (void)desk_->take_removed_addresses();  // rolled back: nobody was removed
      (void)desk_->take_erase_done();
    }
    transport_->flush();
    if (ran) return rearm();
    alarm_->set(desk::unix_millis(clock_()) + kTimerRetryMs);
  }

  void rearm() {
    if (!desk_ || !alarm_) return;
    auto next = desk_->next_timer_ms();
    if (!next) {
      log::error("timers: " + storage::describe(next.error()) + "; looked at again in a minute");
      return alarm_->set(desk::unix_millis(clock_()) + kTimerRetryMs);
    }
    alarm_->set(next.value());
  }

  void report_ready() {
    const std::string status = "ready, database schema version " +
                               std::to_string(store_.migration().to) + ", " + transport_->where();
    log::info(status);
    daemon::notify_ready(status);
  }

  const core::Config& config_;
  storage::Store store_;
  // Declared after the store, so that it stops first.
  std::unique_ptr<storage::BackgroundCheckpoints> checkpoints_;
  Clock clock_;
  std::unique_ptr<desk::FlowSet> flows_;
  transport::EventLoop loop_;
  std::unique_ptr<Transport> transport_;
  std::unique_ptr<desk::Desk> desk_;
  std::unique_ptr<transport::Alarm> alarm_;
};

}  // namespace

int run_bot(const core::Config& config) { return BotRun(config).run(); }

}  // namespace gvo::service
