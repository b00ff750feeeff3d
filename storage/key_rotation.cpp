#include "storage/key_rotation.hpp"

#include <chrono>
#include <map>
#include <set>

#include <openssl/crypto.h>

namespace gvo::storage {
namespace {

// The smallest sealed value (Sealer's layout, version 1: header, nonce, tag): shorter blobs are
// keyed hashes or public keys, never sealed values.
constexpr int kSealedOverhead = 1 + 4 + 8 + 12 + 16;
constexpr std::int64_t kChunk = 256;  // rows read at a time: memory stays flat on big tables
// SQLite's page cache during a rotation, in KiB (negative: a size, not a page count).
constexpr std::int64_t kRotationCacheKiB = -64 * 1024;

// An address's keyed hash under any loaded key -> the same under the current key.
using AddressMap = std::map<Bytes, Bytes>;

struct Context {
  Database& db;
  const Sealer& sealer;
  const RotationOptions& options;
  RotationReport& report;
  AddressMap signal_addresses;
};

using Derive = Result<void> (*)(Context&, std::int64_t rowid, std::string_view plaintext);

// A sealed column, sealed again at the same place; derive recomputes what is keyed by the same
// plaintext in that row (or elsewhere). place_row is the SQL of the row part of the value's place.
struct SealedColumn {
  const char* table;
  const char* column;
  const char* place_row;
  Derive derive;
  bool may_hold_clear = false;  // meta: some values are not sealed at all
};

Result<void> set_index(Context& context, const char* sql, std::int64_t rowid,
                       std::string_view purpose, std::string_view plaintext) {
  auto update = context.db.prepare(sql);
  if (!update) return std::move(update).error();
  if (auto done =
          update->bind_blob(1, context.sealer.blind_index(purpose, plaintext)).bind(2, rowid).run();
      !done) {
    if (done.code() != Errc::constraint) return done;
    // Two rows for one address: the second was made under the new key before this rotation
    // existed (the key changed, nothing re-keyed, the address not found, a row added again).
    return fail(Errc::constraint,
                "row " + std::to_string(rowid) + " (" + std::string(purpose) +
                    "): another row holds the same address, added while the key was changed "
                    "without re-keying; nothing was changed, the database stays on the old key");
  }
  ++context.report.indexes_rekeyed;
  return {};
}

// Signal-protocol rows name a peer by the hash of its address (bot/signal/protocol_store.cpp):
// every address we hold, under every loaded key, says what those rows become.
void learn_signal_address(Context& context, std::string_view address) {
  const auto all = context.sealer.blind_indexes_under_every_key("signal address", address);
  for (const Bytes& index : all) context.signal_addresses[index] = all.front();
}

Result<void> derive_peer(Context& context, std::int64_t rowid, std::string_view address) {
  learn_signal_address(context, address);
  return set_index(context, "UPDATE peers SET lookup = ?1 WHERE rowid = ?2", rowid, "peer address",
                   address);
}

Result<void> derive_staff(Context& context, std::int64_t rowid, std::string_view address) {
  learn_signal_address(context, address);
  return set_index(context, "UPDATE staff SET address_key = ?1 WHERE rowid = ?2", rowid,
                   "staff address", address);
}

Result<void> derive_audit(Context& context, std::int64_t rowid, std::string_view subject) {
  return set_index(context, "UPDATE audit SET subject_key = ?1 WHERE rowid = ?2", rowid,
                   "audit subject", subject);
}

Result<void> derive_case(Context& context, std::int64_t rowid, std::string_view intake) {
  if (!context.options.case_indexer) {
    return fail(Errc::key_mismatch,
                "re-keying cases needs the case indexer, which this program does not give");
  }
  auto values = context.options.case_indexer(intake);
  if (!values) {
    auto error = std::move(values).error();
    error.detail = "case " + std::to_string(rowid) + ": " + error.detail;
    return error;
  }
  if (auto done = set_index(context, "UPDATE cases SET centre_key = ?1 WHERE rowid = ?2", rowid,
                            "case centre", values->centre);
      !done) {
    return done;
  }
  auto remove = context.db.prepare("DELETE FROM case_name_keys WHERE case_id = ?1");
  if (!remove) return std::move(remove).error();
  if (auto done = remove->bind(1, rowid).run(); !done) return done;
  auto insert =
      context.db.prepare("INSERT OR IGNORE INTO case_name_keys(key, case_id) VALUES (?1, ?2)");
  if (!insert) return std::move(insert).error();
  for (auto& name_key : values->name_keys) {
    insert->reset();
    auto done = insert->bind_blob(1, context.sealer.blind_index("case name", name_key))
                    .bind(2, rowid)
                    .run();
    OPENSSL_cleanse(name_key.data(), name_key.size());
    if (!done) return done;
    ++context.report.indexes_rekeyed;
  }
  return {};
}

// ---------------------------------------------------------------------------------------------
// THE LIST: every column that holds a value sealed by storage::Sealer, or a keyed hash of one.
// A migration that adds such a column adds it here (the check at the end of a rotation refuses to
// finish while any value under a retired key is left, naming its table and column). Columns keyed
// by a hash of an address (signal_sessions, signal_identities, signal_sender_keys) are handled
// below from the addresses peers and staff hold; staff.enrol_key (a hash of a one-time code that
// is not kept) is voided.
const std::vector<SealedColumn>& sealed_columns() {
  static const std::vector<SealedColumn> kColumns = {
      {"meta", "value", "name", nullptr, true},
      {"peers", "address", "CAST(id AS TEXT)", derive_peer},   // and peers.lookup
      {"staff", "address", "CAST(id AS TEXT)", derive_staff},  // and staff.address_key
      {"outbox", "body", "CAST(id AS TEXT)", nullptr},
      {"inbox", "body", "CAST(id AS TEXT)", nullptr},
      {"conversations", "state", "CAST(peer_id AS TEXT)", nullptr},
      // and cases.centre_key, case_name_keys.key
      {"cases", "intake", "reference", derive_case},
      {"case_events", "detail", "CAST(id AS TEXT)", nullptr},
      {"audit", "subject", "action", derive_audit},  // and audit.subject_key
      {"signal_identity", "private_key", "CAST(id AS TEXT)", nullptr},
      {"signal_pre_keys", "record", "CAST(id AS TEXT)", nullptr},
      {"signal_signed_pre_keys", "record", "CAST(id AS TEXT)", nullptr},
  };
  return kColumns;
}
// ---------------------------------------------------------------------------------------------

std::string quoted(std::string_view name) { return "\"" + std::string(name) + "\""; }

Result<bool> has_column(Database& db, std::string_view table, std::string_view column) {
  auto query = db.prepare("SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2");
  if (!query) return std::move(query).error();
  return query->bind(1, table).bind(2, column).step();
}

Result<std::int64_t> count(Database& db, const std::string& sql) {
  auto query = db.prepare(sql);
  if (!query) return std::move(query).error();
  auto row = query->step();
  if (!row) return std::move(row).error();
  return row.value() ? query->column_int64(0) : 0;
}

Bytes key_id_bytes(std::uint32_t id) {
  return {static_cast<std::uint8_t>(id >> 24), static_cast<std::uint8_t>(id >> 16),
          static_cast<std::uint8_t>(id >> 8), static_cast<std::uint8_t>(id)};
}

std::string hex(const Bytes& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text;
  for (std::uint8_t byte : bytes) {
    text += kDigits[byte >> 4];
    text += kDigits[byte & 0x0f];
  }
  return text;
}

Result<void> report_step(Context& context, const char* table, const char* column,
                         std::int64_t rows) {
  if (!context.options.progress) return {};
  return context.options.progress(RotationStep{table, column, rows});
}

struct SealedRow {
  std::int64_t rowid = 0;
  std::string place_row;
  Bytes value;
};

Result<std::vector<SealedRow>> next_chunk(Database& db, const SealedColumn& column,
                                          std::int64_t after) {
  auto query = db.prepare("SELECT rowid, " + std::string(column.place_row) + ", " +
                          quoted(column.column) + " FROM " + quoted(column.table) +
                          " WHERE rowid > ?1 AND " + quoted(column.column) +
                          " IS NOT NULL ORDER BY rowid LIMIT " + std::to_string(kChunk));
  if (!query) return std::move(query).error();
  query->bind(1, after);
  std::vector<SealedRow> rows;
  while (true) {
    auto row = query->step();
    if (!row) return std::move(row).error();
    if (!row.value()) break;
    rows.push_back({query->column_int64(0), query->column_text(1), query->column_blob(2)});
  }
  return rows;
}

Result<void> reseal_row(Context& context, const SealedColumn& column, const SealedRow& row) {
  if (row.value.empty()) return {};  // a row being written (staff: the id comes first)
  const auto key_id = Sealer::key_id_of(row.value);
  if (column.may_hold_clear && (!key_id || !context.sealer.has_key(*key_id))) return {};
  const SealedPlace place{column.table, column.column, row.place_row};
  auto opened = context.sealer.open(place, row.value);
  if (!opened) {
    auto error = std::move(opened).error();
    error.detail =
        std::string(column.table) + " row " + std::to_string(row.rowid) + ": " + error.detail;
    return error;
  }
  Result<void> done;
  if (key_id != context.sealer.current_key().id()) {
    auto sealed = context.sealer.seal(place, opened.value());
    if (!sealed) {
      done = std::move(sealed).error();
    } else {
      auto update = context.db.prepare("UPDATE " + quoted(column.table) + " SET " +
                                       quoted(column.column) + " = ?1 WHERE rowid = ?2");
      done = update ? update->bind_blob(1, sealed.value()).bind(2, row.rowid).run()
                    : Result<void>(std::move(update).error());
      if (done) ++context.report.values_resealed;
    }
  }
  if (done && column.derive != nullptr) done = column.derive(context, row.rowid, opened.value());
  OPENSSL_cleanse(opened->data(), opened->size());
  return done;
}

Result<void> reseal_column(Context& context, const SealedColumn& column) {
  auto present = has_column(context.db, column.table, column.column);
  if (!present) return std::move(present).error();
  if (!present.value()) return {};  // an older schema (tests of migrations)
  std::int64_t after = 0;
  std::int64_t rows = 0;
  while (true) {
    auto chunk = next_chunk(context.db, column, after);
    if (!chunk) return std::move(chunk).error();
    if (chunk->empty()) break;
    for (const SealedRow& row : chunk.value()) {
      if (auto done = reseal_row(context, column, row); !done) return done;
    }
    after = chunk->back().rowid;
    rows += static_cast<std::int64_t>(chunk->size());
  }
  return report_step(context, column.table, column.column, rows);
}

// Rows whose address hash none of our addresses explains can never be reached again: they go.
Result<std::int64_t> drop_unexplained(Context& context, const char* table,
                                      const std::set<Bytes>& current) {
  auto query = context.db.prepare("SELECT DISTINCT address FROM " + std::string(table));
  if (!query) return std::move(query).error();
  std::vector<Bytes> unexplained;
  while (true) {
    auto row = query->step();
    if (!row) return std::move(row).error();
    if (!row.value()) break;
    Bytes address = query->column_blob(0);
    if (current.count(address) == 0) unexplained.push_back(std::move(address));
  }
  auto remove = context.db.prepare("DELETE FROM " + std::string(table) + " WHERE address = ?1");
  if (!remove) return std::move(remove).error();
  std::int64_t dropped = 0;
  for (const Bytes& address : unexplained) {
    remove->reset();
    if (auto done = remove->bind_blob(1, address).run(); !done) return std::move(done).error();
    dropped += context.db.changes();
  }
  return dropped;
}

struct SessionRow {
  std::int64_t device = 0;
  Bytes record;
};

Result<std::vector<SessionRow>> sessions_at(Database& db, const Bytes& address) {
  auto query = db.prepare("SELECT device, record FROM signal_sessions WHERE address = ?1");
  if (!query) return std::move(query).error();
  query->bind_blob(1, address);
  std::vector<SessionRow> rows;
  while (true) {
    auto row = query->step();
    if (!row) return std::move(row).error();
    if (!row.value()) break;
    rows.push_back({query->column_int64(0), query->column_blob(1)});
  }
  return rows;
}

// A session's record is sealed at "<address hash>/<device>": moved to the new hash, sealed again.
Result<void> move_session(Context& context, const Bytes& from, const Bytes& to,
                          const SessionRow& row) {
  const std::string device = std::to_string(row.device);
  const std::string old_row = hex(from) + "/" + device;
  const std::string new_row = hex(to) + "/" + device;
  auto opened = context.sealer.open({"signal_sessions", "record", old_row}, row.record);
  if (!opened) {
    auto error = std::move(opened).error();
    error.detail = "signal_sessions: " + error.detail;
    return error;
  }
  auto sealed = context.sealer.seal({"signal_sessions", "record", new_row}, opened.value());
  OPENSSL_cleanse(opened->data(), opened->size());
  if (!sealed) return std::move(sealed).error();
  auto update = context.db.prepare(
      "UPDATE OR IGNORE signal_sessions SET address = ?3, record = ?4 "
      "WHERE address = ?1 AND device = ?2");
  if (!update) return std::move(update).error();
  if (auto done = update->bind_blob(1, from)
                      .bind(2, row.device)
                      .bind_blob(3, to)
                      .bind_blob(4, sealed.value())
                      .run();
      !done) {
    return done;
  }
  if (context.db.changes() > 0) {
    ++context.report.values_resealed;
    return {};
  }
  // A session already under the new hash (written since the new key came) is the one in use.
  auto remove =
      context.db.prepare("DELETE FROM signal_sessions WHERE address = ?1 AND device = ?2");
  if (!remove) return std::move(remove).error();
  return remove->bind_blob(1, from).bind(2, row.device).run();
}

Result<void> rekey_signal_rows(Context& context) {
  for (const char* table : {"signal_sessions", "signal_identities", "signal_sender_keys"}) {
    auto present = has_column(context.db, table, "address");
    if (!present) return std::move(present).error();
    if (!present.value()) return {};
  }
  const std::uint32_t current_id = context.sealer.current_key().id();
  std::set<Bytes> current;
  std::int64_t sessions = 0;
  std::int64_t identities = 0;
  for (const auto& [from, to] : context.signal_addresses) {
    current.insert(to);
    auto rows = sessions_at(context.db, from);
    if (!rows) return std::move(rows).error();
    for (const SessionRow& row : rows.value()) {
      if (from == to && Sealer::key_id_of(row.record) == current_id) continue;
      if (auto moved = move_session(context, from, to, row); !moved) return moved;
      ++sessions;
    }
    if (from == to) continue;
    // An identity written since the new key came is the one in use; the older one goes.
    auto update = context.db.prepare(
        "UPDATE OR IGNORE signal_identities SET address = ?2 WHERE address = ?1");
    if (!update) return std::move(update).error();
    if (auto done = update->bind_blob(1, from).bind_blob(2, to).run(); !done) return done;
    identities += context.db.changes();
    auto remove = context.db.prepare("DELETE FROM signal_identities WHERE address = ?1");
    if (!remove) return std::move(remove).error();
    if (auto done = remove->bind_blob(1, from).run(); !done) return done;
  }
  context.report.indexes_rekeyed += sessions + identities;
  for (const char* table : {"signal_sessions", "signal_identities"}) {
    auto dropped = drop_unexplained(context, table, current);
    if (!dropped) return std::move(dropped).error();
    context.report.rows_dropped += dropped.value();
  }
  // Sender keys (groups) are named by a hash of the group id, which is kept nowhere: the bot
  // takes part in no group, and any such row under an old key could never be found again.
  auto remove =
      context.db.prepare("DELETE FROM signal_sender_keys WHERE substr(record, 2, 4) != ?1");
  if (!remove) return std::move(remove).error();
  if (auto done = remove->bind_blob(1, key_id_bytes(current_id)).run(); !done) return done;
  context.report.rows_dropped += context.db.changes();
  if (auto done = report_step(context, "signal_sessions", "address", sessions); !done) return done;
  return report_step(context, "signal_identities", "address", identities);
}

// staff.enrol_key is a hash of "<id>:<code>", and the code is kept nowhere: a pending code can
// only be voided (the member is given a new one with `gvo-bot staff enrol`).
Result<void> void_enrolments(Context& context) {
  auto present = has_column(context.db, "staff", "enrol_key");
  if (!present) return std::move(present).error();
  if (!present.value()) return {};
  if (auto done = context.db.exec(
          "UPDATE staff SET enrol_key = NULL, enrol_expires_at = NULL, enrol_failures = 0 "
          "WHERE enrol_key IS NOT NULL");
      !done) {
    return done;
  }
  context.report.enrolments_voided = context.db.changes();
  return report_step(context, "staff", "enrol_key", context.report.enrolments_voided);
}

Result<std::vector<std::pair<std::string, std::string>>> every_column(Database& db) {
  auto tables = db.prepare(
      "SELECT m.name, p.name FROM sqlite_master AS m, pragma_table_info(m.name) AS p "
      "WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.cid");
  if (!tables) return std::move(tables).error();
  std::vector<std::pair<std::string, std::string>> columns;
  while (true) {
    auto row = tables->step();
    if (!row) return std::move(row).error();
    if (!row.value()) break;
    columns.emplace_back(tables->column_text(0), tables->column_text(1));
  }
  return columns;
}

// The proof that the list above is whole: no value in any column of any table is still sealed
// under a loaded key other than the current one.
Result<void> check_nothing_left(Context& context, const std::vector<std::uint32_t>& retired) {
  auto columns = every_column(context.db);
  if (!columns) return std::move(columns).error();
  for (const auto& [table, column] : columns.value()) {
    for (std::uint32_t id : retired) {
      auto query = context.db.prepare("SELECT count(*) FROM " + quoted(table) + " WHERE typeof(" +
                                      quoted(column) + ") = 'blob' AND length(" + quoted(column) +
                                      ") >= " + std::to_string(kSealedOverhead) + " AND substr(" +
                                      quoted(column) + ", 1, 5) = ?1");
      if (!query) return std::move(query).error();
      Bytes prefix{1};
      const Bytes id_bytes = key_id_bytes(id);
      prefix.insert(prefix.end(), id_bytes.begin(), id_bytes.end());
      auto row = query->bind_blob(1, prefix).step();
      if (!row) return std::move(row).error();
      const std::int64_t left = row.value() ? query->column_int64(0) : 0;
      if (left > 0) {
        return fail(Errc::key_mismatch,
                    table + "." + column + " holds " + std::to_string(left) +
                        " value(s) sealed with a retired key that the rotation does not know "
                        "(storage/key_rotation.cpp must list the column); nothing was changed");
      }
    }
  }
  return {};
}

Result<void> rotate_all(Context& context) {
  for (const SealedColumn& column : sealed_columns()) {
    if (auto done = reseal_column(context, column); !done) return done;
  }
  if (auto done = rekey_signal_rows(context); !done) return done;
  if (auto done = void_enrolments(context); !done) return done;
  std::vector<std::uint32_t> retired;
  for (const std::string& id_hex : context.sealer.key_ids()) {
    if (id_hex == context.sealer.current_key().id_hex()) continue;
    retired.push_back(static_cast<std::uint32_t>(std::stoul(id_hex, nullptr, 16)));
  }
  return check_nothing_left(context, retired);
}

}  // namespace

Result<KeyState> key_state(Database& db, const Sealer& sealer) {
  KeyState state;
  auto present = has_column(db, "meta", "value");
  if (!present) return std::move(present).error();
  if (!present.value()) return state;
  auto query = db.prepare("SELECT value FROM meta WHERE name = 'key_check'");
  if (!query) return std::move(query).error();
  auto row = query->step();
  if (!row) return std::move(row).error();
  if (!row.value()) return state;
  const auto key_id = Sealer::key_id_of(query->column_blob(0));
  if (!key_id || !sealer.has_key(*key_id)) {
    return fail(Errc::key_mismatch,
                "the key check in the database is sealed with a key that is "
                "not loaded");
  }
  state.sealed_with = hex(key_id_bytes(*key_id));
  if (*key_id == sealer.current_key().id()) {
    state.kind = KeyState::Kind::current;
    return state;
  }
  state.kind = KeyState::Kind::pending;
  for (const SealedColumn& column : sealed_columns()) {
    auto has = has_column(db, column.table, column.column);
    if (!has) return std::move(has).error();
    if (!has.value()) continue;
    auto rows = count(db, "SELECT count(*) FROM " + quoted(column.table));
    if (!rows) return std::move(rows).error();
    state.rows_to_rekey += rows.value();
  }
  for (const char* table : {"signal_sessions", "signal_identities"}) {
    auto has = has_column(db, table, "address");
    if (!has) return std::move(has).error();
    if (!has.value()) continue;
    auto rows = count(db, "SELECT count(*) FROM " + std::string(table));
    if (!rows) return std::move(rows).error();
    state.rows_to_rekey += rows.value();
  }
  return state;
}

Result<RotationReport> rotate_sealing_key(Database& db, const Sealer& sealer,
                                          const RotationOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  RotationReport report;
  report.to_key = sealer.current_key().id_hex();
  auto state = key_state(db, sealer);
  if (!state) return std::move(state).error();
  if (state->kind != KeyState::Kind::pending) return report;
  // The whole rotation is one transaction, larger than SQLite's page cache: spilled pages would
  // be written to the WAL and read back (most of the time with 10,000 peers). A larger cache for
  // the rotation only; the usual one after.
  auto cache = count(db, "PRAGMA cache_size");
  if (!cache) return std::move(cache).error();
  if (auto done = db.exec("PRAGMA cache_size = " + std::to_string(kRotationCacheKiB)); !done) {
    return std::move(done).error();
  }
  auto rotated = db.transact([&]() -> Result<RotationReport> {
    // Again under the write lock: another process may have done it in between.
    auto locked = key_state(db, sealer);
    if (!locked) return std::move(locked).error();
    if (locked->kind != KeyState::Kind::pending) return report;
    report.from_key = locked->sealed_with;
    Context context{db, sealer, options, report, {}};
    if (auto done = rotate_all(context); !done) return std::move(done).error();
    report.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return report;
  });
  (void)db.exec("PRAGMA cache_size = " + std::to_string(cache.value()));
  return rotated;
}

}  // namespace gvo::storage
