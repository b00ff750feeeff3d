// The identity keys the transport holds, for the staff commands (list, verify): the relay's are
// in the bot's own store; signal-cli's are read from it once, on a brief connection that is handed
// no message (receive_mode manual). Offline commands, on the main thread.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "bot/core/config.hpp"
#include "bot/desk/desk.hpp"
#include "storage/store.hpp"

namespace gvo::admin {

using IdentityLookup = std::function<std::optional<desk::Identity>(const std::string&)>;

// unavailable says why there are none (then every lookup finds nothing).
IdentityLookup staff_identities(const core::Config& config, storage::Store& store,
                                std::int64_t now_ms, std::string& unavailable);

}  // namespace gvo::admin
