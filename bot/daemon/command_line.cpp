#include "bot/daemon/command_line.hpp"

#include <algorithm>
#include <iterator>

namespace gvo::daemon {
namespace {

using Parsed = core::Result<CommandLine, CommandLineErrc>;

bool set_command(CommandLine& line, bool& chosen, Command command) {
  if (chosen && line.command != command) return false;
  line.command = command;
  chosen = true;
  return true;
}

}  // namespace

Parsed parse_command_line(const std::vector<std::string>& args) {
  CommandLine line;
  bool chosen = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    Command command = Command::run;
    if (arg == "--help" || arg == "-h") {
      command = Command::help;
    } else if (arg == "--version") {
      command = Command::version;
    } else if (arg == "--check-config") {
      command = Command::check_config;
    } else if (arg == "init") {
      command = Command::init;
    } else if (arg == "flows") {
      if (i + 1 >= args.size() || args[i + 1] != "check") {
        return core::fail(CommandLineErrc::unexpected_argument,
                          "expected 'flows check FILE...' after 'flows'");
      }
      line.files.assign(args.begin() + static_cast<std::ptrdiff_t>(i) + 2, args.end());
      if (line.files.empty()) {
        return core::fail(CommandLineErrc::missing_value, "'flows check' needs at least one file");
      }
      if (!set_command(line, chosen, Command::check_flows)) {
        return core::fail(CommandLineErrc::conflicting_commands,
                          "'flows check' cannot be combined with the command before it");
      }
      break;
    } else if (arg == "staff") {
      // "staff add ADDRESS ROLE [...]": the rest of the line is the staff command's.
      std::size_t end = i + 1;
      while (end < args.size() && args[end] != "--config" && args[end] != "-c" &&
             args[end].rfind("--config=", 0) != 0) {
        ++end;
      }
      line.arguments.assign(args.begin() + static_cast<std::ptrdiff_t>(i) + 1,
                            args.begin() + static_cast<std::ptrdiff_t>(end));
      static const char* const kSubcommands[] = {"add", "enrol", "list", "remove", "verify"};
      if (line.arguments.empty() || std::find(std::begin(kSubcommands), std::end(kSubcommands),
                                              line.arguments.front()) == std::end(kSubcommands)) {
        return core::fail(CommandLineErrc::unexpected_argument,
                          "expected 'staff add', 'staff enrol', 'staff list', 'staff remove' or "
                          "'staff verify'");
      }
      i = end - 1;
      command = Command::staff;
    } else if (arg == "captcha") {
      if (i + 2 >= args.size() || args[i + 1].empty() || args[i + 2].empty() ||
          args[i + 1].front() == '-' || args[i + 2].front() == '-') {
        return core::fail(CommandLineErrc::missing_value,
                          "expected 'captcha CHALLENGE CAPTCHA': the challenge token from the "
                          "bot's log and the signalcaptcha://... text");
      }
      line.arguments = {args[i + 1], args[i + 2]};
      i += 2;
      command = Command::captcha;
    } else if (arg == "relay-claim") {
      if (i + 1 >= args.size() || args[i + 1].empty() || args[i + 1].front() == '-') {
        return core::fail(CommandLineErrc::missing_value,
                          "expected 'relay-claim CODE': the code `gvo-relay accounts add` printed "
                          "for the bot's account");
      }
      line.arguments = {args[++i]};
      command = Command::relay_claim;
    } else if (arg == "doctor") {
      command = Command::doctor;
    } else if (arg == "backup") {
      command = Command::backup;
    } else if (arg == "restore") {
      if (i + 1 >= args.size() || args[i + 1].empty() || args[i + 1].front() == '-') {
        return core::fail(CommandLineErrc::missing_value,
                          "expected 'restore FILE': a file 'gvo-bot backup' wrote");
      }
      line.arguments = {args[++i]};
      command = Command::restore;
    } else if (arg == "fingerprint") {
      command = Command::fingerprint;
    } else if (arg == "stats") {
      command = Command::stats;
    } else if (arg == "--csv") {
      line.csv = true;
      continue;
    } else if (arg == "cases") {
      if (i + 1 >= args.size() || args[i + 1] != "export") {
        return core::fail(CommandLineErrc::unexpected_argument,
                          "expected 'cases export --output FILE' after 'cases'");
      }
      ++i;
      command = Command::export_cases;
    } else if (arg == "--output" || arg == "-o") {
      if (i + 1 >= args.size()) {
        return core::fail(CommandLineErrc::missing_value, arg + " needs a file name");
      }
      line.output_path = args[++i];
      continue;
    } else if (arg == "--config" || arg == "-c") {
      if (i + 1 >= args.size()) {
        return core::fail(CommandLineErrc::missing_value, arg + " needs a file name");
      }
      line.config_path = args[++i];
      continue;
    } else if (arg.rfind("--config=", 0) == 0) {
      line.config_path = arg.substr(9);
      if (line.config_path.empty()) {
        return core::fail(CommandLineErrc::missing_value, "--config= needs a file name");
      }
      continue;
    } else if (!arg.empty() && arg.front() == '-') {
      return core::fail(CommandLineErrc::unknown_option, "unknown option '" + arg + "'");
    } else {
      return core::fail(CommandLineErrc::unexpected_argument, "unknown command '" + arg + "'");
    }
    if (!set_command(line, chosen, command)) {
      return core::fail(CommandLineErrc::conflicting_commands,
                        "'" + arg + "' cannot be combined with the command before it");
    }
  }
  if (line.command == Command::export_cases && line.output_path.empty()) {
    return core::fail(CommandLineErrc::missing_value,
                      "'cases export' needs --output FILE (a new file, written owner-only)");
  }
  if (line.command == Command::backup && line.output_path.empty()) {
    return core::fail(CommandLineErrc::missing_value,
                      "'backup' needs --output FILE (a new file, written owner-only)");
  }
  if (line.csv && line.command != Command::stats)
    return core::fail(CommandLineErrc::unexpected_argument, "--csv goes with 'stats' only");
  if (line.command != Command::export_cases && line.command != Command::backup &&
      !line.output_path.empty()) {
    return core::fail(CommandLineErrc::unexpected_argument,
                      "--output goes with 'cases export' and 'backup' only");
  }
  return line;
}

std::string usage_text(std::string_view program) {
  static constexpr std::string_view kUsage =
      R"(Usage: PROGRAM [--config FILE]                run the bot
       PROGRAM init [--config FILE]           create the data folder, key and database
       PROGRAM --check-config [--config FILE] check the configuration and the key, then exit
       PROGRAM flows check FILE...            check flow and data files, then exit
       PROGRAM cases export -o FILE [--config FILE]
                                              write every case as JSON to a new file
       PROGRAM backup -o FILE [--config FILE] copy the database (the bot may run) to a new
                                              file, checked against the key
       PROGRAM restore FILE [--config FILE]   put a checked backup in place of the database
                                              (gvo-bot stopped; the old one is kept beside)
       PROGRAM doctor [--config FILE]         say what is wrong and what to do (read-only;
                                              exit 0 all well, 1 warnings, 2 errors)
       PROGRAM staff add ADDRESS coordinator|referent [--centres ID,ID] [--language fr]
                     [--valid-hours H] [--config FILE]
                                              register a member; prints their one-time
                                              enrolment code (their first message carries it)
       PROGRAM staff enrol ADDRESS [--valid-hours H] [--config FILE]
                                              a new enrolment code (device lost, code expired)
       PROGRAM staff list | remove ADDRESS | verify ADDRESS FINGERPRINT [--config FILE]
                                              manage GVO's coordinators and referents
       PROGRAM stats [--csv] [--config FILE]  anonymous counts by month, centre and status
       PROGRAM captcha CHALLENGE CAPTCHA [--config FILE]
                                              signal-cli: answer Signal's captcha challenge
       PROGRAM relay-claim CODE [--config FILE]
                                              relay: claim the bot's account with the code
                                              the relay's admin got (gvo-relay accounts add)
       PROGRAM fingerprint [--config FILE]    relay: print the bot's identity key fingerprint
                                              (publish it: hosts check it with gvo-chat)
       PROGRAM --version | --help

gvo-bot is Getting the Voice Out's Signal bot. Without --config it runs on its embedded
defaults: data in ./gvo-data, a sealing key created there on first run.

Options:
  -c, --config FILE   JSON configuration (see deploy/gvo-bot.example.json)
      --check-config  check the configuration and the sealing key; exit 0 when both are good
  -o, --output FILE   cases export, backup: the file to create (owner-only; never
                      overwritten); the export's format is described in bot/desk/CASES.md
      --version       print the version and exit
  -h, --help          print this help and exit

Exit status: 0 success, 64 bad command line, 65 invalid flow or data file,
75 the database is in use (restore while the bot runs), 78 bad configuration or key,
1 other failure.
)";
  std::string text;
  std::size_t start = 0;
  for (std::size_t at = kUsage.find("PROGRAM"); at != std::string_view::npos;
       at = kUsage.find("PROGRAM", start)) {
    text.append(kUsage.substr(start, at - start)).append(program);
    start = at + 7;
  }
  return text.append(kUsage.substr(start));
}

}  // namespace gvo::daemon
