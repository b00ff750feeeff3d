#include "storage/store.hpp"

#include <unistd.h>

namespace gvo::storage {
namespace {

constexpr SealedPlace kKeyCheckPlace{"meta", "value", "key_check"};
constexpr std::string_view kKeyCheckText = "gvo-bot key check v1";

std::string joined(const std::vector<std::string>& items) {
  std::string text;
  for (const auto& item : items) {
    if (!text.empty()) text += ", ";
    text += item;
  }
  return text;
}

Result<void> verify_key(Database& db, const Sealer& sealer) {
  auto query = db.prepare("SELECT value FROM meta WHERE name = 'key_check'");
  if (!query) return std::move(query).error();
  auto row = query->step();
  if (!row) return std::move(row).error();
  if (!row.value()) return {};  // nothing sealed yet: the check is written after migration
  auto opened = sealer.open(kKeyCheckPlace, query->column_blob(0));
  if (opened && opened.value() == kKeyCheckText) return {};
  if (!opened && opened.code() == Errc::sealed_unknown_key) {
    return fail(Errc::key_mismatch,
                "the database was sealed with " + opened.error().detail +
                    ", the loaded keys have ids " + joined(sealer.key_ids()) +
                    ": load the key that sealed it (after a rotation not yet done, list the "
                    "previous key file in sealing.retired_key_files)");
  }
  return fail(Errc::key_mismatch, "the key check in the database does not open");
}

// Everything that could refuse an existing database is checked on a read-only connection, so a
// refused database is left byte for byte as it was (a read-write close rewrites its header).
Result<void> check_existing(const std::string& path, const Sealer& sealer, int latest) {
  auto db = Database::open(path, OpenMode::read_only);
  if (!db) return std::move(db).error();
  auto version = db->user_version();
  if (!version) return std::move(version).error();
  if (auto checked = check_schema_version(version.value(), latest); !checked) return checked;
  if (version.value() < 1) return {};  // the meta table arrives with version 1
  return verify_key(db.value(), sealer);
}

}  // namespace

Result<Store> Store::open(const std::string& path, Sealer sealer, OpenMode mode) {
  return open(path, std::move(sealer), mode, schema_migrations(), RotationOptions{});
}

Result<Store> Store::open(const std::string& path, Sealer sealer, OpenMode mode,
                          const std::vector<Migration>& migrations) {
  return open(path, std::move(sealer), mode, migrations, RotationOptions{});
}

Result<Store> Store::open(const std::string& path, Sealer sealer, OpenMode mode,
                          const RotationOptions& rotation) {
  return open(path, std::move(sealer), mode, schema_migrations(), rotation);
}

Result<KeyState> Store::inspect(const std::string& path, const Sealer& sealer) {
  if (::access(path.c_str(), F_OK) != 0) return KeyState{};
  const int latest = static_cast<int>(schema_migrations().size());
  if (auto checked = check_existing(path, sealer, latest); !checked) {
    return std::move(checked).error();
  }
  auto db = Database::open(path, OpenMode::read_only);
  if (!db) return std::move(db).error();
  return key_state(db.value(), sealer);
}

Result<Store> Store::open(const std::string& path, Sealer sealer, OpenMode mode,
                          const std::vector<Migration>& migrations,
                          const RotationOptions& rotation) {
  if (::access(path.c_str(), F_OK) == 0) {
    const int latest = static_cast<int>(migrations.size());
    if (auto checked = check_existing(path, sealer, latest); !checked) {
      return std::move(checked).error();
    }
  }
  auto db = Database::open(path, mode);
  if (!db) return std::move(db).error();
  Store store(std::move(db).value(), std::move(sealer));
  auto migrated = migrate(store.db_, migrations);
  if (!migrated) return std::move(migrated).error();
  store.migration_ = migrated.value();
  auto rotated = rotate_sealing_key(store.db_, store.sealer_, rotation);
  if (!rotated) return std::move(rotated).error();
  if (!rotated->from_key.empty()) store.rotation_ = std::move(rotated).value();
  if (auto recorded = store.record_key(); !recorded) return std::move(recorded).error();
  return store;
}

Result<Store::NewSealedRow> Store::seal_for_new_row(std::string_view table, std::string_view column,
                                                    std::string_view value) {
  auto next = db_.next_id(table);
  if (!next) return std::move(next).error();
  const std::string row = std::to_string(next.value());
  auto sealed = sealer_.seal({table, column, row}, value);
  if (!sealed) return std::move(sealed).error();
  return NewSealedRow{next.value(), std::move(sealed).value()};
}

Result<void> Store::record_key() {
  if (migration_.to < 1) return {};
  auto sealed = sealer_.seal(kKeyCheckPlace, kKeyCheckText);
  if (!sealed) return std::move(sealed).error();
  return db_.transact([&]() -> Result<void> {
    auto insert = db_.prepare("INSERT OR IGNORE INTO meta(name, value) VALUES ('key_check', ?1)");
    if (!insert) return std::move(insert).error();
    return insert->bind_blob(1, sealed.value()).run();
  });
}

}  // namespace gvo::storage
