// A peer's identity key as the desk sees it (desk::Identity: the key and the fingerprint people
// compare), from what each transport holds. Shared by the running bot and the staff commands.
#pragma once

#include <optional>
#include <string>

#include "bot/core/signal_cli_rpc.hpp"
#include "bot/desk/desk.hpp"

namespace gvo::signal {
class Endpoint;
}  // namespace gvo::signal

namespace gvo::service {

// A key the bot's own store holds (on the relay, the bot does the encryption).
std::optional<desk::Identity> identity_of(signal::Endpoint& endpoint, const std::string& address);

// A key signal-cli holds: pinned by its fingerprint, compared by the safety number people see.
std::optional<desk::Identity> identity_of(
    const std::optional<core::signal_cli::KnownIdentity>& known);

}  // namespace gvo::service
