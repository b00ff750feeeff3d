// Rotating the sealing key as the README says, over real processes on loopback (gvo-relay, gvo-bot,
// gvo-chat clients): a new key_file, the old one in retired_key_files, one start, then the old
// key file destroyed. The staff member and the host who wrote before are still answered, on their
// existing sessions, and the staff commands find the member.
#include <fstream>
#include <random>

#include <catch2/catch.hpp>
#include <signal.h>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

using namespace std::chrono_literals;

namespace {

const std::string kRelay = GVO_RELAY_PATH;
const std::string kBot = GVO_BOT_PATH;
const std::string kChat = GVO_CHAT_PATH;

struct Stack {
  gvo::test::TempDir dir;
  gvo::test::ReadyDaemon relay;
  gvo::test::ReadyDaemon bot;
  std::string port;
  int bot_starts = 0;

  gvo::test::Completed bot_command(std::vector<std::string> args) {
    args.insert(args.begin(), {"--config", "bot.json"});
    return gvo::test::run_to_completion(kBot, args, dir.path());
  }

  void write_config(const std::string& sealing) {
    gvo::test::write_text(dir.file("bot.json"), "{\"data_dir\": \"bot\", \"sealing\": " + sealing +
                                                    ", \"relay\": {\"port\": " + port + "}}");
  }

  void start_bot() {
    bot = gvo::test::start_ready(kBot, {"--config", "bot.json"}, dir.path(),
                                 "bot" + std::to_string(++bot_starts));
  }

  void stop_bot() {
    bot.process->send_signal(SIGTERM);
    REQUIRE(bot.process->wait_for_exit(10s) == 0);
  }

  std::unique_ptr<gvo::test::ChildProcess> chat(const std::string& account,
                                                const std::string& script) {
    const std::string name = account + std::to_string(++scripts);
    gvo::test::write_text(dir.file(name + ".txt"), script);
    return std::make_unique<gvo::test::ChildProcess>(
        kChat,
        std::vector<std::string>{"--relay", "127.0.0.1:" + port, "--data", account, "--account",
                                 account, "--script", name + ".txt", "--timeout", "60"},
        dir.path());
  }
  int scripts = 0;
};

std::string random_key_hex() {
  std::random_device random;
  std::string hex;
  static constexpr char kDigits[] = "0123456789abcdef";
  for (int i = 0; i < 64; ++i) hex += kDigits[random() % 16];
  return hex + "\n";
}

}  // namespace

TEST_CASE("after a rotation as the README says, existing staff and hosts are answered") {
  Stack stack;
  stack.relay = gvo::test::start_ready(
      kRelay, {"--listen", "127.0.0.1:0", "--port-file", "port", "--data", "relay"},
      stack.dir.path(), "relay");
  std::ifstream(stack.dir.file("port")) >> stack.port;
  REQUIRE_FALSE(stack.port.empty());
  stack.write_config(R"({"create_key": true})");
  const auto init = stack.bot_command({"init"});
  REQUIRE(init.exit_code == 0);
  const auto id_at = init.out.find("sealing key id ");
  REQUIRE(id_at != std::string::npos);
  const std::string old_id = init.out.substr(id_at + 15, 8);
  const auto added =
      stack.bot_command({"staff", "add", "coord", "coordinator", "--language", "en"});
  INFO(added.err);
  REQUIRE(added.exit_code == 0);
  const std::string code = added.out.substr(0, added.out.find('\n'));

  // Before: the member enrols, the host starts an intake.
  stack.start_bot();
  auto coord = stack.chat("coord", "> enrol " + code + "\n<* You are enrolled\n");
  REQUIRE(coord->wait_for_exit(60s) == 0);
  auto host = stack.chat(
      "host-1", "> Hello, my friend was arrested\n<* How long have you been without news\n");
  REQUIRE(host->wait_for_exit(60s) == 0);
  stack.stop_bot();

  // The README's steps: a new key file, the old one listed as retired, --check-config.
  gvo::test::write_text(stack.dir.file("bot/new.key"), random_key_hex(), 0600);
  stack.write_config(R"({"key_file": "new.key", "retired_key_files": ["sealing.key"]})");
  const auto database = gvo::test::read_bytes(stack.dir.file("bot/gvo-bot.db"));
  const auto pending = stack.bot_command({"--check-config"});
  INFO(pending.out << pending.err);
  REQUIRE(pending.exit_code == 0);
  CHECK_THAT(pending.out, Catch::Matchers::Contains("rotation pending: the database is sealed "
                                                    "with key id " +
                                                    old_id));
  CHECK((gvo::test::read_bytes(stack.dir.file("bot/gvo-bot.db")) == database));  // read only

  stack.start_bot();  // re-keys, then runs
  CHECK(stack.bot.process->wait_for_stderr("sealing key rotated from id " + old_id, 10s));
  stack.stop_bot();
  const auto done = stack.bot_command({"--check-config"});
  CHECK_THAT(done.out, Catch::Matchers::Contains("the retired keys are no longer needed"));

  // The old key is destroyed; the new one alone opens everything.
  REQUIRE(::unlink(stack.dir.file("bot/sealing.key").c_str()) == 0);
  stack.write_config(R"({"key_file": "new.key"})");
  const auto listed = stack.bot_command({"staff", "list"});
  INFO(listed.err);
  REQUIRE(listed.exit_code == 0);
  CHECK_THAT(listed.out, Catch::Matchers::StartsWith("coord\tcoordinator"));
  CHECK_THAT(listed.out, Catch::Matchers::Contains("active"));

  stack.start_bot();
  auto coord_after = stack.chat("coord", "> help\n<* Commands:\n");
  auto host_after = stack.chat("host-1", "> 3\n<* Do you know the name\n");
  CHECK(coord_after->wait_for_exit(60s) == 0);
  CHECK(host_after->wait_for_exit(60s) == 0);
  INFO(stack.bot.process->stderr_text());
  stack.stop_bot();

  const auto removed = stack.bot_command({"staff", "remove", "coord"});
  INFO(removed.err);
  CHECK(removed.exit_code == 0);
  CHECK_THAT(stack.bot_command({"staff", "list"}).out, !Catch::Matchers::Contains("coord"));
}

TEST_CASE("a rotation without the old key is refused, naming what to do, and changes nothing") {
  gvo::test::TempDir dir;
  gvo::test::write_text(dir.file("bot.json"),
                        R"({"data_dir": "bot", "sealing": {"create_key": true}})");
  REQUIRE(gvo::test::run_to_completion(kBot, {"init", "-c", "bot.json"}, dir.path()).exit_code ==
          0);
  gvo::test::write_text(dir.file("bot/new.key"), random_key_hex(), 0600);
  gvo::test::write_text(dir.file("bot.json"),
                        R"({"data_dir": "bot", "sealing": {"key_file": "new.key"}})");
  const auto database = gvo::test::read_bytes(dir.file("bot/gvo-bot.db"));
  const auto checked =
      gvo::test::run_to_completion(kBot, {"--check-config", "-c", "bot.json"}, dir.path());
  CHECK(checked.exit_code == 78);
  CHECK_THAT(checked.err, Catch::Matchers::Contains("retired_key_files"));
  const auto run =
      gvo::test::run_to_completion(kBot, {"staff", "list", "-c", "bot.json"}, dir.path());
  CHECK(run.exit_code == 78);
  CHECK_THAT(run.err, Catch::Matchers::Contains("retired_key_files"));
  CHECK((gvo::test::read_bytes(dir.file("bot/gvo-bot.db")) == database));
}
