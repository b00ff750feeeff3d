#!/usr/bin/env bash
# Installs gvo-bot's package into a clean Debian 12 root made with debootstrap (Debian's own
# packages; no container engine needed) and runs what an administrator runs first:
# gvo-bot --version, gvo-bot init and gvo-bot doctor on the installed configuration.
#   deploy/check-deb.sh [DEB]     (default: build/deb/gvo-bot_*.deb, from deploy/build-deb.sh)
# Needs root. The root is kept in build/deb/root-base (a fresh copy is used for each check).
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in -h|--help) sed -n '2,6p' "$0"; exit 0 ;; esac
deb=$(realpath "${1:-$(ls build/deb/gvo-bot_*.deb | head -1)}")
base=build/deb/root-base
root=build/deb/root
mirror=${GVO_DEBIAN_MIRROR:-http://deb.debian.org/debian}

if ! command -v debootstrap >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >/dev/null
fi
if [[ ! -x $base/usr/bin/apt-get ]]; then
  echo "check-deb: debootstrap bookworm into $base (once)"
  rm -rf "$base"
  # Without Debian's archive there is nothing to check against: said, not failed.
  if ! debootstrap --variant=minbase bookworm "$base" "$mirror" >build/deb/debootstrap.log 2>&1; then
    tail -5 build/deb/debootstrap.log >&2
    echo "check-deb: SKIPPED: debootstrap could not fetch Debian's packages from $mirror"
    rm -rf "$base"
    exit 0
  fi
fi
umount "$root/proc" 2>/dev/null || true
rm -rf --one-file-system "$root" && cp -a "$base" "$root"
trap 'umount "$root/proc" 2>/dev/null || true' EXIT
mount -t proc proc "$root/proc"
cp "$deb" "$root/tmp/"
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "$@"; }
in_root apt-get update -q >/dev/null
echo "== apt install ./$(basename "$deb") on a clean Debian 12"
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "/tmp/$(basename "$deb")" \
  >build/deb/install.log 2>&1 || { tail -30 build/deb/install.log >&2; exit 1; }
grep -E "gvo-bot:" build/deb/install.log || true
echo "== gvo-bot --version"
in_root gvo-bot --version
echo "== the installed files"
in_root sh -c 'ls -l /etc/gvo-bot /usr/lib/systemd/system/gvo-* /lib/systemd/system/gvo-* 2>/dev/null; ls /usr/share/man/man1/gvo-* /usr/share/man/man5/gvo-*; getent passwd gvo-bot gvo-relay'
# As systemd would run it: the key handed over as a credential, the state folder the bot's.
echo "== gvo-bot init, then doctor, as the service would run them"
in_root sh -c 'chmod 1777 /tmp && mkdir -p /run/credentials/gvo-bot.service /var/lib/gvo-bot &&
  cp /etc/gvo-bot/sealing.key /run/credentials/gvo-bot.service/gvo-sealing-key &&
  chown gvo-bot /var/lib/gvo-bot /run/credentials/gvo-bot.service/gvo-sealing-key && chmod 700 /var/lib/gvo-bot'
in_root setpriv --reuid=gvo-bot --regid=nogroup --clear-groups env CREDENTIALS_DIRECTORY=/run/credentials/gvo-bot.service \
  gvo-bot init --config /etc/gvo-bot/config.json
# The relay the installed configuration names (127.0.0.1:8787), as gvo-relay.service would run
# it but on plain ws:// (loopback): doctor checks that the bot can reach it.
# (chroot itself in the background, not a function's subshell: $! is then the relay's own pid.)
chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin setpriv --reuid=gvo-relay \
  --regid=nogroup --clear-groups gvo-relay --listen 127.0.0.1:8787 --data /tmp/relay-data \
  >build/deb/relay.log 2>&1 &
relay=$!
trap 'kill $relay 2>/dev/null; wait $relay 2>/dev/null; umount "$root/proc" 2>/dev/null || true' EXIT
for _ in $(seq 50); do grep -q "listening" build/deb/relay.log && break; sleep 0.1; done
status=0
in_root setpriv --reuid=gvo-bot --regid=nogroup --clear-groups env CREDENTIALS_DIRECTORY=/run/credentials/gvo-bot.service \
  gvo-bot doctor --config /etc/gvo-bot/config.json || status=$?
echo "check-deb: doctor exit status $status (1: warnings, as on a new installation without staff;"
echo "           2 would be an error in the package)"
((status < 2))
