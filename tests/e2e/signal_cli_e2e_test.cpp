// gvo-bot on the signal-cli transport, as a real process, against the fake signal-cli daemon
// (tests/support/fake_signal_cli.hpp): a full intake; the daemon restarted mid-conversation with
// nothing lost and nothing done twice; a rate-limit error retried after the delay signal-cli gives;
// a captcha challenge that holds every send; an identity failure for a coordinator that suspends
// their role; "typing..." between the parts of a long answer; a multi-account daemon.
#include <algorithm>
#include <chrono>
#include <functional>
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
  // staff: `gvo-bot staff add` argument lists, run before the bot starts. settings: more of the
  // config's signal_cli object (`, "account": ...`).
  // identities: what listIdentities answers (by default, a key for each member of staff).
  explicit Bot(const std::vector<std::vector<std::string>>& staff = {},
               const std::string& settings = "", Json identities = nullptr) {
    // As deployed (deploy/signal-cli.service): --receive-mode=manual, and the bot subscribes.
    if (settings.find("on-connection") == std::string::npos)
      fake.set_receive_mode(gvo::test::FakeSignalCli::ReceiveMode::manual);
    if (identities.is_null()) {
      identities = Json::array();
      for (const auto& member : staff) {
        identities.push_back({{"number", nullptr},
                              {"uuid", member.at(0)},
                              {"fingerprint", "05" + std::to_string(identities.size() + 10)},
                              {"safetyNumber", std::string(60, '4')},
                              {"trustLevel", "TRUSTED_UNVERIFIED"}});
      }
    }
    // Read by the bot on connection, before it subscribes to messages.
    fake.set_identities(identities);
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
    daemon = gvo::test::start_ready(kBot, {"--config", "bot.json"}, dir.path(), "bot");
  }

  // A member's first message: the enrolment code `staff add` gave them.
  void enrol(const std::string& who) {
    say(who, "enrol " + codes_.at(who));
    expect(who, "You are enrolled");
  }

  ~Bot() { stop(); }

  // The operator changes the configuration and restarts the bot.
  void restart(const std::string& settings) {
    stop();
    configure(settings);
    daemon = gvo::test::start_ready(kBot, {"--config", "bot.json"}, dir.path(), "bot");
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

// signal-cli's answer to a send when every recipient is rate limited (error -5, the per-recipient
// result under data.response), with a captcha challenge token or without.
std::string rate_limited(const Json& request, const std::string& token, int retry_after_seconds) {
  Json result = {
      {"recipientAddress", {{"uuid", request["params"]["recipient"][0]}, {"number", nullptr}}},
      {"type", "RATE_LIMIT_FAILURE"},
      {"retryAfterSeconds", retry_after_seconds}};
  if (!token.empty()) result["token"] = token;
  return Json{{"jsonrpc", "2.0"},
              {"error",
               {{"code", -5},
                {"message", "Failed to send message due to rate limiting"},
                {"data", {{"response", {{"timestamp", 1}, {"results", Json::array({result})}}}}}}},
              {"id", request["id"]}}
      .dump();
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
  SendAttempts sends;
  Bot bot;
  // As in signal-cli issue #1558: every recipient rate-limited, error -5 with the delay.
  sends.answer_with(bot.fake, 1, [](const Json& request) { return rate_limited(request, "", 2); });
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
          Json::array({{{"number", nullptr},
                        {"uuid", "aci-coord"},
                        {"fingerprint", "05c0"},
                        {"safetyNumber", coordinator_number},
                        {"trustLevel", "TRUSTED_UNVERIFIED"}},
                       {{"number", nullptr},
                        {"uuid", "aci-ref"},
                        {"fingerprint", "05ee"},
                        {"safetyNumber", referent_number},
                        {"trustLevel", "TRUSTED_UNVERIFIED"}}}));
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
  bot.expect("aci-host", "Caricole");  // the next steps, after the reference
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
  bot.expect("aci-host", "Caricole");
  const auto calls = bot.calls_to("aci-host");
  CHECK(std::count(calls.begin(), calls.end(), "send") > 5);
  CHECK(std::count(calls.begin(), calls.end(), "sendTyping") == 0);
}

TEST_CASE("signal-cli: a multi-account daemon gets the account in every request") {
  // Declared before the bot: the fake's thread may use it until the bot is gone.
  Bot bot({}, std::string(R"(, "account": ")") + kAccount + "\"");
  bot.fake.require_account(kAccount);
  bot.intake("aci-host", "BENALI Mohamed");
  int requests = 0;
  for (const auto& request : bot.fake.requests()) {
    if (request.value("method", "") == "version") continue;
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

TEST_CASE("signal-cli: a daemon that wants the account keeps replies until the bot names it") {
  Bot bot;
  bot.fake.require_account(kAccount);  // `signal-cli daemon` started without -a
  bot.say("aci-host", "hello");
  // The reply is refused (-32602); the operator is told what to set, and the reply is kept.
  CHECK(bot.daemon.process->wait_for_stderr("signal_cli.account", 10s));
  bot.restart(std::string(R"(, "account": ")") + kAccount + "\"");
  bot.expect("aci-host", "How long");  // the reply queued before the restart
  bot.say("aci-host", "3");
  bot.expect("aci-host", "Do you know the name");
}

TEST_CASE("signal-cli: a captcha challenge holds every send until Signal lets the bot send") {
  SendAttempts sends;
  Bot bot;
  // A proof-required rate limit: the result carries a challenge token.
  sends.answer_with(bot.fake, 2,
                    [](const Json& request) { return rate_limited(request, "challenge-4f2a", 1); });
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

  bot.fake.set_answer([](const Json& request) -> std::string {
    if (request.value("method", "") != "submitRateLimitChallenge") return {};
    return Json{{"jsonrpc", "2.0"},
                {"error", {{"code", -6}, {"message", "Captcha rejected"}, {"data", nullptr}}},
                {"id", request["id"]}}
        .dump();
  });
  auto rejected = gvo::test::run_to_completion(kBot, args, bot.dir.path());
  CHECK(rejected.exit_code == 1);
  CHECK_THAT(rejected.err, Catch::Matchers::Contains("rejected the captcha"));
  CHECK_THAT(rejected.err, Catch::Matchers::Contains("signalcaptchas.org"));
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
          Json::array({{{"number", nullptr},
                        {"uuid", "aci-ref"},
                        {"fingerprint", "05ee"},
                        {"safetyNumber", safety_number},
                        {"trustLevel", "TRUSTED_UNVERIFIED"}}}));
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
  auto identities = Json::array();
  for (const auto& [uuid, fingerprint] :
       {std::pair<const char*, const char*>{"aci-coord", "05ff"}, {"aci-coord2", "0511"}}) {
    identities.push_back({{"number", nullptr},
                          {"uuid", uuid},
                          {"fingerprint", fingerprint},
                          {"safetyNumber", std::string(60, '4')},
                          {"trustLevel", "TRUSTED_UNVERIFIED"}});
  }
  bot.fake.set_identities(identities);  // aci-coord's key is another now
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
