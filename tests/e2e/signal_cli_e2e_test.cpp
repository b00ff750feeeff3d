// gvo-bot on the signal-cli transport, as a real process, against the fake signal-cli daemon
// (tests/support/fake_signal_cli.hpp): a full intake; the daemon restarted mid-conversation with
// nothing lost and nothing done twice; a rate-limit error retried after the delay signal-cli gives;
// an identity failure for a coordinator that suspends their role.
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>

#include <catch2/catch.hpp>
#include <signal.h>

#include "tests/support/fake_signal_cli.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

using namespace std::chrono_literals;
using Json = nlohmann::json;

namespace {

const std::string kBot = GVO_BOT_PATH;
constexpr char kAccount[] = "+32400000000";

class Bot {
 public:
  // staff: `gvo-bot staff add` argument lists, run before the bot starts.
  explicit Bot(const std::vector<std::vector<std::string>>& staff = {}) {
    fake.start();
    gvo::test::write_text(dir.file("bot.json"),
                          R"({"data_dir": "bot", "sealing": {"create_key": true},
                              "test_clock_start": "2026-03-16T10:00:00Z",
                              "transport": "signal-cli", "signal_cli": {"socket": ")" +
                              dir.file("signal-cli.sock") +
                              R"(", "host_expiration_seconds": 604800}})");
    REQUIRE(gvo::test::run_to_completion(kBot, {"--config", "bot.json", "init"}, dir.path())
                .exit_code == 0);
    for (auto args : staff) {
      args.insert(args.begin(), {"--config", "bot.json", "staff", "add"});
      REQUIRE(gvo::test::run_to_completion(kBot, args, dir.path()).exit_code == 0);
    }
    daemon = gvo::test::start_ready(kBot, {"--config", "bot.json"}, dir.path(), "bot");
  }

  ~Bot() {
    if (daemon.process) {
      daemon.process->send_signal(SIGTERM);
      (void)daemon.process->wait_for_exit(5s);
    }
  }

  // A person writes to the bot.
  void say(const std::string& who, const std::string& text) {
    fake.notify(gvo::test::FakeSignalCli::text_message(who, ++clock_, text, kAccount));
  }

  // The bot sent who a message containing text (after the ones already looked at).
  void expect(const std::string& who, const std::string& text,
              std::chrono::milliseconds wait = 10s) {
    const auto end = std::chrono::steady_clock::now() + wait;
    std::string seen;
    while (std::chrono::steady_clock::now() < end) {
      const auto requests = fake.requests();
      for (std::size_t& i = looked_[who]; i < requests.size(); ++i) {
        const Json& request = requests[i];
        if (request.value("method", "") != "send") continue;
        const auto& params = request["params"];
        if (params["recipient"][0] != who) continue;
        const std::string message = params.value("message", "");
        seen += "\n---\n" + message;
        if (message.find(text) != std::string::npos) {
          ++i;
          return;
        }
      }
      std::this_thread::sleep_for(10ms);  // another process's progress: nothing to wait on
    }
    INFO("sent to " << who << ":" << seen << "\nbot log:\n" << daemon.process->stderr_text());
    FAIL("no message to " + who + " containing " + text);
  }

  // How many messages were sent to who so far.
  int sent_to(const std::string& who) {
    int count = 0;
    for (const auto& request : fake.requests()) {
      if (request.value("method", "") == "send" && request["params"]["recipient"][0] == who)
        ++count;
    }
    return count;
  }

  void intake(const std::string& who, const std::string& name) {
    say(who, "hello");
    expect(who, "How long");
    say(who, "3");
    expect(who, "Do you know the name");
    say(who, "1");
    say(who, name);
    expect(who, "other names");
    for (const char* answer : {"skip", "moroccan", "yes", "skip", "vottem", "yes", "skip", "skip",
                               "12/3", "yes", "skip", "skip", "skip", "no", "yes", "skip"}) {
      say(who, answer);
    }
    expect(who, "Here is what I noted");
    say(who, "yes");
    expect(who, "Its reference: ");
  }

  gvo::test::TempDir dir;
  gvo::test::FakeSignalCli fake{dir.file("signal-cli.sock")};
  gvo::test::ReadyDaemon daemon;

 private:
  std::int64_t clock_ = 1773655200000;  // 2026-03-16 10:00 UTC, in milliseconds
  std::map<std::string, std::size_t> looked_;
};

}  // namespace

TEST_CASE("signal-cli: a full intake; a daemon restart and a redelivery change nothing") {
  Bot bot({{"aci-coord", "coordinator", "--language", "en", "--trust-first-key"}});
  bot.fake.set_max_delay(5ms);  // answers overtake each other
  bot.say("aci-host", "hello");
  bot.expect("aci-host", "How long");
  bot.say("aci-host", "3");
  bot.expect("aci-host", "Do you know the name");
  // signal-cli restarts: the bot reconnects and the conversation goes on where it was.
  bot.fake.stop();
  std::this_thread::sleep_for(100ms);
  bot.fake.start();
  const auto end = std::chrono::steady_clock::now() + 10s;
  while (bot.fake.connections_open() == 0 && std::chrono::steady_clock::now() < end)
    std::this_thread::sleep_for(10ms);  // the bot's backoff: nothing to wait on but time
  REQUIRE(bot.fake.connections_open() == 1);
  bot.say("aci-host", "1");
  bot.expect("aci-host", "LAST NAME");
  // The same message delivered twice (same sender, same timestamp) is taken once.
  const auto again =
      gvo::test::FakeSignalCli::text_message("aci-host", 42, "BENALI Mohamed", kAccount);
  bot.fake.notify(again);
  bot.expect("aci-host", "other names");
  const int before = bot.sent_to("aci-host");
  bot.fake.notify(again);
  std::this_thread::sleep_for(300ms);
  CHECK(bot.sent_to("aci-host") == before);
  // Sync messages (the account's own devices) and typing are never taken as input.
  bot.fake.notify(
      {{"account", kAccount},
       {"envelope",
        {{"sourceUuid", "aci-host"},
         {"sourceNumber", nullptr},
         {"timestamp", 77},
         {"syncMessage", {{"sentMessage", {{"message", "skip"}, {"timestamp", 77}}}}}}}},
      true);
  for (const char* answer : {"skip", "moroccan", "yes", "skip", "vottem", "yes", "skip", "skip",
                             "12/3", "yes", "skip", "skip", "skip", "no", "yes", "skip"}) {
    bot.say("aci-host", answer);
  }
  bot.expect("aci-host", "Here is what I noted");
  bot.say("aci-host", "yes");
  bot.expect("aci-host", "Its reference: ");
  bot.expect("aci-coord", "New case");
  // Hosts' conversations disappear after a week; the coordinator's do not.
  bool host_expires = false;
  bool staff_expires = false;
  for (const auto& request : bot.fake.requests()) {
    if (request.value("method", "") != "updateContact") continue;
    CHECK(request["params"]["expiration"] == 604800);
    host_expires = host_expires || request["params"]["recipient"] == "aci-host";
    staff_expires = staff_expires || request["params"]["recipient"] == "aci-coord";
  }
  CHECK(host_expires);
  CHECK_FALSE(staff_expires);
  // The profile name was set on each connection.
  int profiles = 0;
  for (const auto& request : bot.fake.requests())
    profiles += request.value("method", "") == "updateProfile" ? 1 : 0;
  CHECK(profiles >= 2);
  const std::string log = bot.daemon.process->stderr_text();
  CHECK_THAT(log, !Catch::Matchers::Contains("BENALI"));
  CHECK_THAT(log, !Catch::Matchers::Contains("aci-host"));
}

TEST_CASE("signal-cli: a rate-limited send is retried after retryAfterSeconds, not before") {
  // Declared before the bot: the fake's thread uses them until the bot (and its fake) is gone.
  std::atomic<int> limited{0};
  std::mutex mutex;
  std::vector<std::chrono::steady_clock::time_point> attempts;
  Bot bot;
  bot.fake.set_answer([&](const Json& request) -> std::string {
    if (request.value("method", "") != "send") return {};
    std::lock_guard<std::mutex> lock(mutex);
    attempts.push_back(std::chrono::steady_clock::now());
    if (limited++ > 0) return {};
    // As in signal-cli issue #1558: every recipient rate-limited, error -5 with the delay.
    return Json{
        {"jsonrpc", "2.0"},
        {"error",
         {{"code", -5},
          {"message", "Failed to send message due to rate limiting"},
          {"data",
           {{"response",
             {{"timestamp", 1},
              {"results",
               Json::array({{{"recipientAddress",
                              {{"uuid", request["params"]["recipient"][0]}, {"number", nullptr}}},
                             {"type", "RATE_LIMIT_FAILURE"},
                             {"token", "t"},
                             {"retryAfterSeconds", 2}}})}}}}}}},
        {"id", request["id"]}}
        .dump();
  });
  bot.say("aci-host", "hello");
  const auto end = std::chrono::steady_clock::now() + 15s;
  auto count = [&] {
    std::lock_guard<std::mutex> lock(mutex);
    return attempts.size();
  };
  while (count() < 2 && std::chrono::steady_clock::now() < end)
    std::this_thread::sleep_for(20ms);  // the bot's retry: nothing to wait on but time
  std::lock_guard<std::mutex> lock(mutex);
  REQUIRE(attempts.size() >= 2);
  const auto waited =
      std::chrono::duration_cast<std::chrono::milliseconds>(attempts[1] - attempts[0]);
  CHECK(waited >= 1900ms);  // signal-cli said 2 s
  CHECK(waited < 6000ms);
}

TEST_CASE("signal-cli: an identity failure for a coordinator suspends their role") {
  Bot bot({{"aci-coord", "coordinator", "--language", "en", "--trust-first-key"},
           {"aci-coord2", "coordinator", "--language", "en", "--trust-first-key"}});
  bot.fake.set_answer([&](const Json& request) -> std::string {
    if (request.value("method", "") != "send" || request["params"]["recipient"][0] != "aci-coord")
      return {};
    return Json{{"jsonrpc", "2.0"},
                {"error",
                 {{"code", -4},
                  {"message", "Failed to send message due to untrusted identities"},
                  {"data",
                   {{"response",
                     {{"timestamp", 1},
                      {"results", Json::array({{{"recipientAddress", {{"uuid", "aci-coord"}}},
                                                {"type", "IDENTITY_FAILURE"}}})}}}}}}},
                {"id", request["id"]}}
        .dump();
  });
  bot.intake("aci-host", "BENALI Mohamed");
  bot.expect("aci-coord2", "New case");
  bot.expect("aci-coord2", "The safety key of aci-coord (coordinator) changed");
  // signal-cli is told to trust the new key; nothing more is sent to the suspended coordinator.
  bool trusted = false;
  for (const auto& request : bot.fake.requests()) {
    trusted = trusted || (request.value("method", "") == "trust" &&
                          request["params"]["recipient"] == "aci-coord");
  }
  CHECK(trusted);
  bot.fake.set_answer({});
  bot.say("aci-coord", "cases");
  bot.expect("aci-coord", "Your role is not active");
}

TEST_CASE("signal-cli: a referent is verified by the safety number signal-cli shows") {
  Bot bot({{"aci-coord", "coordinator", "--language", "en", "--trust-first-key"},
           {"aci-ref", "referent", "--centres", "vottem", "--language", "en"}});
  const std::string coordinator_number(71, '1');
  const std::string referent_number =
      "22222 33333 44444 55555 66666 77777 88888 99999 00000 "
      "12345 67890 13579";
  bot.fake.set_answer([=](const Json& request) -> std::string {
    if (request.value("method", "") != "listIdentities") return {};
    return Json{{"jsonrpc", "2.0"},
                {"result", Json::array({{{"number", nullptr},
                                         {"uuid", "aci-coord"},
                                         {"fingerprint", "05c0"},
                                         {"safetyNumber", coordinator_number},
                                         {"trustLevel", "TRUSTED_UNVERIFIED"}},
                                        {{"number", nullptr},
                                         {"uuid", "aci-ref"},
                                         {"fingerprint", "05ee"},
                                         {"safetyNumber", referent_number},
                                         {"trustLevel", "TRUSTED_UNVERIFIED"}}})},
                {"id", request["id"]}}
        .dump();
  });
  bot.say("aci-ref", "cases");  // someone new: signal-cli's identities are read again
  bot.expect("aci-ref", "Your role is not active");
  bot.say("aci-coord", "staff");
  bot.expect("aci-coord", "aci-ref · referent · vottem · unverified · " + referent_number);
  bot.say("aci-coord", "verify aci-ref 00000 11111");
  bot.expect("aci-coord", "Nothing changed");
  bot.say("aci-coord", "verify aci-ref " + referent_number);
  bot.expect("aci-coord", "aci-ref is verified");
  bot.say("aci-ref", "cases");
  bot.expect("aci-ref", "No cases.");
}
