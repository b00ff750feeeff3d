// gvo-relay's accounts: provisioned by its admin (gvo-relay accounts add, then claimed once with
// a one-time code) or self-registered by a first connection in open mode; and the check of each
// WebSocket upgrade's credentials (bot/relay/PROTOCOL.md). Over the relay's database; used on the
// relay's one thread, and by the accounts command.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "bot/core/result.hpp"
#include "storage/database.hpp"
#include "storage/errors.hpp"

namespace gvo::relay {

enum class AccountState {
  reserved,         // provisioned, waiting for its claim code
  claimed,          // provisioned, its secret set by the claim
  self_registered,  // took its name with its first connection
};

struct AccountInfo {
  std::string name;
  AccountState state = AccountState::self_registered;
  std::int64_t created_at_ms = 0;
};

struct IssuedClaim {
  std::string code;  // XXXX-XXXX-XXXX; only a salted hash of it is stored
  std::int64_t expires_at_ms = 0;
  // Self-registered accounts whose names read like the one provisioned (registered before it
  // was): for the admin to look at.
  std::vector<std::string> look_alikes;
};

enum class AccountError {
  bad_name,       // not [a-z0-9][a-z0-9._-]{0,63}
  look_alike,     // reads like another provisioned account
  in_use,         // claimed or self-registered: only a reset takes it over
  not_found,      // no such account
  no_randomness,  // OpenSSL's generator failed
  storage,        // the database failed (detail: how)
};

template <typename T>
using AccountResult = core::Result<T, AccountError>;

// An upgrade let in: the account, and whether this connection has just claimed it.
struct Admitted {
  std::string account;
  bool claimed_now = false;
};

// An upgrade refused: the HTTP status and its body for the client (a few words, the same for
// every account), and a more precise detail for the relay's log. Neither holds the account name,
// the secret or the claim code.
struct Refusal {
  int status = 403;
  std::string reason;
  std::string detail;
  int retry_after_s = 0;  // a Retry-After header, for a refusal that holds for a while only
};

using Admission = std::variant<Admitted, Refusal>;

// Asked just before an unknown account registers: a refusal when too many did lately
// (flood_guard.hpp).
using NewAccountGate = std::function<std::optional<Refusal>()>;

// What forget_idle removed.
struct Forgotten {
  std::size_t accounts = 0;
  std::size_t envelopes = 0;
};

class Accounts {
 public:
  static constexpr int kMaxClaimFailures = 10;

  Accounts(storage::Database& db, bool open_registration);

  // authorization: the upgrade's Authorization header (Basic base64(name:secret)); claim_code:
  // its X-Gvo-Claim header, empty when absent.
  // may_register, when given, is asked before an unknown account registers. A success
  // notes when the account was last seen (touch).
  Admission authenticate(std::string_view authorization, std::string_view claim_code,
                         std::int64_t now_ms, const NewAccountGate& may_register = {});

  // Whether an upgrade with this Authorization header would be let in as an account that exists
  // (GET /v1/login): nothing is registered, claimed, counted or touched. An unknown account is
  // 404, a reserved one not claimed yet 403.
  Admission check(std::string_view authorization);

  // Notes that account was seen at now_ms (kept to within an hour, so that most connections
  // write nothing).
  AccountResult<void> touch(const std::string& account, std::int64_t now_ms);
  // Removes self-registered accounts not seen for idle_ms, and those that never uploaded keys
  // (they cannot be written to) not seen for keyless_idle_ms, with their keys and queued
  // messages. Provisioned accounts are never removed here. 0 turns either off.
  AccountResult<Forgotten> forget_idle(std::int64_t now_ms, std::int64_t idle_ms,
                                       std::int64_t keyless_idle_ms);

  // Reserves name (or takes back an account that is in use, when reset: its secret, keys and
  // queued messages are dropped) and issues a new claim code valid for valid_ms. Any earlier
  // code stops working.
  AccountResult<IssuedClaim> add(const std::string& name, std::int64_t valid_ms, bool reset,
                                 std::int64_t now_ms);
  AccountResult<std::vector<AccountInfo>> list();
  // Deletes the account with its keys, claim and queued messages.
  AccountResult<void> remove(const std::string& name);

 private:
  // The credentials of an Authorization header and what the database holds for their account.
  struct StoredLogin {
    std::string account;
    std::string secret;
    bool known = false;       // the account exists
    storage::Bytes salt;      // known: its secret's salt
    storage::Bytes expected;  // known: its secret's hash; empty while reserved
  };
  std::variant<StoredLogin, Refusal> look_up(std::string_view authorization);
  Admission claim(const std::string& account, std::string_view secret, std::string_view claim_code,
                  std::int64_t now_ms);
  Admission self_register(const std::string& account, std::string_view secret, std::int64_t now_ms,
                          const NewAccountGate& may_register);
  // Whether name reads like a provisioned account other than itself.
  storage::Result<bool> looks_like_provisioned(const std::string& name);

  storage::Database& db_;
  bool open_registration_;
};

std::string_view to_string(AccountState state);

}  // namespace gvo::relay
