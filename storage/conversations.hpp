// Each person's saved conversation with the bot (a flow session as JSON), sealed and bound to
// their peer row. Used on the bot's one thread, inside the caller's transaction.
#pragma once

#include <optional>
#include <string>

#include "storage/peers.hpp"

namespace gvo::storage {

class Conversations {
 public:
  explicit Conversations(Store& store) : store_(store) {}

  Result<std::optional<std::string>> load(PeerId peer);
  Result<void> save(PeerId peer, const std::string& state, std::int64_t now);
  Result<void> erase(PeerId peer);
  // Conversations not touched since before (Unix seconds) whose person filed no case.
  Result<std::vector<PeerId>> idle_without_case(std::int64_t before);

 private:
  Store& store_;
};

}  // namespace gvo::storage
