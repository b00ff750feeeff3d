// The relay's flood bookkeeping on its own (issue 13): connection counts per address and in
// total, new-account buckets, forgetting them afterwards, and the log budget. Pure: the clock is
// passed in.
#include "bot/relay/flood_guard.hpp"

#include <catch2/catch.hpp>

namespace {

using gvo::relay::Admit;
using gvo::relay::FloodGuard;
using gvo::relay::FloodLimits;
using gvo::relay::LogBudget;

constexpr std::int64_t kNow = 1'773'655'200'000;

FloodLimits small_limits() {
  FloodLimits limits;
  limits.max_connections = 10;
  limits.max_connections_per_address = 4;
  limits.max_refusing = 2;
  limits.new_accounts_per_address_per_minute = 3;
  limits.new_accounts_per_minute = 5;
  return limits;
}

}  // namespace

TEST_CASE("connections past an address's limit are refused 429, past the total 503") {
  FloodGuard guard(small_limits());
  for (int i = 0; i < 4; ++i) CHECK(guard.connection_opened("10.0.0.1").admit == Admit::open);
  const auto over = guard.connection_opened("10.0.0.1");
  CHECK(over.admit == Admit::refuse);
  CHECK(over.refusal.status == 429);
  CHECK(over.refusal.reason == "too many connections from this address");
  CHECK(over.refusal.retry_after_s > 0);
  for (int i = 0; i < 4; ++i) CHECK(guard.connection_opened("10.0.0.2").admit == Admit::open);
  CHECK(guard.connection_opened("10.0.0.3").admit == Admit::open);
  CHECK(guard.connection_opened("10.0.0.3").admit == Admit::open);
  CHECK(guard.connections() == 10);
  const auto full = guard.connection_opened("10.0.0.4");
  CHECK(full.admit == Admit::refuse);
  CHECK(full.refusal.status == 503);
  CHECK(full.refusal.reason == "relay full, try again later");
  // Two refusals are in progress now; a third is closed without a word.
  CHECK(guard.connection_opened("10.0.0.4").admit == Admit::drop);
  guard.refusal_closed();
  CHECK(guard.connection_opened("10.0.0.4").admit == Admit::refuse);
  // One connection goes: its address may connect again.
  guard.connection_closed("10.0.0.1");
  CHECK(guard.connection_opened("10.0.0.1").admit == Admit::open);
  for (int i = 0; i < 4; ++i) guard.connection_closed("10.0.0.1");
  for (int i = 0; i < 4; ++i) guard.connection_closed("10.0.0.2");
  for (int i = 0; i < 2; ++i) guard.connection_closed("10.0.0.3");
  CHECK(guard.connections() == 0);
  CHECK(guard.tracked_addresses() == 0);
}

TEST_CASE("new accounts are limited per address and relay-wide, and a refusal costs no token") {
  FloodGuard guard(small_limits());
  for (int i = 0; i < 3; ++i) CHECK_FALSE(guard.take_new_account("10.0.0.1", kNow));
  const auto over = guard.take_new_account("10.0.0.1", kNow);
  REQUIRE(over);
  CHECK(over->status == 429);
  CHECK(over->reason == "too many new accounts from this address, try again in a minute");
  // 3 a minute: one more every 20 seconds.
  CHECK(guard.take_new_account("10.0.0.1", kNow + 19'000));
  CHECK_FALSE(guard.take_new_account("10.0.0.1", kNow + 21'000));
}

TEST_CASE("past the relay-wide new-account limit everyone gets 503, at no cost to their own") {
  FloodGuard guard(small_limits());
  for (int i = 1; i <= 5; ++i)
    CHECK_FALSE(guard.take_new_account("10.0.1." + std::to_string(i), kNow));
  for (int i = 0; i < 3; ++i) {
    const auto busy = guard.take_new_account("10.0.0.6", kNow);
    REQUIRE(busy);
    CHECK(busy->status == 503);
    CHECK(busy->reason == "too many new accounts on this relay right now, try again in a minute");
  }
  // 13 s refill one relay-wide token (5 a minute) but only 0.65 of 10.0.0.6's own (3 a minute):
  // it gets in only if the three refusals took nothing from its bucket.
  CHECK_FALSE(guard.take_new_account("10.0.0.6", kNow + 13'000));
}

TEST_CASE("after a flood from many addresses, pruning forgets every address again") {
  FloodLimits limits = small_limits();
  limits.new_accounts_per_minute = 0;  // off: each address takes one of its own
  FloodGuard guard(limits);
  for (int i = 0; i < 1000; ++i) {
    const std::string address = "10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250);
    (void)guard.take_new_account(address, kNow);
    if (guard.connection_opened(address).admit == Admit::open) guard.connection_closed(address);
  }
  CHECK(guard.tracked_addresses() == 1000);
  guard.prune(kNow + 5'000);  // buckets not yet full again
  CHECK(guard.tracked_addresses() == 1000);
  guard.prune(kNow + 120'000);
  CHECK(guard.tracked_addresses() == 0);
}

TEST_CASE("the log budget lets 20 lines through a window, then one summary line") {
  LogBudget budget(20, 10'000);
  int logged = 0;
  for (int i = 0; i < 5000; ++i) {
    if (budget.admit(i % 2 == 0 ? "refused 429" : "refused 503", kNow + i)) ++logged;
  }
  CHECK(logged == 20);
  CHECK_FALSE(budget.summary(kNow + 9'000));  // the window is not over
  const auto summary = budget.summary(kNow + 10'000);
  REQUIRE(summary);
  CHECK(*summary ==
        "4980 more like these in the last 10 s, not logged one by one: 2490 x refused 429; 2490 "
        "x refused 503");
  CHECK_FALSE(budget.summary(kNow + 30'000));  // nothing held back since
  CHECK(budget.admit("refused 429", kNow + 30'000));
}
