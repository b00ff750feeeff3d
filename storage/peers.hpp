// The peers table: everyone the bot talks with, found by a keyed hash of their transport address,
// with the address itself sealed. Used on the bot's one thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/store.hpp"

namespace gvo::storage {

using PeerId = std::int64_t;

// The purpose of the keyed hash that names a peer in the Signal-protocol tables (signal_sessions,
// signal_identities, signal_sender_keys): bot/signal/protocol_store.cpp writes them, removing a
// peer deletes them.
inline constexpr std::string_view kSignalAddressIndex = "signal address";

class Peers {
 public:
  explicit Peers(Store& store) : store_(store) {}

  // The peer with this address, added (at now, Unix seconds) if new.
  Result<PeerId> find_or_add(std::string_view address, std::int64_t now);
  // The peer with this address, if the bot knows it.
  Result<std::optional<PeerId>> find(std::string_view address);
  Result<std::string> address(PeerId id);

  // Peers added before created_before (Unix seconds) that nothing holds any more: no
  // conversation, no case they filed, nothing queued for them or from them, no message taken in
  // within the redelivery window (inbound_seen). Staff are peers too: the caller keeps them.
  Result<std::vector<PeerId>> unused(std::int64_t created_before);
  // The peer and every trace of its address: its dedup timestamps, its Signal sessions and the
  // identity key the bot learnt for it (a later message starts afresh). In the caller's
  // transaction; cases it filed keep no link to it (ON DELETE SET NULL).
  Result<void> remove(PeerId id);

 private:
  Store& store_;
};

}  // namespace gvo::storage
