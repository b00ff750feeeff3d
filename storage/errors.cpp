#include "storage/errors.hpp"

namespace gvo::storage {

std::string_view to_string(Errc code) {
  switch (code) {
    case Errc::open_failed:
      return "cannot open the database";
    case Errc::sql_failed:
      return "database statement failed";
    case Errc::not_found:
      return "no such row";
    case Errc::constraint:
      return "database constraint refused the write";
    case Errc::busy:
      return "database is busy";
    case Errc::schema_too_new:
      return "database was written by a newer gvo-bot";
    case Errc::migration_failed:
      return "database migration failed";
    case Errc::unreadable_value:
      return "stored value cannot be read";
    case Errc::key_missing:
      return "sealing key not found";
    case Errc::key_insecure:
      return "sealing key file is readable by others";
    case Errc::key_malformed:
      return "sealing key is malformed";
    case Errc::key_mismatch:
      return "sealing key does not match this database";
    case Errc::sealed_malformed:
      return "sealed value is malformed";
    case Errc::sealed_unknown_key:
      return "sealed value was sealed with a key that is not loaded";
    case Errc::sealed_wrong_place:
      return "sealed value belongs to another row or column";
    case Errc::sealed_tampered:
      return "sealed value was tampered with";
    case Errc::crypto_failed:
      return "cryptographic operation failed";
  }
  return "storage error";
}

std::string describe(const Error& error) {
  std::string text(to_string(error.code));
  if (!error.detail.empty()) text += ": " + error.detail;
  return text;
}

}  // namespace gvo::storage
