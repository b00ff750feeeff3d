#include "bot/daemon/command_line.hpp"

#include <catch2/catch.hpp>

using gvo::daemon::Command;
using gvo::daemon::CommandLineErrc;
using gvo::daemon::parse_command_line;

TEST_CASE("command lines that gvo-bot accepts") {
  struct Case {
    std::vector<std::string> args;
    Command command;
    std::string config;
  };
  const Case cases[] = {
      {{}, Command::run, ""},
      {{"--config", "bot.json"}, Command::run, "bot.json"},
      {{"-c", "bot.json"}, Command::run, "bot.json"},
      {{"--config=/etc/gvo-bot/config.json"}, Command::run, "/etc/gvo-bot/config.json"},
      {{"--check-config", "--config", "x.json"}, Command::check_config, "x.json"},
      {{"--config", "x.json", "--check-config"}, Command::check_config, "x.json"},
      {{"init"}, Command::init, ""},
      {{"init", "-c", "y.json"}, Command::init, "y.json"},
      {{"--help"}, Command::help, ""},
      {{"-h"}, Command::help, ""},
      {{"--version"}, Command::version, ""},
      {{"--version", "--version"}, Command::version, ""},
      {{"flows", "check", "a.json"}, Command::check_flows, ""},
      {{"captcha", "tok", "signalcaptcha://x", "-c", "b.json"}, Command::captcha, "b.json"},
      {{"relay-claim", "ABCD-EFGH-JKMN", "--config", "b.json"}, Command::relay_claim, "b.json"},
      {{"-c", "b.json", "relay-claim", "ABCD-EFGH-JKMN"}, Command::relay_claim, "b.json"},
      {{"fingerprint"}, Command::fingerprint, ""},
      {{"fingerprint", "--config=c.json"}, Command::fingerprint, "c.json"},
      {{"backup", "--output", "copy.db", "-c", "b.json"}, Command::backup, "b.json"},
      {{"-o", "copy.db", "backup"}, Command::backup, ""},
      {{"restore", "copy.db", "--config", "b.json"}, Command::restore, "b.json"},
      {{"doctor", "--config", "b.json"}, Command::doctor, "b.json"},
  };
  for (const Case& c : cases) {
    const auto parsed = parse_command_line(c.args);
    REQUIRE(parsed.ok());
    CHECK(parsed->command == c.command);
    CHECK(parsed->config_path == c.config);
  }
}

TEST_CASE("command lines that gvo-bot refuses, each with its reason") {
  struct Case {
    std::vector<std::string> args;
    CommandLineErrc code;
    std::string message;
  };
  const Case cases[] = {
      {{"--config"}, CommandLineErrc::missing_value, "--config needs a file name"},
      {{"--config="}, CommandLineErrc::missing_value, "--config= needs a file name"},
      {{"--verbose"}, CommandLineErrc::unknown_option, "unknown option '--verbose'"},
      {{"-x"}, CommandLineErrc::unknown_option, "unknown option '-x'"},
      {{"start"}, CommandLineErrc::unexpected_argument, "unknown command 'start'"},
      {{"init", "--check-config"},
       CommandLineErrc::conflicting_commands,
       "'--check-config' cannot"},
      {{"--help", "--version"}, CommandLineErrc::conflicting_commands, "'--version' cannot"},
      {{"flows"}, CommandLineErrc::unexpected_argument, "expected 'flows check FILE...'"},
      {{"flows", "list"}, CommandLineErrc::unexpected_argument, "expected 'flows check FILE...'"},
      {{"flows", "check"}, CommandLineErrc::missing_value, "needs at least one file"},
      {{"init", "flows", "check", "a.json"}, CommandLineErrc::conflicting_commands, "cannot be"},
      {{"captcha"}, CommandLineErrc::missing_value, "expected 'captcha CHALLENGE CAPTCHA'"},
      {{"captcha", "tok"}, CommandLineErrc::missing_value, "expected 'captcha CHALLENGE CAPTCHA'"},
      {{"captcha", "tok", "--config", "b.json"},
       CommandLineErrc::missing_value,
       "expected 'captcha CHALLENGE CAPTCHA'"},
      {{"relay-claim"}, CommandLineErrc::missing_value, "expected 'relay-claim CODE'"},
      {{"relay-claim", "--config", "b.json"},
       CommandLineErrc::missing_value,
       "expected 'relay-claim CODE'"},
      {{"relay-claim", "A-B", "C-D"},
       CommandLineErrc::unexpected_argument,
       "unknown command 'C-D'"},
      {{"fingerprint", "init"}, CommandLineErrc::conflicting_commands, "'init' cannot"},
      {{"backup"}, CommandLineErrc::missing_value, "'backup' needs --output FILE"},
      {{"restore"}, CommandLineErrc::missing_value, "expected 'restore FILE'"},
      {{"restore", "--config", "b.json"}, CommandLineErrc::missing_value, "expected 'restore"},
      {{"restore", "a.db", "-o", "b.db"}, CommandLineErrc::unexpected_argument, "--output goes"},
      {{"backup", "-o", "a.db", "restore", "a.db"},
       CommandLineErrc::conflicting_commands,
       "'restore' cannot"},
  };
  for (const Case& c : cases) {
    const auto parsed = parse_command_line(c.args);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.code() == c.code);
    CHECK_THAT(parsed.error().detail, Catch::Matchers::Contains(c.message));
  }
}

TEST_CASE("flows check takes every file after it") {
  const auto parsed = parse_command_line({"flows", "check", "a.json", "b.json", "c.json"});
  REQUIRE(parsed.ok());
  CHECK(parsed->files == std::vector<std::string>{"a.json", "b.json", "c.json"});
}

TEST_CASE("captcha takes the challenge token and the captcha") {
  const auto parsed = parse_command_line({"captcha", "tok-1", "signalcaptcha://abc"});
  REQUIRE(parsed.ok());
  CHECK(parsed->arguments == std::vector<std::string>{"tok-1", "signalcaptcha://abc"});
}

TEST_CASE("relay-claim takes the claim code") {
  const auto parsed = parse_command_line({"relay-claim", "ABCD-EFGH-JKMN"});
  REQUIRE(parsed.ok());
  CHECK(parsed->arguments == std::vector<std::string>{"ABCD-EFGH-JKMN"});
}

TEST_CASE("restore takes the backup file and backup its output") {
  const auto restore = parse_command_line({"restore", "/var/backups/gvo-bot.db"});
  REQUIRE(restore.ok());
  CHECK(restore->arguments == std::vector<std::string>{"/var/backups/gvo-bot.db"});
  const auto backup = parse_command_line({"backup", "-o", "/var/backups/new.db"});
  REQUIRE(backup.ok());
  CHECK(backup->output_path == "/var/backups/new.db");
}

TEST_CASE("the usage text lists every option") {
  const std::string usage = gvo::daemon::usage_text("gvo-bot");
  for (const char* option :
       {"--config", "--check-config", "--version", "--help", "init", "flows check", "captcha",
        "relay-claim CODE", "fingerprint", "backup -o FILE", "restore FILE", "doctor"}) {
    CHECK_THAT(usage, Catch::Matchers::Contains(option));
  }
}
