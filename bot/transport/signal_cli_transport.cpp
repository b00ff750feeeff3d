#include "bot/transport/signal_cli_transport.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "bot/daemon/log.hpp"
#include "storage/outbox.hpp"
#include "storage/peers.hpp"

namespace gvo::transport {

namespace asio = boost::asio;
namespace log = daemon::log;
namespace rpc = core::signal_cli;

namespace {

constexpr std::size_t kSendWindow = 64;
constexpr std::int64_t kNetworkRetryMs = 5000;
constexpr std::int64_t kIdentityRetryMs = 1000;

}  // namespace

class SignalCliTransport::Impl : public std::enable_shared_from_this<SignalCliTransport::Impl> {
 public:
  Impl(asio::io_context& io, storage::Store& store, SignalCliSettings settings, Handlers handlers,
       Clock clock, SignalCliTimings timings)
      : io_(io),
        store_(store),
        settings_(std::move(settings)),
        handlers_(std::move(handlers)),
        clock_(std::move(clock)),
        timings_(timings),
        retry_timer_(io) {}

  void start() {
    SignalCliClient::Handlers handlers;
    std::weak_ptr<Impl> weak = shared_from_this();
    handlers.connected = [weak] {
      if (auto self = weak.lock()) self->on_connected();
    };
    handlers.envelope = [weak](const rpc::Envelope& envelope) {
      if (auto self = weak.lock()) self->on_envelope(envelope);
    };
    handlers.disconnected = [weak](const std::string&) {
      if (auto self = weak.lock()) self->in_flight_.clear();
    };
    client_ = std::make_unique<SignalCliClient>(io_, settings_.address, handlers, timings_);
    client_->start();
  }

  void stop() {
    retry_timer_.cancel();
    if (client_) client_->stop();
  }

  bool connected() const { return client_ && client_->connected(); }

  std::optional<rpc::KnownIdentity> identity(const std::string& address) const {
    const auto it = identities_.find(address);
    if (it == identities_.end()) return std::nullopt;
    return it->second;
  }

  // Reads every identity signal-cli holds; one reading at a time, another after it if asked.
  void refresh_identities() {
    if (!connected()) return;
    if (refreshing_) {
      refresh_again_ = true;
      return;
    }
    refreshing_ = true;
    std::weak_ptr<Impl> weak = shared_from_this();
    client_->call(
        [&](std::int64_t id) { return rpc::list_identities_request(id, settings_.account); },
        [weak](const CallResult& result) {
          auto self = weak.lock();
          if (!self) return;
          self->refreshing_ = false;
          if (!result.failure) {
            if (auto known = rpc::read_identities(result.response.result)) {
              for (auto& each : known.value()) {
                if (!each.number.empty()) self->identities_[each.number] = each;
                if (!each.uuid.empty()) self->identities_[each.uuid] = std::move(each);
              }
            }
          }
          if (std::exchange(self->refresh_again_, false)) self->refresh_identities();
        });
  }
  const SignalCliStatus& status() const { return status_; }

  storage::Result<void> send(const std::string& address, std::string_view text) {
    return storage::Outbox(store_).queue(address, text, now_ms());
  }

  void typing(const std::string& address, bool stop) {
    if (!connected()) return;
    client_->call(
        [&](std::int64_t id) { return rpc::typing_request(id, settings_.account, address, stop); },
        [](const CallResult&) {});
  }

  void set_expiration(const std::string& address, int seconds) {
    if (!connected()) return;
    client_->call(
        [&](std::int64_t id) {
          return rpc::update_contact_request(id, settings_.account, address, seconds);
        },
        [](const CallResult& result) {
          if (result.failure) log::warning("signal-cli: a disappearing-message timer was not set");
        });
  }

  // Sends what the outbox holds, a window at a time, each recipient's messages in order.
  void flush() {
    if (!connected()) return;
    auto waiting = storage::Outbox(store_).waiting(kSendWindow * 4);
    if (!waiting) return;
    const std::int64_t now = now_ms();
    std::set<storage::PeerId> held_back;
    std::int64_t next_due = 0;
    for (const auto& row : waiting.value()) {
      if (in_flight_.size() >= kSendWindow) break;
      if (in_flight_.count(row.id) != 0 || held_back.count(row.peer) != 0 ||
          busy_peers_.count(row.peer) != 0) {
        held_back.insert(row.peer);
        continue;
      }
      if (row.due_ms > now) {
        held_back.insert(row.peer);
        if (next_due == 0 || row.due_ms < next_due) next_due = row.due_ms;
        continue;
      }
      send_row(row.id, row.peer);
      held_back.insert(row.peer);  // one at a time per recipient: order is kept
    }
    if (next_due > 0) flush_later(std::chrono::milliseconds(next_due - now));
  }

 private:
  std::int64_t now_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(clock_().time_since_epoch())
        .count();
  }

  void on_connected() {
    // The name people see; a failure is logged and the bot goes on.
    client_->call(
        [&](std::int64_t id) {
          return rpc::update_profile_request(id, settings_.account, settings_.profile_name);
        },
        [](const CallResult& result) {
          if (result.failure) log::warning("signal-cli: the profile name could not be set");
        });
    refresh_identities();
    if (handlers_.ready) handlers_.ready();
    flush();
  }

  // Envelopes arriving together are taken in together: one commit for all of them.
  void on_envelope(const rpc::Envelope& envelope) {
    const bool own = !settings_.account.empty() && (envelope.source_number == settings_.account ||
                                                    envelope.source_uuid == settings_.account);
    if (envelope.untrusted_identity && !envelope.source_uuid.empty()) {
      batch_.push_back(envelope);
    } else if (envelope.kind != rpc::Envelope::Kind::data || !envelope.text ||
               envelope.source_uuid.empty() || own) {
      ++status_.ignored;
      return;
    } else {
      batch_.push_back(envelope);
    }
    if (batch_.size() == 1) {
      std::weak_ptr<Impl> weak = shared_from_this();
      asio::post(io_, [weak] {
        if (auto self = weak.lock()) self->take_batch();
      });
    }
  }

  void take_batch() {
    std::vector<rpc::Envelope> batch = std::move(batch_);
    batch_.clear();
    auto group = store_.db().begin_group();
    if (!group) {
      log::error("signal-cli: cannot open a transaction: " + storage::describe(group.error()));
      return;
    }
    std::vector<Inbound> taken;
    std::vector<std::string> to_trust;
    for (const auto& envelope : batch) {
      if (envelope.untrusted_identity) {
        // The owner decides (a staff member is suspended); signal-cli is then told to trust the
        // new key, so that the messages it keeps for this sender can be read.
        const bool accept =
            !handlers_.identity_changed || handlers_.identity_changed(envelope.source_uuid);
        if (accept) to_trust.push_back(envelope.source_uuid);
        continue;
      }
      Inbound inbound{envelope.source_uuid, envelope.timestamp, *envelope.text};
      bool duplicate = false;
      const auto unit = store_.db().transact([&]() -> storage::Result<void> {
        storage::Peers peers(store_);
        auto peer = peers.find_or_add(inbound.peer, now_ms() / 1000);
        if (!peer) return std::move(peer).error();
        auto fresh =
            storage::first_time_seen(store_, peer.value(), inbound.sent_at_ms, now_ms() / 1000);
        if (!fresh) return std::move(fresh).error();
        if (!fresh.value()) {
          duplicate = true;
          return {};
        }
        if (handlers_.received && !handlers_.received(inbound))
          return storage::fail(storage::Errc::sql_failed, "the owner refused the message");
        return {};
      });
      if (!unit) {
        // signal-cli has already acknowledged it to the server: it cannot be fetched again.
        log::error("signal-cli: a message could not be taken in: " + unit.error().detail);
        continue;
      }
      if (duplicate) {
        ++status_.duplicates;
        continue;
      }
      taken.push_back(std::move(inbound));
    }
    if (auto committed = group->commit(); !committed) {
      log::error("signal-cli: the commit failed: " + storage::describe(committed.error()));
      return;
    }
    ++status_.commits;
    status_.received += taken.size();
    for (const auto& inbound : taken) {
      if (handlers_.committed) handlers_.committed(inbound);
    }
    for (const auto& address : to_trust) trust(address);
    // Someone new: their key is read, for staff verification.
    const bool someone_new = std::any_of(taken.begin(), taken.end(), [&](const Inbound& inbound) {
      return identities_.count(inbound.peer) == 0;
    });
    if (someone_new) refresh_identities();
    flush();
  }

  void trust(const std::string& address) {
    client_->call(
        [&](std::int64_t id) { return rpc::trust_request(id, settings_.account, address); },
        [weak = weak_from_this()](const CallResult& result) {
          if (result.failure) log::warning("signal-cli: a new identity key could not be trusted");
          if (auto self = weak.lock()) self->refresh_identities();
        });
  }

  void send_row(std::int64_t id, storage::PeerId peer) {
    storage::Peers peers(store_);
    auto address = peers.address(peer);
    auto body = storage::Outbox(store_).body(id);
    if (!address || !body) {
      log::error("signal-cli: an outbox row cannot be read; it is dropped");
      (void)storage::Outbox(store_).remove(id);
      return;
    }
    in_flight_.insert(id);
    busy_peers_.insert(peer);
    std::weak_ptr<Impl> weak = shared_from_this();
    const std::string recipient = address.value();
    client_->call(
        [&](std::int64_t call_id) {
          return rpc::send_request(call_id, settings_.account, recipient, body.value());
        },
        [weak, id, peer, recipient](const CallResult& result) {
          if (auto self = weak.lock()) self->on_sent(id, peer, recipient, result);
        });
  }

  void on_sent(std::int64_t id, storage::PeerId peer, const std::string& recipient,
               const CallResult& result) {
    in_flight_.erase(id);
    busy_peers_.erase(peer);
    if (result.failure == CallErrc::disconnected) return;  // sent again on the next connection
    if (result.failure == CallErrc::timeout) return postpone(id, kNetworkRetryMs);
    std::string outcome_json = result.response.result;
    if (result.response.error) {
      const int code = result.response.error->code;
      outcome_json = result.response.error->response;
      if (outcome_json.empty()) {
        // -1 without per-recipient results ("not registered", "empty message"): never
        // deliverable. -3 and internal errors: later.
        if (code == static_cast<int>(rpc::ErrorCode::user))
          return drop(id, "refused by signal-cli");
        return postpone(id, kNetworkRetryMs);
      }
    }
    auto outcome = rpc::read_send_result(outcome_json);
    if (!outcome || outcome->results.empty()) {
      // An old signal-cli answers {"timestamp":N} alone: taken.
      if (!result.response.error) return delivered(id);
      return postpone(id, kNetworkRetryMs);
    }
    const auto& mine = outcome->results.front();
    using Type = rpc::RecipientResult::Type;
    switch (mine.type) {
      case Type::success:
        return delivered(id);
      case Type::unregistered:
        return drop(id, "the recipient is not on Signal any more");
      case Type::rate_limit:
        return postpone(id, 1000 * mine.retry_after_seconds.value_or(60));
      case Type::identity: {
        // The recipient's key changed: the owner decides; if it accepts, signal-cli trusts the
        // new key and the message goes again shortly.
        bool accept = true;
        if (handlers_.identity_changed) {
          const auto decided = store_.db().transact([&]() -> storage::Result<void> {
            accept = handlers_.identity_changed(recipient);
            return {};
          });
          if (!decided) accept = false;
        }
        if (accept) trust(recipient);
        return postpone(id, kIdentityRetryMs);
      }
      default:
        return postpone(id, kNetworkRetryMs);
    }
  }

  // Taken by signal-cli: it leaves the outbox. The rows delivered in one turn of the loop go in
  // one transaction (one fsync), and stay "in flight" until then so that none is sent twice.
  void delivered(std::int64_t id) {
    ++status_.sent;
    in_flight_.insert(id);
    delivered_.push_back(id);
    if (delivered_.size() > 1) return;
    std::weak_ptr<Impl> weak = shared_from_this();
    asio::post(io_, [weak] {
      if (auto self = weak.lock()) self->sweep();
    });
  }

  void sweep() {
    std::vector<std::int64_t> done = std::move(delivered_);
    delivered_.clear();
    storage::Outbox outbox(store_);
    const auto removed = store_.db().transact([&]() -> storage::Result<void> {
      for (std::int64_t id : done) {
        if (auto gone = outbox.remove(id); !gone) return gone;
      }
      return {};
    });
    if (!removed) log::error("signal-cli: sent messages could not leave the outbox (sent again)");
    for (std::int64_t id : done) in_flight_.erase(id);
    flush();
  }

  void drop(std::int64_t id, const char* why) {
    log::notice(std::string("signal-cli: a message was dropped: ") + why);
    (void)storage::Outbox(store_).remove(id);
    flush();
  }

  void postpone(std::int64_t id, std::int64_t wait_ms) {
    ++status_.retried;
    (void)storage::Outbox(store_).postpone(id, now_ms() + wait_ms);
    flush();
  }

  void flush_later(std::chrono::milliseconds wait) {
    retry_timer_.expires_after(std::max(wait, std::chrono::milliseconds(1)));
    std::weak_ptr<Impl> weak = shared_from_this();
    retry_timer_.async_wait([weak](const boost::system::error_code& error) {
      if (auto self = weak.lock(); self && !error) self->flush();
    });
  }

  asio::io_context& io_;
  storage::Store& store_;
  SignalCliSettings settings_;
  Handlers handlers_;
  Clock clock_;
  SignalCliTimings timings_;
  std::unique_ptr<SignalCliClient> client_;
  asio::steady_timer retry_timer_;
  std::vector<rpc::Envelope> batch_;
  std::set<std::int64_t> in_flight_;
  std::vector<std::int64_t> delivered_;
  std::map<std::string, rpc::KnownIdentity> identities_;  // by ACI and by number
  bool refreshing_ = false;
  bool refresh_again_ = false;
  std::set<storage::PeerId> busy_peers_;
  SignalCliStatus status_;
};

SignalCliTransport::SignalCliTransport(asio::io_context& io, storage::Store& store,
                                       SignalCliSettings settings, Handlers handlers, Clock clock,
                                       SignalCliTimings timings)
    : impl_(std::make_shared<Impl>(io, store, std::move(settings), std::move(handlers),
                                   std::move(clock), timings)) {}
SignalCliTransport::~SignalCliTransport() { impl_->stop(); }
void SignalCliTransport::start() { impl_->start(); }
void SignalCliTransport::stop() { impl_->stop(); }
bool SignalCliTransport::connected() const { return impl_->connected(); }
storage::Result<void> SignalCliTransport::send(const std::string& address, std::string_view text) {
  return impl_->send(address, text);
}
void SignalCliTransport::flush() { impl_->flush(); }
void SignalCliTransport::typing(const std::string& address, bool stop) {
  impl_->typing(address, stop);
}
void SignalCliTransport::set_expiration(const std::string& address, int seconds) {
  impl_->set_expiration(address, seconds);
}
const SignalCliStatus& SignalCliTransport::status() const { return impl_->status(); }
std::optional<rpc::KnownIdentity> SignalCliTransport::identity(const std::string& address) const {
  return impl_->identity(address);
}

}  // namespace gvo::transport
