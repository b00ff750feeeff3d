// RAII wrappers over one SQLite connection and its prepared statements, with the transaction
// helpers the rest of the code uses. One connection per thread of use; the bot uses one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "storage/errors.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace gvo::storage {

using Bytes = std::vector<std::uint8_t>;

// Prepared statements kept by SQL text between uses: preparing is most of the cost of a small
// query. Shared by a Database and the Statements it lent out.
struct StatementCache;

class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Parameters are numbered from 1. A failed bind is reported by the next step().
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, std::string_view text);
  Statement& bind_blob(int index, const Bytes& bytes);
  Statement& bind_null(int index);

  // true while a row is ready to read, false once the statement is done.
  Result<bool> step();
  // Runs a statement that returns no row.
  Result<void> run();
  // Makes the statement ready to bind and run again.
  void reset();

  // Columns are numbered from 0.
  std::int64_t column_int64(int index) const;
  std::string column_text(int index) const;
  Bytes column_blob(int index) const;
  bool column_is_null(int index) const;

 private:
  friend class Database;
  Statement(sqlite3* db, sqlite3_stmt* stmt, std::shared_ptr<StatementCache> cache, std::string sql)
      : db_(db), stmt_(stmt), cache_(std::move(cache)), sql_(std::move(sql)) {}
  void note_bind(int rc);
  // Back to the cache, reset and unbound, or finalized.
  void release();

  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  std::shared_ptr<StatementCache> cache_;
  std::string sql_;
  int bind_error_ = 0;
};

enum class OpenMode {
  create_if_missing,
  existing_only,
  read_only,  // changes nothing in the file, not even its header; for checks before a write
};

class Database;

// A transaction that several operations share, so that they cost one commit (one fsync). Each
// operation run with Database::transact inside the group is a savepoint: one that fails is undone
// alone, the others stay. Dropping the group without commit() rolls everything back.
class CommitGroup {
 public:
  CommitGroup(CommitGroup&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}
  CommitGroup& operator=(CommitGroup&&) = delete;
  CommitGroup(const CommitGroup&) = delete;
  CommitGroup& operator=(const CommitGroup&) = delete;
  ~CommitGroup();

  Result<void> commit();

 private:
  friend class Database;
  explicit CommitGroup(Database& db) : db_(&db) {}
  Database* db_;
};

class Database {
 public:
  // Opens with the settings the bot relies on: WAL, synchronous=FULL, foreign keys, secure_delete,
  // auto_vacuum=FULL, a busy timeout and SQLite's defensive mode. A new file is made owner-only.
  static Result<Database> open(const std::string& path, OpenMode mode, int busy_timeout_ms = 5000);

  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  // Runs SQL without parameters (one or more statements).
  Result<void> exec(std::string_view sql);
  Result<Statement> prepare(std::string_view sql);

  std::int64_t last_insert_rowid() const;
  // The id the next row of table will get, for a row whose sealed values are bound to its id
  // (chosen before the insert). Inside a write transaction no other writer can take it.
  Result<std::int64_t> next_id(std::string_view table);
  // Rows changed by the last INSERT, UPDATE or DELETE.
  int changes() const;
  bool in_transaction() const;

  Result<int> user_version();
  Result<void> set_user_version(int version);
  // Copies the WAL into the database and truncates it to zero bytes, so that deleted rows leave
  // no residue there.
  Result<void> checkpoint_truncate();
  // Copies what it can of the WAL into the database without waiting for other connections (a
  // connection busy with the log at that moment is not a failure: the next one copies the rest).
  Result<void> checkpoint_passive();
  // After each commit, listener learns how many pages the WAL holds, and SQLite no longer
  // checkpoints on this connection (BackgroundCheckpoints does). An empty listener restores
  // SQLite's own checkpoints.
  void on_wal_commit(std::function<void(int pages)> listener);

  // Runs body() -> Result<T> as one unit: a transaction of its own (BEGIN IMMEDIATE ... COMMIT),
  // or a savepoint when a transaction is already open. A failed Result rolls the unit back.
  template <typename Body>
  auto transact(Body&& body) -> std::invoke_result_t<Body&> {
    using R = std::invoke_result_t<Body&>;
    if (auto begun = begin_unit(); !begun) return R(std::move(begun).error());
    R result = body();
    if (auto ended = end_unit(result.ok()); !ended && result.ok()) {
      return R(std::move(ended).error());
    }
    return result;
  }

  // Opens a transaction that the next operations share until commit().
  Result<CommitGroup> begin_group();

  // Runs body() -> Result<void> as a transaction of its own whose commit does not wait for the
  // disk (synchronous=NORMAL for it alone). It becomes durable with the next durable commit: the
  // WAL is written in order and that commit's fsync covers it. Only a crash of the machine, not
  // of the process, can lose it. For bookkeeping that is safe to do again.
  template <typename Body>
  Result<void> transact_without_sync(Body&& body) {
    if (in_transaction()) return transact(body);
    if (auto relaxed = run_cached("PRAGMA synchronous=NORMAL"); !relaxed) return relaxed;
    Result<void> result = transact(body);
    if (auto restored = run_cached("PRAGMA synchronous=FULL"); !restored) return restored;
    return result;
  }

 private:
  friend class CommitGroup;
  explicit Database(sqlite3* db) : db_(db) {}
  Result<void> configure(OpenMode mode, int busy_timeout_ms);
  Result<void> run_cached(std::string_view sql);
  Result<void> begin_unit();
  Result<void> end_unit(bool keep);
  Error error_from(int rc, std::string_view context) const;
  void close();

  // Units opened by transact() and not yet ended, innermost last. A unit opened inside a group's
  // transaction is a savepoint; one opened outside any transaction is a transaction of its own.
  enum class UnitKind { transaction, savepoint };
  sqlite3* db_ = nullptr;
  std::vector<UnitKind> open_units_;
  std::shared_ptr<StatementCache> cache_;
  // Kept on the heap: SQLite holds its address, which must survive a move of the Database.
  std::unique_ptr<std::function<void(int)>> wal_listener_;
};

}  // namespace gvo::storage
