// The bot's database together with the Sealer for its personal data. Opening checks, before
// anything is written, that a loaded key is the one this database was sealed with, brings the
// schema up to date and, when that key is a retired one, re-keys the database to the current key
// (storage/key_rotation.hpp). Owned by the composition root; used on the bot's one thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "storage/database.hpp"
#include "storage/key_rotation.hpp"
#include "storage/migrations.hpp"
#include "storage/sealer.hpp"

namespace gvo::storage {

class Store {
 public:
  static Result<Store> open(const std::string& path, Sealer sealer, OpenMode mode);
  // The same, with a schema other than gvo-bot's (tests of older versions).
  static Result<Store> open(const std::string& path, Sealer sealer, OpenMode mode,
                            const std::vector<Migration>& migrations);
  // gvo-bot's schema, re-keying with these options when the database needs it.
  static Result<Store> open(const std::string& path, Sealer sealer, OpenMode mode,
                            const RotationOptions& rotation);
  static Result<Store> open(const std::string& path, Sealer sealer, OpenMode mode,
                            const std::vector<Migration>& migrations,
                            const RotationOptions& rotation);

  // What opening would find about the key, reading only (gvo-bot --check-config): refused as
  // open would refuse (no loaded key opens it, a newer schema); unsealed for a missing file.
  static Result<KeyState> inspect(const std::string& path, const Sealer& sealer);

  Database& db() { return db_; }
  const Sealer& sealer() const { return sealer_; }

  // The id the next row of table takes, and value sealed for that row's column: a sealed value
  // opens only in the row it was written for. In the caller's transaction.
  struct NewSealedRow {
    std::int64_t id = 0;
    Bytes sealed;
  };
  Result<NewSealedRow> seal_for_new_row(std::string_view table, std::string_view column,
                                        std::string_view value);
  // The schema versions before and after opening.
  const MigrationReport& migration() const { return migration_; }
  // The rotation opening did, if it did one.
  const std::optional<RotationReport>& rotation() const { return rotation_; }

 private:
  Store(Database db, Sealer sealer) : db_(std::move(db)), sealer_(std::move(sealer)) {}
  Result<void> record_key();

  Database db_;
  Sealer sealer_;
  MigrationReport migration_;
  std::optional<RotationReport> rotation_;
};

}  // namespace gvo::storage
