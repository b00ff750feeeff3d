#include "bot/service/transports.hpp"

#include <set>
#include <utility>

#include "bot/daemon/service_manager.hpp"
#include "bot/daemon/startup.hpp"
#include "bot/log/log.hpp"
#include "bot/service/identities.hpp"
#include "bot/signal/endpoint.hpp"
#include "bot/transport/relay_login.hpp"
#include "bot/transport/signal_cli_transport.hpp"
#include "storage/staff.hpp"

namespace gvo::service {
namespace {

std::int64_t unix_ms(const Clock& clock) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock().time_since_epoch()).count();
}

// The relay: the bot encrypts itself, with its endpoint's keys in this store.
class RelayTransport final : public Transport {
 public:
  RelayTransport(boost::asio::io_context& io, const core::Config& config, storage::Store& store,
                 transport::Messenger::Handlers handlers, const Clock& clock)
      : endpoint_(open_endpoint(store, clock)),
        where_("relay " + transport::relay_address(config)) {
    // Ready (systemd's READY=1, the "ready" line) only once logged in as itself with its keys
    // uploaded: a bot the relay refuses says why, keeps trying, and is never reported ready.
    handlers.ready = [this, ready = std::move(handlers.ready), account = config.relay.account] {
      log::info("connected to the relay as " + account);
      if (std::exchange(reported_ready_, true)) return;
      if (ready) ready();
    };
    handlers.refused = [config](int status, const std::string& reason) {
      log::error(transport::relay_refusal(config, status, reason));
    };
    messenger_ = std::make_unique<transport::Messenger>(io, store, *endpoint_, login(config, store),
                                                        std::move(handlers));
  }

  void start() override { messenger_->start(); }
  void stop() override { messenger_->stop(); }
  void flush() override { messenger_->flush(); }
  std::optional<desk::Identity> identity(const std::string& address) override {
    return identity_of(*endpoint_, address);
  }
  // The relay transport's sessions are rows of this database, removed with the person.
  void forget(const std::string&) override {}
  void taken_in(const std::string&) override {}
  std::string where() const override { return where_; }
  bool ready_at_start() const override { return false; }

 private:
  // The bot's login at the relay, checked before any connection (78 when it must not connect).
  static transport::RelayAccount login(const core::Config& config, storage::Store& store) {
    try {
      return transport::relay_account(config, transport::relay_secret(store));
    } catch (const transport::RelayLoginError& error) {
      using Kind = transport::RelayLoginError::Kind;
      throw daemon::StartupError(
          error.kind() == Kind::config ? daemon::kExitConfig : daemon::kExitFailure, error.what());
    }
  }

  static std::unique_ptr<signal::Endpoint> open_endpoint(storage::Store& store,
                                                         const Clock& clock) {
    auto opened = signal::Endpoint::open(store, unix_ms(clock));
    if (!opened) throw daemon::StartupError(daemon::kExitFailure, signal::describe(opened.error()));
    return std::move(opened).value();
  }

  std::unique_ptr<signal::Endpoint> endpoint_;
  std::unique_ptr<transport::Messenger> messenger_;
  std::string where_;
  bool reported_ready_ = false;
};

// signal-cli holds the account and does the encryption.
class SignalCliWired final : public Transport {
 public:
  SignalCliWired(boost::asio::io_context& io, const core::Config& config, storage::Store& store,
                 transport::Messenger::Handlers handlers, const Clock& clock)
      : store_(store), expiration_seconds_(config.signal_cli.host_expiration_seconds) {
    // Ready (systemd's READY=1, the "ready" line) once signal-cli is reached and holds the
    // account the bot uses: a bot that cannot serve hosts is never reported ready. Under
    // systemd, a signal-cli that is not up within TimeoutStartSec fails the start, and
    // Restart=on-failure tries again; meanwhile the log says why (a warning after 5 s, an error
    // after a minute). Reported once: a later reconnection is logged, not reported.
    handlers.ready = [this, ready = std::move(handlers.ready)] {
      if (std::exchange(reported_ready_, true)) return;
      if (ready) ready();
    };
    const auto& cli = config.signal_cli;
    transport::SignalCliSettings settings{
        {cli.socket, cli.host, static_cast<unsigned short>(cli.port)},
        cli.account,
        cli.profile_name,
        cli.host_expiration_seconds,
        cli.typing_indicators,
        cli.subscribe};
    where_ = "signal-cli " +
             (cli.socket.empty() ? cli.host + ":" + std::to_string(cli.port) : cli.socket);
    transport_ = std::make_unique<transport::SignalCliTransport>(io, store, std::move(settings),
                                                                 std::move(handlers), clock);
  }

  void start() override { transport_->start(); }
  void stop() override { transport_->stop(); }
  void flush() override { transport_->flush(); }
  std::optional<desk::Identity> identity(const std::string& address) override {
    return identity_of(transport_->identity(address));
  }
  void forget(const std::string& address) override {
    expiring_.erase(address);
    transport_->forget(address);
  }
  // Hosts' conversations disappear after the configured time; staff's do not. Set once per
  // person and run (signal-cli keeps it).
  void taken_in(const std::string& address) override {
    if (expiration_seconds_ <= 0 || !expiring_.insert(address).second) return;
    auto member = storage::StaffStore(store_).find(address);
    if (member && !member.value()) transport_->set_expiration(address, expiration_seconds_);
  }
  std::string where() const override { return where_; }
  bool ready_at_start() const override { return false; }

 private:
  storage::Store& store_;
  int expiration_seconds_;
  std::unique_ptr<transport::SignalCliTransport> transport_;
  std::set<std::string> expiring_;
  std::string where_;
  bool reported_ready_ = false;
};

}  // namespace

std::unique_ptr<Transport> make_transport(boost::asio::io_context& io, const core::Config& config,
                                          storage::Store& store,
                                          transport::Messenger::Handlers handlers, Clock clock) {
  if (config.transport == core::TransportKind::relay)
    return std::make_unique<RelayTransport>(io, config, store, std::move(handlers), clock);
  return std::make_unique<SignalCliWired>(io, config, store, std::move(handlers), clock);
}

}  // namespace gvo::service
