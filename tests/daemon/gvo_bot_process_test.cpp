// gvo-bot as a user runs it: a real process, started in a temporary folder, its stderr read and its
// readiness received on a stand-in for systemd's notify socket.
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <regex>
#include <thread>

#include <catch2/catch.hpp>
#include <signal.h>

#include "tests/support/fake_signal_cli.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

using namespace std::chrono_literals;
using gvo::test::run_to_completion;

namespace {

const std::string kBot = GVO_BOT_PATH;
const std::string kRelay = GVO_RELAY_PATH;

// The relay the embedded defaults name (127.0.0.1:8787): the bot is ready only once it is
// connected to it as itself. Tests of this program hold a lock on that port (tests/CMakeLists.txt).
gvo::test::ReadyDaemon start_default_relay(const gvo::test::TempDir& dir) {
  return gvo::test::start_ready(kRelay, {"--listen", "127.0.0.1:8787", "--data", "relay"},
                                dir.path(), "relay");
}

struct ReadyBot {
  std::unique_ptr<gvo::test::NotifySocket> notify;
  std::unique_ptr<gvo::test::ChildProcess> child;
  std::string ready_message;
};

ReadyBot start_until_ready(const gvo::test::TempDir& dir, const std::vector<std::string>& args) {
  ReadyBot bot;
  bot.notify = std::make_unique<gvo::test::NotifySocket>(dir.file("notify.sock"));
  bot.child = std::make_unique<gvo::test::ChildProcess>(
      kBot, args, dir.path(), std::vector<std::string>{"NOTIFY_SOCKET=" + bot.notify->path()});
  const auto message = bot.notify->receive(10s);
  INFO(bot.child->stderr_text());
  REQUIRE(message.has_value());
  bot.ready_message = *message;
  return bot;
}

}  // namespace

TEST_CASE(
    "gvo-bot starts on its embedded defaults, reports ready, and exits 0 soon after SIGTERM") {
  gvo::test::TempDir dir;
  const auto relay = start_default_relay(dir);
  ReadyBot bot = start_until_ready(dir, {});
  CHECK_THAT(bot.ready_message, Catch::Matchers::Contains("READY=1"));
  // Its memory holds the sealing key: it leaves no core file, whoever started it.
  std::ifstream limits_file("/proc/" + std::to_string(bot.child->pid()) + "/limits");
  const std::string limits((std::istreambuf_iterator<char>(limits_file)),
                           std::istreambuf_iterator<char>());
  CHECK(std::regex_search(limits, std::regex("Max core file size +0 +0 ")));

  struct stat info {};
  REQUIRE(::stat(dir.file("gvo-data").c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0700);
  REQUIRE(::stat(dir.file("gvo-data/sealing.key").c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);
  REQUIRE(::stat(dir.file("gvo-data/gvo-bot.db").c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);

  const auto signalled = std::chrono::steady_clock::now();
  bot.child->send_signal(SIGTERM);
  const auto stopping = bot.notify->receive(1s);
  REQUIRE(stopping.has_value());
  CHECK_THAT(*stopping, Catch::Matchers::Contains("STOPPING=1"));
  const auto code = bot.child->wait_for_exit(1s);
  const auto took = std::chrono::steady_clock::now() - signalled;
  REQUIRE(code.has_value());
  CHECK(*code == 0);
  CHECK(took < 1s);
  const std::string log = bot.child->stderr_text();
  CHECK_THAT(log, Catch::Matchers::Contains("<5>gvo-bot: created a new sealing key"));
  CHECK_THAT(log, Catch::Matchers::Contains("<6>gvo-bot: ready"));
  CHECK_THAT(log, Catch::Matchers::Contains("<6>gvo-bot: stopping on SIGTERM"));
}

TEST_CASE("a second start reuses the key and the database, SIGINT stops it too") {
  gvo::test::TempDir dir;
  const auto relay = start_default_relay(dir);
  {
    ReadyBot first = start_until_ready(dir, {});
    first.child->send_signal(SIGINT);
    REQUIRE(first.child->wait_for_exit(2s) == 0);
  }
  const auto key = gvo::test::read_bytes(dir.file("gvo-data/sealing.key"));
  ReadyBot second = start_until_ready(dir, {});
  second.child->send_signal(SIGTERM);
  REQUIRE(second.child->wait_for_exit(2s) == 0);
  CHECK((gvo::test::read_bytes(dir.file("gvo-data/sealing.key")) == key));
  CHECK_THAT(second.child->stderr_text(), !Catch::Matchers::Contains("created a new sealing key"));
}

TEST_CASE("gvo-bot is not ready while it is not connected to the relay as itself") {
  gvo::test::TempDir dir;
  gvo::test::NotifySocket notify(dir.file("notify.sock"));
  // Nothing listens where the configuration says the relay is.
  gvo::test::write_text(dir.file("bot.json"),
                        R"({"data_dir": "bot", "sealing": {"create_key": true},
                            "relay": {"port": 9}})");
  gvo::test::ChildProcess bot(kBot, {"--config", "bot.json"}, dir.path(),
                              {"NOTIFY_SOCKET=" + notify.path()});
  CHECK_FALSE(notify.receive(3s).has_value());
  CHECK_THAT(bot.stderr_text(), !Catch::Matchers::Contains("gvo-bot: ready"));
  bot.send_signal(SIGTERM);
  CHECK(bot.wait_for_exit(2s) == 0);
}

TEST_CASE("gvo-bot prints its version and help, and refuses a bad command line") {
  gvo::test::TempDir dir;
  const auto version = run_to_completion(kBot, {"--version"}, dir.path());
  CHECK(version.exit_code == 0);
  CHECK_THAT(version.out, Catch::Matchers::StartsWith("gvo-bot 0."));
  const auto help = run_to_completion(kBot, {"--help"}, dir.path());
  CHECK(help.exit_code == 0);
  CHECK_THAT(help.out, Catch::Matchers::Contains("--check-config"));
  const auto bad = run_to_completion(kBot, {"--frobnicate"}, dir.path());
  CHECK(bad.exit_code == 64);
  CHECK_THAT(bad.err, Catch::Matchers::Contains("unknown option '--frobnicate'"));
  CHECK_THAT(bad.err, Catch::Matchers::Contains("--help"));
}

TEST_CASE("gvo-bot --check-config reports every problem of a bad file and exits 78") {
  gvo::test::TempDir dir;
  gvo::test::write_text(
      dir.file("bad.json"),
      R"({"data_dir": 3, "sealing": {"keyfile": "k"}, "log": {"level": "loud"}})");
  const auto checked =
      run_to_completion(kBot, {"--check-config", "--config", "bad.json"}, dir.path());
  CHECK(checked.exit_code == 78);
  CHECK_THAT(checked.err, Catch::Matchers::Contains("bad.json: /data_dir: expected a string"));
  CHECK_THAT(checked.err, Catch::Matchers::Contains("bad.json: /sealing/keyfile: unknown key"));
  CHECK_THAT(checked.err, Catch::Matchers::Contains("bad.json: /log/level: expected one of"));

  gvo::test::write_text(dir.file("broken.json"), "{\"data_dir\": ");
  const auto broken = run_to_completion(kBot, {"--check-config", "-c", "broken.json"}, dir.path());
  CHECK(broken.exit_code == 78);
  CHECK_THAT(broken.err, Catch::Matchers::Contains("broken.json: parse error"));

  const auto missing = run_to_completion(kBot, {"--check-config", "-c", "nope.json"}, dir.path());
  CHECK(missing.exit_code == 78);
  CHECK_THAT(missing.err, Catch::Matchers::Contains("cannot read configuration nope.json"));
  CHECK_FALSE(gvo::test::read_bytes(dir.file("gvo-data/sealing.key")).size() > 0);
}

TEST_CASE("gvo-bot --check-config accepts a good file and names the key it would use") {
  gvo::test::TempDir dir;
  gvo::test::write_text(dir.file("good.json"),
                        R"({"data_dir": "state", "sealing": {"create_key": true}})");
  const auto fresh = run_to_completion(kBot, {"--check-config", "-c", "good.json"}, dir.path());
  CHECK(fresh.exit_code == 0);
  CHECK_THAT(fresh.out, Catch::Matchers::Contains("good.json: configuration is valid"));
  CHECK_THAT(fresh.out, Catch::Matchers::Contains("will be created on first run"));

  const auto init = run_to_completion(kBot, {"init", "-c", "good.json"}, dir.path());
  REQUIRE(init.exit_code == 0);
  CHECK_THAT(init.out, Catch::Matchers::Contains("sealing key id"));
  const auto loaded = run_to_completion(kBot, {"--check-config", "-c", "good.json"}, dir.path());
  CHECK(loaded.exit_code == 0);
  CHECK_THAT(loaded.out, Catch::Matchers::Contains("loaded"));
}

TEST_CASE("key problems stop the start with a clear error and exit 78") {
  gvo::test::TempDir dir;
  gvo::test::write_text(dir.file("bot.json"), R"({"data_dir": "state"})");
  SECTION("no key and create_key off") {
    const auto run = run_to_completion(kBot, {"-c", "bot.json"}, dir.path());
    CHECK(run.exit_code == 78);
    CHECK_THAT(run.err,
               Catch::Matchers::Contains("<3>gvo-bot: sealing key not found: state/sealing.key"));
  }
  SECTION("a key readable by others") {
    REQUIRE(run_to_completion(kBot, {"init", "-c", "bot.json"}, dir.path()).exit_code == 0);
    REQUIRE(::chmod(dir.file("state/sealing.key").c_str(), 0644) == 0);
    const auto run = run_to_completion(kBot, {"-c", "bot.json"}, dir.path());
    CHECK(run.exit_code == 78);
    CHECK_THAT(run.err, Catch::Matchers::Contains("chmod 600 state/sealing.key"));
  }
  SECTION("another key for an existing database") {
    REQUIRE(run_to_completion(kBot, {"init", "-c", "bot.json"}, dir.path()).exit_code == 0);
    const auto database = gvo::test::read_bytes(dir.file("state/gvo-bot.db"));
    REQUIRE(::unlink(dir.file("state/sealing.key").c_str()) == 0);
    gvo::test::write_text(dir.file("state/sealing.key"), std::string(64, 'a') + "\n");
    const auto run = run_to_completion(kBot, {"-c", "bot.json"}, dir.path());
    CHECK(run.exit_code == 78);
    CHECK_THAT(run.err, Catch::Matchers::Contains("sealing key does not match this database"));
    CHECK((gvo::test::read_bytes(dir.file("state/gvo-bot.db")) == database));
  }
  SECTION("a lost key is never replaced while its database exists") {
    REQUIRE(run_to_completion(kBot, {"init", "-c", "bot.json"}, dir.path()).exit_code == 0);
    REQUIRE(::unlink(dir.file("state/sealing.key").c_str()) == 0);
    const auto run = run_to_completion(kBot, {"init", "-c", "bot.json"}, dir.path());
    CHECK(run.exit_code == 78);
    CHECK_THAT(run.err, Catch::Matchers::Contains("a new key could never open it"));
    CHECK(gvo::test::read_bytes(dir.file("state/sealing.key")).empty());
  }
}

TEST_CASE("a key from a systemd credential is used as is") {
  gvo::test::TempDir dir;
  REQUIRE(::mkdir(dir.file("credentials").c_str(), 0700) == 0);
  gvo::test::write_text(dir.file("credentials/gvo-sealing-key"), std::string(64, 'b') + "\n", 0400);
  gvo::test::write_text(dir.file("bot.json"),
                        R"({"data_dir": "state", "sealing": {"credential": "gvo-sealing-key"}})");
  const std::vector<std::string> env{"CREDENTIALS_DIRECTORY=" + dir.file("credentials")};
  const auto init = run_to_completion(kBot, {"init", "-c", "bot.json"}, dir.path(), env);
  CHECK(init.exit_code == 0);
  const auto without = run_to_completion(kBot, {"init", "-c", "bot.json"}, dir.path());
  CHECK(without.exit_code == 78);
  CHECK_THAT(without.err, Catch::Matchers::Contains("LoadCredential="));
}

TEST_CASE("the example configurations of deploy/ are valid and read their key from a credential") {
  gvo::test::TempDir dir;
  REQUIRE(::mkdir(dir.file("credentials").c_str(), 0700) == 0);
  gvo::test::write_text(dir.file("credentials/gvo-sealing-key"), std::string(64, 'c') + "\n", 0400);
  for (const char* name : {"gvo-bot.example.json", "gvo-bot.signal-cli.example.json"}) {
    const std::string example = std::string(GVO_SOURCE_ROOT) + "/deploy/" + name;
    const auto checked =
        run_to_completion(kBot, {"--check-config", "--config", example}, dir.path(),
                          {"CREDENTIALS_DIRECTORY=" + dir.file("credentials")});
    INFO(name << ": " << checked.err);
    CHECK(checked.exit_code == 0);
    CHECK_THAT(checked.out, Catch::Matchers::Contains("configuration is valid"));
  }
}

TEST_CASE("gvo-bot flows check accepts the shipped files and reports each problem of a bad one") {
  gvo::test::TempDir dir;
  const std::string defs = std::string(GVO_SOURCE_ROOT) + "/flows/defs/";
  const auto good = run_to_completion(kBot,
                                      {"flows", "check", defs + "demo.json", defs + "messages.json",
                                       defs + "centres.json", defs + "nationalities.json"},
                                      dir.path());
  CHECK(good.exit_code == 0);
  CHECK_THAT(good.out, Catch::Matchers::Contains("demo.json: ok (flow demo version 1"));
  CHECK_THAT(good.out, Catch::Matchers::Contains("centres.json: ok (directory of 5 centres)"));

  gvo::test::write_text(dir.file("broken.json"),
                        R"({"format": 1, "id": "x", "version": 1, "languages": ["fr", "ar"],
                            "start": "a", "nodes": {"a": {"type": "say", "text": {"fr": "Salut"},
                            "next": "b"}, "c": {"type": "end"}}})");
  gvo::test::write_text(dir.file("notes.json"), R"({"hello": "world"})");
  const auto bad = run_to_completion(
      kBot, {"flows", "check", "broken.json", "notes.json", "missing.json"}, dir.path());
  CHECK(bad.exit_code == 65);
  CHECK_THAT(bad.err,
             Catch::Matchers::Contains("broken.json: /nodes/a/text/ar: missing translation"));
  CHECK_THAT(bad.err, Catch::Matchers::Contains("broken.json: /nodes/a/next: unknown node 'b'"));
  CHECK_THAT(bad.err, Catch::Matchers::Contains("broken.json: /nodes/c: unreachable from /start"));
  CHECK_THAT(bad.err, Catch::Matchers::Contains("notes.json: /: expected a flow or data file"));
  CHECK_THAT(bad.err, Catch::Matchers::Contains("missing.json: cannot read"));
}

TEST_CASE("gvo-bot doctor says what is well and what is wrong, with an exit status by severity") {
  gvo::test::TempDir dir;
  gvo::test::write_text(dir.file("bot.json"), R"({"data_dir": "state"})");
  const auto doctor = [&] {
    return run_to_completion(kBot, {"doctor", "-c", "bot.json"}, dir.path());
  };
  REQUIRE(run_to_completion(kBot, {"init", "-c", "bot.json"}, dir.path()).exit_code == 0);

  SECTION("a new installation with its relay: warnings only (nobody receives the cases)") {
    const auto relay = start_default_relay(dir);
    const auto run = doctor();
    INFO(run.out << run.err);
    CHECK(run.exit_code == 1);
    CHECK_THAT(run.out, Catch::Matchers::Contains("ok       database: integrity ok"));
    CHECK_THAT(run.out, Catch::Matchers::Contains(
                            "warning  transport: the bot's relay secret is not made yet"));
    CHECK_THAT(run.out, Catch::Matchers::Contains("the relay at ws://127.0.0.1:8787 is reachable"));
    CHECK_THAT(run.out, Catch::Matchers::Contains("warning  staff: no active member"));
    CHECK_THAT(run.out, Catch::Matchers::Contains("ok       sealing key: id"));

    // Once the bot has logged in, doctor asks the relay whether it takes that login, beside the
    // running bot, whose connection stays.
    ReadyBot bot = start_until_ready(dir, {"-c", "bot.json"});
    const auto running = doctor();
    INFO(running.out);
    CHECK_THAT(running.out,
               Catch::Matchers::Contains("ok       transport: the relay at ws://127.0.0.1:8787 "
                                         "takes the bot's login as gvo-bot"));
    std::this_thread::sleep_for(500ms);
    CHECK_THAT(bot.child->stderr_text(), !Catch::Matchers::Contains("relay: the connection ended"));

    // Another database's secret for the same account: the relay refuses it, and doctor says what
    // to do.
    bot.child->send_signal(SIGTERM);
    REQUIRE(bot.child->wait_for_exit(5s).has_value());
    gvo::test::write_text(dir.file("other.json"), R"({"data_dir": "other"})");
    REQUIRE(run_to_completion(kBot, {"init", "-c", "other.json"}, dir.path()).exit_code == 0);
    REQUIRE(run_to_completion(kBot, {"relay-claim", "NOT-A-CODE", "-c", "other.json"}, dir.path())
                .exit_code != 0);  // it made its own secret, which the relay does not take
    const auto refused = run_to_completion(kBot, {"doctor", "-c", "other.json"}, dir.path());
    INFO(refused.out);
    CHECK(refused.exit_code == 2);
    CHECK_THAT(refused.out, Catch::Matchers::Contains(
                                "error    transport: the relay refused the login as gvo-bot (401"));
  }
  SECTION("no relay, a key others can read, a damaged database: errors, each with what to do") {
    REQUIRE(::chmod(dir.file("state/sealing.key").c_str(), 0644) == 0);
    auto bytes = gvo::test::read_bytes(dir.file("state/gvo-bot.db"));
    REQUIRE(bytes.size() > 8192);
    for (std::size_t at = 4096; at < bytes.size(); ++at) bytes[at] = 0x5a;
    gvo::test::write_text(dir.file("state/gvo-bot.db"), std::string(bytes.begin(), bytes.end()));
    const auto run = doctor();
    INFO(run.out << run.err);
    CHECK(run.exit_code == 2);
    CHECK_THAT(run.out, Catch::Matchers::Contains("error    sealing key:"));
    CHECK_THAT(run.out, Catch::Matchers::Contains("chmod 600"));
    CHECK_THAT(run.out, Catch::Matchers::Contains("error    database:"));
    CHECK_THAT(run.out, Catch::Matchers::Contains("gvo-bot restore"));
    CHECK_THAT(run.out, Catch::Matchers::Contains("error    transport: "));
    CHECK_THAT(run.out,
               Catch::Matchers::Contains("the relay at ws://127.0.0.1:8787 cannot be reached"));
  }
}

TEST_CASE("gvo-bot doctor asks signal-cli whether it holds the bot's account") {
  gvo::test::TempDir dir;
  gvo::test::write_text(dir.file("bot.json"), R"({"data_dir": "state", "transport": "signal-cli",
    "signal_cli": {"socket": "signal-cli.sock", "account": "+32470000001"}})");
  REQUIRE(run_to_completion(kBot, {"init", "-c", "bot.json"}, dir.path()).exit_code == 0);
  const auto doctor = [&] {
    return run_to_completion(kBot, {"doctor", "-c", "bot.json"}, dir.path());
  };
  const auto absent = doctor();
  INFO(absent.out);
  CHECK(absent.exit_code == 2);
  CHECK_THAT(absent.out, Catch::Matchers::Contains("error    transport: signal-cli at "));
  CHECK_THAT(absent.out, Catch::Matchers::Contains("does not answer"));

  gvo::test::FakeSignalCli daemon(dir.file("signal-cli.sock"));
  daemon.multi_account({"+32470000009"});
  daemon.start();
  const auto other = doctor();
  INFO(other.out);
  CHECK(other.exit_code == 2);
  CHECK_THAT(other.out,
             Catch::Matchers::Contains("does not hold signal_cli.account (+32470000001)"));

  daemon.multi_account({"+32470000009", "+32470000001"});
  const auto held = doctor();
  INFO(held.out);
  CHECK_THAT(held.out, Catch::Matchers::Contains("ok       transport: signal-cli at "));
  CHECK_THAT(held.out, Catch::Matchers::Contains("holds the bot's account"));
}
