// gvo-bot backup while the bot answers hosts, and gvo-bot restore, over the real gvo-relay and
// gvo-bot processes (issue 18, "How we will know"): the copy is taken with the bot writing, it
// passes its check (integrity, schema, key), and once restored in place of the database it holds
// every case committed before the backup began, each once. A restore while the bot runs is
// refused and changes nothing.
#include <sys/stat.h>

#include <atomic>
#include <cstdio>
#include <map>
#include <thread>

#include <catch2/catch.hpp>

#include "tests/campaign/intake_host.hpp"
#include "tests/campaign/relay_stack.hpp"

using namespace std::chrono_literals;
using namespace gvo;
using namespace gvo::campaign;

namespace {

struct Host {
  explicit Host(int index) : intake(host_name(index)) {}
  IntakeHost intake;
  std::unique_ptr<RelayPeer> peer;
};

std::unique_ptr<Host> make_host(boost::asio::io_context& io, RelayStack& stack, int index) {
  auto host = std::make_unique<Host>(index);
  Host* raw = host.get();
  const std::string account = "host-" + std::to_string(index);
  host->peer = std::make_unique<RelayPeer>(io, stack.dir().file(account + ".db"),
                                           stack.account(account), [raw](const std::string& text) {
                                             if (auto answer = raw->intake.on_message(text))
                                               raw->peer->say(*answer);
                                           });
  host->peer->start();
  host->peer->say(host->intake.first_message());
  return host;
}

bool all_finished(const std::vector<std::unique_ptr<Host>>& hosts) {
  for (const auto& host : hosts)
    if (!host->intake.finished()) return false;
  return true;
}

}  // namespace

TEST_CASE("backup: taken while hosts write, checked, and restored in place with every case") {
  boost::asio::io_context io;
  RelayStack stack;
  Coordinator coordinator(io, stack);
  coordinator.enrol(io);

  // Cases filed before the backup: each must be in it.
  std::vector<std::unique_ptr<Host>> before;
  for (int i = 0; i < 4; ++i) before.push_back(make_host(io, stack, i));
  INFO("the bot's log:\n" << stack.bot_log().substr(0, 20000));
  REQUIRE(run_until(
      io, [&] { return all_finished(before); }, 120s));

  // Hosts in the middle of their intake while the backup runs: the bot keeps writing.
  std::vector<std::unique_ptr<Host>> during;
  for (int i = 10; i < 14; ++i) during.push_back(make_host(io, stack, i));
  REQUIRE(run_until(
      io,
      [&] {
        for (const auto& host : during)
          if (host->intake.answers_sent() < 3) return false;
        return true;
      },
      60s));
  const std::string copy = stack.dir().file("gvo-bot-backup.db");
  std::atomic<bool> done{false};
  test::Completed backup;
  std::thread backing_up([&] {
    backup = stack.bot_command({"backup", "--output", copy});
    done = true;
  });
  run_until(
      io, [&] { return done.load(); }, 60s);
  backing_up.join();
  INFO("backup: " << backup.out << backup.err);
  REQUIRE(backup.exit_code == 0);
  CHECK_THAT(backup.out, Catch::Matchers::Contains("integrity ok"));
  CHECK_THAT(backup.out, Catch::Matchers::Contains("opens with the current key"));
  struct stat info {};
  REQUIRE(::stat(copy.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);

  // A second backup to the same name is refused, the first left as it is.
  const auto again = stack.bot_command({"backup", "--output", copy});
  CHECK(again.exit_code != 0);
  CHECK_THAT(again.err, Catch::Matchers::Contains("never overwritten"));

  REQUIRE(run_until(
      io, [&] { return all_finished(during); }, 120s));
  run_until(
      io, [] { return false; }, 1s);

  // Restore while the bot runs: refused (75), nothing changed.
  const auto refused = stack.bot_command({"restore", copy});
  INFO("restore while running: " << refused.out << refused.err);
  CHECK(refused.exit_code == 75);
  CHECK_THAT(refused.err, Catch::Matchers::Contains("stop gvo-bot"));
  CHECK(stack.bot_running());

  for (auto& host : before) host->peer->stop();
  for (auto& host : during) host->peer->stop();
  coordinator.peer().stop();
  REQUIRE(stack.terminate_bot() == 0);
  const auto live_cases = export_cases(stack);
  CHECK(live_cases.size() == before.size() + during.size());

  const auto restored = stack.bot_command({"restore", copy});
  INFO("restore: " << restored.out << restored.err);
  REQUIRE(restored.exit_code == 0);
  CHECK_THAT(restored.out, Catch::Matchers::Contains("is kept as"));

  std::map<std::string, int> by_reference;
  for (const auto& exported : export_cases(stack)) ++by_reference[exported.reference];
  for (const auto& host : before) {
    INFO(host->intake.name() << " " << host->intake.reference());
    CHECK(by_reference[host->intake.reference()] == 1);
  }
  // Cases filed after the backup began are not in it; none is there twice.
  for (const auto& [reference, count] : by_reference) CHECK(count == 1);
  CHECK(by_reference.size() <= before.size() + during.size());
  std::printf(
      "backup: %zu cases filed before it, %zu after it began; the restored database holds "
      "%zu cases\n",
      before.size(), during.size(), by_reference.size());

  // The bot runs on the restored database.
  stack.start_bot();
  CHECK(stack.bot_running());
  CHECK(stack.terminate_bot() == 0);
}
