// The cases tables: each case with its sealed intake, its events, its links to look-alike reports,
// and the keyed hashes it is found by. Plain rows: bot/cases says what they mean. Used on the bot's
// one thread, inside the caller's transaction.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bot/core/vocabulary.hpp"
#include "storage/peers.hpp"

namespace gvo::storage {

using CaseId = std::int64_t;
// Stored as its word (bot/core/vocabulary.hpp: "new", "acknowledged"...); a word this version
// does not know reads as Errc::unreadable_value.
using core::CaseStatus;
using core::parse_status;
using core::to_string;

struct CaseRow {
  CaseId id = 0;
  std::string reference;
  std::optional<PeerId> host;
  CaseStatus status = CaseStatus::reported;
  std::int64_t created_at = 0;  // Unix seconds
  std::int64_t updated_at = 0;
  std::string intake;                    // opened: the flow session that filed it, as JSON
  std::optional<std::int64_t> assigned;  // a staff id
};

struct CaseEventRow {
  std::int64_t at = 0;
  std::string actor;                 // host, referent, coordinator, bot
  std::optional<PeerId> actor_peer;  // who, when there is one (staff, a host)
  std::string kind;                  // created, linked, status, update, acknowledged...
  std::optional<CaseStatus> status;  // the status after it, when it changed one
  std::string detail;                // opened; may be empty
};

struct NewCase {
  std::string reference;
  std::optional<PeerId> host;
  std::string centre;
  CaseStatus status = CaseStatus::reported;
  std::string intake;
  std::vector<std::string> name_keys;  // hashed here before they are stored
};

class CaseStore {
 public:
  explicit CaseStore(Store& store) : store_(store) {}

  Result<CaseId> add(const NewCase& fresh, std::int64_t now);
  Result<bool> reference_taken(const std::string& reference);
  // Cases that kept any of these name keys, oldest first.
  Result<std::vector<CaseId>> matching(const std::vector<std::string>& name_keys);
  Result<std::optional<CaseId>> by_reference(const std::string& reference);
  Result<CaseRow> get(CaseId id);
  Result<std::vector<CaseId>> of_host(PeerId host);  // newest first (case_hosts)
  Result<std::vector<CaseId>> all();                 // oldest first
  Result<std::vector<CaseId>> at_centre(const std::string& centre);

  Result<void> set_status(CaseId id, CaseStatus status, std::int64_t now);
  Result<void> add_event(CaseId id, std::int64_t now, const std::string& actor,
                         std::optional<PeerId> actor_peer, const std::string& kind,
                         std::optional<CaseStatus> status, const std::string& detail);
  Result<std::vector<CaseEventRow>> events(CaseId id);
  Result<void> link(CaseId a, CaseId b, std::int64_t now);
  // Whether they were linked.
  Result<bool> unlink(CaseId a, CaseId b);
  Result<std::vector<CaseId>> links(CaseId id);
  Result<void> assign(CaseId id, std::int64_t staff_id, std::int64_t now);
  Result<void> unassign(CaseId id, std::int64_t now);
  // A staff member corrected the case's fields: the intake sealed again, the centre's keyed hash
  // and the name keys replaced (what it is found by follows what it says).
  Result<void> correct(CaseId id, const std::string& intake, const std::string& centre,
                       const std::vector<std::string>& name_keys, std::int64_t now);
  // The host asked to be forgotten: the case stays, for the detained person, without them: no
  // link to the host, intake (the case's answers without the host's own, sealed again), and
  // none of the host's words in its events (what happened stays, what they wrote goes).
  Result<void> forget_host(CaseId id, PeerId host, const std::string& intake, std::int64_t now);
  // The hosts of a case (case_hosts): the one who filed it, and those of the reports merged
  // into it, oldest first; each may be written to about it. of_host reads the same table.
  Result<void> add_host(CaseId id, PeerId host, std::int64_t now);
  Result<void> remove_host(CaseId id, PeerId host);
  Result<std::vector<PeerId>> hosts(CaseId id);
  // Every row of the case: its events, links, keys and hosts go with it (ON DELETE CASCADE).
  Result<void> erase(CaseId id);
  // The events of other cases that name this reference (linked, unlinked): removed with it.
  // How many went.
  Result<int> forget_mentions(const std::string& reference);
  // Cases in none of statuses, and those filed at or after since (Unix seconds), oldest first:
  // what the daily digest reads, rather than every case ever kept.
  Result<std::vector<CaseId>> outside_or_filed_since(const std::vector<CaseStatus>& statuses,
                                                     std::int64_t since);
  // Cases in one of statuses not changed since before (Unix seconds).
  Result<std::vector<CaseId>> idle_in(const std::vector<CaseStatus>& statuses, std::int64_t before);
  // Retention's anonymous remains: one more at (month, centre, outcome).
  Result<void> count_purged(const std::string& month, const std::string& centre,
                            const std::string& outcome);
  struct Count {
    std::string month, centre, outcome;
    std::int64_t count = 0;
  };
  Result<std::vector<Count>> purged_counts();

 private:
  Bytes centre_key(const std::string& centre) const;
  Result<std::vector<CaseId>> ids(Statement& query);

  Store& store_;
};

}  // namespace gvo::storage
