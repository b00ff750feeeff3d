// The bot's login at gvo-relay as gvo-bot's start-up and its relay-claim command make it: the
// account secret kept sealed in the database, the account checked before any connection, and what
// the log says when the relay refuses it. Start-up code, on the main thread, before the loop runs.
#pragma once

#include <stdexcept>
#include <string>

#include "bot/core/config.hpp"
#include "bot/transport/relay_client.hpp"
#include "storage/store.hpp"

namespace gvo::transport {

// Why the bot cannot log in at all. A start-up error: config when a restart cannot fix it (gvo-bot
// exits 78), failure otherwise (exits 1).
class RelayLoginError : public std::runtime_error {
 public:
  enum class Kind { config, failure };
  RelayLoginError(Kind kind, const std::string& what) : std::runtime_error(what), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

// The bot's account secret at the relay: made on first run, kept sealed in the database.
std::string relay_secret(storage::Store& store);

// ws://host:port or wss://host:port, for logs and messages.
std::string relay_address(const core::Config& config);

// The bot's login at the relay, checked before any connection (RelayLoginError when it must not
// connect).
RelayAccount relay_account(const core::Config& config, std::string secret);

// What the log says when the relay refuses the bot's login (status 401 and others), or the bot
// refuses the relay (status 0: its certificate), with what would fix it.
std::string relay_refusal(const core::Config& config, int status, const std::string& reason);

}  // namespace gvo::transport
