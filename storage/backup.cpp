#include "storage/backup.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <utility>

#include <sqlite3.h>

#include "storage/database.hpp"

namespace gvo::storage {
namespace {

// One raw connection, closed on every path. The backup API and the exclusive lock of a restore
// need settings Database::open does not give (no WAL on the copy, no busy wait on the check).
class Connection {
 public:
  static Result<Connection> open(const std::string& path, int flags) {
    sqlite3* handle = nullptr;
    const int rc = sqlite3_open_v2(path.c_str(), &handle, flags | SQLITE_OPEN_NOMUTEX, nullptr);
    Connection connection(handle);
    if (rc != SQLITE_OK) {
      return fail(Errc::open_failed, path + ": " + (handle ? sqlite3_errmsg(handle) : "no memory"));
    }
    sqlite3_extended_result_codes(handle, 1);
    return connection;
  }
  Connection(Connection&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}
  Connection& operator=(Connection&&) = delete;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() { sqlite3_close_v2(db_); }

  sqlite3* get() const { return db_; }

  // The first column of the first row of a statement (a pragma's answer).
  Result<std::string> text(const char* sql) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr);
    std::string value;
    if (rc == SQLITE_OK) {
      rc = sqlite3_step(stmt);
      if (rc == SQLITE_ROW) {
        const unsigned char* column = sqlite3_column_text(stmt, 0);
        value = column ? reinterpret_cast<const char*>(column) : "";
        rc = SQLITE_OK;
      }
    }
    sqlite3_finalize(stmt);
    if (rc == SQLITE_OK || rc == SQLITE_DONE) return value;
    return fail(
        (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED ? Errc::busy : Errc::sql_failed,
        std::string(sql) + ": " + sqlite3_errmsg(db_));
  }

  Result<void> exec(const char* sql) {
    const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
    if (rc == SQLITE_OK) return {};
    const Errc code =
        (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED ? Errc::busy : Errc::sql_failed;
    return fail(code, std::string(sql) + ": " + sqlite3_errmsg(db_));
  }

 private:
  explicit Connection(sqlite3* db) : db_(db) {}
  sqlite3* db_;
};

Result<void> sync_path(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return fail(Errc::open_failed, path + ": " + std::strerror(errno));
  const bool synced = ::fsync(fd) == 0;
  const int saved = errno;
  ::close(fd);
  if (!synced) return fail(Errc::sql_failed, "fsync " + path + ": " + std::strerror(saved));
  return {};
}

std::int64_t size_of(const std::string& path) {
  struct stat info {};
  return ::lstat(path.c_str(), &info) == 0 ? static_cast<std::int64_t>(info.st_size) : -1;
}

// A byte copy to a new owner-only file, synced.
Result<void> copy_file(const std::string& from, const std::string& to) {
  const int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (in < 0) return fail(Errc::open_failed, from + ": " + std::strerror(errno));
  const int out = ::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (out < 0) {
    const int saved = errno;
    ::close(in);
    return fail(Errc::open_failed, to + ": " + std::strerror(saved));
  }
  char buffer[1 << 16];
  bool ok = true;
  for (;;) {
    const ssize_t n = ::read(in, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ok = n == 0;
      break;
    }
    for (ssize_t done = 0; ok && done < n;) {
      const ssize_t w = ::write(out, buffer + done, static_cast<std::size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) ok = false;
      if (w > 0) done += w;
    }
    if (!ok) break;
  }
  ok = ok && ::fsync(out) == 0;
  const int saved = errno;
  ::close(in);
  ::close(out);
  if (!ok) {
    ::unlink(to.c_str());
    return fail(Errc::open_failed, "copy of " + from + ": " + std::strerror(saved));
  }
  return {};
}

bool exists(const std::string& path) {
  struct stat info {};
  return ::lstat(path.c_str(), &info) == 0;
}

// Whether another process holds a lock on the file at path: SQLite's on a database (its lock
// bytes at 1 GiB: a connection in WAL mode keeps a SHARED one), or any on a WAL index. Call it
// before this process opens the file: closing a descriptor drops the process's own POSIX locks.
bool locked_by_another(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return false;
  struct flock probe {};
  probe.l_type = F_WRLCK;
  probe.l_whence = SEEK_SET;
  const bool index = path.size() > 4 && path.compare(path.size() - 4, 4, "-shm") == 0;
  probe.l_start = index ? 0 : 0x40000000;
  probe.l_len = index ? 0 : 512;
  const bool locked = ::fcntl(fd, F_GETLK, &probe) == 0 && probe.l_type != F_UNLCK;
  ::close(fd);
  return locked;
}

std::string folder_of(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// Creates path owner-only; EEXIST is an error of its own so that nothing is overwritten.
Result<void> create_new_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return fail(Errc::open_failed,
                path + ": " + std::strerror(errno) +
                    (errno == EEXIST ? " (it is never overwritten: remove it or choose another "
                                       "name)"
                                     : ""));
  }
  ::close(fd);
  return {};
}

std::int64_t page_size(sqlite3* db) {
  sqlite3_stmt* stmt = nullptr;
  std::int64_t size = 0;
  if (sqlite3_prepare_v2(db, "PRAGMA page_size", -1, &stmt, nullptr) == SQLITE_OK &&
      sqlite3_step(stmt) == SQLITE_ROW) {
    size = sqlite3_column_int64(stmt, 0);
  }
  sqlite3_finalize(stmt);
  return size;
}

Result<BackupReport> copy_into(const std::string& live, const std::string& output) {
  auto source = Connection::open(live, SQLITE_OPEN_READONLY);
  if (!source) return std::move(source).error();
  sqlite3_busy_timeout(source->get(), 5000);
  auto target = Connection::open(output, SQLITE_OPEN_READWRITE);
  if (!target) return std::move(target).error();
  sqlite3_backup* backup = sqlite3_backup_init(target->get(), "main", source->get(), "main");
  if (backup == nullptr) {
    return fail(Errc::sql_failed, std::string("backup: ") + sqlite3_errmsg(target->get()));
  }
  // One step: the whole copy under one read transaction of the source, a consistent snapshot.
  int rc = sqlite3_backup_step(backup, -1);
  for (int tries = 0; (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && tries < 100; ++tries) {
    sqlite3_sleep(50);
    rc = sqlite3_backup_step(backup, -1);
  }
  BackupReport report;
  report.pages = sqlite3_backup_pagecount(backup);
  sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE) {
    return fail(rc == SQLITE_BUSY || rc == SQLITE_LOCKED ? Errc::busy : Errc::sql_failed,
                std::string("backup of ") + live + ": " + sqlite3_errstr(rc));
  }
  // The copied header says WAL; the copy is one file that needs nothing beside it.
  if (auto plain = target->exec("PRAGMA journal_mode=DELETE"); !plain) return plain.error();
  report.bytes = report.pages * page_size(target->get());
  return report;
}

}  // namespace

Result<BackupReport> back_up(const std::string& live, const std::string& output) {
  if (::access(live.c_str(), F_OK) != 0) {
    return fail(Errc::open_failed, live + ": " + std::strerror(errno));
  }
  if (auto created = create_new_file(output); !created) return created.error();
  auto copied = copy_into(live, output);
  if (copied) {
    if (auto synced = sync_path(output, O_RDONLY); !synced) copied = synced.error();
  }
  if (copied) {
    if (auto synced = sync_path(folder_of(output), O_RDONLY | O_DIRECTORY); !synced) {
      copied = synced.error();
    }
  }
  if (!copied) {
    for (const char* suffix : {"", "-journal", "-wal", "-shm"}) ::unlink((output + suffix).c_str());
  }
  return copied;
}

Result<BackupCheck> check_backup(const std::string& path, const Sealer& sealer) {
  if (::access(path.c_str(), R_OK) != 0) {
    return fail(Errc::open_failed, path + ": " + std::strerror(errno));
  }
  {
    auto db = Connection::open(path, SQLITE_OPEN_READONLY);
    if (!db) return std::move(db).error();
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db->get(), "PRAGMA integrity_check", -1, &stmt, nullptr) != SQLITE_OK) {
      return fail(Errc::open_failed, path + ": not a database (" + sqlite3_errmsg(db->get()) + ")");
    }
    std::string verdict;
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
      const unsigned char* text = sqlite3_column_text(stmt, 0);
      verdict = text ? reinterpret_cast<const char*>(text) : "";
    } else {
      verdict = sqlite3_errmsg(db->get());
    }
    sqlite3_finalize(stmt);
    if (verdict != "ok") {
      return fail(Errc::open_failed, path + ": the integrity check fails: " + verdict);
    }
  }
  auto key = Store::inspect(path, sealer);
  if (!key) return std::move(key).error();
  auto db = Database::open(path, OpenMode::read_only);
  if (!db) return std::move(db).error();
  auto version = db->user_version();
  if (!version) return std::move(version).error();
  return BackupCheck{version.value(), std::move(key).value()};
}

Result<RestoreReport> restore(const std::string& backup, const std::string& live,
                              const Sealer& sealer, const std::string& stamp) {
  auto checked = check_backup(backup, sealer);
  if (!checked) return std::move(checked).error();
  RestoreReport report{std::move(checked).value(), {}};
  const std::string wal = live + "-wal";
  const std::string shm = live + "-shm";
  const auto in_use = [&] {
    return fail(Errc::busy, live +
                                " is open in another process: stop gvo-bot (and any other "
                                "command on this database) first");
  };
  // Before this process opens anything of it: closing a descriptor would drop its own locks.
  if (locked_by_another(live) || locked_by_another(shm)) return in_use();
  const bool had_live = exists(live);
  if (!had_live && size_of(wal) > 0) {
    // Replayed into the restored file, a log left by another database would corrupt it.
    return fail(Errc::open_failed, wal +
                                       " is there without its database: move it away first "
                                       "(or put the database back and restore over it)");
  }

  const std::string incoming = live + ".restoring";
  ::unlink(incoming.c_str());  // left by a restore that stopped half-way: never the live one
  if (auto copied = back_up(backup, incoming); !copied) return copied.error();
  const auto give_up = [&](Error error) -> Result<RestoreReport> {
    ::unlink(incoming.c_str());
    return error;
  };
  if (!had_live) {
    // An index without its log holds nothing (read-only connections leave both behind).
    ::unlink(wal.c_str());
    ::unlink(shm.c_str());
    if (::rename(incoming.c_str(), live.c_str()) != 0) {
      return give_up(Error{Errc::open_failed,
                           "cannot put the backup at " + live + ": " + std::strerror(errno)});
    }
    if (auto synced = sync_path(folder_of(live), O_RDONLY | O_DIRECTORY); !synced) {
      return synced.error();
    }
    return report;
  }

  report.replaced_kept_as = live + ".replaced-" + stamp;
  const std::string& kept = report.replaced_kept_as;
  if (exists(kept)) {
    return give_up(Error{Errc::open_failed, "cannot keep " + live + " as " + kept +
                                                ": it exists (restore again in a second)"});
  }
  // SQLite drops a log it cannot read when it opens the file: a copy of it goes aside first.
  const std::string kept_wal = kept + "-wal";
  if (size_of(wal) > 0) {
    if (auto copied = copy_file(wal, kept_wal); !copied) return give_up(copied.error());
  }
  // The database it replaces, held under an exclusive lock until the backup has taken its
  // place, so that live always names one whole database and nobody opens it in between: its
  // log emptied into it first (journal_mode=DELETE needs the only connection, and removes the
  // WAL and its index).
  std::optional<Connection> old;
  if (auto opened = Connection::open(live, SQLITE_OPEN_READWRITE))
    old.emplace(std::move(opened).value());
  bool whole = old.has_value();
  if (whole) {
    for (const char* step : {"PRAGMA locking_mode=EXCLUSIVE", "BEGIN EXCLUSIVE", "COMMIT"}) {
      auto done = old->exec(step);
      if (!done && done.error().code == Errc::busy) return give_up(in_use());
      if (!done) whole = false;
      if (!whole) break;
    }
  }
  if (whole) {
    auto mode = old->text("PRAGMA journal_mode=DELETE");
    if (!mode && mode.error().code == Errc::busy) return give_up(in_use());
    whole = mode.ok() && mode.value() == "delete" && !exists(wal);
  }
  if (!whole) {
    // A damaged file (what doctor sends one to restore) cannot be opened or locked as a
    // database: nobody holds its locks (checked above), so it goes aside as it is, its log and
    // index with it, before the backup takes its place.
    old.reset();
    ::unlink(wal.c_str());
    ::unlink(shm.c_str());
  } else {
    ::unlink(kept_wal.c_str());  // emptied into the database it replaces: nothing else in it
  }
  if (::link(live.c_str(), kept.c_str()) != 0) {
    return give_up(Error{Errc::open_failed,
                         "cannot keep " + live + " as " + kept + ": " + std::strerror(errno)});
  }
  if (::rename(incoming.c_str(), live.c_str()) != 0) {
    const int saved = errno;
    ::unlink(kept.c_str());
    return give_up(
        Error{Errc::open_failed, "cannot put the backup at " + live + ": " + std::strerror(saved)});
  }
  if (auto synced = sync_path(folder_of(live), O_RDONLY | O_DIRECTORY); !synced) {
    return synced.error();
  }
  return report;
}

}  // namespace gvo::storage
