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

}  // namespace gvo::storage
