#include "storage/inbox.hpp"

#include <catch2/catch.hpp>

#include "storage/store.hpp"
#include "tests/storage/storage_support.hpp"
#include "tests/support/temp_dir.hpp"

using gvo::storage::Inbox;
using gvo::storage::Store;
using Kind = gvo::core::MessageKind;

namespace {

Store new_store(gvo::test::TempDir& dir) {
  auto opened =
      Store::open(dir.file("bot.db"), gvo::storage::Sealer({gvo::test::new_sealing_key()}),
                  gvo::storage::OpenMode::create_if_missing);
  REQUIRE(opened.ok());
  return std::move(opened).value();
}

}  // namespace

TEST_CASE("the inbox keeps messages sealed and gives them back when due, oldest first") {
  gvo::test::TempDir dir;
  Store store = new_store(dir);
  Inbox inbox(store);
  CHECK_FALSE(inbox.next_due().value().has_value());
  REQUIRE(inbox.hold("aci-one", 11, "PLANTED-NAME-ONE", Kind::text, 1000, 5000).ok());
  REQUIRE(inbox.hold("aci-two", 12, "second", Kind::text, 1000, 9000).ok());
  CHECK(inbox.next_due().value() == std::optional<std::int64_t>(5000));
  CHECK(inbox.due(4999, 10).value().empty());
  auto due = inbox.due(9000, 10);
  REQUIRE(due.ok());
  REQUIRE(due->size() == 2);
  CHECK(due->at(0).address == "aci-one");
  CHECK(due->at(0).sent_at_ms == 11);
  CHECK(due->at(0).text == "PLANTED-NAME-ONE");
  CHECK(due->at(0).attempts == 1);
  REQUIRE(inbox.postpone(due->at(0).id, 20000).ok());
  REQUIRE(inbox.remove(due->at(1).id).ok());
  auto later = inbox.due(20000, 10);
  REQUIRE(later.ok());
  REQUIRE(later->size() == 1);
  CHECK(later->front().attempts == 2);
  REQUIRE(store.db().checkpoint_truncate().ok());
  const auto bytes = gvo::test::read_bytes(dir.file("bot.db"));
  const std::string file(bytes.begin(), bytes.end());
  CHECK(file.find("PLANTED-NAME-ONE") == std::string::npos);
}

TEST_CASE(
    "the inbox keeps what a message is besides its words, and a text that looks like a mark") {
  gvo::test::TempDir dir;
  Store store = new_store(dir);
  Inbox inbox(store);
  REQUIRE(inbox.hold("aci-one", 1, "", Kind::voice_note, 1000, 1000).ok());
  REQUIRE(inbox.hold("aci-one", 2, "PLANTED-CAPTION", Kind::picture, 1000, 1000).ok());
  REQUIRE(inbox.hold("aci-one", 3, "the new version", Kind::edit, 1000, 1000).ok());
  // A person's text that starts with the mark the body uses stays that text.
  const std::string marked = "\x1evoice_note\x1ehello";
  REQUIRE(inbox.hold("aci-one", 4, marked, Kind::text, 1000, 1000).ok());
  REQUIRE(inbox.hold("aci-one", 5, "plain", Kind::text, 1000, 1000).ok());
  auto due = inbox.due(1000, 10);
  REQUIRE(due.ok());
  REQUIRE(due->size() == 5);
  CHECK(due->at(0).kind == Kind::voice_note);
  CHECK(due->at(0).text.empty());
  CHECK(due->at(1).kind == Kind::picture);
  CHECK(due->at(1).text == "PLANTED-CAPTION");
  CHECK(due->at(2).kind == Kind::edit);
  CHECK(due->at(2).text == "the new version");
  CHECK(due->at(3).kind == Kind::text);
  CHECK(due->at(3).text == marked);
  CHECK(due->at(4).kind == Kind::text);
  CHECK(due->at(4).text == "plain");
  REQUIRE(store.db().checkpoint_truncate().ok());
  const auto bytes = gvo::test::read_bytes(dir.file("bot.db"));
  const std::string file(bytes.begin(), bytes.end());
  CHECK(file.find("PLANTED-CAPTION") == std::string::npos);
  CHECK(file.find("voice_note") == std::string::npos);
}
