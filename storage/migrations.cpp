#include "storage/migrations.hpp"

#include <cassert>
#include <string>

namespace gvo::storage {

Result<void> check_schema_version(int version, int latest) {
  if (version <= latest) return {};
  return fail(Errc::schema_too_new,
              "the database is at schema version " + std::to_string(version) +
                  ", this gvo-bot knows versions up to " + std::to_string(latest) +
                  "; run the newer gvo-bot that wrote it, or restore a backup");
}

Result<MigrationReport> migrate(Database& db, const std::vector<Migration>& migrations) {
  const int latest = static_cast<int>(migrations.size());
  auto current = db.user_version();
  if (!current) return std::move(current).error();
  MigrationReport report{current.value(), current.value()};
  if (auto checked = check_schema_version(report.from, latest); !checked) {
    return std::move(checked).error();
  }
  for (int version = report.from + 1; version <= latest; ++version) {
    const Migration& step = migrations[static_cast<std::size_t>(version - 1)];
    assert(step.version == version && "migrations must be numbered 1, 2, 3... in order");
    auto applied = db.transact([&]() -> Result<void> {
      if (auto ran = db.exec(step.sql); !ran) return ran;
      return db.set_user_version(version);
    });
    if (!applied) {
      return fail(Errc::migration_failed, "migration " + std::to_string(version) + " (" +
                                              std::string(step.name) +
                                              "): " + describe(applied.error()));
    }
    report.to = version;
  }
  return report;
}

}  // namespace gvo::storage
