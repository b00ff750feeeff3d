// End-to-end encrypted messaging through gvo-relay, for gvo-bot and gvo-chat alike: the relay's
// adapter to the shared pipeline. Receiving goes through the one take-in (take_in.hpp): each
// envelope deduplicated, decrypted and handed to the owner in a savepoint, one commit a turn, the
// relay told after it. Envelopes from priority senders (staff) are taken first; one that cannot be
// decrypted leaves nothing in the database (no peer, no dedup row: the relay deletes it once told),
// except where a broken session is archived so that the sender's next message starts a new one.
// Sending goes through the one outbox pump (outbox_pump.hpp): each row encrypted once, its
// ciphertext committed with the ratchet state, then sent, deleted when the relay stored it.
// One-time pre-keys are refilled while connected. One thread (the io_context's).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "bot/signal/endpoint.hpp"
#include "bot/transport/relay_client.hpp"
#include "bot/transport/take_in.hpp"
#include "storage/outbox.hpp"
#include "storage/store.hpp"

namespace gvo::transport {

struct MessengerStatus {
  std::uint64_t received = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t undecryptable = 0;
  std::uint64_t taken_first = 0;  // priority envelopes taken ahead of others waiting
  std::uint64_t sent = 0;
  std::uint64_t prekey_sent = 0;  // of those, pre-key messages (the first ones of a session)
  std::uint64_t withheld = 0;     // dropped unsent by the confidentiality gate
  std::uint64_t given_up = 0;     // peers whose key bundle could not be used after many tries
};

class Messenger {
 public:
  struct Handlers {
    // Inside the message's savepoint: write what the message causes (replies go through send()).
    // A failure rolls it back; the message waits, and nothing after it from that sender is taken.
    std::function<storage::Result<void>(const Inbound&)> received;
    // After that transaction committed (to show the message, say).
    std::function<void(const Inbound&)> committed;
    // A peer's identity key changed, inside the savepoint of what showed it: what the owner does
    // about it (a member suspended); true accepts the new key (the message is then read), false
    // refuses it (the message stays unread); a failure rolls back and is tried again.
    std::function<storage::Result<bool>(const std::string& peer)> identity_changed;
    // Whether a sender's envelopes go before everyone else's (staff), asked on arrival, before
    // anything is decrypted. Unset: in the order they came.
    std::function<bool(const std::string& peer)> priority;
    // A message from someone the bot holds no session with any more (they were forgotten, or
    // their session was broken and archived), inside its savepoint: the owner may answer them (an
    // answer starts a new session, which their client takes up).
    std::function<storage::Result<void>(const std::string& peer)> sessionless;
    // Connected, keys published, outbox resumed.
    std::function<void()> ready;
    // The confidentiality gate, at the moment a queued message leaves (before it is encrypted,
    // and again before a ciphertext made earlier is sent), inside a transaction: may it go to
    // address now, encrypted to key (the identity key its session uses)? Unset: everything goes.
    std::function<storage::Result<storage::Clearance>(const std::string& address,
                                                      storage::Audience audience,
                                                      const std::optional<storage::Bytes>& key)>
        clearance;
    // The relay refused the login (RelayClient::Handlers::refused).
    std::function<void(int status, const std::string& reason)> refused;
  };

  Messenger(boost::asio::io_context& io, storage::Store& store, signal::Endpoint& endpoint,
            RelayAccount account, Handlers handlers, RelayTimings timings = {});
  Messenger(const Messenger&) = delete;
  Messenger& operator=(const Messenger&) = delete;
  ~Messenger();

  void start();
  void stop();
  bool connected() const;

  // Queues a message to peer, in the caller's transaction if one is open. Call flush() after
  // that transaction commits to send it.
  storage::Result<void> send(const std::string& peer, std::string_view text,
                             storage::Audience audience = storage::Audience::host);
  void flush();

  const MessengerStatus& status() const;

  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

// The owner's part of a take-in's hooks, for both transports: received, committed and
// sessionless go to handlers as they stand when each is called (handlers outlives the hooks).
TakeIn::Hooks owner_hooks(const Messenger::Handlers& handlers);

}  // namespace gvo::transport
