// The one take-in of both transports (DESIGN §4). What arrives in one turn of the loop is taken in
// together, each message in a savepoint of one transaction (dedup, the transport's reading of it,
// the owner), with one durable commit for all of them; only then is it acknowledged. Each sender's
// messages take effect in the order they came: while one of them cannot be taken in (storage
// failed, the owner refused), none after it from that sender is; it is tried again with backoff
// while the bot runs, and the log says once when that starts and once when it ends.
// One thread (the io_context's).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "bot/core/message_kind.hpp"
#include "storage/outbox.hpp"
#include "storage/store.hpp"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace gvo::transport {

// A message as the owner sees it: who sent it, when (their clock), what it says, and what it is
// besides its words (a voice note, a photo...: the relay's are always text).
struct Inbound {
  std::string peer;  // the sender's address (relay account, or signal-cli's sourceUuid)
  std::int64_t sent_at_ms = 0;
  std::string text;
  core::MessageKind kind = core::MessageKind::text;
};

// One message as it arrived, before it is read.
struct Arrival {
  std::string peer;
  std::int64_t sent_at_ms = 0;  // the sender's timestamp: with the peer, the dedup key
  bool priority = false;        // staff: taken before everyone else waiting
  // What only the transport reads: the relay's ciphertext (kind 1 or 3), signal-cli's text.
  int kind = 0;
  std::vector<std::uint8_t> content;
  std::string text;
  core::MessageKind text_kind = core::MessageKind::text;  // signal-cli: what it is besides text
  bool key_change = false;  // signal-cli: the sender's identity key changed (nothing to read)
  std::string unreadable;   // signal-cli: why it could not read the message (its exception)
  // The relay: told once the message was taken in (it is deleted there). Unset for signal-cli,
  // which acknowledged it to Signal's server already: such a message is kept in the inbox while
  // it waits, kept_id its row there.
  std::function<void()> acknowledge;
  std::int64_t kept_id = 0;
};

// What the transport read of a message, inside its savepoint.
struct Reading {
  enum class Kind {
    text,         // read: text
    unreadable,   // can never be read (damaged, forged, not for us): dropped, counted, logged
    sessionless,  // unreadable for want of a session: dropped; the owner may ask them again
    nothing,      // read, with nothing for the owner (a key-change notice): its writes commit
    declined,     // the owner refused the sender's new key: left unread and unacknowledged (the
                  // relay delivers it again on the next connection)
    failed,       // not now (storage, crypto): rolled back, tried again
  };
  Kind kind = Kind::failed;
  std::string text;
  core::MessageKind text_kind = core::MessageKind::text;  // read: what it is besides its words
  std::string why;                                        // for the log: never content
  bool wrote = false;  // unreadable or sessionless: what the reading wrote commits all the same
  // Once the message's savepoint committed (signal-cli trusts a new key then, say).
  std::function<void()> then;
};

struct TakeInStatus {
  std::uint64_t received = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t unreadable = 0;
  std::uint64_t taken_first = 0;  // priority messages taken ahead of others waiting
  std::uint64_t commits = 0;
  std::uint64_t failed_tries = 0;  // messages rolled back to be tried again
  std::uint64_t kept = 0;          // messages kept in the inbox while they waited
  std::size_t waiting = 0;
};

class TakeIn {
 public:
  struct Hooks {
    // Inside the message's savepoint, once dedup found it new: what the transport reads of it.
    std::function<Reading(const Arrival&)> read;
    // Inside the savepoint, after the reading: what the owner writes (replies go to the outbox).
    // A failure rolls the savepoint back; the message waits and is tried again.
    std::function<storage::Result<void>(const Inbound&)> received;
    // After the commit, for each message taken in (in order).
    std::function<void(const Inbound&)> committed;
    // Inside the savepoint of a message unreadable for want of a session: the owner may ask them
    // to write again (an answer starts a new session, which their client takes up).
    std::function<storage::Result<void>(const std::string& peer)> sessionless;
    // In the batch's transaction, just before its commit: what commits with it (the outbox
    // pump seals the replies the owner queued, so that one fsync covers both).
    std::function<void()> before_commit;
    // After every commit (the outbox pump, say).
    std::function<void()> after_commit;
    // The commit failed: what before_commit prepared was rolled back with it.
    std::function<void()> commit_failed;
    // Storage fails (true), and works again (false): signal-cli pauses its subscription.
    std::function<void(bool failing)> storage_failing;
  };
  using Clock = std::function<std::chrono::system_clock::time_point()>;

  // log_prefix names the transport in log lines ("relay", "signal-cli").
  TakeIn(boost::asio::io_context& io, storage::Store& store, Hooks hooks, std::string log_prefix,
         Clock clock = {});
  TakeIn(const TakeIn&) = delete;
  TakeIn& operator=(const TakeIn&) = delete;
  ~TakeIn();

  // Taken in on a later turn of the loop, after what the sender sent before.
  void arrive(Arrival arrival);
  // The connection ended: messages the transport will deliver again (not acknowledged) are
  // forgotten here.
  void drop_unacknowledged();
  // Messages kept in the inbox by an earlier run (signal-cli's): taken in before what comes now.
  void resume_kept();
  // How long a failed message waits before its next try, at most.
  void set_longest_retry(std::chrono::milliseconds longest);
  void stop();

  const TakeInStatus& status() const;

  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

// A peer as logs may name it: a short keyed hash, never the address.
std::string peer_log_name(const storage::Store& store, const std::string& address);

}  // namespace gvo::transport
