#include "bot/admin/staff_identities.hpp"

#include <map>
#include <memory>
#include <utility>

#include "bot/service/identities.hpp"
#include "bot/signal/endpoint.hpp"
#include "bot/transport/signal_cli_once.hpp"

namespace gvo::admin {
using service::identity_of;

IdentityLookup staff_identities(const core::Config& config, storage::Store& store,
                                std::int64_t now_ms, std::string& unavailable) {
  if (config.transport == core::TransportKind::relay) {
    auto endpoint = signal::Endpoint::open(store, now_ms);
    if (!endpoint) {
      unavailable = signal::describe(endpoint.error());
      return [](const std::string&) { return std::optional<desk::Identity>(); };
    }
    std::shared_ptr<signal::Endpoint> shared = std::move(endpoint).value();
    return [shared](const std::string& address) { return identity_of(*shared, address); };
  }
  const auto& cli = config.signal_cli;
  std::map<std::string, core::signal_cli::KnownIdentity> known;
  if (!cli.subscribe) {
    unavailable =
        "with signal_cli.receive_mode on-connection, keys are not read from the command line "
        "(its connection would be handed messages): verify members by chat";
  } else if (auto read = transport::identities_once(
                 {cli.socket, cli.host, static_cast<unsigned short>(cli.port)}, cli.account)) {
    for (auto& each : read.value()) {
      if (!each.number.empty()) known[each.number] = each;
      if (!each.uuid.empty()) known[each.uuid] = std::move(each);
    }
  } else {
    unavailable = "signal-cli: " + read.error().detail;
  }
  return [known = std::move(known)](const std::string& address) {
    const auto it = known.find(address);
    return identity_of(it == known.end() ? std::nullopt : std::make_optional(it->second));
  };
}

}  // namespace gvo::admin
