// The one outbox pump of both transports (DESIGN §4, step 6). Each queued message leaves through
// the confidentiality gate, asked at that moment against the identity key the transport would
// encrypt to, then through a narrow adapter (the relay's, signal-cli's) that hands it over and
// says how that went. Each recipient's messages leave strictly in order: at most one of them is on
// its way at a time, and one that must wait (refused for now, a session being built, a key being
// read) holds back the later ones to that recipient, not anyone else's. Failures back off with
// jitter; a row handed over is never sent twice because its removal failed. One thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "storage/outbox.hpp"
#include "storage/store.hpp"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace gvo::transport {

// How handing one row over went.
struct SendOutcome {
  enum class Kind {
    delivered,      // taken (stored by the relay, accepted by signal-cli): leaves the outbox
    undeliverable,  // never deliverable: leaves the outbox unsent, logged
    retry_after,    // refused for now (rate limited): the recipient's rows wait wait_ms
    failed,         // a passing failure: tried again with backoff
    lost,           // the connection ended first: sent again on the next one
    again,          // the transport reset something (a session): tried again at once
    hold_all,       // the account, not the row, was refused: every send waits wait_ms, then
                    // one goes at a time until one is delivered
  };
  Kind kind = Kind::failed;
  std::int64_t wait_ms = 0;
  std::string why;  // for the log: never content
  // delivered: the recipient's next row waits until the adapter calls OutboxPump::resume (the
  // typing indicator between the parts of an answer must not be overtaken).
  bool hold_recipient = false;

  static SendOutcome of(Kind kind, std::int64_t wait_ms = 0, std::string why = {}) {
    return {kind, wait_ms, std::move(why), false};
  }
};

// What a transport does for the pump.
class PumpAdapter {
 public:
  virtual ~PumpAdapter() = default;
  virtual bool connected() const = 0;

  // Whether the transport can send to address now, and the identity key it would encrypt to or
  // hand the message over for (nothing: not known). pending: it is getting what it lacks (a
  // session) and calls OutboxPump::resume(address) when done.
  struct Key {
    bool pending = false;
    std::optional<storage::Bytes> key;
  };
  virtual Key key_for(const std::string& address, const storage::Outbox::Waiting& row) = 0;
  // The gate said wait: true when the transport will read the key again and then call
  // OutboxPump::resume(address); false: the row is tried again in a second.
  virtual bool refresh_key(const std::string& address) = 0;
  // In the gate's transaction, once it cleared the row: what must commit before the row leaves
  // (the relay's ciphertext, with its ratchet state).
  virtual storage::Result<void> seal(const storage::Outbox::Waiting& row,
                                     const std::string& address) = 0;
  // Hands the row over; done is called exactly once (lost when the connection ends). more: other
  // rows to this address wait behind it.
  virtual void send(const storage::Outbox::Waiting& row, const std::string& address, bool more,
                    std::function<void(SendOutcome)> done) = 0;
  // Whether send needs to know if more rows follow (typing indicators).
  virtual bool wants_more() const { return false; }
  // Whether the rows queued behind a recipient's first one are sealed with it (each cleared by
  // the gate first), so that the parts of one answer cost one commit, not one each.
  virtual bool seals_ahead() const { return false; }
};

struct PumpStatus {
  std::uint64_t sent = 0;
  std::uint64_t withheld = 0;       // dropped unsent by the confidentiality gate
  std::uint64_t undeliverable = 0;  // dropped: never deliverable
  std::uint64_t retried = 0;        // postponed (refused for now, failed)
  std::size_t in_flight = 0;
};

class OutboxPump {
 public:
  // The confidentiality gate (storage::Clearance), asked in a transaction at the moment a row
  // leaves. Unset: everything goes.
  using Gate = std::function<storage::Result<storage::Clearance>(
      const std::string& address, storage::Audience audience,
      const std::optional<storage::Bytes>& key)>;
  using Clock = std::function<std::chrono::system_clock::time_point()>;

  // log_prefix names the transport in log lines. window: rows on their way at once, at most.
  OutboxPump(boost::asio::io_context& io, storage::Store& store, PumpAdapter& adapter, Gate gate,
             std::string log_prefix, std::size_t window, Clock clock = {});
  OutboxPump(const OutboxPump&) = delete;
  OutboxPump& operator=(const OutboxPump&) = delete;
  ~OutboxPump();

  // Sends what may go now; asked after every commit, answer and wake-up, it runs once per turn.
  void flush();
  // Inside the caller's open transaction (the take-in's, before it commits): clears and seals
  // what may go now, so that it commits with what caused it, in one fsync. Handed over by
  // prepared(true) once that transaction committed, forgotten by prepared(false) when it did not.
  void prepare();
  void prepared(bool committed);
  // What the adapter was getting for address is there (or failed: the waiting row is tried again
  // as that outcome says).
  void resume(const std::string& address, std::optional<SendOutcome> failure = std::nullopt);
  // The connection ended: every row on its way is sent again on the next one.
  void disconnected();
  void stop();

  const PumpStatus& status() const;

  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace gvo::transport
