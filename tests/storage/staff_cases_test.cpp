// The staff and cases tables' typed words: roles, member states and case statuses are stored as
// the words earlier versions wrote, and a word this version does not know is a storage error
// that names the column, never a crash or a guess.
#include <catch2/catch.hpp>

#include "storage/cases.hpp"
#include "storage/staff.hpp"
#include "tests/storage/storage_support.hpp"
#include "tests/support/temp_dir.hpp"

using namespace gvo;
using storage::CaseStatus;
using storage::Errc;
using storage::StaffRole;
using storage::StaffState;

namespace {

storage::Store open_store(const std::string& path) {
  auto store = storage::Store::open(path, storage::Sealer({test::new_sealing_key()}),
                                    storage::OpenMode::create_if_missing);
  INFO((store.ok() ? std::string() : describe(store.error())));
  REQUIRE(store.ok());
  return std::move(store).value();
}

std::string column_text(storage::Store& store, const std::string& sql) {
  auto query = store.db().prepare(sql);
  REQUIRE(query.ok());
  auto row = query->step();
  REQUIRE(row.ok());
  REQUIRE(row.value());
  return query->column_text(0);
}

}  // namespace

TEST_CASE("staff roles and states are stored as their words and read back typed") {
  test::TempDir dir;
  storage::Store store = open_store(dir.file("bot.db"));
  storage::StaffStore staff(store);
  auto ana = staff.add("ana", StaffRole::coordinator, {}, "fr", 10);
  auto bram = staff.add("bram", StaffRole::referent, {"vottem"}, "nl", 10);
  REQUIRE(ana.ok());
  REQUIRE(bram.ok());
  CHECK(column_text(store, "SELECT role FROM staff WHERE id = " + std::to_string(*ana)) ==
        "coordinator");
  CHECK(column_text(store, "SELECT state FROM staff WHERE id = " + std::to_string(*bram)) ==
        "unverified");
  REQUIRE(staff.verify(*bram, storage::Bytes{1, 2, 3}, 20).ok());
  auto found = staff.find("bram");
  REQUIRE(found.ok());
  REQUIRE(found.value());
  CHECK(found.value()->role == StaffRole::referent);
  CHECK(found.value()->state == StaffState::active);
  REQUIRE(staff.suspend(*bram, 30).ok());
  CHECK(staff.get(*bram).value()->state == StaffState::suspended);
  CHECK(column_text(store, "SELECT state FROM staff WHERE id = " + std::to_string(*bram)) ==
        "suspended");
}

TEST_CASE("a staff word this version does not know is a storage error naming the column") {
  test::TempDir dir;
  storage::Store store = open_store(dir.file("bot.db"));
  storage::StaffStore staff(store);
  auto ana = staff.add("ana", StaffRole::coordinator, {}, "fr", 10);
  REQUIRE(ana.ok());
  // As a newer version might write it: the CHECK constraint set aside for the test.
  REQUIRE(store.db().exec("PRAGMA ignore_check_constraints = ON").ok());
  REQUIRE(store.db().exec("UPDATE staff SET role = 'observer'").ok());
  auto found = staff.find("ana");
  REQUIRE_FALSE(found.ok());
  CHECK(found.code() == Errc::unreadable_value);
  CHECK(found.error().detail.find("staff.role") != std::string::npos);
  CHECK(found.error().detail.find("ana") == std::string::npos);
  REQUIRE(store.db().exec("UPDATE staff SET role = 'coordinator', state = 'on leave'").ok());
  auto all = staff.all();
  REQUIRE_FALSE(all.ok());
  CHECK(all.code() == Errc::unreadable_value);
  CHECK(all.error().detail.find("staff.state") != std::string::npos);
}

TEST_CASE("the cases still going on, and those filed lately whatever their status") {
  test::TempDir dir;
  storage::Store store = open_store(dir.file("bot.db"));
  storage::CaseStore cases(store);
  auto add = [&](const char* reference, CaseStatus status, std::int64_t at) {
    storage::NewCase fresh;
    fresh.reference = reference;
    fresh.centre = "vottem";
    fresh.status = status;
    fresh.intake = "{}";
    auto id = cases.add(fresh, at);
    REQUIRE(id.ok());
    return *id;
  };
  const auto old_open = add("K7QM-3XPD", CaseStatus::located, 100);
  add("K7QM-3XPE", CaseStatus::closed, 100);
  add("K7QM-3XPF", CaseStatus::released, 150);
  const auto new_closed = add("K7QM-3XPG", CaseStatus::closed, 500);
  const auto new_open = add("K7QM-3XPH", CaseStatus::reported, 600);
  auto found = cases.outside_or_filed_since(
      {CaseStatus::released, CaseStatus::deported, CaseStatus::closed}, 400);
  REQUIRE(found.ok());
  CHECK(found.value() == std::vector<storage::CaseId>{old_open, new_closed, new_open});
  auto none_excluded = cases.outside_or_filed_since({}, 1000);
  REQUIRE(none_excluded.ok());
  CHECK(none_excluded->size() == 5);
}

TEST_CASE("case statuses are stored as their words, events' too, and an unknown one is an error") {
  test::TempDir dir;
  storage::Store store = open_store(dir.file("bot.db"));
  storage::CaseStore cases(store);
  storage::NewCase fresh;
  fresh.reference = "K7QM-3XPD";
  fresh.centre = "vottem";
  fresh.status = CaseStatus::reported;
  fresh.intake = "{}";
  auto id = cases.add(fresh, 100);
  REQUIRE(id.ok());
  CHECK(column_text(store, "SELECT status FROM cases") == "new");
  REQUIRE(
      cases.add_event(*id, 100, "host", std::nullopt, "created", CaseStatus::reported, {}).ok());
  REQUIRE(cases.add_event(*id, 110, "coordinator", std::nullopt, "note", std::nullopt, "x").ok());
  REQUIRE(cases.set_status(*id, CaseStatus::not_found, 120).ok());
  CHECK(cases.get(*id)->status == CaseStatus::not_found);
  CHECK(column_text(store, "SELECT status FROM cases") == "not_found");
  auto events = cases.events(*id);
  REQUIRE(events.ok());
  REQUIRE(events->size() == 2);
  CHECK((*events)[0].status == CaseStatus::reported);
  CHECK_FALSE((*events)[1].status.has_value());
  auto idle = cases.idle_in({CaseStatus::not_found, CaseStatus::closed}, 200);
  REQUIRE(idle.ok());
  CHECK(idle.value() == std::vector<storage::CaseId>{*id});

  REQUIRE(store.db().exec("UPDATE cases SET status = 'archived'").ok());
  auto row = cases.get(*id);
  REQUIRE_FALSE(row.ok());
  CHECK(row.code() == Errc::unreadable_value);
  CHECK(row.error().detail.find("cases.status") != std::string::npos);
  REQUIRE(store.db().exec("UPDATE cases SET status = 'new'").ok());
  REQUIRE(
      store.db().exec("UPDATE case_events SET status = 'archived' WHERE kind = 'created'").ok());
  auto read = cases.events(*id);
  REQUIRE_FALSE(read.ok());
  CHECK(read.code() == Errc::unreadable_value);
}

TEST_CASE("a corrected case is found by its new centre and names, never by the old ones") {
  test::TempDir dir;
  storage::Store store = open_store(dir.file("bot.db"));
  storage::CaseStore cases(store);
  auto id = cases.add(
      {"K7QM-3XPD", std::nullopt, "vottem", CaseStatus::located, "{\"a\":1}", {"bnl mhmd|MA"}}, 10);
  REQUIRE(id.ok());
  CHECK(cases.at_centre("vottem").value() == std::vector<storage::CaseId>{*id});
  CHECK(cases.matching({"bnl mhmd|MA"}).value().size() == 1);
  REQUIRE(cases.correct(*id, "{\"a\":2}", "merksplas", {"bnl mhmd|TN"}, 20).ok());
  CHECK(cases.at_centre("vottem").value().empty());
  CHECK(cases.at_centre("merksplas").value() == std::vector<storage::CaseId>{*id});
  CHECK(cases.matching({"bnl mhmd|MA"}).value().empty());
  CHECK(cases.matching({"bnl mhmd|TN"}).value().size() == 1);
  const auto row = cases.get(*id);
  REQUIRE(row.ok());
  CHECK(row->intake == "{\"a\":2}");
  CHECK(row->updated_at == 20);
  CHECK(cases.correct(*id + 1, "{}", "vottem", {}, 30).code() == Errc::not_found);
  REQUIRE(cases.unassign(*id, 40).ok());
  CHECK_FALSE(cases.get(*id)->assigned);
}
