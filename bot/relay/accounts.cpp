#include "bot/relay/accounts.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "bot/core/base64.hpp"
#include "bot/relay/account_names.hpp"
#include "bot/relay/claim_code.hpp"
#include "storage/errors.hpp"

namespace gvo::relay {
namespace {

using storage::Bytes;

constexpr std::size_t kMinSecret = 16;
constexpr std::size_t kMaxSecret = 256;
constexpr std::size_t kSaltSize = 16;

// The bodies of refusals (bot/relay/PROTOCOL.md): clients log them, people read them.
constexpr const char* kWrongSecret = "wrong secret";
constexpr const char* kNotProvisioned =
    "account not provisioned on this relay (its admin: gvo-relay accounts add NAME)";
constexpr const char* kClaimWrong = "claim code wrong or expired";
constexpr const char* kTooClose = "name too close to a reserved account";
constexpr const char* kNameNotAllowed = "name not allowed";
constexpr const char* kNoSuchAccount = "no such account on this relay";
constexpr const char* kNotClaimed = "account reserved, not claimed yet (its claim code is needed)";

Bytes sha256(const Bytes& salt, std::string_view text) {
  Bytes input(salt);
  input.insert(input.end(), text.begin(), text.end());
  Bytes digest(32);
  unsigned int size = 0;
  EVP_Digest(input.data(), input.size(), digest.data(), &size, EVP_sha256(), nullptr);
  OPENSSL_cleanse(input.data(), input.size());
  return digest;
}

// In constant time, so that the time taken says nothing about how much of a digest matched.
bool same_digest(const Bytes& expected, const Bytes& given) {
  return expected.size() == given.size() &&
         CRYPTO_memcmp(expected.data(), given.data(), expected.size()) == 0;
}

std::optional<Bytes> random_bytes(std::size_t size) {
  Bytes bytes(size);
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) return std::nullopt;
  return bytes;
}

struct Credentials {
  std::string account;
  std::string secret;
};

std::optional<Credentials> parse_basic(std::string_view authorization) {
  constexpr std::string_view kBasic = "Basic ";
  if (authorization.substr(0, kBasic.size()) != kBasic) return std::nullopt;
  const auto decoded = core::base64_decode(authorization.substr(kBasic.size()));
  if (!decoded) return std::nullopt;
  const std::string text(decoded->begin(), decoded->end());
  const auto colon = text.find(':');
  if (colon == std::string::npos) return std::nullopt;
  return Credentials{text.substr(0, colon), text.substr(colon + 1)};
}

Refusal storage_refusal(const storage::Error& error) {
  return Refusal{500, "relay storage failed", storage::describe(error)};
}

core::Error<AccountError> storage_failure(const storage::Error& error) {
  return core::fail(AccountError::storage, storage::describe(error));
}

}  // namespace

std::string_view to_string(AccountState state) {
  switch (state) {
    case AccountState::reserved:
      return "reserved";
    case AccountState::claimed:
      return "claimed";
    case AccountState::self_registered:
      return "self-registered";
  }
  return "unknown";
}

Accounts::Accounts(storage::Database& db, bool open_registration)
    : db_(db), open_registration_(open_registration) {}

// --- Upgrades ---------------------------------------------------------------------------------

Admission Accounts::authenticate(std::string_view authorization, std::string_view claim_code,
                                 std::int64_t now_ms, const NewAccountGate& may_register) {
  auto found = look_up(authorization);
  if (Refusal* refusal = std::get_if<Refusal>(&found)) return std::move(*refusal);
  const StoredLogin& login = std::get<StoredLogin>(found);
  if (!login.known) return self_register(login.account, login.secret, now_ms, may_register);
  // A provisioned account has no secret until it is claimed; once it has one, a claim header
  // is ignored.
  if (login.expected.empty()) return claim(login.account, login.secret, claim_code, now_ms);
  if (!same_digest(login.expected, sha256(login.salt, login.secret))) {
    return Refusal{401, kWrongSecret, "wrong secret"};
  }
  // Only retention reads it: a failed write costs nothing but an early last-seen.
  (void)touch(login.account, now_ms);
  return Admitted{login.account, false};
}

Admission Accounts::check(std::string_view authorization) {
  auto found = look_up(authorization);
  if (Refusal* refusal = std::get_if<Refusal>(&found)) return std::move(*refusal);
  const StoredLogin& login = std::get<StoredLogin>(found);
  if (!login.known) return Refusal{404, kNoSuchAccount, "login checked: no such account"};
  if (login.expected.empty()) return Refusal{403, kNotClaimed, "login checked: not claimed yet"};
  if (!same_digest(login.expected, sha256(login.salt, login.secret))) {
    return Refusal{401, kWrongSecret, "login checked: wrong secret"};
  }
  return Admitted{login.account, false};
}

std::variant<Accounts::StoredLogin, Refusal> Accounts::look_up(std::string_view authorization) {
  auto credentials = parse_basic(authorization);
  if (!credentials) {
    return Refusal{401, "credentials needed (Authorization: Basic)",
                   "no or malformed Authorization header"};
  }
  if (!is_account_name(credentials->account))
    return Refusal{403, kNameNotAllowed, "malformed account name"};
  if (credentials->secret.size() < kMinSecret || credentials->secret.size() > kMaxSecret) {
    return Refusal{401, "secret must be 16 to 256 characters", "secret of a wrong length"};
  }
  StoredLogin login;
  login.account = std::move(credentials->account);
  login.secret = std::move(credentials->secret);
  auto query = db_.prepare("SELECT secret_salt, secret_hash FROM accounts WHERE id = ?1");
  if (!query) return storage_refusal(query.error());
  auto row = query->bind(1, login.account).step();
  if (!row) return storage_refusal(row.error());
  login.known = row.value();
  if (login.known) {
    login.salt = query->column_blob(0);
    login.expected = query->column_blob(1);
  }
  return login;
}

AccountResult<void> Accounts::touch(const std::string& account, std::int64_t now_ms) {
  constexpr std::int64_t kResolutionMs = 3600 * 1000;
  auto update = db_.prepare(
      "UPDATE accounts SET last_seen_at = ?2 WHERE id = ?1 AND "
      "coalesce(last_seen_at, created_at) < ?2 - ?3");
  if (!update) return storage_failure(update.error());
  update->bind(1, account).bind(2, now_ms).bind(3, kResolutionMs);
  // Not worth an fsync: after a crash, an account looks idle an hour longer at most.
  auto done = db_.transact_without_sync([&] { return update->run(); });
  if (!done) return storage_failure(done.error());
  return {};
}

AccountResult<Forgotten> Accounts::forget_idle(std::int64_t now_ms, std::int64_t idle_ms,
                                               std::int64_t keyless_idle_ms) {
  Forgotten forgotten;
  auto removed = db_.transact([&]() -> storage::Result<void> {
    // Queued messages go with their account (ON DELETE CASCADE): counted first.
    constexpr const char* kIdle =
        "provisioned = 0 AND ((?2 > 0 AND coalesce(last_seen_at, created_at) < ?1 - ?2) OR "
        "(?3 > 0 AND identity_key IS NULL AND coalesce(last_seen_at, created_at) < ?1 - ?3))";
    auto count = db_.prepare(std::string("SELECT count(*) FROM envelopes WHERE destination IN "
                                         "(SELECT id FROM accounts WHERE ") +
                             kIdle + ")");
    if (!count) return std::move(count).error();
    auto counted = count->bind(1, now_ms).bind(2, idle_ms).bind(3, keyless_idle_ms).step();
    if (!counted) return std::move(counted).error();
    forgotten.envelopes = static_cast<std::size_t>(count->column_int64(0));
    count->reset();
    auto remove = db_.prepare(std::string("DELETE FROM accounts WHERE ") + kIdle);
    if (!remove) return std::move(remove).error();
    if (auto done = remove->bind(1, now_ms).bind(2, idle_ms).bind(3, keyless_idle_ms).run();
        !done) {
      return done;
    }
    forgotten.accounts = static_cast<std::size_t>(db_.changes());
    return {};
  });
  if (!removed) return storage_failure(removed.error());
  return forgotten;
}

Admission Accounts::claim(const std::string& account, std::string_view secret,
                          std::string_view claim_code, std::int64_t now_ms) {
  Bytes code_salt;
  Bytes code_hash;
  std::int64_t expires_at = 0;
  std::int64_t failures = 0;
  {
    auto query = db_.prepare(
        "SELECT code_salt, code_hash, expires_at, failures FROM claims WHERE account = ?1");
    if (!query) return storage_refusal(query.error());
    auto row = query->bind(1, account).step();
    if (!row) return storage_refusal(row.error());
    if (!row.value()) return Refusal{403, kClaimWrong, "reserved account without a claim code"};
    code_salt = query->column_blob(0);
    code_hash = query->column_blob(1);
    expires_at = query->column_int64(2);
    failures = query->column_int64(3);
  }
  if (failures >= kMaxClaimFailures) {
    return Refusal{403, kClaimWrong, "claim burnt by wrong codes: the admin must issue a new one"};
  }
  // A client that does not know about claims yet is not counted against the claim: it would
  // burn it while reconnecting.
  if (claim_code.empty()) return Refusal{403, kClaimWrong, "reserved account, no X-Gvo-Claim"};
  if (now_ms >= expires_at) return Refusal{403, kClaimWrong, "claim code expired"};
  const auto canonical = canonical_claim_code(claim_code);
  if (!canonical || !same_digest(code_hash, sha256(code_salt, *canonical))) {
    auto count = db_.prepare("UPDATE claims SET failures = failures + 1 WHERE account = ?1");
    if (!count) return storage_refusal(count.error());
    if (auto counted = db_.transact([&] { return count->bind(1, account).run(); }); !counted) {
      return storage_refusal(counted.error());
    }
    ++failures;
    return Refusal{403, kClaimWrong,
                   failures >= kMaxClaimFailures
                       ? "wrong claim code: the claim is burnt"
                       : "wrong claim code (" + std::to_string(failures) + " of " +
                             std::to_string(kMaxClaimFailures) + ")"};
  }
  const auto salt = random_bytes(kSaltSize);
  if (!salt) return Refusal{500, "relay failed", "no randomness"};
  auto claimed = db_.transact([&]() -> storage::Result<void> {
    auto update =
        db_.prepare("UPDATE accounts SET secret_salt = ?2, secret_hash = ?3 WHERE id = ?1");
    if (!update) return std::move(update).error();
    if (auto done =
            update->bind(1, account).bind_blob(2, *salt).bind_blob(3, sha256(*salt, secret)).run();
        !done) {
      return done;
    }
    auto consume = db_.prepare("DELETE FROM claims WHERE account = ?1");
    if (!consume) return std::move(consume).error();
    return consume->bind(1, account).run();
  });
  if (!claimed) return storage_refusal(claimed.error());
  return Admitted{account, true};
}

Admission Accounts::self_register(const std::string& account, std::string_view secret,
                                  std::int64_t now_ms, const NewAccountGate& may_register) {
  if (!open_registration_) return Refusal{403, kNotProvisioned, "unknown account, closed relay"};
  if (!is_new_account_name(account)) {
    return Refusal{403, kNameNotAllowed, "new name outside [a-z0-9][a-z0-9._-]{0,63}"};
  }
  auto look_alike = looks_like_provisioned(account);
  if (!look_alike) return storage_refusal(look_alike.error());
  if (look_alike.value()) {
    return Refusal{403, kTooClose, "new name reads like a provisioned account"};
  }
  if (may_register) {
    if (auto refusal = may_register()) return std::move(*refusal);
  }
  const auto salt = random_bytes(kSaltSize);
  if (!salt) return Refusal{500, "relay failed", "no randomness"};
  auto insert = db_.prepare(
      "INSERT INTO accounts(id, secret_salt, secret_hash, created_at) VALUES (?1, ?2, ?3, ?4)");
  if (!insert) return storage_refusal(insert.error());
  insert->bind(1, account).bind_blob(2, *salt).bind_blob(3, sha256(*salt, secret)).bind(4, now_ms);
  if (auto inserted = insert->run(); !inserted) return storage_refusal(inserted.error());
  return Admitted{account, false};
}

storage::Result<bool> Accounts::looks_like_provisioned(const std::string& name) {
  auto query = db_.prepare("SELECT id FROM accounts WHERE provisioned = 1");
  if (!query) return std::move(query).error();
  const std::string wanted = skeleton(name);
  for (;;) {
    auto row = query->step();
    if (!row) return std::move(row).error();
    if (!row.value()) return false;
    const std::string other = query->column_text(0);
    if (other != name && skeleton(other) == wanted) return true;
  }
}

// --- Administration ---------------------------------------------------------------------------

AccountResult<IssuedClaim> Accounts::add(const std::string& name, std::int64_t valid_ms, bool reset,
                                         std::int64_t now_ms) {
  if (!is_new_account_name(name)) {
    return core::fail(AccountError::bad_name, "expected [a-z0-9][a-z0-9._-]{0,63}");
  }
  const auto code_bits = random_bytes(sizeof(std::uint64_t));
  const auto code_salt = random_bytes(kSaltSize);
  if (!code_bits || !code_salt) return core::fail(AccountError::no_randomness);
  std::uint64_t bits = 0;
  for (const std::uint8_t byte : *code_bits) bits = (bits << 8) | byte;
  IssuedClaim issued;
  issued.code = format_claim_code(bits);
  issued.expires_at_ms = now_ms + valid_ms;
  const std::string canonical = canonical_claim_code(issued.code).value();

  std::optional<core::Error<AccountError>> refused;
  auto stored = db_.transact([&]() -> storage::Result<void> {
    auto look_alike = looks_like_provisioned(name);
    if (!look_alike) return std::move(look_alike).error();
    if (look_alike.value()) {
      refused = core::fail(AccountError::look_alike, "reads like another provisioned account");
      return {};
    }
    auto existing =
        db_.prepare("SELECT length(secret_hash) > 0, provisioned FROM accounts WHERE id = ?1");
    if (!existing) return std::move(existing).error();
    auto row = existing->bind(1, name).step();
    if (!row) return std::move(row).error();
    const bool exists = row.value();
    const bool has_secret = exists && existing->column_int64(0) != 0;
    const bool provisioned = exists && existing->column_int64(1) != 0;
    existing->reset();
    if (has_secret && !reset) {
      refused = core::fail(AccountError::in_use, provisioned ? "claimed" : "self-registered");
      return {};
    }
    // A zero-length secret (x'', not a bound empty blob, which SQLite would store as NULL) marks
    // an account waiting for its claim.
    const char* const kStatements[] = {
        "UPDATE accounts SET provisioned = 1, secret_salt = x'', secret_hash = x'', "
        "registration_id = NULL, identity_key = NULL, signed_pre_key_id = NULL, "
        "signed_pre_key = NULL, signature = NULL WHERE id = ?1",
        "DELETE FROM pre_keys WHERE account = ?1",
        // Sealed to keys the new device does not have: nobody could read them any more.
        "DELETE FROM envelopes WHERE destination = ?1",
    };
    if (exists) {
      for (const char* sql : kStatements) {
        auto statement = db_.prepare(sql);
        if (!statement) return std::move(statement).error();
        if (auto done = statement->bind(1, name).run(); !done) return done;
      }
    } else {
      auto insert = db_.prepare(
          "INSERT INTO accounts(id, secret_salt, secret_hash, created_at, provisioned) "
          "VALUES (?1, x'', x'', ?2, 1)");
      if (!insert) return std::move(insert).error();
      if (auto done = insert->bind(1, name).bind(2, now_ms).run(); !done) return done;
    }
    auto code = db_.prepare(
        "INSERT OR REPLACE INTO claims(account, code_salt, code_hash, expires_at, failures) "
        "VALUES (?1, ?2, ?3, ?4, 0)");
    if (!code) return std::move(code).error();
    code->bind(1, name)
        .bind_blob(2, *code_salt)
        .bind_blob(3, sha256(*code_salt, canonical))
        .bind(4, issued.expires_at_ms);
    if (auto done = code->run(); !done) return done;

    auto others = db_.prepare("SELECT id FROM accounts WHERE provisioned = 0");
    if (!others) return std::move(others).error();
    const std::string wanted = skeleton(name);
    for (;;) {
      auto other = others->step();
      if (!other) return std::move(other).error();
      if (!other.value()) return {};
      std::string other_name = others->column_text(0);
      if (skeleton(other_name) == wanted) issued.look_alikes.push_back(std::move(other_name));
    }
  });
  if (!stored) return storage_failure(stored.error());
  if (refused) return std::move(*refused);
  return issued;
}

AccountResult<std::vector<AccountInfo>> Accounts::list() {
  auto query = db_.prepare(
      "SELECT id, provisioned, length(secret_hash) > 0, created_at FROM accounts ORDER BY id");
  if (!query) return storage_failure(query.error());
  std::vector<AccountInfo> accounts;
  for (;;) {
    auto row = query->step();
    if (!row) return storage_failure(row.error());
    if (!row.value()) return accounts;
    AccountInfo info;
    info.name = query->column_text(0);
    if (query->column_int64(1) == 0) {
      info.state = AccountState::self_registered;
    } else {
      info.state = query->column_int64(2) != 0 ? AccountState::claimed : AccountState::reserved;
    }
    info.created_at_ms = query->column_int64(3);
    accounts.push_back(std::move(info));
  }
}

AccountResult<void> Accounts::remove(const std::string& name) {
  // Its pre-keys, claim and queued messages go with it (ON DELETE CASCADE).
  auto removed = db_.transact([&]() -> storage::Result<bool> {
    auto statement = db_.prepare("DELETE FROM accounts WHERE id = ?1");
    if (!statement) return std::move(statement).error();
    if (auto done = statement->bind(1, name).run(); !done) return std::move(done).error();
    return db_.changes() > 0;
  });
  if (!removed) return storage_failure(removed.error());
  if (!removed.value()) return core::fail(AccountError::not_found);
  return {};
}

}  // namespace gvo::relay
