#include "bot/transport/messenger.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <tuple>

#include <boost/asio/io_context.hpp>

#include "bot/core/base64.hpp"
#include "bot/core/relay_wire.hpp"
#include "bot/log/log.hpp"
#include "bot/transport/outbox_pump.hpp"
#include "storage/outbox.hpp"
#include "storage/peers.hpp"

namespace gvo::transport {
namespace {

constexpr std::size_t kPreKeysPerUpload = 50;
constexpr std::size_t kPreKeysLow = 20;  // below this many left at the relay, upload more
// While connected, the count left at the relay is asked for again after this many pre-key
// messages were taken in (each took one), so that new conversations never run them out.
constexpr int kPreKeyMessagesPerCheck = 10;
constexpr std::size_t kSendWindow = 32;
constexpr std::int64_t kSignedPreKeyMaxAgeMs = 7LL * 24 * 3600 * 1000;
constexpr int kBundleTries = 10;
constexpr std::int64_t kGivenUpRetryMs = 24LL * 3600 * 1000;

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Json key_json(const signal::SignedPreKey& key) {
  return {{"id", key.id},
          {"public_key", core::base64_encode(key.public_key)},
          {"signature", core::base64_encode(key.signature)}};
}

}  // namespace

class Messenger::Impl : public std::enable_shared_from_this<Messenger::Impl>, public PumpAdapter {
 public:
  Impl(boost::asio::io_context& io, storage::Store& store, signal::Endpoint& endpoint,
       RelayAccount account, Handlers handlers, RelayTimings timings)
      : store_(store),
        endpoint_(endpoint),
        handlers_(std::move(handlers)),
        client_(io, std::move(account), client_handlers(), timings),
        take_in_(io, store, take_in_hooks(), "relay"),
        pump_(io, store, *this, handlers_.clearance, "relay", kSendWindow) {}

  void start() { client_.start(); }
  // The connection closes (what was not acknowledged is delivered again on the next); for good,
  // the pipeline's timers end too.
  void stop(bool for_good) {
    was_connected_ = false;  // closed on purpose: no warning
    client_.stop();
    if (!for_good) return;
    take_in_.stop();
    pump_.stop();
  }
  void forget_handlers() { handlers_ = Handlers{}; }
  bool connected() const override { return client_.connected(); }
  const MessengerStatus& status() const {
    refresh_status();
    return status_;
  }

  storage::Result<void> send(const std::string& peer, std::string_view text,
                             storage::Audience audience) {
    return storage::Outbox(store_).queue(peer, text, wall_ms(), audience);
  }

  void flush() { pump_.flush(); }

 private:
  RelayClient::Handlers client_handlers() {
    RelayClient::Handlers handlers;
    handlers.connected = [this] { on_connected(); };
    handlers.envelope = [this](Envelope envelope, RelayClient::Ack ack) {
      on_envelope(std::move(envelope), std::move(ack));
    };
    handlers.disconnected = [this](const std::string& why) {
      if (was_connected_) log::warning("relay: the connection ended (" + why + ")");
      was_connected_ = false;
      fetching_.clear();
      take_in_.drop_unacknowledged();  // not acknowledged: the relay delivers them again
      pump_.disconnected();
    };
    handlers.refused = [this](int status, const std::string& reason) {
      if (handlers_.refused) handlers_.refused(status, reason);
    };
    return handlers;
  }

  TakeIn::Hooks take_in_hooks() {
    TakeIn::Hooks hooks = owner_hooks(handlers_);
    hooks.read = [this](const Arrival& arrival) { return read(arrival); };
    // The replies the owner queued are sealed in the batch's transaction: one fsync for the
    // messages taken in and the ciphertexts of what answers them.
    hooks.before_commit = [this] { pump_.prepare(); };
    hooks.after_commit = [this] {
      refresh_status();
      pump_.prepared(true);
      pump_.flush();  // what could not be prepared (the window full, a session to start)
    };
    hooks.commit_failed = [this] { pump_.prepared(false); };
    return hooks;
  }

  void refresh_status() const {
    const auto& taken = take_in_.status();
    status_.received = taken.received;
    status_.duplicates = taken.duplicates;
    status_.undecryptable = taken.unreadable;
    status_.taken_first = taken.taken_first;
    const auto& pumped = pump_.status();
    status_.sent = pumped.sent;
    status_.withheld = pumped.withheld;
  }

  // --- Keys ----------------------------------------------------------------------------------

  // Publishes keys on each connection: one-time pre-keys when few are left at the relay, and
  // the signed pre-key (rotated weekly) every time. Ready once they are up.
  void on_connected() {
    was_connected_ = true;
    (void)endpoint_.rotate_signed_pre_key(wall_ms(), kSignedPreKeyMaxAgeMs);
    check_pre_keys(true);
  }

  void check_pre_keys(bool connecting) {
    if (checking_keys_ && !connecting) return;
    checking_keys_ = true;
    pre_key_messages_ = 0;
    auto self = shared_from_this();
    client_.request(
        "GET", "/v2/keys", Json::object(), [self, connecting](int status, const Json& body) {
          self->checking_keys_ = false;
          if (status == 0) return;  // the connection ended: again on the next one
          const auto left = status == 200 ? core::relay::parse_key_count(body).value_or(0) : 0U;
          const std::size_t count = left < kPreKeysLow ? kPreKeysPerUpload : 0;
          if (count > 0 || connecting) self->upload_keys(count, connecting);
        });
  }

  void upload_keys(std::size_t count, bool connecting) {
    auto upload = endpoint_.new_keys_for_upload(count);
    if (!upload) {
      log::error("relay: new pre-keys could not be made (" + signal::describe(upload.error()) +
                 "); tried again later");
      return;
    }
    Json pre_keys = Json::array();
    for (const auto& key : upload->pre_keys) {
      pre_keys.push_back({{"id", key.id}, {"public_key", core::base64_encode(key.public_key)}});
    }
    Json body{{"registration_id", upload->registration_id},
              {"identity_key", core::base64_encode(upload->identity_key)},
              {"signed_pre_key", key_json(upload->signed_pre_key)},
              {"pre_keys", pre_keys}};
    auto self = shared_from_this();
    client_.request("PUT", "/v2/keys", body, [self, count, connecting](int status, const Json&) {
      log::debug("key upload (" + std::to_string(count) + " pre-keys): status " +
                 std::to_string(status));
      if (status != 200) {
        if (status != 0)
          log::warning("relay: the key upload was refused (" + std::to_string(status) + ")");
        return;
      }
      if (connecting && self->handlers_.ready) self->handlers_.ready();
      self->pump_.flush();
    });
  }

  // --- Receiving -----------------------------------------------------------------------------

  void on_envelope(Envelope envelope, RelayClient::Ack ack) {
    Arrival arrival;
    arrival.priority = handlers_.priority && handlers_.priority(envelope.source);
    arrival.peer = std::move(envelope.source);
    arrival.sent_at_ms = envelope.client_timestamp;
    arrival.kind = envelope.type;
    arrival.content = std::move(envelope.content);
    arrival.acknowledge = [ack = std::move(ack)] { ack(true); };
    take_in_.arrive(std::move(arrival));
  }

  // Inside the message's savepoint: the decryption, and what a changed identity key or a broken
  // session asks for.
  Reading read(const Arrival& arrival) {
    const signal::Address from{arrival.peer};
    const signal::Ciphertext ciphertext{
        arrival.kind == 3 ? signal::MessageKind::prekey : signal::MessageKind::whisper,
        arrival.content};
    Reading reading;
    auto plaintext = endpoint_.decrypt(from, ciphertext);
    if (!plaintext && plaintext.code() == signal::Errc::untrusted_identity &&
        handlers_.identity_changed) {
      auto accepted = handlers_.identity_changed(arrival.peer);
      if (!accepted) {
        reading.why = "the key change: " + storage::describe(accepted.error());
        return reading;
      }
      if (!accepted.value()) {
        reading.kind = Reading::Kind::declined;
        return reading;
      }
      reading.wrote = true;
      if (auto forgotten = endpoint_.forget_identity(from); !forgotten) {
        reading.why = signal::describe(forgotten.error());
        return reading;
      }
      plaintext = endpoint_.decrypt(from, ciphertext);
    }
    if (plaintext) {
      reading.kind = Reading::Kind::text;
      reading.text = std::move(plaintext).value();
      if (ciphertext.kind == signal::MessageKind::prekey) {
        reading.then = [weak = weak_from_this()] {
          auto self = weak.lock();
          if (self && ++self->pre_key_messages_ >= kPreKeyMessagesPerCheck)
            self->check_pre_keys(false);
        };
      }
      return reading;
    }
    reading.why = std::string(signal::to_string(plaintext.code()));
    switch (plaintext.code()) {
      case signal::Errc::storage:
      case signal::Errc::crypto:
        reading.kind = Reading::Kind::failed;  // passing: tried again
        return reading;
      case signal::Errc::duplicate_message:
        reading.kind = Reading::Kind::nothing;
        return reading;
      case signal::Errc::no_session:
        reading.kind = ciphertext.kind == signal::MessageKind::whisper ? Reading::Kind::sessionless
                                                                       : Reading::Kind::unreadable;
        return reading;
      case signal::Errc::invalid_message:
        if (ciphertext.kind == signal::MessageKind::whisper) return archive_session(from, reading);
        reading.kind = Reading::Kind::unreadable;
        return reading;
      default:
        reading.kind = Reading::Kind::unreadable;
        return reading;
    }
  }

  // A message of a session the bot holds that does not decrypt (damaged, or the sender's
  // counter jumped past what libsignal keeps): every later message of that session would fail
  // too. The session is archived, so that the sender's next pre-key message starts a new one,
  // and the sender is told once that their message could not be read (the owner's answer, sent
  // with a new session, is what their client takes up).
  Reading archive_session(const signal::Address& from, Reading reading) {
    auto held = endpoint_.has_session(from);
    if (!held || !held.value()) {
      reading.kind = Reading::Kind::unreadable;
      return reading;
    }
    if (auto dropped = endpoint_.drop_session(from); !dropped) {
      reading.kind = Reading::Kind::failed;
      reading.why = signal::describe(dropped.error());
      return reading;
    }
    reading.kind = Reading::Kind::sessionless;
    reading.why += ", session archived";
    reading.wrote = true;
    return reading;
  }

  // --- Sending (PumpAdapter) -----------------------------------------------------------------

  Key key_for(const std::string& address, const storage::Outbox::Waiting&) override {
    const signal::Address to{address};
    auto session = endpoint_.has_session(to);
    if (session && !session.value()) {
      fetch_bundle(address);
      return Key{true, std::nullopt};
    }
    if (session) {
      auto key = endpoint_.peer_identity_key(to);
      if (key) return Key{false, std::move(key).value()};
    }
    // The store could not say: sealing fails the same way, and the pump tries again later.
    return Key{false, std::nullopt};
  }

  bool refresh_key(const std::string&) override { return false; }
  bool seals_ahead() const override { return true; }

  // The row's ciphertext, made now (and committed with the ratchet state, in the gate's
  // transaction) or read back.
  storage::Result<void> seal(const storage::Outbox::Waiting& waiting,
                             const std::string& address) override {
    auto row =
        store_.db().prepare("SELECT body, ciphertext, kind, sent_at_ms FROM outbox WHERE id = ?1");
    if (!row) return std::move(row).error();
    auto found = row->bind(1, waiting.id).step();
    if (!found) return std::move(found).error();
    if (!found.value()) return storage::fail(storage::Errc::not_found, "outbox row");
    if (!row->column_is_null(1)) {
      sealed_[waiting.id] =
          Sealed{static_cast<int>(row->column_int64(2)), row->column_blob(1), row->column_int64(3)};
      return {};
    }
    auto body =
        store_.sealer().open({"outbox", "body", std::to_string(waiting.id)}, row->column_blob(0));
    if (!body) return std::move(body).error();
    auto encrypted = endpoint_.encrypt({address}, body.value());
    if (!encrypted)
      return storage::fail(storage::Errc::sql_failed, signal::describe(encrypted.error()));
    const int kind = encrypted->kind == signal::MessageKind::prekey ? 3 : 1;
    const std::int64_t sent_at = next_timestamp();
    auto update = store_.db().prepare(
        "UPDATE outbox SET ciphertext = ?2, kind = ?3, sent_at_ms = ?4 WHERE id = ?1");
    if (!update) return std::move(update).error();
    if (auto done = update->bind(1, waiting.id)
                        .bind_blob(2, encrypted->bytes)
                        .bind(3, kind)
                        .bind(4, sent_at)
                        .run();
        !done) {
      return std::move(done).error();
    }
    sealed_[waiting.id] = Sealed{kind, std::move(encrypted->bytes), sent_at};
    return {};
  }

  void send(const storage::Outbox::Waiting& row, const std::string& address, bool,
            std::function<void(SendOutcome)> done) override {
    const auto it = sealed_.find(row.id);
    if (it == sealed_.end()) return done({SendOutcome::Kind::failed, 0, "not sealed", false});
    const Sealed sealed = std::move(it->second);
    sealed_.erase(it);
    const signal::Address to{address};
    auto registration = endpoint_.remote_registration_id(to);
    if (!registration) return done({SendOutcome::Kind::failed, 0, "no session", false});
    Json body{{"timestamp", sealed.sent_at},
              {"messages", Json::array({{{"type", sealed.kind},
                                         {"destination_device_id", 1},
                                         {"destination_registration_id", registration.value()},
                                         {"content", core::base64_encode(sealed.ciphertext)}}})}};
    auto self = shared_from_this();
    client_.request("PUT", "/v1/messages/" + address, body,
                    [self, row, to, prekey = sealed.kind == 3, done = std::move(done)](
                        int status, const Json& answer) {
                      log::debug("send: status " + std::to_string(status));
                      done(self->on_sent(row, to, prekey, status, answer));
                    });
  }

  SendOutcome on_sent(const storage::Outbox::Waiting& row, const signal::Address& to, bool prekey,
                      int status, const Json& answer) {
    using Kind = SendOutcome::Kind;
    switch (status) {
      case 0:
        return {Kind::lost, 0, "", false};
      case 200:
        if (prekey) ++status_.prekey_sent;
        return {Kind::delivered, 0, "", false};
      case 404:
        return {Kind::undeliverable, 0, "the recipient has no account at the relay", false};
      case 400:
      case 413:
        return {Kind::undeliverable, 0, "the relay refused it (" + std::to_string(status) + ")",
                false};
      case 410: {
        // The peer re-registered: their session goes, and every ciphertext made for it. Nothing
        // is encrypted to their new key before the gate has seen it (a new bundle, a session).
        (void)endpoint_.drop_session(to);
        auto reset = store_.db().prepare(
            "UPDATE outbox SET ciphertext = NULL, kind = NULL, sent_at_ms = NULL "
            "WHERE peer_id = ?1");
        if (reset) (void)store_.db().transact([&] { return reset->bind(1, row.peer).run(); });
        return {Kind::again, 0, "", false};
      }
      case 429:
        return {Kind::retry_after,
                core::relay::parse_send_answer(status, answer)
                    .value_or(core::relay::SendAnswer{})
                    .retry_after_ms.value_or(1000),
                "", false};
      default:
        return {Kind::failed, 0, "status " + std::to_string(status), false};
    }
  }

  // Sender timestamps identify messages (the receiver deduplicates on them): strictly rising.
  std::int64_t next_timestamp() {
    last_timestamp_ = std::max(wall_ms(), last_timestamp_ + 1);
    return last_timestamp_;
  }

  // A peer without a session: their bundle is fetched. One that is missing or cannot be used is
  // tried again with backoff, and after kBundleTries given up on: the rows stay for an operator
  // to see, tried once a day.
  void fetch_bundle(const std::string& peer) {
    if (!fetching_.insert(peer).second) return;
    auto self = shared_from_this();
    client_.request("GET", "/v2/keys/" + peer, Json::object(),
                    [self, peer](int status, const Json& body) {
                      log::debug("bundle fetch: status " + std::to_string(status));
                      if (self->fetching_.erase(peer) == 0 || status == 0) return;
                      if (status == 200 && self->start_session(peer, body)) {
                        self->bundle_failures_.erase(peer);
                        return self->pump_.resume(peer);
                      }
                      self->pump_.resume(peer, self->bundle_failed(peer));
                    });
  }

  SendOutcome bundle_failed(const std::string& peer) {
    if (++bundle_failures_[peer] >= kBundleTries) {
      bundle_failures_.erase(peer);
      ++status_.given_up;
      log::error("relay: no usable key bundle for a recipient after " +
                 std::to_string(kBundleTries) +
                 " tries: their messages stay in the outbox and are tried again daily");
      return {SendOutcome::Kind::retry_after, kGivenUpRetryMs, "", false};
    }
    return {SendOutcome::Kind::failed, 0, "no usable key bundle", false};
  }

  bool start_session(const std::string& peer, const Json& body) {
    auto parsed = core::relay::parse_key_bundle(body);
    if (!parsed) {
      log::warning(std::string("relay: a key bundle was malformed (") +
                   core::relay::errc_name(parsed.code()) + ")");
      return false;
    }
    signal::KeyBundle bundle;
    bundle.registration_id = parsed->registration_id;
    bundle.device_id = parsed->device_id;
    bundle.identity_key = std::move(parsed->identity_key);
    bundle.signed_pre_key = {parsed->signed_pre_key.id,
                             std::move(parsed->signed_pre_key.public_key),
                             std::move(parsed->signed_pre_key.signature)};
    if (parsed->pre_key)
      bundle.pre_key = signal::PreKey{parsed->pre_key->id, std::move(parsed->pre_key->public_key)};
    auto started = endpoint_.start_session({peer}, bundle);
    if (!started) log::debug("session not started: " + signal::describe(started.error()));
    if (!started && started.code() == signal::Errc::untrusted_identity &&
        handlers_.identity_changed) {
      // The owner's handling of the change (a member suspended, what waits for them dropped,
      // the coordinators told) and the new session commit together, or not at all.
      const auto changed = store_.db().transact([&]() -> storage::Result<void> {
        auto accepted = handlers_.identity_changed(peer);
        if (!accepted) return std::move(accepted).error();
        if (!accepted.value())
          return storage::fail(storage::Errc::sql_failed, "the new key was refused");
        if (auto forgotten = endpoint_.forget_identity({peer}); !forgotten)
          return storage::fail(storage::Errc::sql_failed, signal::describe(forgotten.error()));
        started = endpoint_.start_session({peer}, bundle);
        if (!started)
          return storage::fail(storage::Errc::sql_failed, signal::describe(started.error()));
        return {};
      });
      if (!changed) return false;
    }
    return started.ok();
  }

  struct Sealed {
    int kind = 1;
    storage::Bytes ciphertext;
    std::int64_t sent_at = 0;
  };

  storage::Store& store_;
  signal::Endpoint& endpoint_;
  Handlers handlers_;
  RelayClient client_;
  TakeIn take_in_;
  OutboxPump pump_;
  std::map<std::int64_t, Sealed> sealed_;  // rows cleared and sealed, about to be sent
  std::set<std::string> fetching_;
  std::map<std::string, int> bundle_failures_;
  std::int64_t last_timestamp_ = 0;
  int pre_key_messages_ = 0;
  bool checking_keys_ = false;
  bool was_connected_ = false;
  mutable MessengerStatus status_;
};

TakeIn::Hooks owner_hooks(const Messenger::Handlers& handlers) {
  TakeIn::Hooks hooks;
  hooks.received = [&handlers](const Inbound& inbound) -> storage::Result<void> {
    if (handlers.received) return handlers.received(inbound);
    return {};
  };
  hooks.committed = [&handlers](const Inbound& inbound) {
    if (handlers.committed) handlers.committed(inbound);
  };
  hooks.sessionless = [&handlers](const std::string& peer) -> storage::Result<void> {
    if (handlers.sessionless) return handlers.sessionless(peer);
    return {};
  };
  return hooks;
}

Messenger::Messenger(boost::asio::io_context& io, storage::Store& store, signal::Endpoint& endpoint,
                     RelayAccount account, Handlers handlers, RelayTimings timings)
    : impl_(std::make_shared<Impl>(io, store, endpoint, std::move(account), std::move(handlers),
                                   timings)) {}

Messenger::~Messenger() {
  impl_->forget_handlers();
  impl_->stop(true);
}

void Messenger::start() { impl_->start(); }
void Messenger::stop() { impl_->stop(false); }
bool Messenger::connected() const { return impl_->connected(); }
storage::Result<void> Messenger::send(const std::string& peer, std::string_view text,
                                      storage::Audience audience) {
  return impl_->send(peer, text, audience);
}
void Messenger::flush() { impl_->flush(); }
const MessengerStatus& Messenger::status() const { return impl_->status(); }

}  // namespace gvo::transport
