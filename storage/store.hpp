// The bot's database together with the Sealer for its personal data. Opening checks, before
// anything is written, that the loaded key is the one this database was sealed with, then brings
// the schema up to date. Owned by the composition root; used on the bot's one thread.
#pragma once

#include <string>

#include "storage/database.hpp"
#include "storage/migrations.hpp"
#include "storage/sealer.hpp"

namespace gvo::storage {

class Store {
 public:
  static Result<Store> open(const std::string& path, Sealer sealer, OpenMode mode);
  // The same, with a schema other than gvo-bot's (tests of older versions).
  static Result<Store> open(const std::string& path, Sealer sealer, OpenMode mode,
                            const std::vector<Migration>& migrations);

  Database& db() { return db_; }
  const Sealer& sealer() const { return sealer_; }
  // The schema versions before and after opening.
  const MigrationReport& migration() const { return migration_; }

 private:
  Store(Database db, Sealer sealer) : db_(std::move(db)), sealer_(std::move(sealer)) {}
  Result<void> record_key();

  Database db_;
  Sealer sealer_;
  MigrationReport migration_;
};

}  // namespace gvo::storage
