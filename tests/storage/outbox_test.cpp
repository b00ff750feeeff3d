#include "storage/outbox.hpp"

#include <catch2/catch.hpp>

#include "storage/store.hpp"
#include "tests/storage/storage_support.hpp"
#include "tests/support/temp_dir.hpp"

using gvo::storage::Outbox;
using gvo::storage::Store;

namespace {

Store open_store(const std::string& path) {
  auto store = Store::open(path, gvo::storage::Sealer({gvo::test::new_sealing_key()}),
                           gvo::storage::OpenMode::create_if_missing);
  REQUIRE(store.ok());
  return std::move(store).value();
}

}  // namespace

TEST_CASE("the outbox is read a page at a time, oldest first, each peer in order") {
  gvo::test::TempDir dir;
  Store store = open_store(dir.file("bot.db"));
  Outbox outbox(store);
  for (int i = 0; i < 10; ++i)
    REQUIRE(
        outbox.queue(i % 2 == 0 ? "aci-even" : "aci-odd", "part " + std::to_string(i), 1000).ok());
  auto first = outbox.waiting(4);
  REQUIRE(first.ok());
  REQUIRE(first->size() == 4);
  auto rest = outbox.waiting(100, first->back().id);
  REQUIRE(rest.ok());
  REQUIRE(rest->size() == 6);
  CHECK(rest->front().id > first->back().id);
  std::vector<std::string> bodies;
  for (const auto* page : {&first.value(), &rest.value()}) {
    for (const auto& row : *page) bodies.push_back(outbox.body(row.id).value());
  }
  for (int i = 0; i < 10; ++i)
    CHECK(bodies[static_cast<std::size_t>(i)] == "part " + std::to_string(i));
  CHECK(outbox.waiting(100, rest->back().id)->empty());
}

TEST_CASE("the outbox tells whether more parts of an answer wait behind a message") {
  gvo::test::TempDir dir;
  Store store = open_store(dir.file("bot.db"));
  Outbox outbox(store);
  REQUIRE(outbox.queue("aci-one", "first part", 1000).ok());
  REQUIRE(outbox.queue("aci-two", "another person", 1000).ok());
  REQUIRE(outbox.queue("aci-one", "second part", 1000).ok());
  auto rows = outbox.waiting(10);
  REQUIRE(rows.ok());
  REQUIRE(rows->size() == 3);
  const auto& one_first = rows->at(0);
  const auto& two = rows->at(1);
  const auto& one_second = rows->at(2);
  CHECK(outbox.more_after(one_first.peer, one_first.id).value());
  CHECK_FALSE(outbox.more_after(two.peer, two.id).value());  // another's rows do not count
  CHECK_FALSE(outbox.more_after(one_second.peer, one_second.id).value());
  REQUIRE(outbox.remove(one_second.id).ok());
  CHECK_FALSE(outbox.more_after(one_first.peer, one_first.id).value());
}
