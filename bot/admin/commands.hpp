// gvo-bot's offline commands (everything but the running bot): set-up checks, the export, the
// staff registry, statistics, the signal-cli captcha and the relay claim. Each runs once on the
// main thread, on the sealed store, and returns the process's exit status; start-up errors throw
// (daemon::StartupError and the like) and main() turns them into a log line and a status.
#pragma once

#include <string>
#include <vector>

#include "bot/core/config.hpp"

namespace gvo::admin {

// gvo-bot init: the data folder, the sealing key and the database, created if needed.
int init_bot(const core::Config& config);

// gvo-bot check-config: the configuration is valid (it was loaded), and what of the key.
int check_config(const core::Config& config, const std::string& source);

// gvo-bot check-flows FILE...: every problem of every file; 65 (EX_DATAERR) when any.
int check_flows(const std::vector<std::string>& files);

// gvo-bot export FILE: every case, to a new file only its owner can read.
int export_cases(const core::Config& config, const std::string& output);

// gvo-bot backup --output FILE: a consistent copy of the live database (the bot may run), to a
// new owner-only file, then checked (integrity, schema, key). 75 while the database is locked
// longer than the wait.
int back_up_database(const core::Config& config, const std::string& output);

// gvo-bot restore FILE: checks the backup against the key, then puts it in place of the
// database, keeping the one it replaces beside. 75 (EX_TEMPFAIL) while the bot runs.
int restore_database(const core::Config& config, const std::string& backup);

// gvo-bot doctor: what is wrong and what to do, read-only (it may run beside the bot): key,
// data folder, disk, database, staff, outbox, flows, transport. 0 all well, 1 warnings, 2 errors.
int run_doctor(const core::Config& config, const std::string& source);

// gvo-bot staff add | enrol | list | remove | verify ...: the registry, offline.
int manage_staff(const core::Config& config, const std::vector<std::string>& arguments);

// gvo-bot stats [--csv]: anonymous counts by month, centre and status.
int print_stats(const core::Config& config, bool csv);

// gvo-bot captcha CHALLENGE CAPTCHA: hands Signal the captcha it asked for (signal-cli only).
int answer_captcha(const core::Config& config, const std::string& challenge,
                   const std::string& captcha);

// gvo-bot relay-claim CODE: one login with the claim code the relay's admin gave.
int claim_relay_account(const core::Config& config, const std::string& code);

// gvo-bot fingerprint: the bot's identity key as people compare it (relay only).
int print_fingerprint(const core::Config& config);

}  // namespace gvo::admin
