#!/usr/bin/env bash
# Sets up everything (Debian packages), builds gvo-bot and runs it on its embedded defaults, with
# its data in ./gvo-data (created on first run, sealing key included). Ctrl-C stops it.
#   bash deploy/run-local.sh [gvo-bot options...]
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/install-deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DGVO_BUILD_TESTS=OFF >/dev/null
cmake --build build/release --target gvo-bot
exec build/release/bot/gvo-bot "$@"
