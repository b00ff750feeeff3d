#!/usr/bin/env bash
# Installs the Debian 12 packages that gvo-bot needs to build, test and run. Idempotent: when all
# are present it only checks, in well under a second. Needs root (or sudo) only to install.
#   deploy/install-deps.sh           build, test and run
#   deploy/install-deps.sh --ci      also the tools CI uses (clang-format, clang-14 for fuzzing)
set -euo pipefail

packages=(
  # build
  cmake ninja-build ccache g++ pkg-config
  # libraries
  libboost-dev libssl-dev libsqlite3-dev nlohmann-json3-dev libsystemd-dev libicu-dev
  libphonenumber-dev libsignal-protocol-c-dev
  # tests (openssl makes a certificate for the TLS test; groff checks the man pages)
  catch2 openssl groff-base
)
for arg in "$@"; do
  case "$arg" in
    --ci) packages+=(clang-format clang-14 libclang-rt-14-dev) ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "install-deps: unknown option '$arg'" >&2; exit 64 ;;
  esac
done

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$package")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
sudo=()
if ((EUID != 0)); then
  command -v sudo >/dev/null || { echo "install-deps: run as root or install sudo" >&2; exit 1; }
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
