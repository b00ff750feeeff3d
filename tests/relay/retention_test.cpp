// What the relay forgets (issue 13), with an injected clock over a real database: idle
// self-registered accounts with their keys and queued messages (never provisioned ones, never
// one that was seen lately), and the rate-limit buckets of a flood once they have filled up.
#include <catch2/catch.hpp>

#include "bot/core/base64.hpp"
#include "bot/relay/relay_service.hpp"
#include "tests/storage/storage_support.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using namespace gvo;

constexpr std::int64_t kNow = 1'773'655'200'000;  // 16 March 2026, 10:00 UTC
constexpr std::int64_t kHour = 3600 * 1000;
constexpr std::int64_t kDay = 24 * kHour;
constexpr std::int64_t kIdle = 30 * kDay;
const std::string kSecret = "a-secret-of-enough-length";

std::string basic(const std::string& account) {
  const std::string text = account + ":" + kSecret;
  return "Basic " + core::base64_encode(std::vector<std::uint8_t>(text.begin(), text.end()));
}

std::string key(int seed) {
  std::vector<std::uint8_t> bytes(33, static_cast<std::uint8_t>(seed));
  bytes[0] = 5;
  return core::base64_encode(bytes);
}

relay::Json keys(int registration_id) {
  return {{"registration_id", registration_id},
          {"identity_key", key(1)},
          {"signed_pre_key",
           {{"id", 1},
            {"public_key", key(2)},
            {"signature", core::base64_encode(std::vector<std::uint8_t>(64, 3))}}},
          {"pre_keys", {{{"id", 1}, {"public_key", key(4)}}, {{"id", 2}, {"public_key", key(5)}}}}};
}

relay::Json message(int registration_id) {
  return {{"timestamp", 1},
          {"messages",
           {{{"type", 1},
             {"destination_device_id", 1},
             {"destination_registration_id", registration_id},
             {"content", core::base64_encode(std::vector<std::uint8_t>(20, 9))}}}}};
}

struct Fixture {
  test::TempDir dir;
  storage::Database db = test::open_test_database(dir.file("relay.db"));
  bool migrated = storage::migrate(db, relay::RelayService::migrations()).ok();
  relay::RelayService service{db, true};

  void connect(const std::string& account, std::int64_t now) {
    const auto admitted = service.authenticate(basic(account), "", now);
    REQUIRE(std::holds_alternative<relay::Admitted>(admitted));
  }

  std::int64_t count(const std::string& sql) {
    auto query = db.prepare(sql);
    REQUIRE(query.ok());
    auto row = query->step();
    REQUIRE(row.ok());
    return query->column_int64(0);
  }

  std::vector<std::string> names() {
    auto listed = service.accounts().list();
    REQUIRE(listed.ok());
    std::vector<std::string> out;
    for (const auto& info : *listed) out.push_back(info.name);
    return out;
  }
};

}  // namespace

TEST_CASE("idle self-registered accounts are forgotten with their keys and mail, others kept") {
  Fixture f;
  REQUIRE(f.migrated);
  REQUIRE(f.service.accounts().add("gvo-bot", kDay, false, kNow).ok());  // never claimed
  f.connect("host-idle", kNow);
  REQUIRE(f.service.handle("host-idle", "PUT", "/v2/keys", keys(11), kNow).status == 200);
  f.connect("host-seen", kNow);
  REQUIRE(f.service.handle("host-seen", "PUT", "/v2/keys", keys(12), kNow).status == 200);
  f.connect("host-keyless", kNow);  // registered, never uploaded keys: nobody can write to it
  f.connect("sender", kNow);
  REQUIRE(f.service.handle("sender", "PUT", "/v1/messages/host-idle", message(11), kNow).status ==
          200);
  REQUIRE(f.count("SELECT count(*) FROM envelopes") == 1);

  // Two hours on: only the keyless one has been idle for over an hour and can go.
  auto early = f.service.forget_idle_accounts(kNow + 2 * kHour, kIdle, kHour);
  REQUIRE(early.ok());
  CHECK(early->accounts == 2);  // host-keyless, and sender, which never uploaded keys either
  CHECK(f.names() == std::vector<std::string>{"gvo-bot", "host-idle", "host-seen"});

  // host-seen connects again on day 29; on day 31, host-idle (last seen day 0) goes, with its
  // pre-keys and its queued message; gvo-bot, never claimed and keyless, is provisioned: kept.
  f.connect("host-seen", kNow + 29 * kDay);
  auto later = f.service.forget_idle_accounts(kNow + 31 * kDay, kIdle, kHour);
  REQUIRE(later.ok());
  CHECK(later->accounts == 1);
  CHECK(later->envelopes == 1);
  CHECK(f.names() == std::vector<std::string>{"gvo-bot", "host-seen"});
  CHECK(f.count("SELECT count(*) FROM envelopes") == 0);
  CHECK(f.count("SELECT count(*) FROM pre_keys WHERE account = 'host-idle'") == 0);
  CHECK(f.count("SELECT count(*) FROM pre_keys WHERE account = 'host-seen'") == 2);

  // A forgotten host that comes back registers afresh (its client uploads its keys again).
  f.connect("host-idle", kNow + 32 * kDay);
  CHECK(f.names() == std::vector<std::string>{"gvo-bot", "host-idle", "host-seen"});

  // Far in the future, with retention off: nothing goes.
  auto off = f.service.forget_idle_accounts(kNow + 3650 * kDay, 0, 0);
  REQUIRE(off.ok());
  CHECK(off->accounts == 0);
}

TEST_CASE("the rate-limit buckets of a flood of senders are forgotten once they refill") {
  Fixture f;
  REQUIRE(f.migrated);
  for (int i = 0; i < 500; ++i) {
    // Each send makes its sender a bucket and one for the pair (sender, recipient), before
    // anything else is checked; a fetch that takes no pre-key makes none.
    (void)f.service.handle("flooder-" + std::to_string(i), "PUT", "/v1/messages/nobody", message(1),
                           kNow);
    (void)f.service.handle("flooder-" + std::to_string(i), "GET", "/v2/keys/nobody",
                           relay::Json::object(), kNow);
  }
  CHECK(f.service.prune(kNow) == 1000);
  CHECK(f.service.prune(kNow + 2 * kHour) == 0);
}

TEST_CASE("one requester takes 20 one-time pre-keys an hour, and past that bundles come without") {
  Fixture f;
  REQUIRE(f.migrated);
  f.connect("victim", kNow);
  relay::Json upload = keys(21);
  upload["pre_keys"] = relay::Json::array();
  for (int id = 1; id <= 50; ++id)
    upload["pre_keys"].push_back({{"id", id}, {"public_key", key(id)}});
  REQUIRE(f.service.handle("victim", "PUT", "/v2/keys", upload, kNow).status == 200);
  int with_pre_key = 0;
  for (int i = 0; i < 30; ++i) {
    const auto bundle =
        f.service.handle("drainer", "GET", "/v2/keys/victim", relay::Json::object(), kNow + i);
    REQUIRE(bundle.status == 200);
    CHECK(bundle.body.contains("identity_key"));
    if (bundle.body.contains("pre_key")) {
      ++with_pre_key;
      CHECK_FALSE(bundle.notice);
    } else {
      CHECK(bundle.notice);
    }
  }
  CHECK(with_pre_key == 20);
  CHECK(f.service.handle("victim", "GET", "/v2/keys", {}, kNow).body.value("count", 0) == 30);
  CHECK(f.service.handle("friend", "GET", "/v2/keys/victim", {}, kNow).body.contains("pre_key"));
  // Three minutes on, one more (20 an hour).
  CHECK(f.service.handle("drainer", "GET", "/v2/keys/victim", {}, kNow + 3 * 60'000 + 1000)
            .body.contains("pre_key"));
}
