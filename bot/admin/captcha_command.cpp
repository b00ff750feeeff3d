#include <cstdio>
#include <string>

#include "bot/admin/commands.hpp"
#include "bot/daemon/startup.hpp"
#include "bot/transport/signal_cli_once.hpp"

namespace gvo::admin {

// Signal asked for a captcha before the bot may send again (the bot logged the challenge token).
int answer_captcha(const core::Config& config, const std::string& challenge,
                   const std::string& captcha) {
  if (config.transport != core::TransportKind::signal_cli) {
    std::fprintf(stderr,
                 "gvo-bot: 'captcha' is for the signal-cli transport; this configuration "
                 "uses the relay\n");
    return daemon::kExitConfig;
  }
  const auto& cli = config.signal_cli;
  if (!cli.subscribe) {
    std::fprintf(stderr,
                 "gvo-bot: warning: with signal_cli.receive_mode on-connection, a message that "
                 "arrives while this command is connected is handed to it and lost to the bot; "
                 "deploy/signal-cli.service runs --receive-mode=manual\n");
  }
  // What became of it is read from signal-cli's answer (core::signal_cli::read_challenge_reply):
  // 0.13 reports Signal's refusal as -3 "Submit challenge error: [428]", 0.14.3 and later as -6.
  namespace rpc = core::signal_cli;
  const auto once = transport::call_once(
      {cli.socket, cli.host, static_cast<unsigned short>(cli.port)}, [&](std::int64_t id) {
        return rpc::submit_challenge_request(id, cli.account, challenge, captcha);
      });
  if (!once.answered) {
    std::fprintf(stderr, "gvo-bot: the captcha was not handed over: %s\n", once.unanswered.c_str());
    return daemon::kExitFailure;
  }
  const std::string said = once.response.error ? once.response.error->message + " (" +
                                                     std::to_string(once.response.error->code) + ")"
                                               : std::string();
  switch (rpc::read_challenge_reply(once.response)) {
    case rpc::ChallengeReply::accepted:
      std::printf(
          "Signal accepted the captcha. The bot sends again at its next try (within five "
          "minutes), or at once if restarted.\n");
      return 0;
    case rpc::ChallengeReply::rejected:
      std::fprintf(stderr,
                   "gvo-bot: signal-cli handed the captcha to Signal, and Signal rejected it "
                   "(signal-cli: %s). Solve a new one at "
                   "https://signalcaptchas.org/challenge/generate.html (with the token the bot "
                   "logged) and run this again.\n",
                   said.c_str());
      return daemon::kExitFailure;
    case rpc::ChallengeReply::failed:
      break;
  }
  std::fprintf(stderr,
               "gvo-bot: signal-cli took the captcha but could not hand it to Signal "
               "(signal-cli: %s); try again in a moment.\n",
               said.c_str());
  return daemon::kExitFailure;
}

}  // namespace gvo::admin
