#include "storage/timers.hpp"

namespace gvo::storage {

Result<void> Timers::schedule(const std::string& kind, const std::string& subject,
                              std::int64_t due_at_ms) {
  auto upsert = store_.db().prepare(
      "INSERT INTO timers(kind, subject, due_at) VALUES (?1, ?2, ?3) "
      "ON CONFLICT(kind, subject) DO UPDATE SET due_at = excluded.due_at");
  if (!upsert) return std::move(upsert).error();
  return upsert->bind(1, kind).bind(2, subject).bind(3, due_at_ms).run();
}

Result<void> Timers::cancel(const std::string& kind, const std::string& prefix) {
  // subject >= prefix and < prefix with its last byte raised: every subject starting with it.
  std::string above = prefix;
  if (!above.empty()) above.back() = static_cast<char>(above.back() + 1);
  auto remove = store_.db().prepare(
      prefix.empty() ? "DELETE FROM timers WHERE kind = ?1"
                     : "DELETE FROM timers WHERE kind = ?1 AND subject >= ?2 AND subject < ?3");
  if (!remove) return std::move(remove).error();
  remove->bind(1, kind);
  if (!prefix.empty()) remove->bind(2, prefix).bind(3, above);
  return remove->run();
}

Result<bool> Timers::exists(const std::string& kind, const std::string& subject) {
  auto query = store_.db().prepare("SELECT 1 FROM timers WHERE kind = ?1 AND subject = ?2");
  if (!query) return std::move(query).error();
  return query->bind(1, kind).bind(2, subject).step();
}

Result<std::optional<std::int64_t>> Timers::next_due() {
  auto query = store_.db().prepare("SELECT min(due_at) FROM timers");
  if (!query) return std::move(query).error();
  auto row = query->step();
  if (!row) return std::move(row).error();
  if (!row.value() || query->column_is_null(0)) return std::optional<std::int64_t>();
  return std::optional<std::int64_t>(query->column_int64(0));
}

Result<std::vector<TimerRow>> Timers::due(std::int64_t now_ms, int limit) {
  auto query = store_.db().prepare(
      "SELECT id, kind, subject, due_at FROM timers WHERE due_at <= ?1 ORDER BY due_at, id "
      "LIMIT ?2");
  if (!query) return std::move(query).error();
  query->bind(1, now_ms).bind(2, std::int64_t{limit});
  std::vector<TimerRow> rows;
  while (true) {
    auto row = query->step();
    if (!row) return std::move(row).error();
    if (!row.value()) break;
    rows.push_back(TimerRow{query->column_int64(0), query->column_text(1), query->column_text(2),
                            query->column_int64(3)});
  }
  return rows;
}

Result<void> Timers::remove(std::int64_t id) {
  auto remove = store_.db().prepare("DELETE FROM timers WHERE id = ?1");
  if (!remove) return std::move(remove).error();
  return remove->bind(1, id).run();
}

}  // namespace gvo::storage
