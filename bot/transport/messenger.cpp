#include "bot/transport/messenger.hpp"

#include <algorithm>
#include <chrono>
#include <deque>
#include <map>
#include <random>
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

namespace log = daemon::log;

constexpr std::size_t kPreKeysPerUpload = 50;
constexpr std::size_t kPreKeysLow = 20;  // below this many left at the relay, upload more
constexpr std::size_t kSendWindow = 32;
constexpr std::int64_t kSignedPreKeyMaxAgeMs = 7LL * 24 * 3600 * 1000;
constexpr std::int64_t kStorageRetryMs = 1000;
constexpr int kBundleTries = 10;
constexpr std::int64_t kGivenUpRetryMs = 24LL * 3600 * 1000;
constexpr int kYieldTurns = 64;  // the relay's deliveries in flight
constexpr std::chrono::milliseconds kGather{5};

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
        gather_timer_(io),
        client_(io, std::move(account), client_handlers(), timings) {}

  void start() { client_.start(); }
  void stop() {
    retry_timer_.cancel();
    gather_timer_.cancel();
    client_.stop();
  }
  void forget_handlers() { handlers_ = Handlers{}; }
  bool connected() const { return client_.connected(); }
  const MessengerStatus& status() const { return status_; }

  storage::Result<void> send(const std::string& peer, std::string_view text,
                             storage::Audience audience) {
    return storage::Outbox(store_).queue(peer, text, wall_ms(), audience);
  }

  // Sends what the outbox holds, keeping a window in flight and each peer's messages in order:
  // at most one of a peer's messages is on its way at a time, and one that must wait (a retry
  // not yet due, a session not yet built, a key bundle being fetched) holds back the later ones
  // to the same peer, not other peers'. Wakes again when the earliest postponed row is due.
  void flush() {
    if (!client_.connected()) return;
    const std::int64_t now = wall_ms();
    auto waiting = storage::Outbox(store_).waiting(kSendWindow * 4);
    if (!waiting) return;
    std::set<std::int64_t> held_back;
    for (const auto& [id, peer] : in_flight_) held_back.insert(peer);
    std::int64_t next_due = 0;
    for (const auto& row : waiting.value()) {
      if (in_flight_.size() >= kSendWindow) break;
      if (held_back.count(row.peer) != 0) continue;
      held_back.insert(row.peer);
      if (row.due_ms > now) {
        if (next_due == 0 || row.due_ms < next_due) next_due = row.due_ms;
        continue;
      }
      send_row(row);
    }
    if (next_due > 0) flush_later(std::chrono::milliseconds(next_due - now));
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
      waiting_.clear();  // not acknowledged: the relay delivers them again
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

  // sessionless: unreadable, from someone the bot has no session with (any more).
  enum class Taken { fresh, duplicate, undecryptable, sessionless, refused };

  // Priority envelopes (staff) are taken at once. The others wait their turn: they are taken one
  // per turn of the loop, and only once the frames the relay has already sent are read (at most
  // kYieldTurns turns in a row are given to reading), so that a staff envelope behind a burst of
  // strangers' is seen, and taken, before them. The relay keeps up to 64 deliveries in flight,
  // which bounds how far ahead this can look.
  void on_envelope(Envelope envelope, RelayClient::Ack ack) {
    if (handlers_.priority && handlers_.priority(envelope.source)) {
      if (!waiting_.empty()) ++status_.taken_first;
      return take_in(envelope, ack);
    }
    waiting_.emplace_back(std::move(envelope), std::move(ack));
    arrived_ = true;
    if (waiting_.size() > 1 || take_posted_) return take_waiting_soon();
    // The first after a quiet spell: the rest of the relay's burst is given a moment to come in.
    take_posted_ = true;
    gather_timer_.expires_after(kGather);
    gather_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
      auto self = weak.lock();
      if (!self) return;
      self->take_posted_ = false;
      if (!ec) self->take_waiting();
    });
  }

  void take_waiting_soon() {
    if (take_posted_ || waiting_.empty()) return;
    take_posted_ = true;
    boost::asio::post(io_, [weak = weak_from_this()] {
      if (auto self = weak.lock()) self->take_waiting();
    });
  }

  void take_waiting() {
    take_posted_ = false;
    if (waiting_.empty()) return;
    if (std::exchange(arrived_, false) && yielded_ < kYieldTurns) {
      ++yielded_;  // more frames came in the last turn: read them first
      return take_waiting_soon();
    }
    yielded_ = 0;
    auto [envelope, ack] = std::move(waiting_.front());
    waiting_.pop_front();
    take_in(envelope, ack);
    take_waiting_soon();
  }

  void take_in(const Envelope& envelope, const RelayClient::Ack& ack) {
    Inbound inbound{envelope.source, envelope.client_timestamp, {}};
    Taken taken = Taken::refused;
    bool owner_asked = false;  // the owner was involved: what it wrote must commit
    auto unit = store_.db().transact([&]() -> storage::Result<void> {
      taken = take(envelope, inbound, owner_asked);
      if (taken == Taken::refused) {
        return storage::fail(storage::Errc::sql_failed, "refused by its owner");
      }
      // Whatever the attempt wrote (an identity, a session) is rolled back: a ciphertext that
      // cannot be read now never will be, and the relay deletes it once told.
      if ((taken == Taken::undecryptable || taken == Taken::sessionless) && !owner_asked)
        return storage::fail(storage::Errc::sql_failed, "undecryptable");
      return {};
    });
    if (!unit && taken != Taken::undecryptable && taken != Taken::sessionless) {
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
        if (status_.undecryptable == 1 || status_.undecryptable % 1000 == 0) {
          log::notice(std::to_string(status_.undecryptable) +
                      " undecryptable message(s) dropped so far (nothing of them kept)");
        }
        break;
    }
    if (taken == Taken::sessionless && handlers_.sessionless)
      handlers_.sessionless(envelope.source);
    if (taken == Taken::fresh || owner_asked) flush();  // the owner may have queued replies
  }

  // Whether this sender's message with this timestamp was taken in before (nothing is written:
  // the row is added only once the message was read).
  storage::Result<bool> seen_before(storage::PeerId peer, std::int64_t sent_at_ms) {
    auto seen =
        store_.db().prepare("SELECT 1 FROM inbound_seen WHERE peer_id = ?1 AND sent_at_ms = ?2");
    if (!seen) return std::move(seen).error();
    return seen->bind(1, peer).bind(2, sent_at_ms).step();
  }

  // Deduplicated, decrypted, handed to the owner. The sender's peer row and the dedup row are
  // written only for a message that was read.
  Taken take(const Envelope& envelope, Inbound& inbound, bool& owner_asked) {
    storage::Peers peers(store_);
    auto known = peers.find(envelope.source);
    if (!known) return Taken::refused;
    if (known.value()) {
      auto seen = seen_before(*known.value(), envelope.client_timestamp);
      if (!seen) return Taken::refused;
      if (seen.value()) return Taken::duplicate;
    }
    const signal::Address from{envelope.source};
    const signal::Ciphertext ciphertext{
        envelope.type == 3 ? signal::MessageKind::prekey : signal::MessageKind::whisper,
        envelope.content};
    auto plaintext = endpoint_.decrypt(from, ciphertext);
    if (!plaintext && plaintext.code() == signal::Errc::untrusted_identity &&
        handlers_.identity_changed) {
      owner_asked = true;
      if (handlers_.identity_changed(envelope.source) && endpoint_.forget_identity(from))
        plaintext = endpoint_.decrypt(from, ciphertext);
    }
    if (!plaintext) {
      switch (plaintext.code()) {
        case signal::Errc::duplicate_message:
          return Taken::duplicate;
        case signal::Errc::storage:
        case signal::Errc::crypto:
          return Taken::refused;  // passing: the relay delivers it again
        case signal::Errc::no_session:
          return ciphertext.kind == signal::MessageKind::whisper ? Taken::sessionless
                                                                 : Taken::undecryptable;
        default:
          return Taken::undecryptable;
      }
    }
    auto peer_id = peers.find_or_add(envelope.source, wall_ms() / 1000);
    if (!peer_id) return Taken::refused;
    auto fresh = storage::first_time_seen(store_, peer_id.value(), envelope.client_timestamp,
                                          wall_ms() / 1000);
    if (!fresh) return Taken::refused;
    if (!fresh.value()) return Taken::duplicate;
    inbound.text = std::move(plaintext).value();
    owner_asked = true;
    if (handlers_.received && !handlers_.received(inbound)) return Taken::refused;
    return Taken::fresh;
  }

  // --- Sending -------------------------------------------------------------------------------

  // Asks the gate, encrypts the row if it is not yet, then sends it. Nothing happens when the
  // peer has to wait (no session yet: a bundle is fetched) or the gate holds the row back.
  void send_row(const storage::Outbox::Waiting& row) {
    storage::Peers peers(store_);
    auto address = peers.address(row.peer);
    if (!address) return;
    const signal::Address to{address.value()};
    auto session = endpoint_.has_session(to);
    if (!session) return;
    if (!session.value()) return fetch_bundle(address.value(), row);
    auto prepared = prepare_row(row, to);
    if (!prepared) {
      log::warning("an outbox row could not be prepared (" + storage::describe(prepared.error()) +
                   "); tried again later");
      return postpone(row, kStorageRetryMs);
    }
    if (!prepared.value()) return flush_soon();  // withheld or waiting: the next row may go
    auto registration = endpoint_.remote_registration_id(to);
    if (!registration) return;
    const auto& [kind, ciphertext, sent_at] = *prepared.value();
    Json body{{"timestamp", sent_at},
              {"messages", Json::array({{{"type", kind},
                                         {"destination_device_id", 1},
                                         {"destination_registration_id", registration.value()},
                                         {"content", core::base64_encode(ciphertext)}}})}};
    in_flight_.emplace(row.id, row.peer);
    auto self = shared_from_this();
    client_.request("PUT", "/v1/messages/" + address.value(), body,
                    [self, row, to, prekey = kind == 3](int status, const Json& answer) {
                      self->on_sent(row, to, prekey, status, answer);
                    });
  }

  using Prepared = std::tuple<int, storage::Bytes, std::int64_t>;

  // The row's ciphertext: made now (and committed with the ratchet state) or read back; nothing
  // when the gate says the row may not go to this peer now (dropped, or waiting), decided in the
  // same transaction and against the identity key the session encrypts to.
  storage::Result<std::optional<Prepared>> prepare_row(const storage::Outbox::Waiting& waiting,
                                                       const signal::Address& to) {
    using Outcome = std::optional<Prepared>;
    return store_.db().transact([&]() -> storage::Result<Outcome> {
      if (handlers_.clearance) {
        auto key = endpoint_.peer_identity_key(to);
        if (!key) return storage::fail(storage::Errc::sql_failed, signal::describe(key.error()));
        auto clearance = handlers_.clearance(to.name, waiting.audience, key.value());
        if (!clearance) return std::move(clearance).error();
        if (clearance.value() == storage::Clearance::drop) {
          if (auto gone = storage::Outbox(store_).remove(waiting.id); !gone)
            return std::move(gone).error();
          ++status_.withheld;
          log::notice("a message was withheld: its recipient may not receive it now (" +
                      std::to_string(status_.withheld) + " so far)");
          return Outcome();
        }
        if (clearance.value() == storage::Clearance::wait) {
          if (auto later = storage::Outbox(store_).delay(waiting.id, wall_ms() + 1000); !later)
            return std::move(later).error();
          return Outcome();
        }
      }
      auto row = store_.db().prepare(
          "SELECT body, ciphertext, kind, sent_at_ms FROM outbox WHERE id = ?1");
      if (!row) return std::move(row).error();
      auto found = row->bind(1, waiting.id).step();
      if (!found) return std::move(found).error();
      if (!found.value()) return storage::fail(storage::Errc::not_found, "outbox row");
      if (!row->column_is_null(1)) {
        return Outcome(Prepared(static_cast<int>(row->column_int64(2)), row->column_blob(1),
                                row->column_int64(3)));
      }
      const std::string id_text = std::to_string(waiting.id);
      auto body = store_.sealer().open({"outbox", "body", id_text}, row->column_blob(0));
      if (!body) return std::move(body).error();
      auto encrypted = endpoint_.encrypt(to, body.value());
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
      return Outcome(Prepared(kind, std::move(encrypted->bytes), sent_at));
    });
  }

  // Sender timestamps identify messages (the receiver deduplicates on them): strictly rising.
  std::int64_t next_timestamp() {
    last_timestamp_ = std::max(wall_ms(), last_timestamp_ + 1);
    return last_timestamp_;
  }

  void on_sent(const storage::Outbox::Waiting& row, const signal::Address& to, bool prekey,
               int status, const Json& answer) {
    in_flight_.erase(row.id);
    daemon::log::debug("send: status " + std::to_string(status));
    if (status == 0) return;  // the connection ended: sent again on the next one
    if (status == 200 || status == 404 || status == 400 || status == 413) {
      // Stored by the relay, or never deliverable: either way it leaves the outbox.
      (void)storage::Outbox(store_).remove(row.id);
      if (status == 200) {
        ++status_.sent;
        if (prekey) ++status_.prekey_sent;
      }
      return flush();
    }
    if (status == 410) {
      // The peer re-registered: their session goes, and every ciphertext made for it. Nothing
      // is encrypted to their new key before the gate has seen it (a new bundle, a new session).
      (void)endpoint_.drop_session(to);
      auto reset = store_.db().prepare(
          "UPDATE outbox SET ciphertext = NULL, kind = NULL, sent_at_ms = NULL "
          "WHERE peer_id = ?1");
      if (reset) (void)store_.db().transact([&] { return reset->bind(1, row.peer).run(); });
      return flush();
    }
    // 429 and anything else: later.
    const double wait_s = status == 429 ? answer.value("retry_after", 1.0) : 2.0;
    postpone(row, static_cast<std::int64_t>(wait_s * 1000.0));
  }

  void postpone(const storage::Outbox::Waiting& row, std::int64_t wait_ms) {
    (void)storage::Outbox(store_).postpone(row.id, wall_ms() + wait_ms);
    flush_soon();
  }

  // Once per turn of the loop, after the answers that arrived in it.
  void flush_soon() {
    if (flush_posted_) return;
    flush_posted_ = true;
    boost::asio::post(io_, [weak = weak_from_this()] {
      if (auto self = weak.lock()) {
        self->flush_posted_ = false;
        self->flush();
      }
    });
  }

  void flush_later(std::chrono::milliseconds wait) {
    retry_timer_.expires_after(std::max(wait, std::chrono::milliseconds(1)));
    retry_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
      if (auto self = weak.lock(); self && !ec) self->flush();
    });
  }

  // A peer without a session: their bundle is fetched. One that is missing or cannot be used is
  // tried again with backoff (on the peer's first row, so it survives restarts), and after
  // kBundleTries given up on: the rows stay for an operator to see, tried once a day.
  void fetch_bundle(const std::string& peer, const storage::Outbox::Waiting& row) {
    if (!fetching_.insert(peer).second) return;
    auto self = shared_from_this();
    client_.request("GET", "/v2/keys/" + peer, Json::object(),
                    [self, peer, row](int status, const Json& body) {
                      daemon::log::debug("bundle fetch: status " + std::to_string(status));
                      self->fetching_.erase(peer);
                      if (status == 0) return;  // the connection ended: tried again on the next
                      if (status == 200 && self->start_session(peer, body)) return self->flush();
                      self->bundle_failed(row);
                    });
  }

  void bundle_failed(const storage::Outbox::Waiting& row) {
    if (row.attempts + 1 >= kBundleTries) {
      ++status_.given_up;
      log::error("no usable key bundle for a recipient after " + std::to_string(kBundleTries) +
                 " tries: their messages stay in the outbox and are tried again daily");
      return postpone(row, kGivenUpRetryMs);
    }
    postpone(row, backoff_ms(row.attempts));
  }

  // 1 s, 2 s, 4 s ... up to 10 minutes, with up to a quarter more at random.
  std::int64_t backoff_ms(int attempts) {
    const std::int64_t base = std::min<std::int64_t>(1000LL << std::min(attempts, 20), 600 * 1000);
    std::uniform_int_distribution<std::int64_t> jitter(0, base / 4);
    return base + jitter(random_);
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
        handlers_.identity_changed) {
      // The owner's handling of the change (a member suspended, what waits for them dropped,
      // the coordinators told) and the new session commit together, or not at all.
      const auto changed = store_.db().transact([&]() -> storage::Result<void> {
        if (!handlers_.identity_changed(peer))
          return storage::fail(storage::Errc::sql_failed, "the key change was not taken");
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

  boost::asio::io_context& io_;
  storage::Store& store_;
  signal::Endpoint& endpoint_;
  Handlers handlers_;
  boost::asio::steady_timer retry_timer_;
  boost::asio::steady_timer gather_timer_;
  RelayClient client_;
  std::map<std::int64_t, storage::PeerId> in_flight_;  // row id -> peer
  bool flush_posted_ = false;
  std::minstd_rand random_{std::random_device{}()};
  std::set<std::string> fetching_;
  std::deque<std::pair<Envelope, RelayClient::Ack>> waiting_;  // envelopes not yet taken in
  bool take_posted_ = false;
  bool arrived_ = false;  // an envelope came since the last turn
  int yielded_ = 0;
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
storage::Result<void> Messenger::send(const std::string& peer, std::string_view text,
                                      storage::Audience audience) {
  return impl_->send(peer, text, audience);
}
void Messenger::flush() { impl_->flush(); }
const MessengerStatus& Messenger::status() const { return impl_->status(); }

}  // namespace gvo::transport
