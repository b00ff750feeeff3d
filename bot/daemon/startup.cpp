#include "bot/daemon/startup.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "bot/log/log.hpp"
#include "storage/key_files.hpp"

namespace gvo::daemon {
namespace {

bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

int exit_code_for(storage::Errc code) {
  switch (code) {
    case storage::Errc::key_missing:
    case storage::Errc::key_insecure:
    case storage::Errc::key_malformed:
    case storage::Errc::key_mismatch:
    case storage::Errc::schema_too_new:
      return kExitConfig;
    default:
      return kExitFailure;
  }
}

[[noreturn]] void throw_storage(const storage::Error& error) {
  throw StartupError(exit_code_for(error.code), storage::describe(error));
}

void make_directories(const std::string& path) {
  std::string partial;
  std::stringstream parts(path);
  std::string part;
  if (!path.empty() && path.front() == '/') partial = "/";
  while (std::getline(parts, part, '/')) {
    if (part.empty()) continue;
    partial += part;
    if (::mkdir(partial.c_str(), 0700) != 0 && errno != EEXIST) {
      throw StartupError(kExitFailure,
                         "cannot create folder " + partial + ": " + std::strerror(errno));
    }
    partial += '/';
  }
}

storage::SealingKey current_key(const core::Config& config, KeyCreation creation) {
  const core::SealingConfig& sealing = config.sealing;
  if (!sealing.credential.empty()) {
    auto key = storage::read_credential(sealing.credential);
    if (!key) throw_storage(key.error());
    return std::move(key).value();
  }
  const std::string path = core::resolve_in_data_dir(config, sealing.key_file);
  auto key = storage::read_key_file(path);
  if (key) return std::move(key).value();
  if (key.code() != storage::Errc::key_missing || creation == KeyCreation::refused) {
    throw_storage(key.error());
  }
  const std::string database = core::resolve_in_data_dir(config, config.database);
  if (exists(database)) {
    throw StartupError(kExitConfig, "sealing key not found: " + path +
                                        " is missing but the "
                                        "database " +
                                        database +
                                        " exists; a new key could never "
                                        "open it, so none is created. Restore the key file.");
  }
  auto created = storage::create_key_file(path);
  if (!created) throw_storage(created.error());
  log::notice("created a new sealing key in " + path + " (id " + created->id_hex() +
              "); back it up apart from the database: without it nothing sealed can be read");
  return std::move(created).value();
}

std::vector<storage::SealingKey> all_keys(const core::Config& config, KeyCreation creation) {
  std::vector<storage::SealingKey> keys{current_key(config, creation)};
  for (const auto& file : config.sealing.retired_key_files) {
    auto key = storage::read_key_file(core::resolve_in_data_dir(config, file));
    if (!key) throw_storage(key.error());
    keys.push_back(std::move(key).value());
  }
  return keys;
}

// A rotation of the sealing key (storage/key_rotation.hpp), logged step by step.
storage::RotationOptions rotation_options(storage::CaseIndexer case_indexer) {
  storage::RotationOptions options;
  options.case_indexer = std::move(case_indexer);
  options.progress = [](const storage::RotationStep& step) -> storage::Result<void> {
    log::info("sealing key rotation: " + step.table + "." + step.column + " done, " +
              std::to_string(step.rows) + " row(s)");
    return {};
  };
  return options;
}

void log_rotation(const storage::RotationReport& done) {
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.2f", done.seconds);
  log::notice("sealing key rotated from id " + done.from_key + " to id " + done.to_key + ": " +
              std::to_string(done.values_resealed) + " value(s) sealed again, " +
              std::to_string(done.indexes_rekeyed) + " keyed hash(es) computed again, " +
              std::to_string(done.rows_dropped) + " unreachable Signal row(s) dropped, in " +
              seconds + " s; the retired key file is no longer needed");
  if (done.enrolments_voided > 0) {
    log::warning(std::to_string(done.enrolments_voided) +
                 " pending enrolment code(s) were voided by the rotation: give those members a "
                 "new one with gvo-bot staff enrol ADDRESS");
  }
}

}  // namespace

core::Config load_config(const std::string& path) {
  if (path.empty()) return core::embedded_defaults();
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    throw StartupError(kExitConfig,
                       "cannot read configuration " + path + ": " + std::strerror(errno));
  }
  std::stringstream text;
  text << file.rdbuf();
  auto config = core::parse_config(text.str(), path);
  if (!config) {
    throw StartupError(kExitConfig,
                       std::string(core::to_string(config.code())) + "\n" + config.error().detail);
  }
  return std::move(config).value();
}

log::Level log_level_of(core::LogLevel level) {
  switch (level) {
    case core::LogLevel::error:
      return log::Level::error;
    case core::LogLevel::warning:
      return log::Level::warning;
    case core::LogLevel::notice:
      return log::Level::notice;
    case core::LogLevel::info:
      return log::Level::info;
    case core::LogLevel::debug:
      return log::Level::debug;
  }
  return log::Level::info;
}

storage::Store open_store(const core::Config& config, KeyCreation creation,
                          storage::CaseIndexer case_indexer) {
  make_directories(config.data_dir);
  storage::Sealer sealer(all_keys(config, creation));
  const std::string path = core::resolve_in_data_dir(config, config.database);
  auto store = storage::Store::open(path, std::move(sealer), storage::OpenMode::create_if_missing,
                                    rotation_options(std::move(case_indexer)));
  if (!store) throw_storage(store.error());
  if (store->rotation()) log_rotation(*store->rotation());
  return std::move(store).value();
}

storage::Sealer load_sealer(const core::Config& config) {
  return storage::Sealer(all_keys(config, KeyCreation::refused));
}

std::string database_path(const core::Config& config) {
  return core::resolve_in_data_dir(config, config.database);
}

std::string check_keys(const core::Config& config) {
  const bool from_file = config.sealing.credential.empty();
  if (from_file) {
    const std::string path = core::resolve_in_data_dir(config, config.sealing.key_file);
    const std::string database = core::resolve_in_data_dir(config, config.database);
    if (config.sealing.create_key && !exists(path) && !exists(database)) {
      return "sealing key: " + path + " will be created on first run";
    }
  }
  auto keys = all_keys(config, KeyCreation::refused);
  const std::string loaded =
      "sealing key: id " + keys.front().id_hex() + " loaded" +
      (keys.size() > 1 ? ", with " + std::to_string(keys.size() - 1) + " retired key(s)" : "");
  // What the database says of the keys, read only: a rotation to do, or a key that opens nothing.
  const storage::Sealer sealer(std::move(keys));
  auto state = storage::Store::inspect(core::resolve_in_data_dir(config, config.database), sealer);
  if (!state) throw_storage(state.error());
  switch (state->kind) {
    case storage::KeyState::Kind::unsealed:
      return loaded;
    case storage::KeyState::Kind::current:
      return loaded + "; the database is sealed with it" +
             (sealer.key_ids().size() > 1 ? " (the retired keys are no longer needed)" : "");
    case storage::KeyState::Kind::pending:
      break;
  }
  return loaded + "\nrotation pending: the database is sealed with key id " + state->sealed_with +
         " (a retired key); the next start re-keys " + std::to_string(state->rows_to_rekey) +
         " row(s) to the current key, in one transaction";
}

}  // namespace gvo::daemon
