// Hosts' requests for a person ("human"): open from the moment they ask until a member of staff
// closes it, so that staff see who waits for an answer. Who and when only, never what was said.
// Used on the bot's one thread, inside the caller's transaction.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "storage/cases.hpp"
#include "storage/peers.hpp"
#include "storage/staff.hpp"

namespace gvo::storage {

struct HelpRequestRow {
  std::int64_t id = 0;  // what staff name it by ("answer 3 ...")
  PeerId peer = 0;
  std::optional<CaseId> case_id;  // their latest case when they asked, if they had one
  std::int64_t opened_at = 0;     // Unix seconds
};

class HelpRequests {
 public:
  explicit HelpRequests(Store& store) : store_(store) {}
  struct Opened {
    HelpRequestRow request;
    bool fresh = false;  // false: the peer's request already open (asking twice keeps one)
  };
  Result<Opened> open(PeerId peer, std::optional<CaseId> case_id, std::int64_t now);
  Result<std::optional<HelpRequestRow>> find_open(std::int64_t id);
  Result<std::optional<HelpRequestRow>> open_of(PeerId peer);
  Result<std::vector<HelpRequestRow>> all_open();  // oldest first
  // Whether it was open.
  Result<bool> close(std::int64_t id, StaffId by, std::int64_t now);
  // The peer asked to be forgotten: their requests go, open or not.
  Result<void> forget(PeerId peer);

 private:
  Result<std::vector<HelpRequestRow>> rows(Statement& query);
  Store& store_;
};

}  // namespace gvo::storage
