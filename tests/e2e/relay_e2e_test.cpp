// The whole path as it runs: gvo-relay and gvo-bot as real processes on loopback (port 0,
// temporary folders) and two gvo-chat clients. The bot echoes, so every message has a known
// answer. The relay is killed and restarted mid-conversation, then the bot (SIGKILL): nothing may
// be lost, nothing answered twice, and no plaintext may reach the relay's database.
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <map>
#include <regex>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>
#include <signal.h>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

using namespace std::chrono_literals;

namespace {

const std::string kRelay = GVO_RELAY_PATH;
const std::string kBot = GVO_BOT_PATH;
const std::string kChat = GVO_CHAT_PATH;

using Daemon = gvo::test::ReadyDaemon;

Daemon start_ready(const gvo::test::TempDir& dir, const std::string& program,
                   const std::vector<std::string>& args, const std::string& name) {
  return gvo::test::start_ready(program, args, dir.path(), name);
}

// A relay on a free port and a bot connected to it, in dir.
struct Stack {
  Daemon relay;
  Daemon bot;
  std::string port;
  std::map<std::string, std::string> codes;  // staff address -> enrolment code
};

// What a staff member's gvo-chat writes first: their enrolment code (English texts).
std::string enrolment(const Stack& stack, const std::string& address) {
  return "> enrol " + stack.codes.at(address) + "\n<* You are enrolled\n";
}

// settings: more keys of the bot's configuration, each with a leading comma; staff: lines of
// `gvo-bot staff add` arguments, run before the bot starts.
Stack start_stack(const gvo::test::TempDir& dir, const std::string& replies,
                  const std::string& settings = {},
                  const std::vector<std::vector<std::string>>& staff = {}) {
  Stack stack;
  stack.relay = start_ready(
      dir, kRelay, {"--listen", "127.0.0.1:0", "--port-file", "port", "--data", "relay"}, "relay");
  std::ifstream(dir.file("port")) >> stack.port;
  REQUIRE_FALSE(stack.port.empty());
  gvo::test::write_text(dir.file("bot.json"),
                        "{\"data_dir\": \"bot\", \"replies\": \"" + replies +
                            "\", \"sealing\": {\"create_key\": true}, \"relay\": {\"port\": " +
                            stack.port + "}" + settings + "}");
  if (!staff.empty()) {
    REQUIRE(gvo::test::run_to_completion(kBot, {"--config", "bot.json", "init"}, dir.path())
                .exit_code == 0);
  }
  for (const auto& member : staff) {
    std::vector<std::string> args{"--config", "bot.json", "staff", "add"};
    args.insert(args.end(), member.begin(), member.end());
    const auto added = gvo::test::run_to_completion(kBot, args, dir.path());
    INFO(added.err);
    REQUIRE(added.exit_code == 0);
    stack.codes[member.at(0)] = added.out.substr(0, added.out.find('\n'));
  }
  stack.bot = start_ready(dir, kBot, {"--config", "bot.json"}, "bot");
  return stack;
}

std::string script(const std::string& prefix, int count) {
  std::string text;
  for (int i = 1; i <= count; ++i) {
    text += "> " + prefix + " " + std::to_string(i) + "\n";
    text += "< echo: " + prefix + " " + std::to_string(i) + "\n";
  }
  return text;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    const auto end = std::min(text.find('\n', start), text.size());
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

}  // namespace

TEST_CASE("chat, relay and bot: 100 messages each way in order through kills and restarts") {
  gvo::test::TempDir dir;
  Stack stack = start_stack(dir, "echo");
  Daemon& relay = stack.relay;
  Daemon& bot = stack.bot;
  const std::string port = stack.port;

  gvo::test::write_text(dir.file("a.txt"), script("message", 100));
  gvo::test::write_text(dir.file("b.txt"), script("other", 20));
  const std::string relay_address = "127.0.0.1:" + port;
  gvo::test::ChildProcess chat_a(
      kChat, {"--relay", relay_address, "--data", "chat-a", "--script", "a.txt", "--timeout", "30"},
      dir.path());
  gvo::test::ChildProcess chat_b(
      kChat, {"--relay", relay_address, "--data", "chat-b", "--script", "b.txt", "--timeout", "30"},
      dir.path());

  // The relay dies mid-conversation and comes back on the same port.
  REQUIRE(chat_a.wait_for_stdout("gvo-bot> echo: message 30\n", 30s));
  relay.process->send_signal(SIGKILL);
  // The kill must land mid-conversation for this test to mean anything.
  REQUIRE_FALSE(chat_a.stdout_text().find("echo: message 100\n") != std::string::npos);
  REQUIRE(relay.process->wait_for_exit(5s).has_value());
  relay = start_ready(dir, kRelay, {"--listen", relay_address, "--data", "relay"}, "relay2");

  // Then the bot dies without warning and comes back.
  REQUIRE(chat_a.wait_for_stdout("gvo-bot> echo: message 60\n", 30s));
  bot.process->send_signal(SIGKILL);
  REQUIRE_FALSE(chat_a.stdout_text().find("echo: message 100\n") != std::string::npos);
  REQUIRE(bot.process->wait_for_exit(5s).has_value());
  bot = start_ready(dir, kBot, {"--config", "bot.json"}, "bot2");

  const auto a_done = chat_a.wait_for_exit(60s);
  const auto b_done = chat_b.wait_for_exit(60s);
  INFO("chat a:\n"
       << chat_a.stderr_text() << "\nchat b:\n"
       << chat_b.stderr_text() << "\nbot:\n"
       << bot.process->stderr_text());
  REQUIRE(a_done == 0);
  REQUIRE(b_done == 0);

  // Every answer once, in order: the chat's script checks the order; here, no extras either.
  std::vector<std::string> expected;
  for (int i = 1; i <= 100; ++i) expected.push_back("gvo-bot> echo: message " + std::to_string(i));
  CHECK(lines_of(chat_a.stdout_text()) == expected);
  CHECK(lines_of(chat_b.stdout_text()).size() == 20);
  // The first message of a session is a pre-key message, and only the first.
  CHECK_THAT(chat_a.stderr_text(),
             Catch::Matchers::Contains("(1 as pre-key messages), received 100"));

  // The relay saw only ciphertext.
  bot.process->send_signal(SIGTERM);
  relay.process->send_signal(SIGTERM);
  REQUIRE(bot.process->wait_for_exit(5s) == 0);
  REQUIRE(relay.process->wait_for_exit(5s) == 0);
  for (const char* file : {"relay/relay.db", "relay/relay.db-wal"}) {
    const auto bytes = gvo::test::read_bytes(dir.file(file));
    CHECK_FALSE(gvo::test::contains(bytes, "message 42"));
    CHECK_FALSE(gvo::test::contains(bytes, "echo: other"));
  }
  for (const char* file : {"bot/gvo-bot.db", "chat-a/chat.db"}) {
    CHECK_FALSE(gvo::test::contains(gvo::test::read_bytes(dir.file(file)), "message 42"));
  }
}

// GVO's intake end to end: a host files a case; the coordinator and the centre's referent get
// their messages; a second host reports the same person under a spelling variant and the case is
// linked; a deadline alert fires on the bot's injected clock; the cases export is owner-only.
TEST_CASE("intake through the relay: forwarding, linking, a deadline alert, the export") {
  gvo::test::TempDir dir;
  Stack stack =
      start_stack(dir, "flow",
                  // Monday 16 March 2026, 11:00 in Brussels: an arrest on Thursday 12 March has its
                  // 5-day deadline tomorrow, so its alert (due today at 09:00) goes out at once.
                  R"(, "test_clock_start": "2026-03-16T10:00:00Z")",
                  {{"coord", "coordinator", "--language", "en"},
                   {"ref-vottem", "referent", "--centres", "vottem", "--language", "en"}});
  Daemon& bot = stack.bot;
  const std::string relay = "127.0.0.1:" + stack.port;
  auto chat_args = [&](const std::string& name, const std::string& script) {
    return std::vector<std::string>{"--relay", relay,      "--data", name,        "--account",
                                    name,      "--script", script,   "--timeout", "60"};
  };
  gvo::test::write_text(dir.file("coord.txt"),
                        enrolment(stack, "coord") +
                            "<* Registered name : BENALI Mohamed\n"
                            "<* the 5-day deadline falls on Tuesday, 17 March 2026\n"
                            "<* (cases linked)\n");
  gvo::test::write_text(dir.file("referent.txt"),
                        enrolment(stack, "ref-vottem") +
                            "<* Someone at your centre has been reported\n"
                            "<* Someone at your centre has been reported\n");
  gvo::test::ChildProcess coordinator(kChat, chat_args("coord", "coord.txt"), dir.path());
  gvo::test::ChildProcess referent(kChat, chat_args("ref-vottem", "referent.txt"), dir.path());

  auto intake = [](const std::vector<std::string>& answers) {
    std::string text;
    for (const auto& answer : answers) text += answer + "\n";
    return text;
  };
  gvo::test::write_text(dir.file("host1.txt"), intake({"> Hello, my friend was arrested",
                                                       "<* How long have you been without news",
                                                       "> 3 days",
                                                       "<* Do you know where the person is now",
                                                       "> vottem",
                                                       "<* LAST NAME",
                                                       "> BENALI Mohamed",
                                                       "<* Which nationality",
                                                       "> moroccan",
                                                       "<* When were they arrested",
                                                       "> 12/3",
                                                       "<* Do they want a lawyer",
                                                       "> no",
                                                       "<* Has the detained person agreed",
                                                       "> yes",
                                                       "<* Anything else that can help the lawyer",
                                                       "> no",
                                                       "<* Here is what I noted",
                                                       "> yes",
                                                       "<* Its reference: ",
                                                       "<* 04 228 89 00"}));
  gvo::test::write_text(dir.file("host2.txt"), intake({"> Bonjour, mon cousin a été arrêté",
                                                       "<* Depuis combien",
                                                       "> 3 jours",
                                                       "<* Savez-vous où se trouve la personne",
                                                       "> votem",
                                                       "<* NOM et le prénom",
                                                       "> Mohammed Ben Ali",
                                                       "<* nationalité",
                                                       "> marocain",
                                                       "<* arrestation",
                                                       "> jeudi 12 mars",
                                                       "<* avocat",
                                                       "> non",
                                                       "<* d'accord que GVO partage",
                                                       "> oui",
                                                       "<* Autre chose",
                                                       "> non",
                                                       "<* Voici ce que j'ai noté",
                                                       "> oui",
                                                       "<* Sa référence : "}));
  // Both are enrolled (their keys pinned) before the first case is filed.
  REQUIRE(coordinator.wait_for_stdout("You are enrolled", 30s));
  REQUIRE(referent.wait_for_stdout("You are enrolled", 30s));
  for (const char* host : {"host1", "host2"}) {
    const auto chat = gvo::test::run_to_completion(
        kChat, {"--relay", relay, "--data", host, "--script", std::string(host) + ".txt"},
        dir.path());
    INFO(host << ": " << chat.err);
    REQUIRE(chat.exit_code == 0);
  }
  for (auto* staff : {&coordinator, &referent}) {
    const auto status = staff->wait_for_exit(60s);
    INFO(staff->stderr_text() << staff->stdout_text());
    CHECK(status == 0);
  }

  bot.process->send_signal(SIGTERM);
  REQUIRE(bot.process->wait_for_exit(5s) == 0);
  const std::string log = bot.process->stderr_text();
  CHECK_THAT(log, Catch::Matchers::Contains("a case was filed and linked"));
  for (const char* personal : {"BENALI", "Mohamed", "Mohammed", "Vottem", "vottem"})
    CHECK_THAT(log, !Catch::Matchers::Contains(personal));  // no personal data in logs
  CHECK_FALSE(gvo::test::contains(gvo::test::read_bytes(dir.file("bot/gvo-bot.db")), "BENALI"));
  CHECK_FALSE(gvo::test::contains(gvo::test::read_bytes(dir.file("bot/gvo-bot.db-wal")), "BENALI"));

  // The fingerprint the bot holds for the referent is the one their chat shows: `staff verify`
  // pins it; a wrong one is refused.
  const auto own =
      gvo::test::run_to_completion(kChat, {"--data", "ref-vottem", "--fingerprint"}, dir.path());
  REQUIRE(own.exit_code == 0);
  const std::string fingerprint = own.out.substr(0, own.out.find('\n'));
  CHECK(fingerprint.size() == 35);
  const auto listed =
      gvo::test::run_to_completion(kBot, {"--config", "bot.json", "staff", "list"}, dir.path());
  CHECK_THAT(listed.out,
             Catch::Matchers::Contains("ref-vottem\treferent\tvottem\ten\tactive\t" + fingerprint));
  CHECK(gvo::test::run_to_completion(
            kBot, {"--config", "bot.json", "staff", "verify", "ref-vottem", "00000 11111"},
            dir.path())
            .exit_code == 1);
  CHECK(
      gvo::test::run_to_completion(
          kBot, {"--config", "bot.json", "staff", "verify", "ref-vottem", fingerprint}, dir.path())
          .exit_code == 0);

  // The export: a new file only its owner can read, never written over.
  const auto exported = gvo::test::run_to_completion(
      kBot, {"--config", "bot.json", "cases", "export", "--output", "cases.json"}, dir.path());
  INFO(exported.err);
  REQUIRE(exported.exit_code == 0);
  CHECK_THAT(exported.out, Catch::Matchers::Contains("2 case(s) written to cases.json"));
  struct stat info {};
  REQUIRE(::stat(dir.file("cases.json").c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);
  const auto text = gvo::test::read_bytes(dir.file("cases.json"));
  CHECK(gvo::test::contains(text, "\"registered_name\""));
  CHECK(gvo::test::contains(text, "\"value\": \"BENALI Mohamed\""));
  CHECK(gvo::test::contains(text, "\"kind\": \"linked\""));
  const auto again = gvo::test::run_to_completion(
      kBot, {"--config", "bot.json", "cases", "export", "--output", "cases.json"}, dir.path());
  CHECK(again.exit_code == 1);
  CHECK_THAT(again.err, Catch::Matchers::Contains("remove it or choose another name"));
}

TEST_CASE("a relay that stops answering is noticed by its pings, and the chat goes on after") {
  gvo::test::TempDir dir;
  Stack stack = start_stack(dir, "echo");
  Daemon& relay = stack.relay;
  const std::string port = stack.port;
  gvo::test::write_text(dir.file("s.txt"), script("ping", 3));
  gvo::test::ChildProcess chat(kChat,
                               {"--relay", "127.0.0.1:" + port, "--data", "chat", "--script",
                                "s.txt", "--timeout", "30", "--idle-timeout", "1", "--verbose"},
                               dir.path());
  REQUIRE(chat.wait_for_stdout("gvo-bot> echo: ping 1\n", 30s));
  // The relay freezes: its sockets stay open but nothing answers (a half-open connection).
  relay.process->send_signal(SIGSTOP);
  const bool lost = chat.wait_for_stderr("relay connection lost", 10s);
  relay.process->send_signal(SIGCONT);
  INFO(chat.stderr_text());
  CHECK(lost);
  CHECK(chat.wait_for_exit(40s) == 0);
}

TEST_CASE("gvo-relay serves TLS with the given certificate and key") {
  gvo::test::TempDir dir;
  const auto made = gvo::test::run_to_completion(
      "/usr/bin/openssl",
      {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
       "-keyout", "key.pem", "-out", "cert.pem", "-days", "1", "-subj", "/CN=localhost"},
      dir.path());
  REQUIRE(made.exit_code == 0);
  Daemon relay = start_ready(dir, kRelay,
                             {"--listen", "127.0.0.1:0", "--port-file", "port", "--data", "relay",
                              "--tls-cert", "cert.pem", "--tls-key", "key.pem"},
                             "relay");
  std::string port;
  std::ifstream(dir.file("port")) >> port;
  CHECK_THAT(relay.process->stderr_text(), Catch::Matchers::Contains("wss://127.0.0.1:" + port));

  // A TLS client that trusts this certificate gets the relay's HTTP answer through the channel.
  boost::asio::io_context io;
  boost::asio::ssl::context tls(boost::asio::ssl::context::tls_client);
  tls.load_verify_file(dir.file("cert.pem"));
  boost::asio::ssl::stream<boost::asio::ip::tcp::socket> stream(io, tls);
  stream.set_verify_mode(boost::asio::ssl::verify_peer);
  stream.next_layer().connect(
      {boost::asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(std::stoi(port))});
  stream.handshake(boost::asio::ssl::stream_base::client);
  const std::string request = "GET /v1/websocket HTTP/1.1\r\nHost: localhost\r\n\r\n";
  boost::asio::write(stream, boost::asio::buffer(request));
  std::string answer(256, '\0');
  boost::system::error_code ec;
  const std::size_t got = stream.read_some(boost::asio::buffer(answer), ec);
  answer.resize(got);
  CHECK_THAT(answer, Catch::Matchers::StartsWith("HTTP/1.1 400 Bad Request"));

  // A client speaking plain HTTP to the TLS port gets no HTTP answer.
  boost::asio::ip::tcp::socket plain(io);
  plain.connect(
      {boost::asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(std::stoi(port))});
  boost::asio::write(plain, boost::asio::buffer(request));
  std::string refused(256, '\0');
  const std::size_t plain_got = plain.read_some(boost::asio::buffer(refused), ec);
  CHECK(std::string(refused.data(), plain_got).rfind("HTTP/1.1", 0) == std::string::npos);
}

TEST_CASE("gvo-bot staff and stats on the command line") {
  gvo::test::TempDir dir;
  gvo::test::write_text(dir.file("bot.json"),
                        R"({"data_dir": "bot", "sealing": {"create_key": true}})");
  auto bot = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"--config", "bot.json"});
    return gvo::test::run_to_completion(kBot, args, dir.path());
  };
  REQUIRE(bot({"init"}).exit_code == 0);
  CHECK(bot({"staff", "add", "ref-v", "referent"}).exit_code == 64);  // no centres
  CHECK(bot({"staff", "add", "x", "boss"}).exit_code == 64);
  CHECK(bot({"staff", "frobnicate"}).exit_code == 64);
  // Every argument is checked before anything is written.
  CHECK(bot({"staff", "add", "", "coordinator"}).exit_code == 64);
  CHECK(bot({"staff", "add", "two words", "coordinator"}).exit_code == 64);
  CHECK(bot({"staff", "add", "ref-x", "referent", "--centres", "atlantis"}).exit_code == 64);
  CHECK(bot({"staff", "add", "ref-x", "coordinator", "--language", "xx"}).exit_code == 64);
  CHECK(bot({"staff", "add", "ref-x", "coordinator", "--valid-hours", "0"}).exit_code == 64);
  const auto added = bot({"staff", "add", "ref-v", "referent", "--centres", "vottem,bruges"});
  INFO(added.err);
  REQUIRE(added.exit_code == 0);
  // The one-time enrolment code alone on stdout (for scripts), the explanation on stderr.
  const std::string code = added.out.substr(0, added.out.find('\n'));
  CHECK(
      std::regex_match(code, std::regex("[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}")));
  CHECK_THAT(added.err, Catch::Matchers::Contains("enrolment code"));
  CHECK(bot({"staff", "add", "ref-v", "coordinator"}).exit_code == 64);  // already there
  // First come is never trusted: the option that did it is refused, with what to do instead.
  const auto tofu = bot({"staff", "add", "ulm-77", "coordinator", "--trust-first-key"});
  CHECK(tofu.exit_code == 64);
  CHECK_THAT(tofu.err, Catch::Matchers::Contains("enrols with the code"));
  REQUIRE(bot({"staff", "add", "ulm-77", "coordinator"}).exit_code == 0);
  // A new code replaces the first (a lost message, a new phone); none for a stranger.
  const auto again = bot({"staff", "enrol", "ref-v"});
  REQUIRE(again.exit_code == 0);
  CHECK(again.out.substr(0, again.out.find('\n')) != code);
  CHECK(bot({"staff", "enrol", "nobody"}).exit_code == 64);
  const auto listed = bot({"staff", "list"});
  CHECK_THAT(listed.out, Catch::Matchers::Contains("ref-v\treferent\tvottem,bruges\tfr\tunverified"
                                                   "\t(no key yet)"));
  CHECK_THAT(listed.out, Catch::Matchers::Contains("ulm-77\tcoordinator\t-\tfr\tunverified"));
  // The codes are kept only as keyed hashes.
  CHECK_FALSE(gvo::test::contains(gvo::test::read_bytes(dir.file("bot/gvo-bot.db")),
                                  code.substr(0, 4) + code.substr(5, 4) + code.substr(10, 4)));
  const auto early = bot({"staff", "verify", "ref-v", "12345"});
  CHECK(early.exit_code == 64);
  CHECK_THAT(early.err, Catch::Matchers::Contains("no key for this address yet"));
  CHECK(bot({"staff", "remove", "ref-v"}).exit_code == 0);
  CHECK(bot({"staff", "remove", "ref-v"}).exit_code == 64);
  const auto stats = bot({"stats", "--csv"});
  CHECK(stats.exit_code == 0);
  CHECK(stats.out == "month,centre,status,count\n");
  // The addresses are sealed in the database, found by a keyed hash only.
  CHECK_FALSE(gvo::test::contains(gvo::test::read_bytes(dir.file("bot/gvo-bot.db")), "ulm-77"));
}

// One host's 200 messages wait at the relay ahead of a coordinator's command (the bot was
// stopped while they came); the command is still answered, and how long it took is printed, not
// judged (the machine is shared).
TEST_CASE("a flood from one host: a coordinator's command is still answered") {
  gvo::test::TempDir dir;
  Stack stack = start_stack(dir, "flow", {}, {{"coord", "coordinator", "--language", "en"}});
  const std::string relay = "127.0.0.1:" + stack.port;
  constexpr int kFlood = 200;  // the relay itself lets one account send 200 at once
  std::string flood;
  for (int i = 0; i < kFlood; ++i) flood += "> flood " + std::to_string(i) + "\n";
  gvo::test::write_text(dir.file("flood.txt"), flood);
  gvo::test::write_text(dir.file("coord.txt"),
                        enrolment(stack, "coord") + "> stats\n<* 0 cases.\n");
  // Stopped once its keys are at the relay, so that the flood can be sent to it.
  REQUIRE(stack.bot.process->wait_for_stderr("connected to the relay", 10s));
  stack.bot.process->send_signal(SIGSTOP);
  const auto flooded = gvo::test::run_to_completion(
      kChat, {"--relay", relay, "--data", "flooder", "--script", "flood.txt"}, dir.path());
  INFO(flooded.err);
  REQUIRE(flooded.exit_code == 0);  // all 400 are at the relay
  gvo::test::ChildProcess coordinator(kChat,
                                      {"--relay", relay, "--data", "coord", "--account", "coord",
                                       "--script", "coord.txt", "--timeout", "60"},
                                      dir.path());
  std::this_thread::sleep_for(500ms);  // its command joins the queue behind the flood
  const auto resumed = std::chrono::steady_clock::now();
  stack.bot.process->send_signal(SIGCONT);
  const auto status = coordinator.wait_for_exit(60s);
  const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - resumed);
  INFO(coordinator.stderr_text());
  CHECK(status == 0);
  std::printf(
      "flood: a coordinator's command was answered %lld ms after the bot resumed with %d "
      "messages of one host queued ahead of it\n",
      static_cast<long long>(waited.count()), kFlood);
}
