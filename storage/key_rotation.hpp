// Rotation of the sealing key: every value sealed under a retired key is sealed again under the
// current one, and every keyed hash (Sealer::blind_index) is computed again, in one transaction.
// Run by Store::open on the bot's one thread; the list of keyed columns is in key_rotation.cpp.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/database.hpp"
#include "storage/errors.hpp"
#include "storage/sealer.hpp"

namespace gvo::storage {

// What a case is found by, recovered from its (opened) intake: storage cannot read an intake,
// the composition root can (bot/cases: facts_of and match_keys).
struct CaseIndexValues {
  std::string centre;
  std::vector<std::string> name_keys;  // MatchKeys::kept
};
using CaseIndexer = std::function<Result<CaseIndexValues>(std::string_view intake)>;

// One table's column done: counts only, never values.
struct RotationStep {
  std::string table;
  std::string column;
  std::int64_t rows = 0;
};

struct RotationOptions {
  // Needed as soon as the database holds a case; without it such a rotation is refused.
  CaseIndexer case_indexer;
  // Called after each step; an error stops the rotation and rolls all of it back.
  std::function<Result<void>(const RotationStep&)> progress;
};

struct RotationReport {
  std::string from_key;                // id of the retired key the database was sealed with
  std::string to_key;                  // id of the current key
  std::int64_t values_resealed = 0;    // sealed values now under the current key
  std::int64_t indexes_rekeyed = 0;    // keyed hashes computed again
  std::int64_t rows_dropped = 0;       // Signal rows no address of ours explains (unreachable)
  std::int64_t enrolments_voided = 0;  // pending enrolment codes (kept only as keyed hashes)
  double seconds = 0;
};

// Whether the database (at the latest schema) is sealed with the current key. Reads only.
struct KeyState {
  enum class Kind {
    unsealed,  // nothing sealed yet (a new database)
    current,   // sealed with the current key
    pending,   // sealed with a loaded retired key: the next start re-keys rows_to_rekey rows
  };
  Kind kind = Kind::unsealed;
  std::string sealed_with;  // key id
  std::int64_t rows_to_rekey = 0;
};
Result<KeyState> key_state(Database& db, const Sealer& sealer);

// Re-keys everything in one transaction, then the key check; nothing when the state is not
// pending. Interrupted (a crash, an error), the transaction rolls back and the next call starts
// again from the old state.
Result<RotationReport> rotate_sealing_key(Database& db, const Sealer& sealer,
                                          const RotationOptions& options);

}  // namespace gvo::storage
