#include "storage/peers.hpp"

namespace gvo::storage {
namespace {

constexpr std::string_view kAddressIndex = "peer address";

}  // namespace

Result<PeerId> Peers::find_or_add(std::string_view address, std::int64_t now) {
  Database& db = store_.db();
  const Bytes lookup = store_.sealer().blind_index(kAddressIndex, address);
  return db.transact([&]() -> Result<PeerId> {
    auto find = db.prepare("SELECT id FROM peers WHERE lookup = ?1");
    if (!find) return std::move(find).error();
    auto found = find->bind_blob(1, lookup).step();
    if (!found) return std::move(found).error();
    if (found.value()) return find->column_int64(0);

    auto row = store_.seal_for_new_row("peers", "address", address);
    if (!row) return std::move(row).error();
    auto insert =
        db.prepare("INSERT INTO peers(id, lookup, address, created_at) VALUES (?1, ?2, ?3, ?4)");
    if (!insert) return std::move(insert).error();
    insert->bind(1, row->id).bind_blob(2, lookup).bind_blob(3, row->sealed).bind(4, now);
    if (auto inserted = insert->run(); !inserted) return std::move(inserted).error();
    return row->id;
  });
}

Result<std::optional<PeerId>> Peers::find(std::string_view address) {
  auto query = store_.db().prepare("SELECT id FROM peers WHERE lookup = ?1");
  if (!query) return std::move(query).error();
  auto found = query->bind_blob(1, store_.sealer().blind_index(kAddressIndex, address)).step();
  if (!found) return std::move(found).error();
  if (!found.value()) return std::optional<PeerId>();
  return std::optional<PeerId>(query->column_int64(0));
}

Result<std::string> Peers::address(PeerId id) {
  auto query = store_.db().prepare("SELECT address FROM peers WHERE id = ?1");
  if (!query) return std::move(query).error();
  auto row = query->bind(1, id).step();
  if (!row) return std::move(row).error();
  if (!row.value()) return fail(Errc::not_found, "peer " + std::to_string(id));
  const std::string row_key = std::to_string(id);
  return store_.sealer().open({"peers", "address", row_key}, query->column_blob(0));
}

Result<std::vector<PeerId>> Peers::unused(std::int64_t created_before) {
  auto query = store_.db().prepare(
      "SELECT id FROM peers p WHERE created_at < ?1"
      " AND NOT EXISTS (SELECT 1 FROM conversations WHERE peer_id = p.id)"
      " AND NOT EXISTS (SELECT 1 FROM cases WHERE host_peer_id = p.id)"
      " AND NOT EXISTS (SELECT 1 FROM case_hosts WHERE peer_id = p.id)"
      " AND NOT EXISTS (SELECT 1 FROM help_requests WHERE peer_id = p.id AND closed_at IS NULL)"
      " AND NOT EXISTS (SELECT 1 FROM outbox WHERE peer_id = p.id)"
      " AND NOT EXISTS (SELECT 1 FROM inbox WHERE peer_id = p.id)"
      " AND NOT EXISTS (SELECT 1 FROM inbound_seen WHERE peer_id = p.id) ORDER BY id");
  if (!query) return std::move(query).error();
  query->bind(1, created_before);
  std::vector<PeerId> found;
  while (true) {
    auto row = query->step();
    if (!row) return std::move(row).error();
    if (!row.value()) break;
    found.push_back(query->column_int64(0));
  }
  return found;
}

Result<void> Peers::remove(PeerId id) {
  auto held = address(id);
  if (!held) return std::move(held).error();
  const Bytes signal_key = store_.sealer().blind_index(kSignalAddressIndex, held.value());
  for (const char* sql : {"DELETE FROM signal_sessions WHERE address = ?1",
                          "DELETE FROM signal_identities WHERE address = ?1",
                          "DELETE FROM signal_sender_keys WHERE address = ?1"}) {
    auto remove = store_.db().prepare(sql);
    if (!remove) return std::move(remove).error();
    if (auto done = remove->bind_blob(1, signal_key).run(); !done) return done;
  }
  auto remove = store_.db().prepare("DELETE FROM peers WHERE id = ?1");
  if (!remove) return std::move(remove).error();
  return remove->bind(1, id).run();
}

}  // namespace gvo::storage
