#!/usr/bin/env bash
# deploy/gvo-bot.service keeps the settings the foundation promises (issue: hardened unit).
set -euo pipefail
unit="$(dirname "$0")/../deploy/gvo-bot.service"
missing=0
for setting in Type=notify Restart=on-failure ProtectSystem=strict NoNewPrivileges=yes \
  PrivateTmp=yes StateDirectory=gvo-bot LoadCredential=gvo-sealing-key: UMask=0077 LimitCORE=0; do
  if ! grep -q "^${setting}" "$unit"; then
    echo "deploy/gvo-bot.service lacks ${setting}" >&2
    missing=1
  fi
done
if command -v systemd-analyze >/dev/null && [[ -d /run/systemd/system ]]; then
  systemd-analyze verify "$unit" 2>&1 | grep -v 'not executable\|No such file' >&2 || true
fi
exit "$missing"
