// The bot's Messenger against a real gvo-relay on loopback, under garbage from accounts it has
// never heard of: nothing of them is kept (no peer, no dedup row, no identity: the relay deletes
// an envelope once told, so an unreadable one needs no row), and a coordinator's envelope queued
// behind them is taken first (staff priority before decryption).
#include <catch2/catch.hpp>

#include "tests/transport/relay_flood.hpp"

using namespace std::chrono_literals;
using namespace gvo;

namespace {

constexpr int kGarbageAccounts = 3;
constexpr int kGarbageEach = 20;  // with the spoiled ones, under the relay's 64 in flight
constexpr int kSpoiled = 3;

struct Seen {
  int staff_messages = 0;
  std::uint64_t undecryptable_before_staff = 0;
};

// The bot uploads its keys, goes away; garbage, then a coordinator's "help", are queued for it;
// it comes back. What it saw.
Seen flood_then_staff(test::RelayOnLoopback& relay, test::BotOnRelay& bot,
                      boost::asio::io_context& io) {
  bot.messenger().start();
  REQUIRE(test::run_until(
      io, [&] { return bot.ready(); }, 10s));
  bot.messenger().stop();

  std::mt19937 random(7);
  int stored = 0;
  auto count = [&](int status) { stored += status == 200 ? 1 : 0; };
  test::SignalSender coordinator(io, relay, "coordinator");
  test::SignalSender spoiler(io, relay, "spoiler");
  const std::uint32_t registration = coordinator.start_session_with("bot");
  (void)spoiler.start_session_with("bot");
  std::vector<std::unique_ptr<test::RelaySender>> garbage;
  for (int a = 0; a < kGarbageAccounts; ++a) {
    garbage.push_back(
        std::make_unique<test::RelaySender>(io, relay.account("garbage-" + std::to_string(a))));
    for (int i = 0; i < kGarbageEach; ++i) {
      garbage.back()->send("bot", registration, i % 2 == 0 ? 3 : 1,
                           test::random_bytes(random, 80 + static_cast<std::size_t>(i)), 1000 + i,
                           count);
    }
  }
  // Ciphertexts that parse, and fail only at the MAC: libsignal has done its work by then.
  for (int i = 0; i < kSpoiled; ++i)
    spoiler.send("bot", registration, "not for you", 5000 + i, true, count);
  const int garbage_total = kGarbageAccounts * kGarbageEach + kSpoiled;
  REQUIRE(test::run_until(
      io, [&] { return stored == garbage_total; }, 20s));
  coordinator.send("bot", registration, "help", 9000, false, count);
  REQUIRE(test::run_until(
      io, [&] { return stored == garbage_total + 1; }, 10s));

  Seen seen;
  bot.on_received([&](const transport::Inbound& inbound) {
    if (inbound.peer != "coordinator") return;
    ++seen.staff_messages;
    seen.undecryptable_before_staff = bot.messenger().status().undecryptable;
  });
  bot.messenger().start();
  const auto& status = bot.messenger().status();
  REQUIRE(test::run_until(
      io,
      [&] {
        return seen.staff_messages == 1 &&
               status.undecryptable == static_cast<std::uint64_t>(garbage_total);
      },
      20s));
  return seen;
}

}  // namespace

TEST_CASE("messenger: garbage from unknown accounts leaves nothing, and staff are taken first") {
  test::RelayOnLoopback relay;
  boost::asio::io_context io;
  test::BotOnRelay bot(io, relay, {"coordinator"});
  const auto identities_before = test::count_rows(bot.store(), "signal_identities");
  const Seen seen = flood_then_staff(relay, bot, io);

  // Only the coordinator, whose message was read, is known to the bot.
  CHECK(test::count_rows(bot.store(), "peers") == 1);
  CHECK(test::count_rows(bot.store(), "inbound_seen") == 1);
  CHECK(test::count_rows(bot.store(), "signal_identities") == identities_before + 1);
  // Behind 63 garbage envelopes (the relay sends 64 at once), the coordinator's is taken before
  // most of them (none, as a rule: a quarter allows for a slow machine). Under ASan + UBSan the
  // relay hands them over slower than the bot reads and drops them, so most garbage is gone
  // before the coordinator's frame even arrives (46 to 59 of 63 in runs here): there it is
  // reported, not judged; the plain build judges it.
#if defined(__SANITIZE_ADDRESS__)
  if (seen.undecryptable_before_staff > 16)
    WARN("under sanitizers " << seen.undecryptable_before_staff << " garbage envelopes went first");
#else
  CHECK(seen.undecryptable_before_staff <= 16);
#endif
  CHECK(bot.messenger().status().taken_first == 1);
}

TEST_CASE("messenger, control: without staff priority the coordinator waits behind the garbage") {
  test::RelayOnLoopback relay;
  boost::asio::io_context io;
  test::BotOnRelay bot(io, relay, {"coordinator"}, false);
  const Seen seen = flood_then_staff(relay, bot, io);
  CHECK(seen.undecryptable_before_staff == kGarbageAccounts * kGarbageEach + kSpoiled);
  CHECK(test::count_rows(bot.store(), "peers") == 1);
}
