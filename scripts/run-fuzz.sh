#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan+UBSan) in build-fuzz/ and runs each for a bounded time.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${STRATUS_FUZZ_SECONDS:-30}
out=$root/build-fuzz
CC=clang CXX=clang++ cmake -S "$root" -B "$out" -DSTRATUS_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
targets=$(cmake --build "$out" --target help | awk '/fuzz_/ {print $2}' | sort -u)
if [ -z "$targets" ]; then
  echo "no fuzz targets"
  exit 0
fi
for t in $targets; do
  cmake --build "$out" --target "$t" -j "$(nproc)" >/dev/null
  corpus=$root/tests/fuzz/corpus/${t#fuzz_}
  mkdir -p "$out/corpus/$t"
  echo "fuzz: $t for ${seconds}s"
  "$out/fuzz/$t" -max_total_time="$seconds" -print_final_stats=0 "$out/corpus/$t" $( [ -d "$corpus" ] && echo "$corpus" ) 2>&1 | tail -3
done
