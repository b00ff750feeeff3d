#include "storage/store.hpp"

#include <catch2/catch.hpp>

#include "storage/peers.hpp"
#include "tests/storage/storage_support.hpp"
#include "tests/support/temp_dir.hpp"

using gvo::storage::Errc;
using gvo::storage::OpenMode;
using gvo::storage::Peers;
using gvo::storage::Sealer;
using gvo::storage::SealingKey;
using gvo::storage::Store;

namespace {

Store open_store(const std::string& path, std::vector<SealingKey> keys) {
  auto store = Store::open(path, Sealer(std::move(keys)), OpenMode::create_if_missing);
  INFO((store.ok() ? std::string() : describe(store.error())));
  REQUIRE(store.ok());
  return std::move(store).value();
}

}  // namespace

TEST_CASE("a store reopens with its key and refuses another key without writing anything") {
  gvo::test::TempDir dir;
  const std::string path = dir.file("bot.db");
  const SealingKey key = gvo::test::new_sealing_key();
  {
    Store store = open_store(path, {key});
    CHECK(store.migration().from == 0);
    CHECK(store.migration().to == static_cast<int>(gvo::storage::schema_migrations().size()));
  }
  {
    Store again = open_store(path, {key});
    CHECK(again.migration().from == again.migration().to);
  }
  const auto before = gvo::test::read_bytes(path);
  const SealingKey wrong = gvo::test::new_sealing_key();
  const auto refused = Store::open(path, Sealer({wrong}), OpenMode::create_if_missing);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.code() == Errc::key_mismatch);
  CHECK_THAT(refused.error().detail, Catch::Matchers::Contains(key.id_hex()));
  CHECK_THAT(refused.error().detail, Catch::Matchers::Contains(wrong.id_hex()));
  CHECK((gvo::test::read_bytes(path) == before));

  Store rotated =
      open_store(path, {gvo::test::new_sealing_key(), key});  // a retired key still opens it
}

TEST_CASE("a store on a database from a newer gvo-bot is refused before the key check") {
  gvo::test::TempDir dir;
  const std::string path = dir.file("bot.db");
  {
    Store store = open_store(path, {gvo::test::new_sealing_key()});
    REQUIRE(store.db().set_user_version(99).ok());
  }
  const auto refused =
      Store::open(path, Sealer({gvo::test::new_sealing_key()}), OpenMode::create_if_missing);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.code() == Errc::schema_too_new);
}

TEST_CASE("peers are found again by address, and the sealed address opens") {
  gvo::test::TempDir dir;
  Store store = open_store(dir.file("bot.db"), {gvo::test::new_sealing_key()});
  Peers peers(store);
  const auto first = peers.find_or_add("+32470123456", 1000);
  const auto second = peers.find_or_add("+32470654321", 1001);
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  CHECK(first.value() != second.value());
  CHECK(peers.find_or_add("+32470123456", 2000).value() == first.value());
  CHECK(peers.address(first.value()).value() == "+32470123456");
  CHECK(peers.address(second.value()).value() == "+32470654321");
  CHECK(peers.address(999).code() == Errc::not_found);
}

TEST_CASE("a sealed address copied into another row does not open there") {
  gvo::test::TempDir dir;
  Store store = open_store(dir.file("bot.db"), {gvo::test::new_sealing_key()});
  Peers peers(store);
  const auto victim = peers.find_or_add("+32470111111", 1).value();
  const auto other = peers.find_or_add("+32470222222", 1).value();
  REQUIRE(store.db()
              .exec("UPDATE peers SET address = (SELECT address FROM peers WHERE id = " +
                    std::to_string(victim) + ") WHERE id = " + std::to_string(other))
              .ok());
  CHECK(peers.address(other).code() == Errc::sealed_wrong_place);
  CHECK(peers.address(victim).value() == "+32470111111");
}

TEST_CASE("a planted name written through a sealed column appears nowhere in the files") {
  gvo::test::TempDir dir;
  const std::string path = dir.file("bot.db");
  const std::string planted = "Zoubida Benkirane-Vandenbroeck";
  const std::string planted_arabic = "زبيدة بنكيران";
  Store store = open_store(path, {gvo::test::new_sealing_key()});
  Peers peers(store);
  REQUIRE(peers.find_or_add(planted, 1).ok());
  REQUIRE(peers.find_or_add(planted_arabic, 2).ok());
  REQUIRE(peers.address(1).value() == planted);

  // Before a checkpoint the rows live in the WAL; after it, in the database file.
  const auto wal = gvo::test::read_bytes(path + "-wal");
  REQUIRE_FALSE(wal.empty());
  for (const std::string& needle : {planted, std::string("Benkirane"), planted_arabic}) {
    CHECK_FALSE(gvo::test::contains(wal, needle));
    CHECK_FALSE(gvo::test::contains(gvo::test::read_bytes(path), needle));
  }
  REQUIRE(store.db().checkpoint_truncate().ok());
  CHECK(gvo::test::read_bytes(path + "-wal").empty());
  const auto main_file = gvo::test::read_bytes(path);
  CHECK_FALSE(gvo::test::contains(main_file, planted));
  CHECK_FALSE(gvo::test::contains(main_file, "Benkirane"));
  CHECK_FALSE(gvo::test::contains(main_file, planted_arabic));
  // The test can fail: the same name in clear would be found.
  REQUIRE(store.db()
              .exec("CREATE TABLE canary (v TEXT); INSERT INTO canary VALUES ('" + planted + "')")
              .ok());
  REQUIRE(store.db().checkpoint_truncate().ok());
  CHECK(gvo::test::contains(gvo::test::read_bytes(path), planted));
}
