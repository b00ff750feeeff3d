// gvo-bot on the signal-cli transport, as a real process, against the fake signal-cli daemon
// (tests/support/fake_signal_cli.hpp): a full intake; the daemon restarted mid-conversation with
// nothing lost and nothing done twice; a rate-limit error retried after the delay signal-cli gives;
// a captcha challenge that holds every send; an identity failure for a coordinator that suspends
// their role; "typing..." between the parts of a long answer; a multi-account daemon; and what the
// real signal-cli 0.13.19 showed on a local Signal network (issue 17): a challenge or a rate limit
// without a delay, a daemon out of reach, a multi-account daemon without signal_cli.account, a
// linked device, messages it could not read, a rejected captcha.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <signal.h>

#include "bot/transport/signal_cli_transport.hpp"
#include "storage/key_files.hpp"
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
  // staff: `gvo-bot staff add` argument lists, run before the bot starts. settings: more of the
  // config's signal_cli object (`, "account": ...`).
  // identities: what listIdentities answers (by default, a key for each member of staff).
  // daemon_accounts: a daemon started without -a, holding these. ready: wait for READY=1 (else
  // the bot is started and not waited for).
  explicit Bot(const std::vector<std::vector<std::string>>& staff = {},
               const std::string& settings = "", Json identities = nullptr,
               const std::vector<std::string>& daemon_accounts = {}, bool ready = true) {
    // As deployed (deploy/signal-cli.service): --receive-mode=manual, and the bot subscribes.
    if (settings.find("on-connection") == std::string::npos)
      fake.set_receive_mode(gvo::test::FakeSignalCli::ReceiveMode::manual);
    if (identities.is_null()) {
      identities = Json::array();
      for (const auto& member : staff) {
        identities.push_back(gvo::test::FakeSignalCli::identity(
            member.at(0), static_cast<int>(identities.size()) + 10));
      }
    }
    // Read by the bot on connection, before it subscribes to messages.
    fake.set_identities(identities);
    if (!daemon_accounts.empty()) fake.multi_account(daemon_accounts);
    fake.start();
    configure(settings);
    REQUIRE(gvo::test::run_to_completion(kBot, {"--config", "bot.json", "init"}, dir.path())
                .exit_code == 0);
    for (auto args : staff) {
      const std::string address = args.at(0);
      args.insert(args.begin(), {"--config", "bot.json", "staff", "add"});
      const auto added = gvo::test::run_to_completion(kBot, args, dir.path());
      REQUIRE(added.exit_code == 0);
      codes_[address] = added.out.substr(0, added.out.find('\n'));
    }
    launch(ready);
  }

  // Starts gvo-bot; with ready, waits for its READY=1.
  void launch(bool ready) {
    if (ready) {
      daemon = gvo::test::start_ready(kBot, {"--config", "bot.json"}, dir.path(), "bot");
      return;
    }
    daemon.process.reset();
    daemon.notify.reset();
    daemon.notify = std::make_unique<gvo::test::NotifySocket>(dir.file("bot.sock"));
    daemon.process = std::make_unique<gvo::test::ChildProcess>(
        kBot, std::vector<std::string>{"--config", "bot.json"}, dir.path(),
        std::vector<std::string>{"NOTIFY_SOCKET=" + daemon.notify->path()});
  }

  // Whether the bot told its service manager it is ready within wait.
  bool reports_ready(std::chrono::milliseconds wait) {
    const auto said = daemon.notify->receive(wait);
    return said && said->find("READY=1") != std::string::npos;
  }

  // A member's first message: the enrolment code `staff add` gave them.
  void enrol(const std::string& who) {
    say(who, "enrol " + codes_.at(who));
    expect(who, "You are enrolled");
  }

  ~Bot() { stop(); }

  // The operator changes the configuration and restarts the bot.
  void restart(const std::string& settings, bool ready = true) {
    stop();
    configure(settings);
    launch(ready);
  }

  void stop() {
    if (daemon.process) {
      daemon.process->send_signal(SIGTERM);
      (void)daemon.process->wait_for_exit(5s);
    }
  }

  // What was sent to who, in order: "send" or "sendTyping" each.
  std::vector<std::string> calls_to(const std::string& who) {
    std::vector<std::string> calls;
    for (const auto& request : fake.requests()) {
      const std::string method = request.value("method", "");
      if ((method == "send" || method == "sendTyping") && request["params"]["recipient"][0] == who)
        calls.push_back(method);
    }
    return calls;
  }

  // A person writes to the bot.
  void say(const std::string& who, const std::string& text) {
    fake.notify(gvo::test::FakeSignalCli::text_message(who, ++clock_, text, kAccount));
  }

  // Something else than words, as signal-cli writes it (with a caption, or an edit's words).
  void send_other(const std::string& who, gvo::test::FakeSignalCli::Other what,
                  const std::string& text = "") {
    fake.notify(gvo::test::FakeSignalCli::other_message(who, ++clock_, what, kAccount, text));
  }

  // A raw receive payload: {"envelope":...,"account":...}.
  void notify(Json payload) {
    payload["envelope"]["timestamp"] = ++clock_;
    fake.notify(payload);
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
    say(who, "3 days");
    expect(who, "Do you know where the person is now");
    say(who, "vottem");
    expect(who, "LAST NAME");
    say(who, name);
    expect(who, "Which nationality");
    for (const char* answer : {"moroccan", "12/3", "no", "yes", "no"}) say(who, answer);
    expect(who, "Here is what I noted");
    say(who, "yes");
    expect(who, "Its reference: ");
  }

  gvo::test::TempDir dir;
  gvo::test::FakeSignalCli fake{dir.file("signal-cli.sock")};
  gvo::test::ReadyDaemon daemon;

 private:
  void configure(const std::string& settings) {
    gvo::test::write_text(dir.file("bot.json"),
                          R"({"data_dir": "bot", "sealing": {"create_key": true},
                              "test_clock_start": "2026-03-16T10:00:00Z",
                              "transport": "signal-cli", "signal_cli": {"socket": ")" +
                              dir.file("signal-cli.sock") +
                              R"(", "host_expiration_seconds": 604800)" + settings + "}}");
  }

  std::int64_t clock_ = 1773655200000;  // 2026-03-16 10:00 UTC, in milliseconds
  std::map<std::string, std::size_t> looked_;
  std::map<std::string, std::string> codes_;  // member -> enrolment code
};

// A listIdentities entry with the safety number a test compares.
Json with_safety_number(Json identity, const std::string& safety_number) {
  identity["safetyNumber"] = safety_number;
  return identity;
}

// When the fake was asked to send, each time; the first `refused` sends get refusal's answer.
// Declared before the bot: the fake's thread uses it until the bot (and its fake) is gone.
class SendAttempts {
 public:
  using Clock = std::chrono::steady_clock;

  void answer_with(gvo::test::FakeSignalCli& fake, std::size_t refused,
                   std::function<std::string(const Json& request)> refusal) {
    fake.set_answer([this, refused, refusal](const Json& request) -> std::string {
      if (request.value("method", "") != "send") return {};
      std::lock_guard<std::mutex> lock(mutex_);
      times_.push_back(Clock::now());
      return times_.size() > refused ? std::string() : refusal(request);
    });
  }

  // Waits (the bot's retries: nothing to wait on but time) until there are at least count.
  std::vector<Clock::time_point> wait_for(std::size_t count, std::chrono::milliseconds limit) {
    const auto end = Clock::now() + limit;
    while (times().size() < count && Clock::now() < end) std::this_thread::sleep_for(10ms);
    return times();
  }

  std::vector<Clock::time_point> times() {
    std::lock_guard<std::mutex> lock(mutex_);
    return times_;
  }

 private:
  std::mutex mutex_;
  std::vector<Clock::time_point> times_;
};

}  // namespace

TEST_CASE("signal-cli: a full intake, a daemon restart and a redelivery change nothing") {
  Bot bot({{"aci-coord", "coordinator", "--language", "en"}});
  bot.enrol("aci-coord");
  bot.fake.set_max_delay(5ms);  // answers overtake each other
  bot.say("aci-host", "hello");
  bot.expect("aci-host", "How long");
  bot.say("aci-host", "3 days");
  bot.expect("aci-host", "Do you know where the person is now");
  // signal-cli restarts: the bot reconnects and the conversation goes on where it was.
  bot.fake.stop();
  std::this_thread::sleep_for(100ms);
  bot.fake.start();
  const auto end = std::chrono::steady_clock::now() + 10s;
  while (bot.fake.connections_open() == 0 && std::chrono::steady_clock::now() < end)
    std::this_thread::sleep_for(10ms);  // the bot's backoff: nothing to wait on but time
  REQUIRE(bot.fake.connections_open() == 1);
  bot.say("aci-host", "vottem");
  bot.expect("aci-host", "LAST NAME");
  // The same message delivered twice (same sender, same timestamp) is taken once.
  const auto again =
      gvo::test::FakeSignalCli::text_message("aci-host", 42, "BENALI Mohamed", kAccount);
  bot.fake.notify(again);
  bot.expect("aci-host", "Which nationality");
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
  for (const char* answer : {"moroccan", "12/3", "no", "yes", "no"}) bot.say("aci-host", answer);
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
  SendAttempts sends;
  Bot bot;
  // As in signal-cli issue #1558 (0.14.3 and later): every recipient rate-limited, error -5 with
  // the delay.
  sends.answer_with(bot.fake, 1, [](const Json& request) {
    return gvo::test::FakeSignalCli::rate_limited(request, "", 2);
  });
  bot.say("aci-host", "hello");
  const auto attempts = sends.wait_for(2, 15s);
  REQUIRE(attempts.size() >= 2);
  const auto waited =
      std::chrono::duration_cast<std::chrono::milliseconds>(attempts[1] - attempts[0]);
  CHECK(waited >= 1900ms);  // signal-cli said 2 s
  CHECK(waited < 6000ms);
}

TEST_CASE("signal-cli: an identity failure for a coordinator suspends their role") {
  Bot bot({{"aci-coord", "coordinator", "--language", "en"},
           {"aci-coord2", "coordinator", "--language", "en"}});
  bot.enrol("aci-coord");
  bot.enrol("aci-coord2");
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
  const std::string coordinator_number(71, '1');
  const std::string referent_number =
      "22222 33333 44444 55555 66666 77777 88888 99999 00000 "
      "12345 67890 13579";
  Bot bot({{"aci-coord", "coordinator", "--language", "en"},
           {"aci-ref", "referent", "--centres", "vottem", "--language", "en"}},
          "",
          Json::array({with_safety_number(gvo::test::FakeSignalCli::identity("aci-coord", 1),
                                          coordinator_number),
                       with_safety_number(gvo::test::FakeSignalCli::identity("aci-ref", 2),
                                          referent_number)}));
  bot.enrol("aci-coord");
  bot.say("aci-ref", "cases");  // not enrolled: their key is not pinned
  bot.expect("aci-ref", "Your role is not active");
  // The key held for a member who is not active is not shown: verify is not copy and paste.
  bot.say("aci-coord", "staff");
  bot.expect("aci-coord", "aci-ref · referent · vottem · unverified · -");
  bot.say("aci-coord", "verify aci-ref 00000 11111");
  bot.expect("aci-coord", "That is not the fingerprint");
  CHECK(bot.sent_to("aci-coord") > 0);
  for (const auto& request : bot.fake.requests()) {
    if (request.value("method", "") == "send")
      CHECK(request["params"].value("message", "").find("22222 33333") == std::string::npos);
  }
  bot.say("aci-coord", "verify aci-ref " + referent_number);
  bot.expect("aci-coord", "aci-ref is verified");
  bot.say("aci-ref", "cases");
  bot.expect("aci-ref", "No cases.");
}

TEST_CASE("signal-cli: between the parts of a long answer the host sees typing") {
  Bot bot;
  bot.intake("aci-host", "BENALI Mohamed");
  bot.expect("aci-host", "What you can do now");  // the next steps, after the reference
  // The next steps may go on in more parts. Replies to one person leave in order, so once the
  // answer to a later message is out, every part before it has been sent.
  bot.say("aci-host", "status");
  bot.expect("aci-host", "last updated on");
  const auto calls = bot.calls_to("aci-host");
  INFO(calls.size() << " calls");
  REQUIRE_FALSE(calls.empty());
  CHECK(calls.front() == "send");
  int typing = 0;
  for (std::size_t i = 0; i < calls.size(); ++i) {
    if (calls[i] != "sendTyping") continue;
    ++typing;
    // Only after a part, and always followed by the next part.
    CHECK(i > 0);
    CHECK(calls[i - 1] == "send");
    REQUIRE(i + 1 < calls.size());
    CHECK(calls[i + 1] == "send");
  }
  CHECK(typing > 0);
  for (const auto& request : bot.fake.requests()) {
    if (request.value("method", "") == "sendTyping")
      CHECK_FALSE(request["params"].contains("stop"));
  }
}

TEST_CASE("signal-cli: typing indicators can be turned off") {
  Bot bot({}, R"(, "typing_indicators": false)");
  bot.intake("aci-host", "BENALI Mohamed");
  bot.expect("aci-host", "What you can do now");
  const auto calls = bot.calls_to("aci-host");
  CHECK(std::count(calls.begin(), calls.end(), "send") > 5);
  CHECK(std::count(calls.begin(), calls.end(), "sendTyping") == 0);
}

TEST_CASE("signal-cli: a multi-account daemon gets the account in every request") {
  // Declared before the bot: the fake's thread may use it until the bot is gone.
  Bot bot({}, std::string(R"(, "account": ")") + kAccount + "\"", nullptr,
          {kAccount, "+32499999999"});
  bot.intake("aci-host", "BENALI Mohamed");
  int requests = 0;
  for (const auto& request : bot.fake.requests()) {
    if (request.value("method", "") == "version" || request.value("method", "") == "listAccounts")
      continue;
    ++requests;
    CHECK(request["params"].value("account", "") == kAccount);
  }
  CHECK(requests > 20);
  // A message to another account of the same daemon is not the bot's to answer.
  const int before = bot.sent_to("aci-other");
  bot.fake.notify(gvo::test::FakeSignalCli::text_message("aci-other", 5, "hello", "+32499999999"));
  bot.say("aci-host", "status");
  bot.expect("aci-host", "BENALI");
  CHECK(bot.sent_to("aci-other") == before);
}

TEST_CASE("signal-cli: a multi-account daemon without signal_cli.account is found at connection") {
  // `signal-cli daemon` without -a, holding two accounts: subscribeReceive would be granted, and
  // every send refused. The bot asks listAccounts first, says what to set, and does not serve.
  Bot bot({}, "", nullptr, {kAccount, "+32499999999"}, false);
  REQUIRE(bot.daemon.process->wait_for_stderr("set signal_cli.account", 10s));
  CHECK_FALSE(bot.reports_ready(300ms));
  bot.say("aci-host", "hello");  // waits at Signal's server: nobody subscribed
  std::this_thread::sleep_for(300ms);
  for (const auto& request : bot.fake.requests()) {
    const std::string method = request.value("method", "");
    CHECK(method != "send");
    CHECK(method != "subscribeReceive");
  }
  const std::string log = bot.daemon.process->stderr_text();
  CHECK_THAT(log, !Catch::Matchers::Contains("ready"));
  // The operator sets it: served, and the message that waited is answered.
  bot.restart(std::string(R"(, "account": ")") + kAccount + "\"");
  bot.expect("aci-host", "How long");
  bot.say("aci-host", "3 days");
  bot.expect("aci-host", "Do you know where the person is now");
}

TEST_CASE("signal-cli: a multi-account daemon holding one account serves without the setting") {
  Bot bot({}, "", nullptr, {kAccount});
  bot.say("aci-host", "hello");
  bot.expect("aci-host", "How long");
  // signal_cli.account set to a number the daemon does not hold: said at connection.
  bot.restart(R"(, "account": "+32411111111")", false);
  CHECK(
      bot.daemon.process->wait_for_stderr("does not hold signal_cli.account (+32411111111)", 10s));
}

TEST_CASE("signal-cli: a captcha challenge holds every send until Signal lets the bot send") {
  SendAttempts sends;
  Bot bot;
  // A proof-required rate limit: the result carries a challenge token.
  sends.answer_with(bot.fake, 2, [](const Json& request) {
    return gvo::test::FakeSignalCli::rate_limited(request, "challenge-4f2a", 1);
  });
  bot.say("aci-one", "hello");
  sends.wait_for(1, 10s);
  REQUIRE(bot.daemon.process->wait_for_stderr("challenge-4f2a", 10s));  // the bot holds its sends
  bot.say("aci-two", "hello");                                          // while every send is held
  bot.say("aci-three", "hello");
  bot.expect("aci-one", "How long", 20s);
  bot.expect("aci-two", "How long", 20s);
  bot.expect("aci-three", "How long", 20s);
  const auto attempts = sends.times();
  // After the refusal nothing was tried for the delay, not even to the others; then one send
  // alone (refused again), and after the delay again, one alone that went through.
  REQUIRE(attempts.size() >= 6);
  for (std::size_t k = 1; k < attempts.size(); ++k) CHECK(attempts[k] - attempts[0] >= 900ms);
  CHECK(attempts[2] - attempts[1] >= 900ms);
  const std::string log = bot.daemon.process->stderr_text();
  CHECK_THAT(log, Catch::Matchers::Contains("captcha"));
  CHECK_THAT(log, Catch::Matchers::Contains("challenge-4f2a"));
  CHECK_THAT(log, !Catch::Matchers::Contains("aci-one"));
}

TEST_CASE(
    "signal-cli: gvo-bot captcha hands the solved captcha over, and says when it is rejected") {
  Bot bot;
  const std::vector<std::string> args = {"--config", "bot.json", "captcha", "challenge-4f2a",
                                         "signalcaptcha://signal-hcaptcha.solved"};
  auto accepted = gvo::test::run_to_completion(kBot, args, bot.dir.path());
  CHECK(accepted.exit_code == 0);
  CHECK_THAT(accepted.out, Catch::Matchers::Contains("Signal accepted the captcha"));
  bool submitted = false;
  for (const auto& request : bot.fake.requests()) {
    if (request.value("method", "") != "submitRateLimitChallenge") continue;
    submitted = request["params"]["challenge"] == "challenge-4f2a" &&
                request["params"]["captcha"] == "signalcaptcha://signal-hcaptcha.solved";
  }
  CHECK(submitted);

  // Rejected: -3 "Submit challenge error: [428]" from 0.13.19, -6 from 0.14.3 on.
  for (const bool newer : {false, true}) {
    bot.fake.set_answer([newer](const Json& request) -> std::string {
      if (request.value("method", "") != "submitRateLimitChallenge") return {};
      if (!newer) return gvo::test::FakeSignalCli::captcha_rejected(request);
      return Json{{"jsonrpc", "2.0"},
                  {"error", {{"code", -6}, {"message", "Captcha rejected"}, {"data", nullptr}}},
                  {"id", request["id"]}}
          .dump();
    });
    auto rejected = gvo::test::run_to_completion(kBot, args, bot.dir.path());
    INFO(rejected.err);
    CHECK(rejected.exit_code == 1);
    CHECK_THAT(rejected.err, Catch::Matchers::Contains("Signal rejected it"));
    CHECK_THAT(rejected.err, Catch::Matchers::Contains("signalcaptchas.org"));
    CHECK_THAT(rejected.err, !Catch::Matchers::Contains("not handed over"));
  }
  // signal-cli could not reach Signal: handed to signal-cli, not to Signal.
  bot.fake.set_answer([](const Json& request) -> std::string {
    if (request.value("method", "") != "submitRateLimitChallenge") return {};
    return Json{{"jsonrpc", "2.0"},
                {"error",
                 {{"code", -3}, {"message", "Submit challenge error: timeout"}, {"data", nullptr}}},
                {"id", request["id"]}}
        .dump();
  });
  auto failed = gvo::test::run_to_completion(kBot, args, bot.dir.path());
  CHECK(failed.exit_code == 1);
  CHECK_THAT(failed.err, Catch::Matchers::Contains("could not hand it to Signal"));
  bot.fake.set_answer({});

  bot.fake.stop();  // no signal-cli to reach
  auto unreachable = gvo::test::run_to_completion(kBot, args, bot.dir.path());
  CHECK(unreachable.exit_code == 1);
  CHECK_THAT(unreachable.err, Catch::Matchers::Contains("cannot reach signal-cli"));
}

TEST_CASE("signal-cli: in manual receive mode only the bot is handed messages") {
  Bot bot;
  bot.stop();  // gvo-bot is down; a host writes meanwhile: the message waits at Signal's server
  bot.say("aci-host", "hello");
  // Another connection (gvo-bot captcha) is handed nothing...
  auto other = gvo::test::run_to_completion(
      kBot, {"--config", "bot.json", "captcha", "tok", "signalcaptcha://x"}, bot.dir.path());
  CHECK(other.exit_code == 0);
  // ...and the bot, back, gets the message and answers.
  bot.restart("");
  bot.expect("aci-host", "How long");
  int subscriptions = 0;
  for (const auto& request : bot.fake.requests())
    subscriptions += request.value("method", "") == "subscribeReceive" ? 1 : 0;
  CHECK(subscriptions == 2);  // once per start of the bot, never by the captcha command
}

TEST_CASE("signal-cli: in on-connection receive mode the bot does not subscribe") {
  Bot bot({}, R"(, "receive_mode": "on-connection")");
  bot.say("aci-host", "hello");
  bot.expect("aci-host", "How long");
  for (const auto& request : bot.fake.requests())
    CHECK(request.value("method", "") != "subscribeReceive");
}

TEST_CASE("signal-cli: staff list and staff verify read the keys signal-cli holds") {
  const std::string safety_number =
      "22222 33333 44444 55555 66666 77777 88888 99999 00000 12345 67890 13579";
  Bot bot({{"aci-ref", "referent", "--centres", "vottem", "--language", "en"}}, "",
          Json::array({with_safety_number(gvo::test::FakeSignalCli::identity("aci-ref", 2),
                                          safety_number)}));
  auto listed =
      gvo::test::run_to_completion(kBot, {"--config", "bot.json", "staff", "list"}, bot.dir.path());
  CHECK(listed.exit_code == 0);
  // The key held for a member who is not active is not shown: it is read out by the member.
  CHECK_THAT(listed.out, Catch::Matchers::Contains(
                             "aci-ref\treferent\tvottem\ten\tunverified\t(a key is held"));
  CHECK(listed.out.find(safety_number) == std::string::npos);
  auto wrong = gvo::test::run_to_completion(
      kBot, {"--config", "bot.json", "staff", "verify", "aci-ref", "00000 11111"}, bot.dir.path());
  CHECK(wrong.exit_code == 1);
  auto right = gvo::test::run_to_completion(
      kBot, {"--config", "bot.json", "staff", "verify", "aci-ref", safety_number}, bot.dir.path());
  CHECK(right.exit_code == 0);
  CHECK_THAT(right.out, Catch::Matchers::Contains("aci-ref verified"));
  // The bot pins the same key: the referent, now active, is served.
  bot.say("aci-ref", "cases");
  bot.expect("aci-ref", "No cases.");
  // The command's connections never asked for messages.
  int subscriptions = 0;
  for (const auto& request : bot.fake.requests())
    subscriptions += request.value("method", "") == "subscribeReceive" ? 1 : 0;
  CHECK(subscriptions == 1);  // the bot's own
}

// signal-cli run with --trust-new-identities always (or a key trusted by hand) sends to a new key
// without a word: the bot reads the key it holds before staff data goes, not an old reading.
TEST_CASE("signal-cli: a key signal-cli trusted silently gets no staff data") {
  Bot bot({{"aci-coord", "coordinator", "--language", "en"},
           {"aci-coord2", "coordinator", "--language", "en"}});
  bot.enrol("aci-coord");
  bot.enrol("aci-coord2");
  // aci-coord's key is another now (the Bot gave the members the keys of seeds 10 and 11).
  bot.fake.set_identities(Json::array({gvo::test::FakeSignalCli::identity("aci-coord", 99),
                                       gvo::test::FakeSignalCli::identity("aci-coord2", 11)}));
  bot.intake("aci-host", "ZORGLUB Mohamed");
  bot.expect("aci-coord2", "ZORGLUB");  // the positive control
  bot.expect("aci-coord2", "The safety key of aci-coord (coordinator) changed");
  for (const auto& request : bot.fake.requests()) {
    if (request.value("method", "") == "send" && request["params"]["recipient"][0] == "aci-coord") {
      INFO(request["params"].value("message", "") << "\n" << bot.daemon.process->stderr_text());
      CHECK(request["params"].value("message", "").find("ZORGLUB") == std::string::npos);
    }
  }
  bot.say("aci-coord", "cases");
  bot.expect("aci-coord", "Your role is not active");
}

// signal-cli 0.13.19 answers a captcha challenge with "retryAfterSeconds": -1; the bot once took it
// for a wait of -1000 ms and resent 5,081 times in 10 s. Now: the challenge is said once and one
// probe goes after 15 s (then 30 s, 1 min... 5 min).
TEST_CASE("signal-cli: a captcha challenge without a delay holds sends, and never loops") {
  SendAttempts sends;
  Bot bot;
  sends.answer_with(bot.fake, 1000, [](const Json& request) {
    return gvo::test::FakeSignalCli::rate_limited(request, "challenge-77");
  });
  bot.say("aci-one", "hello");
  REQUIRE(bot.daemon.process->wait_for_stderr("challenge-77", 10s));
  bot.say("aci-two", "hello");  // held too
  std::this_thread::sleep_for(3s);
  const auto attempts = sends.times();
  std::printf("captcha challenge without a delay: %zu send(s) in 3 s (was 5,081 in 10 s)\n",
              attempts.size());
  CHECK(attempts.size() == 1);
  const std::string log = bot.daemon.process->stderr_text();
  std::size_t said = 0;
  for (auto at = log.find("asks for a captcha"); at != std::string::npos;
       at = log.find("asks for a captcha", at + 1))
    ++said;
  CHECK(said == 1);
}

// A plain 429 reaches the bot without retryAfterSeconds (0.13.19 passes on no Retry-After): the
// recipient's messages wait 5 s, then 10 s, 20 s... until one goes.
TEST_CASE("signal-cli: a rate limit without a delay waits the bot's own bounded backoff") {
  SendAttempts sends;
  Bot bot;
  sends.answer_with(bot.fake, 2, [](const Json& request) {
    return gvo::test::FakeSignalCli::rate_limited(request, "");
  });
  bot.say("aci-host", "hello");
  const auto attempts = sends.wait_for(2, 15s);
  REQUIRE(attempts.size() >= 2);
  const auto first_wait =
      std::chrono::duration_cast<std::chrono::milliseconds>(attempts[1] - attempts[0]);
  std::printf("rate limit without a delay: the second try after %lld ms\n",
              static_cast<long long>(first_wait.count()));
  CHECK(first_wait >= 4500ms);
  CHECK(first_wait < 8000ms);
}

TEST_CASE("signal-cli: out of reach, the bot says so and is not ready until it reaches it") {
  gvo::test::TempDir dir;
  gvo::test::write_text(dir.file("bot.json"),
                        R"({"data_dir": "bot", "sealing": {"create_key": true},
                            "transport": "signal-cli", "signal_cli": {"socket": ")" +
                            dir.file("signal-cli.sock") + R"("}})");
  REQUIRE(
      gvo::test::run_to_completion(kBot, {"--config", "bot.json", "init"}, dir.path()).exit_code ==
      0);
  gvo::test::NotifySocket notify(dir.file("bot.sock"));
  gvo::test::ChildProcess bot(kBot, {"--config", "bot.json"}, dir.path(),
                              {"NOTIFY_SOCKET=" + notify.path()});
  // Not ready while signal-cli is not there; a warning at the default log level after 5 s.
  const auto said = notify.receive(4s);
  CHECK_FALSE((said && said->find("READY=1") != std::string::npos));
  REQUIRE(
      bot.wait_for_stderr("signal-cli cannot be reached at " + dir.file("signal-cli.sock"), 5s));
  CHECK_THAT(bot.stderr_text(), !Catch::Matchers::Contains("ready"));
  gvo::test::FakeSignalCli fake(dir.file("signal-cli.sock"));
  fake.start();
  const auto ready = notify.receive(35s);  // the client's backoff reaches 30 s at most
  REQUIRE(ready);
  CHECK_THAT(*ready, Catch::Matchers::Contains("READY=1"));
  CHECK(bot.wait_for_stderr("signal-cli is reachable again", 2s));
  bot.send_signal(SIGTERM);
  CHECK(bot.wait_for_exit(5s) == 0);
}

// signal-cli linked to a phone (the README offers it) refuses updateContact: the bot says once
// what that means, and does not ask again for each host.
TEST_CASE("signal-cli: on a linked device, disappearing messages are said to be off once") {
  Bot bot;
  bot.fake.set_linked_device(true);
  for (const char* host : {"aci-one", "aci-two", "aci-three"}) {
    bot.say(host, "hello");
    bot.expect(host, "How long");
  }
  const std::string log = bot.daemon.process->stderr_text();
  std::size_t said = 0;
  for (auto at = log.find("linked device"); at != std::string::npos;
       at = log.find("linked device", at + 1))
    ++said;
  CHECK(said == 1);
  CHECK_THAT(log, !Catch::Matchers::Contains("timer was not set"));
  int asked = 0;
  for (const auto& request : bot.fake.requests())
    asked += request.value("method", "") == "updateContact" ? 1 : 0;
  CHECK(asked == 1);
}

// What signal-cli could not read comes as an "exception" notification: logged (the exception's
// type, never content), counted, and the host asked to write again.
TEST_CASE("signal-cli: a message signal-cli could not read is logged and the host asked again") {
  Bot bot;
  bot.fake.notify(gvo::test::FakeSignalCli::unreadable_message(
      "aci-host", 1773655200500, "ProtocolInvalidMessageException", kAccount));
  bot.expect("aci-host", "dernier message");
  CHECK(bot.daemon.process->wait_for_stderr("ProtocolInvalidMessageException", 5s));
  // Asked once: the same unreadable message again is not answered again.
  const int before = bot.sent_to("aci-host");
  bot.fake.notify(gvo::test::FakeSignalCli::unreadable_message(
      "aci-host", 1773655200500, "ProtocolInvalidMessageException", kAccount));
  std::this_thread::sleep_for(300ms);
  CHECK(bot.sent_to("aci-host") == before);
  bot.say("aci-host", "hello");
  bot.expect("aci-host", "How long");
  CHECK_THAT(bot.daemon.process->stderr_text(), !Catch::Matchers::Contains("aci-host"));
}

// Issue 19: whatever a Signal app sends besides words is answered, in the host's language, and the
// intake goes on; what no person wrote (typing, receipts, a timer update, a call hung up, the
// account's own sync messages) is not answered.
TEST_CASE("signal-cli: voice notes, photos, stickers, reactions, edits and calls are answered") {
  using Other = gvo::test::FakeSignalCli::Other;
  Bot bot;
  // Before the bot knows their language: every language.
  bot.send_other("aci-host", Other::voice_note);
  bot.expect("aci-host", "I cannot listen to voice messages");
  bot.say("aci-host", "bonjour, mon frère a été arrêté");
  bot.expect("aci-host", "Depuis combien de temps");
  bot.send_other("aci-host", Other::voice_note);
  bot.expect("aci-host", "Je ne peux pas écouter les messages vocaux");
  bot.send_other("aci-host", Other::call);
  bot.expect("aci-host", "Je ne peux pas répondre aux appels");
  bot.say("aci-host", "3 jours");
  bot.expect("aci-host", "Savez-vous où");
  bot.send_other("aci-host", Other::sticker);
  bot.expect("aci-host", "Je ne lis que les mots");
  bot.say("aci-host", "vottem");
  bot.expect("aci-host", "NOM et le prénom");
  // A photo with a caption: told to type what the paper says, and the caption is the answer.
  bot.send_other("aci-host", Other::picture, "BENALI Mohamed");
  bot.expect("aci-host", "Je ne peux pas ouvrir les photos");
  bot.expect("aci-host", "Noté : BENALI Mohamed.");  // with the next question: the nationality
  // An edit's words are not the answer to the question asked since.
  bot.send_other("aci-host", Other::edit, "marocain");
  bot.expect("aci-host", "Je ne vois pas les modifications");
  bot.send_other("aci-host", Other::reaction);
  bot.expect("aci-host", "Je ne vois pas les réactions");
  bot.send_other("aci-host", Other::file);
  bot.expect("aci-host", "Je ne peux pas ouvrir les fichiers");
  bot.send_other("aci-host", Other::view_once);
  bot.expect("aci-host", "Je ne peux pas ouvrir les photos");
  const int answered = bot.sent_to("aci-host");
  // Not a person's message: nothing to answer.
  const Json envelope_of = gvo::test::FakeSignalCli::text_message("aci-host", 0, "", kAccount);
  Json typing = envelope_of;
  typing["envelope"].erase("dataMessage");
  typing["envelope"]["typingMessage"] = {{"action", "STARTED"}, {"timestamp", 1}};
  bot.notify(typing);
  Json receipt = envelope_of;
  receipt["envelope"].erase("dataMessage");
  receipt["envelope"]["receiptMessage"] = {
      {"when", 1}, {"isDelivery", true}, {"isRead", false}, {"timestamps", {1}}};
  bot.notify(receipt);
  Json timer = envelope_of;
  timer["envelope"]["dataMessage"]["message"] = nullptr;
  timer["envelope"]["dataMessage"]["expiresInSeconds"] = 3600;
  timer["envelope"]["dataMessage"]["isExpirationUpdate"] = true;
  bot.notify(timer);
  Json hangup = envelope_of;
  hangup["envelope"].erase("dataMessage");
  hangup["envelope"]["callMessage"] = {{"hangupMessage", {{"id", 1}, {"type", "NORMAL"}}}};
  bot.notify(hangup);
  std::this_thread::sleep_for(500ms);
  CHECK(bot.sent_to("aci-host") == answered);
  // The intake goes on where it was: the nationality.
  bot.say("aci-host", "marocain");
  bot.expect("aci-host", "Noté : Maroc.");  // with the next question: the date of arrest
  // Nothing of what they sent in the log.
  const std::string log = bot.daemon.process->stderr_text();
  CHECK_THAT(log, !Catch::Matchers::Contains("BENALI"));
  CHECK_THAT(log, !Catch::Matchers::Contains("aci-host"));
  CHECK_THAT(log, Catch::Matchers::Contains("a message of kind voice_note was answered"));
}

namespace {

// The JSON shape of a value: objects by key, arrays by their first element, scalars by type (the
// values themselves differ between any two runs).
Json shape_of(const Json& value) {
  if (value.is_object()) {
    Json shape = Json::object();
    for (const auto& [key, item] : value.items()) shape[key] = shape_of(item);
    return shape;
  }
  if (value.is_array()) return value.empty() ? Json::array() : Json::array({shape_of(value[0])});
  if (value.is_string()) return "string";
  if (value.is_boolean()) return "bool";
  if (value.is_number()) return "number";
  return "null";
}

// The real daemon's lines recorded on the local Signal network, by name.
std::map<std::string, Json> recorded_real() {
  std::ifstream file(std::string(GVO_SOURCE_ROOT) +
                     "/tests/core/signal_cli_fixtures/real-0.13.19.txt");
  REQUIRE(file);
  std::map<std::string, Json> named;
  std::string name;
  for (std::string line; std::getline(file, line);) {
    if (line.rfind("## ", 0) == 0) {
      name = line.substr(3);
    } else if (!name.empty() && !line.empty() && line[0] != '#') {
      named[std::exchange(name, {})] = Json::parse(line);
    }
  }
  return named;
}

// One connection to a daemon's socket, line by line.
class RawClient {
 public:
  explicit RawClient(const std::string& path) : fd_(::socket(AF_UNIX, SOCK_STREAM, 0)) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
    timeval wait{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof(wait));
  }
  ~RawClient() { ::close(fd_); }

  // Writes line and reads the next line that comes back.
  Json ask(const std::string& line) {
    const std::string out = line + "\n";
    REQUIRE(::write(fd_, out.data(), out.size()) == static_cast<ssize_t>(out.size()));
    return next();
  }

  Json next() {
    for (;;) {
      if (const auto end = input_.find('\n'); end != std::string::npos) {
        const std::string line = input_.substr(0, end);
        input_.erase(0, end + 1);
        return Json::parse(line);
      }
      char chunk[65536];
      const ssize_t n = ::read(fd_, chunk, sizeof(chunk));
      REQUIRE(n > 0);
      input_.append(chunk, static_cast<std::size_t>(n));
    }
  }

 private:
  int fd_;
  std::string input_;
};

}  // namespace

// The fake's half of the contract with signal-cli 0.13.19 (the real daemon's half runs in
// tests/signal_cli_real when Java >= 21 is there): the requests gvo-bot sends, and the framing
// cases, answered by the fake in the shapes the real daemon answered them on the local network.
TEST_CASE("signal-cli: the fake answers in the shapes the real 0.13.19 did") {
  const auto real = recorded_real();
  gvo::test::TempDir dir;
  const std::string host = "836fad62-ef78-429e-a5ca-10550c395f1f";
  auto compare = [&](const std::string& name, const Json& fake_line) {
    INFO(name << "\nreal: " << real.at(name).dump() << "\nfake: " << fake_line.dump());
    CHECK(shape_of(fake_line) == shape_of(real.at(name)));
  };
  auto request = [](int id, const std::string& method, Json params = Json::object()) {
    Json line{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}};
    if (!params.empty()) line["params"] = std::move(params);
    return line.dump();
  };
  {  // A daemon started with -a, linked to a phone.
    gvo::test::FakeSignalCli fake(dir.file("single.sock"));
    fake.set_receive_mode(gvo::test::FakeSignalCli::ReceiveMode::manual);  // as deployed
    fake.set_linked_device(true);
    fake.set_identities(Json::array({gvo::test::FakeSignalCli::identity(
                                         "e5d42442-1b73-4135-b6fe-8d22aed99b24", 1, "+14154923511"),
                                     gvo::test::FakeSignalCli::identity(host, 2)}));
    int plain_sends = 0;
    fake.set_answer([&](const Json& asked) -> std::string {
      if (asked.value("method", "") != "send") return {};
      const std::string text = asked["params"].value("message", "");
      if (text == "captcha") return gvo::test::FakeSignalCli::rate_limited(asked, "token");
      if (text == "429") return gvo::test::FakeSignalCli::rate_limited(asked, "");
      if (text == "unregistered") return gvo::test::FakeSignalCli::unregistered(asked);
      ++plain_sends;
      return {};
    });
    fake.start();
    RawClient client(dir.file("single.sock"));
    compare("send-ok", client.ask(request(1, "send", {{"recipient", {host}}, {"message", "ok"}})));
    compare("send-captcha",
            client.ask(request(2, "send", {{"recipient", {host}}, {"message", "captcha"}})));
    compare("send-429-no-retry-after",
            client.ask(request(3, "send", {{"recipient", {host}}, {"message", "429"}})));
    compare("send-unregistered",
            client.ask(request(4, "send", {{"recipient", {host}}, {"message", "unregistered"}})));
    compare("update-contact-linked",
            client.ask(request(5, "updateContact", {{"recipient", host}, {"expiration", 604800}})));
    compare("list-identities", client.ask(request(6, "listIdentities")));
    compare("list-accounts-single", client.ask(request(7, "listAccounts")));
    compare("unknown-subscription",
            client.ask(request(8, "unsubscribeReceive", {{"subscription", 99}})));
    compare("id-null", client.ask(R"({"jsonrpc":"2.0","id":null,"method":"version"})"));
    compare("batch-empty", client.ask("[]"));
    // The real daemon answered listAccounts in its batch as a multi-account daemon does; the
    // batch's shape is compared on the multi-account fake below.
    const Json subscribed = client.ask(request(9, "subscribeReceive"));
    CHECK(subscribed["result"].is_number_integer());
    fake.notify(
        gvo::test::FakeSignalCli::text_message(host, 1796150237091, "bonjour", "+14154923511"));
    compare("message", client.next());
    fake.notify(gvo::test::FakeSignalCli::unreadable_message(
        host, 1796150049602, "ProtocolInvalidMessageException", "+14154923511"));
    compare("exception-invalid-message", client.next());
    CHECK(plain_sends == 1);
  }
  {  // A daemon started without -a.
    gvo::test::FakeSignalCli fake(dir.file("multi.sock"));
    fake.multi_account({});
    fake.start();
    RawClient client(dir.file("multi.sock"));
    compare("list-accounts-multi-none", client.ask(request(1, "listAccounts")));
    compare("subscribe-multi-no-account", client.ask(request(2, "subscribeReceive")));
    compare("no-account-multi-none",
            client.ask(request(3, "updateProfile", {{"givenName", "Getting the Voice Out"}})));
    compare(
        "wrong-account-multi",
        client.ask(request(4, "updateProfile",
                           {{"givenName", "Getting the Voice Out"}, {"account", "+32470000001"}})));
    compare("batch", client.ask(R"([{"jsonrpc":"2.0","id":25,"method":"version"},)"
                                R"({"jsonrpc":"2.0","id":26,"method":"listAccounts"}])"));
  }
  {
    gvo::test::FakeSignalCli fake(dir.file("one.sock"));
    fake.multi_account({"+14154987398"});
    fake.start();
    RawClient client(dir.file("one.sock"));
    compare("list-accounts-multi-one", client.ask(request(1, "listAccounts")));
  }
}

// The thresholds of the reachability watch, short, on the transport in this process: the warning,
// then the error, each said once; both cleared by a connection, and watched again after its end.
TEST_CASE("signal-cli: out of reach a warning, then an error, and again after a reconnection") {
  gvo::test::TempDir dir;
  auto opened = gvo::storage::Store::open(
      dir.file("bot.db"), gvo::storage::Sealer({gvo::storage::SealingKey::generate().value()}),
      gvo::storage::OpenMode::create_if_missing);
  REQUIRE(opened);
  gvo::storage::Store store = std::move(opened).value();
  boost::asio::io_context io;
  gvo::transport::SignalCliSettings settings;
  settings.address.socket_path = dir.file("signal-cli.sock");
  settings.unreachable_warning = 200ms;
  settings.unreachable_error = 600ms;
  gvo::transport::SignalCliTimings timings;
  timings.max_backoff = 100ms;
  gvo::transport::SignalCliTransport transport(
      io, store, settings, {}, [] { return std::chrono::system_clock::now(); }, timings);
  auto said_after = [&](std::chrono::milliseconds wait) {
    io.run_for(wait);
    return transport.status().unreachable_said;
  };
  transport.start();
  CHECK(said_after(100ms) == 0);
  CHECK(said_after(250ms) == 1);  // the warning
  CHECK(said_after(450ms) == 2);  // the error
  CHECK(said_after(500ms) == 2);  // said once
  gvo::test::FakeSignalCli fake(dir.file("signal-cli.sock"));
  fake.start();
  for (int i = 0; i < 50 && !transport.connected(); ++i) io.run_for(20ms);
  REQUIRE(transport.connected());
  CHECK(transport.status().unreachable_said == 0);
  fake.stop();  // gone again: watched again
  CHECK(said_after(100ms) == 0);
  CHECK(said_after(300ms) == 1);
  transport.stop();
}
