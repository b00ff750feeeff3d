// gvo-bot's command line: which command to run and with which configuration. Pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "bot/core/result.hpp"

namespace gvo::daemon {

enum class Command {
  run,           // the daemon (the default)
  init,          // create the data folder, the sealing key and the database, then exit
  check_config,  // validate the configuration and the key, then exit
  check_flows,   // check flow and data files, then exit
  export_cases,  // write every case as JSON to a new owner-only file, then exit
  backup,        // copy the live database to a new owner-only file and check it, then exit
  restore,       // check a backup against the key and put it in place of the database, then exit
  doctor,        // say what is wrong with the installation and what to do, then exit
  staff,         // add, list, remove or verify staff members, then exit
  stats,         // print anonymous counts of cases, then exit
  captcha,       // hand a solved captcha to signal-cli (a proof-required rate limit), then exit
  relay_claim,   // log in to the relay once with the claim code of the bot's account, then exit
  fingerprint,   // print the fingerprint of the bot's identity key (relay transport), then exit
  help,
  version,
};

struct CommandLine {
  Command command = Command::run;
  std::string config_path;             // empty: the embedded defaults
  std::vector<std::string> files;      // check_flows
  std::string output_path;             // export_cases, backup
  std::vector<std::string> arguments;  // staff: the subcommand and its arguments; captcha:
                                       // the challenge token and the captcha; relay_claim:
                                       // the claim code; restore: the backup
  bool csv = false;                    // stats
};

enum class CommandLineErrc {
  unknown_option,
  missing_value,
  conflicting_commands,
  unexpected_argument
};

// args excludes the program name. The error's detail is the sentence to show.
[[nodiscard]] core::Result<CommandLine, CommandLineErrc> parse_command_line(
    const std::vector<std::string>& args);

[[nodiscard]] std::string usage_text(std::string_view program);

}  // namespace gvo::daemon
