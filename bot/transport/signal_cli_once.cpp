#include "bot/transport/signal_cli_once.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

namespace gvo::transport {

namespace rpc = core::signal_cli;

namespace {

constexpr std::chrono::milliseconds kConnectWithin{3000};

std::string where(const SignalCliAddress& address) {
  return address.socket_path.empty() ? address.host + ":" + std::to_string(address.port)
                                     : address.socket_path;
}

}  // namespace

OnceAnswer call_once(const SignalCliAddress& address,
                     const std::function<std::string(std::int64_t id)>& make,
                     std::chrono::milliseconds timeout) {
  boost::asio::io_context io;
  OnceAnswer answer;
  answer.unanswered = "no answer from signal-cli within " + std::to_string(timeout.count()) + " ms";
  bool reached = false;
  SignalCliTimings timings;
  timings.request_timeout = timeout;
  SignalCliClient::Handlers handlers;
  SignalCliClient* client = nullptr;
  handlers.connected = [&] {
    reached = true;
    client->call(make, [&](const CallResult& result) {
      io.stop();
      if (result.failure && result.failure != CallErrc::error) return;  // unanswered, as set
      answer.answered = true;
      answer.response = result.response;
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
  if (!reached)
    answer.unanswered =
        "cannot reach signal-cli at " + where(address) + " (is its daemon running?)";
  return answer;
}

core::Result<std::vector<rpc::KnownIdentity>, OnceErrc> identities_once(
    const SignalCliAddress& address, const std::string& account) {
  const auto once = call_once(
      address, [&](std::int64_t id) { return rpc::list_identities_request(id, account); });
  if (!once.answered) return core::fail(OnceErrc::unanswered, once.unanswered);
  if (const auto& error = once.response.error) {
    return core::fail(OnceErrc::refused, error->message + " (" + std::to_string(error->code) + ")");
  }
  auto known = rpc::read_identities(once.response.result);
  if (!known) return core::fail(OnceErrc::malformed, "an answer that is not a list of identities");
  return std::move(known).value();
}

}  // namespace gvo::transport
