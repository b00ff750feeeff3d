// gvo-bot on the real Signal network: a `signal-cli daemon` holds the bot's account and this
// transport speaks to it (SignalCliClient); it is signal-cli's adapter to the shared pipeline.
// Receiving: each data message of a person (never the account's own sync messages) goes through
// the one take-in (take_in.hpp: dedup on (sourceUuid, timestamp), the owner in a savepoint, one
// commit a turn); signal-cli has acknowledged it to Signal's server already, so one that must
// wait is kept, sealed, in the inbox. Sending: the one outbox pump (outbox_pump.hpp) with
// signal-cli's per-recipient results: SUCCESS and UNREGISTERED leave the outbox, RATE_LIMIT waits
// retryAfterSeconds, NETWORK backs off, IDENTITY goes to the owner's identity handling; a
// proof-required rate limit (a captcha challenge) holds every send until Signal lets the account
// send again. A rate limit or a challenge without a usable delay (signal-cli 0.13 says -1, or
// nothing) waits a bounded backoff of the bot's own: never a resend loop. Between the parts of a
// long answer the recipient sees "typing...". Nothing is lost across a restart of either side.
// Serving starts on each connection once signal-cli is known to hold the account the bot uses
// (listAccounts on a daemon without -a); then the owner's ready handler runs. A daemon that
// cannot be reached is a warning after a few seconds and an error after a minute.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "bot/transport/messenger.hpp"
#include "bot/transport/signal_cli_client.hpp"
#include "storage/store.hpp"

namespace gvo::transport {

struct SignalCliSettings {
  SignalCliAddress address;
  std::string account;  // for a multi-account daemon; "" for `signal-cli -a NUMBER daemon`
  std::string profile_name = "Getting the Voice Out";
  int host_expiration_seconds = 0;  // disappearing messages set on each new contact (0: off)
  bool typing_indicators = true;    // "typing..." between the parts of a long answer
  // subscribeReceive on each connection, for a daemon run with --receive-mode=manual; false for
  // on-connection, where every connection receives unasked.
  bool subscribe = true;
  // signal-cli not reachable this long (since the start, or since the connection ended): a
  // warning, then an error; both once per outage.
  std::chrono::milliseconds unreachable_warning{5000};
  std::chrono::milliseconds unreachable_error{60000};
};

struct SignalCliStatus {
  std::uint64_t received = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t unreadable = 0;  // signal-cli could not read them (its "exception")
  std::uint64_t ignored = 0;     // sync, typing, receipts, the account's own
  std::uint64_t sent = 0;
  std::uint64_t retried = 0;
  std::uint64_t commits = 0;   // transactions that took messages in
  std::uint64_t typing = 0;    // typing indicators sent
  std::uint64_t withheld = 0;  // dropped unsent by the confidentiality gate
  bool challenged = false;     // Signal asks for a captcha before the account may send again
  bool linked_device = false;  // signal-cli refused a primary-only request (updateContact)
  // Connected, but signal-cli does not hold the account the bot would use (listAccounts).
  bool account_missing = false;
  // Of the present outage: 0 none said yet (or connected), 1 the warning said, 2 the error too.
  int unreachable_said = 0;
};

class SignalCliTransport {
 public:
  using Handlers = Messenger::Handlers;  // the same owner interface as the relay's messenger
  using Clock = std::function<std::chrono::system_clock::time_point()>;

  SignalCliTransport(boost::asio::io_context& io, storage::Store& store, SignalCliSettings settings,
                     Handlers handlers, Clock clock, SignalCliTimings timings = {});
  SignalCliTransport(const SignalCliTransport&) = delete;
  SignalCliTransport& operator=(const SignalCliTransport&) = delete;
  ~SignalCliTransport();

  void start();
  void stop();
  bool connected() const;

  // Queues a message to an address (a sourceUuid), in the caller's transaction if one is open.
  storage::Result<void> send(const std::string& address, std::string_view text,
                             storage::Audience audience = storage::Audience::host);
  void flush();
  // The disappearing-message timer of the conversation with address (signal-cli keeps it as
  // contact state; 0 turns it off).
  void set_expiration(const std::string& address, int seconds);
  // Has signal-cli delete all it holds of address, sessions and identity keys included (the
  // person was forgotten); logged when it cannot.
  void forget(const std::string& address);

  // The identity key signal-cli holds for address (by ACI or number), as last read with
  // listIdentities: on each connection, after a key change, and when someone new writes. Nothing
  // while it is not known.
  std::optional<core::signal_cli::KnownIdentity> identity(const std::string& address) const;

  const SignalCliStatus& status() const;

  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace gvo::transport
