#include "storage/conversations.hpp"

namespace gvo::storage {

Result<std::optional<std::string>> Conversations::load(PeerId peer) {
  auto query = store_.db().prepare("SELECT state FROM conversations WHERE peer_id = ?1");
  if (!query) return std::move(query).error();
  auto row = query->bind(1, peer).step();
  if (!row) return std::move(row).error();
  if (!row.value()) return std::optional<std::string>();
  const std::string row_key = std::to_string(peer);
  auto state = store_.sealer().open({"conversations", "state", row_key}, query->column_blob(0));
  if (!state) return std::move(state).error();
  return std::optional<std::string>(std::move(state).value());
}

Result<void> Conversations::save(PeerId peer, const std::string& state, std::int64_t now) {
  const std::string row_key = std::to_string(peer);
  auto sealed = store_.sealer().seal({"conversations", "state", row_key}, state);
  if (!sealed) return std::move(sealed).error();
  auto upsert = store_.db().prepare(
      "INSERT INTO conversations(peer_id, state, updated_at) VALUES (?1, ?2, ?3) "
      "ON CONFLICT(peer_id) DO UPDATE SET state = excluded.state, updated_at = "
      "excluded.updated_at");
  if (!upsert) return std::move(upsert).error();
  return upsert->bind(1, peer).bind_blob(2, sealed.value()).bind(3, now).run();
}

Result<void> Conversations::erase(PeerId peer) {
  auto remove = store_.db().prepare("DELETE FROM conversations WHERE peer_id = ?1");
  if (!remove) return std::move(remove).error();
  return remove->bind(1, peer).run();
}

Result<std::vector<PeerId>> Conversations::idle_without_case(std::int64_t before) {
  auto query = store_.db().prepare(
      "SELECT peer_id FROM conversations WHERE updated_at < ?1 AND peer_id NOT IN "
      "(SELECT peer_id FROM case_hosts) ORDER BY peer_id");
  if (!query) return std::move(query).error();
  query->bind(1, before);
  std::vector<PeerId> found;
  while (true) {
    auto row = query->step();
    if (!row) return std::move(row).error();
    if (!row.value()) break;
    found.push_back(query->column_int64(0));
  }
  return found;
}

}  // namespace gvo::storage
