// The rate limits' scheduler, pure, on an injected clock: per-sender buckets, everyone's budget
// shared fairly (the lighter sender draws deeper; strangers never reach the part kept for people
// with a conversation or a case), staff apart, and the "write again in a minute" answer once per
// sender per window within a budget of its own.
#include "bot/cases/rate_limit.hpp"

#include <string>

#include <catch2/catch.hpp>

namespace {

using gvo::cases::Admission;
using gvo::cases::RateLimits;
using gvo::cases::RateLimitSettings;
using gvo::cases::Standing;
using TimePoint = RateLimits::TimePoint;
using std::chrono::milliseconds;
using std::chrono::seconds;

const TimePoint kStart = TimePoint(std::chrono::hours(24 * 20000));

struct Flood {
  int flooders = 35;
  Standing flooder_standing = Standing::known;
  milliseconds flooder_gap{1000};  // each flooder, one message this often
  seconds warm_up{120};            // the flood alone, before the host writes
  int host_messages = 24;
  seconds host_gap{5};
};

// How many of the host's messages got through a flood of spread senders, each under its limit.
int host_admitted(RateLimits& limits, const Flood& flood, Standing host_standing) {
  int admitted = 0;
  int host_sent = 0;
  TimePoint next_host = kStart + flood.warm_up;
  const milliseconds step = flood.flooder_gap / flood.flooders;
  int turn = 0;
  for (TimePoint now = kStart; host_sent < flood.host_messages; now += step) {
    // The flooders in turn, each at one message per flooder_gap.
    const int who = turn++ % flood.flooders;
    (void)limits.admit("flooder " + std::to_string(who), flood.flooder_standing, now);
    if (now >= next_host) {
      // Its first message as a stranger (nothing saved yet), then known.
      const Standing standing = host_sent == 0 ? host_standing : Standing::known;
      if (limits.admit("host", standing, now).admitted) ++admitted;
      ++host_sent;
      next_host += flood.host_gap;
    }
  }
  return admitted;
}

}  // namespace

TEST_CASE("rate limits: a sender's own bucket, then a message a second") {
  RateLimits limits;
  int admitted = 0;
  for (int i = 0; i < 100; ++i) admitted += limits.admit("a", Standing::known, kStart).admitted;
  CHECK(admitted == 60);
  CHECK_FALSE(limits.admit("a", Standing::known, kStart + milliseconds(500)).admitted);
  CHECK(limits.admit("a", Standing::known, kStart + seconds(1)).admitted);
  // Another sender is not held back by the first one's bucket.
  CHECK(limits.admit("b", Standing::stranger, kStart).admitted);
}

TEST_CASE("rate limits: 35 spread senders at their limit do not silence a host mid-intake") {
  SECTION("known flooders, the host a stranger at first") {
    RateLimits limits;
    CHECK(host_admitted(limits, Flood{}, Standing::stranger) == 24);
  }
  SECTION("stranger flooders") {
    RateLimits limits;
    Flood flood;
    flood.flooder_standing = Standing::stranger;
    CHECK(host_admitted(limits, flood, Standing::stranger) == 24);
  }
  SECTION("the host's intake starts early in the flood") {
    RateLimits limits;
    Flood flood;
    flood.warm_up = seconds(30);
    CHECK(host_admitted(limits, flood, Standing::stranger) == 24);
  }
  SECTION("a heavier flood: 200 senders, one message every 2 s each") {
    RateLimits limits;
    Flood flood;
    flood.flooders = 200;
    flood.flooder_gap = milliseconds(2000);
    CHECK(host_admitted(limits, flood, Standing::known) == 24);
  }
  SECTION("control: with fair sharing off (no floors) the same flood silences the host") {
    RateLimitSettings unfair;
    unfair.heavy_floor = 0;
    unfair.stranger_floor = 0;
    RateLimits limits(unfair);
    CHECK(host_admitted(limits, Flood{}, Standing::known) < 12);
  }
}

TEST_CASE("rate limits: the flood still gets everyone's rate, no more") {
  RateLimits limits;
  int admitted = 0;
  const int flooders = 35;
  // Ten minutes of 35 messages a second (warm: the burst is spent after the first 40 s or so).
  for (int tick = 0; tick < 600 * flooders; ++tick) {
    const TimePoint now = kStart + milliseconds(tick * 1000 / flooders);
    const bool counted = tick >= 300 * flooders;
    const bool in =
        limits.admit("f" + std::to_string(tick % flooders), Standing::known, now).admitted;
    if (counted && in) ++admitted;
  }
  // The last five minutes: 20 a second (everyone_per_minute 1200), give or take a few.
  CHECK(admitted >= 300 * 20 - 20);
  CHECK(admitted <= 300 * 20 + 20);
}

TEST_CASE("rate limits: strangers cannot take the part kept for known senders") {
  RateLimits limits;
  // A flood of new accounts, each writing once: they stop at stranger_floor (90 of 600).
  int strangers_in = 0;
  for (int i = 0; i < 2000; ++i)
    strangers_in += limits.admit("new " + std::to_string(i), Standing::stranger, kStart).admitted;
  CHECK(strangers_in == 600 - 90);
  // Known senders still find tokens, down to the bottom for the light ones.
  int known_in = 0;
  for (int i = 0; i < 90; ++i)
    known_in += limits.admit("host " + std::to_string(i), Standing::known, kStart).admitted;
  CHECK(known_in >= 80);
  // Then the refill goes to them first: strangers wait until the kept part is full again.
  CHECK_FALSE(limits.admit("new again", Standing::stranger, kStart + seconds(1)).admitted);
  CHECK(limits.admit("host 0", Standing::known, kStart + seconds(1)).admitted);
  // Staff have their own budget.
  CHECK(limits.admit("coordinator", Standing::staff, kStart).admitted);
}

TEST_CASE("rate limits: staff are never held back by everyone's budget") {
  RateLimits limits;
  for (int i = 0; i < 5000; ++i)
    (void)limits.admit("h" + std::to_string(i), Standing::known, kStart);
  int admitted = 0;
  for (int i = 0; i < 120; ++i) admitted += limits.admit("staff", Standing::staff, kStart).admitted;
  CHECK(admitted == 120);
  CHECK_FALSE(limits.admit("staff", Standing::staff, kStart).admitted);  // their own limit
}

TEST_CASE("rate limits: a dropped sender is told once per window") {
  RateLimits limits;
  for (int i = 0; i < 60; ++i) REQUIRE(limits.admit("a", Standing::known, kStart).admitted);
  const Admission first = limits.admit("a", Standing::known, kStart);
  CHECK_FALSE(first.admitted);
  CHECK(first.tell_busy);
  // Still over its limit within the window: dropped, not told again.
  for (int i = 1; i < 59; ++i) {
    const Admission again = limits.admit("a", Standing::known, kStart + milliseconds(i * 10));
    CHECK_FALSE(again.admitted);
    CHECK_FALSE(again.tell_busy);
  }
  // Spend the tokens refilled meanwhile, then a drop after the window is told again.
  TimePoint later = kStart + seconds(61);
  while (limits.admit("a", Standing::known, later).admitted) {
  }
  const Admission after_window = limits.admit("a", Standing::known, later);
  CHECK_FALSE(after_window.admitted);
  CHECK_FALSE(after_window.tell_busy);  // the drop just before this one was told
  const auto report = limits.report(later, seconds(10));
  REQUIRE(report);
  CHECK(report->told_total == 2);
  CHECK(report->dropped_total == report->dropped);
}

TEST_CASE("rate limits: the busy answers have a budget of their own") {
  RateLimits limits;
  // Drain everyone's budget, then a flood of new accounts: each would be told once.
  for (int i = 0; i < 600; ++i)
    (void)limits.admit("k" + std::to_string(i), Standing::known, kStart);
  int told = 0;
  for (int i = 0; i < 5000; ++i) {
    const TimePoint now = kStart + milliseconds(i * 12);  // a minute, 83 a second
    told += limits.admit("new " + std::to_string(i), Standing::stranger, now).tell_busy;
  }
  // busy_burst 60, then busy_per_minute 60: about 120 in the minute, never thousands.
  CHECK(told >= 100);
  CHECK(told <= 121);
}

TEST_CASE("rate limits: a report now and then, only after drops") {
  RateLimits limits;
  CHECK_FALSE(limits.report(kStart, seconds(10)));
  for (int i = 0; i < 70; ++i) (void)limits.admit("a", Standing::known, kStart);
  auto first = limits.report(kStart, seconds(10));
  REQUIRE(first);
  CHECK(first->dropped == 10);
  CHECK(first->told == 1);
  (void)limits.admit("a", Standing::known, kStart);
  CHECK_FALSE(limits.report(kStart + seconds(9), seconds(10)));
  auto second = limits.report(kStart + seconds(10), seconds(10));
  REQUIRE(second);
  CHECK(second->dropped == 1);
  CHECK(second->dropped_total == 11);
}

TEST_CASE("rate limits: no more senders are tracked than allowed") {
  RateLimitSettings settings;
  settings.max_tracked_senders = 100;
  RateLimits limits(settings);
  for (int i = 0; i < 1000; ++i)
    (void)limits.admit("s" + std::to_string(i), Standing::stranger, kStart + seconds(i));
  CHECK(limits.tracked_senders() == 100);
}

TEST_CASE("rate limits: a flood of strangers cannot spend a known host's busy answer") {
  RateLimitSettings closed;
  closed.everyone_burst = 0.5;  // nothing but staff gets through: every message is dropped
  closed.everyone_per_minute = 0;
  RateLimits limits(closed);
  int told = 0;
  for (int i = 0; i < 5000; ++i) {
    const TimePoint now = kStart + milliseconds(i / 5);
    told += limits.admit("new " + std::to_string(i), Standing::stranger, now).tell_busy;
  }
  // Strangers stop at stranger_floor of the busy budget (9 of 60, give or take its refill).
  CHECK(told >= 50);
  CHECK(told <= 52);
  CHECK(limits.admit("host", Standing::known, kStart + seconds(1)).tell_busy);
  CHECK_FALSE(limits.admit("one more", Standing::stranger, kStart + seconds(1)).tell_busy);
}
