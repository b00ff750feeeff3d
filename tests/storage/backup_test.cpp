#include "storage/backup.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include <catch2/catch.hpp>

#include "tests/storage/storage_support.hpp"
#include "tests/support/temp_dir.hpp"

using gvo::storage::Database;
using gvo::storage::Errc;
using gvo::storage::OpenMode;
using gvo::storage::Sealer;
using gvo::storage::SealingKey;
using gvo::storage::Store;

namespace {

// A store with a table of numbered rows beside the schema, sealed with key.
void make_store(const std::string& path, const SealingKey& key) {
  auto store = Store::open(path, Sealer({key}), OpenMode::create_if_missing);
  INFO((store.ok() ? std::string() : describe(store.error())));
  REQUIRE(store.ok());
  REQUIRE(store->db().exec("CREATE TABLE rows(n INTEGER PRIMARY KEY, body TEXT NOT NULL)").ok());
}

std::int64_t count_rows(const std::string& path) {
  auto db = Database::open(path, OpenMode::read_only);
  REQUIRE(db.ok());
  auto rows = db->prepare("SELECT count(*), coalesce(max(n), 0) FROM rows");
  REQUIRE(rows.ok());
  REQUIRE(rows->step().value());
  // Rows are numbered 1, 2, 3... with no gap: a copy holds a prefix of them or is torn.
  CHECK(rows->column_int64(0) == rows->column_int64(1));
  return rows->column_int64(0);
}

void add_rows(Database& db, int from, int count) {
  auto added = db.transact([&]() -> gvo::storage::Result<void> {
    for (int n = from; n < from + count; ++n) {
      auto insert = db.prepare("INSERT INTO rows(n, body) VALUES (?, ?)");
      if (!insert) return std::move(insert).error();
      insert->bind(1, n).bind(2, std::string(300, 'x'));
      if (auto run = insert->run(); !run) return run;
    }
    return {};
  });
  REQUIRE(added.ok());
}

}  // namespace

TEST_CASE("a backup taken while another connection writes holds every row committed before it") {
  gvo::test::TempDir dir;
  const std::string live = dir.file("bot.db");
  const SealingKey key = gvo::test::new_sealing_key();
  make_store(live, key);
  Database writer = gvo::test::open_test_database(live);
  add_rows(writer, 1, 500);

  std::atomic<int> committed{500};
  std::atomic<bool> stop{false};
  std::thread writing([&] {
    Database db = gvo::test::open_test_database(live);
    while (!stop) {
      const int next = committed + 1;
      auto added = db.transact([&]() -> gvo::storage::Result<void> {
        auto insert = db.prepare("INSERT INTO rows(n, body) VALUES (?, ?)");
        if (!insert) return std::move(insert).error();
        insert->bind(1, next).bind(2, std::string(300, 'y'));
        return insert->run();
      });
      if (added) committed = next;
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const int before = committed;
  auto copied = gvo::storage::back_up(live, dir.file("copy.db"));
  stop = true;
  writing.join();
  INFO((copied.ok() ? std::string() : describe(copied.error())));
  REQUIRE(copied.ok());
  CHECK(copied->pages > 0);
  CHECK(committed > before);  // the writer went on while the backup ran

  struct stat info {};
  REQUIRE(::stat(dir.file("copy.db").c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);
  // One file: no WAL beside it, none needed.
  CHECK(::access(dir.file("copy.db-wal").c_str(), F_OK) != 0);
  const std::int64_t in_copy = count_rows(dir.file("copy.db"));
  CHECK(in_copy >= before);
  CHECK(in_copy <= committed);

  auto checked = gvo::storage::check_backup(dir.file("copy.db"), Sealer({key}));
  INFO((checked.ok() ? std::string() : describe(checked.error())));
  REQUIRE(checked.ok());
  CHECK(checked->schema_version == static_cast<int>(gvo::storage::schema_migrations().size()));
  CHECK(checked->key.kind == gvo::storage::KeyState::Kind::current);
}

TEST_CASE("a backup never overwrites a file and leaves nothing when it fails") {
  gvo::test::TempDir dir;
  const std::string live = dir.file("bot.db");
  make_store(live, gvo::test::new_sealing_key());
  gvo::test::write_text(dir.file("taken.db"), "the operator's file");
  auto refused = gvo::storage::back_up(live, dir.file("taken.db"));
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(refused.error().detail, Catch::Matchers::Contains("never overwritten"));
  CHECK(gvo::test::contains(gvo::test::read_bytes(dir.file("taken.db")), "the operator's file"));

  auto missing = gvo::storage::back_up(dir.file("no-such.db"), dir.file("copy.db"));
  REQUIRE_FALSE(missing.ok());
  CHECK(::access(dir.file("copy.db").c_str(), F_OK) != 0);
}

TEST_CASE("a backup is checked against the key and its integrity before a restore") {
  gvo::test::TempDir dir;
  const std::string live = dir.file("bot.db");
  const SealingKey key = gvo::test::new_sealing_key();
  make_store(live, key);
  {
    Database db = gvo::test::open_test_database(live);
    add_rows(db, 1, 2000);
  }
  REQUIRE(gvo::storage::back_up(live, dir.file("copy.db")).ok());

  // Another key: refused, and the live database is left as it was.
  const auto live_before = gvo::test::read_bytes(live);
  auto wrong = gvo::storage::restore(dir.file("copy.db"), live,
                                     Sealer({gvo::test::new_sealing_key()}), "T1");
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.code() == Errc::key_mismatch);
  CHECK((gvo::test::read_bytes(live) == live_before));

  // A copy damaged in the middle: the integrity check refuses it.
  auto bytes = gvo::test::read_bytes(dir.file("copy.db"));
  REQUIRE(bytes.size() > 64 * 1024);
  for (std::size_t at = bytes.size() / 2; at < bytes.size() / 2 + 4096; ++at) bytes[at] ^= 0x5a;
  {
    std::ofstream out(dir.file("damaged.db"), std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<long>(bytes.size()));
  }
  ::chmod(dir.file("damaged.db").c_str(), 0600);
  auto damaged = gvo::storage::restore(dir.file("damaged.db"), live, Sealer({key}), "T2");
  REQUIRE_FALSE(damaged.ok());
  CHECK((gvo::test::read_bytes(live) == live_before));
  CHECK(::access((live + ".restoring").c_str(), F_OK) != 0);
}

TEST_CASE("a restore is refused while another connection has the database open") {
  gvo::test::TempDir dir;
  const std::string live = dir.file("bot.db");
  const SealingKey key = gvo::test::new_sealing_key();
  make_store(live, key);
  REQUIRE(gvo::storage::back_up(live, dir.file("copy.db")).ok());
  {
    Database running = gvo::test::open_test_database(live);  // the bot, idle
    add_rows(running, 1, 10);
    auto refused = gvo::storage::restore(dir.file("copy.db"), live, Sealer({key}), "T1");
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.code() == Errc::busy);
    CHECK_THAT(refused.error().detail, Catch::Matchers::Contains("stop gvo-bot"));
    CHECK(::access((live + ".restoring").c_str(), F_OK) != 0);
    CHECK(::access((live + ".replaced-T1").c_str(), F_OK) != 0);
  }
  CHECK(count_rows(live) == 10);  // what the running bot wrote is still there
}

TEST_CASE("a restore puts the backup in place and keeps the database it replaced") {
  gvo::test::TempDir dir;
  const std::string live = dir.file("bot.db");
  const SealingKey key = gvo::test::new_sealing_key();
  make_store(live, key);
  {
    Database db = gvo::test::open_test_database(live);
    add_rows(db, 1, 100);
  }
  REQUIRE(gvo::storage::back_up(live, dir.file("copy.db")).ok());
  {
    Database db = gvo::test::open_test_database(live);
    add_rows(db, 101, 50);  // written after the backup: only in the replaced database
  }
  auto restored = gvo::storage::restore(dir.file("copy.db"), live, Sealer({key}), "T1");
  INFO((restored.ok() ? std::string() : describe(restored.error())));
  REQUIRE(restored.ok());
  CHECK(restored->replaced_kept_as == live + ".replaced-T1");
  CHECK(count_rows(live) == 100);
  CHECK(count_rows(live + ".replaced-T1") == 150);
  CHECK(::access((live + "-wal").c_str(), F_OK) != 0);
  struct stat info {};
  REQUIRE(::stat(live.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);
  {
    // The bot opens it as its own, with the key.
    auto store = Store::open(live, Sealer({key}), OpenMode::existing_only);
    INFO((store.ok() ? std::string() : describe(store.error())));
    CHECK(store.ok());
  }
  // A second restore in the same second does not overwrite the kept one.
  auto again = gvo::storage::restore(dir.file("copy.db"), live, Sealer({key}), "T1");
  REQUIRE_FALSE(again.ok());
  CHECK_THAT(again.error().detail, Catch::Matchers::Contains("cannot keep"));
  CHECK(count_rows(live + ".replaced-T1") == 150);
  CHECK(count_rows(live) == 100);
}

TEST_CASE("a restore replaces a damaged database, its log and index kept aside with it") {
  gvo::test::TempDir dir;
  const std::string live = dir.file("bot.db");
  const SealingKey key = gvo::test::new_sealing_key();
  make_store(live, key);
  {
    Database db = gvo::test::open_test_database(live);
    add_rows(db, 1, 20);
  }
  REQUIRE(gvo::storage::back_up(live, dir.file("copy.db")).ok());
  // What doctor sends one to restore: a file that is no database any more, a log beside it.
  gvo::test::write_text(live, std::string(8192, 'Z'));
  gvo::test::write_text(live + "-wal", "an old log");
  auto restored = gvo::storage::restore(dir.file("copy.db"), live, Sealer({key}), "T1");
  INFO((restored.ok() ? std::string() : describe(restored.error())));
  REQUIRE(restored.ok());
  CHECK(count_rows(live) == 20);
  CHECK(::access((live + "-wal").c_str(), F_OK) != 0);
  for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
    UNSCOPED_INFO(entry.path().filename().string());
  CHECK(gvo::test::contains(gvo::test::read_bytes(live + ".replaced-T1-wal"), "an old log"));
  CHECK(gvo::test::contains(gvo::test::read_bytes(live + ".replaced-T1"), "ZZZZ"));
}

TEST_CASE("a restore refuses a log left without its database") {
  gvo::test::TempDir dir;
  const std::string live = dir.file("bot.db");
  const SealingKey key = gvo::test::new_sealing_key();
  make_store(live, key);
  REQUIRE(gvo::storage::back_up(live, dir.file("copy.db")).ok());
  REQUIRE(::rename(live.c_str(), dir.file("moved-by-hand.db").c_str()) == 0);
  gvo::test::write_text(live + "-wal", "a log of another database");
  auto refused = gvo::storage::restore(dir.file("copy.db"), live, Sealer({key}), "T1");
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(refused.error().detail, Catch::Matchers::Contains("without its database"));
  CHECK(::access(live.c_str(), F_OK) != 0);
  ::unlink((live + "-wal").c_str());
  auto restored = gvo::storage::restore(dir.file("copy.db"), live, Sealer({key}), "T2");
  INFO((restored.ok() ? std::string() : describe(restored.error())));
  REQUIRE(restored.ok());
  CHECK(restored->replaced_kept_as.empty());
  CHECK(count_rows(live) == 0);
}
