// A running gvo-bot against a fake relay that sends it every kind of malformed frame (issue 14:
// a frame the bot could not read used to end its process, and the relay then sent it again after
// each restart). The fake relay (a Beast WebSocket server on 127.0.0.1, port 0, on a thread of
// this test) accepts the bot's login, answers its key requests, sends the bad frames, then
// well-formed requests: the bot answers them, stays alive, answers 400 where a bad request has
// an id, and logs a counted line that quotes nothing it was sent.
#include <chrono>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <signal.h>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

using namespace std::chrono_literals;

namespace {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = boost::asio::ip::tcp;
using Json = nlohmann::json;

const std::string kBot = GVO_BOT_PATH;

// The relay's side: one io_context on its own thread. The test thread posts frames to send and
// waits, on a condition variable, for the bot's answers and logins.
class FakeRelay {
 public:
  FakeRelay() : acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
    accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  FakeRelay(const FakeRelay&) = delete;
  FakeRelay& operator=(const FakeRelay&) = delete;
  ~FakeRelay() {
    io_.stop();
    thread_.join();
  }

  unsigned short port() const { return acceptor_.local_endpoint().port(); }

  // Sends a frame on the newest connection (binary: as a binary frame).
  void send(std::string payload, bool binary = false) {
    boost::asio::post(io_, [this, payload = std::move(payload), binary] {
      if (!current_) return;
      current_->outbox.emplace_back(binary, payload);
      if (current_->outbox.size() == 1) write_next(current_);
    });
  }

  bool wait_for_logins(int count, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return logins_ >= count; });
  }

  // The status the bot answered request id with, once it has.
  std::optional<int> answer(std::uint64_t id, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!changed_.wait_for(lock, timeout, [&] { return answers_.count(id) > 0; })) {
      return std::nullopt;
    }
    return answers_.at(id);
  }

  std::map<std::uint64_t, int> answers() {
    std::lock_guard<std::mutex> lock(mutex_);
    return answers_;
  }

 private:
  struct Connection {
    explicit Connection(tcp::socket socket) : ws(std::move(socket)) {}
    websocket::stream<tcp::socket> ws;
    beast::flat_buffer buffer;
    std::deque<std::pair<bool, std::string>> outbox;
  };
  using Shared = std::shared_ptr<Connection>;

  void accept() {
    acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec) return;
      auto connection = std::make_shared<Connection>(std::move(socket));
      connection->ws.read_message_max(4 * 1024 * 1024);
      connection->ws.async_accept([this, connection](beast::error_code accepted) {
        if (accepted) return;
        current_ = connection;
        {
          std::lock_guard<std::mutex> lock(mutex_);
          ++logins_;
        }
        changed_.notify_all();
        read(connection);
      });
      accept();
    });
  }

  void read(const Shared& connection) {
    connection->ws.async_read(
        connection->buffer, [this, connection](beast::error_code ec, std::size_t) {
          if (ec) return;
          const Json frame = Json::parse(beast::buffers_to_string(connection->buffer.data()));
          connection->buffer.consume(connection->buffer.size());
          on_frame(connection, frame);
          read(connection);
        });
  }

  // The bot's requests get what a relay would say; its answers are kept for the test.
  void on_frame(const Shared& connection, const Json& frame) {
    if (frame.at("type") == "response") {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        answers_[frame.at("id").get<std::uint64_t>()] = frame.at("status").get<int>();
      }
      changed_.notify_all();
      return;
    }
    Json body = Json::object();
    if (frame.at("verb") == "GET" && frame.at("path") == "/v2/keys") body = {{"count", 100}};
    const Json response{
        {"type", "response"}, {"id", frame.at("id")}, {"status", 200}, {"body", body}};
    connection->outbox.emplace_back(false, response.dump());
    if (connection->outbox.size() == 1) write_next(connection);
  }

  void write_next(const Shared& connection) {
    connection->ws.binary(connection->outbox.front().first);
    connection->ws.async_write(boost::asio::buffer(connection->outbox.front().second),
                               [this, connection](beast::error_code ec, std::size_t) {
                                 if (ec) return;
                                 connection->outbox.pop_front();
                                 if (!connection->outbox.empty()) write_next(connection);
                               });
  }

  boost::asio::io_context io_;
  tcp::acceptor acceptor_;
  std::thread thread_;
  Shared current_;  // on the relay's thread only
  std::mutex mutex_;
  std::condition_variable changed_;
  int logins_ = 0;
  std::map<std::uint64_t, int> answers_;
};

Json envelope() {
  return {{"guid", "0123456789abcdef"},
          {"type", 1},
          {"source", "host-1"},
          {"source_device", 1},
          {"client_timestamp", 1700000000000},
          {"server_timestamp", 1700000000001},
          {"content", "AAAA"}};
}

std::string delivery(std::uint64_t id, const Json& body) {
  return Json{
      {"type", "request"}, {"id", id}, {"verb", "PUT"}, {"path", "/api/v1/message"}, {"body", body}}
      .dump();
}

std::string with(std::uint64_t id, const char* field, const Json& value) {
  Json body = envelope();
  if (value.is_discarded()) {
    body.erase(field);
  } else {
    body[field] = value;
  }
  return delivery(id, body);
}

std::string queue_empty(std::uint64_t id) {
  return Json{{"type", "request"}, {"id", id}, {"verb", "PUT"}, {"path", "/api/v1/queue/empty"}}
      .dump();
}

const std::string kPersonal = "Ahmed-0470123456";

}  // namespace

TEST_CASE("a running gvo-bot fed every kind of malformed relay frame keeps serving") {
  gvo::test::TempDir dir;
  FakeRelay relay;
  gvo::test::write_text(dir.file("bot.json"),
                        "{\"data_dir\": \"bot\", \"replies\": \"echo\", \"sealing\": "
                        "{\"create_key\": true}, \"relay\": {\"port\": " +
                            std::to_string(relay.port()) + "}}");
  auto bot = gvo::test::start_ready(kBot, {"--config", "bot.json"}, dir.path(), "bot");
  REQUIRE(relay.wait_for_logins(1, 10s));

  const Json removed(Json::value_t::discarded);
  struct Bad {
    std::string payload;
    bool binary;
    int answer;  // 0: dropped (no id to answer)
  };
  const std::vector<Bad> bad = {
      {R"({"type": "request", "id": 1,)", false, 0},
      {"[1, 2, 3]", false, 0},
      {"\"request\"", false, 0},
      {"null", false, 0},
      {std::string(200'000, '[') + std::string(200'000, ']'), false, 0},
      {std::string("\x00\x01\x02", 3), true, 0},
      {R"({"type":"request","verb":"PUT","path":"/api/v1/message"})", false, 0},
      {R"({"type":"request","id":"7","verb":"PUT","path":"/api/v1/message"})", false, 0},
      {R"({"type":"request","id":-7,"verb":"PUT","path":"/api/v1/message"})", false, 0},
      {R"({"type":"request","id":7.5,"verb":"PUT","path":"/api/v1/message"})", false, 0},
      {R"({"type":3,"id":8})", false, 0},
      {R"({"type":"shout","id":9})", false, 0},
      {R"({"type":"response","id":123456,"status":"200"})", false, 0},
      {R"({"type":"request","id":101,"path":"/api/v1/message"})", false, 400},
      {R"({"type":"request","id":102,"verb":"PUT","path":"/api/v1/message","body":[1]})", false,
       400},
      {with(103, "type", "3"), false, 400},
      {with(104, "type", 2), false, 400},
      {with(105, "client_timestamp", -1), false, 400},
      {with(106, "client_timestamp", 1e30), false, 400},
      {with(107, "server_timestamp", UINT64_MAX), false, 400},
      {with(108, "client_timestamp", "1700000000000"), false, 400},
      {with(109, "content", "not*base64"), false, 400},
      {with(110, "content", std::string(100'000, 'A')), false, 400},
      {with(111, "source", removed), false, 400},
      {with(112, "guid", removed), false, 400},
      {with(113, "source", kPersonal + " x"), false, 400},
      {with(114, "type", removed), false, 400},
      {with(115, "guid", Json::object()), false, 400},
  };
  for (const Bad& frame : bad) relay.send(frame.payload, frame.binary);
  // Frames are read in order: once this is answered, every bad frame before it has been seen.
  relay.send(queue_empty(200));
  REQUIRE(relay.answer(200, 15s) == 200);
  const auto answers = relay.answers();
  for (const Bad& frame : bad) {
    if (frame.answer == 0) continue;
    const auto id = Json::parse(frame.payload).at("id").get<std::uint64_t>();
    INFO("request " << id);
    REQUIRE(answers.count(id) == 1);
    CHECK(answers.at(id) == frame.answer);
  }
  for (const auto& [id, status] : answers) {
    INFO("an answer to " << id);
    CHECK(((id >= 101 && id <= 115) || id == 200));  // nothing without a usable id was answered
  }
  CHECK_FALSE(bot.process->wait_for_exit(0ms));

  // Frames the WebSocket itself refuses end that connection (RFC 6455: text that is not UTF-8,
  // 1007; over the client's limit of 512 KiB, 1009): the bot logs in again and serves on the new
  // one.
  const std::vector<std::string> fatal = {"{\"type\":\"request\",\"id\":300,\"path\":\"\xff\xfe\"}",
                                          std::string(1024 * 1024, ' ')};
  for (std::size_t i = 0; i < fatal.size(); ++i) {
    INFO("fatal frame " << i);
    relay.send(fatal[i]);
    REQUIRE(relay.wait_for_logins(static_cast<int>(i) + 2, 15s));
    relay.send(queue_empty(201 + i));
    CHECK(relay.answer(201 + i, 15s) == 200);
    CHECK_FALSE(bot.process->wait_for_exit(0ms));
  }

  bot.process->send_signal(SIGTERM);
  CHECK(bot.process->wait_for_exit(10s) == 0);
  const std::string log = bot.process->stderr_text();
  INFO(log);
  // Counted and rate-limited: the first says so; the 30 after it are only counted.
  CHECK(log.find("relay frame unreadable, answered or dropped (1 so far)") != std::string::npos);
  CHECK(log.find("(2 so far)") == std::string::npos);
  CHECK(log.find(kPersonal) == std::string::npos);
  CHECK(log.find("AAAA") == std::string::npos);
}
