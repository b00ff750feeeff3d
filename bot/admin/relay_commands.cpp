#include <chrono>
#include <cstdio>
#include <string>

#include "bot/admin/commands.hpp"
#include "bot/daemon/startup.hpp"
#include "bot/desk/case_index.hpp"
#include "bot/desk/desk.hpp"
#include "bot/signal/endpoint.hpp"
#include "bot/transport/relay_client.hpp"
#include "bot/transport/relay_login.hpp"

namespace gvo::admin {

// gvo-bot relay-claim CODE: one login as the bot's account with its claim code; the relay then
// keeps the bot's secret (made now if the database has none yet).
int claim_relay_account(const core::Config& config, const std::string& code) {
  if (config.transport != core::TransportKind::relay) {
    std::fprintf(stderr,
                 "gvo-bot: 'relay-claim' is for the relay transport; this configuration "
                 "uses signal-cli\n");
    return daemon::kExitConfig;
  }
  storage::Store store = daemon::open_store(
      config,
      config.sealing.create_key ? daemon::KeyCreation::allowed : daemon::KeyCreation::refused,
      desk::case_indexer());
  transport::RelayAccount account =
      transport::relay_account(config, transport::relay_secret(store));
  account.claim = code;
  const auto outcome = transport::login_once(account, std::chrono::seconds(20));
  using Kind = transport::LoginOutcome::Kind;
  if (outcome.kind == Kind::accepted) {
    std::printf("gvo-bot: the relay at %s accepted the claim: the account %s is the bot's\n",
                transport::relay_address(config).c_str(), config.relay.account.c_str());
    return 0;
  }
  if (outcome.kind == Kind::refused) {
    std::fprintf(stderr, "gvo-bot: %s\n",
                 outcome.status == 0
                     ? ("cannot trust the relay at " + transport::relay_address(config) + ": " +
                        outcome.reason + ": set relay.ca_file or relay.certificate_sha256")
                           .c_str()
                     : ("the relay refused the claim as " + config.relay.account + " (" +
                        std::to_string(outcome.status) + ": " + outcome.reason + ")")
                           .c_str());
    return daemon::kExitFailure;
  }
  std::fprintf(stderr, "gvo-bot: the relay at %s could not be reached: %s\n",
               transport::relay_address(config).c_str(),
               outcome.reason.empty() ? "no answer" : outcome.reason.c_str());
  return daemon::kExitFailure;
}

// gvo-bot fingerprint: the bot's identity key as people compare it (gvo-chat --expect-bot).
int print_fingerprint(const core::Config& config) {
  if (config.transport != core::TransportKind::relay) {
    std::fprintf(stderr,
                 "gvo-bot: on signal-cli the bot's keys are signal-cli's: people compare "
                 "its safety number in the Signal app\n");
    return daemon::kExitConfig;
  }
  storage::Store store = daemon::open_store(
      config,
      config.sealing.create_key ? daemon::KeyCreation::allowed : daemon::KeyCreation::refused,
      desk::case_indexer());
  auto endpoint =
      signal::Endpoint::open(store, desk::unix_millis(std::chrono::system_clock::now()));
  if (!endpoint) {
    std::fprintf(stderr, "gvo-bot: %s\n", signal::describe(endpoint.error()).c_str());
    return daemon::kExitFailure;
  }
  std::printf("%s\n", signal::fingerprint_of(endpoint.value()->identity_key()).c_str());
  return 0;
}

}  // namespace gvo::admin
