// gvo-bot's composition root: parses the command line, loads the configuration and hands it to
// the command asked for: one of gvo::admin's offline commands, or the running bot (gvo::service).
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "bot/admin/commands.hpp"
#include "bot/core/config.hpp"
#include "bot/daemon/command_line.hpp"
#include "bot/daemon/hardening.hpp"
#include "bot/daemon/startup.hpp"
#include "bot/desk/flow_set.hpp"
#include "bot/log/log.hpp"
#include "bot/service/bot_service.hpp"
#include "bot/transport/relay_login.hpp"

namespace {

namespace daemon = gvo::daemon;
namespace log = gvo::log;

// A start-up error can hold several problems, one per line (every bad key of a config file).
void log_each_line(const std::string& text) {
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    if (end > start) log::error(text.substr(start, end - start));
    start = end + 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  ::umask(077);  // every file gvo-bot creates is the service user's alone
  if (const std::string weak = gvo::daemon::harden_process(); !weak.empty())
    gvo::log::warning(weak);
  const std::vector<std::string> args(argv + 1, argv + argc);
  auto command_line = daemon::parse_command_line(args);
  if (!command_line) {
    std::fprintf(stderr, "gvo-bot: %s\nTry 'gvo-bot --help'.\n",
                 command_line.error().detail.c_str());
    return daemon::kExitUsage;
  }
  switch (command_line->command) {
    case daemon::Command::help:
      std::fputs(daemon::usage_text("gvo-bot").c_str(), stdout);
      return 0;
    case daemon::Command::version:
      std::printf("gvo-bot %s\n", GVO_VERSION);
      return 0;
    case daemon::Command::check_flows:
      return gvo::admin::check_flows(command_line->files);
    default:
      break;
  }
  try {
    const gvo::core::Config config = daemon::load_config(command_line->config_path);
    log::set_level(daemon::log_level_of(config.log_level));
    switch (command_line->command) {
      case daemon::Command::check_config:
        return gvo::admin::check_config(config, command_line->config_path);
      case daemon::Command::init:
        return gvo::admin::init_bot(config);
      case daemon::Command::export_cases:
        return gvo::admin::export_cases(config, command_line->output_path);
      case daemon::Command::backup:
        return gvo::admin::back_up_database(config, command_line->output_path);
      case daemon::Command::restore:
        return gvo::admin::restore_database(config, command_line->arguments.at(0));
      case daemon::Command::doctor:
        return gvo::admin::run_doctor(config, command_line->config_path);
      case daemon::Command::staff:
        return gvo::admin::manage_staff(config, command_line->arguments);
      case daemon::Command::stats:
        return gvo::admin::print_stats(config, command_line->csv);
      case daemon::Command::relay_claim:
        return gvo::admin::claim_relay_account(config, command_line->arguments.at(0));
      case daemon::Command::fingerprint:
        return gvo::admin::print_fingerprint(config);
      case daemon::Command::captcha:
        return gvo::admin::answer_captcha(config, command_line->arguments.at(0),
                                          command_line->arguments.at(1));
      default:
        return gvo::service::run_bot(config);
    }
  } catch (const daemon::StartupError& error) {
    log_each_line(error.what());
    return error.exit_code();
  } catch (const gvo::transport::RelayLoginError& error) {
    log::error(error.what());
    return error.kind() == gvo::transport::RelayLoginError::Kind::config ? daemon::kExitConfig
                                                                         : daemon::kExitFailure;
  } catch (const gvo::desk::FlowsError& error) {
    log_each_line(error.what());
    return daemon::kExitConfig;
  } catch (const std::exception& error) {
    log::error(std::string("unexpected failure: ") + error.what());
    return daemon::kExitFailure;
  }
}
