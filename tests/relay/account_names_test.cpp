// The pure rules of relay accounts: which names a new account may take, the look-alike skeleton,
// and how a typed claim code is read.
#include "bot/relay/account_names.hpp"

#include <algorithm>
#include <optional>

#include <catch2/catch.hpp>

#include "bot/relay/claim_code.hpp"

namespace {

using namespace gvo::relay;

}  // namespace

TEST_CASE("new account names are [a-z0-9][a-z0-9._-]{0,63}") {
  struct Case {
    std::string name;
    bool allowed;
  };
  const Case cases[] = {
      {"gvo-bot", true},
      {"ref-merksplas", true},
      {"host-12", true},
      {"a", true},
      {"0", true},
      {"a.b_c-d", true},
      {std::string(64, 'x'), true},
      {std::string(65, 'x'), false},
      {"", false},
      {"-gvo", false},
      {".gvo", false},
      {"_gvo", false},
      {"GVO-bot", false},
      {"gvo bot", false},
      {"gvo/bot", false},
      {"gvo:bot", false},
      {"gvö", false},
      {std::string("gvo\0bot", 7), false},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    CHECK(is_new_account_name(c.name) == c.allowed);
  }
}

TEST_CASE("names older relays accepted can still be looked up") {
  CHECK(is_account_name("Alice"));
  CHECK(is_account_name("_old-name"));
  CHECK(is_account_name("gvo.bot"));
  CHECK_FALSE(is_account_name("al ice"));
  CHECK_FALSE(is_account_name(""));
  CHECK_FALSE(is_account_name(std::string(65, 'a')));
}

TEST_CASE("look-alike names share a skeleton, different names do not") {
  struct Case {
    const char* a;
    const char* b;
    bool alike;
  };
  const Case cases[] = {
      {"gvo-bot", "gvo-b0t", true},
      {"gvo-bot", "GVO-bot", true},
      {"gvo-bot", "gvo_bot", true},
      {"gvo-bot", "gvobot", true},
      {"gvo-bot", "gvo-bot.", true},
      {"gvo-bot", "g.v.o.b.o.t", true},
      {"ref-merksplas", "ref-merkspIas", true},
      {"ref-merksplas", "ref-merkspias", true},
      {"ref-merksplas", "ref-merksp1as", true},
      {"ref-merksplas", "ref-rnerksplas", true},
      {"coordinator", "coord1nator", true},
      {"vvim", "wim", true},
      {"seem", "5e3m", true},
      {"host-12", "host1-2", true},  // alike, but both self-registered: allowed (accounts_test)
      {"gvo-bot", "gvo-bat", false},
      {"gvo-bot", "gvo-bots", false},
      {"ref-merksplas", "ref-vottem", false},
      {"rn", "n", false},
      {"host-12", "host-13", false},
  };
  for (const Case& c : cases) {
    INFO(c.a << " / " << c.b);
    CHECK((skeleton(c.a) == skeleton(c.b)) == c.alike);
  }
  CHECK(skeleton("GVO-B0t") == "gvobot");
  CHECK(skeleton("rnrn") == "mm");
  CHECK(skeleton("rrn") == "rm");
}

TEST_CASE("claim codes are twelve Crockford digits, read forgivingly") {
  CHECK(format_claim_code(0) == "0000-0000-0000");
  CHECK(format_claim_code(~std::uint64_t{0}) == "ZZZZ-ZZZZ-ZZZZ");  // only the low 60 bits
  CHECK(format_claim_code(std::uint64_t{1} << 60) == "0000-0000-0000");
  CHECK(format_claim_code(0x123456789ABCDEF) == "28T5-CY4T-QKFF");
  struct Case {
    std::string typed;
    std::optional<std::string> canonical;
  };
  const Case cases[] = {
      {"1ABC-DEFG-HJKM", "1ABCDEFGHJKM"}, {"1abc-defg-hjkm", "1ABCDEFGHJKM"},
      {"1abcdefghjkm", "1ABCDEFGHJKM"},   {" 1abc defg hjkm ", "1ABCDEFGHJKM"},
      {"oabc-defg-hjki", "0ABCDEFGHJK1"},  // O read as 0, I and L as 1
      {"labc-defg-hjkm", "1ABCDEFGHJKM"}, {"1ABC-DEFG-HJK", std::nullopt},  // too short
      {"1ABC-DEFG-HJKMN", std::nullopt},                                    // too long
      {"1ABC-DEFG-HJKU", std::nullopt},                                     // U is not a digit
      {"1ABC-DEFG-HJK!", std::nullopt},   {"", std::nullopt},
  };
  for (const Case& c : cases) {
    INFO(c.typed);
    CHECK(canonical_claim_code(c.typed) == c.canonical);
  }
  for (std::uint64_t bits : {std::uint64_t{0}, std::uint64_t{0xFEDCBA987654321}}) {
    const std::string code = format_claim_code(bits);
    auto without_dashes = code;
    without_dashes.erase(std::remove(without_dashes.begin(), without_dashes.end(), '-'),
                         without_dashes.end());
    CHECK(canonical_claim_code(code) == without_dashes);
  }
}
