// The real gvo-relay binary: `gvo-relay accounts add/list/remove` (outputs and exit codes), and
// issue 12's attack: someone connects as gvo-bot before the bot has claimed it. The attacker is a
// raw Beast WebSocket client that reads the relay's refusal (status and body).
#include <algorithm>
#include <cctype>
#include <chrono>
#include <fstream>
#include <regex>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <catch2/catch.hpp>

#include "bot/core/base64.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

using namespace std::chrono_literals;

namespace {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
using boost::asio::ip::tcp;

const std::string kRelay = GVO_RELAY_PATH;
const std::string kBotSecret = "the-real-bot-secret-0123456789";
const std::string kAttackerSecret = "the-attacker-secret-98765432";

gvo::test::Completed relay_command(const gvo::test::TempDir& dir,
                                   const std::vector<std::string>& args) {
  return gvo::test::run_to_completion(kRelay, args, dir.path());
}

bool is_code_line(const std::string& out) {
  static const std::regex kCodeLine(
      "[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}\n");
  return std::regex_match(out, kCodeLine);
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

// The answer to one WebSocket upgrade: 101 once open, or the refusal's status and body.
struct Upgrade {
  int status = 0;
  std::string body;
};

Upgrade upgrade(const std::string& port, const std::string& account, const std::string& secret,
                const std::string& claim_code = "") {
  boost::asio::io_context io;
  websocket::stream<beast::tcp_stream> ws(io);
  ws.next_layer().connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"),
                                        static_cast<unsigned short>(std::stoi(port))));
  const std::string credentials = account + ":" + secret;
  const std::string authorization = "Basic " + gvo::core::base64_encode(std::vector<std::uint8_t>(
                                                   credentials.begin(), credentials.end()));
  ws.set_option(websocket::stream_base::decorator([&](websocket::request_type& request) {
    request.set(beast::http::field::authorization, authorization);
    if (!claim_code.empty()) request.set("X-Gvo-Claim", claim_code);
  }));
  // Asynchronously: Beast's synchronous handshake leaves the response empty when it is refused.
  websocket::response_type response;
  beast::error_code handshake_ec = boost::asio::error::timed_out;
  ws.async_handshake(response, "127.0.0.1", "/v1/websocket", [&](beast::error_code ec) {
    handshake_ec = ec;
    if (!ec) ws.async_close(websocket::close_code::normal, [](beast::error_code) {});
  });
  io.run_for(10s);
  INFO(handshake_ec.message());
  CHECK((handshake_ec == websocket::error::upgrade_declined || !handshake_ec));
  return {static_cast<int>(response.result_int()), response.body()};
}

}  // namespace

TEST_CASE("gvo-relay accounts add, list and remove: outputs and exit codes") {
  gvo::test::TempDir dir;
  const auto added = relay_command(dir, {"accounts", "add", "gvo-bot", "--data", "d"});
  INFO(added.err);
  REQUIRE(added.exit_code == 0);
  CHECK(is_code_line(added.out));  // the code alone, for code=$(...)
  const std::string code = first_line(added.out);
  CHECK(added.err.find("gvo-chat --claim CODE") != std::string::npos);
  CHECK(added.err.find("gvo-bot relay-claim CODE") != std::string::npos);
  CHECK(std::regex_search(added.err, std::regex("until 20[0-9]{2}-[0-9]{2}-[0-9]{2} ")));
  CHECK(added.err.find(code) == std::string::npos);  // never where a log might keep it

  const auto again =
      relay_command(dir, {"accounts", "add", "gvo-bot", "--data", "d", "--valid-hours", "1"});
  CHECK(again.exit_code == 0);
  CHECK(is_code_line(again.out));
  CHECK(first_line(again.out) != code);

  const auto staff = relay_command(dir, {"accounts", "add", "--data", "d", "coordinator"});
  CHECK(staff.exit_code == 0);

  struct Refused {
    std::vector<std::string> args;
    int exit_code;
    const char* says;
  };
  const Refused refused[] = {
      {{"accounts", "add", "gvo-b0t", "--data", "d"}, 1, "reads like another provisioned"},
      {{"accounts", "add", "GVO-bot", "--data", "d"}, 64, "is not an account name"},
      {{"accounts", "add", "gvo-x", "--data", "d", "--valid-hours", "0"}, 64, "--valid-hours"},
      {{"accounts", "add", "gvo-x", "--data", "d", "--valid-hours", "7days"}, 64, "--valid-hours"},
      {{"accounts", "add", "gvo-x", "--data", "d", "--valid-hours"}, 64, "needs a value"},
      {{"accounts", "add", "--data", "d"}, 64, "needs one NAME"},
      {{"accounts", "add", "a", "b", "--data", "d"}, 64, "needs one NAME"},
      {{"accounts", "list", "gvo-bot", "--data", "d"}, 64, "takes no NAME"},
      {{"accounts", "remove", "gvo-bot", "--reset", "--data", "d"}, 64, "go with accounts add"},
      {{"accounts", "rename", "gvo-bot", "--data", "d"}, 64, "unknown accounts command"},
      {{"accounts", "list", "--data", "d", "--frob"}, 64, "unknown option"},
      {{"accounts"}, 64, "needs add, list or remove"},
      {{"accounts", "remove", "nobody", "--data", "d"}, 1, "no account 'nobody'"},
      {{"accounts", "list", "--data", "missing"}, 78, "no such file"},
      {{"accounts", "remove", "gvo-bot", "--data", "missing"}, 78, "no such file"},
  };
  for (const Refused& r : refused) {
    const auto run = relay_command(dir, r.args);
    INFO(r.args[std::min<std::size_t>(1, r.args.size() - 1)] << ": " << run.err);
    CHECK(run.exit_code == r.exit_code);
    CHECK(run.err.find(r.says) != std::string::npos);
    CHECK(run.out.empty());
  }

  const auto listed = relay_command(dir, {"accounts", "list", "--data", "d"});
  REQUIRE(listed.exit_code == 0);
  CHECK(std::regex_search(listed.out, std::regex("^NAME +STATE +CREATED\n")));
  CHECK(std::regex_search(listed.out,
                          std::regex("\ncoordinator +reserved +20[0-9]{2}-[0-9]{2}-[0-9]{2}\n")));
  CHECK(std::regex_search(listed.out, std::regex("\ngvo-bot +reserved +20")));
  CHECK(listed.out.find("gvo-b0t") == std::string::npos);  // the refused add left nothing

  const auto removed = relay_command(dir, {"accounts", "remove", "coordinator", "--data", "d"});
  CHECK(removed.exit_code == 0);
  const auto after = relay_command(dir, {"accounts", "list", "--data", "d"});
  CHECK(after.out.find("coordinator") == std::string::npos);
  CHECK(after.out.find("gvo-bot") != std::string::npos);
  CHECK(relay_command(dir, {"accounts", "remove", "coordinator", "--data", "d"}).exit_code == 1);

  const auto help = relay_command(dir, {"accounts", "--help"});
  CHECK(help.exit_code == 0);
  for (const char* text :
       {"accounts add NAME", "--valid-hours", "--reset", "accounts list", "accounts remove NAME"}) {
    CHECK(help.out.find(text) != std::string::npos);
  }
  CHECK(relay_command(dir, {"--help"}).out.find("gvo-relay accounts") != std::string::npos);
}

TEST_CASE("someone connecting first as gvo-bot is refused, then the bot claims it with its code") {
  gvo::test::TempDir dir;
  const auto added = relay_command(dir, {"accounts", "add", "gvo-bot", "--data", "relay"});
  REQUIRE(added.exit_code == 0);
  const std::string code = first_line(added.out);
  const std::string wrong_code = code == "0000-0000-0000" ? "0000-0000-0001" : "0000-0000-0000";

  auto relay = gvo::test::start_ready(
      kRelay, {"--listen", "127.0.0.1:0", "--port-file", "port", "--data", "relay"}, dir.path(),
      "relay");
  std::string port;
  std::ifstream(dir.file("port")) >> port;
  REQUIRE_FALSE(port.empty());

  // The attacker, before the bot: without a code, with a wrong one, and under a look-alike.
  const Upgrade no_code = upgrade(port, "gvo-bot", kAttackerSecret);
  CHECK(no_code.status == 403);
  CHECK(no_code.body == "claim code wrong or expired\n");
  const Upgrade guessed = upgrade(port, "gvo-bot", kAttackerSecret, wrong_code);
  CHECK(guessed.status == 403);
  CHECK(guessed.body == "claim code wrong or expired\n");
  const Upgrade look_alike = upgrade(port, "gvo-b0t", kAttackerSecret);
  CHECK(look_alike.status == 403);
  CHECK(look_alike.body == "name too close to a reserved account\n");
  const Upgrade capitals = upgrade(port, "GVO-bot", kAttackerSecret);
  CHECK(capitals.status == 403);
  CHECK(capitals.body == "name not allowed\n");

  // The bot, with its code (as typed by a person: lowercase, no dashes).
  std::string typed = code;
  typed.erase(std::remove(typed.begin(), typed.end(), '-'), typed.end());
  std::transform(typed.begin(), typed.end(), typed.begin(),
                 [](char c) { return static_cast<char>(std::tolower(c)); });
  CHECK(upgrade(port, "gvo-bot", kBotSecret, typed).status == 101);
  CHECK(upgrade(port, "gvo-bot", kBotSecret).status == 101);
  // From now on the secret decides; a code opens nothing.
  const Upgrade late = upgrade(port, "gvo-bot", kAttackerSecret, code);
  CHECK(late.status == 401);
  CHECK(late.body == "wrong secret\n");
  // Hosts still register themselves, look-alikes among them included.
  CHECK(upgrade(port, "host-12", kAttackerSecret).status == 101);
  CHECK(upgrade(port, "host1-2", kAttackerSecret).status == 101);

  const auto listed = relay_command(dir, {"accounts", "list", "--data", "relay"});
  CHECK(std::regex_search(listed.out, std::regex("\ngvo-bot +claimed ")));
  CHECK(std::regex_search(listed.out, std::regex("\nhost-12 +self-registered ")));
  // A claimed account is not re-issued without --reset (a lost device).
  const auto reissued = relay_command(dir, {"accounts", "add", "gvo-bot", "--data", "relay"});
  CHECK(reissued.exit_code == 1);
  CHECK(reissued.err.find("in use (claimed)") != std::string::npos);
  CHECK(reissued.out.empty());

  // Each refusal is in the relay's log with its reason, but not the names, secrets or codes.
  REQUIRE(relay.process->wait_for_stderr("an account was claimed", 10s));
  const std::string log = relay.process->stderr_text();
  CHECK(log.find("upgrade refused, 403 claim code wrong or expired") != std::string::npos);
  CHECK(log.find("upgrade refused, 403 name too close to a reserved account") != std::string::npos);
  CHECK(log.find("upgrade refused, 401 wrong secret") != std::string::npos);
  for (const std::string& secret :
       {std::string("gvo-bot"), std::string("gvo-b0t"), std::string("host-12"), kBotSecret,
        kAttackerSecret, code, typed, wrong_code}) {
    INFO(secret);
    CHECK(log.find(secret) == std::string::npos);
  }
}

TEST_CASE("a closed relay tells an unknown account it is not provisioned") {
  gvo::test::TempDir dir;
  auto relay = gvo::test::start_ready(
      kRelay, {"--listen", "127.0.0.1:0", "--port-file", "port", "--data", "relay", "--closed"},
      dir.path(), "relay");
  std::string port;
  std::ifstream(dir.file("port")) >> port;
  const Upgrade unknown = upgrade(port, "host-1", kAttackerSecret);
  CHECK(unknown.status == 403);
  CHECK(unknown.body ==
        "account not provisioned on this relay (its admin: gvo-relay accounts add NAME)\n");
  // Provisioned while it runs: the next connection claims it.
  const auto added = relay_command(dir, {"accounts", "add", "host-1", "--data", "relay"});
  REQUIRE(added.exit_code == 0);
  CHECK(upgrade(port, "host-1", kBotSecret, first_line(added.out)).status == 101);
}
