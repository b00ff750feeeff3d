// Where sealing keys come from: an owner-only key file, or a systemd credential
// ($CREDENTIALS_DIRECTORY, LoadCredential=). A key file holds 64 hexadecimal digits.
#pragma once

#include <string>

#include "storage/errors.hpp"
#include "storage/sealer.hpp"

namespace gvo::storage {

// Refuses a file that group or others may read, naming the fix.
Result<SealingKey> read_key_file(const std::string& path);

// Reads $CREDENTIALS_DIRECTORY/<name>; systemd makes that directory private to the service.
Result<SealingKey> read_credential(const std::string& name);

// Writes a new random key, owner-only, and syncs it to disk. Never overwrites a file.
Result<SealingKey> create_key_file(const std::string& path);

}  // namespace gvo::storage
