#include "storage/inbox.hpp"

namespace gvo::storage {
namespace {

// The sealed body: the text alone for a text message (as rows written before kinds were kept
// read), else a mark, the kind's word and the mark again before the text.
constexpr char kKindMark = '\x1e';

std::string body_of(std::string_view text, core::MessageKind kind) {
  if (kind == core::MessageKind::text && (text.empty() || text.front() != kKindMark))
    return std::string(text);
  const std::string_view word = core::word_of(kind);
  std::string body;
  body.reserve(word.size() + text.size() + 2);
  body.push_back(kKindMark);
  body.append(word);
  body.push_back(kKindMark);
  body.append(text);
  return body;
}

void read_body(const std::string& body, Inbox::Held& held) {
  if (body.size() > 1 && body[0] == kKindMark) {
    if (const auto end = body.find(kKindMark, 1); end != std::string::npos) {
      held.kind = core::kind_named(std::string_view(body).substr(1, end - 1));
      held.text = body.substr(end + 1);
      return;
    }
  }
  held.text = body;
}

}  // namespace

Result<std::int64_t> Inbox::hold(const std::string& address, std::int64_t sent_at_ms,
                                 std::string_view text, core::MessageKind kind, std::int64_t now_ms,
                                 std::int64_t due_ms) {
  return store_.db().transact([&]() -> Result<std::int64_t> {
    Peers peers(store_);
    auto peer = peers.find_or_add(address, now_ms / 1000);
    if (!peer) return std::move(peer).error();
    auto row = store_.seal_for_new_row("inbox", "body", body_of(text, kind));
    if (!row) return std::move(row).error();
    auto insert = store_.db().prepare(
        "INSERT INTO inbox(id, peer_id, sent_at_ms, body, next_attempt_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5)");
    if (!insert) return std::move(insert).error();
    if (auto done = insert->bind(1, row->id)
                        .bind(2, peer.value())
                        .bind(3, sent_at_ms)
                        .bind_blob(4, row->sealed)
                        .bind(5, due_ms)
                        .run();
        !done) {
      return std::move(done).error();
    }
    return row->id;
  });
}

Result<std::vector<Inbox::Held>> Inbox::due(std::int64_t now_ms, std::size_t limit) {
  auto rows = store_.db().prepare(
      "SELECT id, peer_id, sent_at_ms, body, attempts FROM inbox WHERE next_attempt_at <= ?1 "
      "ORDER BY id LIMIT ?2");
  if (!rows) return std::move(rows).error();
  rows->bind(1, now_ms).bind(2, static_cast<std::int64_t>(limit));
  std::vector<Held> found;
  Peers peers(store_);
  while (true) {
    auto row = rows->step();
    if (!row) return std::move(row).error();
    if (!row.value()) break;
    Held held;
    held.id = rows->column_int64(0);
    auto address = peers.address(rows->column_int64(1));
    if (!address) return std::move(address).error();
    held.address = std::move(address).value();
    held.sent_at_ms = rows->column_int64(2);
    auto text =
        store_.sealer().open({"inbox", "body", std::to_string(held.id)}, rows->column_blob(3));
    if (!text) return std::move(text).error();
    read_body(text.value(), held);
    held.attempts = static_cast<int>(rows->column_int64(4));
    found.push_back(std::move(held));
  }
  return found;
}

Result<std::optional<std::int64_t>> Inbox::next_due() {
  auto query = store_.db().prepare("SELECT min(next_attempt_at) FROM inbox");
  if (!query) return std::move(query).error();
  auto row = query->step();
  if (!row) return std::move(row).error();
  if (!row.value() || query->column_is_null(0)) return std::optional<std::int64_t>();
  return std::optional<std::int64_t>(query->column_int64(0));
}

Result<void> Inbox::remove(std::int64_t id) {
  auto remove = store_.db().prepare("DELETE FROM inbox WHERE id = ?1");
  if (!remove) return std::move(remove).error();
  return remove->bind(1, id).run();
}

Result<void> Inbox::postpone(std::int64_t id, std::int64_t due_ms) {
  auto update = store_.db().prepare(
      "UPDATE inbox SET attempts = attempts + 1, next_attempt_at = ?2 WHERE id = ?1");
  if (!update) return std::move(update).error();
  return update->bind(1, id).bind(2, due_ms).run();
}

Result<void> Inbox::drop_for(PeerId peer) {
  auto drop = store_.db().prepare("DELETE FROM inbox WHERE peer_id = ?1");
  if (!drop) return std::move(drop).error();
  return drop->bind(1, peer).run();
}

}  // namespace gvo::storage
