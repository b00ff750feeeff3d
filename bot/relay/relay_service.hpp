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

 private:
  double rate_;
  double burst_;
  double tokens_;
  std::int64_t last_ms_ = -1;
};

struct RelayLimits {
  std::size_t max_content_bytes = 64 * 1024;
  std::size_t max_pre_keys = 100;
  double sends_per_second = 50;
  double send_burst = 200;
};

struct Outcome {
  int status = 200;
  std::string message = "OK";
  Json body = Json::object();
  // An account with a new message to deliver (its connection, if any, should be woken).
  std::optional<std::string> deliver_to;
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
                         std::int64_t now_ms) {
    return accounts_.authenticate(authorization, claim_code, now_ms);
  }
  Accounts& accounts() { return accounts_; }

  Outcome handle(const std::string& account, const std::string& verb, const std::string& path,
                 const Json& body, std::int64_t now_ms);

  // Stored messages for account after seq, oldest first.
  std::vector<Delivery> pending(const std::string& account, std::int64_t after_seq,
                                std::size_t limit);
  // The recipient took the message in: it is deleted.
  void acknowledge(const std::string& account, std::int64_t seq);

 private:
  Outcome upload_keys(const std::string& account, const Json& body);
  Outcome count_keys(const std::string& account);
  Outcome fetch_bundle(const std::string& target);
  Outcome send(const std::string& account, const std::string& target, const Json& body,
               std::int64_t now_ms);

  storage::Database& db_;
  Accounts accounts_;
  RelayLimits limits_;
  std::map<std::string, RateLimit> send_limits_;
};

// Opens the relay's database, DIR/relay.db, migrated to its schema. create: make DIR (owner-only)
// and the database when missing. For start-up: the server's and the accounts command's.
storage::Result<storage::Database> open_relay_database(const std::string& data_dir, bool create);

}  // namespace gvo::relay
