#include "storage/migrations.hpp"

#include <functional>

#include <catch2/catch.hpp>

#include "tests/storage/storage_support.hpp"
#include "tests/support/temp_dir.hpp"

using gvo::storage::Database;
using gvo::storage::Errc;
using gvo::storage::Migration;
using gvo::storage::OpenMode;

namespace {

std::vector<Migration> first(std::size_t count) {
  const auto& all = gvo::storage::schema_migrations();
  return std::vector<Migration>(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(count));
}

// Everything that defines the schema: tables, indexes, their SQL.
std::string schema_of(Database& db) {
  auto query = db.prepare(
      "SELECT type || ' ' || name || ' ' || coalesce(sql, '') FROM sqlite_schema ORDER BY name");
  REQUIRE(query.ok());
  std::string schema;
  while (query->step().value()) schema += query->column_text(0) + "\n";
  return schema;
}

std::int64_t scalar(Database& db, const std::string& sql) {
  auto query = db.prepare(sql);
  REQUIRE(query.ok());
  REQUIRE(query->step().value());
  return query->column_int64(0);
}

void run(Database& db, const std::string& sql) {
  const auto done = db.exec(sql);
  INFO(sql);
  REQUIRE(done.ok());
}

// Rows a database holds at each version, to prove an upgrade keeps them. Entry k seeds version k+1.
const std::vector<std::function<void(Database&)>> kSeeds = {
    [](Database& db) {
      run(db, "INSERT INTO meta VALUES ('seed', x'01')");
      run(db, "INSERT INTO peers VALUES (1, x'aa', x'bb', 100)");
    },
    [](Database& db) {
      run(db, "INSERT INTO inbound_seen VALUES (1, 5000, 101)");
      run(db,
          "INSERT INTO outbox(peer_id, body, created_at, next_attempt_at) "
          "VALUES (1, x'cc', 102, 102)");
    },
    [](Database& db) { run(db, "INSERT INTO timers(kind, subject, due_at) VALUES ('k', 's', 9)"); },
    [](Database& db) {
      run(db, "INSERT INTO signal_identity VALUES (1, 42, x'05', x'01', 1, 1)");
      run(db, "INSERT INTO signal_sessions VALUES (x'aa', 1, x'bb')");
    },
    [](Database& db) { run(db, "UPDATE outbox SET ciphertext = x'cc', kind = 3, sent_at_ms = 7"); },
    [](Database& db) { run(db, "INSERT INTO conversations VALUES (1, x'dd', 11)"); },
    [](Database& db) {
      run(db,
          "INSERT INTO cases(id, reference, host_peer_id, centre_key, status, created_at, "
          "updated_at, intake) VALUES (1, 'K7QM-3XPD', 1, x'ee', 'new', 12, 12, x'ff')");
      run(db, "INSERT INTO case_events VALUES (1, 1, 12, 'host', 1, 'created', 'new', NULL)");
      run(db, "INSERT INTO case_name_keys VALUES (x'01', 1)");
    },
    [](Database& db) {
      run(db,
          "INSERT INTO staff(id, address_key, address, role, centres, language, state, "
          "pinned_key, added_at, changed_at) VALUES (1, x'02', x'03', 'referent', 'vottem', "
          "'fr', 'active', x'04', 13, 13)");
      run(db, "UPDATE cases SET assigned_staff_id = 1");
      run(db, "INSERT INTO audit VALUES (1, 14, 'referent', 1, 'note', x'05', x'06')");
    },
    [](Database& db) {
      run(db,
          "INSERT INTO outbox(id, peer_id, body, created_at, next_attempt_at) "
          "VALUES (2, 1, x'07', 15, 15)");
    },
    [](Database& db) {
      run(db,
          "INSERT INTO inbox(id, peer_id, sent_at_ms, body, next_attempt_at) "
          "VALUES (1, 1, 16, x'08', 17)");
    },
    [](Database& db) {
      run(db,
          "INSERT INTO outbox(id, peer_id, body, created_at, next_attempt_at, audience) "
          "VALUES (3, 1, x'09', 18, 18, 'staff')");
      run(db,
          "UPDATE staff SET enrol_key = x'0a', enrol_expires_at = 19, enrol_failures = 2 "
          "WHERE id = 1");
    },
    [](Database& db) { run(db, "UPDATE outbox SET case_id = 1 WHERE id = 3"); },
    [](Database& db) {
      run(db, "INSERT INTO peers VALUES (2, x'ab', x'bc', 20)");
      // What this version writes when a case is filed (an upgrade copies it from cases).
      run(db, "INSERT OR IGNORE INTO case_hosts VALUES (1, 1, 12)");
      run(db, "INSERT INTO case_hosts VALUES (1, 2, 21)");
      run(db, "INSERT INTO help_requests(peer_id, case_id, opened_at) VALUES (2, 1, 22)");
    },
};

void check_seeds_kept(Database& db, int seeded_up_to) {
  if (seeded_up_to >= 1) {
    CHECK(scalar(db, "SELECT count(*) FROM meta WHERE name = 'seed'") == 1);
    CHECK(scalar(db, "SELECT created_at FROM peers WHERE id = 1") == 100);
  }
  if (seeded_up_to >= 2) {
    CHECK(scalar(db, "SELECT received_at FROM inbound_seen") == 101);
    CHECK(scalar(db, "SELECT count(*) FROM outbox WHERE id = 1") == 1);
  }
  if (seeded_up_to >= 3) CHECK(scalar(db, "SELECT due_at FROM timers") == 9);
  if (seeded_up_to >= 5) CHECK(scalar(db, "SELECT sent_at_ms FROM outbox") == 7);
  if (seeded_up_to >= 6) CHECK(scalar(db, "SELECT updated_at FROM conversations") == 11);
  if (seeded_up_to >= 8) {
    CHECK(scalar(db, "SELECT assigned_staff_id FROM cases") == 1);
    CHECK(scalar(db, "SELECT at FROM audit") == 14);
  }
  if (seeded_up_to >= 10) CHECK(scalar(db, "SELECT next_attempt_at FROM inbox") == 17);
  if (seeded_up_to >= 2 && seeded_up_to < 11) {
    // Rows queued before the gate are taken for staff data; members pinned before it enrol again.
    CHECK(scalar(db, "SELECT count(*) FROM outbox WHERE audience = 'staff'") ==
          (seeded_up_to >= 9 ? 2 : 1));
    if (seeded_up_to >= 8)
      CHECK(scalar(db, "SELECT count(*) FROM staff WHERE state = 'active'") == 0);
  }
  if (seeded_up_to >= 11) {
    CHECK(scalar(db, "SELECT count(*) FROM outbox WHERE audience = 'staff'") == 1);
    CHECK(scalar(db, "SELECT enrol_failures FROM staff WHERE id = 1") == 2);
  }
  if (seeded_up_to >= 12) {
    // A queued message about a case goes with it; the others stay.
    CHECK(scalar(db, "SELECT count(*) FROM outbox INDEXED BY outbox_by_case WHERE case_id = 1") ==
          1);
  }
  if (seeded_up_to >= 9) {
    // The index exists (INDEXED BY fails otherwise) and finds both of peer 1's rows.
    CHECK(scalar(db, "SELECT count(*) FROM outbox INDEXED BY outbox_by_peer WHERE peer_id = 1") ==
          (seeded_up_to >= 11 ? 3 : 2));
  }
  if (seeded_up_to >= 7) {
    // The host who filed a case is one of its hosts, whatever version filed it.
    CHECK(scalar(db, "SELECT count(*) FROM case_hosts WHERE case_id = 1 AND peer_id = 1") == 1);
    CHECK(scalar(db, "SELECT added_at FROM case_hosts WHERE peer_id = 1") == 12);
  }
  if (seeded_up_to >= 13) {
    CHECK(scalar(db, "SELECT count(*) FROM case_hosts WHERE case_id = 1") == 2);
    CHECK(scalar(db, "SELECT opened_at FROM help_requests WHERE closed_at IS NULL") == 22);
  }
  if (seeded_up_to >= 7) {
    CHECK(scalar(db, "SELECT created_at FROM cases") == 12);
    CHECK(scalar(db, "SELECT count(*) FROM case_events WHERE case_id = 1") == 1);
  }
  if (seeded_up_to >= 4) {
    CHECK(scalar(db, "SELECT registration_id FROM signal_identity") == 42);
    CHECK(scalar(db, "SELECT count(*) FROM signal_sessions") == 1);
  }
}

}  // namespace

TEST_CASE("every migration has a seed in this test") {
  // A new migration must come with rows that prove upgrades keep data: add them to kSeeds.
  REQUIRE(kSeeds.size() == gvo::storage::schema_migrations().size());
}

TEST_CASE("a fresh database is migrated to the latest version") {
  gvo::test::TempDir dir;
  Database db = gvo::test::open_test_database(dir.file("bot.db"));
  const auto& all = gvo::storage::schema_migrations();
  auto report = gvo::storage::migrate(db, all);
  REQUIRE(report.ok());
  CHECK(report->from == 0);
  CHECK(report->to == static_cast<int>(all.size()));
  CHECK(db.user_version().value() == static_cast<int>(all.size()));
  for (std::size_t i = 0; i < all.size(); ++i) CHECK(all[i].version == static_cast<int>(i + 1));
  for (std::size_t version = 1; version <= kSeeds.size(); ++version) kSeeds[version - 1](db);
  check_seeds_kept(db, static_cast<int>(kSeeds.size()));

  auto again = gvo::storage::migrate(db, all);
  REQUIRE(again.ok());
  CHECK(again->from == again->to);  // a second run has nothing to do
}

TEST_CASE("an upgrade from every earlier version reaches the fresh schema and keeps the data") {
  const auto& all = gvo::storage::schema_migrations();
  gvo::test::TempDir fresh_dir;
  Database fresh = gvo::test::open_test_database(fresh_dir.file("fresh.db"));
  REQUIRE(gvo::storage::migrate(fresh, all).ok());
  const std::string fresh_schema = schema_of(fresh);

  for (std::size_t from = 1; from < all.size(); ++from) {
    INFO("upgrading from version " << from);
    gvo::test::TempDir dir;
    Database db = gvo::test::open_test_database(dir.file("old.db"));
    REQUIRE(gvo::storage::migrate(db, first(from)).ok());
    for (std::size_t version = 1; version <= from; ++version) kSeeds[version - 1](db);

    auto report = gvo::storage::migrate(db, all);
    REQUIRE(report.ok());
    CHECK(report->from == static_cast<int>(from));
    CHECK(report->to == static_cast<int>(all.size()));
    CHECK(schema_of(db) == fresh_schema);
    check_seeds_kept(db, static_cast<int>(from));
    CHECK(scalar(db, "SELECT count(*) FROM pragma_foreign_key_check") == 0);
    auto integrity = db.prepare("PRAGMA integrity_check");
    REQUIRE(integrity->step().value());
    CHECK(integrity->column_text(0) == "ok");
  }
}

TEST_CASE("a database newer than the code is refused and left untouched") {
  gvo::test::TempDir dir;
  const std::string path = dir.file("bot.db");
  const int newer = static_cast<int>(gvo::storage::schema_migrations().size()) + 4;
  {
    Database db = gvo::test::open_test_database(path);
    REQUIRE(db.set_user_version(newer).ok());
  }
  const auto before = gvo::test::read_bytes(path);
  Database db = gvo::test::open_test_database(path);
  const auto refused = gvo::storage::migrate(db, gvo::storage::schema_migrations());
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.code() == Errc::schema_too_new);
  CHECK_THAT(refused.error().detail,
             Catch::Matchers::Contains("schema version " + std::to_string(newer)));
  CHECK(db.user_version().value() == newer);
  CHECK((gvo::test::read_bytes(path) == before));
}

TEST_CASE("a failed migration leaves the database whole at the version before it") {
  gvo::test::TempDir dir;
  Database db = gvo::test::open_test_database(dir.file("bot.db"));
  const std::vector<Migration> broken = {
      {1, "one table", "CREATE TABLE a (x INTEGER);"},
      {2, "half done", "CREATE TABLE b (x INTEGER); INSERT INTO a VALUES (1); CREATE TABLE b (y);"},
  };
  const auto failed = gvo::storage::migrate(db, broken);
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.code() == Errc::migration_failed);
  CHECK_THAT(failed.error().detail, Catch::Matchers::Contains("migration 2 (half done)"));
  CHECK(db.user_version().value() == 1);
  CHECK(scalar(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'b'") == 0);
  CHECK(scalar(db, "SELECT count(*) FROM a") == 0);
  CHECK_FALSE(db.in_transaction());
}
