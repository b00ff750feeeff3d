// Rotation of the sealing key as the README says: a new key_file, the old one in
// retired_key_files. Every lookup by address works afterwards, nothing opens with the old key
// alone, and an interrupted rotation leaves the old state whole for the next start to finish.
#include "storage/key_rotation.hpp"

#include <chrono>
#include <cstdio>

#include <catch2/catch.hpp>

#include "storage/cases.hpp"
#include "storage/conversations.hpp"
#include "storage/outbox.hpp"
#include "storage/peers.hpp"
#include "storage/staff.hpp"
#include "storage/store.hpp"
#include "tests/storage/storage_support.hpp"
#include "tests/support/temp_dir.hpp"

using gvo::storage::Bytes;
using gvo::storage::CaseIndexValues;
using gvo::storage::CaseStore;
using gvo::storage::Errc;
using gvo::storage::KeyState;
using gvo::storage::OpenMode;
using gvo::storage::Peers;
using gvo::storage::Result;
using gvo::storage::RotationOptions;
using gvo::storage::RotationStep;
using gvo::storage::Sealer;
using gvo::storage::SealingKey;
using gvo::storage::StaffStore;
using gvo::storage::Store;

namespace {

constexpr char kHost[] = "+32470000001";
constexpr char kMember[] = "+32470000002";
constexpr char kStranger[] = "+32470000003";  // a session whose peer is gone
constexpr char kIntake[] = "brussels|bnl mhmd,mhmd";

// Tests' intakes are "centre|key,key" (the bot's are flow sessions, read by bot/cases).
Result<CaseIndexValues> test_indexer(std::string_view intake) {
  CaseIndexValues values;
  const auto bar = intake.find('|');
  if (bar == std::string_view::npos) return gvo::core::fail(Errc::sealed_malformed, "no centre");
  values.centre = std::string(intake.substr(0, bar));
  std::string_view keys = intake.substr(bar + 1);
  while (!keys.empty()) {
    const auto comma = keys.find(',');
    values.name_keys.emplace_back(keys.substr(0, comma));
    if (comma == std::string_view::npos) break;
    keys.remove_prefix(comma + 1);
  }
  return values;
}

RotationOptions with_indexer() {
  RotationOptions options;
  options.case_indexer = test_indexer;
  return options;
}

Store open_store(const std::string& path, std::vector<SealingKey> keys,
                 const RotationOptions& options = with_indexer()) {
  auto store = Store::open(path, Sealer(std::move(keys)), OpenMode::create_if_missing, options);
  INFO((store.ok() ? std::string() : describe(store.error())));
  REQUIRE(store.ok());
  return std::move(store).value();
}

std::string hex(const Bytes& bytes) {
  std::string text;
  char pair[3];
  for (std::uint8_t byte : bytes) {
    std::snprintf(pair, sizeof pair, "%02x", byte);
    text += pair;
  }
  return text;
}

// What bot/signal/protocol_store.cpp writes for a peer: identity and session by address hash.
void add_signal_rows(Store& store, const std::string& address, const std::string& record) {
  const Bytes key = store.sealer().blind_index("signal address", address);
  auto sealed = store.sealer().seal({"signal_sessions", "record", hex(key) + "/1"}, record);
  REQUIRE(sealed.ok());
  auto session =
      store.db().prepare("INSERT INTO signal_sessions(address, device, record) VALUES (?1, 1, ?2)");
  REQUIRE(session.ok());
  REQUIRE(session->bind_blob(1, key).bind_blob(2, sealed.value()).run().ok());
  auto identity =
      store.db().prepare("INSERT INTO signal_identities(address, identity_key) VALUES (?1, ?2)");
  REQUIRE(identity.ok());
  REQUIRE(identity->bind_blob(1, key).bind_blob(2, Bytes(33, 5)).run().ok());
}

std::optional<std::string> session_record(Store& store, const std::string& address) {
  const Bytes key = store.sealer().blind_index("signal address", address);
  auto query = store.db().prepare("SELECT record FROM signal_sessions WHERE address = ?1");
  REQUIRE(query.ok());
  auto row = query->bind_blob(1, key).step();
  REQUIRE(row.ok());
  if (!row.value()) return std::nullopt;
  auto opened =
      store.sealer().open({"signal_sessions", "record", hex(key) + "/1"}, query->column_blob(0));
  REQUIRE(opened.ok());
  return opened.value();
}

bool has_identity(Store& store, const std::string& address) {
  auto query = store.db().prepare("SELECT 1 FROM signal_identities WHERE address = ?1");
  REQUIRE(query.ok());
  auto row = query->bind_blob(1, store.sealer().blind_index("signal address", address)).step();
  REQUIRE(row.ok());
  return row.value();
}

std::int64_t count_rows(Store& store, const std::string& table) {
  auto query = store.db().prepare("SELECT count(*) FROM " + table);
  REQUIRE(query.ok());
  REQUIRE(query->step().value());
  return query->column_int64(0);
}

// A database with something in every keyed column, sealed with key.
struct Planted {
  gvo::storage::PeerId host = 0;
  gvo::storage::PeerId member_peer = 0;
  gvo::storage::StaffId member = 0;
  gvo::storage::CaseId case_id = 0;
};

Planted plant(const std::string& path, const SealingKey& key) {
  Store store = open_store(path, {key});
  Planted planted;
  Peers peers(store);
  planted.host = peers.find_or_add(kHost, 1000).value();
  planted.member_peer = peers.find_or_add(kMember, 1000).value();
  const auto stranger = peers.find_or_add(kStranger, 1000).value();
  StaffStore staff(store);
  auto member = staff.add(kMember, gvo::storage::StaffRole::coordinator, {"brussels"}, "fr", 1000);
  REQUIRE(member.ok());
  planted.member = member.value();
  REQUIRE(staff.set_enrolment(planted.member, "123456", 5000).ok());
  REQUIRE(
      gvo::storage::AuditLog(store).record(1000, "bot", std::nullopt, "erased", "K7QM-3XPD").ok());
  CaseStore cases(store);
  auto id = cases.add({"K7QM-3XPD",
                       planted.host,
                       "brussels",
                       gvo::storage::CaseStatus::reported,
                       kIntake,
                       {"bnl mhmd", "mhmd"}},
                      1000);
  REQUIRE(id.ok());
  planted.case_id = id.value();
  REQUIRE(
      cases.add_event(planted.case_id, 1001, "host", planted.host, "update", std::nullopt, "a word")
          .ok());
  REQUIRE(
      gvo::storage::Conversations(store).save(planted.host, "{\"flow\":\"intake\"}", 1000).ok());
  REQUIRE(gvo::storage::Outbox(store).queue(kHost, "your case is K7QM-3XPD", 1000000).ok());
  add_signal_rows(store, kHost, "host session");
  add_signal_rows(store, kMember, "member session");
  add_signal_rows(store, kStranger, "stranger session");
  // The stranger's peer row is gone (forgotten) but its Signal rows stayed behind.
  REQUIRE(store.db().exec("DELETE FROM peers WHERE id = " + std::to_string(stranger)).ok());
  auto sealed = store.sealer().seal({"meta", "value", "relay_secret"}, "relay secret");
  REQUIRE(sealed.ok());
  auto secret = store.db().prepare("INSERT INTO meta(name, value) VALUES ('relay_secret', ?1)");
  REQUIRE(secret.ok());
  REQUIRE(secret->bind_blob(1, sealed.value()).run().ok());
  return planted;
}

// Every blob in the database that names key as its sealer (Sealer's header: version 1, key id).
std::int64_t values_sealed_with(Store& store, const SealingKey& key) {
  auto columns = store.db().prepare(
      "SELECT m.name, p.name FROM sqlite_master AS m, pragma_table_info(m.name) AS p "
      "WHERE m.type = 'table'");
  REQUIRE(columns.ok());
  std::vector<std::pair<std::string, std::string>> all;
  while (columns->step().value())
    all.emplace_back(columns->column_text(0), columns->column_text(1));
  std::int64_t found = 0;
  Bytes prefix{1, static_cast<std::uint8_t>(key.id() >> 24),
               static_cast<std::uint8_t>(key.id() >> 16), static_cast<std::uint8_t>(key.id() >> 8),
               static_cast<std::uint8_t>(key.id())};
  for (const auto& [table, column] : all) {
    auto query =
        store.db().prepare("SELECT count(*) FROM \"" + table + "\" WHERE typeof(\"" + column +
                           "\") = 'blob' AND substr(\"" + column + "\", 1, 5) = ?1");
    REQUIRE(query.ok());
    REQUIRE(query->bind_blob(1, prefix).step().value());
    found += query->column_int64(0);
  }
  return found;
}

}  // namespace

TEST_CASE("after a rotation every lookup by address works with the new key alone") {
  gvo::test::TempDir dir;
  const std::string path = dir.file("bot.db");
  const SealingKey old_key = gvo::test::new_sealing_key();
  const SealingKey new_key = gvo::test::new_sealing_key();
  const Planted planted = plant(path, old_key);

  {
    Store rotated = open_store(path, {new_key, old_key});  // key_file new, retired_key_files old
    REQUIRE(rotated.rotation().has_value());
    CHECK(rotated.rotation()->from_key == old_key.id_hex());
    CHECK(rotated.rotation()->to_key == new_key.id_hex());
    CHECK(rotated.rotation()->values_resealed > 0);
    CHECK(rotated.rotation()->enrolments_voided == 1);
    CHECK(rotated.rotation()->rows_dropped == 2);  // the stranger's session and identity
  }
  // The old key file may now be destroyed: the new key alone opens everything.
  Store store = open_store(path, {new_key});
  CHECK_FALSE(store.rotation().has_value());
  CHECK(values_sealed_with(store, old_key) == 0);
  CHECK(values_sealed_with(store, new_key) > 0);

  Peers peers(store);
  CHECK(peers.find(kHost).value() == std::optional<gvo::storage::PeerId>(planted.host));
  CHECK(peers.find_or_add(kMember, 2000).value() == planted.member_peer);  // no duplicate
  CHECK(peers.address(planted.host).value() == kHost);
  CHECK(count_rows(store, "peers") == 2);

  StaffStore staff(store);
  auto member = staff.find(kMember);
  REQUIRE(member.ok());
  REQUIRE(member.value().has_value());
  CHECK(member.value()->id == planted.member);
  CHECK(member.value()->address == kMember);
  CHECK(staff.all().value().size() == 1);
  // The pending code was a hash under the old key: voided, not silently wrong.
  CHECK(staff.use_enrolment(planted.member, "123456", 2000).value() ==
        gvo::storage::Enrolment::none);
  CHECK(staff.verify(planted.member, Bytes(33, 5), 2000).ok());
  CHECK(staff.find(kMember).value()->state == gvo::storage::StaffState::active);

  CaseStore cases(store);
  CHECK(cases.at_centre("brussels").value() == std::vector<gvo::storage::CaseId>{planted.case_id});
  CHECK(cases.matching({"bnl mhmd"}).value() == std::vector<gvo::storage::CaseId>{planted.case_id});
  CHECK(cases.get(planted.case_id).value().intake == kIntake);
  CHECK(cases.events(planted.case_id).value().at(0).detail == "a word");
  CHECK(gvo::storage::AuditLog(store).about("K7QM-3XPD").value().size() == 1);
  CHECK(gvo::storage::Conversations(store).load(planted.host).value() ==
        std::optional<std::string>("{\"flow\":\"intake\"}"));
  const auto waiting = gvo::storage::Outbox(store).waiting(10).value();
  REQUIRE(waiting.size() == 1);
  CHECK(gvo::storage::Outbox(store).body(waiting[0].id).value() == "your case is K7QM-3XPD");

  // Existing sessions and pinned identities are found under the new hash of the address.
  CHECK(session_record(store, kHost) == std::optional<std::string>("host session"));
  CHECK(session_record(store, kMember) == std::optional<std::string>("member session"));
  CHECK(has_identity(store, kHost));
  CHECK(has_identity(store, kMember));
  CHECK(count_rows(store, "signal_sessions") == 2);
  CHECK(count_rows(store, "signal_identities") == 2);

  CHECK(staff.remove(kMember).value());
  CHECK_FALSE(staff.find(kMember).value().has_value());
}

TEST_CASE("after a rotation nothing opens with the old key alone") {
  gvo::test::TempDir dir;
  const std::string path = dir.file("bot.db");
  const SealingKey old_key = gvo::test::new_sealing_key();
  const SealingKey new_key = gvo::test::new_sealing_key();
  (void)plant(path, old_key);
  {
    Store positive_control = open_store(path, {old_key});
    CHECK(values_sealed_with(positive_control, old_key) > 10);
  }
  { Store rotated = open_store(path, {new_key, old_key}); }
  const auto refused = Store::open(path, Sealer({old_key}), OpenMode::create_if_missing);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.code() == Errc::key_mismatch);
}

TEST_CASE("an interrupted rotation leaves the old state whole and the next start finishes it") {
  gvo::test::TempDir dir;
  const std::string path = dir.file("bot.db");
  const SealingKey old_key = gvo::test::new_sealing_key();
  const SealingKey new_key = gvo::test::new_sealing_key();
  const Planted planted = plant(path, old_key);

  RotationOptions failing = with_indexer();
  std::vector<std::string> done;
  failing.progress = [&](const RotationStep& step) -> Result<void> {
    done.push_back(step.table + "." + step.column);
    if (step.table == "cases") return gvo::core::fail(Errc::sql_failed, "injected failure");
    return {};
  };
  const auto interrupted =
      Store::open(path, Sealer({new_key, old_key}), OpenMode::create_if_missing, failing);
  REQUIRE_FALSE(interrupted.ok());
  CHECK(interrupted.error().detail == "injected failure");
  CHECK(done.size() > 3);  // peers and staff were re-keyed before it failed

  {
    // Rolled back: still sealed with the old key, which alone opens it and finds everyone.
    Store old_state = open_store(path, {old_key});
    CHECK(StaffStore(old_state).find(kMember).value().has_value());
    CHECK(Peers(old_state).find(kHost).value() ==
          std::optional<gvo::storage::PeerId>(planted.host));
    CHECK(session_record(old_state, kHost) == std::optional<std::string>("host session"));
  }
  auto pending = Store::inspect(path, Sealer({new_key, old_key}));
  REQUIRE(pending.ok());
  CHECK(pending->kind == KeyState::Kind::pending);

  { Store finished = open_store(path, {new_key, old_key}); }
  Store store = open_store(path, {new_key});
  CHECK(StaffStore(store).find(kMember).value()->id == planted.member);
  CHECK(Peers(store).find(kHost).value() == std::optional<gvo::storage::PeerId>(planted.host));
  CHECK(session_record(store, kHost) == std::optional<std::string>("host session"));
}

TEST_CASE("inspecting tells a pending rotation from a current key without writing") {
  gvo::test::TempDir dir;
  const std::string path = dir.file("bot.db");
  const SealingKey old_key = gvo::test::new_sealing_key();
  const SealingKey new_key = gvo::test::new_sealing_key();

  auto missing = Store::inspect(path, Sealer({old_key}));
  REQUIRE(missing.ok());
  CHECK(missing->kind == KeyState::Kind::unsealed);

  (void)plant(path, old_key);
  auto current = Store::inspect(path, Sealer({old_key}));
  REQUIRE(current.ok());
  CHECK(current->kind == KeyState::Kind::current);

  const auto before = gvo::test::read_bytes(path);
  auto pending = Store::inspect(path, Sealer({new_key, old_key}));
  REQUIRE(pending.ok());
  CHECK(pending->kind == KeyState::Kind::pending);
  CHECK(pending->sealed_with == old_key.id_hex());
  CHECK(pending->rows_to_rekey > 10);
  CHECK((gvo::test::read_bytes(path) == before));

  // Without the old key nothing can be re-keyed: refused, saying what to do.
  auto lacking = Store::inspect(path, Sealer({new_key}));
  REQUIRE_FALSE(lacking.ok());
  CHECK(lacking.code() == Errc::key_mismatch);
  CHECK_THAT(lacking.error().detail, Catch::Matchers::Contains(old_key.id_hex()));
  CHECK_THAT(lacking.error().detail, Catch::Matchers::Contains("retired_key_files"));
  const auto refused = Store::open(path, Sealer({new_key}), OpenMode::create_if_missing);
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(refused.error().detail, Catch::Matchers::Contains("retired_key_files"));
  CHECK((gvo::test::read_bytes(path) == before));
}

TEST_CASE("a rotation that would leave a value under the old key is refused whole") {
  gvo::test::TempDir dir;
  const std::string path = dir.file("bot.db");
  const SealingKey old_key = gvo::test::new_sealing_key();
  const SealingKey new_key = gvo::test::new_sealing_key();
  (void)plant(path, old_key);
  {
    // A column the rotation's list does not know (a migration that forgot to add it there).
    Store store = open_store(path, {old_key});
    REQUIRE(store.db().exec("CREATE TABLE unlisted (id INTEGER PRIMARY KEY, secret BLOB)").ok());
    auto sealed = store.sealer().seal({"unlisted", "secret", "1"}, "Samira Tahiri");
    auto insert = store.db().prepare("INSERT INTO unlisted(id, secret) VALUES (1, ?1)");
    REQUIRE(insert.ok());
    REQUIRE(insert->bind_blob(1, sealed.value()).run().ok());
  }
  const auto refused =
      Store::open(path, Sealer({new_key, old_key}), OpenMode::create_if_missing, with_indexer());
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(refused.error().detail, Catch::Matchers::Contains("unlisted.secret"));
  Store old_state = open_store(path, {old_key});
  CHECK(StaffStore(old_state).find(kMember).value().has_value());
}

TEST_CASE("a rotation with cases and no way to read their intakes is refused") {
  gvo::test::TempDir dir;
  const std::string path = dir.file("bot.db");
  const SealingKey old_key = gvo::test::new_sealing_key();
  const SealingKey new_key = gvo::test::new_sealing_key();
  (void)plant(path, old_key);
  const auto refused =
      Store::open(path, Sealer({new_key, old_key}), OpenMode::create_if_missing, RotationOptions{});
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(refused.error().detail, Catch::Matchers::Contains("case indexer"));
  Store old_state = open_store(path, {old_key});
  CHECK(CaseStore(old_state).at_centre("brussels").value().size() == 1);
}

TEST_CASE("a rotation of 10,000 peers with sessions", "[.][bench]") {
  gvo::test::TempDir dir;
  const std::string path = dir.file("bot.db");
  const SealingKey old_key = gvo::test::new_sealing_key();
  const SealingKey new_key = gvo::test::new_sealing_key();
  constexpr int kPeers = 10000;
  {
    Store store = open_store(path, {old_key});
    REQUIRE(store.db()
                .transact([&]() -> Result<void> {
                  Peers peers(store);
                  for (int i = 0; i < kPeers; ++i) {
                    const std::string address = "+3247" + std::to_string(1000000 + i);
                    if (auto added = peers.find_or_add(address, 1000); !added) return added.error();
                    add_signal_rows(store, address, std::string(1500, 'r'));
                    if (auto saved = gvo::storage::Conversations(store).save(
                            i + 1, std::string(800, 's'), 1000);
                        !saved)
                      return saved;
                  }
                  return {};
                })
                .ok());
  }
  const auto started = std::chrono::steady_clock::now();
  RotationOptions options = with_indexer();
  options.progress = [&](const RotationStep& step) -> Result<void> {
    std::printf("  %.2f s: %s.%s, %lld rows\n",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(),
                step.table.c_str(), step.column.c_str(), static_cast<long long>(step.rows));
    return {};
  };
  Store rotated = open_store(path, {new_key, old_key}, options);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  REQUIRE(rotated.rotation().has_value());
  std::printf(
      "rotation of %d peers (%d sessions, %d identities, %d conversations): %lld values "
      "sealed again, %lld keyed hashes, %.2f s in the rotation, %.2f s to open\n",
      kPeers, kPeers, kPeers, kPeers, static_cast<long long>(rotated.rotation()->values_resealed),
      static_cast<long long>(rotated.rotation()->indexes_rekeyed), rotated.rotation()->seconds,
      seconds);
  CHECK(session_record(rotated, "+32471000042").has_value());
}

TEST_CASE("a duplicate made by the old rotation advice is refused clearly, changing nothing") {
  gvo::test::TempDir dir;
  const std::string path = dir.file("bot.db");
  const SealingKey old_key = gvo::test::new_sealing_key();
  const SealingKey new_key = gvo::test::new_sealing_key();
  (void)plant(path, old_key);
  {
    // What gvo-bot before re-keying did with a new key: the host not found, a second row added.
    Store store = open_store(path, {old_key});
    const Sealer new_only({new_key});
    auto sealed = new_only.seal({"peers", "address", "100"}, kHost);
    auto insert = store.db().prepare(
        "INSERT INTO peers(id, lookup, address, created_at) VALUES (100, ?1, ?2, 2000)");
    REQUIRE(insert.ok());
    REQUIRE(insert->bind_blob(1, new_only.blind_index("peer address", kHost))
                .bind_blob(2, sealed.value())
                .run()
                .ok());
  }
  const auto refused =
      Store::open(path, Sealer({new_key, old_key}), OpenMode::create_if_missing, with_indexer());
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.code() == Errc::constraint);
  CHECK_THAT(refused.error().detail,
             Catch::Matchers::Contains("another row holds the same address"));
  auto still = Store::inspect(path, Sealer({new_key, old_key}));
  REQUIRE(still.ok());
  CHECK(still->kind == KeyState::Kind::pending);
  Store old_state = open_store(path, {old_key});
  CHECK(StaffStore(old_state).find(kMember).value().has_value());
}
