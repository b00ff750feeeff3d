// The bot's database together with the Sealer for its personal data. Opening checks, before
// anything is written, that the loaded key is the one this database was sealed with, then brings
// the schema up to date. Owned by the composition root; used on the bot's one thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

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

 private:
  Store(Database db, Sealer sealer) : db_(std::move(db)), sealer_(std::move(sealer)) {}
  Result<void> record_key();

  Database db_;
  Sealer sealer_;
  MigrationReport migration_;
};

}  // namespace gvo::storage
