#include "bot/relay/accounts_command.hpp"

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <optional>

#include "bot/relay/accounts.hpp"
#include "bot/relay/relay_service.hpp"

namespace gvo::relay {
namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 64;
constexpr int kExitData = 78;
constexpr long kDefaultValidHours = 72;
constexpr long kMaxValidHours = 720;

struct AccountsOptions {
  std::string verb;  // add, list or remove
  std::string name;
  std::string data_dir = "gvo-relay-data";
  long valid_hours = kDefaultValidHours;
  bool reset = false;
};

int usage_error(const std::string& what) {
  std::fprintf(stderr, "gvo-relay: %s\nTry 'gvo-relay accounts --help'.\n", what.c_str());
  return kExitUsage;
}

std::optional<long> hours(const std::string& text) {
  if (text.empty() || text.size() > 4 ||
      text.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  const long value = std::stol(text);
  if (value < 1 || value > kMaxValidHours) return std::nullopt;
  return value;
}

// Returns -1 to go on, or the exit status.
int parse(const std::vector<std::string>& args, AccountsOptions& options) {
  std::vector<std::string> positional;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "-h" || arg == "--help") {
      std::fputs(kAccountsUsage, stdout);
      return 0;
    }
    if (arg == "--reset") {
      options.reset = true;
      continue;
    }
    if (arg == "--data" || arg == "--valid-hours") {
      if (i + 1 >= args.size()) return usage_error(arg + " needs a value");
      const std::string& value = args[++i];
      if (arg == "--data") {
        options.data_dir = value;
      } else if (const auto valid = hours(value)) {
        options.valid_hours = *valid;
      } else {
        return usage_error("--valid-hours expects 1 to " + std::to_string(kMaxValidHours) +
                           ", got '" + value + "'");
      }
      continue;
    }
    if (!arg.empty() && arg[0] == '-') return usage_error("unknown option '" + arg + "'");
    positional.push_back(arg);
  }
  if (positional.empty()) return usage_error("accounts needs add, list or remove");
  options.verb = positional[0];
  const bool named = options.verb == "add" || options.verb == "remove";
  if (!named && options.verb != "list") {
    return usage_error("unknown accounts command '" + options.verb + "'");
  }
  if (positional.size() != (named ? 2U : 1U)) {
    return usage_error(named ? "accounts " + options.verb + " needs one NAME"
                             : std::string("accounts list takes no NAME"));
  }
  if (named) options.name = positional[1];
  if (options.verb != "add" && (options.reset || options.valid_hours != kDefaultValidHours)) {
    return usage_error("--reset and --valid-hours go with accounts add");
  }
  return -1;
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct tm utc_parts(std::int64_t ms) {
  const time_t seconds = static_cast<time_t>(ms / 1000);
  struct tm parts {};
  gmtime_r(&seconds, &parts);
  return parts;
}

std::string utc_day(std::int64_t ms) {
  const struct tm parts = utc_parts(ms);
  char text[32];
  return std::string(text, std::strftime(text, sizeof(text), "%Y-%m-%d", &parts));
}

std::string utc_minute(std::int64_t ms) {
  const struct tm parts = utc_parts(ms);
  char text[32];
  return std::string(text, std::strftime(text, sizeof(text), "%Y-%m-%d %H:%M UTC", &parts));
}

int failed(const core::Error<AccountError>& error, const std::string& name) {
  const char* who = name.c_str();
  switch (error.code) {
    case AccountError::bad_name:
      std::fprintf(stderr,
                   "gvo-relay: '%s' is not an account name: 1 to 64 of a-z 0-9 . _ -, starting "
                   "with a letter or digit\n",
                   who);
      return kExitUsage;
    case AccountError::look_alike:
      std::fprintf(stderr,
                   "gvo-relay: '%s' reads like another provisioned account, and would be "
                   "mistaken for it (gvo-relay accounts list)\n",
                   who);
      return kExitFailure;
    case AccountError::in_use:
      std::fprintf(stderr,
                   "gvo-relay: '%s' is in use (%s); --reset takes it back, dropping its secret, "
                   "keys and queued messages (a lost device)\n",
                   who, error.detail.c_str());
      return kExitFailure;
    case AccountError::not_found:
      std::fprintf(stderr, "gvo-relay: no account '%s'\n", who);
      return kExitFailure;
    case AccountError::no_randomness:
      std::fprintf(stderr, "gvo-relay: no randomness for a claim code\n");
      return kExitFailure;
    case AccountError::storage:
      std::fprintf(stderr, "gvo-relay: relay database: %s\n", error.detail.c_str());
      return kExitData;
  }
  return kExitFailure;
}

int run_add(Accounts& accounts, const AccountsOptions& options) {
  auto issued =
      accounts.add(options.name, options.valid_hours * 3600 * 1000, options.reset, now_ms());
  if (!issued) return failed(issued.error(), options.name);
  // The code alone on stdout, for scripts; the rest for the admin, on stderr, without it.
  std::printf("%s\n", issued->code.c_str());
  std::fflush(stdout);
  std::fprintf(stderr,
               "gvo-relay: %s is reserved. Its claim code (on stdout) is shown this once and\n"
               "works once, until %s; 10 wrong tries burn it. Give it to the person, who runs\n"
               "  gvo-chat --claim CODE\n"
               "or, for the bot: gvo-bot relay-claim CODE\n"
               "Running 'gvo-relay accounts add %s' again issues a new code and voids this one.\n",
               options.name.c_str(), utc_minute(issued->expires_at_ms).c_str(),
               options.name.c_str());
  for (const std::string& other : issued->look_alikes) {
    std::fprintf(stderr,
                 "gvo-relay: warning: the self-registered account '%s' reads like %s; if it is "
                 "not who it seems: gvo-relay accounts remove %s\n",
                 other.c_str(), options.name.c_str(), other.c_str());
  }
  return 0;
}

int run_list(Accounts& accounts) {
  auto listed = accounts.list();
  if (!listed) return failed(listed.error(), "");
  int width = 4;
  for (const AccountInfo& info : *listed)
    width = std::max(width, static_cast<int>(info.name.size()));
  std::printf("%-*s  %-15s  %s\n", width, "NAME", "STATE", "CREATED");
  for (const AccountInfo& info : *listed) {
    std::printf("%-*s  %-15s  %s\n", width, info.name.c_str(),
                std::string(to_string(info.state)).c_str(), utc_day(info.created_at_ms).c_str());
  }
  return 0;
}

int run_remove(storage::Database& db, Accounts& accounts, const AccountsOptions& options) {
  if (auto removed = accounts.remove(options.name); !removed) {
    return failed(removed.error(), options.name);
  }
  // Old copies of its pages leave the write-ahead log. A relay reading at that moment keeps
  // them until its own next checkpoint: not a failure.
  (void)db.checkpoint_truncate();
  std::fprintf(stderr, "gvo-relay: %s removed, with its keys and queued messages\n",
               options.name.c_str());
  return 0;
}

}  // namespace

const char* const kAccountsUsage =
    R"(Usage: gvo-relay accounts add NAME [--data DIR] [--valid-hours H] [--reset]
       gvo-relay accounts list [--data DIR]
       gvo-relay accounts remove NAME [--data DIR]

Provisioned accounts: names the relay keeps for the bot and the people they belong to, so that
nobody can take them by connecting first. Each is claimed once, with a one-time code.

  add NAME          reserve NAME (1 to 64 of a-z 0-9 . _ -, starting with a letter or digit)
                    and issue its claim code, printed alone on stdout:
                      code=$(gvo-relay accounts add gvo-bot --data DIR)
                    Its owner claims it with 'gvo-chat --claim CODE' (the bot:
                    'gvo-bot relay-claim CODE'). Run again on a reserved name: a new code, and
                    the old one stops working. Refused when NAME reads like another provisioned
                    account (gvo-b0t, gvo_bot... for gvo-bot).
    --valid-hours H how long the code works, 1 to 720 (default 72)
    --reset         also take back a claimed or self-registered account (a lost device): its
                    secret, keys and queued messages are dropped
  list              each account's name, state (reserved, claimed, self-registered) and the
                    day it was created (UTC)
  remove NAME       delete the account with its keys and queued messages
  --data DIR        the relay's data folder (default gvo-relay-data)

A change applies from the next connection: a client connected at the time stays connected until
it reconnects or the relay restarts.

Exit status: 0 done, 64 bad command line or account name, 78 cannot open or write the
database, 1 other failure (a look-alike, an account in use, no such account).
)";

int run_accounts_command(const std::vector<std::string>& args) {
  AccountsOptions options;
  if (const int status = parse(args, options); status >= 0) return status;
  // Only add may create the database: a relay can be provisioned before its first start.
  auto db = open_relay_database(options.data_dir, options.verb == "add");
  if (!db) {
    std::fprintf(stderr, "gvo-relay: %s\n", storage::describe(db.error()).c_str());
    return kExitData;
  }
  // The open-registration flag plays no part in administration.
  Accounts accounts(db.value(), true);
  if (options.verb == "add") return run_add(accounts, options);
  if (options.verb == "list") return run_list(accounts);
  return run_remove(db.value(), accounts, options);
}

}  // namespace gvo::relay
