// The relay's send limits (issue 14): per sender and recipient (50 a second, bursts of 200), under
// a ceiling per sender (2,000 a second, bursts of 4,000), so that the bot, one account writing to
// every host, is not capped as a whole while one pair over its limit is told when to try again;
// and the buckets are forgotten once full, so memory stays bounded.
#include <catch2/catch.hpp>

#include "bot/core/base64.hpp"
#include "bot/relay/relay_service.hpp"
#include "tests/storage/storage_support.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using namespace gvo;

constexpr std::int64_t kNow = 1'773'655'200'000;  // 16 March 2026, 10:00 UTC
constexpr std::int64_t kHour = 3600 * 1000;
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
            {"signature", core::base64_encode(std::vector<std::uint8_t>(64, 3))}}}};
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
  relay::RelayService service;

  explicit Fixture(relay::RelayLimits limits = {}) : service(db, true, limits) {}

  // An account with keys, that others can write to.
  void host(const std::string& name, int registration_id) {
    REQUIRE(std::holds_alternative<relay::Admitted>(service.authenticate(basic(name), "", kNow)));
    REQUIRE(service.handle(name, "PUT", "/v2/keys", keys(registration_id), kNow).status == 200);
  }

  relay::Outcome send(const std::string& from, const std::string& to, int registration_id,
                      std::int64_t now) {
    return service.handle(from, "PUT", "/v1/messages/" + to, message(registration_id), now);
  }
};

std::string host_name(int i) { return "host-" + std::to_string(i); }

}  // namespace

TEST_CASE("one sender writing to many recipients at once is not refused") {
  Fixture f;
  REQUIRE(f.migrated);
  f.host("gvo-bot", 1);
  constexpr int kHosts = 300;
  for (int i = 0; i < kHosts; ++i) f.host(host_name(i), 100 + i);
  // 900 messages in the same millisecond: far past the old per-account burst of 200.
  int stored = 0;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < kHosts; ++i) {
      const auto sent = f.send("gvo-bot", host_name(i), 100 + i, kNow);
      INFO(sent.status << " " << sent.message);
      stored += sent.status == 200 ? 1 : 0;
    }
  }
  CHECK(stored == 3 * kHosts);
}

TEST_CASE("one pair over its limit is refused with retry_after, and other pairs are not") {
  Fixture f;
  REQUIRE(f.migrated);
  f.host("alice", 1);
  f.host("bob", 2);
  f.host("carol", 3);
  for (int i = 0; i < 200; ++i) REQUIRE(f.send("alice", "bob", 2, kNow).status == 200);
  const auto over = f.send("alice", "bob", 2, kNow);
  CHECK(over.status == 429);
  CHECK(over.message == "too many messages");
  REQUIRE(over.body.contains("retry_after"));
  CHECK(over.body.at("retry_after").get<double>() >= 1.0);
  CHECK(f.send("alice", "carol", 3, kNow).status == 200);  // the same sender, another recipient
  CHECK(f.send("carol", "bob", 2, kNow).status == 200);    // another sender, the same recipient
  // 50 a second: a token is back after 20 ms, and only one.
  CHECK(f.send("alice", "bob", 2, kNow + 20).status == 200);
  CHECK(f.send("alice", "bob", 2, kNow + 20).status == 429);
}

TEST_CASE("the ceiling per sender holds across recipients, and spends nothing when it refuses") {
  relay::RelayLimits limits;
  limits.account_sends_per_second = 10;
  limits.account_send_burst = 20;
  Fixture f(limits);
  REQUIRE(f.migrated);
  f.host("sender", 1);
  for (int i = 0; i < 25; ++i) f.host(host_name(i), 100 + i);
  for (int i = 0; i < 20; ++i) REQUIRE(f.send("sender", host_name(i), 100 + i, kNow).status == 200);
  const auto over = f.send("sender", host_name(20), 120, kNow);
  CHECK(over.status == 429);
  CHECK(over.body.at("retry_after").get<double>() >= 1.0);
  CHECK(f.send("host-0", "sender", 1, kNow).status == 200);  // other senders are not held
  CHECK(f.send("sender", host_name(21), 121, kNow + 100).status == 200);  // 10 a second
}

TEST_CASE("0 turns the send limits off") {
  relay::RelayLimits limits;
  limits.sends_per_second = 0;
  limits.account_sends_per_second = 0;
  Fixture f(limits);
  REQUIRE(f.migrated);
  f.host("alice", 1);
  f.host("bob", 2);
  for (int i = 0; i < 500; ++i) REQUIRE(f.send("alice", "bob", 2, kNow).status == 200);
  CHECK(f.service.prune(kNow) == 0);
}

TEST_CASE("the send buckets of one sender and many pairs are forgotten once full") {
  Fixture f;
  REQUIRE(f.migrated);
  // Sends to names nobody holds are refused (404), with a bucket per pair, which refills.
  for (int i = 0; i < 1000; ++i) {
    CHECK(f.send("gvo-bot", host_name(i), 1, kNow).status == 404);
  }
  // A target that cannot be an account name makes no pair bucket at all.
  CHECK(f.send("gvo-bot", "Not A Name", 1, kNow).status == 404);
  CHECK(f.service.prune(kNow) == 1 + 1000);  // the sender's own, and one per pair
  CHECK(f.service.prune(kNow + 20) == 1);    // each pair spent one token: back within 20 ms
  CHECK(f.service.prune(kNow + kHour) == 0);
}
