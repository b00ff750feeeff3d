#include "bot/relay/relay_service.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>

#include <openssl/rand.h>

#include "bot/core/base64.hpp"
#include "storage/migrations.hpp"

namespace gvo::relay {
namespace {

using storage::Bytes;

constexpr std::size_t kIdentityKeySize = 33;
constexpr std::size_t kSignatureSize = 64;

Outcome refuse(int status, std::string message, Json body = Json::object()) {
  Outcome outcome;
  outcome.status = status;
  outcome.message = std::move(message);
  outcome.body = std::move(body);
  return outcome;
}

std::optional<Bytes> decoded(const Json& body, const char* key, std::size_t size) {
  const auto it = body.find(key);
  if (it == body.end() || !it->is_string()) return std::nullopt;
  auto bytes = core::base64_decode(it->get_ref<const std::string&>());
  if (!bytes || (size != 0 && bytes->size() != size)) return std::nullopt;
  return bytes;
}

std::optional<std::int64_t> whole(const Json& body, const char* key, std::int64_t min,
                                  std::int64_t max) {
  const auto it = body.find(key);
  if (it == body.end() || !it->is_number_integer()) return std::nullopt;
  const auto value = it->get<std::int64_t>();
  if (value < min || value > max) return std::nullopt;
  return value;
}

bool succeeded(const storage::Result<void>& result) { return result.ok(); }

}  // namespace

void RateLimit::refill(std::int64_t now_ms) {
  if (last_ms_ >= 0 && now_ms > last_ms_) {
    tokens_ = std::min(burst_, tokens_ + rate_ * static_cast<double>(now_ms - last_ms_) / 1000.0);
  }
  last_ms_ = std::max(last_ms_, now_ms);
}

bool RateLimit::ready(std::int64_t now_ms) {
  refill(now_ms);
  return tokens_ >= 1.0;
}

bool RateLimit::full(std::int64_t now_ms) {
  refill(now_ms);
  return tokens_ >= burst_;
}

std::optional<double> RateLimit::take(std::int64_t now_ms) {
  refill(now_ms);
  if (tokens_ >= 1.0) {
    tokens_ -= 1.0;
    return std::nullopt;
  }
  return (1.0 - tokens_) / rate_;
}

const std::vector<storage::Migration>& RelayService::migrations() {
  static const std::vector<storage::Migration> kMigrations = {
      {1, "accounts, keys and the message queue", R"sql(
        CREATE TABLE accounts (
          id                TEXT PRIMARY KEY,
          secret_salt       BLOB NOT NULL,
          secret_hash       BLOB NOT NULL,
          registration_id   INTEGER,
          identity_key      BLOB,
          signed_pre_key_id INTEGER,
          signed_pre_key    BLOB,
          signature         BLOB,
          created_at        INTEGER NOT NULL
        ) STRICT;
        CREATE TABLE pre_keys (
          account    TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
          id         INTEGER NOT NULL,
          public_key BLOB NOT NULL,
          PRIMARY KEY (account, id)
        ) STRICT, WITHOUT ROWID;
        -- Ciphertexts waiting for their recipient's acknowledgement, in the order received.
        CREATE TABLE envelopes (
          seq              INTEGER PRIMARY KEY AUTOINCREMENT,
          guid             TEXT NOT NULL UNIQUE,
          destination      TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
          type             INTEGER NOT NULL,
          source           TEXT NOT NULL,
          source_device    INTEGER NOT NULL,
          client_timestamp INTEGER NOT NULL,
          server_timestamp INTEGER NOT NULL,
          content          BLOB NOT NULL
        ) STRICT;
        CREATE INDEX envelopes_by_destination ON envelopes(destination, seq);
      )sql"},
      {2, "provisioned accounts and their claim codes", R"sql(
        -- 1: reserved by its admin (gvo-relay accounts add). Until its claim, such an account has
        -- a zero-length secret_salt and secret_hash.
        ALTER TABLE accounts ADD COLUMN provisioned INTEGER NOT NULL DEFAULT 0
          CHECK (provisioned IN (0, 1));
        -- The one outstanding claim code of a reserved account: a salted SHA-256 of it, never the
        -- code itself.
        CREATE TABLE claims (
          account    TEXT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
          code_salt  BLOB NOT NULL,
          code_hash  BLOB NOT NULL,
          expires_at INTEGER NOT NULL,
          failures   INTEGER NOT NULL DEFAULT 0
        ) STRICT, WITHOUT ROWID;
      )sql"},
      {3, "when each account was last seen, for the retention of idle ones", R"sql(
        -- NULL: not since it was created (created_at).
        ALTER TABLE accounts ADD COLUMN last_seen_at INTEGER;
      )sql"},
  };
  return kMigrations;
}

RelayService::RelayService(storage::Database& db, bool open_registration, RelayLimits limits)
    : db_(db), accounts_(db, open_registration), limits_(limits) {}

storage::Result<storage::Database> open_relay_database(const std::string& data_dir, bool create) {
  if (create && ::mkdir(data_dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return storage::fail(storage::Errc::open_failed,
                         "cannot create " + data_dir + ": " + std::strerror(errno));
  }
  auto db =
      storage::Database::open(data_dir + "/relay.db", create ? storage::OpenMode::create_if_missing
                                                             : storage::OpenMode::existing_only);
  if (!db) return db;
  if (auto migrated = storage::migrate(db.value(), RelayService::migrations()); !migrated) {
    return std::move(migrated).error();
  }
  return db;
}

Outcome RelayService::handle(const std::string& account, const std::string& verb,
                             const std::string& path, const Json& body, std::int64_t now_ms) {
  constexpr std::string_view kKeysOf = "/v2/keys/";
  constexpr std::string_view kMessagesTo = "/v1/messages/";
  if (verb == "GET" && path == "/v1/keepalive") return Outcome{};
  if (verb == "PUT" && path == "/v2/keys") return upload_keys(account, body);
  if (verb == "GET" && path == "/v2/keys") return count_keys(account);
  if (verb == "GET" && path.compare(0, kKeysOf.size(), kKeysOf) == 0) {
    return fetch_bundle(account, path.substr(kKeysOf.size()), now_ms);
  }
  if (verb == "PUT" && path.compare(0, kMessagesTo.size(), kMessagesTo) == 0) {
    return send(account, path.substr(kMessagesTo.size()), body, now_ms);
  }
  return refuse(404, "no such request");
}

Outcome RelayService::upload_keys(const std::string& account, const Json& body) {
  const auto registration_id = whole(body, "registration_id", 1, 0x7FFFFFFF);
  const auto identity = decoded(body, "identity_key", kIdentityKeySize);
  const auto signed_it = body.find("signed_pre_key");
  if (!registration_id || !identity || signed_it == body.end() || !signed_it->is_object()) {
    return refuse(400, "expected registration_id, identity_key and signed_pre_key");
  }
  const auto signed_id = whole(*signed_it, "id", 0, 0xFFFFFF);
  const auto signed_key = decoded(*signed_it, "public_key", kIdentityKeySize);
  const auto signature = decoded(*signed_it, "signature", kSignatureSize);
  if (!signed_id || !signed_key || !signature) return refuse(400, "malformed signed_pre_key");
  std::vector<std::pair<std::int64_t, Bytes>> pre_keys;
  if (const auto list = body.find("pre_keys"); list != body.end()) {
    if (!list->is_array() || list->size() > limits_.max_pre_keys) {
      return refuse(400, "expected at most " + std::to_string(limits_.max_pre_keys) + " pre_keys");
    }
    for (const Json& item : *list) {
      if (!item.is_object()) return refuse(400, "malformed pre_key");
      const auto id = whole(item, "id", 1, 0xFFFFFF);
      auto key = decoded(item, "public_key", kIdentityKeySize);
      if (!id || !key) return refuse(400, "malformed pre_key");
      pre_keys.emplace_back(*id, std::move(*key));
    }
  }
  auto stored = db_.transact([&]() -> storage::Result<void> {
    auto update = db_.prepare(
        "UPDATE accounts SET registration_id = ?2, identity_key = ?3, signed_pre_key_id = ?4, "
        "signed_pre_key = ?5, signature = ?6 WHERE id = ?1");
    if (!update) return std::move(update).error();
    update->bind(1, account)
        .bind(2, *registration_id)
        .bind_blob(3, *identity)
        .bind(4, *signed_id)
        .bind_blob(5, *signed_key)
        .bind_blob(6, *signature);
    if (auto done = update->run(); !done) return done;
    if (pre_keys.empty()) return {};
    auto clear = db_.prepare("DELETE FROM pre_keys WHERE account = ?1");
    if (!clear) return std::move(clear).error();
    if (auto done = clear->bind(1, account).run(); !done) return done;
    auto insert =
        db_.prepare("INSERT OR REPLACE INTO pre_keys(account, id, public_key) VALUES (?1, ?2, ?3)");
    if (!insert) return std::move(insert).error();
    for (const auto& [id, key] : pre_keys) {
      insert->reset();
      if (auto done = insert->bind(1, account).bind(2, id).bind_blob(3, key).run(); !done) {
        return done;
      }
    }
    return {};
  });
  if (!stored) return refuse(500, "storage failed");
  return Outcome{};
}

Outcome RelayService::count_keys(const std::string& account) {
  auto query = db_.prepare("SELECT count(*) FROM pre_keys WHERE account = ?1");
  if (!query || !query->bind(1, account).step()) return refuse(500, "storage failed");
  Outcome outcome;
  outcome.body = {{"count", query->column_int64(0)}};
  return outcome;
}

Outcome RelayService::fetch_bundle(const std::string& requester, const std::string& target,
                                   std::int64_t now_ms) {
  if (!is_account_name(target)) return refuse(404, "no such account");
  Outcome outcome;
  // Draining someone's one-time pre-keys takes many fetches: past its budget, a requester gets
  // bundles without one (X3DH works without it) and the keys stay for others.
  const double per_hour = limits_.pre_keys_per_requester_per_hour;
  const bool limited = per_hour > 0 && requester != target;
  bool may_take = true;
  if (limited) {
    const auto it = pre_key_limits_.find(requester);  // none yet: a full bucket
    may_take = it == pre_key_limits_.end() || it->second.ready(now_ms);
  }
  bool took = false;
  auto fetched = db_.transact([&]() -> storage::Result<bool> {
    auto account = db_.prepare(
        "SELECT registration_id, identity_key, signed_pre_key_id, signed_pre_key, signature "
        "FROM accounts WHERE id = ?1 AND identity_key IS NOT NULL");
    if (!account) return std::move(account).error();
    auto row = account->bind(1, target).step();
    if (!row) return std::move(row).error();
    if (!row.value()) return false;
    outcome.body = {{"registration_id", account->column_int64(0)},
                    {"device_id", 1},
                    {"identity_key", core::base64_encode(account->column_blob(1))},
                    {"signed_pre_key",
                     {{"id", account->column_int64(2)},
                      {"public_key", core::base64_encode(account->column_blob(3))},
                      {"signature", core::base64_encode(account->column_blob(4))}}}};
    if (!may_take) return true;
    // Each one-time pre-key is handed out once.
    auto pre_key = db_.prepare(
        "DELETE FROM pre_keys WHERE account = ?1 AND id = (SELECT min(id) FROM pre_keys "
        "WHERE account = ?1) RETURNING id, public_key");
    if (!pre_key) return std::move(pre_key).error();
    auto taken = pre_key->bind(1, target).step();
    if (!taken) return std::move(taken).error();
    if (taken.value()) {
      outcome.body["pre_key"] = {{"id", pre_key->column_int64(0)},
                                 {"public_key", core::base64_encode(pre_key->column_blob(1))}};
      took = true;
      if (auto rest = pre_key->step(); !rest) return std::move(rest).error();
    }
    return true;
  });
  if (!fetched) return refuse(500, "storage failed");
  if (!fetched.value()) return refuse(404, "no such account, or no keys uploaded");
  if (took && limited) {
    (void)pre_key_limits_.try_emplace(requester, per_hour / 3600.0, per_hour)
        .first->second.take(now_ms);
  }
  if (!may_take) {
    outcome.notice = "a bundle went without its one-time pre-key: the requester took its " +
                     std::to_string(static_cast<long>(per_hour)) + " an hour";
  }
  return outcome;
}

Outcome RelayService::send(const std::string& account, const std::string& target, const Json& body,
                           std::int64_t now_ms) {
  if (const auto wait = take_send(account, target, now_ms)) {
    return refuse(429, "too many messages", {{"retry_after", std::ceil(*wait)}});
  }
  const auto timestamp = whole(body, "timestamp", 0, INT64_MAX);
  const auto messages = body.find("messages");
  if (!timestamp || messages == body.end() || !messages->is_array() || messages->empty()) {
    return refuse(400, "expected timestamp and messages");
  }
  if (!is_account_name(target)) return refuse(404, "no such account");
  auto recipient = db_.prepare("SELECT registration_id FROM accounts WHERE id = ?1");
  if (!recipient) return refuse(500, "storage failed");
  auto found = recipient->bind(1, target).step();
  if (!found) return refuse(500, "storage failed");
  if (!found.value() || recipient->column_is_null(0)) return refuse(404, "no such account");
  const std::int64_t registration_id = recipient->column_int64(0);

  std::vector<std::int64_t> extra;
  for (const Json& message : *messages) {
    if (!message.is_object()) continue;
    const auto device = whole(message, "destination_device_id", 0, 255).value_or(1);
    if (device != 1) extra.push_back(device);
  }
  if (!extra.empty() || messages->size() != 1) {
    return refuse(409, "devices do not match",
                  {{"missing_devices", Json::array()}, {"extra_devices", extra}});
  }
  const Json& message = messages->front();
  if (!message.is_object()) return refuse(400, "malformed message");
  const auto type = whole(message, "type", 1, 3).value_or(0);
  const auto destination_registration =
      whole(message, "destination_registration_id", 0, 0x7FFFFFFF);
  const auto content = decoded(message, "content", 0);
  if ((type != 1 && type != 3) || !destination_registration || !content || content->empty()) {
    return refuse(400, "malformed message");
  }
  if (content->size() > limits_.max_content_bytes) return refuse(413, "message too large");
  if (*destination_registration != registration_id) {
    return refuse(410, "the recipient re-registered", {{"stale_devices", Json::array({1})}});
  }
  Bytes random(16);
  if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) {
    return refuse(500, "no randomness");
  }
  std::string guid;
  for (std::uint8_t byte : random) {
    static constexpr char kDigits[] = "0123456789abcdef";
    guid += kDigits[byte >> 4];
    guid += kDigits[byte & 0x0f];
  }
  auto insert = db_.prepare(
      "INSERT INTO envelopes(guid, destination, type, source, source_device, client_timestamp, "
      "server_timestamp, content) VALUES (?1, ?2, ?3, ?4, 1, ?5, ?6, ?7)");
  if (!insert) return refuse(500, "storage failed");
  insert->bind(1, guid)
      .bind(2, target)
      .bind(3, type)
      .bind(4, account)
      .bind(5, *timestamp)
      .bind(6, now_ms)
      .bind_blob(7, *content);
  if (!succeeded(db_.transact([&] { return insert->run(); }))) return refuse(500, "storage failed");
  Outcome outcome;
  outcome.body = {{"guid", guid}};
  outcome.deliver_to = target;
  return outcome;
}

std::optional<double> RelayService::take_send(const std::string& account, const std::string& target,
                                              std::int64_t now_ms) {
  RateLimit* whole_account = nullptr;
  if (limits_.account_sends_per_second > 0) {
    whole_account =
        &send_limits_
             .try_emplace(account, limits_.account_sends_per_second, limits_.account_send_burst)
             .first->second;
  }
  // A pair's bucket only for a name that can be an account: a send to anything else is refused
  // (404) after this, and must not make memory grow by the name.
  RateLimit* pair = nullptr;
  if (limits_.sends_per_second > 0 && is_account_name(target)) {
    pair = &pair_send_limits_
                .try_emplace(std::make_pair(account, target), limits_.sends_per_second,
                             limits_.send_burst)
                .first->second;
  }
  // Both must have a token; neither is spent when one of them refuses.
  if (whole_account != nullptr && !whole_account->ready(now_ms)) return whole_account->take(now_ms);
  if (pair != nullptr && !pair->ready(now_ms)) return pair->take(now_ms);
  if (whole_account != nullptr) (void)whole_account->take(now_ms);
  if (pair != nullptr) (void)pair->take(now_ms);
  return std::nullopt;
}

std::vector<Delivery> RelayService::pending(const std::string& account, std::int64_t after_seq,
                                            std::size_t limit) {
  std::vector<Delivery> out;
  auto query = db_.prepare(
      "SELECT seq, guid, type, source, source_device, client_timestamp, server_timestamp, content "
      "FROM envelopes WHERE destination = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3");
  if (!query) return out;
  query->bind(1, account).bind(2, after_seq).bind(3, static_cast<std::int64_t>(limit));
  for (;;) {
    auto row = query->step();
    if (!row || !row.value()) break;
    out.push_back({query->column_int64(0),
                   {{"guid", query->column_text(1)},
                    {"type", query->column_int64(2)},
                    {"source", query->column_text(3)},
                    {"source_device", query->column_int64(4)},
                    {"client_timestamp", query->column_int64(5)},
                    {"server_timestamp", query->column_int64(6)},
                    {"content", core::base64_encode(query->column_blob(7))}}});
  }
  return out;
}

void RelayService::acknowledge(const std::string& account, std::int64_t seq) {
  auto remove = db_.prepare("DELETE FROM envelopes WHERE seq = ?1 AND destination = ?2");
  if (!remove) return;
  if (db_.transact([&] { return remove->bind(1, seq).bind(2, account).run(); }).ok()) {
    deleted_since_checkpoint_ = deleted_since_checkpoint_ || db_.changes() > 0;
  }
}

bool RelayService::forget_deleted() {
  if (!deleted_since_checkpoint_) return false;
  // Busy (an admin command holds the database): tried again next time.
  if (!db_.checkpoint_truncate().ok()) return false;
  deleted_since_checkpoint_ = false;
  return true;
}

AccountResult<Forgotten> RelayService::forget_idle_accounts(std::int64_t now_ms,
                                                            std::int64_t idle_ms,
                                                            std::int64_t keyless_idle_ms) {
  auto forgotten = accounts_.forget_idle(now_ms, idle_ms, keyless_idle_ms);
  if (forgotten && forgotten->accounts > 0) deleted_since_checkpoint_ = true;
  return forgotten;
}

std::size_t RelayService::prune(std::int64_t now_ms) {
  auto forget_full = [now_ms](auto& limits) {
    for (auto it = limits.begin(); it != limits.end();) {
      it = it->second.full(now_ms) ? limits.erase(it) : std::next(it);
    }
  };
  forget_full(send_limits_);
  forget_full(pair_send_limits_);
  forget_full(pre_key_limits_);
  return send_limits_.size() + pair_send_limits_.size() + pre_key_limits_.size();
}

}  // namespace gvo::relay
