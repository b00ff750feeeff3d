#include "bot/transport/signal_cli_transport.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "bot/log/log.hpp"
#include "bot/transport/outbox_pump.hpp"
#include "storage/outbox.hpp"
#include "storage/peers.hpp"

namespace gvo::transport {

namespace asio = boost::asio;
namespace rpc = core::signal_cli;

namespace {

constexpr std::size_t kSendWindow = 64;
constexpr std::int64_t kNetworkRetryMs = 5000;
constexpr std::int64_t kIdentityRetryMs = 1000;
// A refusal that the operator must fix (the account parameter, an old signal-cli): tried again
// now and then, the message kept.
constexpr std::int64_t kConfigurationRetryMs = 60 * 1000;
constexpr const char* kAccountRefused =
    "signal-cli refuses the account (-32602): on a daemon started without -a, set "
    "signal_cli.account to the bot's number; otherwise check it. Messages are kept.";
// While Signal asks for a captcha, one send tries again after 15 s, 30 s, 1 min... and then every
// 5 minutes: it goes through soon after the operator has solved the challenge (README,
// "Captcha"), well before retryAfterSeconds, and a challenge without a delay (signal-cli 0.13
// says -1) costs a handful of sends an hour, not a loop.
constexpr std::int64_t kChallengeFirstProbeMs = 15 * 1000;
constexpr std::int64_t kChallengeProbeMs = 5 * 60 * 1000;
// A plain rate limit without a delay (signal-cli 0.13 passes none on): the recipient's messages
// wait 5 s, 10 s, 20 s... up to 10 minutes, until one goes through.
constexpr std::int64_t kRateLimitFirstWaitMs = 5 * 1000;
constexpr std::int64_t kRateLimitLongestWaitMs = 10 * 60 * 1000;

// first, doubled for each earlier try, never more than longest.
std::int64_t doubling(std::int64_t first, int tries, std::int64_t longest) {
  return std::min(longest, first << std::min(tries, 16));
}

using Kind = SendOutcome::Kind;

}  // namespace

class SignalCliTransport::Impl : public std::enable_shared_from_this<SignalCliTransport::Impl>,
                                 public PumpAdapter {
 public:
  Impl(asio::io_context& io, storage::Store& store, SignalCliSettings settings, Handlers handlers,
       Clock clock, SignalCliTimings timings)
      : io_(io),
        store_(store),
        settings_(std::move(settings)),
        handlers_(std::move(handlers)),
        clock_(std::move(clock)),
        timings_(timings),
        subscribe_timer_(io),
        reach_timer_(io),
        account_timer_(io),
        take_in_(io, store, take_in_hooks(), "signal-cli", clock_),
        pump_(io, store, *this, handlers_.clearance, "signal-cli", kSendWindow, clock_) {
    take_in_.set_longest_retry(timings_.retry_taking_in);
  }

  void start() {
    SignalCliClient::Handlers handlers;
    std::weak_ptr<Impl> weak = shared_from_this();
    handlers.connected = [weak] {
      if (auto self = weak.lock()) self->on_connected();
    };
    handlers.envelope = [weak](const rpc::Envelope& envelope) {
      if (auto self = weak.lock()) self->on_envelope(envelope);
    };
    handlers.disconnected = [weak](const std::string& why) {
      if (auto self = weak.lock()) {
        if (self->was_connected_) log::warning("signal-cli: the connection ended (" + why + ")");
        self->was_connected_ = false;
        self->serving_ = false;
        self->account_timer_.cancel();
        self->watch_reachability();
        self->sending_to_.clear();
        self->subscription_.reset();  // it ended with the connection
        self->reading_.clear();
        self->pump_.disconnected();
      }
    };
    client_ = std::make_unique<SignalCliClient>(io_, settings_.address, handlers, timings_);
    client_->start();
    watch_reachability();
  }

  // The connection closes; for good, the pipeline's timers end too.
  void stop(bool for_good) {
    subscribe_timer_.cancel();
    reach_timer_.cancel();
    account_timer_.cancel();
    serving_ = false;
    if (client_) client_->stop();
    if (!for_good) return;
    take_in_.stop();
    pump_.stop();
  }

  // Serving: connected, and signal-cli holds the account the bot uses.
  bool connected() const override { return serving_ && client_ && client_->connected(); }

  std::optional<rpc::KnownIdentity> identity(const std::string& address) const {
    const auto it = identities_.find(address);
    if (it == identities_.end()) return std::nullopt;
    return it->second;
  }

  // Reads the identity keys signal-cli holds: all of them (address ""), or one person's. One
  // reading per address at a time; asked again meanwhile, it reads again after.
  void read_identities(const std::string& address) {
    if (!connected()) return;
    if (const auto reading = reading_.find(address); reading != reading_.end()) {
      reading->second = true;
      return;
    }
    reading_[address] = false;
    // This reading vouches for the key of every message to address queued before it started.
    const std::int64_t started_ms = now_ms();
    std::weak_ptr<Impl> weak = shared_from_this();
    client_->call(
        [&](std::int64_t id) {
          return rpc::list_identities_request(id, settings_.account, address);
        },
        [weak, address, started_ms](const CallResult& result) {
          auto self = weak.lock();
          if (!self) return;
          const bool again = self->reading_[address];
          self->reading_.erase(address);
          if (!result.failure) {
            if (auto known = rpc::read_identities(result.response.result)) {
              // One person asked about and none held any more: their old key is forgotten.
              if (!address.empty()) self->identities_.erase(address);
              for (auto& each : known.value()) {
                if (!each.number.empty()) self->identities_[each.number] = each;
                if (!each.uuid.empty()) self->identities_[each.uuid] = std::move(each);
              }
              if (!address.empty()) {
                auto& vouched = self->vouched_since_[address];
                vouched = std::max(vouched, started_ms);
              }
            }
          }
          // A message held for this reading goes on (or waits for the next one); after a reading
          // that failed, not at once.
          if (!again) {
            if (result.failure) {
              self->pump_.resume(address,
                                 SendOutcome{Kind::retry_after, kIdentityRetryMs, "", false});
            } else {
              self->pump_.resume(address);
            }
          }
          if (again) self->read_identities(address);
        });
  }
  const SignalCliStatus& status() const {
    const auto& taken = take_in_.status();
    status_.received = taken.received;
    status_.duplicates = taken.duplicates;
    status_.unreadable = taken.unreadable;
    status_.commits = taken.commits;
    const auto& pumped = pump_.status();
    status_.sent = pumped.sent;
    status_.withheld = pumped.withheld;
    status_.retried = pumped.retried;
    status_.unreachable_said = unreachable_said_;
    return status_;
  }

  storage::Result<void> send(const std::string& address, std::string_view text,
                             storage::Audience audience) {
    return storage::Outbox(store_).queue(address, text, now_ms(), audience);
  }

  // On a linked device signal-cli refuses it (only the primary device may set the timer): said
  // once, and not asked again this run.
  void set_expiration(const std::string& address, int seconds) {
    if (!connected() || status_.linked_device) return;
    client_->call(
        [&](std::int64_t id) {
          return rpc::update_contact_request(id, settings_.account, address, seconds);
        },
        [weak = weak_from_this()](const CallResult& result) {
          auto self = weak.lock();
          if (!self || !result.failure || result.failure == CallErrc::disconnected) return;
          const auto& error = result.response.error;
          if (error && rpc::refused_on_linked_device(*error)) {
            if (!std::exchange(self->status_.linked_device, true)) {
              log::warning(
                  "signal-cli runs as a linked device, and Signal lets only the primary device "
                  "set disappearing messages: hosts' conversations do not disappear "
                  "(signal_cli.host_expiration_seconds is not applied). Register the number with "
                  "signal-cli instead of linking it (README, \"Linked devices\").");
            }
            return;
          }
          if (!std::exchange(self->expiration_failed_said_, true)) {
            log::warning("signal-cli: a disappearing-message timer was not set (" +
                         (error ? error->message : std::string("no answer")) +
                         "); said once a run");
          }
        });
  }

  void forget(const std::string& address) {
    if (!connected()) {
      log::warning("signal-cli: not connected; a forgotten person's keys stay in its data");
      return;
    }
    client_->call(
        [&](std::int64_t id) {
          return rpc::forget_contact_request(id, settings_.account, address);
        },
        [](const CallResult& result) {
          if (result.failure)
            log::warning("signal-cli: a forgotten person's keys were not deleted");
        });
  }

  void flush() { pump_.flush(); }

 private:
  std::int64_t now_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(clock_().time_since_epoch())
        .count();
  }

  // What the address of signal-cli is, for the operator.
  std::string where() const {
    const auto& address = settings_.address;
    if (!address.socket_path.empty()) return address.socket_path;
    return address.host + ":" + std::to_string(address.port);
  }

  // From the start, or the end of a connection: a warning when signal-cli stays out of reach a
  // few seconds, an error after a minute; each once per outage.
  void watch_reachability() {
    reach_timer_.cancel();
    down_since_ = std::chrono::steady_clock::now();
    unreachable_said_ = 0;
    arm_reachability();
  }

  void arm_reachability() {
    if (unreachable_said_ >= 2) return;
    reach_timer_.expires_at(down_since_ + (unreachable_said_ == 0 ? settings_.unreachable_warning
                                                                  : settings_.unreachable_error));
    reach_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& failed) {
      auto self = weak.lock();
      if (!self || failed || (self->client_ && self->client_->connected())) return;
      const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::steady_clock::now() - self->down_since_)
                               .count();
      if (self->unreachable_said_++ == 0) {
        log::warning("signal-cli cannot be reached at " + self->where() + " (for " +
                     std::to_string(seconds) +
                     " s); the bot keeps trying, and its messages wait in the outbox");
      } else {
        log::error("signal-cli has not been reachable at " + self->where() + " for " +
                   std::to_string(seconds) +
                   " s: is its daemon running, and is signal_cli.socket (or host and port) its "
                   "address? The bot keeps trying; hosts get no answer meanwhile.");
      }
      self->arm_reachability();
    });
  }

  void on_connected() {
    was_connected_ = true;
    reach_timer_.cancel();
    if (unreachable_said_ > 0) {
      log::notice("signal-cli is reachable again, after " +
                  std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                     std::chrono::steady_clock::now() - down_since_)
                                     .count()) +
                  " s");
    }
    unreachable_said_ = 0;
    check_account();
  }

  // A daemon started without -a serves any account it holds, and a request that names none only
  // while it holds exactly one (else each is refused, -32602, and subscribeReceive is granted
  // all the same): the bot asks which accounts it holds before it serves.
  void check_account() {
    client_->call(
        [](std::int64_t id) { return rpc::list_accounts_request(id); },
        [weak = weak_from_this()](const CallResult& result) {
          auto self = weak.lock();
          if (!self || result.failure == CallErrc::disconnected) return;
          const std::string missing = self->missing_account(result);
          if (missing.empty()) return self->serve();
          self->status_.account_missing = true;
          if (missing != self->account_said_) log::error(missing);
          self->account_said_ = missing;
          self->account_timer_.expires_after(std::chrono::milliseconds(kConfigurationRetryMs));
          self->account_timer_.async_wait([weak](const boost::system::error_code& failed) {
            auto again = weak.lock();
            if (again && !failed && again->client_->connected() && !again->serving_)
              again->check_account();
          });
        });
  }

  // What the operator must fix, or "" when signal-cli serves the bot's account.
  std::string missing_account(const CallResult& result) const {
    // -32601: a daemon started with -a, serving its one account (a wrong signal_cli.account is
    // not noticed there: it is ignored). No answer or another error: an older daemon; served.
    if (result.failure) return {};
    const auto held = rpc::read_accounts(result.response.result);
    if (!held) return {};
    const std::string count = std::to_string(held->size());
    const std::string kept = " Messages are kept; the bot asks again every minute.";
    if (settings_.account.empty()) {
      if (held->size() == 1) return {};
      if (held->empty()) {
        return "signal-cli runs without -a and holds no account: register or link the bot's "
               "number in it (README, \"The real Signal network\")." +
               kept;
      }
      return "signal-cli runs without -a and holds " + count +
             " accounts: set signal_cli.account to the bot's number." + kept;
    }
    if (std::find(held->begin(), held->end(), settings_.account) != held->end()) return {};
    return "signal-cli does not hold signal_cli.account (" + settings_.account + "); it holds " +
           count +
           " account(s): set signal_cli.account to the bot's number as `signal-cli "
           "listAccounts` shows it." +
           kept;
  }

  // signal-cli serves the bot's account on this connection.
  void serve() {
    serving_ = true;
    status_.account_missing = false;
    account_said_.clear();
    // Keys to trust that waited for a send cut short by the connection's end.
    for (const auto& address : std::exchange(trust_after_send_, {})) trust(address);
    // The name people see; a failure is logged and the bot goes on.
    client_->call(
        [&](std::int64_t id) {
          return rpc::update_profile_request(id, settings_.account, settings_.profile_name);
        },
        [](const CallResult& result) {
          if (result.failure) log::warning("signal-cli: the profile name could not be set");
        });
    read_identities("");
    if (settings_.subscribe && !storage_failing_) subscribe();
    // Messages kept by an earlier run, or while storage failed.
    take_in_.resume_kept();
    if (handlers_.ready) handlers_.ready();
    pump_.flush();
  }

  // Asks signal-cli for this account's messages on this connection (--receive-mode=manual).
  // Refused or unanswered, the bot would receive nothing: it asks again until it is given them.
  void subscribe() {
    client_->call(
        [&](std::int64_t id) { return rpc::subscribe_request(id, settings_.account); },
        [weak = weak_from_this()](const CallResult& result) {
          auto self = weak.lock();
          if (!self || result.failure == CallErrc::disconnected) return;
          if (!result.failure) {
            self->subscribe_failed_ = false;
            self->subscription_ = rpc::read_subscription(result.response.result);
            return;
          }
          const auto& error = result.response.error;
          const bool account_refused =
              error && error->code == static_cast<int>(rpc::ErrorCode::invalid_params);
          if (!self->subscribe_failed_) {  // once, not at every try
            log::error(account_refused ? std::string(kAccountRefused)
                                       : "signal-cli: the subscription to messages failed (" +
                                             (error ? error->message : std::string("no answer")) +
                                             "); the bot asks again until it is given them");
          }
          self->subscribe_failed_ = true;
          self->subscribe_timer_.expires_after(
              std::chrono::milliseconds(account_refused ? kConfigurationRetryMs : kNetworkRetryMs));
          self->subscribe_timer_.async_wait([weak](const boost::system::error_code& failed) {
            if (auto again = weak.lock(); again && !failed && again->connected())
              again->subscribe();
          });
        });
  }

  void unsubscribe() {
    if (!subscription_ || !connected()) return;
    const std::int64_t subscription = *std::exchange(subscription_, std::nullopt);
    client_->call(
        [&](std::int64_t id) {
          return rpc::unsubscribe_request(id, settings_.account, subscription);
        },
        [](const CallResult& result) {
          if (result.failure) log::warning("signal-cli: the subscription could not be paused");
        });
  }

  // --- Receiving: the shared take-in --------------------------------------------------------

  TakeIn::Hooks take_in_hooks() {
    TakeIn::Hooks hooks = owner_hooks(handlers_);
    hooks.read = [this](const Arrival& arrival) { return read(arrival); };
    // The owner's after-commit work, and the keys of people who are new (for staff verification;
    // once per run, so that a person signal-cli holds no key for is not asked about again and
    // again).
    hooks.committed = [this, owner = std::move(hooks.committed)](const Inbound& inbound) {
      owner(inbound);
      if (identities_.count(inbound.peer) == 0 && asked_about_.insert(inbound.peer).second)
        read_identities(inbound.peer);
    };
    hooks.after_commit = [this] { pump_.flush(); };
    // While nothing commits, no more is asked of signal-cli (with a subscription): what Signal's
    // server has not handed over yet stays there, and comes once commits work again.
    hooks.storage_failing = [this](bool failing) {
      storage_failing_ = failing;
      if (failing) return unsubscribe();
      if (settings_.subscribe && connected() && !subscription_) subscribe();
    };
    return hooks;
  }

  // Each data message of a person (never the account's own sync messages), and each notice that
  // someone's key changed.
  void on_envelope(const rpc::Envelope& envelope) {
    // A multi-account daemon sends every account's messages to every client.
    if (!settings_.account.empty() && !envelope.account.empty() &&
        envelope.account != settings_.account) {
      ++status_.ignored;
      return;
    }
    // The account's own devices (its phone's sync messages): never a person to answer. signal-cli
    // names the account in each notification, also when signal_cli.account is not set (a daemon
    // started with -a); 0.13.19 fails to read some sync messages of the phone (a
    // NullPointerException), which must not be taken as a person's unreadable message.
    const bool own = (!settings_.account.empty() && (envelope.source_number == settings_.account ||
                                                     envelope.source_uuid == settings_.account)) ||
                     (!envelope.account.empty() && envelope.source_number == envelope.account);
    Arrival arrival;
    if (envelope.untrusted_identity && !envelope.source_uuid.empty()) {
      arrival.key_change = true;
    } else if (!envelope.exception.empty() && !envelope.source_uuid.empty() && !own) {
      // signal-cli could not read it: counted and logged by the take-in, and the sender asked
      // once to write again.
      arrival.unreadable = envelope.exception;
    } else if (answerable(envelope) && !envelope.source_uuid.empty() && !own) {
      // Words, or something else a person sent (a voice note, a photo, an edit, a call...):
      // each gets an answer.
      arrival.text = envelope.text.value_or(std::string());
      arrival.text_kind = envelope.content;
    } else {
      ++status_.ignored;
      return;
    }
    arrival.peer = envelope.source_uuid;
    arrival.sent_at_ms = envelope.timestamp;
    arrival.priority = handlers_.priority && handlers_.priority(envelope.source_uuid);
    take_in_.arrive(std::move(arrival));
  }

  // What a person sent: a data message with words or anything else the desk answers (not a
  // disappearing-messages timer or a profile key alone), an edit, a call offered. Typing and
  // receipts are not messages.
  static bool answerable(const rpc::Envelope& envelope) {
    switch (envelope.kind) {
      case rpc::Envelope::Kind::data:
        return envelope.text || envelope.content != core::MessageKind::text;
      case rpc::Envelope::Kind::edit:
      case rpc::Envelope::Kind::call:
        return envelope.content != core::MessageKind::text;
      default:
        return false;
    }
  }

  // signal-cli has read the message already; a changed key goes to the owner (a staff member is
  // suspended), and signal-cli is told to trust it once that committed, so that the messages it
  // keeps for this sender can be read.
  Reading read(const Arrival& arrival) {
    Reading reading;
    if (!arrival.unreadable.empty()) {
      reading.kind = Reading::Kind::sessionless;
      reading.why = "signal-cli: " + arrival.unreadable;
      return reading;
    }
    if (!arrival.key_change) {
      reading.kind = Reading::Kind::text;
      reading.text = arrival.text;
      reading.text_kind = arrival.text_kind;
      return reading;
    }
    if (handlers_.identity_changed) {
      auto accepted = handlers_.identity_changed(arrival.peer);
      if (!accepted) {
        reading.why = "the key change: " + storage::describe(accepted.error());
        return reading;
      }
      if (!accepted.value()) {
        reading.kind = Reading::Kind::declined;
        return reading;
      }
    }
    reading.kind = Reading::Kind::nothing;
    reading.then = [weak = weak_from_this(), address = arrival.peer] {
      if (auto self = weak.lock()) self->trust(address);
    };
    return reading;
  }

  void trust(const std::string& address) {
    // Whatever was read of their key before is no longer what signal-cli encrypts to.
    identities_.erase(address);
    vouched_since_.erase(address);
    // A message handed over before the change may still be on its way inside signal-cli: the
    // new key is trusted once it is done, so that signal-cli cannot encrypt it to that key.
    if (sending_to_.count(address) != 0) {
      trust_after_send_.insert(address);
      return;
    }
    client_->call(
        [&](std::int64_t id) { return rpc::trust_request(id, settings_.account, address); },
        [weak = weak_from_this(), address](const CallResult& result) {
          if (result.failure) log::warning("signal-cli: a new identity key could not be trusted");
          if (auto self = weak.lock()) self->read_identities(address);
        });
  }

  // --- Sending: the shared pump's adapter ----------------------------------------------------

  // Only a key read after the message was queued counts as the one signal-cli will encrypt to:
  // signal-cli may have trusted a new one since an older reading.
  Key key_for(const std::string& address, const storage::Outbox::Waiting& row) override {
    Key key;
    const auto vouched = vouched_since_.find(address);
    const bool fresh = vouched != vouched_since_.end() && vouched->second > row.queued_ms;
    if (const auto known = identity(address); fresh && known && !known->fingerprint.empty())
      key.key = storage::Bytes(known->fingerprint.begin(), known->fingerprint.end());
    return key;
  }

  // The key is not known, or not since this message was queued: the recipient's messages wait
  // for a reading of it.
  bool refresh_key(const std::string& address) override {
    if (!connected()) return false;
    read_identities(address);
    return true;
  }

  storage::Result<void> seal(const storage::Outbox::Waiting&, const std::string&) override {
    return {};
  }

  bool wants_more() const override { return settings_.typing_indicators; }

  void send(const storage::Outbox::Waiting& row, const std::string& recipient, bool more,
            std::function<void(SendOutcome)> done) override {
    auto body = storage::Outbox(store_).body(row.id);
    if (!body) return done({Kind::failed, 0, "the message cannot be read", false});
    sending_to_.insert(recipient);
    std::weak_ptr<Impl> weak = shared_from_this();
    client_->call(
        [&](std::int64_t call_id) {
          return rpc::send_request(call_id, settings_.account, recipient, body.value());
        },
        [weak, recipient, more, done = std::move(done)](const CallResult& result) {
          auto self = weak.lock();
          if (!self) return;
          self->sending_to_.erase(recipient);
          if (self->trust_after_send_.erase(recipient) != 0) self->trust(recipient);
          SendOutcome outcome = self->on_sent(recipient, result);
          if (outcome.kind == Kind::delivered) self->delivered(recipient, more, outcome);
          done(std::move(outcome));
        });
  }

  SendOutcome on_sent(const std::string& recipient, const CallResult& result) {
    if (result.failure == CallErrc::disconnected) return {Kind::lost, 0, "", false};
    if (result.failure == CallErrc::timeout) return {Kind::failed, 0, "timeout", false};
    std::string outcome_json = result.response.result;
    if (result.response.error) {
      outcome_json = result.response.error->response;
      if (outcome_json.empty()) return on_refused(result.response.error->code);
    }
    auto outcome = rpc::read_send_result(outcome_json);
    if (!outcome || outcome->results.empty()) {
      // An old signal-cli answers {"timestamp":N} alone: taken.
      if (!result.response.error) return {Kind::delivered, 0, "", false};
      return {Kind::retry_after, kNetworkRetryMs, "", false};
    }
    const auto& mine = outcome->results.front();
    using Type = rpc::RecipientResult::Type;
    switch (mine.type) {
      case Type::success:
        return {Kind::delivered, 0, "", false};
      case Type::unregistered:
        return {Kind::undeliverable, 0, "the recipient is not on Signal any more", false};
      case Type::rate_limit:
        if (!mine.token.empty()) return challenged(mine.token, mine.retry_after_seconds);
        if (mine.retry_after_seconds)
          return {Kind::retry_after, 1000 * *mine.retry_after_seconds, "", false};
        return {
            Kind::retry_after,
            doubling(kRateLimitFirstWaitMs, rate_limited_[recipient]++, kRateLimitLongestWaitMs),
            "", false};
      case Type::identity: {
        // The recipient's key changed: the owner decides, in a transaction (a staff member is
        // suspended, and what waits for them dropped; a failure rolls it back whole); if it
        // accepts, signal-cli trusts the new key and the message goes again shortly.
        bool accept = true;
        if (handlers_.identity_changed) {
          const auto decided = store_.db().transact(
              [&]() -> storage::Result<bool> { return handlers_.identity_changed(recipient); });
          accept = decided && decided.value();
        }
        if (accept) trust(recipient);
        return {Kind::retry_after, kIdentityRetryMs, "", false};
      }
      default:
        return {Kind::retry_after, kNetworkRetryMs, "", false};
    }
  }

  // A refusal without per-recipient results.
  SendOutcome on_refused(int code) {
    using Code = rpc::ErrorCode;
    switch (static_cast<Code>(code)) {
      case Code::user:  // "not registered", "empty message": never deliverable
        return {Kind::undeliverable, 0, "refused by signal-cli (-1)", false};
      case Code::parse:
      case Code::invalid_request:  // a request signal-cli cannot read would never be sent
        return {Kind::undeliverable, 0, "signal-cli could not read the request", false};
      case Code::invalid_params:
        if (!std::exchange(account_refused_, true)) log::error(kAccountRefused);
        return {Kind::hold_all, kConfigurationRetryMs, "", false};
      case Code::method_not_found:
        if (!std::exchange(account_refused_, true)) {
          log::error(
              "signal-cli does not know `send` (-32601): is this signal-cli's daemon, and "
              "recent enough? Messages are kept.");
        }
        return {Kind::hold_all, kConfigurationRetryMs, "", false};
      case Code::captcha_rejected:
        return challenged("", std::nullopt);
      default:  // -3 (network, server), -4 or -5 without results, -326xx: later
        return {Kind::retry_after, kNetworkRetryMs, "", false};
    }
  }

  // Signal wants proof that a person runs the account: every send waits (signal-cli would fail
  // them all) until the operator has solved the captcha or retryAfterSeconds have passed. The
  // token is no one's data; the operator needs it for submitRateLimitChallenge.
  SendOutcome challenged(const std::string& token,
                         std::optional<std::int64_t> retry_after_seconds) {
    const std::int64_t probe_ms =
        doubling(kChallengeFirstProbeMs, challenge_probes_++, kChallengeProbeMs);
    const std::int64_t wait_ms =
        retry_after_seconds ? std::min(kChallengeProbeMs, 1000 * *retry_after_seconds) : probe_ms;
    if (!status_.challenged || (!token.empty() && token != challenge_token_)) {
      log::error("signal-cli: Signal asks for a captcha before the bot may send again" +
                 (token.empty() ? std::string(" (a captcha was rejected)")
                                : "; challenge token " + token) +
                 ". Solve it and submit it (README, \"Captcha\"); messages wait in the outbox.");
    }
    status_.challenged = true;
    if (!token.empty()) challenge_token_ = token;
    return {Kind::hold_all, wait_ms, "", false};
  }

  // Taken by signal-cli. When more parts of the same answer follow, the recipient sees
  // "typing..." until the next arrives; the next part goes once signal-cli has taken the
  // indicator, so that it cannot overtake the part.
  void delivered(const std::string& recipient, bool more, SendOutcome& outcome) {
    account_refused_ = false;
    status_.challenged = false;
    challenge_probes_ = 0;
    rate_limited_.erase(recipient);
    if (!more) return;  // only found when typing indicators are on
    outcome.hold_recipient = true;
    ++status_.typing;
    client_->call(
        [&](std::int64_t call_id) {
          return rpc::typing_request(call_id, settings_.account, recipient, false);
        },
        [weak = weak_from_this(), recipient](const CallResult&) {
          if (auto self = weak.lock()) self->pump_.resume(recipient);
        });
  }

  asio::io_context& io_;
  storage::Store& store_;
  SignalCliSettings settings_;
  Handlers handlers_;
  Clock clock_;
  SignalCliTimings timings_;
  std::unique_ptr<SignalCliClient> client_;
  asio::steady_timer subscribe_timer_;
  asio::steady_timer reach_timer_;    // signal-cli out of reach: a warning, then an error
  asio::steady_timer account_timer_;  // the account missing: asked again every minute
  TakeIn take_in_;
  OutboxPump pump_;
  bool subscribe_failed_ = false;
  bool storage_failing_ = false;
  bool was_connected_ = false;
  bool account_refused_ = false;  // logged once until a send goes through
  bool serving_ = false;          // connected, and the account is there
  bool expiration_failed_said_ = false;
  std::string account_said_;  // what was logged of a missing account, not said again
  std::chrono::steady_clock::time_point down_since_;
  int unreachable_said_ = 0;  // of this outage: 1 the warning, 2 the error too
  int challenge_probes_ = 0;  // sends refused by the challenge since one went through
  std::map<std::string, int> rate_limited_;   // plain rate limits without a delay, in a row
  std::optional<std::int64_t> subscription_;  // this connection's, once signal-cli gave it
  std::map<std::string, rpc::KnownIdentity> identities_;  // by ACI and by number
  std::set<std::string> sending_to_;        // recipients with a send handed to signal-cli
  std::set<std::string> trust_after_send_;  // new keys to trust once that send is done
  // When the last reading of each address's key started: it vouches for the key of messages
  // queued before then.
  std::map<std::string, std::int64_t> vouched_since_;
  std::map<std::string, bool> reading_;  // identities on their way (address, read again after)
  std::set<std::string> asked_about_;
  std::string challenge_token_;
  mutable SignalCliStatus status_;
};

SignalCliTransport::SignalCliTransport(asio::io_context& io, storage::Store& store,
                                       SignalCliSettings settings, Handlers handlers, Clock clock,
                                       SignalCliTimings timings)
    : impl_(std::make_shared<Impl>(io, store, std::move(settings), std::move(handlers),
                                   std::move(clock), timings)) {}
SignalCliTransport::~SignalCliTransport() { impl_->stop(true); }
void SignalCliTransport::start() { impl_->start(); }
void SignalCliTransport::stop() { impl_->stop(false); }
bool SignalCliTransport::connected() const { return impl_->connected(); }
storage::Result<void> SignalCliTransport::send(const std::string& address, std::string_view text,
                                               storage::Audience audience) {
  return impl_->send(address, text, audience);
}
void SignalCliTransport::flush() { impl_->flush(); }
void SignalCliTransport::set_expiration(const std::string& address, int seconds) {
  impl_->set_expiration(address, seconds);
}
void SignalCliTransport::forget(const std::string& address) { impl_->forget(address); }
const SignalCliStatus& SignalCliTransport::status() const { return impl_->status(); }
std::optional<rpc::KnownIdentity> SignalCliTransport::identity(const std::string& address) const {
  return impl_->identity(address);
}

}  // namespace gvo::transport
