#include "bot/transport/signal_cli_challenge.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

namespace gvo::transport {

namespace rpc = core::signal_cli;

namespace {
constexpr std::chrono::milliseconds kConnectWithin{3000};
}  // namespace

ChallengeAnswer submit_captcha(const SignalCliAddress& address, const std::string& account,
                               const std::string& challenge, const std::string& captcha,
                               std::chrono::milliseconds timeout) {
  boost::asio::io_context io;
  ChallengeAnswer answer;
  answer.detail = "no answer from signal-cli within " + std::to_string(timeout.count()) + " ms";
  bool done = false;
  bool reached = false;
  SignalCliTimings timings;
  timings.request_timeout = timeout;
  SignalCliClient::Handlers handlers;
  SignalCliClient* client = nullptr;
  handlers.connected = [&] {
    reached = true;
    client->call(
        [&](std::int64_t id) {
          return rpc::submit_challenge_request(id, account, challenge, captcha);
        },
        [&](const CallResult& result) {
          done = true;
          io.stop();
          if (result.failure && result.failure != CallErrc::error) return;  // detail as set
          if (!result.response.error) {
            answer.outcome = ChallengeAnswer::Outcome::accepted;
            answer.detail.clear();
            return;
          }
          const auto& error = *result.response.error;
          answer.outcome = error.code == static_cast<int>(rpc::ErrorCode::captcha_rejected)
                               ? ChallengeAnswer::Outcome::rejected
                               : ChallengeAnswer::Outcome::refused;
          answer.detail = error.message + " (" + std::to_string(error.code) + ")";
        });
  };
  SignalCliClient own(io, address, handlers, timings);
  client = &own;
  own.start();
  // Not connected soon: signal-cli is not there (the client would try again and again).
  boost::asio::steady_timer give_up(io, std::min(timeout, kConnectWithin));
  give_up.async_wait([&](const boost::system::error_code& error) {
    if (!error && !reached) io.stop();
  });
  io.run_for(timeout);
  own.stop();
  if (!reached) {
    answer.detail = "cannot reach signal-cli at " +
                    (address.socket_path.empty() ? address.host + ":" + std::to_string(address.port)
                                                 : address.socket_path) +
                    " (is its daemon running?)";
  }
  return answer;
}

}  // namespace gvo::transport
