#include "bot/transport/messenger.hpp"

#include <chrono>
#include <map>
#include <set>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "bot/core/base64.hpp"
#include "bot/daemon/log.hpp"
#include "storage/outbox.hpp"
#include "storage/peers.hpp"

namespace gvo::transport {
namespace {

constexpr std::size_t kPreKeysPerUpload = 50;
constexpr std::size_t kPreKeysLow = 20;  // below this many left at the relay, upload more
constexpr std::size_t kSendWindow = 32;
constexpr std::int64_t kSignedPreKeyMaxAgeMs = 7LL * 24 * 3600 * 1000;

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

class Messenger::Impl : public std::enable_shared_from_this<Messenger::Impl> {
 public:
  Impl(boost::asio::io_context& io, storage::Store& store, signal::Endpoint& endpoint,
       RelayAccount account, Handlers handlers, RelayTimings timings)
      : io_(io),
        store_(store),
        endpoint_(endpoint),
        handlers_(std::move(handlers)),
        retry_timer_(io),
        client_(io, std::move(account), client_handlers(), timings) {}

  void start() { client_.start(); }
  void stop() {
    retry_timer_.cancel();
    client_.stop();
  }
  void forget_handlers() { handlers_ = Handlers{}; }
  bool connected() const { return client_.connected(); }
  const MessengerStatus& status() const { return status_; }

  storage::Result<void> send(const std::string& peer, std::string_view text) {
    return storage::Outbox(store_).queue(peer, text, wall_ms());
  }

  // Sends what the outbox holds, keeping a window in flight and each peer's messages in order:
  // a message that must wait (a retry not yet due, a session not yet built) holds back the
  // later messages to the same peer.
  void flush() {
    if (!client_.connected()) return;
    const std::int64_t now = wall_ms();
    auto waiting = storage::Outbox(store_).waiting(kSendWindow * 4);
    if (!waiting) return;
    std::set<std::int64_t> held_back;
    for (const auto& row : waiting.value()) {
      if (in_flight_.size() >= kSendWindow) break;
      if (in_flight_.count(row.id) != 0 || held_back.count(row.peer) != 0) continue;
      if (row.due_ms > now || !send_row(row.id, row.peer)) held_back.insert(row.peer);
    }
  }

 private:
  RelayClient::Handlers client_handlers() {
    RelayClient::Handlers handlers;
    handlers.connected = [this] { on_connected(); };
    handlers.envelope = [this](Envelope envelope, RelayClient::Ack ack) {
      on_envelope(std::move(envelope), std::move(ack));
    };
    handlers.disconnected = [this](const std::string&) {
      in_flight_.clear();
      fetching_.clear();
    };
    handlers.refused = [this](int status, const std::string& reason) {
      if (handlers_.refused) handlers_.refused(status, reason);
    };
    return handlers;
  }

  // --- Keys ----------------------------------------------------------------------------------

  // Publishes keys on each connection: one-time pre-keys when few are left at the relay, and
  // the signed pre-key (rotated weekly) every time.
  void on_connected() {
    (void)endpoint_.rotate_signed_pre_key(wall_ms(), kSignedPreKeyMaxAgeMs);
    auto self = shared_from_this();
    client_.request("GET", "/v2/keys", Json::object(), [self](int status, const Json& body) {
      const std::size_t left = status == 200 ? body.value("count", std::size_t{0}) : 0;
      self->upload_keys(left < kPreKeysLow ? kPreKeysPerUpload : 0);
    });
  }

  void upload_keys(std::size_t count) {
    auto upload = endpoint_.new_keys_for_upload(count);
    if (!upload) return;  // tried again on the next connection
    Json pre_keys = Json::array();
    for (const auto& key : upload->pre_keys) {
      pre_keys.push_back({{"id", key.id}, {"public_key", core::base64_encode(key.public_key)}});
    }
    Json body{{"registration_id", upload->registration_id},
              {"identity_key", core::base64_encode(upload->identity_key)},
              {"signed_pre_key", key_json(upload->signed_pre_key)},
              {"pre_keys", pre_keys}};
    auto self = shared_from_this();
    client_.request("PUT", "/v2/keys", body, [self, count](int status, const Json&) {
      daemon::log::debug("key upload (" + std::to_string(count) + " pre-keys): status " +
                         std::to_string(status));
      if (status != 200) return;
      if (self->handlers_.ready) self->handlers_.ready();
      self->flush();
    });
  }

  // --- Receiving -----------------------------------------------------------------------------

  enum class Taken { fresh, duplicate, undecryptable, refused };

  void on_envelope(Envelope envelope, RelayClient::Ack ack) {
    Inbound inbound{envelope.source, envelope.client_timestamp, {}};
    Taken taken = Taken::refused;
    auto unit = store_.db().transact([&]() -> storage::Result<void> {
      taken = take(envelope, inbound);
      if (taken == Taken::refused) {
        return storage::fail(storage::Errc::sql_failed, "refused by its owner");
      }
      return {};
    });
    if (!unit) {
      ack(false);  // nothing kept: the relay delivers it again
      return;
    }
    ack(true);
    switch (taken) {
      case Taken::fresh:
        ++status_.received;
        if (handlers_.committed) handlers_.committed(inbound);
        break;
      case Taken::duplicate:
        ++status_.duplicates;
        break;
      default:
        ++status_.undecryptable;
        break;
    }
    flush();  // the owner may have queued replies
  }

  Taken take(const Envelope& envelope, Inbound& inbound) {
    storage::Peers peers(store_);
    auto peer_id = peers.find_or_add(envelope.source, wall_ms() / 1000);
    if (!peer_id) return Taken::refused;
    auto fresh = storage::first_time_seen(store_, peer_id.value(), envelope.client_timestamp,
                                          wall_ms() / 1000);
    if (!fresh) return Taken::refused;
    if (!fresh.value()) return Taken::duplicate;
    const signal::Address from{envelope.source};
    const signal::Ciphertext ciphertext{
        envelope.type == 3 ? signal::MessageKind::prekey : signal::MessageKind::whisper,
        envelope.content};
    auto plaintext = endpoint_.decrypt(from, ciphertext);
    if (!plaintext && plaintext.code() == signal::Errc::untrusted_identity &&
        handlers_.identity_changed && handlers_.identity_changed(envelope.source)) {
      if (endpoint_.forget_identity(from)) plaintext = endpoint_.decrypt(from, ciphertext);
    }
    if (!plaintext) {
      // A ciphertext that cannot be read now never will be: it is kept as seen, so it is not
      // fetched again and again, and counted.
      return plaintext.code() == signal::Errc::duplicate_message ? Taken::duplicate
                                                                 : Taken::undecryptable;
    }
    inbound.text = std::move(plaintext).value();
    if (handlers_.received && !handlers_.received(inbound)) return Taken::refused;
    return Taken::fresh;
  }

  // --- Sending -------------------------------------------------------------------------------

  // Encrypts the row if it is not yet, then sends it. false: the peer has to wait (no session
  // yet, a bundle is being fetched).
  bool send_row(std::int64_t id, std::int64_t peer_id) {
    storage::Peers peers(store_);
    auto address = peers.address(peer_id);
    if (!address) return false;
    const signal::Address to{address.value()};
    auto session = endpoint_.has_session(to);
    if (!session) return false;
    if (!session.value()) {
      fetch_bundle(address.value());
      return false;
    }
    auto prepared = prepare_row(id, to);
    if (!prepared) return false;
    auto registration = endpoint_.remote_registration_id(to);
    if (!registration) return false;
    const auto& [kind, ciphertext, sent_at] = prepared.value();
    Json body{{"timestamp", sent_at},
              {"messages", Json::array({{{"type", kind},
                                         {"destination_device_id", 1},
                                         {"destination_registration_id", registration.value()},
                                         {"content", core::base64_encode(ciphertext)}}})}};
    in_flight_.insert(id);
    auto self = shared_from_this();
    client_.request("PUT", "/v1/messages/" + address.value(), body,
                    [self, id, to, prekey = kind == 3](int status, const Json& answer) {
                      self->on_sent(id, to, prekey, status, answer);
                    });
    return true;
  }

  // The row's ciphertext: made now (and committed with the ratchet state) or read back.
  storage::Result<std::tuple<int, storage::Bytes, std::int64_t>> prepare_row(
      std::int64_t id, const signal::Address& to) {
    return store_.db().transact([&]() -> storage::Result<
                                          std::tuple<int, storage::Bytes, std::int64_t>> {
      auto row = store_.db().prepare(
          "SELECT body, ciphertext, kind, sent_at_ms FROM outbox WHERE id = ?1");
      if (!row) return std::move(row).error();
      auto found = row->bind(1, id).step();
      if (!found) return std::move(found).error();
      if (!found.value()) return storage::fail(storage::Errc::not_found, "outbox row");
      if (!row->column_is_null(1)) {
        return std::make_tuple(static_cast<int>(row->column_int64(2)), row->column_blob(1),
                               row->column_int64(3));
      }
      auto body = store_.sealer().open({"outbox", "body", std::to_string(id)}, row->column_blob(0));
      if (!body) return std::move(body).error();
      auto encrypted = endpoint_.encrypt(to, body.value());
      if (!encrypted)
        return storage::fail(storage::Errc::sql_failed, signal::describe(encrypted.error()));
      const int kind = encrypted->kind == signal::MessageKind::prekey ? 3 : 1;
      const std::int64_t sent_at = next_timestamp();
      auto update = store_.db().prepare(
          "UPDATE outbox SET ciphertext = ?2, kind = ?3, sent_at_ms = ?4 WHERE id = ?1");
      if (!update) return std::move(update).error();
      if (auto done = update->bind(1, id)
                          .bind_blob(2, encrypted->bytes)
                          .bind(3, kind)
                          .bind(4, sent_at)
                          .run();
          !done) {
        return std::move(done).error();
      }
      return std::make_tuple(kind, std::move(encrypted->bytes), sent_at);
    });
  }

  // Sender timestamps identify messages (the receiver deduplicates on them): strictly rising.
  std::int64_t next_timestamp() {
    last_timestamp_ = std::max(wall_ms(), last_timestamp_ + 1);
    return last_timestamp_;
  }

  void on_sent(std::int64_t id, const signal::Address& to, bool prekey, int status,
               const Json& answer) {
    in_flight_.erase(id);
    daemon::log::debug("send: status " + std::to_string(status));
    if (status == 0) return;  // the connection ended: sent again on the next one
    if (status == 200 || status == 404 || status == 400 || status == 413) {
      // Stored by the relay, or never deliverable: either way it leaves the outbox.
      (void)storage::Outbox(store_).remove(id);
      if (status == 200) {
        ++status_.sent;
        if (prekey) ++status_.prekey_sent;
      }
      return flush();
    }
    if (status == 410) {  // the peer re-registered: new session, new ciphertexts
      (void)endpoint_.drop_session(to);
      auto reset = store_.db().prepare(
          "UPDATE outbox SET ciphertext = NULL, kind = NULL, sent_at_ms = NULL "
          "WHERE peer_id = (SELECT peer_id FROM outbox WHERE id = ?1)");
      if (reset) (void)store_.db().transact([&] { return reset->bind(1, id).run(); });
      return flush();
    }
    // 429 and anything else: later.
    const double wait_s = status == 429 ? answer.value("retry_after", 1.0) : 2.0;
    const auto wait_ms = static_cast<std::int64_t>(wait_s * 1000.0);
    (void)storage::Outbox(store_).postpone(id, wall_ms() + wait_ms);
    flush_later(std::chrono::milliseconds(wait_ms));
  }

  void flush_later(std::chrono::milliseconds wait) {
    retry_timer_.expires_after(wait);
    retry_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
      if (auto self = weak.lock(); self && !ec) self->flush();
    });
  }

  void fetch_bundle(const std::string& peer) {
    if (!fetching_.insert(peer).second) return;
    auto self = shared_from_this();
    client_.request("GET", "/v2/keys/" + peer, Json::object(),
                    [self, peer](int status, const Json& body) {
                      daemon::log::debug("bundle fetch: status " + std::to_string(status));
                      self->fetching_.erase(peer);
                      if (status == 0) return;  // the connection ended: tried again on the next
                      if (status == 200 && self->start_session(peer, body)) return self->flush();
                      // Not registered yet (404), or a bundle that would not do: try again soon.
                      self->flush_later(std::chrono::seconds(1));
                    });
  }

  bool start_session(const std::string& peer, const Json& body) {
    signal::KeyBundle bundle;
    bundle.registration_id = body.value("registration_id", std::uint32_t{0});
    bundle.device_id = body.value("device_id", 1);
    auto decode = [](const Json& object, const char* key) {
      return core::base64_decode(object.value(key, "")).value_or(storage::Bytes{});
    };
    bundle.identity_key = decode(body, "identity_key");
    if (const auto it = body.find("signed_pre_key"); it != body.end() && it->is_object()) {
      bundle.signed_pre_key = {it->value("id", std::uint32_t{0}), decode(*it, "public_key"),
                               decode(*it, "signature")};
    }
    if (const auto it = body.find("pre_key"); it != body.end() && it->is_object()) {
      bundle.pre_key = signal::PreKey{it->value("id", std::uint32_t{0}), decode(*it, "public_key")};
    }
    auto started = endpoint_.start_session({peer}, bundle);
    if (!started) daemon::log::debug("session not started: " + signal::describe(started.error()));
    if (!started && started.code() == signal::Errc::untrusted_identity &&
        handlers_.identity_changed && handlers_.identity_changed(peer)) {
      if (endpoint_.forget_identity({peer})) started = endpoint_.start_session({peer}, bundle);
    }
    return started.ok();
  }

  boost::asio::io_context& io_;
  storage::Store& store_;
  signal::Endpoint& endpoint_;
  Handlers handlers_;
  boost::asio::steady_timer retry_timer_;
  RelayClient client_;
  std::set<std::int64_t> in_flight_;
  std::set<std::string> fetching_;
  std::int64_t last_timestamp_ = 0;
  MessengerStatus status_;
};

Messenger::Messenger(boost::asio::io_context& io, storage::Store& store, signal::Endpoint& endpoint,
                     RelayAccount account, Handlers handlers, RelayTimings timings)
    : impl_(std::make_shared<Impl>(io, store, endpoint, std::move(account), std::move(handlers),
                                   timings)) {}

Messenger::~Messenger() {
  impl_->forget_handlers();
  impl_->stop();
}

void Messenger::start() { impl_->start(); }
void Messenger::stop() { impl_->stop(); }
bool Messenger::connected() const { return impl_->connected(); }
storage::Result<void> Messenger::send(const std::string& peer, std::string_view text) {
  return impl_->send(peer, text);
}
void Messenger::flush() { impl_->flush(); }
const MessengerStatus& Messenger::status() const { return impl_->status(); }

}  // namespace gvo::transport
