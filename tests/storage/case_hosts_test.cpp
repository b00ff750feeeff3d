// A case's hosts (the filer and the hosts of merged reports) and hosts' open requests for a
// person: what the two-way line between staff and hosts stands on (issue 15). Real SQLite.
#include <catch2/catch.hpp>

#include "storage/cases.hpp"
#include "storage/conversations.hpp"
#include "storage/help_requests.hpp"
#include "storage/staff.hpp"
#include "tests/storage/storage_support.hpp"
#include "tests/support/temp_dir.hpp"

using namespace gvo;

namespace {

storage::Store open_store(const std::string& path) {
  auto store = storage::Store::open(path, storage::Sealer({test::new_sealing_key()}),
                                    storage::OpenMode::create_if_missing);
  INFO((store.ok() ? std::string() : describe(store.error())));
  REQUIRE(store.ok());
  return std::move(store).value();
}

storage::CaseId file(storage::CaseStore& cases, const std::string& reference,
                     storage::PeerId host) {
  auto id = cases.add({reference, host, "vottem", storage::CaseStatus::reported, "{}", {}}, 10);
  REQUIRE(id.ok());
  return id.value();
}

}  // namespace

TEST_CASE(
    "a case keeps every host: the filer and merged hosts, and forgetting one keeps the others") {
  test::TempDir dir;
  storage::Store store = open_store(dir.file("bot.db"));
  storage::Peers peers(store);
  storage::CaseStore cases(store);
  const auto ana = peers.find_or_add("ana", 1).value();
  const auto ben = peers.find_or_add("ben", 1).value();
  const auto a = file(cases, "K7QM-3XPD", ana);
  const auto b = file(cases, "Q4ZT-8HNE", ben);
  CHECK(cases.hosts(a).value() == std::vector<storage::PeerId>{ana});
  CHECK(cases.of_host(ben).value() == std::vector<storage::CaseId>{b});
  // Ben's report merged into A: he is one of A's hosts, and A is among his cases.
  REQUIRE(cases.add_host(a, ben, 20).ok());
  REQUIRE(cases.add_host(a, ben, 21).ok());  // twice is once
  CHECK(cases.hosts(a).value() == std::vector<storage::PeerId>{ana, ben});
  CHECK(cases.of_host(ben).value() == std::vector<storage::CaseId>{b, a});
  // Neither is "unused" while a case holds them.
  CHECK(peers.unused(100).value().empty());
  // Ana forgotten: she leaves A, Ben stays.
  REQUIRE(cases.forget_host(a, ana, "{}", 30).ok());
  CHECK(cases.hosts(a).value() == std::vector<storage::PeerId>{ben});
  CHECK(cases.of_host(ana).value().empty());
  CHECK(peers.unused(100).value() == std::vector<storage::PeerId>{ana});
  // A erased: its hosts' rows go with it.
  REQUIRE(cases.erase(a).ok());
  CHECK(cases.of_host(ben).value() == std::vector<storage::CaseId>{b});
}

TEST_CASE("a host's request for a person is one while open, closed by staff, gone when forgotten") {
  test::TempDir dir;
  storage::Store store = open_store(dir.file("bot.db"));
  storage::Peers peers(store);
  storage::CaseStore cases(store);
  storage::HelpRequests requests(store);
  const auto ana = peers.find_or_add("ana", 1).value();
  const auto ben = peers.find_or_add("ben", 1).value();
  const auto a = file(cases, "K7QM-3XPD", ana);
  const auto coordinator =
      storage::StaffStore(store).add("coord", storage::StaffRole::coordinator, {}, "fr", 1);
  REQUIRE(coordinator.ok());
  auto first = requests.open(ana, a, 40);
  REQUIRE(first.ok());
  CHECK(first->fresh);
  auto again = requests.open(ana, a, 41);
  REQUIRE(again.ok());
  CHECK_FALSE(again->fresh);
  CHECK(again->request.id == first->request.id);
  CHECK(again->request.opened_at == 40);
  auto bens = requests.open(ben, std::nullopt, 42);
  REQUIRE(bens.ok());
  CHECK(bens->fresh);
  // Ben has no case, but an open request keeps him from being removed as unused.
  CHECK(peers.unused(100).value().empty());
  auto open = requests.all_open();
  REQUIRE(open.ok());
  REQUIRE(open->size() == 2);
  CHECK(open->at(0).case_id == a);
  CHECK_FALSE(open->at(1).case_id);
  CHECK(requests.close(first->request.id, *coordinator, 50).value());
  CHECK_FALSE(requests.close(first->request.id, *coordinator, 51).value());  // closed already
  CHECK_FALSE(requests.find_open(first->request.id).value());
  CHECK(requests.find_open(bens->request.id).value());
  // Closed, a new "human" opens a new request.
  CHECK(requests.open(ana, a, 60).value().fresh);
  // The case erased: the request stays, without the case.
  REQUIRE(cases.erase(a).ok());
  CHECK_FALSE(requests.open_of(ana).value()->case_id);
  REQUIRE(requests.forget(ben).ok());
  CHECK_FALSE(requests.open_of(ben).value());
  CHECK(peers.unused(100).value() == std::vector<storage::PeerId>{ben});
}
