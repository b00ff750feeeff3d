// What gvo-relay does, apart from the network: accounts and their secrets, key upload and bundle
// fetch, the durable store-and-forward queue, limits. Requests come in as parsed JSON and leave
// as responses (bot/relay/PROTOCOL.md); the connections (connection.hpp) only move frames.
// Used on the relay's one thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "bot/relay/account_names.hpp"
#include "bot/relay/accounts.hpp"
#include "storage/database.hpp"
#include "storage/migrations.hpp"

namespace gvo::relay {

using Json = nlohmann::json;

// A token bucket: rate a second, up to burst at once.
class RateLimit {
 public:
  RateLimit(double rate, double burst) : rate_(rate), burst_(burst), tokens_(burst) {}
  // Takes one token; when none is left, the seconds until one is.
  std::optional<double> take(std::int64_t now_ms);
  // Whether a token is there, without taking it.
  bool ready(std::int64_t now_ms);
  // Whether the bucket has filled up again: then nothing about it needs remembering.
  bool full(std::int64_t now_ms);

 private:
  void refill(std::int64_t now_ms);

  double rate_;
  double burst_;
  double tokens_;
  std::int64_t last_ms_ = -1;
};

struct RelayLimits {
  std::size_t max_content_bytes = 64 * 1024;
  std::size_t max_pre_keys = 100;
  // Sends from one account to one recipient: this many a second, in bursts of send_burst
  // (0: no limit). Per pair, so that the bot, one account writing to every host, is not capped
  // as a whole.
  double sends_per_second = 50;
  double send_burst = 200;
  // All sends of one account, whoever they go to: a ceiling high enough for the bot
  // (0: no limit).
  double account_sends_per_second = 2000;
  double account_send_burst = 4000;
  // One-time pre-keys one account may take from others' bundles: this many an hour, in bursts
  // of as many; beyond, bundles come without one (0: no limit).
  double pre_keys_per_requester_per_hour = 20;
};

struct Outcome {
  int status = 200;
  std::string message = "OK";
  Json body = Json::object();
  // An account with a new message to deliver (its connection, if any, should be woken).
  std::optional<std::string> deliver_to;
  // A line for the relay's log (never a name or contents).
  std::optional<std::string> notice;
};

struct Delivery {
  std::int64_t seq = 0;  // order of storage, per recipient
  Json envelope;         // the body of PUT /api/v1/message
};

class RelayService {
 public:
  RelayService(storage::Database& db, bool open_registration, RelayLimits limits = {});

  // The relay's schema, to migrate its database with.
  static const std::vector<storage::Migration>& migrations();

  // The Authorization and X-Gvo-Claim headers of an upgrade (claim_code empty when absent):
  // the account, or the refusal to answer with (accounts.hpp).
  Admission authenticate(std::string_view authorization, std::string_view claim_code,
                         std::int64_t now_ms, const NewAccountGate& may_register = {}) {
    return accounts_.authenticate(authorization, claim_code, now_ms, may_register);
  }
  // GET /v1/login: whether those credentials would be let in (Accounts::check).
  Admission check_login(std::string_view authorization) { return accounts_.check(authorization); }
  Accounts& accounts() { return accounts_; }

  Outcome handle(const std::string& account, const std::string& verb, const std::string& path,
                 const Json& body, std::int64_t now_ms);

  // Stored messages for account after seq, oldest first.
  std::vector<Delivery> pending(const std::string& account, std::int64_t after_seq,
                                std::size_t limit);
  // The recipient took the message in: it is deleted (and, with the next checkpoint, gone from
  // the files: secure_delete, then forget_deleted).
  void acknowledge(const std::string& account, std::int64_t seq);
  // Messages deleted since the last call: their pages are then checkpointed and the WAL
  // truncated, so that no copy of a delivered ciphertext stays on disk. Whether it ran.
  bool forget_deleted();

  // Accounts::forget_idle, and their queued messages forgotten with forget_deleted.
  AccountResult<Forgotten> forget_idle_accounts(std::int64_t now_ms, std::int64_t idle_ms,
                                                std::int64_t keyless_idle_ms);

  // Forgets rate-limit buckets that have filled up again (memory back to its baseline after a
  // flood); how many are left (per sender, per sender and recipient, per requester).
  std::size_t prune(std::int64_t now_ms);

 private:
  Outcome upload_keys(const std::string& account, const Json& body);
  Outcome count_keys(const std::string& account);
  Outcome fetch_bundle(const std::string& requester, const std::string& target,
                       std::int64_t now_ms);
  Outcome send(const std::string& account, const std::string& target, const Json& body,
               std::int64_t now_ms);

  storage::Database& db_;
  Accounts accounts_;
  RelayLimits limits_;
  // Whether account may send to target now; when not, the seconds until it may.
  std::optional<double> take_send(const std::string& account, const std::string& target,
                                  std::int64_t now_ms);

  std::map<std::string, RateLimit> send_limits_;  // by sender, all recipients together
  std::map<std::pair<std::string, std::string>, RateLimit> pair_send_limits_;
  std::map<std::string, RateLimit> pre_key_limits_;
  bool deleted_since_checkpoint_ = false;
};

// Opens the relay's database, DIR/relay.db, migrated to its schema. create: make DIR (owner-only)
// and the database when missing. For start-up: the server's and the accounts command's.
storage::Result<storage::Database> open_relay_database(const std::string& data_dir, bool create);

}  // namespace gvo::relay
