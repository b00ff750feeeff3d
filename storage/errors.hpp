// The storage module's error codes: SQLite, migrations, the sealing key and sealed values.
#pragma once

#include <string>
#include <string_view>

#include "bot/core/result.hpp"

namespace gvo::storage {

enum class Errc {
  // Database
  open_failed,       // the file could not be opened or is not a database
  sql_failed,        // a statement failed to prepare or run
  not_found,         // no row with that key
  constraint,        // a UNIQUE, FOREIGN KEY, NOT NULL or CHECK constraint refused a write
  busy,              // another process held the database longer than the busy timeout
  schema_too_new,    // the database was written by a newer gvo-bot
  migration_failed,  // a migration failed; the database is left at the version before it
  unreadable_value,  // a stored value this version cannot read (an unknown role, state, status)
  // Sealing key
  key_missing,    // no key file or credential where the configuration says
  key_insecure,   // the key file can be read by group or others
  key_malformed,  // the key file does not hold 64 hexadecimal digits
  key_mismatch,   // none of the loaded keys opens this database
  // Sealed values
  sealed_malformed,    // too short, or an unknown format version
  sealed_unknown_key,  // sealed under a key that is not loaded (a wrong or missing key)
  sealed_wrong_place,  // the value belongs to another table, column or row
  sealed_tampered,     // the ciphertext or its tag was changed
  crypto_failed,       // OpenSSL refused an operation (should not happen)
};

[[nodiscard]] std::string_view to_string(Errc code);

template <typename T>
using Result = core::Result<T, Errc>;
using Error = core::Error<Errc>;
using core::fail;

// "<what the code means>: <detail>", for logs and command-line errors.
[[nodiscard]] std::string describe(const Error& error);

}  // namespace gvo::storage
