#include "bot/service/identities.hpp"

#include "bot/signal/endpoint.hpp"

namespace gvo::service {

std::optional<desk::Identity> identity_of(signal::Endpoint& endpoint, const std::string& address) {
  auto key = endpoint.peer_identity_key({address});
  if (!key || !key.value()) return std::nullopt;
  return desk::Identity{*key.value(), signal::fingerprint_of(*key.value())};
}

std::optional<desk::Identity> identity_of(
    const std::optional<core::signal_cli::KnownIdentity>& known) {
  if (!known || known->fingerprint.empty()) return std::nullopt;
  return desk::Identity{storage::Bytes(known->fingerprint.begin(), known->fingerprint.end()),
                        known->safety_number};
}

}  // namespace gvo::service
