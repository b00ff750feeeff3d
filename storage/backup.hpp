// Backups of the live database and their restore (gvo-bot backup, gvo-bot restore). A backup is
// one consistent snapshot taken with SQLite's online backup API while the bot keeps writing; it
// holds what the database holds, sealed values still sealed, so it opens only with the key.
#pragma once

#include <cstdint>
#include <string>

#include "storage/errors.hpp"
#include "storage/sealer.hpp"
#include "storage/store.hpp"

namespace gvo::storage {

struct BackupReport {
  std::int64_t pages = 0;
  std::int64_t bytes = 0;
};

// Copies the database at live into output, a new file made owner-only (O_EXCL: an existing file
// is never overwritten), in one step of the backup API: a read transaction of its own, so the
// copy holds exactly what was committed when it began, and the bot's writes go on meanwhile
// (WAL). The copy is a plain rollback-journal database, synced to disk with its folder. On
// failure nothing is left at output.
[[nodiscard]] Result<BackupReport> back_up(const std::string& live, const std::string& output);

struct BackupCheck {
  int schema_version = 0;
  KeyState key;  // kind unsealed: nothing sealed in it yet
};

// What a backup is: SQLite's integrity check passes, the schema is one this version knows, and
// one of sealer's keys opens it (key_mismatch otherwise). Reads only.
[[nodiscard]] Result<BackupCheck> check_backup(const std::string& path, const Sealer& sealer);

struct RestoreReport {
  BackupCheck check;
  std::string replaced_kept_as;  // empty when there was no database at live
};

// Puts a checked backup in place of the database at live. Refused (busy) while any other
// connection has live open: the bot must be stopped. The database it replaces is first
// checkpointed (its WAL emptied into it) and kept beside as LIVE.replaced-STAMP, owner-only, for
// the operator to remove; the backup is copied to a new file next to live, synced, then renamed
// over it, so that at every moment live is one whole database.
[[nodiscard]] Result<RestoreReport> restore(const std::string& backup, const std::string& live,
                                            const Sealer& sealer, const std::string& stamp);

}  // namespace gvo::storage
