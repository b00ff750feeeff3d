// One request to signal-cli from the command line, on a brief connection of its own: a solved
// captcha for Signal's proof-required rate limit (`gvo-bot captcha`), the identity keys signal-cli
// holds (`gvo-bot staff list | verify`). The connection never subscribes: with
// --receive-mode=manual (deploy/signal-cli.service) no message is handed to it. (With
// on-connection, every connection is given the messages that arrive while it is open.)
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "bot/core/result.hpp"
#include "bot/transport/signal_cli_client.hpp"

namespace gvo::transport {

// The answer to one request, or why there is none: signal-cli not reachable, no answer in time.
struct OnceAnswer {
  bool answered = false;
  core::signal_cli::Response response;
  std::string unanswered;  // why, when not answered
};

OnceAnswer call_once(const SignalCliAddress& address,
                     const std::function<std::string(std::int64_t id)>& make,
                     std::chrono::milliseconds timeout = std::chrono::seconds(20));

enum class OnceErrc {
  unanswered,  // signal-cli not reachable, or silent
  refused,     // signal-cli answered with an error
  malformed,   // an answer of another shape
};

// Every identity key signal-cli holds; the error's detail says why none could be read.
core::Result<std::vector<core::signal_cli::KnownIdentity>, OnceErrc> identities_once(
    const SignalCliAddress& address, const std::string& account);

}  // namespace gvo::transport
