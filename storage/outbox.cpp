#include "storage/outbox.hpp"

namespace gvo::storage {
namespace {

Audience audience_of(std::string_view text) {
  if (text == "staff") return Audience::staff;
  if (text == "notice") return Audience::notice;
  return Audience::host;
}

}  // namespace

const char* to_string(Audience audience) {
  switch (audience) {
    case Audience::staff:
      return "staff";
    case Audience::notice:
      return "notice";
    default:
      return "host";
  }
}

Result<void> Outbox::queue(const std::string& address, std::string_view text, std::int64_t now_ms,
                           Audience audience) {
  return store_.db().transact([&]() -> Result<void> {
    Peers peers(store_);
    auto peer = peers.find_or_add(address, now_ms / 1000);
    if (!peer) return std::move(peer).error();
    auto row = store_.seal_for_new_row("outbox", "body", text);
    if (!row) return std::move(row).error();
    auto insert = store_.db().prepare(
        "INSERT INTO outbox(id, peer_id, body, created_at, next_attempt_at, audience, "
        "queued_at_ms) VALUES (?1, ?2, ?3, ?4, 0, ?5, ?6)");
    if (!insert) return std::move(insert).error();
    return insert->bind(1, row->id)
        .bind(2, peer.value())
        .bind_blob(3, row->sealed)
        .bind(4, now_ms / 1000)
        .bind(5, std::string_view(to_string(audience)))
        .bind(6, now_ms)
        .run();
  });
}

Result<std::vector<Outbox::Waiting>> Outbox::waiting(std::size_t limit, std::int64_t after_id) {
  auto rows = store_.db().prepare(
      "SELECT id, peer_id, next_attempt_at, audience, attempts, queued_at_ms FROM outbox "
      "WHERE id > ?1 "
      "ORDER BY id LIMIT ?2");
  if (!rows) return std::move(rows).error();
  rows->bind(1, after_id).bind(2, static_cast<std::int64_t>(limit));
  std::vector<Waiting> found;
  while (true) {
    auto row = rows->step();
    if (!row) return std::move(row).error();
    if (!row.value()) break;
    found.push_back({rows->column_int64(0), rows->column_int64(1), rows->column_int64(2),
                     audience_of(rows->column_text(3)), static_cast<int>(rows->column_int64(4)),
                     rows->column_int64(5)});
  }
  return found;
}

Result<std::vector<Outbox::Waiting>> Outbox::unsealed_after(PeerId peer, std::int64_t id,
                                                            std::size_t limit) {
  auto rows = store_.db().prepare(
      "SELECT id, peer_id, next_attempt_at, audience, attempts, queued_at_ms FROM outbox "
      "WHERE peer_id = ?1 AND id > ?2 AND ciphertext IS NULL ORDER BY id LIMIT ?3");
  if (!rows) return std::move(rows).error();
  rows->bind(1, peer).bind(2, id).bind(3, static_cast<std::int64_t>(limit));
  std::vector<Waiting> found;
  while (true) {
    auto row = rows->step();
    if (!row) return std::move(row).error();
    if (!row.value()) break;
    found.push_back({rows->column_int64(0), rows->column_int64(1), rows->column_int64(2),
                     audience_of(rows->column_text(3)), static_cast<int>(rows->column_int64(4)),
                     rows->column_int64(5)});
  }
  return found;
}

Result<bool> Outbox::more_after(PeerId peer, std::int64_t id) {
  auto query =
      store_.db().prepare("SELECT EXISTS(SELECT 1 FROM outbox WHERE peer_id = ?1 AND id > ?2)");
  if (!query) return std::move(query).error();
  auto row = query->bind(1, peer).bind(2, id).step();
  if (!row) return std::move(row).error();
  return row.value() && query->column_int64(0) != 0;
}

Result<std::string> Outbox::body(std::int64_t id) {
  auto query = store_.db().prepare("SELECT body FROM outbox WHERE id = ?1");
  if (!query) return std::move(query).error();
  auto row = query->bind(1, id).step();
  if (!row) return std::move(row).error();
  if (!row.value()) return fail(Errc::not_found, "outbox row");
  return store_.sealer().open({"outbox", "body", std::to_string(id)}, query->column_blob(0));
}

Result<void> Outbox::remove(std::int64_t id) {
  auto remove = store_.db().prepare("DELETE FROM outbox WHERE id = ?1");
  if (!remove) return std::move(remove).error();
  return store_.db().transact([&] { return remove->bind(1, id).run(); });
}

Result<void> Outbox::postpone(std::int64_t id, std::int64_t due_ms) {
  auto later = store_.db().prepare(
      "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?2 WHERE id = ?1");
  if (!later) return std::move(later).error();
  return store_.db().transact([&] { return later->bind(1, id).bind(2, due_ms).run(); });
}

Result<void> Outbox::delay(std::int64_t id, std::int64_t due_ms) {
  auto later = store_.db().prepare("UPDATE outbox SET next_attempt_at = ?2 WHERE id = ?1");
  if (!later) return std::move(later).error();
  return store_.db().transact([&] { return later->bind(1, id).bind(2, due_ms).run(); });
}

Result<std::int64_t> Outbox::last_id() {
  auto query = store_.db().prepare("SELECT coalesce(max(id), 0) FROM outbox");
  if (!query) return std::move(query).error();
  auto row = query->step();
  if (!row) return std::move(row).error();
  return query->column_int64(0);
}

Result<void> Outbox::mark_about_case(std::int64_t after_id, std::int64_t case_id) {
  auto mark = store_.db().prepare("UPDATE outbox SET case_id = ?2 WHERE id > ?1");
  if (!mark) return std::move(mark).error();
  return mark->bind(1, after_id).bind(2, case_id).run();
}

Result<int> Outbox::drop_for(PeerId peer) {
  auto drop = store_.db().prepare("DELETE FROM outbox WHERE peer_id = ?1");
  if (!drop) return std::move(drop).error();
  if (auto done = drop->bind(1, peer).run(); !done) return std::move(done).error();
  return store_.db().changes();
}

Result<int> Outbox::drop_all_but_notices(const std::string& address) {
  auto peer = Peers(store_).find(address);
  if (!peer) return std::move(peer).error();
  if (!peer.value()) return 0;
  auto drop = store_.db().prepare("DELETE FROM outbox WHERE peer_id = ?1 AND audience != 'notice'");
  if (!drop) return std::move(drop).error();
  if (auto done = drop->bind(1, *peer.value()).run(); !done) return std::move(done).error();
  return store_.db().changes();
}

Result<bool> first_time_seen(Store& store, PeerId peer, std::int64_t sent_at_ms,
                             std::int64_t now_s) {
  auto seen = store.db().prepare(
      "INSERT OR IGNORE INTO inbound_seen(peer_id, sent_at_ms, received_at) VALUES (?1, ?2, ?3)");
  if (!seen) return std::move(seen).error();
  if (auto done = seen->bind(1, peer).bind(2, sent_at_ms).bind(3, now_s).run(); !done)
    return std::move(done).error();
  return store.db().changes() > 0;
}

Result<int> forget_seen_before(Store& store, std::int64_t before_s) {
  auto forget = store.db().prepare("DELETE FROM inbound_seen WHERE received_at < ?1");
  if (!forget) return std::move(forget).error();
  if (auto done = forget->bind(1, before_s).run(); !done) return std::move(done).error();
  return store.db().changes();
}

Result<void> forget_seen(Store& store, PeerId peer) {
  auto forget = store.db().prepare("DELETE FROM inbound_seen WHERE peer_id = ?1");
  if (!forget) return std::move(forget).error();
  return forget->bind(1, peer).run();
}

}  // namespace gvo::storage
