// What the relay's attacker-side tests and the flood benchmark share: a real gvo-relay started as
// a child process on a free loopback port, raw TCP sockets held open from a chosen loopback
// address (all of 127.0.0.0/8 is this machine), and a small blocking WebSocket client speaking
// the relay's protocol (bot/relay/PROTOCOL.md). Each client runs its own io_context, with a
// deadline on every step, so that a relay that does not answer fails a test instead of hanging.
#pragma once

#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>

#include "bot/core/base64.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace gvo::test::relay {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = boost::asio::ip::tcp;
using Json = nlohmann::json;

// A gvo-relay process on 127.0.0.1 and a free port, its data in dir/relay.
struct RelayProcess {
  ReadyDaemon daemon;
  unsigned short port = 0;

  RelayProcess(const TempDir& dir, const std::string& program,
               const std::vector<std::string>& extra_args = {}) {
    std::vector<std::string> args{"--listen", "127.0.0.1:0", "--port-file",
                                  "port",     "--data",      "relay"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    daemon = start_ready(program, args, dir.path(), "relay");
    std::ifstream(dir.file("port")) >> port;
  }
  pid_t pid() const { return daemon.process->pid(); }
  std::string log() const { return daemon.process->stderr_text(); }
};

// utime + stime of a process, in seconds (/proc/PID/stat).
inline double cpu_seconds(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const auto close = text.rfind(')');  // the command name may hold spaces
  if (close == std::string::npos) return -1;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  unsigned long long utime = 0;
  unsigned long long stime = 0;
  // Fields after the name start at 3 (state); utime and stime are 14 and 15.
  for (int number = 3; number <= 15 && fields >> field; ++number) {
    if (number == 14) utime = std::stoull(field);
    if (number == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// VmRSS of a process, in KiB (/proc/PID/status).
inline long rss_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

// Lets this process hold as many sockets as its hard limit allows.
inline void raise_own_descriptor_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    (void)::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

// A TCP connection from a given loopback address that says nothing: what a flood holds open.
inline std::optional<tcp::socket> open_raw(boost::asio::io_context& io, const std::string& from,
                                           unsigned short port) {
  tcp::socket socket(io);
  beast::error_code ec;
  socket.open(tcp::v4(), ec);
  if (!ec) socket.bind({boost::asio::ip::make_address(from), 0}, ec);
  if (!ec) socket.connect({boost::asio::ip::make_address("127.0.0.1"), port}, ec);
  if (ec) return std::nullopt;
  return socket;
}

// One account's WebSocket to the relay, from a given loopback address.
class Client {
 public:
  Client(const std::string& from, unsigned short port, const std::string& account,
         const std::string& secret = "a-secret-of-enough-length",
         std::chrono::milliseconds deadline = std::chrono::seconds(10))
      : ws_(io_) {
    beast::error_code ec;
    auto& socket = beast::get_lowest_layer(ws_).socket();
    socket.open(tcp::v4(), ec);
    if (!ec) socket.bind({boost::asio::ip::make_address(from), 0}, ec);
    if (ec) {
      error_ = ec;
      return;
    }
    const std::string credentials = account + ":" + secret;
    ws_.set_option(websocket::stream_base::decorator([credentials](websocket::request_type& r) {
      r.set(beast::http::field::authorization,
            "Basic " + core::base64_encode(
                           std::vector<std::uint8_t>(credentials.begin(), credentials.end())));
    }));
    bool done = false;
    beast::get_lowest_layer(ws_).async_connect(
        tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port),
        [&](beast::error_code connect_ec) {
          if (connect_ec) {
            error_ = connect_ec;
            done = true;
            return;
          }
          ws_.async_handshake(answer_, "127.0.0.1", "/v1/websocket",
                              [&](beast::error_code handshake_ec) {
                                error_ = handshake_ec;
                                open_ = !handshake_ec;
                                done = true;
                              });
        });
    run_until([&] { return done; }, deadline);
    if (!done) error_ = boost::asio::error::timed_out;
  }

  bool open() const { return open_; }
  // The upgrade's HTTP status (101 when open; 0 when no answer came).
  unsigned status() const { return answer_.result_int(); }
  std::string body() const { return answer_.body(); }
  std::string header(beast::http::field field) const { return std::string(answer_[field]); }
  beast::error_code error() const { return error_; }

  // Sends a request and waits for its response (deliveries that come meanwhile are answered
  // 200 and kept in delivered()).
  Json request(const std::string& verb, const std::string& path, const Json& body = Json::object(),
               std::chrono::milliseconds deadline = std::chrono::seconds(10)) {
    const std::uint64_t id = ++next_id_;
    write(Json{{"type", "request"}, {"id", id}, {"verb", verb}, {"path", path}, {"body", body}});
    return read_until(
        [&](const Json& frame) {
          return frame.value("type", "") == "response" && frame.value("id", 0ULL) == id;
        },
        deadline);
  }

  // Reads (answering deliveries) until a frame satisfies done; null at the deadline.
  template <typename Done>
  Json read_until(Done done, std::chrono::milliseconds deadline = std::chrono::seconds(10)) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    while (open_ && std::chrono::steady_clock::now() < until) {
      std::optional<Json> frame;
      bool finished = false;
      buffer_.consume(buffer_.size());
      ws_.async_read(buffer_, [&](beast::error_code ec, std::size_t) {
        finished = true;
        if (ec) {
          open_ = false;
          error_ = ec;
          return;
        }
        frame = Json::parse(beast::buffers_to_string(buffer_.data()), nullptr, false);
      });
      run_until([&] { return finished; }, std::chrono::duration_cast<std::chrono::milliseconds>(
                                              until - std::chrono::steady_clock::now()));
      if (!finished) {  // the deadline: stop reading, keep the connection usable
        beast::get_lowest_layer(ws_).cancel();
        run_until([&] { return finished; }, std::chrono::seconds(1));
        open_ = open_ && error_ != boost::asio::error::operation_aborted;
        return nullptr;
      }
      if (!frame || !frame->is_object()) continue;
      if (frame->value("type", "") == "request") {
        if (frame->value("path", "") == "/api/v1/message") delivered_.push_back((*frame)["body"]);
        write(Json{{"type", "response"},
                   {"id", frame->value("id", 0ULL)},
                   {"status", 200},
                   {"message", "OK"}});
      }
      if (done(*frame)) return *frame;
    }
    return nullptr;
  }

  const std::vector<Json>& delivered() const { return delivered_; }

  void close() {
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
    open_ = false;
  }

 private:
  template <typename Done>
  void run_until(Done done, std::chrono::milliseconds deadline) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    io_.restart();
    while (!done() && std::chrono::steady_clock::now() < until) {
      io_.run_one_for(std::chrono::milliseconds(50));
      io_.restart();
    }
  }

  void write(const Json& frame) {
    if (!open_) return;
    const std::string text = frame.dump();
    bool finished = false;
    ws_.async_write(boost::asio::buffer(text), [&](beast::error_code ec, std::size_t) {
      finished = true;
      if (ec) {
        open_ = false;
        error_ = ec;
      }
    });
    run_until([&] { return finished; }, std::chrono::seconds(10));
  }

  boost::asio::io_context io_;
  websocket::stream<beast::tcp_stream> ws_;
  websocket::response_type answer_;
  beast::flat_buffer buffer_;
  beast::error_code error_;
  bool open_ = false;
  std::uint64_t next_id_ = 0;
  std::vector<Json> delivered_;
};

// A well-formed key upload (the relay checks sizes, not signatures) with n one-time pre-keys.
inline Json key_upload(int registration_id, int pre_keys) {
  auto key = [](int seed) {
    std::vector<std::uint8_t> bytes(33, static_cast<std::uint8_t>(seed));
    bytes[0] = 5;
    return core::base64_encode(bytes);
  };
  Json list = Json::array();
  for (int id = 1; id <= pre_keys; ++id) list.push_back({{"id", id}, {"public_key", key(id)}});
  return {{"registration_id", registration_id},
          {"identity_key", key(200)},
          {"signed_pre_key",
           {{"id", 1},
            {"public_key", key(201)},
            {"signature", core::base64_encode(std::vector<std::uint8_t>(64, 7))}}},
          {"pre_keys", list}};
}

}  // namespace gvo::test::relay
