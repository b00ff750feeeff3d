// What every transport shares of the message path (DESIGN §4): the outbox, written in the
// transaction of what caused a message and emptied once the transport has handed it over, and the
// inbound dedup on (sender, sender's timestamp) that makes a redelivered message a no-op. Used on
// the bot's one thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "storage/peers.hpp"

namespace gvo::storage {

// Whom a queued message is for; the confidentiality gate reads it when the message leaves.
enum class Audience {
  host,    // a reply in a person's own conversation with the bot
  staff,   // case data: only to an active member whose key is the pinned, verified one
  notice,  // holds no case data (what a member who is not active yet is told)
};

// What the gate says of a message at the moment it would leave.
enum class Clearance {
  send,  // it may go now
  wait,  // not yet (the recipient's key is not known yet, storage could not be read)
  drop,  // never to this recipient as they stand now: it leaves the outbox unsent
};

const char* to_string(Audience audience);

class Outbox {
 public:
  explicit Outbox(Store& store) : store_(store) {}

  struct Waiting {
    std::int64_t id = 0;
    PeerId peer = 0;
    std::int64_t due_ms = 0;  // not before (Unix milliseconds)
    Audience audience = Audience::host;
    int attempts = 0;            // postponements so far
    std::int64_t queued_ms = 0;  // when it was queued (Unix milliseconds)
  };

  // In the caller's transaction, if one is open. The body is sealed, bound to its row.
  Result<void> queue(const std::string& address, std::string_view text, std::int64_t now_ms,
                     Audience audience = Audience::host);
  // The oldest rows first (each peer's messages in the order they were queued), from the row
  // after after_id: a caller pages through with the last id it read.
  Result<std::vector<Waiting>> waiting(std::size_t limit, std::int64_t after_id = 0);
  // The rows to peer behind row id not sealed for the relay yet (no ciphertext), oldest first.
  Result<std::vector<Waiting>> unsealed_after(PeerId peer, std::int64_t id, std::size_t limit);
  // Whether more messages to peer wait behind row id (the rest of a long answer).
  Result<bool> more_after(PeerId peer, std::int64_t id);
  Result<std::string> body(std::int64_t id);
  Result<void> remove(std::int64_t id);
  // A failed try: counted (the count sets the backoff), not before due_ms.
  Result<void> postpone(std::int64_t id, std::int64_t due_ms);
  // Not before due_ms, without counting a try (the row waits for something, not against it).
  Result<void> delay(std::int64_t id, std::int64_t due_ms);
  // The newest row's id (0 when none): what is queued after it has a greater one.
  Result<std::int64_t> last_id();
  // The rows queued after after_id are about case: they go if it is erased (ON DELETE CASCADE).
  Result<void> mark_about_case(std::int64_t after_id, std::int64_t case_id);
  // Everything queued for peer (they asked to be forgotten): how many rows went.
  Result<int> drop_for(PeerId peer);
  // Everything queued for address but notices (a member suspended or removed), in the caller's
  // transaction: how many rows went.
  Result<int> drop_all_but_notices(const std::string& address);

 private:
  Store& store_;
};

// Whether a message (sender, sender's timestamp) is new: recorded when it is, in the caller's
// transaction, so that it and its effects commit together.
Result<bool> first_time_seen(Store& store, PeerId peer, std::int64_t sent_at_ms,
                             std::int64_t now_s);
// Dedup keeps only the redelivery window: what was taken in before before_s (Unix seconds) is
// forgotten. How many rows went.
Result<int> forget_seen_before(Store& store, std::int64_t before_s);
// Every timestamp of one peer's messages (they asked to be forgotten).
Result<void> forget_seen(Store& store, PeerId peer);

}  // namespace gvo::storage
