#!/usr/bin/env bash
# Sets up everything (Debian packages), builds gvo-relay, gvo-bot and gvo-chat, starts the relay
# and the bot on their embedded defaults, and opens gvo-chat on the bot so you can talk with it.
# Data stays in ./gvo-relay-data, ./gvo-data and ./gvo-chat-data (created on first run); logs in
# ./gvo-data/*.log. Leaving the chat (Ctrl-D or Ctrl-C) stops the relay and the bot.
#   bash deploy/run-local.sh
# As in production, the bot's relay account is provisioned, not first-come: on the first run the
# relay reserves "gvo-bot" and the bot claims it with the one-time code (README, "The relay").
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/install-deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DGVO_BUILD_TESTS=OFF >/dev/null
cmake --build build/release --target gvo-relay gvo-bot gvo-chat
bin=build/release/bot
relay_bin="$bin/relay/gvo-relay"
mkdir -p gvo-data && chmod 700 gvo-data

"$bin/gvo-bot" init >/dev/null
# The bot's name at the relay: reserved for it once, so that nobody else can take it.
claim=""
if ! "$relay_bin" accounts list 2>/dev/null | grep -qE '^gvo-bot[[:space:]]+claimed'; then
  claim=$("$relay_bin" accounts add gvo-bot 2>/dev/null)
fi

"$relay_bin" 2>gvo-data/relay.log &
relay=$!
trap 'kill ${bot:-} "$relay" 2>/dev/null; wait ${bot:-} "$relay" 2>/dev/null || true' EXIT
for _ in $(seq 50); do  # up to 5 s for the relay to listen
  grep -q 'listening' gvo-data/relay.log 2>/dev/null && break
  sleep 0.1
done
if [[ -n "$claim" ]]; then
  "$bin/gvo-bot" relay-claim "$claim"
fi
"$bin/gvo-bot" 2>gvo-data/bot.log &
bot=$!
for _ in $(seq 50); do  # up to 5 s for the bot to be connected as itself
  grep -q 'ready' gvo-data/bot.log 2>/dev/null && break
  sleep 0.1
done
if ! grep -q 'ready' gvo-data/bot.log; then
  echo "gvo-bot is not ready; its log (gvo-data/bot.log) says:" >&2
  tail -n 5 gvo-data/bot.log >&2
  exit 1
fi
echo "gvo-relay and gvo-bot are running (logs in gvo-data/relay.log, gvo-data/bot.log)."
echo "The bot's fingerprint: $("$bin/gvo-bot" fingerprint) (gvo-chat --bot-fingerprint shows the one it pinned)."
"$bin/chat/gvo-chat" --to gvo-bot
