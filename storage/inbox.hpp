// Messages that signal-cli handed over but the bot could not take in (the transaction of their
// effects failed). signal-cli has already acknowledged them to Signal's server, so nothing would
// bring them again: they are kept here, sealed, and taken in again later. Used on the bot's one
// thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bot/core/message_kind.hpp"
#include "storage/peers.hpp"

namespace gvo::storage {

class Inbox {
 public:
  explicit Inbox(Store& store) : store_(store) {}

  struct Held {
    std::int64_t id = 0;
    std::string address;
    std::int64_t sent_at_ms = 0;  // the sender's timestamp: the dedup key with the address
    std::string text;
    core::MessageKind kind = core::MessageKind::text;  // a voice note, a photo... (sealed too)
    int attempts = 0;
  };

  // Keeps a message to take in again at due_ms; in the caller's transaction, if one is open. Its
  // row's id.
  Result<std::int64_t> hold(const std::string& address, std::int64_t sent_at_ms,
                            std::string_view text, core::MessageKind kind, std::int64_t now_ms,
                            std::int64_t due_ms);
  // The messages due at now_ms, oldest first.
  Result<std::vector<Held>> due(std::int64_t now_ms, std::size_t limit);
  // When the next one is due; nothing when none is held.
  Result<std::optional<std::int64_t>> next_due();
  Result<void> remove(std::int64_t id);
  // Everything held from peer (they asked to be forgotten), in the caller's transaction.
  Result<void> drop_for(PeerId peer);
  // Another failed try: due again at due_ms.
  Result<void> postpone(std::int64_t id, std::int64_t due_ms);

 private:
  Store& store_;
};

}  // namespace gvo::storage
