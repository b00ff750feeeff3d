// The peers table: everyone the bot talks with, found by a keyed hash of their transport address,
// with the address itself sealed. Used on the bot's one thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "storage/store.hpp"

namespace gvo::storage {

using PeerId = std::int64_t;

class Peers {
 public:
  explicit Peers(Store& store) : store_(store) {}

  // The peer with this address, added (at now, Unix seconds) if new.
  Result<PeerId> find_or_add(std::string_view address, std::int64_t now);
  // The peer with this address, if the bot knows it.
  Result<std::optional<PeerId>> find(std::string_view address);
  Result<std::string> address(PeerId id);

 private:
  Store& store_;
};

}  // namespace gvo::storage
