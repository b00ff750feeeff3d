// A client of gvo-relay (bot/relay/PROTOCOL.md), used by gvo-bot and gvo-chat: connects and
// authenticates, reconnects with exponential backoff and jitter, notices a half-open connection
// by its ping timeout, correlates requests with responses, and hands each delivered envelope to
// its owner, who acknowledges it only once it is durably taken in. Runs on one io_context thread;
// Asio stays behind the pimpl.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace gvo::transport {

using Json = nlohmann::json;

struct RelayAccount {
  std::string host = "127.0.0.1";
  unsigned short port = 8787;
  std::string account;
  std::string secret;
};

struct Envelope {
  std::string guid;
  int type = 1;  // 1 ordinary, 3 pre-key message
  std::string source;
  std::int64_t client_timestamp = 0;
  std::int64_t server_timestamp = 0;
  std::vector<std::uint8_t> content;
};

struct RelayTimings {
  std::chrono::milliseconds first_backoff{200};
  std::chrono::milliseconds max_backoff{30000};
  // Without any frame for this long (pings included) the connection is taken for dead.
  std::chrono::milliseconds idle_timeout{20000};
};

class RelayClient {
 public:
  // Tells the relay whether the envelope was taken in (true: it is deleted there).
  using Ack = std::function<void(bool taken)>;
  // status 0: the connection ended before the answer came.
  using Done = std::function<void(int status, const Json& body)>;

  struct Handlers {
    std::function<void()> connected;  // open and authenticated: upload keys, send the outbox
    std::function<void(Envelope, Ack)> envelope;
    std::function<void()> queue_empty;
    std::function<void(const std::string& why)> disconnected;
    // The relay refused the upgrade (401: wrong secret; 403: the body's reason). Reported once
    // per episode of refusals; the client keeps retrying with backoff unless stopped.
    std::function<void(int status, const std::string& reason)> refused;
  };

  RelayClient(boost::asio::io_context& io, RelayAccount account, Handlers handlers,
              RelayTimings timings = {});
  RelayClient(const RelayClient&) = delete;
  RelayClient& operator=(const RelayClient&) = delete;
  ~RelayClient();

  void start();
  void stop();
  bool connected() const;

  void request(const std::string& verb, const std::string& path, Json body, Done done);

  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace gvo::transport
