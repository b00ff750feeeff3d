// The relay client's session (bot/transport/relay_session.hpp) over beast::test::stream, an
// in-memory socket that can fail on demand, with a fake relay on the other end: the login and
// its failures at each fail count, requests matched to their answers, envelopes delivered and
// acknowledged, every kind of malformed frame answered or dropped with the session still serving
// after, and a connection that ends in the middle of a request.
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/beast/_experimental/test/stream.hpp>
#include <catch2/catch.hpp>

#include "bot/core/base64.hpp"
#include "bot/transport/relay_session.hpp"

namespace {

using namespace gvo;
using transport::Json;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using TestStream = beast::test::stream;
using Session = transport::RelaySession<TestStream>;

const std::string kAuthorization = "Basic Z3ZvLWJvdDphLXNlY3JldC1vZi1lbm91Z2gtbGVuZ3Ro";

// Runs the loop until done() or nothing is ready to run (timers are never waited for).
template <typename Done>
void run_until(boost::asio::io_context& io, Done done) {
  io.restart();
  for (int turns = 0; !done() && turns < 1'000'000; ++turns) {
    if (io.poll_one() == 0) break;
  }
}

// The relay's end of the pipe: reads the upgrade, then accepts or refuses it; then collects the
// frames the client sends and sends its own, one write at a time.
struct FakeRelay {
  websocket::stream<TestStream> ws;
  beast::flat_buffer buffer;
  http::request<http::string_body> upgrade;
  std::vector<Json> frames;  // from the client, parsed
  bool open = false;
  bool ended = false;
  std::deque<std::pair<bool, std::string>> outgoing;

  explicit FakeRelay(boost::asio::io_context& io) : ws(io) {}

  // Reads the upgrade request; then answer(true) accepts it, or the refusal is written.
  void serve(std::optional<std::pair<http::status, std::string>> refusal = std::nullopt) {
    http::async_read(ws.next_layer(), buffer, upgrade,
                     [this, refusal](beast::error_code ec, std::size_t) {
                       if (ec) {
                         ended = true;
                         return;
                       }
                       if (refusal) return refuse(refusal->first, refusal->second);
                       ws.async_accept(upgrade, [this](beast::error_code accepted) {
                         if (accepted) {
                           ended = true;
                           return;
                         }
                         open = true;
                         read();
                       });
                     });
  }

  void refuse(http::status status, const std::string& body) {
    auto response = std::make_shared<http::response<http::string_body>>(status, 11);
    response->set(http::field::content_type, "text/plain");
    response->body() = body;
    response->prepare_payload();
    http::async_write(ws.next_layer(), *response, [this, response](beast::error_code, std::size_t) {
      ws.next_layer().close();
      ended = true;
    });
  }

  void read() {
    ws.async_read(buffer, [this](beast::error_code ec, std::size_t) {
      if (ec) {
        open = false;
        ended = true;
        return;
      }
      frames.push_back(Json::parse(beast::buffers_to_string(buffer.data())));
      buffer.consume(buffer.size());
      read();
    });
  }

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

  // The client's frame of this kind and id (null until it came).
  Json frame(const std::string& type, std::uint64_t id) const {
    for (const Json& frame : frames) {
      if (frame.at("type") == type && frame.at("id") == id) return frame;
    }
    return nullptr;
  }
  std::size_t responses() const {
    std::size_t count = 0;
    for (const Json& frame : frames) count += frame.at("type") == "response" ? 1U : 0U;
    return count;
  }
};

// What the session told its owner.
struct Owner {
  int opened = 0;
  std::vector<std::pair<int, std::string>> refusals;
  std::vector<std::string> ends;
  std::vector<transport::Envelope> envelopes;
  std::vector<transport::RelayClient::Ack> acks;
  int queue_empty = 0;
  std::vector<core::relay::WireErrc> malformed;

  transport::RelaySessionEvents events() {
    transport::RelaySessionEvents events;
    events.open = [this] { ++opened; };
    events.refused = [this](int status, const std::string& reason) {
      refusals.emplace_back(status, reason);
    };
    events.ended = [this](const std::string& why) { ends.push_back(why); };
    events.envelope = [this](transport::Envelope envelope, transport::RelayClient::Ack ack) {
      envelopes.push_back(std::move(envelope));
      acks.push_back(std::move(ack));
    };
    events.queue_empty = [this] { ++queue_empty; };
    events.malformed = [this](core::relay::WireErrc code, const std::string&) {
      malformed.push_back(code);
    };
    return events;
  }
};

struct Harness {
  boost::asio::io_context io;
  Owner owner;
  FakeRelay relay{io};
  std::shared_ptr<Session> session;

  explicit Harness(beast::test::fail_count* failures = nullptr) {
    session = failures ? std::make_shared<Session>(owner.events(), transport::RelayTimings{}, io,
                                                   *failures)
                       : std::make_shared<Session>(owner.events(), transport::RelayTimings{}, io);
    beast::get_lowest_layer(session->ws()).connect(relay.ws.next_layer());
  }

  void login(std::optional<std::pair<http::status, std::string>> refusal = std::nullopt) {
    relay.serve(refusal);
    session->start({"relay.test", kAuthorization, "ABCD-EFGH-JKMN"});
    run_until(io,
              [&] { return owner.opened > 0 || !owner.ends.empty() || !owner.refusals.empty(); });
    run_until(io, [&] { return relay.open || relay.ended; });
  }
};

Json envelope_body() {
  return {{"guid", "0123456789abcdef"},
          {"type", 3},
          {"source", "host-1"},
          {"source_device", 1},
          {"client_timestamp", 1700000000000},
          {"server_timestamp", 1700000000001},
          {"content", core::base64_encode(std::vector<std::uint8_t>(20, 9))}};
}

std::string delivery(std::uint64_t id, const Json& body) {
  return Json{
      {"type", "request"}, {"id", id}, {"verb", "PUT"}, {"path", "/api/v1/message"}, {"body", body}}
      .dump();
}

std::string queue_empty(std::uint64_t id) {
  return Json{{"type", "request"}, {"id", id}, {"verb", "PUT"}, {"path", "/api/v1/queue/empty"}}
      .dump();
}

}  // namespace

TEST_CASE("relay session: the login carries the credentials and the claim, and opens") {
  Harness h;
  h.login();
  REQUIRE(h.owner.opened == 1);
  CHECK(h.session->open());
  CHECK(h.relay.upgrade[http::field::authorization] == kAuthorization);
  CHECK(h.relay.upgrade["X-Gvo-Claim"] == "ABCD-EFGH-JKMN");
  CHECK(h.relay.upgrade.target() == "/v1/websocket");
  CHECK(h.owner.ends.empty());
}

TEST_CASE("relay session: a refused login says the relay's reason, and a 5xx is a failed attempt") {
  {
    Harness h;
    h.login(std::make_pair(http::status::unauthorized, std::string("wrong secret\n")));
    REQUIRE(h.owner.refusals.size() == 1);
    CHECK(h.owner.refusals[0] == std::make_pair(401, std::string("wrong secret")));
    CHECK(h.owner.ends.empty());  // said as a refusal, not again as an end
    CHECK(h.owner.opened == 0);
  }
  {
    Harness h;
    h.login(std::make_pair(http::status::forbidden, std::string("claim code\x01 wrong\n")));
    REQUIRE(h.owner.refusals.size() == 1);
    CHECK(h.owner.refusals[0].second == "claim code? wrong");  // printable only
  }
  {
    Harness h;
    h.login(std::make_pair(http::status::service_unavailable, std::string("relay full\n")));
    CHECK(h.owner.refusals.empty());
    REQUIRE(h.owner.ends.size() == 1);
    CHECK(h.owner.ends[0] == "handshake: the relay answered 503");
  }
}

TEST_CASE(
    "relay session: a socket failing at each step of the login or after it ends the "
    "session once, never opened twice, its requests told") {
  bool ever_opened = false;
  bool ever_failed_in_login = false;
  bool survived = false;  // n past the operations of the whole exchange: nothing failed
  for (std::size_t n = 0; n < 100 && !survived; ++n) {
    INFO("failing from operation " << n);
    beast::test::fail_count failures(n);
    Harness h(&failures);
    h.login();
    int told = -1;
    if (h.owner.opened == 1) {
      ever_opened = true;
      h.session->request("GET", "/v1/keepalive", Json::object(),
                         [&](int status, const Json&) { told = status; });
      run_until(h.io, [&] { return !h.relay.frames.empty() || !h.owner.ends.empty(); });
      h.relay.send_text(Json{{"type", "response"}, {"id", 1}, {"status", 200}}.dump());
      h.relay.send_text(queue_empty(1));
      run_until(h.io, [&] { return !h.owner.ends.empty() || h.relay.responses() == 1; });
      survived = h.owner.ends.empty();
    } else {
      ever_failed_in_login = true;
    }
    CHECK(h.owner.opened <= 1);
    CHECK(h.owner.refusals.empty());
    if (survived) {
      CHECK(told == 200);
      CHECK(h.owner.queue_empty == 1);
      CHECK(h.session->open());
      break;
    }
    REQUIRE(h.owner.ends.size() == 1);
    CHECK_FALSE(h.session->open());
    if (h.owner.opened == 0) {
      CHECK(h.owner.ends[0].rfind("handshake: ", 0) == 0);
    } else {
      CHECK((told == 0 || told == 200));  // the request ended with the connection, or before
    }
    // A session that ended refuses further requests at once.
    int after = -1;
    h.session->request("GET", "/v1/keepalive", Json::object(),
                       [&](int status, const Json&) { after = status; });
    CHECK(after == 0);
  }
  CHECK(ever_failed_in_login);
  CHECK(ever_opened);
  CHECK(survived);
}

TEST_CASE("relay session: answers reach the request they answer, in any order") {
  Harness h;
  h.login();
  REQUIRE(h.owner.opened == 1);
  std::vector<std::pair<int, Json>> first, second;
  h.session->request("GET", "/v2/keys", Json::object(),
                     [&](int status, const Json& body) { first.emplace_back(status, body); });
  h.session->request("PUT", "/v1/messages/host-1", Json{{"timestamp", 1}},
                     [&](int status, const Json& body) { second.emplace_back(status, body); });
  run_until(h.io, [&] { return h.relay.frames.size() == 2; });
  REQUIRE(h.relay.frames.size() == 2);
  const Json keys = h.relay.frames[0];
  const Json send = h.relay.frames[1];
  CHECK(keys.at("verb") == "GET");
  CHECK(keys.at("path") == "/v2/keys");
  CHECK(send.at("path") == "/v1/messages/host-1");
  CHECK(send.at("body") == Json{{"timestamp", 1}});
  CHECK(keys.at("id") != send.at("id"));
  h.relay.send_text(Json{{"type", "response"}, {"id", 999}, {"status", 200}}
                        .dump());  // an answer to nothing asked: ignored
  h.relay.send_text(Json{
      {"type", "response"}, {"id", send.at("id")}, {"status", 429}, {"body", {{"retry_after", 2}}}}
                        .dump());
  h.relay.send_text(Json{
      {"type", "response"},
      {"id", keys.at("id")},
      {"status", 200},
      {"message", "OK"},
      {"body",
       {{"count", 12}}}}.dump());
  run_until(h.io, [&] { return !first.empty(); });
  REQUIRE(first.size() == 1);
  REQUIRE(second.size() == 1);
  CHECK(first[0].first == 200);
  CHECK(first[0].second == Json{{"count", 12}});
  CHECK(second[0].first == 429);
  CHECK(second[0].second == Json{{"retry_after", 2}});
  CHECK(h.owner.malformed.empty());
}

TEST_CASE("relay session: an envelope is handed over and acknowledged as its owner says") {
  Harness h;
  h.login();
  REQUIRE(h.owner.opened == 1);
  h.relay.send_text(delivery(5, envelope_body()));
  h.relay.send_text(delivery(6, envelope_body()));
  h.relay.send_text(queue_empty(7));
  run_until(h.io, [&] { return h.relay.responses() == 1; });
  CHECK(h.owner.queue_empty == 1);
  CHECK(h.relay.frame("response", 7).at("status") == 200);
  REQUIRE(h.owner.envelopes.size() == 2);
  const transport::Envelope& envelope = h.owner.envelopes[0];
  CHECK(envelope.guid == "0123456789abcdef");
  CHECK(envelope.type == 3);
  CHECK(envelope.source == "host-1");
  CHECK(envelope.client_timestamp == 1700000000000);
  CHECK(envelope.server_timestamp == 1700000000001);
  CHECK(envelope.content == std::vector<std::uint8_t>(20, 9));
  // Nothing is acknowledged before its owner says so; then each ack answers its own delivery.
  CHECK(h.relay.frame("response", 5).is_null());
  h.owner.acks[1](false);
  h.owner.acks[0](true);
  run_until(h.io, [&] { return h.relay.responses() == 3; });
  CHECK(h.relay.frame("response", 5).at("status") == 200);
  CHECK(h.relay.frame("response", 6).at("status") == 500);
}

TEST_CASE(
    "relay session: every kind of malformed frame is answered or dropped, and the "
    "session serves on") {
  struct Case {
    const char* what;
    std::string text;
    bool binary;
    int answer;  // the status the frame's id 40 is answered with; 0: dropped
  };
  auto with = [](const char* field, Json value) {
    Json body = envelope_body();
    if (value.is_discarded()) {
      body.erase(field);
    } else {
      body[field] = std::move(value);
    }
    return delivery(40, body);
  };
  const Json removed(Json::value_t::discarded);
  const std::vector<Case> cases = {
      {"not JSON", R"({"type": "request", "id": 40,)", false, 0},
      {"JSON, not an object", "[40]", false, 0},
      {"binary frame", std::string("\x00\x01\x02", 3), true, 0},
      {"request without id", R"({"type":"request","verb":"PUT","path":"/api/v1/message"})", false,
       0},
      {"request with a string id", R"({"type":"request","id":"40","verb":"PUT","path":"/"})", false,
       0},
      {"request with a negative id", R"({"type":"request","id":-40,"verb":"PUT","path":"/"})",
       false, 0},
      {"type not a string", R"({"type":1,"id":40})", false, 0},
      {"unknown frame type", R"({"type":"shout","id":40})", false, 0},
      {"request without verb", R"({"type":"request","id":40,"path":"/api/v1/message"})", false,
       400},
      {"body not an object", R"({"type":"request","id":40,"verb":"PUT","path":"/api/v1/message",
                                 "body":"x"})",
       false, 400},
      {"envelope type as a string", with("type", "3"), false, 400},
      {"envelope type 2", with("type", 2), false, 400},
      {"negative timestamp", with("client_timestamp", -5), false, 400},
      {"huge timestamp", with("client_timestamp", 1e30), false, 400},
      {"timestamp past 2^63", with("server_timestamp", UINT64_MAX), false, 400},
      {"bad base64", with("content", "no*base64"), false, 400},
      {"content not a string", with("content", 5), false, 400},
      {"no source", with("source", removed), false, 400},
      {"no guid", with("guid", removed), false, 400},
      {"source of another type", with("source", Json::array()), false, 400},
      {"unknown path (not malformed)",
       R"({"type":"request","id":40,"verb":"GET","path":"/v9/nothing"})", false, 404},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    Harness h;
    h.login();
    REQUIRE(h.owner.opened == 1);
    if (c.binary) {
      h.relay.send_binary(c.text);
    } else {
      h.relay.send_text(c.text);
    }
    // Frames are read in order: by the answer to 41, any answer to the bad frame has come.
    h.relay.send_text(queue_empty(41));
    run_until(h.io, [&] { return !h.relay.frame("response", 41).is_null(); });
    REQUIRE_FALSE(h.relay.frame("response", 41).is_null());
    const Json answer = h.relay.frame("response", 40);
    if (c.answer == 0) {
      CHECK(answer.is_null());
    } else {
      REQUIRE_FALSE(answer.is_null());
      CHECK(answer.at("status") == c.answer);
    }
    CHECK(h.owner.malformed.size() == (c.answer == 404 ? 0U : 1U));
    CHECK(h.owner.envelopes.empty());
    // Still serving: a delivery is handed over and a request answered.
    h.relay.send_text(delivery(42, envelope_body()));
    int status = 0;
    h.session->request("GET", "/v1/keepalive", Json::object(),
                       [&](int got, const Json&) { status = got; });
    run_until(h.io, [&] {
      return h.owner.envelopes.size() == 1 && !h.relay.frame("request", 1).is_null();
    });
    const Json keepalive = h.relay.frame("request", 1);
    REQUIRE_FALSE(keepalive.is_null());
    h.relay.send_text(Json{{"type", "response"}, {"id", 1}, {"status", 200}}.dump());
    run_until(h.io, [&] { return status != 0; });
    CHECK(status == 200);
    REQUIRE(h.owner.envelopes.size() == 1);
    h.owner.acks[0](true);
    run_until(h.io, [&] { return !h.relay.frame("response", 42).is_null(); });
    CHECK(h.relay.frame("response", 42).at("status") == 200);
    CHECK(h.owner.ends.empty());
    CHECK(h.session->open());
  }
}

TEST_CASE("relay session: an unreadable answer ends its request rather than leaving it waiting") {
  Harness h;
  h.login();
  REQUIRE(h.owner.opened == 1);
  int status = -1;
  h.session->request("GET", "/v2/keys/host-1", Json::object(),
                     [&](int got, const Json&) { status = got; });
  run_until(h.io, [&] { return !h.relay.frames.empty(); });
  h.relay.send_text(R"({"type":"response","id":1,"status":"200"})");
  run_until(h.io, [&] { return status != -1; });
  CHECK(status == transport::kUnreadableAnswer);
  CHECK(h.owner.malformed.size() == 1);
  CHECK(h.session->open());
}

TEST_CASE("relay session: a frame the WebSocket refuses is counted and ends the connection") {
  struct Case {
    const char* what;
    std::string text;
    core::relay::WireErrc code;
  };
  const std::vector<Case> cases = {
      {"over the limit", std::string(core::relay::kMaxFrameBytes + 1, ' '),
       core::relay::WireErrc::out_of_range},
      {"text not UTF-8", "{\"type\":\"request\",\"id\":40,\"verb\":\"PUT\",\"path\":\"/\xff\"}",
       core::relay::WireErrc::not_json},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    Harness h;
    h.login();
    REQUIRE(h.owner.opened == 1);
    h.relay.send_text(c.text);
    run_until(h.io, [&] { return !h.owner.ends.empty(); });
    REQUIRE(h.owner.ends.size() == 1);
    CHECK(h.owner.malformed == std::vector<core::relay::WireErrc>{c.code});
    CHECK_FALSE(h.session->open());
  }
}

TEST_CASE("relay session: a connection that ends in the middle of a request tells it (status 0)") {
  Harness h;
  h.login();
  REQUIRE(h.owner.opened == 1);
  std::vector<int> told;
  h.session->request("PUT", "/v1/messages/host-1", Json::object(),
                     [&](int status, const Json& body) {
                       told.push_back(status);
                       CHECK(body == Json::object());
                     });
  run_until(h.io, [&] { return !h.relay.frames.empty(); });
  REQUIRE(h.relay.frames.size() == 1);
  h.relay.ws.next_layer().close();  // the relay goes away before answering
  run_until(h.io, [&] { return !h.owner.ends.empty(); });
  CHECK(told == std::vector<int>{0});
  REQUIRE(h.owner.ends.size() == 1);
  CHECK(h.owner.ends[0].rfind("read: ", 0) == 0);
  // Shutting it afterwards says nothing more.
  h.session->shut();
  CHECK(h.owner.ends.size() == 1);
  CHECK(told.size() == 1);
}

TEST_CASE("relay session: shut by its owner, it tells pending requests and nothing else") {
  Harness h;
  h.login();
  REQUIRE(h.owner.opened == 1);
  int told = -1;
  h.session->request("GET", "/v2/keys", Json::object(),
                     [&](int status, const Json&) { told = status; });
  h.session->shut();
  CHECK(told == 0);
  run_until(h.io, [] { return false; });
  CHECK(h.owner.ends.empty());
}
