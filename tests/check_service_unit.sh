#!/usr/bin/env bash
# The systemd units in deploy/ keep the settings the project promises, and their offline
# exposure scores (systemd-analyze security --offline=true) stay within the limits of issue 18:
# gvo-bot <= 1.0 on either transport (alone: relay; with its drop-in: signal-cli), gvo-relay
# <= 1.5, signal-cli <= 2.5, the nightly backup <= 1.0. Prints each score. Exit 1 if a setting is missing or a score is over.
set -euo pipefail
deploy="$(cd "$(dirname "$0")/../deploy" && pwd)"
failed=0

require() {  # UNIT SETTING...
  local unit="$1"; shift
  for setting in "$@"; do
    if ! grep -q "^${setting}" "$deploy/$unit"; then
      echo "deploy/$unit lacks ${setting}" >&2
      failed=1
    fi
  done
}
require gvo-bot.service Type=notify Restart=on-failure ProtectSystem=strict NoNewPrivileges=yes \
  PrivateTmp=yes StateDirectory=gvo-bot LoadCredential=gvo-sealing-key: UMask=0077 LimitCORE=0
require gvo-relay.service Type=notify Restart=on-failure ProtectSystem=strict NoNewPrivileges=yes \
  StateDirectory=gvo-relay LoadCredential=tls.key: UMask=0077 LimitCORE=0
require signal-cli.service "ExecStartPre=-/bin/rm -f /run/signal-cli/socket" \
  ProtectSystem=strict NoNewPrivileges=yes LimitCORE=0 SystemCallFilter=@system-service
if ! grep -q -- '--disable-send-log' "$deploy/signal-cli.service"; then
  echo "deploy/signal-cli.service: signal-cli runs without --disable-send-log" >&2
  failed=1
fi
require gvo-bot-backup.service Type=oneshot User=gvo-bot LoadCredential=gvo-sealing-key: \
  UMask=0077 PrivateNetwork=yes
require gvo-bot.service.d-signal-cli/signal-cli.conf SupplementaryGroups=signal-cli \
  PrivateNetwork=yes

if ! command -v systemd-analyze >/dev/null; then
  echo "unit scores: skipped (no systemd-analyze)"
  exit "$failed"
fi

# score NAME LIMIT DIR: the unit NAME as it is in DIR (drop-ins in DIR/NAME.d).
score() {
  local name="$1" limit="$2" dir="$3" line value
  line=$(cd "$dir" && systemd-analyze security --offline=true --no-pager "$name" 2>&1 |
    grep -E 'Overall exposure level' || true)
  value=$(grep -oE '[0-9]+\.[0-9]+' <<<"$line" | tail -1)
  if [[ -z $value ]]; then
    echo "unit scores: $name: systemd-analyze gave no score" >&2
    failed=1
    return
  fi
  if awk -v v="$value" -v l="$limit" 'BEGIN { exit !(v > l) }'; then
    echo "unit score: $name$label: $value, over the limit $limit" >&2
    failed=1
  else
    echo "unit score: $name$label: $value (limit $limit)"
  fi
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/relay" "$work/signal-cli/gvo-bot.service.d"
cp "$deploy"/{gvo-bot,gvo-relay,signal-cli,gvo-bot-backup}.service "$work/relay/"
cp "$deploy/gvo-bot.service" "$work/signal-cli/"
cp "$deploy/gvo-bot.service.d-signal-cli/signal-cli.conf" "$work/signal-cli/gvo-bot.service.d/"
label=" (relay transport)" score gvo-bot.service 1.0 "$work/relay"
label=" (signal-cli transport)" score gvo-bot.service 1.0 "$work/signal-cli"
label="" score gvo-relay.service 1.5 "$work/relay"
label="" score signal-cli.service 2.5 "$work/relay"
label="" score gvo-bot-backup.service 1.0 "$work/relay"

if [[ -d /run/systemd/system ]]; then
  for unit in gvo-bot gvo-relay signal-cli gvo-bot-backup; do
    systemd-analyze verify "$deploy/$unit.service" 2>&1 | grep -v 'not executable\|No such file' >&2 || true
  done
fi
exit "$failed"
