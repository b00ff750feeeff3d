// Before gvo-chat says anything, it checks the bot's identity key at the relay: it must be the
// key pinned here (the first one seen) and, with --expect-bot, have the expected fingerprint.
// On first contact the fetched bundle starts the session, pinning the key. Runs once, on the
// chat's io_context thread, on a connection of its own that takes no message in.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "bot/signal/endpoint.hpp"
#include "bot/transport/relay_client.hpp"

namespace gvo::chat {

struct KeyCheckOutcome {
  bool go_on = false;
  std::string message;  // for stderr: what was pinned or refused, and what to do
};

class BotKeyCheck {
 public:
  using Done = std::function<void(const KeyCheckOutcome&)>;
  // A refused login is reported as RelayClient::Handlers::refused does it.
  using Refused = std::function<void(int status, const std::string& reason)>;

  BotKeyCheck(boost::asio::io_context& io, signal::Endpoint& endpoint, transport::RelayAccount me,
              std::string bot, std::string expected_fingerprint, Refused refused, Done done);
  BotKeyCheck(const BotKeyCheck&) = delete;
  BotKeyCheck& operator=(const BotKeyCheck&) = delete;
  ~BotKeyCheck();

  void start();

 private:
  void on_connected();
  void on_bundle(int status, const transport::Json& body);
  void finish(bool go_on, const std::string& message);

  signal::Endpoint& endpoint_;
  std::string bot_;
  std::string expected_;
  Refused refused_;
  Done done_;
  bool finished_ = false;
  std::unique_ptr<transport::RelayClient> client_;
};

// The fingerprint without its spaces, for comparing what people copy.
[[nodiscard]] std::string fingerprint_digits(std::string fingerprint);

}  // namespace gvo::chat
