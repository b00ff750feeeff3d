#include "bot/transport/relay_login.hpp"

#include <utility>

#include "storage/sealer.hpp"

namespace gvo::transport {

// The bot's account secret at the relay: made on first run, kept sealed in the database.
std::string relay_secret(storage::Store& store) {
  const storage::SealedPlace place{"meta", "value", "relay_secret"};
  auto query = store.db().prepare("SELECT value FROM meta WHERE name = 'relay_secret'");
  if (query && query->step().value_or(false)) {
    if (auto secret = store.sealer().open(place, query->column_blob(0))) return secret.value();
    throw RelayLoginError(RelayLoginError::Kind::config,
                          "the relay secret in the database does not open");
  }
  auto key = storage::SealingKey::generate();  // 32 random bytes, as hex
  if (!key)
    throw RelayLoginError(RelayLoginError::Kind::failure, "no randomness for a relay secret");
  const std::string secret = key->to_hex();
  auto sealed = store.sealer().seal(place, secret);
  auto insert = store.db().prepare("INSERT INTO meta(name, value) VALUES ('relay_secret', ?1)");
  if (!sealed || !insert ||
      !store.db().transact([&] { return insert->bind_blob(1, sealed.value()).run(); })) {
    throw RelayLoginError(RelayLoginError::Kind::failure, "cannot store the relay secret");
  }
  return secret;
}

std::string relay_address(const core::Config& config) {
  return std::string(config.relay.tls ? "wss://" : "ws://") + config.relay.host + ":" +
         std::to_string(config.relay.port);
}

// The bot's login at the relay, checked before any connection (78 when it must not connect).
RelayAccount relay_account(const core::Config& config, std::string secret) {
  RelayAccount account;
  account.host = config.relay.host;
  account.port = static_cast<unsigned short>(config.relay.port);
  account.account = config.relay.account;
  account.secret = std::move(secret);
  account.tls.enabled = config.relay.tls;
  if (!config.relay.ca_file.empty())
    account.tls.ca_file = core::resolve_in_data_dir(config, config.relay.ca_file);
  account.tls.certificate_sha256 = config.relay.certificate_sha256;
  if (auto checked = check_relay_setup(account); !checked)
    throw RelayLoginError(RelayLoginError::Kind::config, "relay: " + checked.error().detail);
  return account;
}

// What the log says when the relay refuses the bot's login (or the bot refuses the relay), with
// what would fix it.
std::string relay_refusal(const core::Config& config, int status, const std::string& reason) {
  const std::string later = "; the bot is not ready until then and tries again with backoff";
  if (status == 0) {
    return "cannot trust the relay at " + relay_address(config) + ": " + reason +
           ": set relay.ca_file (the CA that signed its certificate) or relay.certificate_sha256 "
           "(the certificate's pin)" +
           later;
  }
  const std::string refused = "the relay refused the login as " + config.relay.account + " (" +
                              std::to_string(status) + ": " + reason + "): ";
  if (status == 401) {
    return refused +
           "it holds another secret for this account (someone else claimed it, or this database "
           "is not the one that registered it): have the relay's admin provision it again "
           "(gvo-relay accounts add " +
           config.relay.account +
           ") and run 'gvo-bot relay-claim CODE', or set another "
           "relay.account" +
           later;
  }
  return refused + "if the relay's admin provisioned it (gvo-relay accounts add " +
         config.relay.account + "), run 'gvo-bot relay-claim CODE' with the code it printed" +
         later;
}

}  // namespace gvo::transport
