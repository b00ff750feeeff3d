// Start-up steps of gvo-bot that touch the file system: reading the configuration file, finding
// or creating the sealing key, opening the database (the flows are bot/desk/flow_set.hpp). Failures
// throw StartupError, the one place exceptions are used; main() turns them into a log line and an
// exit status.
#pragma once

#include <stdexcept>
#include <string>

#include "bot/core/config.hpp"
#include "bot/log/log.hpp"
#include "storage/store.hpp"

namespace gvo::daemon {

// sysexits(3): a restart cannot fix these, so the unit does not retry them.
constexpr int kExitUsage = 64;
constexpr int kExitConfig = 78;
constexpr int kExitFailure = 1;

class StartupError : public std::runtime_error {
 public:
  StartupError(int exit_code, const std::string& what)
      : std::runtime_error(what), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

// An empty path gives the embedded defaults.
core::Config load_config(const std::string& path);

// The configuration's log level in the logger's terms (bot/log knows nothing of the config).
[[nodiscard]] log::Level log_level_of(core::LogLevel level);

enum class KeyCreation { allowed, refused };

// Loads the sealing keys (creating the current one when allowed, the key file is missing and so is
// the database) and opens the database, creating the data folder owner-only if needed. A pending
// key rotation runs here; case_indexer (desk::case_indexer()) re-keys what cases are found by.
storage::Store open_store(const core::Config& config, KeyCreation creation,
                          storage::CaseIndexer case_indexer);

// The sealing keys the configuration names (current and retired), never created: for commands
// that read a database without opening the store (backup checks, restore).
storage::Sealer load_sealer(const core::Config& config);

// The database file the configuration names.
std::string database_path(const core::Config& config);

// What --check-config says about the key: loads it, never creates it. Returns a line to print.
std::string check_keys(const core::Config& config);

}  // namespace gvo::daemon
