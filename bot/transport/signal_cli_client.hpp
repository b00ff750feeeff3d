// A client of a `signal-cli daemon` (JSON-RPC 2.0, one JSON value per line) on a UNIX socket or
// TCP: connects, reconnects with exponential backoff and jitter when the daemon restarts or is
// not up yet, matches responses to requests by id whatever their order, hands `receive`
// notifications (both shapes) to its owner, and probes a quiet connection with `version` so that a
// stuck socket is noticed. Runs on one io_context thread; Asio stays behind the pimpl.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "bot/core/signal_cli_rpc.hpp"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace gvo::transport {

struct SignalCliAddress {
  std::string socket_path;  // a UNIX socket, or:
  std::string host;         // TCP
  unsigned short port = 0;
};

struct SignalCliTimings {
  std::chrono::milliseconds first_backoff{200};
  std::chrono::milliseconds max_backoff{30000};
  std::chrono::milliseconds request_timeout{20000};  // a request unanswered this long fails
  std::chrono::milliseconds probe_after{30000};      // a connection quiet this long is probed
  // A message whose taking-in failed (storage, the owner) is tried again with backoff from 50 ms
  // up to this, while the bot runs: answers resume within this long of storage coming back.
  std::chrono::milliseconds retry_taking_in{2000};
};

enum class CallErrc {
  disconnected,  // the connection ended before the answer
  timeout,
  error,  // signal-cli answered with an error (in the response)
};

struct CallResult {
  std::optional<CallErrc> failure;
  core::signal_cli::Response response;  // when answered, error or not
};

class SignalCliClient {
 public:
  using Done = std::function<void(const CallResult&)>;

  struct Handlers {
    std::function<void()> connected;  // set the profile, send the outbox
    std::function<void(const core::signal_cli::Envelope&)> envelope;
    std::function<void(const std::string& why)> disconnected;
  };

  SignalCliClient(boost::asio::io_context& io, SignalCliAddress address, Handlers handlers,
                  SignalCliTimings timings = {});
  SignalCliClient(const SignalCliClient&) = delete;
  SignalCliClient& operator=(const SignalCliClient&) = delete;
  ~SignalCliClient();

  void start();
  void stop();
  bool connected() const;

  // make(id) builds the request line (core/signal_cli_rpc.hpp); done gets the answer.
  void call(const std::function<std::string(std::int64_t id)>& make, Done done);

  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace gvo::transport
