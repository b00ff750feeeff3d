// gvo-flood-bench: what a flood leaves of the bot's answers. Prints figures; judges nothing.
//  1. spread senders at the desk (a real store, the real flows, an injected clock): N senders
//     each writing once a second (each under its own limit), a new host's French intake in the
//     middle of it (a message every 5 s): the share of the host's messages answered (not "write
//     again"), and the p99 time until the reply is queued (desk and store, one durable commit);
//     with fair sharing, then without it (no floors: everyone's budget as one wall, as before);
//  2. garbage from new accounts through a real gvo-relay into the bot's Messenger: accounts
//     sending undecryptable envelopes as fast as the relay lets them while a coordinator sends a
//     command every 100 ms: the p50 / p99 / max time from the relay storing the command to the
//     bot taking it in, with staff priority and without it; and the rows the garbage left;
//     then garbage queued while the bot was away (200 per account, the relay's burst) and a
//     coordinator's command behind it: how long after the bot is back the command is taken.
//   gvo-flood-bench [SPREAD_SENDERS] [GARBAGE_SECONDS] [GARBAGE_ACCOUNTS]   (35, 10, 10)
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <thread>

#include <boost/asio/steady_timer.hpp>

#include "bot/desk/desk.hpp"
#include "bot/desk/flow_set.hpp"
#include "tests/bench/reference_bits.hpp"
#include "tests/transport/relay_flood.hpp"

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

using namespace gvo;

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto at = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(at, values.size() - 1)];
}

// --- 1. Spread senders at the desk ---------------------------------------------------------

struct DeskFigures {
  int sent = 0;
  int answered = 0;
  double p99_ms = 0;
  std::uint64_t busy_answers = 0;
};

DeskFigures spread_senders(const desk::FlowSet& flows, int senders,
                           const cases::RateLimitSettings& limits) {
  test::TempDir dir;
  storage::Store store = test::open_store(dir.file("bot.db"));
  std::vector<std::pair<std::string, std::string>> sent;
  desk::Desk desk(
      store, flows, "intake",
      [&](const std::string& address, const std::string& text,
          storage::Audience) -> storage::Result<void> {
        sent.emplace_back(address, text);
        return {};
      },
      bench::counting_reference_bits(),
      [](const std::string&) { return std::optional<desk::Identity>(); }, core::RetentionConfig{},
      limits);
  std::vector<std::string> intake;
  {
    std::ifstream in(std::string(GVO_SOURCE_ROOT) +
                     "/tests/desk/transcripts/01_fr_full_intake.txt");
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("host> ", 0) == 0) intake.push_back(line.substr(6));
    }
  }
  const std::string busy = flows.desk.text("host.busy", "fr");
  auto write = [&](const std::string& address, const std::string& text, flows::TimePoint at) {
    const auto done = store.db().transact(
        [&]() -> storage::Result<void> { return desk.on_message(address, text, at); });
    if (!done) throw std::runtime_error("a message was refused: " + describe(done.error()));
  };
  DeskFigures figures;
  std::vector<double> reply_ms;
  flows::TimePoint now = std::chrono::system_clock::time_point(std::chrono::hours(24 * 20500));
  const flows::TimePoint host_from = now + 60s;
  flows::TimePoint host_at = host_from;
  std::size_t next = 0;
  // One commit for each part of the flood's second (as the transport groups them).
  auto flood_part = [&](int from, int to, flows::TimePoint second) {
    auto group = store.db().begin_group();
    if (!group) throw std::runtime_error("begin");
    for (int i = from; i < to; ++i) {
      write("flooder " + std::to_string(i), "bonjour",
            second + std::chrono::milliseconds(i * 1000 / senders));
    }
    if (!group->commit()) throw std::runtime_error("commit");
  };
  for (; next < intake.size(); now += 1s) {
    if (now < host_at) {
      flood_part(0, senders, now);
      continue;
    }
    // The host between two flooders, in a commit of its own.
    const int half = senders / 2;
    flood_part(0, half, now);
    const std::size_t mark = sent.size();
    const auto started = Clock::now();
    write("host", intake[next], now + std::chrono::milliseconds(half * 1000 / senders) - 1ms);
    reply_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - started).count());
    for (std::size_t k = mark; k < sent.size(); ++k) {
      if (sent[k].first != "host") continue;
      // A stranger is told in every language, French among them.
      const bool told = sent[k].second.find(busy) != std::string::npos;
      figures.answered += !told;
      figures.busy_answers += told;
      break;
    }
    ++figures.sent;
    ++next;
    host_at = now + 5s;
    flood_part(half, senders, now);
  }
  figures.p99_ms = percentile(reply_ms, 0.99);
  return figures;
}

// --- 2. Garbage through the relay ----------------------------------------------------------

struct RelayFigures {
  std::vector<double> latency_ms;
  std::uint64_t garbage_taken = 0;
  std::int64_t peers = 0;
  std::int64_t seen = 0;
};

RelayFigures garbage_flood(int seconds, int accounts, bool staff_first) {
  test::RelayOnLoopback relay;
  boost::asio::io_context bot_io;
  test::BotOnRelay bot(bot_io, relay, {"coordinator"}, staff_first);
  bot.messenger().start();
  if (!test::run_until(
          bot_io, [&] { return bot.ready(); }, 10s))
    throw std::runtime_error("the bot did not connect");

  // The flood and the coordinator on a thread of their own, with their own loop.
  std::mutex mutex;
  std::map<std::int64_t, Clock::time_point> stored_at;  // command timestamp -> stored
  std::map<std::int64_t, Clock::time_point> taken_at;
  std::atomic<bool> flooding{true};
  std::atomic<int> commands{0};
  std::thread flood([&] {
    boost::asio::io_context io;
    test::SignalSender coordinator(io, relay, "coordinator");
    const std::uint32_t registration = coordinator.start_session_with("bot");
    // Before the senders: their pending answers are given up (status 0) as they go.
    std::vector<int> in_flight(static_cast<std::size_t>(accounts), 0);
    std::vector<std::unique_ptr<test::RelaySender>> senders;
    for (int a = 0; a < accounts; ++a)
      senders.push_back(
          std::make_unique<test::RelaySender>(io, relay.account("flood-" + std::to_string(a))));
    std::mt19937 random(11);
    // Each account at 45 a second (the relay lets one send 50 a second), 20 in flight at most.
    std::int64_t stamp = 1;
    boost::asio::steady_timer tick(io);
    std::function<void()> pump = [&] {
      for (std::size_t a = 0; a < senders.size(); ++a) {
        if (in_flight[a] >= 20) continue;
        ++in_flight[a];
        senders[a]->send("bot", registration, stamp % 2 == 0 ? 3 : 1,
                         test::random_bytes(random, 120), stamp,
                         [&in_flight, a](int) { --in_flight[a]; });
        ++stamp;
      }
      if (!flooding) return;
      tick.expires_after(std::chrono::microseconds(22000));
      tick.async_wait([&](const boost::system::error_code& ec) {
        if (!ec) pump();
      });
    };
    pump();
    boost::asio::steady_timer command_timer(io);
    std::int64_t command = 1000000000;
    std::function<void()> next_command = [&] {
      const std::int64_t id = ++command;
      coordinator.send("bot", registration, "help", id, false, [&, id](int status) {
        if (status != 200) return;
        std::lock_guard<std::mutex> lock(mutex);
        stored_at[id] = Clock::now();
        ++commands;
      });
      if (!flooding) return;
      command_timer.expires_after(100ms);
      command_timer.async_wait([&](const boost::system::error_code& ec) {
        if (!ec) next_command();
      });
    };
    next_command();
    const auto until = Clock::now() + std::chrono::seconds(seconds);
    while (Clock::now() < until) io.run_for(50ms);
    flooding = false;
    tick.cancel();
    command_timer.cancel();
    io.run_for(500ms);
  });

  bot.on_received([&](const transport::Inbound& inbound) {
    if (inbound.peer != "coordinator") return;
    std::lock_guard<std::mutex> lock(mutex);
    taken_at[inbound.sent_at_ms] = Clock::now();
  });
  while (flooding) bot_io.run_for(50ms);
  flood.join();
  // What is still queued for the bot drains (the commands included).
  test::run_until(
      bot_io,
      [&] {
        std::lock_guard<std::mutex> lock(mutex);
        return taken_at.size() >= stored_at.size();
      },
      120s);
  RelayFigures figures;
  for (const auto& [id, at] : stored_at) {
    const auto taken = taken_at.find(id);
    if (taken == taken_at.end()) continue;
    // The relay's 200 can come after the delivery: never below zero.
    figures.latency_ms.push_back(
        std::max(0.0, std::chrono::duration<double, std::milli>(taken->second - at).count()));
  }
  figures.garbage_taken = bot.messenger().status().undecryptable;
  figures.peers = test::count_rows(bot.store(), "peers");
  figures.seen = test::count_rows(bot.store(), "inbound_seen");
  bot.messenger().stop();
  return figures;
}

// The case: garbage queued while the bot was away, then a coordinator's command; the bot
// comes back. How long until the command is taken, and until all the garbage is.
struct BacklogFigures {
  int queued = 0;
  double command_ms = 0;
  double drained_ms = 0;
};

BacklogFigures garbage_backlog(int accounts, bool staff_first) {
  test::RelayOnLoopback relay;
  boost::asio::io_context io;
  test::BotOnRelay bot(io, relay, {"coordinator"}, staff_first);
  bot.messenger().start();
  if (!test::run_until(
          io, [&] { return bot.ready(); }, 10s))
    throw std::runtime_error("the bot did not connect");
  bot.messenger().stop();
  BacklogFigures figures;
  int answered = 0;
  auto count = [&](int status) {
    ++answered;
    figures.queued += status == 200;
  };
  test::SignalSender coordinator(io, relay, "coordinator");
  const std::uint32_t registration = coordinator.start_session_with("bot");
  std::vector<std::unique_ptr<test::RelaySender>> senders;
  std::mt19937 random(5);
  const int each = 200;  // the relay's burst for one account
  for (int a = 0; a < accounts; ++a) {
    senders.push_back(
        std::make_unique<test::RelaySender>(io, relay.account("queued-" + std::to_string(a))));
    for (int i = 0; i < each; ++i) {
      senders.back()->send("bot", registration, i % 2 == 0 ? 3 : 1, test::random_bytes(random, 120),
                           1 + i, count);
    }
  }
  if (!test::run_until(
          io, [&] { return answered == accounts * each; }, 120s))
    throw std::runtime_error("the garbage was not all queued");
  bool stored = false;
  coordinator.send("bot", registration, "help", 99, false,
                   [&](int status) { stored = status == 200; });
  test::run_until(
      io, [&] { return stored; }, 10s);
  bool taken = false;
  bot.on_received(
      [&](const transport::Inbound& inbound) { taken = taken || inbound.peer == "coordinator"; });
  const auto started = Clock::now();
  bot.messenger().start();
  const auto& status = bot.messenger().status();
  test::run_until(
      io, [&] { return taken; }, 300s);
  figures.command_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
  test::run_until(
      io, [&] { return status.undecryptable >= static_cast<std::uint64_t>(figures.queued); }, 300s);
  figures.drained_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
  bot.messenger().stop();
  return figures;
}

}  // namespace

int main(int argc, char** argv) {
  const int senders = argc > 1 ? std::atoi(argv[1]) : 35;
  const int seconds = argc > 2 ? std::atoi(argv[2]) : 10;
  const int accounts = argc > 3 ? std::atoi(argv[3]) : 10;
  if (senders < 1 || seconds < 1 || accounts < 1) {
    std::fprintf(stderr, "usage: gvo-flood-bench [SPREAD_SENDERS] [GARBAGE_SECONDS] [ACCOUNTS]\n");
    return 64;
  }
  try {
    const auto flows = desk::load_flows(std::string(GVO_SOURCE_ROOT) + "/flows/defs");
    cases::RateLimitSettings unfair;
    unfair.heavy_floor = 0;
    unfair.stranger_floor = 0;
    for (const auto& [name, limits] :
         {std::pair{"fair sharing", cases::RateLimitSettings{}}, std::pair{"one wall", unfair}}) {
      const auto figures = spread_senders(*flows, senders, limits);
      std::printf(
          "desk, %d spread senders at 1/s, %-12s: host answered %d/%d (%.0f%%), told to write "
          "again %llu, reply queued p99 %.2f ms\n",
          senders, name, figures.answered, figures.sent,
          100.0 * figures.answered / std::max(figures.sent, 1),
          static_cast<unsigned long long>(figures.busy_answers), figures.p99_ms);
    }
    for (const bool staff_first : {true, false}) {
      const auto figures = garbage_flood(seconds, accounts, staff_first);
      std::printf(
          "relay, %d garbage accounts for %d s, staff %-6s: %llu garbage taken, coordinator "
          "command p50 %.1f ms, p99 %.1f ms, max %.1f ms (%zu commands); rows left: %lld "
          "peers, %lld inbound_seen\n",
          accounts, seconds, staff_first ? "first" : "in turn",
          static_cast<unsigned long long>(figures.garbage_taken),
          percentile(figures.latency_ms, 0.5), percentile(figures.latency_ms, 0.99),
          percentile(figures.latency_ms, 1.0), figures.latency_ms.size(),
          static_cast<long long>(figures.peers), static_cast<long long>(figures.seen));
    }
    for (const bool staff_first : {true, false}) {
      const auto figures = garbage_backlog(accounts, staff_first);
      std::printf(
          "relay, %d garbage envelopes queued, then a coordinator's command, staff %-6s: "
          "command taken after %.0f ms, all garbage after %.0f ms (%.0f a second)\n",
          figures.queued, staff_first ? "first" : "in turn", figures.command_ms, figures.drained_ms,
          1000.0 * figures.queued / std::max(figures.drained_ms, 1.0));
    }
  } catch (const std::exception& error) {
    std::fprintf(stderr, "gvo-flood-bench: %s\n", error.what());
    return 1;
  }
  return 0;
}
