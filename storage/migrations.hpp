// Numbered schema migrations: each runs in its own transaction and records its number in the
// database's user_version, so a crash leaves the database at a whole version.
#pragma once

#include <string_view>
#include <vector>

#include "storage/database.hpp"

namespace gvo::storage {

struct Migration {
  int version;  // 1, 2, 3...: the position in the list
  std::string_view name;
  std::string_view sql;
};

struct MigrationReport {
  int from = 0;
  int to = 0;
};

// Refuses a database whose schema is newer than the code that opens it.
Result<void> check_schema_version(int version, int latest);

// Brings db up to the last migration of the list. A database newer than the list is refused
// untouched; a failed migration leaves the database at the version before it.
Result<MigrationReport> migrate(Database& db, const std::vector<Migration>& migrations);

// gvo-bot's schema, oldest first (storage/schema.cpp). Append only: never edit a released entry.
const std::vector<Migration>& schema_migrations();

}  // namespace gvo::storage
