#include "storage/database.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cassert>
#include <cerrno>
#include <cstring>
#include <limits>
#include <unordered_map>

#include <sqlite3.h>

namespace gvo::storage {
namespace {

Errc errc_from_sqlite(int rc) {
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      return Errc::constraint;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Errc::busy;
    case SQLITE_NOTADB:
    case SQLITE_CANTOPEN:
      return Errc::open_failed;
    default:
      return Errc::sql_failed;
  }
}

// SQLite makes the -wal and -shm files with the permissions of the database file, so making the
// file owner-only before SQLite first opens it covers all three.
Result<void> create_owner_only(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return fail(Errc::open_failed, path + ": " + std::strerror(errno));
  ::close(fd);
  return {};
}

bool file_exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

}  // namespace

// ---------------------------------------------------------------------------------------------
// Statement

struct StatementCache {
  std::unordered_map<std::string, sqlite3_stmt*> idle;
  bool closed = false;  // the connection is closing: nothing comes back

  ~StatementCache() { finalize_all(); }
  void finalize_all() {
    for (auto& [sql, stmt] : idle) sqlite3_finalize(stmt);
    idle.clear();
  }
};

Statement::Statement(Statement&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)),
      stmt_(std::exchange(other.stmt_, nullptr)),
      cache_(std::move(other.cache_)),
      sql_(std::move(other.sql_)),
      bind_error_(std::exchange(other.bind_error_, 0)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    release();
    db_ = std::exchange(other.db_, nullptr);
    stmt_ = std::exchange(other.stmt_, nullptr);
    cache_ = std::move(other.cache_);
    sql_ = std::move(other.sql_);
    bind_error_ = std::exchange(other.bind_error_, 0);
  }
  return *this;
}

Statement::~Statement() { release(); }

void Statement::release() {
  if (stmt_ == nullptr) return;
  if (cache_ && !cache_->closed && cache_->idle.count(sql_) == 0) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    cache_->idle.emplace(std::move(sql_), stmt_);
  } else {
    sqlite3_finalize(stmt_);
  }
  stmt_ = nullptr;
  cache_.reset();
}

void Statement::note_bind(int rc) {
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
}

Statement& Statement::bind(int index, std::int64_t value) {
  note_bind(sqlite3_bind_int64(stmt_, index, value));
  return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
  if (text.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    note_bind(SQLITE_TOOBIG);
    return *this;
  }
  note_bind(sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()),
                              SQLITE_TRANSIENT));
  return *this;
}

Statement& Statement::bind_blob(int index, const Bytes& bytes) {
  if (bytes.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    note_bind(SQLITE_TOOBIG);
    return *this;
  }
  // A zero-length blob must still be a blob, not NULL: pass a non-null pointer.
  static const std::uint8_t kEmpty = 0;
  note_bind(sqlite3_bind_blob(stmt_, index, bytes.empty() ? &kEmpty : bytes.data(),
                              static_cast<int>(bytes.size()), SQLITE_TRANSIENT));
  return *this;
}

Statement& Statement::bind_null(int index) {
  note_bind(sqlite3_bind_null(stmt_, index));
  return *this;
}

Result<bool> Statement::step() {
  if (bind_error_ != 0) {
    return fail(errc_from_sqlite(bind_error_),
                std::string("binding a parameter: ") + sqlite3_errstr(bind_error_));
  }
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return fail(errc_from_sqlite(rc), sqlite3_errmsg(db_));
}

Result<void> Statement::run() {
  auto stepped = step();
  if (!stepped) return std::move(stepped).error();
  if (stepped.value())
    return fail(Errc::sql_failed, "statement returned a row where none was expected");
  return {};
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_error_ = 0;
}

std::int64_t Statement::column_int64(int index) const { return sqlite3_column_int64(stmt_, index); }

std::string Statement::column_text(int index) const {
  const auto* text = sqlite3_column_text(stmt_, index);
  const int size = sqlite3_column_bytes(stmt_, index);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(size));
}

Bytes Statement::column_blob(int index) const {
  const auto* data = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, index));
  const int size = sqlite3_column_bytes(stmt_, index);
  if (data == nullptr) return {};
  return Bytes(data, data + size);
}

bool Statement::column_is_null(int index) const {
  return sqlite3_column_type(stmt_, index) == SQLITE_NULL;
}

// ---------------------------------------------------------------------------------------------
// CommitGroup

CommitGroup::~CommitGroup() {
  if (db_ != nullptr) (void)db_->run_cached("ROLLBACK");
}

Result<void> CommitGroup::commit() {
  assert(db_ != nullptr && "commit() of a finished group");
  Database* db = std::exchange(db_, nullptr);
  if (auto done = db->run_cached("COMMIT"); !done) {
    (void)db->run_cached("ROLLBACK");
    return done;
  }
  return {};
}

// ---------------------------------------------------------------------------------------------
// Database

Result<Database> Database::open(const std::string& path, OpenMode mode, int busy_timeout_ms) {
  if (mode != OpenMode::create_if_missing && !file_exists(path)) {
    return fail(Errc::open_failed, path + ": no such file");
  }
  if (mode == OpenMode::create_if_missing && !file_exists(path)) {
    if (auto created = create_owner_only(path); !created) return std::move(created).error();
  }
  sqlite3* handle = nullptr;
  const int access = mode == OpenMode::read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
  const int flags = access | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  const int rc = sqlite3_open_v2(path.c_str(), &handle, flags, nullptr);
  Database db(handle);  // closes the handle on every path below, even a failed open
  if (rc != SQLITE_OK) {
    const char* why = handle != nullptr ? sqlite3_errmsg(handle) : sqlite3_errstr(rc);
    return fail(Errc::open_failed, path + ": " + why);
  }
  if (auto configured = db.configure(mode, busy_timeout_ms); !configured) {
    auto error = std::move(configured).error();
    if (error.code == Errc::sql_failed) error.code = Errc::open_failed;
    error.detail = path + ": " + error.detail;
    return error;
  }
  return db;
}

Result<void> Database::configure(OpenMode mode, int busy_timeout_ms) {
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, busy_timeout_ms);
  int enabled = 0;
  sqlite3_db_config(db_, SQLITE_DBCONFIG_DEFENSIVE, 1, &enabled);
  sqlite3_db_config(db_, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, &enabled);
  // Reading the schema first turns a file that is not a database into a clear error here.
  if (auto probe = exec("SELECT count(*) FROM sqlite_schema"); !probe) return probe;
  if (mode == OpenMode::read_only) return exec("PRAGMA query_only=ON");
  // auto_vacuum only takes effect before the first table is made; on an older file it is a no-op.
  if (auto pragmas = exec("PRAGMA auto_vacuum=FULL;"
                          "PRAGMA foreign_keys=ON;"
                          "PRAGMA secure_delete=ON;"
                          "PRAGMA temp_store=MEMORY;");
      !pragmas) {
    return pragmas;
  }
  auto journal = prepare("PRAGMA journal_mode=WAL");
  if (!journal) return std::move(journal).error();
  auto row = journal->step();
  if (!row) return std::move(row).error();
  if (!row.value() || journal->column_text(0) != "wal") {
    return fail(Errc::open_failed, "the database refused write-ahead logging");
  }
  return exec("PRAGMA synchronous=FULL");
}

Database::Database(Database&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)),
      open_units_(std::move(other.open_units_)),
      cache_(std::move(other.cache_)),
      wal_listener_(std::move(other.wal_listener_)) {}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    close();
    db_ = std::exchange(other.db_, nullptr);
    open_units_ = std::move(other.open_units_);
    cache_ = std::move(other.cache_);
    wal_listener_ = std::move(other.wal_listener_);
  }
  return *this;
}

Database::~Database() { close(); }

void Database::close() {
  if (cache_) {
    cache_->closed = true;
    cache_->finalize_all();
    cache_.reset();
  }
  sqlite3_close_v2(db_);  // waits for statements still lent out, if any
  db_ = nullptr;
}

Error Database::error_from(int rc, std::string_view context) const {
  std::string detail(context);
  if (!detail.empty()) detail += ": ";
  detail += db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  return fail(errc_from_sqlite(rc), std::move(detail));
}

Result<void> Database::exec(std::string_view sql) {
  const std::string text(sql);
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return error_from(rc, "");
  return {};
}

Result<Statement> Database::prepare(std::string_view sql) {
  if (sql.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    return fail(Errc::sql_failed, "statement too long");
  }
  if (!cache_) cache_ = std::make_shared<StatementCache>();
  std::string text(sql);
  if (const auto it = cache_->idle.find(text); it != cache_->idle.end()) {
    sqlite3_stmt* stmt = it->second;
    cache_->idle.erase(it);
    return Statement(db_, stmt, cache_, std::move(text));
  }
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) return error_from(rc, "preparing a statement");
  return Statement(db_, stmt, cache_, std::move(text));
}

std::int64_t Database::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }

Result<std::int64_t> Database::next_id(std::string_view table) {
  auto next = prepare("SELECT coalesce(max(id), 0) + 1 FROM " + std::string(table));
  if (!next) return std::move(next).error();
  if (auto row = next->step(); !row) return std::move(row).error();
  return next->column_int64(0);
}

int Database::changes() const { return sqlite3_changes(db_); }

bool Database::in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

Result<int> Database::user_version() {
  auto stmt = prepare("PRAGMA user_version");
  if (!stmt) return std::move(stmt).error();
  auto row = stmt->step();
  if (!row) return std::move(row).error();
  return static_cast<int>(stmt->column_int64(0));
}

Result<void> Database::set_user_version(int version) {
  return exec("PRAGMA user_version=" + std::to_string(version));
}

Result<void> Database::checkpoint_passive() {
  const int rc =
      sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  // Busy: another connection was checkpointing or restarting the log at that moment. A passive
  // checkpoint does not wait; what it did not copy, the next one will.
  if (rc != SQLITE_OK && (rc & 0xff) != SQLITE_BUSY) return error_from(rc, "checkpoint");
  return {};
}

void Database::on_wal_commit(std::function<void(int pages)> listener) {
  if (!listener) {
    sqlite3_wal_autocheckpoint(db_, 1000);  // SQLite's default; replaces the hook
    wal_listener_.reset();
    return;
  }
  auto installed = std::make_unique<std::function<void(int)>>(std::move(listener));
  sqlite3_wal_hook(
      db_,
      [](void* self, sqlite3*, const char*, int pages) {
        (*static_cast<std::function<void(int)>*>(self))(pages);
        return SQLITE_OK;
      },
      installed.get());
  wal_listener_ = std::move(installed);
}

Result<void> Database::checkpoint_truncate() {
  int log_frames = 0;
  int checkpointed = 0;
  const int rc = sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_TRUNCATE, &log_frames,
                                           &checkpointed);
  if (rc != SQLITE_OK) return error_from(rc, "checkpoint");
  return {};
}

Result<CommitGroup> Database::begin_group() {
  if (in_transaction()) return fail(Errc::sql_failed, "a transaction is already open");
  if (auto begun = run_cached("BEGIN IMMEDIATE"); !begun) return std::move(begun).error();
  return CommitGroup(*this);
}

// Transaction control runs as cached statements: parsed once, not on every unit of every message.
Result<void> Database::run_cached(std::string_view sql) {
  auto statement = prepare(sql);
  if (!statement) return std::move(statement).error();
  return statement->run();
}

// Savepoints are named after their depth, so nested units never share a name.
Result<void> Database::begin_unit() {
  if (!in_transaction()) {
    if (auto begun = run_cached("BEGIN IMMEDIATE"); !begun) return begun;
    open_units_.push_back(UnitKind::transaction);
    return {};
  }
  const std::string name = "unit" + std::to_string(open_units_.size());
  if (auto begun = run_cached("SAVEPOINT " + name); !begun) return begun;
  open_units_.push_back(UnitKind::savepoint);
  return {};
}

Result<void> Database::end_unit(bool keep) {
  assert(!open_units_.empty() && "end_unit without begin_unit");
  const UnitKind kind = open_units_.back();
  open_units_.pop_back();
  if (kind == UnitKind::transaction) {
    if (!keep) return run_cached("ROLLBACK");
    if (auto committed = run_cached("COMMIT"); !committed) {
      (void)run_cached("ROLLBACK");
      return committed;
    }
    return {};
  }
  const std::string name = "unit" + std::to_string(open_units_.size());
  if (keep) return run_cached("RELEASE " + name);
  // ROLLBACK TO undoes the savepoint's work but leaves it open; RELEASE then closes it.
  if (auto undone = run_cached("ROLLBACK TO " + name); !undone) return undone;
  return run_cached("RELEASE " + name);
}

}  // namespace gvo::storage
