// Provisioned relay accounts at the service level (issue 12): a name reserved by the admin is
// claimed once with its one-time code, and nobody can take it, or a name that reads like it, by
// connecting first. The clock is injected (now_ms); the database is a real one in a temporary
// folder.
#include "bot/relay/accounts.hpp"

#include <algorithm>
#include <cctype>

#include <catch2/catch.hpp>

#include "bot/core/base64.hpp"
#include "bot/relay/relay_service.hpp"
#include "tests/storage/storage_support.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using namespace gvo;
using relay::Accounts;
using relay::AccountState;

constexpr std::int64_t kNow = 1'773'655'200'000;  // 16 March 2026, 10:00 UTC
constexpr std::int64_t kHour = 3600 * 1000;
constexpr std::int64_t kValid = 72 * kHour;

const std::string kSecret = "the-bot-secret-of-enough-length";
const std::string kOtherSecret = "an-attacker-secret-of-length";

std::string basic(const std::string& account, const std::string& secret) {
  const std::string text = account + ":" + secret;
  return "Basic " + core::base64_encode(std::vector<std::uint8_t>(text.begin(), text.end()));
}

struct Fixture {
  test::TempDir dir;
  storage::Database db = test::open_test_database(dir.file("relay.db"));
  bool migrated = storage::migrate(db, relay::RelayService::migrations()).ok();
  Accounts open{db, true};
  Accounts closed{db, false};

  std::string add(const std::string& name, bool reset = false, std::int64_t now = kNow) {
    auto issued = open.add(name, kValid, reset, now);
    INFO((issued ? "" : issued.error().detail));
    REQUIRE(issued.ok());
    return issued->code;
  }

  relay::Admission connect(const std::string& name, const std::string& secret,
                           const std::string& code = "", std::int64_t now = kNow,
                           Accounts* accounts = nullptr) {
    return (accounts != nullptr ? *accounts : open).authenticate(basic(name, secret), code, now);
  }

  AccountState state_of(const std::string& name) {
    auto listed = open.list();
    REQUIRE(listed.ok());
    const auto it = std::find_if(listed->begin(), listed->end(),
                                 [&](const relay::AccountInfo& info) { return info.name == name; });
    REQUIRE(it != listed->end());
    return it->state;
  }
};

bool admitted(const relay::Admission& admission) {
  return std::holds_alternative<relay::Admitted>(admission);
}

// The refusal's status and body, or 0 and nothing when let in.
std::pair<int, std::string> refusal(const relay::Admission& admission) {
  if (const auto* refused = std::get_if<relay::Refusal>(&admission)) {
    return {refused->status, refused->reason};
  }
  return {0, ""};
}

const std::pair<int, std::string> kWrongSecret{401, "wrong secret"};
const std::pair<int, std::string> kClaimWrong{403, "claim code wrong or expired"};
const std::pair<int, std::string> kTooClose{403, "name too close to a reserved account"};
const std::pair<int, std::string> kNotAllowed{403, "name not allowed"};
const std::pair<int, std::string> kNotProvisioned{
    403, "account not provisioned on this relay (its admin: gvo-relay accounts add NAME)"};

}  // namespace

TEST_CASE("a reserved account is claimed with its code, then logs in with its secret") {
  Fixture f;
  REQUIRE(f.migrated);
  const std::string code = f.add("gvo-bot");
  CHECK(code.size() == 14);
  CHECK(f.state_of("gvo-bot") == AccountState::reserved);

  const auto claimed = f.connect("gvo-bot", kSecret, code);
  REQUIRE(admitted(claimed));
  CHECK(std::get<relay::Admitted>(claimed).account == "gvo-bot");
  CHECK(std::get<relay::Admitted>(claimed).claimed_now);
  CHECK(f.state_of("gvo-bot") == AccountState::claimed);

  // Later connections: the secret, with or without the (now ignored) header.
  const auto again = f.connect("gvo-bot", kSecret);
  REQUIRE(admitted(again));
  CHECK_FALSE(std::get<relay::Admitted>(again).claimed_now);
  CHECK(admitted(f.connect("gvo-bot", kSecret, "anything at all")));
  // The code is spent: with another secret it opens nothing.
  CHECK(refusal(f.connect("gvo-bot", kOtherSecret, code)) == kWrongSecret);
  CHECK(refusal(f.connect("gvo-bot", kOtherSecret)) == kWrongSecret);
}

TEST_CASE("the code is accepted in lowercase and without its dashes") {
  Fixture f;
  std::string code = f.add("coordinator");
  code.erase(std::remove(code.begin(), code.end(), '-'), code.end());
  std::transform(code.begin(), code.end(), code.begin(),
                 [](char c) { return static_cast<char>(std::tolower(c)); });
  CHECK(admitted(f.connect("coordinator", kSecret, code)));
}

TEST_CASE("an attacker connecting first as a reserved account is refused") {
  Fixture f;
  const std::string code = f.add("gvo-bot");
  // No header: refused, and not counted (a client that knows nothing of claims would burn it).
  for (int i = 0; i < Accounts::kMaxClaimFailures + 2; ++i) {
    CHECK(refusal(f.connect("gvo-bot", kOtherSecret)) == kClaimWrong);
  }
  CHECK(refusal(f.connect("gvo-bot", kOtherSecret, "0000-0000-0000")) == kClaimWrong);
  CHECK(refusal(f.connect("gvo-bot", kOtherSecret, "not a code")) == kClaimWrong);
  CHECK(f.state_of("gvo-bot") == AccountState::reserved);
  // The real claim still works (two wrong codes counted, fewer than ten).
  CHECK(admitted(f.connect("gvo-bot", kSecret, code)));
  CHECK(refusal(f.connect("gvo-bot", kOtherSecret)) == kWrongSecret);
}

TEST_CASE("ten wrong codes burn the claim") {
  Fixture f;
  const std::string code = f.add("gvo-bot");
  const std::string wrong = code == "0000-0000-0000" ? "0000-0000-0001" : "0000-0000-0000";
  for (int i = 0; i < Accounts::kMaxClaimFailures - 1; ++i) {
    const auto refused = f.connect("gvo-bot", kOtherSecret, wrong);
    CHECK(refusal(refused) == kClaimWrong);
    CHECK(std::get<relay::Refusal>(refused).detail.find(std::to_string(i + 1) + " of 10") !=
          std::string::npos);
  }
  SECTION("nine are not enough") { CHECK(admitted(f.connect("gvo-bot", kSecret, code))); }
  SECTION("the tenth burns it: the right code no longer works") {
    CHECK(refusal(f.connect("gvo-bot", kOtherSecret, wrong)) == kClaimWrong);
    CHECK(refusal(f.connect("gvo-bot", kSecret, code)) == kClaimWrong);
    CHECK(f.state_of("gvo-bot") == AccountState::reserved);
    // The admin issues a new one.
    const std::string fresh = f.add("gvo-bot");
    CHECK(admitted(f.connect("gvo-bot", kSecret, fresh)));
  }
}

TEST_CASE("an expired code is refused") {
  Fixture f;
  const std::string code = f.add("gvo-bot");
  CHECK(refusal(f.connect("gvo-bot", kSecret, code, kNow + kValid)) == kClaimWrong);
  CHECK(refusal(f.connect("gvo-bot", kSecret, code, kNow + kValid + kHour)) == kClaimWrong);
  CHECK(admitted(f.connect("gvo-bot", kSecret, code, kNow + kValid - 1)));
}

TEST_CASE("adding a reserved name again issues a new code and voids the old one") {
  Fixture f;
  const std::string old_code = f.add("gvo-bot");
  const std::string new_code = f.add("gvo-bot");
  CHECK(new_code != old_code);
  CHECK(refusal(f.connect("gvo-bot", kSecret, old_code)) == kClaimWrong);
  CHECK(admitted(f.connect("gvo-bot", kSecret, new_code)));
}

TEST_CASE("a claimed account is added again only with reset, which drops its secret and keys") {
  Fixture f;
  REQUIRE(admitted(f.connect("gvo-bot", kSecret, f.add("gvo-bot"))));
  relay::RelayService service(f.db, true);
  const relay::Json keys = {
      {"registration_id", 7},
      {"identity_key", "BQ" + std::string(42, 'A')},
      {"signed_pre_key",
       {{"id", 1},
        {"public_key", "BQ" + std::string(42, 'A')},
        {"signature", std::string(86, 'A') + "=="}}},
      {"pre_keys", {{{"id", 1}, {"public_key", "BQ" + std::string(42, 'A')}}}}};
  REQUIRE(service.handle("gvo-bot", "PUT", "/v2/keys", keys, kNow).status == 200);
  REQUIRE(service.handle("gvo-bot", "GET", "/v2/keys", {}, kNow).body.value("count", 0) == 1);

  auto refused = f.open.add("gvo-bot", kValid, false, kNow);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.code() == relay::AccountError::in_use);
  CHECK(admitted(f.connect("gvo-bot", kSecret)));  // untouched

  const std::string code = f.add("gvo-bot", true);
  CHECK(f.state_of("gvo-bot") == AccountState::reserved);
  CHECK(refusal(f.connect("gvo-bot", kSecret)) == kClaimWrong);  // the old secret is gone
  CHECK(service.handle("gvo-bot", "GET", "/v2/keys", {}, kNow).body.value("count", 1) == 0);
  CHECK(service.handle("carol", "GET", "/v2/keys/gvo-bot", {}, kNow).status == 404);
  CHECK(admitted(f.connect("gvo-bot", "the-new-device-secret-000", code)));
}

TEST_CASE("a self-registered account is taken over only with reset") {
  Fixture f;
  REQUIRE(admitted(f.connect("coordinator", kOtherSecret)));  // came first, before provisioning
  CHECK(f.state_of("coordinator") == AccountState::self_registered);
  auto refused = f.open.add("coordinator", kValid, false, kNow);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.code() == relay::AccountError::in_use);
  const std::string code = f.add("coordinator", true);
  CHECK(refusal(f.connect("coordinator", kOtherSecret)) == kClaimWrong);
  CHECK(admitted(f.connect("coordinator", kSecret, code)));
  CHECK(f.state_of("coordinator") == AccountState::claimed);
}

TEST_CASE("look-alikes of provisioned accounts cannot self-register, those of hosts can") {
  Fixture f;
  f.add("gvo-bot");
  REQUIRE(admitted(f.connect("ref-merksplas", kSecret, f.add("ref-merksplas"))));
  struct Case {
    const char* name;
    std::pair<int, std::string> refused;
  };
  const Case cases[] = {
      {"gvo-b0t", kTooClose},        {"gvo_bot", kTooClose},   {"gvobot", kTooClose},
      {"gvo-bot.", kTooClose},       {"gvo.b0t", kTooClose},   {"ref-merksp1as", kTooClose},
      {"ref-rnerksplas", kTooClose}, {"GVO-bot", kNotAllowed}, {"ref-merkspIas", kNotAllowed},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    CHECK(refusal(f.connect(c.name, kOtherSecret)) == c.refused);
  }
  // Capitals are refused for new names; their skeleton matches as well (a relay that accepted
  // them would still refuse the look-alike).
  CHECK(relay::skeleton("ref-merkspIas") == relay::skeleton("ref-merksplas"));
  CHECK(relay::skeleton("GVO-bot") == relay::skeleton("gvo-bot"));

  // Among self-registered hosts, look-alikes are fine.
  CHECK(admitted(f.connect("host-12", kSecret)));
  CHECK(admitted(f.connect("host1-2", kOtherSecret)));
  CHECK(admitted(f.connect("gvo-bat", kSecret)));
  CHECK(f.state_of("host1-2") == AccountState::self_registered);
}

TEST_CASE("adding a name that reads like another provisioned account is refused") {
  Fixture f;
  f.add("gvo-bot");
  for (const char* name : {"gvo-b0t", "gvobot", "gvo_bot", "gvo-bot."}) {
    INFO(name);
    auto refused = f.open.add(name, kValid, false, kNow);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.code() == relay::AccountError::look_alike);
    CHECK(refusal(f.connect(name, kSecret)) == kTooClose);  // and was not created
  }
  // A self-registered look-alike does not stop the admin; it is pointed out.
  REQUIRE(admitted(f.connect("coord1nator", kOtherSecret)));
  auto issued = f.open.add("coordinator", kValid, false, kNow);
  REQUIRE(issued.ok());
  CHECK(issued->look_alikes == std::vector<std::string>{"coord1nator"});
  CHECK(issued->expires_at_ms == kNow + kValid);
}

TEST_CASE("names outside the rule are refused, to the admin and to self-registration") {
  Fixture f;
  for (const char* name : {"Gvo-bot", "-gvo", "gvo bot", "gvo/bot", ""}) {
    INFO(name);
    auto refused = f.open.add(name, kValid, false, kNow);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.code() == relay::AccountError::bad_name);
  }
  CHECK(refusal(f.connect("Alice", kSecret)) == kNotAllowed);
  CHECK(refusal(f.connect("_alice", kSecret)) == kNotAllowed);
  CHECK(refusal(f.connect("al ice", kSecret)) == kNotAllowed);
}

TEST_CASE("a row an older relay registered with capitals keeps working") {
  Fixture f;
  REQUIRE(f.db.exec("INSERT INTO accounts(id, secret_salt, secret_hash, created_at) VALUES "
                    "('Old_Host', x'00', x'00', 1)")
              .ok());
  // Its secret cannot match that hash, but it is looked up, not refused by its name.
  CHECK(refusal(f.connect("Old_Host", kSecret)) == kWrongSecret);
}

TEST_CASE("a closed relay refuses unknown names and serves provisioned ones") {
  Fixture f;
  const std::string code = f.add("gvo-bot");
  CHECK(refusal(f.connect("host-1", kSecret, "", kNow, &f.closed)) == kNotProvisioned);
  CHECK(refusal(f.connect("gvo-b0t", kSecret, "", kNow, &f.closed)) == kNotProvisioned);
  CHECK(admitted(f.connect("gvo-bot", kSecret, code, kNow, &f.closed)));
  CHECK(admitted(f.connect("gvo-bot", kSecret, "", kNow, &f.closed)));
  // An account self-registered while the relay was open still logs in.
  REQUIRE(admitted(f.connect("host-2", kSecret)));
  CHECK(admitted(f.connect("host-2", kSecret, "", kNow, &f.closed)));
}

TEST_CASE("missing or malformed credentials are refused with 401") {
  Fixture f;
  CHECK(refusal(f.open.authenticate("", "", kNow)).first == 401);
  CHECK(refusal(f.open.authenticate("Bearer abc", "", kNow)).first == 401);
  CHECK(refusal(f.open.authenticate("Basic !!!", "", kNow)).first == 401);
  CHECK(refusal(f.connect("host-1", "short")).first == 401);
}

TEST_CASE("remove deletes the account, its keys, claim and queued messages") {
  Fixture f;
  REQUIRE(admitted(f.connect("host-1", kSecret)));
  REQUIRE(f.db.exec("INSERT INTO envelopes(guid, destination, type, source, source_device, "
                    "client_timestamp, server_timestamp, content) VALUES "
                    "('g1', 'host-1', 1, 'gvo-bot', 1, 1, 1, x'01')")
              .ok());
  f.add("gvo-bot");
  REQUIRE(f.open.remove("host-1").ok());
  REQUIRE(f.open.remove("gvo-bot").ok());
  auto missing = f.open.remove("host-1");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.code() == relay::AccountError::not_found);
  auto count = f.db.prepare(
      "SELECT (SELECT count(*) FROM accounts) + (SELECT count(*) FROM envelopes) + "
      "(SELECT count(*) FROM claims)");
  REQUIRE(count.ok());
  REQUIRE(count->step().ok());
  CHECK(count->column_int64(0) == 0);
  // The name is free again (a host's removed pseudonym can be taken anew).
  CHECK(admitted(f.connect("host-1", kOtherSecret)));
}

TEST_CASE("the claim code is never stored, only its salted hash") {
  Fixture f;
  std::vector<std::string> codes;
  for (const char* name : {"gvo-bot", "coordinator", "ref-merksplas"}) codes.push_back(f.add(name));
  // What the write-ahead log holds, then the main file once everything is copied there.
  const auto logged = test::read_bytes(f.dir.file("relay.db-wal"));
  REQUIRE(f.db.checkpoint_truncate().ok());
  const auto stored = test::read_bytes(f.dir.file("relay.db"));
  REQUIRE(test::contains(stored, "ref-merksplas"));  // the scan sees the table's text
  REQUIRE(test::contains(logged, "ref-merksplas"));
  for (std::string code : codes) {
    INFO(code);
    std::string canonical = code;
    canonical.erase(std::remove(canonical.begin(), canonical.end(), '-'), canonical.end());
    for (const auto* bytes : {&logged, &stored}) {
      CHECK_FALSE(test::contains(*bytes, code));
      CHECK_FALSE(test::contains(*bytes, canonical));
    }
  }
}
