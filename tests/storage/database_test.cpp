#include "storage/database.hpp"

#include <sys/stat.h>

#include <chrono>
#include <thread>

#include <catch2/catch.hpp>

#include "storage/checkpoints.hpp"
#include "tests/storage/storage_support.hpp"
#include "tests/support/temp_dir.hpp"

using gvo::storage::Database;
using gvo::storage::Errc;
using gvo::storage::OpenMode;

namespace {

std::int64_t count_rows(Database& db, const std::string& table) {
  auto stmt = db.prepare("SELECT count(*) FROM " + table);
  REQUIRE(stmt.ok());
  REQUIRE(stmt->step().ok());
  return stmt->column_int64(0);
}

std::string pragma_text(Database& db, const std::string& name) {
  auto stmt = db.prepare("PRAGMA " + name);
  REQUIRE(stmt.ok());
  auto row = stmt->step();
  REQUIRE(row.ok());
  REQUIRE(row.value());
  return stmt->column_text(0);
}

}  // namespace

TEST_CASE("a database opens with the durability and privacy settings the bot relies on") {
  gvo::test::TempDir dir;
  Database db = gvo::test::open_test_database(dir.file("bot.db"));
  CHECK(pragma_text(db, "journal_mode") == "wal");
  CHECK(pragma_text(db, "synchronous") == "2");  // FULL
  CHECK(pragma_text(db, "foreign_keys") == "1");
  CHECK(pragma_text(db, "secure_delete") == "1");
  CHECK(pragma_text(db, "auto_vacuum") == "1");  // FULL
  CHECK(pragma_text(db, "busy_timeout") == "5000");
}

TEST_CASE("a new database file is owner-only whatever the umask") {
  gvo::test::TempDir dir;
  const mode_t previous = ::umask(022);
  { Database db = gvo::test::open_test_database(dir.file("bot.db")); }
  ::umask(previous);
  struct stat info {};
  REQUIRE(::stat(dir.file("bot.db").c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);
}

TEST_CASE("opening what is not a database, or nothing, is a clear error") {
  gvo::test::TempDir dir;
  gvo::test::write_text(dir.file("notes.txt"), std::string(4096, 'n'));
  const auto garbage = Database::open(dir.file("notes.txt"), OpenMode::create_if_missing);
  REQUIRE_FALSE(garbage.ok());
  CHECK(garbage.code() == Errc::open_failed);
  CHECK_THAT(garbage.error().detail, Catch::Matchers::Contains("notes.txt"));

  const auto missing = Database::open(dir.file("absent.db"), OpenMode::existing_only);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.code() == Errc::open_failed);
}

TEST_CASE("statements bind and read back integers, text in any script, blobs and null") {
  gvo::test::TempDir dir;
  Database db = gvo::test::open_test_database(dir.file("bot.db"));
  REQUIRE(db.exec("CREATE TABLE t (i INTEGER, s TEXT, b BLOB, n BLOB)").ok());
  auto insert = db.prepare("INSERT INTO t VALUES (?1, ?2, ?3, ?4)");
  REQUIRE(insert.ok());
  const std::string text = std::string("محمد \0 Müller", 15);
  const gvo::storage::Bytes blob{0, 1, 2, 255};
  REQUIRE(
      insert->bind(1, std::int64_t{-42}).bind(2, text).bind_blob(3, blob).bind_null(4).run().ok());
  insert->reset();
  REQUIRE(insert->bind(1, std::int64_t{7}).bind(2, "").bind_blob(3, {}).bind_null(4).run().ok());

  auto select = db.prepare("SELECT i, s, b, n, typeof(b) FROM t ORDER BY rowid");
  REQUIRE(select.ok());
  REQUIRE(select->step().value());
  CHECK(select->column_int64(0) == -42);
  CHECK(select->column_text(1) == text);
  CHECK(select->column_blob(2) == blob);
  CHECK(select->column_is_null(3));
  REQUIRE(select->step().value());
  CHECK(select->column_blob(2).empty());
  CHECK(select->column_text(4) == "blob");  // an empty blob stays a blob, not NULL
  CHECK_FALSE(select->step().value());
}

TEST_CASE("errors name their kind: bad SQL, constraints, a bad parameter index") {
  gvo::test::TempDir dir;
  Database db = gvo::test::open_test_database(dir.file("bot.db"));
  REQUIRE(db.exec("CREATE TABLE t (k TEXT PRIMARY KEY)").ok());
  CHECK(db.prepare("SELEC nothing").code() == Errc::sql_failed);
  REQUIRE(db.exec("INSERT INTO t VALUES ('a')").ok());
  const auto duplicate = db.exec("INSERT INTO t VALUES ('a')");
  REQUIRE_FALSE(duplicate.ok());
  CHECK(duplicate.code() == Errc::constraint);
  CHECK_THAT(duplicate.error().detail, Catch::Matchers::Contains("t.k"));
  auto insert = db.prepare("INSERT INTO t VALUES (?1)");
  REQUIRE(insert.ok());
  const auto out_of_range = insert->bind(2, "b").run();
  REQUIRE_FALSE(out_of_range.ok());
  CHECK_THAT(out_of_range.error().detail, Catch::Matchers::Contains("binding a parameter"));
}

TEST_CASE("transact commits a successful unit and rolls back a failed one") {
  gvo::test::TempDir dir;
  Database db = gvo::test::open_test_database(dir.file("bot.db"));
  REQUIRE(db.exec("CREATE TABLE t (v INTEGER)").ok());
  auto kept = db.transact([&]() -> gvo::storage::Result<int> {
    if (auto done = db.exec("INSERT INTO t VALUES (1)"); !done) return std::move(done).error();
    return 1;
  });
  REQUIRE(kept.ok());
  auto undone = db.transact([&]() -> gvo::storage::Result<void> {
    REQUIRE(db.exec("INSERT INTO t VALUES (2)").ok());
    return gvo::storage::fail(Errc::not_found, "planned failure");
  });
  REQUIRE_FALSE(undone.ok());
  CHECK(undone.code() == Errc::not_found);
  CHECK_FALSE(db.in_transaction());
  CHECK(count_rows(db, "t") == 1);
}

TEST_CASE("a commit group shares one commit, a failed unit inside it is undone alone") {
  gvo::test::TempDir dir;
  Database db = gvo::test::open_test_database(dir.file("bot.db"));
  Database reader = gvo::test::open_test_database(dir.file("bot.db"));
  REQUIRE(db.exec("CREATE TABLE t (v INTEGER)").ok());

  auto group = db.begin_group();
  REQUIRE(group.ok());
  for (int i = 0; i < 5; ++i) {
    auto unit = db.transact([&]() -> gvo::storage::Result<void> {
      if (auto done = db.exec("INSERT INTO t VALUES (" + std::to_string(i) + ")"); !done) {
        return done;
      }
      if (i == 2) return gvo::storage::fail(Errc::constraint, "planned failure");
      return {};
    });
    CHECK(unit.ok() == (i != 2));
    CHECK(db.in_transaction());
  }
  CHECK(count_rows(reader, "t") == 0);  // nothing is visible before the group commits
  REQUIRE(group->commit().ok());
  CHECK_FALSE(db.in_transaction());
  CHECK(count_rows(reader, "t") == 4);
  auto missing = reader.prepare("SELECT count(*) FROM t WHERE v = 2");
  REQUIRE(missing->step().ok());
  CHECK(missing->column_int64(0) == 0);
}

TEST_CASE("a commit group dropped without commit leaves nothing behind") {
  gvo::test::TempDir dir;
  Database db = gvo::test::open_test_database(dir.file("bot.db"));
  REQUIRE(db.exec("CREATE TABLE t (v INTEGER)").ok());
  {
    auto group = db.begin_group();
    REQUIRE(group.ok());
    REQUIRE(db.transact([&] { return db.exec("INSERT INTO t VALUES (1)"); }).ok());
    CHECK(db.begin_group().code() == Errc::sql_failed);  // groups do not nest
  }
  CHECK_FALSE(db.in_transaction());
  CHECK(count_rows(db, "t") == 0);
}

TEST_CASE("a commit without sync keeps its rows and leaves the next commits durable") {
  gvo::test::TempDir dir;
  Database db = gvo::test::open_test_database(dir.file("bot.db"));
  REQUIRE(db.exec("CREATE TABLE t (x INTEGER)").ok());
  REQUIRE(db.transact_without_sync([&]() -> gvo::storage::Result<void> {
              // Inside the unit, this connection does not wait for the disk.
              CHECK(pragma_text(db, "synchronous") == "1");  // NORMAL
              return db.exec("INSERT INTO t VALUES (1)");
            }).ok());
  CHECK(pragma_text(db, "synchronous") == "2");  // FULL again
  CHECK(count_rows(db, "t") == 1);
  // A failed unit is rolled back and still restores FULL.
  auto failed = db.transact_without_sync([&]() -> gvo::storage::Result<void> {
    (void)db.exec("INSERT INTO t VALUES (2)");
    return gvo::storage::fail(Errc::sql_failed, "on purpose");
  });
  CHECK_FALSE(failed.ok());
  CHECK(pragma_text(db, "synchronous") == "2");
  CHECK(count_rows(db, "t") == 1);
}

TEST_CASE("checkpoints run on their own thread and copy the log into the database") {
  gvo::test::TempDir dir;
  const std::string path = dir.file("bot.db");
  Database db = gvo::test::open_test_database(path);
  REQUIRE(db.exec("CREATE TABLE t (x BLOB)").ok());
  const auto size_of = [](const std::string& file) {
    struct stat info {};
    return ::stat(file.c_str(), &info) == 0 ? static_cast<long long>(info.st_size) : -1;
  };
  const long long before = size_of(path);
  {
    auto started = gvo::storage::BackgroundCheckpoints::start(db, path, 50);
    REQUIRE(started.ok());
    auto& checkpoints = *started.value();
    for (int i = 0; i < 200; ++i) REQUIRE(db.exec("INSERT INTO t VALUES (randomblob(3000))").ok());
    for (int wait = 0; wait < 500 && checkpoints.done() == 0; ++wait)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));  // the other thread's work
    CHECK(checkpoints.done() > 0);
    CHECK(checkpoints.failed() == 0);
  }
  // The rows reached the database file itself, not only its log.
  CHECK(size_of(path) > before + 200LL * 1000);
  CHECK(count_rows(db, "t") == 200);
  // Stopped, the connection checkpoints itself again, as by default.
  REQUIRE(db.exec("INSERT INTO t VALUES (1)").ok());
  CHECK(count_rows(db, "t") == 201);
}
