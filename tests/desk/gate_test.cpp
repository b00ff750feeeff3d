// The confidentiality gate and staff enrolment at the desk, over a real store and the real
// outbox: what a message may become at the moment it leaves, for each standing of its recipient,
// and how a member's first message with their one-time code pins their key (and nothing else
// does). The attacker holds the address, not the code.
#include <map>
#include <memory>
#include <optional>

#include <catch2/catch.hpp>

#include "bot/cases/enrolment.hpp"
#include "bot/desk/desk.hpp"
#include "storage/outbox.hpp"
#include "storage/timers.hpp"
#include "tests/flows/flow_fixture.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using namespace gvo;
using storage::Audience;
using storage::Clearance;
using storage::StaffRole;
using storage::StaffState;

// A test body's outcome: a Result as it is, a bool as a failure without a reason.
storage::Result<void> as_result(storage::Result<void> result) { return result; }
storage::Result<void> as_result(bool ok) {
  if (ok) return {};
  return storage::fail(storage::Errc::sql_failed, "refused");
}

storage::Bytes bytes(const std::string& text) { return storage::Bytes(text.begin(), text.end()); }

class World {
 public:
  World() {
    auto key = storage::SealingKey::generate();
    REQUIRE(key.ok());
    auto store =
        storage::Store::open(dir_.file("bot.db"), storage::Sealer({std::move(key).value()}),
                             storage::OpenMode::create_if_missing);
    REQUIRE(store.ok());
    store_ = std::make_unique<storage::Store>(std::move(store).value());
    desk_ = std::make_unique<desk::Desk>(
        *store_, test::flow_world(), "intake",
        [this](const std::string& address, const std::string& text,
               Audience audience) -> storage::Result<void> {
          if (refuse_sends_) return storage::fail(storage::Errc::busy, "the outbox (a test)");
          return storage::Outbox(*store_).queue(address, text, 0, audience);
        },
        [] {
          return std::array<std::uint8_t, cases::kReferenceRandomBytes>{1, 2, 3, 4, 5};
        },
        [this](const std::string& address) -> std::optional<desk::Identity> {
          const auto it = keys_.find(address);
          if (it == keys_.end()) return std::nullopt;
          return desk::Identity{bytes(it->second), "fp " + it->second};
        });
  }

  storage::Store& store() { return *store_; }
  std::string db_file() const { return dir_.file("bot.db"); }
  desk::Desk& desk() { return *desk_; }
  void set_key(const std::string& address, const std::string& key) { keys_[address] = key; }
  // From now on the outbox refuses every message the desk queues.
  void refuse_sends() { refuse_sends_ = true; }

  template <typename Body>
  void commit(Body body) {
    const auto done =
        store_->db().transact([&]() -> storage::Result<void> { return as_result(body()); });
    INFO((done.ok() ? std::string() : storage::describe(done.error())));
    REQUIRE(done.ok());
  }

  storage::StaffId add(const std::string& address, StaffRole role,
                       const std::vector<std::string>& centres = {}) {
    storage::StaffStore staff(*store_);
    storage::StaffId id = 0;
    commit([&] {
      auto added = staff.add(address, role, centres, "en", 0);
      id = added.value_or(0);
      return added.ok();
    });
    return id;
  }

  void pin(storage::StaffId id, const std::string& key) {
    storage::StaffStore staff(*store_);
    commit([&] { return staff.verify(id, bytes(key), 0).ok(); });
  }

  Clearance clear(const std::string& address, Audience audience, std::optional<std::string> key) {
    std::optional<storage::Bytes> held;
    if (key) held = bytes(*key);
    Clearance clearance = Clearance::wait;
    commit([&] {
      auto verdict = desk_->clear_to_send(address, audience, held, now_);
      if (!verdict) return false;
      clearance = verdict.value();
      return true;
    });
    return clearance;
  }

  void write(const std::string& address, const std::string& text) {
    commit([&] { return desk_->on_message(address, text, now_); });
  }

  // The bodies and audiences waiting for address, oldest first.
  std::vector<std::pair<std::string, Audience>> waiting_for(const std::string& address) {
    storage::Outbox outbox(*store_);
    storage::Peers peers(*store_);
    std::vector<std::pair<std::string, Audience>> found;
    auto rows = outbox.waiting(1000);
    REQUIRE(rows.ok());
    for (const auto& row : rows.value()) {
      if (peers.address(row.peer).value_or("") != address) continue;
      found.emplace_back(outbox.body(row.id).value_or("?"), row.audience);
    }
    return found;
  }

  std::optional<storage::StaffRow> member(const std::string& address) {
    storage::StaffStore staff(*store_);
    auto found = staff.find(address);
    REQUIRE(found.ok());
    return found.value();
  }

  flows::TimePoint now_ = test::utc("2026-03-16T10:00:00Z");

 private:
  test::TempDir dir_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<desk::Desk> desk_;
  std::map<std::string, std::string> keys_;
  bool refuse_sends_ = false;
};

std::int64_t seconds_of(flows::TimePoint now) { return desk::unix_seconds(now); }

}  // namespace

TEST_CASE("the gate: a person who is not staff never gets staff data") {
  World world;
  CHECK(world.clear("host-1", Audience::host, std::nullopt) == Clearance::send);
  CHECK(world.clear("host-1", Audience::notice, std::nullopt) == Clearance::send);
  CHECK(world.clear("host-1", Audience::staff, std::string("any key")) == Clearance::drop);
}

TEST_CASE("the gate: staff data only to an active member, encrypted to their pinned key") {
  World world;
  const auto id = world.add("coord", StaffRole::coordinator);
  // Not active yet: nothing but notices.
  CHECK(world.clear("coord", Audience::staff, std::string("K1")) == Clearance::drop);
  CHECK(world.clear("coord", Audience::host, std::string("K1")) == Clearance::drop);
  CHECK(world.clear("coord", Audience::notice, std::string("K1")) == Clearance::send);

  world.pin(id, "K1");
  CHECK(world.clear("coord", Audience::staff, std::string("K1")) == Clearance::send);
  // A reply queued before they were staff is staff data too, now.
  CHECK(world.clear("coord", Audience::host, std::string("K1")) == Clearance::send);
  // The transport does not know the key yet: it waits, and asks again.
  CHECK(world.clear("coord", Audience::staff, std::nullopt) == Clearance::wait);
  CHECK(world.member("coord")->state == StaffState::active);
}

TEST_CASE("the gate: a key change seen on the way out suspends and purges before anything goes") {
  World world;
  const auto coord = world.add("coord", StaffRole::coordinator);
  const auto other = world.add("coord2", StaffRole::coordinator);
  world.pin(coord, "K1");
  world.pin(other, "O1");
  storage::Outbox outbox(world.store());
  world.commit([&] {
    return outbox.queue("coord", "case data PLANTED-7731", 0, Audience::staff).ok() &&
           outbox.queue("coord", "more case data", 0, Audience::staff).ok() &&
           outbox.queue("coord", "no case data", 0, Audience::notice).ok();
  });
  REQUIRE(world.waiting_for("coord").size() == 3);

  // The session would now encrypt to K2 (re-registered, or an attacker with the credentials).
  CHECK(world.clear("coord", Audience::staff, std::string("K2")) == Clearance::drop);
  const auto member = world.member("coord");
  CHECK(member->state == StaffState::suspended);
  CHECK(member->pinned_key.empty());
  // Only the notice is left for them; the other coordinator is told.
  const auto left = world.waiting_for("coord");
  REQUIRE(left.size() == 1);
  CHECK(left.front().second == Audience::notice);
  const auto told = world.waiting_for("coord2");
  REQUIRE(told.size() == 1);
  CHECK(told.front().second == Audience::staff);
  CHECK_THAT(told.front().first, Catch::Matchers::Contains("coord"));

  // Suspended: nothing with case data, even to the old key.
  CHECK(world.clear("coord", Audience::staff, std::string("K1")) == Clearance::drop);
  CHECK(world.clear("coord", Audience::staff, std::string("K2")) == Clearance::drop);
}

TEST_CASE("enrolment codes are unguessable in shape, read back as written by people") {
  std::array<std::uint8_t, cases::kEnrolmentRandomBytes> random{0x12, 0x34, 0x56, 0x78,
                                                                0x9a, 0xbc, 0xde, 0xf0};
  const std::string code = cases::make_enrolment_code(random);
  REQUIRE(code.size() == 14);
  CHECK(code[4] == '-');
  CHECK(code[9] == '-');
  random[7] ^= 1;
  CHECK(cases::make_enrolment_code(random) != code);
  const std::string plain = code.substr(0, 4) + code.substr(5, 4) + code.substr(10, 4);
  std::string lower = plain;
  for (char& c : lower) c = static_cast<char>(std::tolower(c));
  const std::string groups = lower.substr(0, 4) + " " + lower.substr(4, 4) + " " + lower.substr(8);
  for (const std::string& text : std::vector<std::string>{
           code, plain, "enrol " + code, "enrol " + lower, groups, "inscription " + code + ".",
           "\xd8\xaa\xd8\xb3\xd8\xac\xd9\x8a\xd9\x84 " + code}) {
    INFO(text);
    CHECK(cases::find_enrolment_code(text) == plain);
  }
  const std::vector<std::string> no_code{"hello",
                                         "help",
                                         "cases vottem",
                                         "",
                                         "enrol",
                                         code.substr(0, 9),
                                         "I would like to be enrolled please",
                                         "enrol " + plain + "X",
                                         "enrol 0000-1111-IIII"};
  for (const std::string& text : no_code) {
    INFO(text);
    CHECK_FALSE(cases::find_enrolment_code(text).has_value());
  }
}

TEST_CASE("enrolment: only the code issued to that address pins the key it writes with") {
  World world;
  const auto ana = world.add("ana", StaffRole::coordinator);
  const auto bram = world.add("bram", StaffRole::referent, {"vottem"});
  storage::StaffStore staff(world.store());
  const std::int64_t valid_until = seconds_of(world.now_) + 3600;
  world.commit([&] {
    return staff.set_enrolment(ana, "AAAABBBBCCCC", valid_until).ok() &&
           staff.set_enrolment(bram, "DDDDEEEEFFFF", valid_until).ok();
  });
  world.set_key("ana", "attacker key");
  world.set_key("bram", "bram key");

  // Whoever holds the name "ana" (the first to take it) writes: nothing pins.
  world.write("ana", "hello, I am the coordinator");
  CHECK(world.member("ana")->state == StaffState::unverified);
  world.write("ana", "enrol 2222-3333-4444");  // a guess
  world.write("ana", "enrol DDDD-EEEE-FFFF");  // bram's code, from ana's address
  auto member = world.member("ana");
  CHECK(member->state == StaffState::unverified);
  CHECK(member->enrolment_pending);
  // Every answer they got was a notice: no case data can be in it.
  for (const auto& [text, audience] : world.waiting_for("ana")) CHECK(audience == Audience::notice);
  storage::AuditLog audit(world.store());
  auto trail = audit.about("ana");
  REQUIRE(trail.ok());
  CHECK(std::count_if(trail->begin(), trail->end(),
                      [](const auto& row) { return row.action == "enrol_refused"; }) == 2);

  // Bram, with his own code, as people type it.
  world.write("bram", "enrol dddd eeee ffff");
  member = world.member("bram");
  CHECK(member->state == StaffState::active);
  CHECK(member->pinned_key == bytes("bram key"));
  CHECK_FALSE(member->enrolment_pending);
  // Used up: the same code again changes nothing, and counts as nothing new to pin.
  world.set_key("bram", "another key");
  world.write("bram", "enrol DDDD-EEEE-FFFF");
  CHECK(world.member("bram")->state == StaffState::suspended);  // the key it writes with changed
}

TEST_CASE("enrolment: five wrong tries burn the code, and an expired code pins nothing") {
  World world;
  const auto id = world.add("ana", StaffRole::coordinator);
  storage::StaffStore staff(world.store());
  world.set_key("ana", "ana key");
  world.commit(
      [&] { return staff.set_enrolment(id, "AAAABBBBCCCC", seconds_of(world.now_) + 60).ok(); });
  for (int i = 0; i < storage::kMaxEnrolmentFailures; ++i) world.write("ana", "2222-3333-4444");
  CHECK_FALSE(world.member("ana")->enrolment_pending);
  world.write("ana", "AAAA-BBBB-CCCC");  // right, but burnt
  CHECK(world.member("ana")->state == StaffState::unverified);

  world.commit(
      [&] { return staff.set_enrolment(id, "AAAABBBBCCCC", seconds_of(world.now_) + 60).ok(); });
  world.now_ += std::chrono::minutes(2);
  world.write("ana", "AAAA-BBBB-CCCC");
  CHECK(world.member("ana")->state == StaffState::unverified);
  CHECK_FALSE(world.member("ana")->enrolment_pending);

  world.commit(
      [&] { return staff.set_enrolment(id, "AAAABBBBCCCC", seconds_of(world.now_) + 60).ok(); });
  world.write("ana", "AAAA-BBBB-CCCC");
  CHECK(world.member("ana")->state == StaffState::active);
  // The code is kept only as a keyed hash.
  for (const std::string& file : {world.db_file(), world.db_file() + "-wal"}) {
    CHECK(test::read_text(file).find("AAAABBBBCCCC") == std::string::npos);
  }
}

namespace {

// A French host's intake, filed at Vottem under a name nobody else uses.
void file_intake(World& world, const std::string& host, const std::string& name) {
  for (const auto& line : test::intake_answers({"fr", name, "guinéen", "vottem", "hier", "non"}))
    world.write(host, line);
}

std::string reference_in(const std::vector<std::pair<std::string, Audience>>& queued) {
  for (const auto& [text, audience] : queued) {
    if (auto found = cases::find_reference(text); !found.empty()) return found;
  }
  return {};
}

bool any_holds(const std::vector<std::pair<std::string, Audience>>& queued,
               const std::string& text) {
  return std::any_of(queued.begin(), queued.end(),
                     [&](const auto& row) { return row.first.find(text) != std::string::npos; });
}

}  // namespace

TEST_CASE("erasure: what still waits to go about an erased case goes with it") {
  World world;
  world.pin(world.add("ana", StaffRole::coordinator), "ana key");
  world.pin(world.add("bram", StaffRole::coordinator), "bram key");
  world.set_key("ana", "ana key");
  file_intake(world, "host-1", "QUORBAX Zelmira");
  const std::string reference = reference_in(world.waiting_for("host-1"));
  REQUIRE_FALSE(reference.empty());
  // Bram is offline: the new case's notice, with the name, waits for him.
  REQUIRE(any_holds(world.waiting_for("bram"), "QUORBAX Zelmira"));
  world.write("ana", "show " + reference);
  REQUIRE(any_holds(world.waiting_for("ana"), "QUORBAX Zelmira"));

  world.write("ana", "erase " + reference + " confirm");
  CHECK_FALSE(any_holds(world.waiting_for("bram"), "QUORBAX Zelmira"));
  CHECK_FALSE(any_holds(world.waiting_for("ana"), "QUORBAX Zelmira"));
  CHECK(any_holds(world.waiting_for("ana"), reference));  // the answer that it is erased
}

TEST_CASE("forget me: what waits for the host goes, but the answer that says what was erased") {
  World world;
  world.pin(world.add("ana", StaffRole::coordinator), "ana key");
  file_intake(world, "host-1", "QUORBAX Zelmira");
  // Offline: the summary of their answers, with the name, still waits for them.
  REQUIRE(any_holds(world.waiting_for("host-1"), "QUORBAX Zelmira"));
  world.write("host-1", "oubliez-moi");
  world.write("host-1", "oui");
  const auto queued = world.waiting_for("host-1");
  REQUIRE(queued.size() == 1);
  CHECK(queued.front().first.find("reste, sans rien sur vous") != std::string::npos);
  CHECK_FALSE(any_holds(queued, "QUORBAX"));
  // Once that answer has left, their address goes, and the transport is told to forget them.
  world.now_ += std::chrono::minutes(11);
  world.commit([&] { return world.desk().on_due_timers(world.now_); });
  CHECK(storage::Peers(world.store()).find("host-1").value().has_value());  // still to go
  world.commit([&] { return world.store().db().exec("DELETE FROM outbox").ok(); });
  world.now_ += std::chrono::minutes(10);
  world.commit([&] { return world.desk().on_due_timers(world.now_); });
  CHECK_FALSE(storage::Peers(world.store()).find("host-1").value().has_value());
  CHECK(world.desk().take_removed_addresses() == std::vector<std::string>{"host-1"});
  // The refused command of a referent is audited, without its arguments.
  world.pin(world.add("bram", StaffRole::referent, {"vottem"}), "bram key");
  world.set_key("bram", "bram key");
  world.write("bram", "erase " + reference_in(world.waiting_for("ana")) + " confirm");
  auto refused = world.store().db().prepare(
      "SELECT action, actor, subject IS NULL FROM audit WHERE action LIKE 'refused%'");
  REQUIRE(refused.ok());
  REQUIRE(refused->step().value_or(false));
  CHECK(refused->column_text(0) == "refused erase");
  CHECK(refused->column_text(1) == "referent");
  CHECK(refused->column_int64(2) == 1);  // no reference: never the command's arguments
  CHECK_FALSE(refused->step().value_or(true));
}

TEST_CASE(
    "forget me: only the person's asking forgets them, never a timer that outlived its wait") {
  World world;
  world.pin(world.add("ana", StaffRole::coordinator), "ana key");
  file_intake(world, "host-1", "QUORBAX Zelmira");
  const auto peer = storage::Peers(world.store()).find("host-1").value();
  REQUIRE(peer.has_value());
  // A reminder of a wait the filed conversation no longer has (or of a flow version gone).
  storage::Timers timers(world.store());
  world.commit([&] {
    return timers
        .schedule("flow.reminder", "peer " + std::to_string(*peer) + " wait 99",
                  desk::unix_millis(world.now_))
        .ok();
  });
  const auto waiting = world.waiting_for("host-1").size();
  world.commit([&] { return world.desk().on_due_timers(world.now_); });
  CHECK(world.waiting_for("host-1").size() == waiting);  // nothing dropped, nothing said
  storage::CaseStore cases(world.store());
  CHECK(cases.of_host(*peer).value().size() == 1);  // still theirs
  world.write("host-1", "statut");
  CHECK(any_holds(world.waiting_for("host-1"), "QUORBAX Zelmira"));
}

TEST_CASE("the desk's contract: a failure says why, and the caller's rollback leaves nothing") {
  World world;
  world.pin(world.add("ana", StaffRole::coordinator), "ana key");
  world.pin(world.add("bram", StaffRole::coordinator), "bram key");
  world.refuse_sends();
  // A new host's first message: the flow would answer, the outbox refuses.
  const auto written = world.store().db().transact([&]() -> storage::Result<void> {
    return world.desk().on_message("host-9", "bonjour", world.now_);
  });
  REQUIRE_FALSE(written.ok());
  CHECK(written.code() == storage::Errc::busy);
  CHECK(written.error().detail == "the outbox (a test)");
  // Rolled back: no peer, no conversation, no timer of theirs.
  CHECK_FALSE(storage::Peers(world.store()).find("host-9").value().has_value());
  CHECK_FALSE(storage::Timers(world.store()).next_due().value().has_value());
  // A member's key change whose notice to bram cannot be queued: not accepted, nothing
  // suspended.
  const auto changed = world.store().db().transact([&]() -> storage::Result<void> {
    return world.desk().on_identity_changed("ana", world.now_);
  });
  CHECK_FALSE(changed.ok());
  CHECK(world.member("ana")->state == StaffState::active);
}

TEST_CASE("timers: one whose payload does not read is dropped, and the others still run") {
  World world;
  world.pin(world.add("ana", StaffRole::coordinator), "ana key");
  file_intake(world, "host-1", "QUORBAX Zelmira");
  const auto peer = storage::Peers(world.store()).find("host-1").value();
  REQUIRE(peer.has_value());
  storage::Timers timers(world.store());
  const auto due = desk::unix_millis(world.now_);
  world.commit([&] {
    return timers.schedule("flow.reminder", "peer x wait 3", due - 2).ok() &&
           timers.schedule("deadline", "case 1 day", due - 2).ok() &&
           timers.schedule("flow.nudge", "peer 1", due - 1).ok() &&
           // As earlier versions wrote it: the forgotten host's address goes.
           timers.schedule("forget.peer", "peer " + std::to_string(*peer) + " ", due).ok();
  });
  // host-1 is not forgotten (it has a case): what forget.peer runs leaves it.
  world.commit([&] { return world.desk().on_due_timers(world.now_); });
  auto query = world.store().db().prepare(
      "SELECT count(*) FROM timers WHERE subject IN ('peer x wait 3', 'case 1 day', 'peer 1')");
  REQUIRE(query.ok());
  REQUIRE(query->step().value());
  CHECK(query->column_int64(0) == 0);
  CHECK(storage::Peers(world.store()).find("host-1").value().has_value());
}
