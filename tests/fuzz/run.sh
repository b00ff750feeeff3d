#!/usr/bin/env bash
# Builds the libFuzzer targets with clang-14 (ASan + UBSan) and runs each for a bounded time,
# starting from the seeds in tests/fuzz/corpus/. A crash fails the run and leaves its input in
# build/fuzz/crashes/.
#   bash tests/fuzz/run.sh [SECONDS_PER_TARGET]   (default 20)
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-20}
build=build/fuzz
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++-14 -DGVO_FUZZ=ON -DGVO_BUILD_TESTS=OFF >/dev/null
targets=$(sed -n 's/^gvo_add_fuzzer(\([a-z_]*\) .*/\1/p' tests/fuzz/CMakeLists.txt)
targets="$targets $(for k in text name date nationality centre phone yes_no choice; do echo fuzz_answer_$k; done)"
cmake --build "$build" --target $targets
mkdir -p "$build/crashes"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
for target in $targets; do
  seeds=tests/fuzz/corpus/${target#fuzz_}
  [[ $target == fuzz_answer_* ]] && seeds=tests/fuzz/corpus/answers
  work="$build/corpus/$target"
  mkdir -p "$work"
  echo "== $target: ${seconds}s"
  "$build/tests/fuzz/$target" -max_total_time="$seconds" -max_len=8192 -timeout=10 \
    -artifact_prefix="$build/crashes/$target-" -print_final_stats=1 "$work" "$seeds" \
    2>"$build/$target.log" || { tail -50 "$build/$target.log"; exit 1; }
  grep -E '^stat::number_of_executed_units' "$build/$target.log" || true
done
echo "fuzzing: every target ran ${seconds}s without a crash"
