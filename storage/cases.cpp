#include "storage/cases.hpp"

#include <algorithm>

namespace gvo::storage {
namespace {

SealedPlace intake_place(const std::string& reference) { return {"cases", "intake", reference}; }
SealedPlace detail_place(CaseId id) { return {"case_events", "detail", std::to_string(id)}; }

}  // namespace

Bytes CaseStore::centre_key(const std::string& centre) const {
  return store_.sealer().blind_index("case centre", centre);
}

Result<std::vector<CaseId>> CaseStore::ids(Statement& query) {
  std::vector<CaseId> found;
  while (true) {
    auto row = query.step();
    if (!row) return std::move(row).error();
    if (!row.value()) break;
    found.push_back(query.column_int64(0));
  }
  return found;
}

Result<CaseId> CaseStore::add(const NewCase& fresh, std::int64_t now) {
  auto sealed = store_.sealer().seal(intake_place(fresh.reference), fresh.intake);
  if (!sealed) return std::move(sealed).error();
  auto insert = store_.db().prepare(
      "INSERT INTO cases(reference, host_peer_id, centre_key, status, created_at, updated_at, "
      "intake) VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)");
  if (!insert) return std::move(insert).error();
  insert->bind(1, fresh.reference);
  if (fresh.host) {
    insert->bind(2, *fresh.host);
  } else {
    insert->bind_null(2);
  }
  auto inserted = insert->bind_blob(3, centre_key(fresh.centre))
                      .bind(4, to_string(fresh.status))
                      .bind(5, now)
                      .bind_blob(6, sealed.value())
                      .run();
  if (!inserted) return std::move(inserted).error();
  const CaseId id = store_.db().last_insert_rowid();
  if (fresh.host) {
    if (auto kept = add_host(id, *fresh.host, now); !kept) return std::move(kept).error();
  }
  auto key =
      store_.db().prepare("INSERT OR IGNORE INTO case_name_keys(key, case_id) VALUES (?1, ?2)");
  if (!key) return std::move(key).error();
  for (const auto& name_key : fresh.name_keys) {
    key->reset();
    auto stored =
        key->bind_blob(1, store_.sealer().blind_index("case name", name_key)).bind(2, id).run();
    if (!stored) return std::move(stored).error();
  }
  return id;
}

Result<bool> CaseStore::reference_taken(const std::string& reference) {
  auto found = by_reference(reference);
  if (!found) return std::move(found).error();
  return found.value().has_value();
}

Result<std::vector<CaseId>> CaseStore::matching(const std::vector<std::string>& name_keys) {
  auto query = store_.db().prepare("SELECT case_id FROM case_name_keys WHERE key = ?1");
  if (!query) return std::move(query).error();
  std::vector<CaseId> found;
  for (const auto& name_key : name_keys) {
    query->reset();
    query->bind_blob(1, store_.sealer().blind_index("case name", name_key));
    auto ids_found = ids(*query);
    if (!ids_found) return std::move(ids_found).error();
    for (CaseId id : ids_found.value()) {
      if (std::find(found.begin(), found.end(), id) == found.end()) found.push_back(id);
    }
  }
  std::sort(found.begin(), found.end());
  return found;
}

Result<std::optional<CaseId>> CaseStore::by_reference(const std::string& reference) {
  auto query = store_.db().prepare("SELECT id FROM cases WHERE reference = ?1");
  if (!query) return std::move(query).error();
  auto row = query->bind(1, reference).step();
  if (!row) return std::move(row).error();
  if (!row.value()) return std::optional<CaseId>();
  return std::optional<CaseId>(query->column_int64(0));
}

Result<CaseRow> CaseStore::get(CaseId id) {
  auto query = store_.db().prepare(
      "SELECT reference, host_peer_id, status, created_at, updated_at, intake, assigned_staff_id "
      "FROM cases WHERE id = ?1");
  if (!query) return std::move(query).error();
  auto row = query->bind(1, id).step();
  if (!row) return std::move(row).error();
  if (!row.value()) return core::fail(Errc::not_found, "no case with this id");
  CaseRow found;
  found.id = id;
  found.reference = query->column_text(0);
  if (!query->column_is_null(1)) found.host = query->column_int64(1);
  const auto status = parse_status(query->column_text(2));
  if (!status) return fail(Errc::unreadable_value, "cases.status of case " + std::to_string(id));
  found.status = *status;
  found.created_at = query->column_int64(3);
  found.updated_at = query->column_int64(4);
  auto intake = store_.sealer().open(intake_place(found.reference), query->column_blob(5));
  if (!intake) return std::move(intake).error();
  found.intake = std::move(intake).value();
  if (!query->column_is_null(6)) found.assigned = query->column_int64(6);
  return found;
}

Result<std::vector<CaseId>> CaseStore::of_host(PeerId host) {
  auto query = store_.db().prepare(
      "SELECT case_id FROM case_hosts WHERE peer_id = ?1 ORDER BY case_id DESC");
  if (!query) return std::move(query).error();
  query->bind(1, host);
  return ids(*query);
}

Result<std::vector<CaseId>> CaseStore::all() {
  auto query = store_.db().prepare("SELECT id FROM cases ORDER BY id");
  if (!query) return std::move(query).error();
  return ids(*query);
}

Result<std::vector<CaseId>> CaseStore::at_centre(const std::string& centre) {
  auto query = store_.db().prepare("SELECT id FROM cases WHERE centre_key = ?1 ORDER BY id");
  if (!query) return std::move(query).error();
  query->bind_blob(1, centre_key(centre));
  return ids(*query);
}

Result<void> CaseStore::set_status(CaseId id, CaseStatus status, std::int64_t now) {
  auto update = store_.db().prepare("UPDATE cases SET status = ?2, updated_at = ?3 WHERE id = ?1");
  if (!update) return std::move(update).error();
  return update->bind(1, id).bind(2, to_string(status)).bind(3, now).run();
}

Result<void> CaseStore::add_event(CaseId id, std::int64_t now, const std::string& actor,
                                  std::optional<PeerId> actor_peer, const std::string& kind,
                                  std::optional<CaseStatus> status, const std::string& detail) {
  auto insert = store_.db().prepare(
      "INSERT INTO case_events(case_id, at, actor, actor_peer_id, kind, status, detail) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  if (!insert) return std::move(insert).error();
  insert->bind(1, id).bind(2, now).bind(3, actor);
  if (actor_peer) {
    insert->bind(4, *actor_peer);
  } else {
    insert->bind_null(4);
  }
  insert->bind(5, kind);
  if (status) {
    insert->bind(6, to_string(*status));
  } else {
    insert->bind_null(6);
  }
  if (detail.empty()) {
    insert->bind_null(7);
  } else {
    auto sealed = store_.sealer().seal(detail_place(id), detail);
    if (!sealed) return std::move(sealed).error();
    insert->bind_blob(7, sealed.value());
  }
  if (auto inserted = insert->run(); !inserted) return inserted;
  auto touch = store_.db().prepare("UPDATE cases SET updated_at = ?2 WHERE id = ?1");
  if (!touch) return std::move(touch).error();
  return touch->bind(1, id).bind(2, now).run();
}

Result<std::vector<CaseEventRow>> CaseStore::events(CaseId id) {
  auto query = store_.db().prepare(
      "SELECT at, actor, kind, status, detail, actor_peer_id FROM case_events WHERE case_id = ?1 "
      "ORDER BY id");
  if (!query) return std::move(query).error();
  query->bind(1, id);
  std::vector<CaseEventRow> events;
  while (true) {
    auto row = query->step();
    if (!row) return std::move(row).error();
    if (!row.value()) break;
    CaseEventRow event;
    event.at = query->column_int64(0);
    event.actor = query->column_text(1);
    event.kind = query->column_text(2);
    if (!query->column_is_null(5)) event.actor_peer = query->column_int64(5);
    if (!query->column_is_null(3)) {
      event.status = parse_status(query->column_text(3));
      if (!event.status)
        return fail(Errc::unreadable_value, "case_events.status of case " + std::to_string(id));
    }
    if (!query->column_is_null(4)) {
      auto detail = store_.sealer().open(detail_place(id), query->column_blob(4));
      if (!detail) return std::move(detail).error();
      event.detail = std::move(detail).value();
    }
    events.push_back(std::move(event));
  }
  return events;
}

Result<void> CaseStore::link(CaseId a, CaseId b, std::int64_t now) {
  auto insert = store_.db().prepare(
      "INSERT OR IGNORE INTO case_links(case_id, other_id, at) VALUES (?1, ?2, ?3), (?2, ?1, ?3)");
  if (!insert) return std::move(insert).error();
  return insert->bind(1, a).bind(2, b).bind(3, now).run();
}

Result<bool> CaseStore::unlink(CaseId a, CaseId b) {
  auto remove = store_.db().prepare(
      "DELETE FROM case_links WHERE (case_id = ?1 AND other_id = ?2) OR "
      "(case_id = ?2 AND other_id = ?1)");
  if (!remove) return std::move(remove).error();
  if (auto done = remove->bind(1, a).bind(2, b).run(); !done) return std::move(done).error();
  return store_.db().changes() > 0;
}

Result<void> CaseStore::assign(CaseId id, std::int64_t staff_id, std::int64_t now) {
  auto update =
      store_.db().prepare("UPDATE cases SET assigned_staff_id = ?2, updated_at = ?3 WHERE id = ?1");
  if (!update) return std::move(update).error();
  return update->bind(1, id).bind(2, staff_id).bind(3, now).run();
}

Result<void> CaseStore::unassign(CaseId id, std::int64_t now) {
  auto update = store_.db().prepare(
      "UPDATE cases SET assigned_staff_id = NULL, updated_at = ?2 WHERE id = ?1");
  if (!update) return std::move(update).error();
  return update->bind(1, id).bind(2, now).run();
}

Result<void> CaseStore::correct(CaseId id, const std::string& intake, const std::string& centre,
                                const std::vector<std::string>& name_keys, std::int64_t now) {
  auto reference = store_.db().prepare("SELECT reference FROM cases WHERE id = ?1");
  if (!reference) return std::move(reference).error();
  auto found = reference->bind(1, id).step();
  if (!found) return std::move(found).error();
  if (!found.value()) return fail(Errc::not_found, "case " + std::to_string(id));
  auto sealed = store_.sealer().seal(intake_place(reference->column_text(0)), intake);
  if (!sealed) return std::move(sealed).error();
  auto update = store_.db().prepare(
      "UPDATE cases SET intake = ?2, centre_key = ?3, updated_at = ?4 WHERE id = ?1");
  if (!update) return std::move(update).error();
  if (auto done = update->bind(1, id)
                      .bind_blob(2, sealed.value())
                      .bind_blob(3, centre_key(centre))
                      .bind(4, now)
                      .run();
      !done) {
    return done;
  }
  auto clear = store_.db().prepare("DELETE FROM case_name_keys WHERE case_id = ?1");
  if (!clear) return std::move(clear).error();
  if (auto done = clear->bind(1, id).run(); !done) return done;
  auto key =
      store_.db().prepare("INSERT OR IGNORE INTO case_name_keys(key, case_id) VALUES (?1, ?2)");
  if (!key) return std::move(key).error();
  for (const auto& name_key : name_keys) {
    key->reset();
    auto stored =
        key->bind_blob(1, store_.sealer().blind_index("case name", name_key)).bind(2, id).run();
    if (!stored) return std::move(stored).error();
  }
  return {};
}

Result<void> CaseStore::forget_host(CaseId id, PeerId host, const std::string& intake,
                                    std::int64_t now) {
  auto reference = store_.db().prepare("SELECT reference FROM cases WHERE id = ?1");
  if (!reference) return std::move(reference).error();
  auto found = reference->bind(1, id).step();
  if (!found) return std::move(found).error();
  if (!found.value()) return fail(Errc::not_found, "case " + std::to_string(id));
  auto sealed = store_.sealer().seal(intake_place(reference->column_text(0)), intake);
  if (!sealed) return std::move(sealed).error();
  auto update = store_.db().prepare(
      "UPDATE cases SET host_peer_id = NULL, intake = ?2, updated_at = ?3 WHERE id = ?1");
  if (!update) return std::move(update).error();
  if (auto done = update->bind(1, id).bind_blob(2, sealed.value()).bind(3, now).run(); !done)
    return done;
  if (auto done = remove_host(id, host); !done) return done;
  auto words = store_.db().prepare(
      "UPDATE case_events SET detail = NULL, actor_peer_id = NULL "
      "WHERE case_id = ?1 AND actor_peer_id = ?2");
  if (!words) return std::move(words).error();
  return words->bind(1, id).bind(2, host).run();
}

Result<void> CaseStore::add_host(CaseId id, PeerId host, std::int64_t now) {
  auto insert = store_.db().prepare(
      "INSERT OR IGNORE INTO case_hosts(case_id, peer_id, added_at) VALUES (?1, ?2, ?3)");
  if (!insert) return std::move(insert).error();
  return insert->bind(1, id).bind(2, host).bind(3, now).run();
}

Result<void> CaseStore::remove_host(CaseId id, PeerId host) {
  auto remove = store_.db().prepare("DELETE FROM case_hosts WHERE case_id = ?1 AND peer_id = ?2");
  if (!remove) return std::move(remove).error();
  return remove->bind(1, id).bind(2, host).run();
}

Result<std::vector<PeerId>> CaseStore::hosts(CaseId id) {
  auto query =
      store_.db().prepare("SELECT peer_id FROM case_hosts WHERE case_id = ?1 ORDER BY added_at");
  if (!query) return std::move(query).error();
  query->bind(1, id);
  return ids(*query);
}

Result<void> CaseStore::erase(CaseId id) {
  auto remove = store_.db().prepare("DELETE FROM cases WHERE id = ?1");
  if (!remove) return std::move(remove).error();
  return remove->bind(1, id).run();
}

Result<int> CaseStore::forget_mentions(const std::string& reference) {
  // A reference is sealed in the event's detail, so each link event is opened; they are few.
  auto query = store_.db().prepare(
      "SELECT id, case_id, detail FROM case_events "
      "WHERE kind IN ('linked', 'unlinked') AND detail IS NOT NULL");
  if (!query) return std::move(query).error();
  std::vector<std::int64_t> naming;
  while (true) {
    auto row = query->step();
    if (!row) return std::move(row).error();
    if (!row.value()) break;
    auto detail = store_.sealer().open(detail_place(query->column_int64(1)), query->column_blob(2));
    if (!detail) return std::move(detail).error();
    if (detail.value() == reference) naming.push_back(query->column_int64(0));
  }
  auto remove = store_.db().prepare("DELETE FROM case_events WHERE id = ?1");
  if (!remove) return std::move(remove).error();
  for (std::int64_t event : naming) {
    remove->reset();
    if (auto done = remove->bind(1, event).run(); !done) return std::move(done).error();
  }
  return static_cast<int>(naming.size());
}

Result<std::vector<CaseId>> CaseStore::outside_or_filed_since(
    const std::vector<CaseStatus>& statuses, std::int64_t since) {
  // The statuses as one JSON array, so that one statement takes any number of them.
  std::string listed = "[";
  for (const auto& status : statuses)
    listed +=
        std::string(listed.size() > 1 ? "," : "") + "\"" + std::string(to_string(status)) + "\"";
  listed += "]";
  auto query = store_.db().prepare(
      "SELECT id FROM cases WHERE created_at >= ?2 OR status NOT IN "
      "(SELECT value FROM json_each(?1)) ORDER BY id");
  if (!query) return std::move(query).error();
  query->bind(1, listed).bind(2, since);
  return ids(*query);
}

Result<std::vector<CaseId>> CaseStore::idle_in(const std::vector<CaseStatus>& statuses,
                                               std::int64_t before) {
  auto query =
      store_.db().prepare("SELECT id FROM cases WHERE status = ?1 AND updated_at < ?2 ORDER BY id");
  if (!query) return std::move(query).error();
  std::vector<CaseId> found;
  for (const auto& status : statuses) {
    query->reset();
    query->bind(1, to_string(status)).bind(2, before);
    auto some = ids(*query);
    if (!some) return std::move(some).error();
    found.insert(found.end(), some->begin(), some->end());
  }
  std::sort(found.begin(), found.end());
  return found;
}

Result<void> CaseStore::count_purged(const std::string& month, const std::string& centre,
                                     const std::string& outcome) {
  auto upsert = store_.db().prepare(
      "INSERT INTO purged_counts(month, centre, outcome, count) VALUES (?1, ?2, ?3, 1) "
      "ON CONFLICT(month, centre, outcome) DO UPDATE SET count = count + 1");
  if (!upsert) return std::move(upsert).error();
  return upsert->bind(1, month).bind(2, centre).bind(3, outcome).run();
}

Result<std::vector<CaseStore::Count>> CaseStore::purged_counts() {
  auto query = store_.db().prepare(
      "SELECT month, centre, outcome, count FROM purged_counts ORDER BY month, centre, outcome");
  if (!query) return std::move(query).error();
  std::vector<Count> counts;
  while (true) {
    auto row = query->step();
    if (!row) return std::move(row).error();
    if (!row.value()) break;
    counts.push_back({query->column_text(0), query->column_text(1), query->column_text(2),
                      query->column_int64(3)});
  }
  return counts;
}

Result<std::vector<CaseId>> CaseStore::links(CaseId id) {
  auto query =
      store_.db().prepare("SELECT other_id FROM case_links WHERE case_id = ?1 ORDER BY other_id");
  if (!query) return std::move(query).error();
  query->bind(1, id);
  return ids(*query);
}

}  // namespace gvo::storage
