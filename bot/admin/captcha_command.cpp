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
  using Outcome = transport::ChallengeAnswer::Outcome;
  const auto answer =
      transport::submit_captcha({cli.socket, cli.host, static_cast<unsigned short>(cli.port)},
                                cli.account, challenge, captcha);
  switch (answer.outcome) {
    case Outcome::accepted:
      std::printf(
          "Signal accepted the captcha. The bot sends again at its next try (within five "
          "minutes), or at once if restarted.\n");
      return 0;
    case Outcome::rejected:
      std::fprintf(stderr,
                   "gvo-bot: Signal rejected the captcha: %s. Solve a new one at "
                   "https://signalcaptchas.org/challenge/generate.html and run this again.\n",
                   answer.detail.c_str());
      return daemon::kExitFailure;
    default:
      std::fprintf(stderr, "gvo-bot: the captcha was not handed over: %s\n", answer.detail.c_str());
      return daemon::kExitFailure;
  }
}

}  // namespace gvo::admin
