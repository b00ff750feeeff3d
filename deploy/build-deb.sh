#!/usr/bin/env bash
# Builds gvo-bot's Debian package from this tree with Debian's own tooling (debhelper,
# dpkg-buildpackage; the packaging is deploy/debian), then runs lintian on it.
#   deploy/build-deb.sh [OUT]     the package in OUT (default build/deb), lintian's words printed
# Installs what it needs (debhelper, dpkg-dev, lintian and the build dependencies) when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in -h|--help) sed -n '2,5p' "$0"; exit 0 ;; esac
out=$(realpath -m "${1:-build/deb}")

deploy/install-deps.sh
tools=()
for package in debhelper dpkg-dev lintian fakeroot; do
  [[ $(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true) == "install ok installed" ]] ||
    tools+=("$package")
done
if ((${#tools[@]})); then
  echo "build-deb: installing ${tools[*]}" >&2
  sudo=(); ((EUID == 0)) || sudo=(sudo)
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q "${tools[@]}" >/dev/null
fi

# The tracked files as they are in the working tree, and debian/ beside them.
rm -rf "$out/src" && mkdir -p "$out/src"
git ls-files -z | xargs -0 cp --parents -t "$out/src"
cp -r deploy/debian "$out/src/debian"
rm -f "$out"/gvo-bot_*.deb "$out"/gvo-bot_*.changes "$out"/gvo-bot_*.buildinfo
# ccache keeps its folder though debhelper points HOME elsewhere.
if command -v ccache >/dev/null; then export CCACHE_DIR="${CCACHE_DIR:-$(ccache -k cache_dir)}"; fi
started=$(date +%s)
(cd "$out/src" && dpkg-buildpackage -b -us -uc -j"$(nproc)") >"$out/build.log" 2>&1 ||
  { tail -40 "$out/build.log" >&2; echo "build-deb: dpkg-buildpackage failed ($out/build.log)" >&2; exit 1; }
deb=$(ls "$out"/gvo-bot_*.deb)
echo "build-deb: $deb ($(du -k "$deb" | cut -f1) KiB) in $(( $(date +%s) - started )) s"
echo "== lintian"
lintian --info --display-info "$out"/gvo-bot_*.changes || true
