#!/usr/bin/env bash
# Sets up everything (Debian packages), builds gvo-relay, gvo-bot and gvo-chat, starts the relay
# and the bot on their embedded defaults, and opens gvo-chat on the bot so you can talk with it.
# Data stays in ./gvo-relay-data, ./gvo-data and ./gvo-chat-data (created on first run); logs in
# ./gvo-data/*.log. Leaving the chat (Ctrl-D or Ctrl-C) stops the relay and the bot.
#   bash deploy/run-local.sh
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/install-deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DGVO_BUILD_TESTS=OFF >/dev/null
cmake --build build/release --target gvo-relay gvo-bot gvo-chat
bin=build/release/bot
mkdir -p gvo-data && chmod 700 gvo-data

"$bin/relay/gvo-relay" 2>gvo-data/relay.log &
relay=$!
"$bin/gvo-bot" 2>gvo-data/bot.log &
bot=$!
trap 'kill "$bot" "$relay" 2>/dev/null; wait "$bot" "$relay" 2>/dev/null || true' EXIT
for _ in $(seq 50); do  # up to 5 s for both to report ready
  grep -q 'ready' gvo-data/bot.log 2>/dev/null && grep -q 'listening' gvo-data/relay.log && break
  sleep 0.1
done
echo "gvo-relay and gvo-bot are running (logs in gvo-data/relay.log, gvo-data/bot.log)."
"$bin/chat/gvo-chat" --to gvo-bot
