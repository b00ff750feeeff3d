#include "storage/help_requests.hpp"

namespace gvo::storage {
namespace {

constexpr char kColumns[] = "SELECT id, peer_id, case_id, opened_at FROM help_requests ";

}  // namespace

Result<std::vector<HelpRequestRow>> HelpRequests::rows(Statement& query) {
  std::vector<HelpRequestRow> found;
  while (true) {
    auto row = query.step();
    if (!row) return std::move(row).error();
    if (!row.value()) break;
    HelpRequestRow each;
    each.id = query.column_int64(0);
    each.peer = query.column_int64(1);
    if (!query.column_is_null(2)) each.case_id = query.column_int64(2);
    each.opened_at = query.column_int64(3);
    found.push_back(each);
  }
  return found;
}

Result<HelpRequests::Opened> HelpRequests::open(PeerId peer, std::optional<CaseId> case_id,
                                                std::int64_t now) {
  auto existing = open_of(peer);
  if (!existing) return std::move(existing).error();
  if (existing.value()) return Opened{*existing.value(), false};
  auto insert = store_.db().prepare(
      "INSERT INTO help_requests(peer_id, case_id, opened_at) VALUES (?1, ?2, ?3)");
  if (!insert) return std::move(insert).error();
  insert->bind(1, peer);
  if (case_id) {
    insert->bind(2, *case_id);
  } else {
    insert->bind_null(2);
  }
  if (auto done = insert->bind(3, now).run(); !done) return std::move(done).error();
  return Opened{{store_.db().last_insert_rowid(), peer, case_id, now}, true};
}

Result<std::optional<HelpRequestRow>> HelpRequests::find_open(std::int64_t id) {
  auto query = store_.db().prepare(std::string(kColumns) + "WHERE id = ?1 AND closed_at IS NULL");
  if (!query) return std::move(query).error();
  query->bind(1, id);
  auto found = rows(*query);
  if (!found) return std::move(found).error();
  if (found->empty()) return std::optional<HelpRequestRow>();
  return std::optional<HelpRequestRow>(found->front());
}

Result<std::optional<HelpRequestRow>> HelpRequests::open_of(PeerId peer) {
  auto query =
      store_.db().prepare(std::string(kColumns) + "WHERE peer_id = ?1 AND closed_at IS NULL");
  if (!query) return std::move(query).error();
  query->bind(1, peer);
  auto found = rows(*query);
  if (!found) return std::move(found).error();
  if (found->empty()) return std::optional<HelpRequestRow>();
  return std::optional<HelpRequestRow>(found->front());
}

Result<std::vector<HelpRequestRow>> HelpRequests::all_open() {
  auto query = store_.db().prepare(std::string(kColumns) + "WHERE closed_at IS NULL ORDER BY id");
  if (!query) return std::move(query).error();
  return rows(*query);
}

Result<bool> HelpRequests::close(std::int64_t id, StaffId by, std::int64_t now) {
  auto update = store_.db().prepare(
      "UPDATE help_requests SET closed_at = ?2, closed_by = ?3 WHERE id = ?1 AND closed_at IS "
      "NULL");
  if (!update) return std::move(update).error();
  if (auto done = update->bind(1, id).bind(2, now).bind(3, by).run(); !done)
    return std::move(done).error();
  return store_.db().changes() > 0;
}

Result<void> HelpRequests::forget(PeerId peer) {
  auto remove = store_.db().prepare("DELETE FROM help_requests WHERE peer_id = ?1");
  if (!remove) return std::move(remove).error();
  return remove->bind(1, peer).run();
}

}  // namespace gvo::storage
