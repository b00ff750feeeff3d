// Answers Signal's proof-required rate limit (a captcha challenge, see SignalCliTransport): the
// operator solves the captcha in a browser and `gvo-bot captcha` hands it to signal-cli
// (submitRateLimitChallenge) on a brief connection of its own. It never subscribes: with
// --receive-mode=manual (deploy/signal-cli.service) no message is handed to it. (With
// on-connection, every connection is given the messages that arrive while it is open.)
#pragma once

#include <chrono>
#include <string>

#include "bot/transport/signal_cli_client.hpp"

namespace gvo::transport {

struct ChallengeAnswer {
  enum class Outcome {
    accepted,     // the bot may send again (at its next try, or at once after a restart)
    rejected,     // -6: the captcha was refused; solve a new one
    refused,      // another error from signal-cli (detail says which)
    unreachable,  // no signal-cli at the address, or no answer in time
  };
  Outcome outcome = Outcome::unreachable;
  std::string detail;  // signal-cli's message, or why it could not be reached
};

ChallengeAnswer submit_captcha(const SignalCliAddress& address, const std::string& account,
                               const std::string& challenge, const std::string& captcha,
                               std::chrono::milliseconds timeout = std::chrono::seconds(20));

}  // namespace gvo::transport
