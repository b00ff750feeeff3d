#!/usr/bin/env bash
# The cores (flows/, bot/core/, bot/cases/) stay pure: no Asio, Beast, SQLite, OpenSSL or libsignal header.
# Run by ctest; exits 1 and names each offending line.
set -euo pipefail
cd "$(dirname "$0")/.."
pattern='^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"](boost/(asio|beast)|sqlite3|openssl/|signal/|signal_protocol|session_builder|session_cipher|key_helper|protocol\.h|curve\.h|systemd/)'
found=$(grep -rnE "$pattern" flows bot/core bot/cases --include='*.hpp' --include='*.cpp' --include='*.h' || true)
if [[ -n "$found" ]]; then
  echo "flows/, bot/core/ and bot/cases/ must not include I/O or crypto libraries (DESIGN.md section 3):" >&2
  echo "$found" >&2
  exit 1
fi
echo "pure cores: no forbidden include in flows/, bot/core/ or bot/cases/"
