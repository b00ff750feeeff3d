#include "bot/transport/signal_cli_transport.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "bot/daemon/log.hpp"
#include "storage/inbox.hpp"
#include "storage/outbox.hpp"
#include "storage/peers.hpp"

namespace gvo::transport {

namespace asio = boost::asio;
namespace log = daemon::log;
namespace rpc = core::signal_cli;

namespace {

constexpr std::size_t kSendWindow = 64;
constexpr int kPagesPerFlush = 16;
constexpr std::int64_t kNetworkRetryMs = 5000;
constexpr std::int64_t kIdentityRetryMs = 1000;
// A refusal that the operator must fix (the account parameter, an old signal-cli): tried again
// now and then, the message kept.
constexpr std::int64_t kConfigurationRetryMs = 60 * 1000;
constexpr const char* kAccountRefused =
    "signal-cli refuses the account (-32602): on a daemon started without -a, set "
    "signal_cli.account to the bot's number; otherwise check it. Messages are kept.";
// While Signal asks for a captcha, one send tries again this often: it goes through as soon as
// the operator has solved the challenge (README, "Captcha"), well before retryAfterSeconds.
constexpr std::int64_t kChallengeProbeMs = 5 * 60 * 1000;
// Messages that arrive within this long of the last commit wait for each other: under load they
// share one fsync instead of paying one each (the loop waits for every fsync); when messages are
// rare, each commits at once.
constexpr auto kCommitGap = std::chrono::milliseconds(2);

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
        retry_timer_(io),
        batch_timer_(io),
        subscribe_timer_(io),
        held_timer_(io) {}

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
      if (auto self = weak.lock()) {
        self->in_flight_.clear();
        self->sending_to_.clear();
        self->subscription_.reset();  // it ended with the connection
        // Readings of keys ended with it: their messages are tried again on the next one.
        for (const auto& [address, peers] : self->held_for_key_)
          for (storage::PeerId peer : peers) self->busy_peers_.erase(peer);
        self->held_for_key_.clear();
        self->reading_.clear();
      }
    };
    client_ = std::make_unique<SignalCliClient>(io_, settings_.address, handlers, timings_);
    client_->start();
  }

  void stop() {
    retry_timer_.cancel();
    batch_timer_.cancel();
    subscribe_timer_.cancel();
    held_timer_.cancel();
    if (client_) client_->stop();
  }

  bool connected() const { return client_ && client_->connected(); }

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
          // Messages held for this reading go on (or wait for the next one).
          if (const auto held = self->held_for_key_.find(address);
              held != self->held_for_key_.end() && !again) {
            for (storage::PeerId peer : held->second) self->busy_peers_.erase(peer);
            self->held_for_key_.erase(held);
            // A reading that failed is not asked for again at once.
            if (result.failure) {
              self->flush_later(std::chrono::milliseconds(kIdentityRetryMs));
            } else {
              self->flush();
            }
          }
          if (again) self->read_identities(address);
        });
  }
  const SignalCliStatus& status() const { return status_; }

  storage::Result<void> send(const std::string& address, std::string_view text,
                             storage::Audience audience) {
    return storage::Outbox(store_).queue(address, text, now_ms(), audience);
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

  // Sends what the outbox holds, a window at a time, each recipient's messages in order. The
  // outbox is read a page at a time, past the rows that wait behind a recipient's first one,
  // until the window is full: a long answer to one person does not hold back a reply to another.
  // Asked for after every commit, result and indicator, it runs once per turn of the loop.
  void flush() {
    if (flush_posted_) return;
    flush_posted_ = true;
    asio::post(io_, [weak = weak_from_this()] {
      if (auto self = weak.lock()) {
        self->flush_posted_ = false;
        self->send_waiting();
      }
    });
  }

 private:
  void send_waiting() {
    // The window is filled again once half of it is free: a busy outbox is read once per half
    // window, not once per result.
    if (!connected() || in_flight_.size() > kSendWindow / 2) return;
    const std::int64_t now = now_ms();
    if (now < paused_until_ms_)
      return flush_later(std::chrono::milliseconds(paused_until_ms_ - now));
    storage::Outbox outbox(store_);
    std::set<storage::PeerId> held_back;
    std::int64_t next_due = 0;
    std::int64_t after_id = 0;
    bool room = true;
    // At most this many pages: rows queued far behind others wait for the next turns.
    for (int pages = 0; room && pages < kPagesPerFlush; ++pages) {
      auto page = outbox.waiting(kSendWindow, after_id);
      if (!page || page->empty()) break;
      after_id = page->back().id;
      for (const auto& row : page.value()) {
        room = in_flight_.size() < kSendWindow && !(held_ && !in_flight_.empty());
        if (!room) break;
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
        send_row(row);
        held_back.insert(row.peer);  // one at a time per recipient: order is kept
      }
    }
    if (next_due > 0) flush_later(std::chrono::milliseconds(next_due - now));
  }

  std::int64_t now_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(clock_().time_since_epoch())
        .count();
  }

  void on_connected() {
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
    if (settings_.subscribe) subscribe();
    // Messages kept by an earlier run, or while disconnected.
    if (auto next = storage::Inbox(store_).next_due(); next && next.value())
      retry_held_at(*next.value());
    if (handlers_.ready) handlers_.ready();
    flush();
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

  // Envelopes arriving together are taken in together: one commit for all of them.
  void on_envelope(const rpc::Envelope& envelope) {
    // A multi-account daemon sends every account's messages to every client.
    if (!settings_.account.empty() && !envelope.account.empty() &&
        envelope.account != settings_.account) {
      ++status_.ignored;
      return;
    }
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
    if (batch_.size() > 1) return;  // a batch is on its way
    std::weak_ptr<Impl> weak = shared_from_this();
    const auto since = std::chrono::steady_clock::now() - last_commit_;
    if (since >= kCommitGap) {
      asio::post(io_, [weak] {
        if (auto self = weak.lock()) self->take_batch();
      });
      return;
    }
    batch_timer_.expires_after(kCommitGap - since);
    batch_timer_.async_wait([weak](const boost::system::error_code& error) {
      if (auto self = weak.lock(); self && !error) self->take_batch();
    });
  }

  void take_batch() {
    std::vector<rpc::Envelope> batch = std::move(batch_);
    batch_.clear();
    // Staff first (signal-cli has decrypted everything already: this is as early as it gets
    // here); each sender's envelopes keep their order.
    if (handlers_.priority) {
      std::stable_partition(batch.begin(), batch.end(), [&](const rpc::Envelope& envelope) {
        return handlers_.priority(envelope.source_uuid);
      });
    }
    auto group = store_.db().begin_group();
    if (!group) return take_later(std::move(batch), storage::describe(group.error()));
    std::vector<Inbound> taken;
    std::vector<std::string> to_trust;
    for (const auto& envelope : batch) {
      if (envelope.untrusted_identity) {
        // The owner decides (a staff member is suspended); signal-cli is then told to trust the
        // new key, so that the messages it keeps for this sender can be read.
        // In a savepoint of its own: a refusal rolls back whatever it wrote, and only that.
        const auto decided = store_.db().transact([&]() -> storage::Result<void> {
          if (!handlers_.identity_changed || handlers_.identity_changed(envelope.source_uuid))
            return {};
          return storage::fail(storage::Errc::sql_failed, "the key change was not taken");
        });
        if (decided) to_trust.push_back(envelope.source_uuid);
        continue;
      }
      Inbound inbound{envelope.source_uuid, envelope.timestamp, *envelope.text};
      bool duplicate = false;
      if (const auto unit = take_one(inbound, duplicate); !unit) {
        // signal-cli has already acknowledged it to Signal's server: nothing would bring it
        // again. It is kept (sealed) and taken in later.
        const std::int64_t due = now_ms() + timings_.retry_taking_in.count();
        const auto kept = storage::Inbox(store_).hold(inbound.peer, inbound.sent_at_ms,
                                                      inbound.text, now_ms(), due);
        log::error("signal-cli: a message could not be taken in (" + unit.error().detail + "); " +
                   (kept ? "it is kept and tried again later"
                         : "it could not be kept either: " + storage::describe(kept.error())));
        if (kept) retry_held_at(due);
        continue;
      }
      if (duplicate) {
        ++status_.duplicates;
        continue;
      }
      taken.push_back(std::move(inbound));
    }
    const auto committed = group->commit();
    last_commit_ = std::chrono::steady_clock::now();
    if (!committed) return take_later(std::move(batch), storage::describe(committed.error()));
    if (std::exchange(commit_failed_, false) && settings_.subscribe && connected()) subscribe();
    ++status_.commits;
    for (const auto& address : to_trust) trust(address);
    taken_in(taken);
  }

  // After the commit of messages taken in: the owner's after-commit work, the keys of people
  // who are new (for staff verification; once per run, so that a person signal-cli holds no key
  // for is not asked about again and again), and the replies.
  void taken_in(const std::vector<Inbound>& taken) {
    status_.received += taken.size();
    for (const auto& inbound : taken) {
      if (handlers_.committed) handlers_.committed(inbound);
      if (identities_.count(inbound.peer) == 0 && asked_about_.insert(inbound.peer).second)
        read_identities(inbound.peer);
    }
    flush();
  }

  // One message in, in the caller's transaction: deduplicated on (sender, sender's timestamp),
  // then handed to the owner.
  storage::Result<void> take_one(const Inbound& inbound, bool& duplicate) {
    return store_.db().transact([&]() -> storage::Result<void> {
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
  }

  // The database refused the whole batch (a full disk, a lock held too long): the envelopes
  // stay in memory and are taken in again after a while.
  // Meanwhile no more is asked of signal-cli (with a subscription): what Signal's server has not
  // handed over yet stays there, and comes once commits work again.
  void take_later(std::vector<rpc::Envelope> batch, const std::string& why) {
    if (!commit_failed_) {
      log::error("signal-cli: messages could not be committed (" + why +
                 "); they are kept in memory and tried again");
      unsubscribe();
    }
    commit_failed_ = true;
    batch.insert(batch.end(), batch_.begin(), batch_.end());
    batch_ = std::move(batch);
    batch_timer_.expires_after(timings_.retry_taking_in);
    batch_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& error) {
      if (auto self = weak.lock(); self && !error) self->take_batch();
    });
  }

  // Takes in again the messages kept in the inbox that are due, in one commit.
  void take_held() {
    storage::Inbox inbox(store_);
    auto group = store_.db().begin_group();
    if (!group) return retry_held_at(now_ms() + timings_.retry_taking_in.count());
    auto held = inbox.due(now_ms(), 64);
    if (!held) {
      log::error("signal-cli: kept messages cannot be read: " + storage::describe(held.error()));
      return;
    }
    std::vector<Inbound> taken;
    for (const auto& message : held.value()) {
      Inbound inbound{message.address, message.sent_at_ms, message.text};
      bool duplicate = false;
      if (take_one(inbound, duplicate)) {
        (void)inbox.remove(message.id);
        if (!duplicate) taken.push_back(std::move(inbound));
        continue;
      }
      const std::int64_t wait = std::min<std::int64_t>(
          timings_.retry_taking_in.count() << std::min(message.attempts, 6), 3600 * 1000);
      (void)inbox.postpone(message.id, now_ms() + wait);
      log::error("signal-cli: a kept message could not be taken in again (try " +
                 std::to_string(message.attempts + 1) + "); it stays kept");
    }
    if (auto committed = group->commit(); !committed) {
      return retry_held_at(now_ms() + timings_.retry_taking_in.count());
    }
    if (auto next = inbox.next_due(); next && next.value()) retry_held_at(*next.value());
    taken_in(taken);
  }

  void retry_held_at(std::int64_t due_ms) {
    held_timer_.expires_after(
        std::chrono::milliseconds(std::max<std::int64_t>(0, due_ms - now_ms())));
    held_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& error) {
      if (auto self = weak.lock(); self && !error) self->take_held();
    });
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

  // What the gate says of a row, against the identity key signal-cli holds for its recipient
  // (the one it would encrypt to), in one transaction with what it decides (a suspension, the
  // row dropped).
  storage::Clearance clear(const storage::Outbox::Waiting& row, const std::string& recipient) {
    if (!handlers_.clearance) return storage::Clearance::send;
    storage::Clearance clearance = storage::Clearance::wait;
    const auto decided = store_.db().transact([&]() -> storage::Result<void> {
      // Only a key read after the message was queued counts as the one signal-cli will encrypt
      // to: signal-cli may have trusted a new one since an older reading.
      std::optional<storage::Bytes> key;
      const auto vouched = vouched_since_.find(recipient);
      const bool fresh = vouched != vouched_since_.end() && vouched->second > row.queued_ms;
      if (const auto known = identity(recipient); fresh && known && !known->fingerprint.empty())
        key = storage::Bytes(known->fingerprint.begin(), known->fingerprint.end());
      auto verdict = handlers_.clearance(recipient, row.audience, key);
      if (!verdict) return std::move(verdict).error();
      clearance = verdict.value();
      if (clearance == storage::Clearance::drop) return storage::Outbox(store_).remove(row.id);
      return {};
    });
    if (!decided) {
      log::warning("signal-cli: the gate could not decide on a message (" +
                   storage::describe(decided.error()) + "); tried again later");
      return storage::Clearance::wait;
    }
    if (clearance == storage::Clearance::drop) {
      ++status_.withheld;
      log::notice("signal-cli: a message was withheld: its recipient may not receive it now (" +
                  std::to_string(status_.withheld) + " so far)");
    }
    return clearance;
  }

  void send_row(const storage::Outbox::Waiting& row) {
    const std::int64_t id = row.id;
    const storage::PeerId peer = row.peer;
    storage::Peers peers(store_);
    auto address = peers.address(peer);
    auto body = storage::Outbox(store_).body(id);
    if (!address || !body) {
      log::error("signal-cli: an outbox row cannot be read; it is dropped");
      (void)storage::Outbox(store_).remove(id);
      return;
    }
    switch (clear(row, address.value())) {
      case storage::Clearance::drop:
        return flush();
      case storage::Clearance::wait:
        // The key is not known, or not since this message was queued: the recipient's
        // messages wait for a reading of it.
        if (connected()) {
          busy_peers_.insert(peer);
          held_for_key_[address.value()].insert(peer);
          read_identities(address.value());
          return;
        }
        return postpone(id, kIdentityRetryMs);
      default:
        break;
    }
    // Other parts of the same answer waiting behind this one: "typing..." once it is taken.
    bool more = false;
    if (settings_.typing_indicators) {
      const auto behind = storage::Outbox(store_).more_after(peer, id);
      more = behind && behind.value();
    }
    in_flight_.insert(id);
    busy_peers_.insert(peer);
    sending_to_.insert(address.value());
    std::weak_ptr<Impl> weak = shared_from_this();
    const std::string recipient = address.value();
    client_->call(
        [&](std::int64_t call_id) {
          return rpc::send_request(call_id, settings_.account, recipient, body.value());
        },
        [weak, id, peer, recipient, more](const CallResult& result) {
          if (auto self = weak.lock()) self->on_sent(id, peer, recipient, more, result);
        });
  }

  void on_sent(std::int64_t id, storage::PeerId peer, const std::string& recipient, bool more,
               const CallResult& result) {
    in_flight_.erase(id);
    busy_peers_.erase(peer);
    sending_to_.erase(recipient);
    if (trust_after_send_.erase(recipient) != 0) trust(recipient);
    if (result.failure == CallErrc::disconnected) return;  // sent again on the next connection
    if (result.failure == CallErrc::timeout) return postpone(id, kNetworkRetryMs);
    std::string outcome_json = result.response.result;
    if (result.response.error) {
      outcome_json = result.response.error->response;
      if (outcome_json.empty()) return on_refused(id, result.response.error->code);
    }
    auto outcome = rpc::read_send_result(outcome_json);
    if (!outcome || outcome->results.empty()) {
      // An old signal-cli answers {"timestamp":N} alone: taken.
      if (!result.response.error) return delivered(id, peer, recipient, more);
      return postpone(id, kNetworkRetryMs);
    }
    const auto& mine = outcome->results.front();
    using Type = rpc::RecipientResult::Type;
    switch (mine.type) {
      case Type::success:
        return delivered(id, peer, recipient, more);
      case Type::unregistered:
        return drop(id, "the recipient is not on Signal any more");
      case Type::rate_limit:
        if (!mine.token.empty()) return challenged(mine.token, mine.retry_after_seconds);
        return postpone(id, 1000 * mine.retry_after_seconds.value_or(60));
      case Type::identity: {
        // The recipient's key changed: the owner decides; if it accepts, signal-cli trusts the
        // new key and the message goes again shortly.
        // A staff member is suspended, and what waits for them dropped, in that transaction; a
        // refusal rolls it back whole.
        bool accept = true;
        if (handlers_.identity_changed) {
          const auto decided = store_.db().transact([&]() -> storage::Result<void> {
            if (handlers_.identity_changed(recipient)) return {};
            return storage::fail(storage::Errc::sql_failed, "the key change was not taken");
          });
          accept = decided.ok();
        }
        if (accept) trust(recipient);
        return postpone(id, kIdentityRetryMs);
      }
      default:
        return postpone(id, kNetworkRetryMs);
    }
  }

  // A refusal without per-recipient results.
  void on_refused(std::int64_t id, int code) {
    using Code = rpc::ErrorCode;
    switch (static_cast<Code>(code)) {
      case Code::user:  // "not registered", "empty message": never deliverable
        return drop(id, "refused by signal-cli (-1)");
      case Code::parse:
      case Code::invalid_request:  // a request signal-cli cannot read would never be sent
        return drop(id, "signal-cli could not read the request");
      case Code::invalid_params:
        if (!held_) log::error(kAccountRefused);
        return hold_all(kConfigurationRetryMs);
      case Code::method_not_found:
        if (!held_) {
          log::error(
              "signal-cli does not know `send` (-32601): is this signal-cli's daemon, and "
              "recent enough? Messages are kept.");
        }
        return hold_all(kConfigurationRetryMs);
      case Code::captcha_rejected:
        return challenged("", std::nullopt);
      default:  // -3 (network, server), -4 or -5 without results, -326xx: later
        return postpone(id, kNetworkRetryMs);
    }
  }

  // Signal wants proof that a person runs the account: every send waits (signal-cli would fail
  // them all) until the operator has solved the captcha or retryAfterSeconds have passed. The
  // token is no one's data; the operator needs it for submitRateLimitChallenge.
  void challenged(const std::string& token, std::optional<std::int64_t> retry_after_seconds) {
    const std::int64_t wait_ms =
        std::min(kChallengeProbeMs, 1000 * retry_after_seconds.value_or(kChallengeProbeMs / 1000));
    if (!status_.challenged || (!token.empty() && token != challenge_token_)) {
      log::error("signal-cli: Signal asks for a captcha before the bot may send again" +
                 (token.empty() ? std::string(" (a captcha was rejected)")
                                : "; challenge token " + token) +
                 ". Solve it and submit it (README, \"Captcha\"); messages wait in the outbox.");
    }
    status_.challenged = true;
    if (!token.empty()) challenge_token_ = token;
    hold_all(wait_ms);
  }

  // A refusal of the account, not of one message: every send waits, then one tries at a time
  // until one goes through. Held in memory only (the message keeps its place in the outbox): a
  // restart, once the operator has fixed the cause, sends at once.
  void hold_all(std::int64_t wait_ms) {
    ++status_.retried;
    held_ = true;
    paused_until_ms_ = std::max(paused_until_ms_, now_ms() + wait_ms);
    flush();
  }

  // Taken by signal-cli: it leaves the outbox. The rows delivered in one turn of the loop go in
  // one transaction (one fsync), and stay "in flight" until then so that none is sent twice.
  // When more parts of the same answer follow, the recipient sees "typing..." until the next
  // arrives; the next part goes once signal-cli has taken the indicator, so that it cannot
  // overtake the part.
  void delivered(std::int64_t id, storage::PeerId peer, const std::string& recipient, bool more) {
    held_ = false;
    status_.challenged = false;
    if (more) {  // only found when typing indicators are on
      busy_peers_.insert(peer);
      ++status_.typing;
      client_->call(
          [&](std::int64_t call_id) {
            return rpc::typing_request(call_id, settings_.account, recipient, false);
          },
          [weak = weak_from_this(), peer](const CallResult&) {
            if (auto self = weak.lock()) {
              self->busy_peers_.erase(peer);
              self->flush();
            }
          });
    }
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
    // Without an fsync of its own: if the machine crashed before the next durable commit, these
    // messages would be sent again, never lost.
    const auto removed = store_.db().transact_without_sync([&]() -> storage::Result<void> {
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
  asio::steady_timer batch_timer_;
  asio::steady_timer subscribe_timer_;
  asio::steady_timer held_timer_;  // the inbox's next due message
  bool commit_failed_ = false;
  bool subscribe_failed_ = false;
  std::optional<std::int64_t> subscription_;  // this connection's, once signal-cli gave it
  std::chrono::steady_clock::time_point last_commit_;
  std::vector<rpc::Envelope> batch_;
  std::set<std::int64_t> in_flight_;
  std::vector<std::int64_t> delivered_;
  std::map<std::string, rpc::KnownIdentity> identities_;  // by ACI and by number
  std::set<std::string> sending_to_;        // recipients with a send handed to signal-cli
  std::set<std::string> trust_after_send_;  // new keys to trust once that send is done
  // Messages held until a reading of their recipient's key, by recipient.
  std::map<std::string, std::set<storage::PeerId>> held_for_key_;
  // When the last reading of each address's key started: it vouches for the key of messages
  // queued before then.
  std::map<std::string, std::int64_t> vouched_since_;
  std::map<std::string, bool> reading_;  // identities on their way (address, read again after)
  std::set<std::string> asked_about_;
  std::set<storage::PeerId> busy_peers_;  // a send or a typing indicator on its way
  bool flush_posted_ = false;
  bool held_ = false;                 // the account was refused: one send at a time
  std::int64_t paused_until_ms_ = 0;  // every send waits until then
  std::string challenge_token_;
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
