// The relay's connection over beast::test::stream (an in-memory socket): bad credentials,
// malformed, binary, oversized, truncated and out-of-order frames get an error answer or a
// close, and the relay keeps serving its other clients.
#include "bot/relay/connection.hpp"

#include <deque>

#include <boost/asio/io_context.hpp>
#include <boost/beast/_experimental/test/stream.hpp>
#include <catch2/catch.hpp>

#include "bot/core/base64.hpp"
#include "tests/storage/storage_support.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using namespace gvo;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using TestStream = beast::test::stream;

std::string basic(const std::string& account, const std::string& secret) {
  const std::string text = account + ":" + secret;
  return "Basic " + core::base64_encode(std::vector<std::uint8_t>(text.begin(), text.end()));
}

struct Relay {
  test::TempDir dir;
  boost::asio::io_context io;
  storage::Database db = test::open_test_database(dir.file("relay.db"));
  std::unique_ptr<relay::RelayService> service;
  std::unique_ptr<relay::Hub> hub;

  Relay() {
    REQUIRE(storage::migrate(db, relay::RelayService::migrations()).ok());
    service = std::make_unique<relay::RelayService>(db, true);
    hub = std::make_unique<relay::Hub>(*service);
  }

  // Runs the loop until done() or nothing is left to do.
  template <typename Done>
  void run_until(Done done) {
    io.restart();
    for (int turns = 0; !done() && turns < 100000; ++turns) {
      if (io.poll_one() == 0) break;
    }
  }
};

// A client on one end of an in-memory pipe, the relay's Connection on the other.
struct Client {
  websocket::stream<TestStream> ws;
  beast::flat_buffer buffer;
  bool open = false;
  beast::error_code last_error;
  std::vector<std::string> frames;

  websocket::response_type upgrade_response;  // the upgrade's answer

  Client(Relay& relay, const std::string& authorization, const std::string& claim_code = "",
         const std::string& target = "/v1/websocket")
      : ws(relay.io) {
    TestStream server_side(relay.io);
    server_side.connect(ws.next_layer());
    std::make_shared<relay::Connection<TestStream>>(*relay.hub, relay::ConnectionLimits{},
                                                    std::move(server_side))
        ->start();
    ws.set_option(
        websocket::stream_base::decorator([authorization, claim_code](websocket::request_type& r) {
          r.set(beast::http::field::authorization, authorization);
          if (!claim_code.empty()) r.set("X-Gvo-Claim", claim_code);
        }));
    bool done = false;
    ws.async_handshake(upgrade_response, "relay", target, [&](beast::error_code ec) {
      last_error = ec;
      open = !ec;
      done = true;
    });
    relay.run_until([&] { return done; });
    if (open) read();
  }

  void read() {
    ws.async_read(buffer, [this](beast::error_code ec, std::size_t) {
      if (ec) {
        last_error = ec;
        open = false;
        return;
      }
      frames.push_back(beast::buffers_to_string(buffer.data()));
      buffer.consume(buffer.size());
      read();
    });
  }

  // Outgoing frames wait their turn (one write at a time) and stay alive until written.
  std::deque<std::pair<bool, std::string>> outgoing;

  void send_text(const std::string& text) { queue(true, text); }
  void send_binary(const std::string& bytes) { queue(false, bytes); }

  void queue(bool text, const std::string& payload) {
    outgoing.emplace_back(text, payload);
    if (outgoing.size() == 1) write_next();
  }

  void write_next() {
    ws.text(outgoing.front().first);
    ws.async_write(boost::asio::buffer(outgoing.front().second),
                   [this](beast::error_code ec, std::size_t) {
                     outgoing.pop_front();
                     if (!ec && !outgoing.empty()) write_next();
                   });
  }

  // The last response to request id, as JSON (null if none came).
  relay::Json response(std::uint64_t id) const {
    for (const auto& frame : frames) {
      const auto json = relay::Json::parse(frame, nullptr, false);
      if (json.is_object() && json.value("type", "") == "response" &&
          json.value("id", 0ULL) == id) {
        return json;
      }
    }
    return nullptr;
  }
};

std::string keepalive(std::uint64_t id) {
  return relay::Json{{"type", "request"}, {"id", id}, {"verb", "GET"}, {"path", "/v1/keepalive"}}
      .dump();
}

const std::string kSecret = "a-secret-of-enough-length";

}  // namespace

TEST_CASE("an upgrade without the right credentials is refused with its HTTP status") {
  Relay relay;
  Client no_auth(relay, "");
  CHECK_FALSE(no_auth.open);
  Client registered(relay, basic("alice", kSecret));
  CHECK(registered.open);
  Client wrong(relay, basic("alice", "another-secret-entirely"));
  CHECK_FALSE(wrong.open);
  CHECK(wrong.last_error == websocket::error::upgrade_declined);
  Client bad_name(relay, basic("al ice", kSecret));
  CHECK_FALSE(bad_name.open);
}

TEST_CASE("a refused upgrade says why in its body, and the log says why without names") {
  Relay relay;
  std::vector<std::string> notices;
  relay.hub->set_notice_log([&](const std::string& line) { notices.push_back(line); });
  auto issued = relay.service->accounts().add("gvo-bot", 3600 * 1000, false, relay::now_ms());
  REQUIRE(issued.ok());
  struct Case {
    std::string account;
    std::string secret;
    std::string code;
    unsigned status;
    std::string body;
  };
  const Case cases[] = {
      {"gvo-bot", kSecret, "", 403, "claim code wrong or expired\n"},
      {"gvo-bot", kSecret, "0000-0000-000", 403, "claim code wrong or expired\n"},
      {"gvo-b0t", kSecret, "", 403, "name too close to a reserved account\n"},
      {"Gvo-bot", kSecret, "", 403, "name not allowed\n"},
      {"gvo-bot", kSecret, issued->code, 101, ""},
      {"gvo-bot", "another-secret-entirely", issued->code, 401, "wrong secret\n"},
  };
  for (const Case& c : cases) {
    INFO(c.account << " " << c.code);
    Client client(relay, basic(c.account, c.secret), c.code);
    CHECK(client.upgrade_response.result_int() == c.status);
    CHECK(client.upgrade_response.body() == c.body);
    CHECK(client.open == (c.status == 101));
  }
  REQUIRE(notices.size() == 6);  // five refusals and the claim
  CHECK(notices[0].find("upgrade refused, 403 claim code wrong or expired: ") == 0);
  CHECK(notices[4] == "an account was claimed with its code");
  CHECK(notices[5].find("upgrade refused, 401 wrong secret") == 0);
  for (const std::string& line : notices) {
    INFO(line);
    for (const std::string& secret :
         {std::string("gvo-b"), std::string("Gvo-bot"), kSecret, issued->code}) {
      CHECK(line.find(secret) == std::string::npos);
    }
  }
}

TEST_CASE("each kind of bad frame gets an answer or a close, and other clients go on") {
  struct Case {
    const char* what;
    std::function<void(Client&)> send;
    bool stays_open;
    int close_code;  // when closed
  };
  const Case cases[] = {
      {"not JSON", [](Client& c) { c.send_text("{\"type\": \"request\", \"id\": 1,"); }, false,
       websocket::close_code::policy_error},
      {"JSON, not an object", [](Client& c) { c.send_text("[1, 2, 3]"); }, false,
       websocket::close_code::policy_error},
      {"binary frame", [](Client& c) { c.send_binary(std::string("\x00\x01\x02", 3)); }, false,
       websocket::close_code::bad_payload},
      {"frame over 256 KiB", [](Client& c) { c.send_text(std::string(300 * 1024, 'x')); }, false,
       websocket::close_code::too_big},
      {"request without verb", [](Client& c) { c.send_text(R"({"type": "request", "id": 5})"); },
       true, 0},
      {"unknown frame type", [](Client& c) { c.send_text(R"({"type": "shout", "id": 6})"); }, true,
       0},
      {"a response to nothing asked",
       [](Client& c) { c.send_text(R"({"type": "response", "id": 999, "status": 200})"); }, true,
       0},
      {"unknown path",
       [](Client& c) {
         c.send_text(R"({"type": "request", "id": 8, "verb": "GET", "path": "/v9/nothing"})");
       },
       true, 0},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    Relay relay;
    Client bystander(relay, basic("bob", kSecret));
    Client client(relay, basic("mallory", kSecret));
    REQUIRE(client.open);
    c.send(client);
    relay.run_until([&] { return !client.open || !client.frames.empty(); });
    relay.run_until([] { return false; });  // let everything settle
    CHECK(client.open == c.stays_open);
    if (!c.stays_open) {
      CHECK(client.ws.reason().code == c.close_code);
    } else {
      client.send_text(keepalive(42));  // the connection still serves
      relay.run_until([&] { return !client.response(42).is_null(); });
      CHECK(client.response(42).value("status", 0) == 200);
    }
    bystander.send_text(keepalive(7));
    relay.run_until([&] { return !bystander.response(7).is_null(); });
    CHECK(bystander.response(7).value("status", 0) == 200);
  }
}

TEST_CASE("answers to malformed requests name the problem") {
  Relay relay;
  Client client(relay, basic("carol", kSecret));
  REQUIRE(client.open);
  client.send_text(R"({"type": "request", "id": 1})");
  client.send_text(R"({"type": "request", "id": 2, "verb": "PUT", "path": "/v2/keys", "body": 5})");
  client.send_text(
      R"({"type": "request", "id": 3, "verb": "PUT", "path": "/v2/keys", "body": {}})");
  client.send_text(
      R"({"type": "request", "id": 4, "verb": "PUT", "path": "/v1/messages/nobody", "body": {"timestamp": 1, "messages": [{"type": 1, "destination_device_id": 1, "destination_registration_id": 1, "content": "AAAA"}]}})");
  relay.run_until([&] { return !client.response(4).is_null(); });
  CHECK(client.response(1).value("status", 0) == 400);
  CHECK(client.response(2).value("status", 0) == 400);
  CHECK(client.response(3).value("status", 0) == 400);
  CHECK(client.response(4).value("status", 0) == 404);
}

TEST_CASE("a connection cut in the middle of a frame leaves the relay serving the others") {
  Relay relay;
  Client bystander(relay, basic("dave", kSecret));
  Client client(relay, basic("erin", kSecret));
  REQUIRE(client.open);
  // A masked text frame header announcing 100 bytes, then 10 of them, then the line drops.
  const std::string partial =
      std::string("\x81\xE4", 2) + std::string("\x01\x02\x03\x04", 4) + std::string(10, 'x');
  boost::asio::write(client.ws.next_layer(), boost::asio::buffer(partial));
  client.ws.next_layer().close();
  relay.run_until([] { return false; });
  bystander.send_text(keepalive(9));
  relay.run_until([&] { return !bystander.response(9).is_null(); });
  CHECK(bystander.response(9).value("status", 0) == 200);
  CHECK(relay.hub->connected() == 1);  // the cut connection left
}

TEST_CASE("a second connection of the same account replaces the first") {
  Relay relay;
  Client first(relay, basic("frank", kSecret));
  Client second(relay, basic("frank", kSecret));
  relay.run_until([] { return false; });
  CHECK_FALSE(first.open);
  CHECK(second.open);
  CHECK(relay.hub->connected() == 1);
}

TEST_CASE("GET /v1/login says whether a login would be taken, and changes nothing") {
  Relay relay;
  Client bot(relay, basic("gvo-bot", kSecret));
  REQUIRE(bot.open);
  const auto check = [&](const std::string& authorization) {
    Client asking(relay, authorization, "", "/v1/login");
    CHECK_FALSE(asking.open);  // never upgraded
    return std::make_pair(asking.upgrade_response.result_int(), asking.upgrade_response.body());
  };

  // The bot's own login: accepted, and its open connection is not replaced.
  CHECK(check(basic("gvo-bot", kSecret)) ==
        std::make_pair(200U, std::string("credentials accepted\n")));
  relay.run_until([] { return false; });
  CHECK(bot.open);
  CHECK(relay.hub->connected() == 1);

  CHECK(check(basic("gvo-bot", "another-secret-entirely")).first == 401);
  CHECK(check("").first == 401);
  // An unknown name is not registered by being asked about, on an open relay.
  CHECK(check(basic("newcomer", kSecret)).first == 404);
  auto accounts = relay.service->accounts().list();
  REQUIRE(accounts.ok());
  CHECK(accounts.value().size() == 1);
  // A reserved account is not claimed, and asking does not count against its claim.
  auto issued = relay.service->accounts().add("coordinator", 3600 * 1000, false, relay::now_ms());
  REQUIRE(issued.ok());
  for (int i = 0; i < 12; ++i) {
    Client asking(relay, basic("coordinator", kSecret), "WRONG-CODE-0000", "/v1/login");
    CHECK(asking.upgrade_response.result_int() == 403);
  }
  Client claiming(relay, basic("coordinator", kSecret), issued.value().code);
  CHECK(claiming.open);
}
