#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>

#include "bot/admin/commands.hpp"
#include "bot/daemon/startup.hpp"
#include "storage/backup.hpp"

namespace gvo::admin {
namespace {

constexpr int kExitBusy = 75;  // sysexits(3) EX_TEMPFAIL: the bot is running; try again later

std::string key_words(const storage::KeyState& key) {
  switch (key.kind) {
    case storage::KeyState::Kind::unsealed:
      return "nothing sealed in it yet";
    case storage::KeyState::Kind::current:
      return "opens with the current key";
    case storage::KeyState::Kind::pending:
      return "opens with retired key " + key.sealed_with + " (the bot re-keys it at start)";
  }
  return {};
}

int storage_failure(const char* what, const storage::Error& error) {
  std::fprintf(stderr, "gvo-bot %s: %s\n", what, storage::describe(error).c_str());
  if (error.code == storage::Errc::busy) return kExitBusy;
  return error.code == storage::Errc::key_mismatch || error.code == storage::Errc::schema_too_new
             ? daemon::kExitConfig
             : daemon::kExitFailure;
}

// UTC, to the second: the name of the database a restore replaced.
std::string stamp_now() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y%m%dT%H%M%SZ", &utc);
  return text;
}

}  // namespace

int back_up_database(const core::Config& config, const std::string& output) {
  const storage::Sealer sealer = daemon::load_sealer(config);
  auto copied = storage::back_up(daemon::database_path(config), output);
  if (!copied) return storage_failure("backup", copied.error());
  auto checked = storage::check_backup(output, sealer);
  if (!checked) {
    std::fprintf(stderr, "gvo-bot backup: %s was written but does not pass its check: %s\n",
                 output.c_str(), storage::describe(checked.error()).c_str());
    return daemon::kExitFailure;
  }
  std::printf(
      "gvo-bot backup: %s written (%lld KiB, schema version %d, integrity ok, %s); it holds "
      "personal data sealed with the key: keep the key apart from it\n",
      output.c_str(), static_cast<long long>(copied->bytes / 1024), checked->schema_version,
      key_words(checked->key).c_str());
  return 0;
}

int restore_database(const core::Config& config, const std::string& backup) {
  const storage::Sealer sealer = daemon::load_sealer(config);
  const std::string live = daemon::database_path(config);
  auto restored = storage::restore(backup, live, sealer, stamp_now());
  if (!restored) return storage_failure("restore", restored.error());
  std::printf("gvo-bot restore: %s is now the database (schema version %d, integrity ok, %s)\n",
              live.c_str(), restored->check.schema_version, key_words(restored->check.key).c_str());
  if (!restored->replaced_kept_as.empty()) {
    std::printf(
        "gvo-bot restore: the database it replaced is kept as %s (owner-only); remove it once "
        "the bot runs well on the restored one, since it holds personal data\n",
        restored->replaced_kept_as.c_str());
  }
  return 0;
}

}  // namespace gvo::admin
