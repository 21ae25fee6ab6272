#!/usr/bin/env bash
# Fuzz the whole pipeline with libFuzzer (shipped with the Swift toolchain).
#
#   Scripts/fuzz.sh [SECONDS] [JOBS]      default: 60 seconds, 1 job
#
# The corpus is Fuzz/corpus (seeded from samples/, grown by each run); crashes,
# hangs and memory blow-ups are written to Fuzz/crashes/. Every crash found
# becomes a regression test in Tests/BackpropCoreTests/FuzzRegressionTests.swift.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
jobs=${2:-1}
out=.build-fuzz
mkdir -p "$out" Fuzz/corpus Fuzz/crashes
cp -n samples/*.bp Tests/BackpropCoreTests/Errors/*.bp Fuzz/corpus/ 2>/dev/null || true

sources=$(find Sources/BackpropCore -name '*.swift' | sort)
if [ ! -x "$out/fuzzer" ] || [ -n "$(find Sources/BackpropCore Fuzz/FuzzEntry.swift -newer "$out/fuzzer" -name '*.swift')" ]; then
  echo "building $out/fuzzer"
  swiftc -sanitize=fuzzer,address -parse-as-library -O -g \
    -module-name BackpropCore $sources Fuzz/FuzzEntry.swift -o "$out/fuzzer"
fi

# -timeout: any input that takes 10 s is a hang; -rss_limit_mb: memory must stay
# proportional to the input; -max_len: inputs up to 64 KiB. No leak detection
# (-detect_leaks=0, and ASAN_OPTIONS for the check at exit): the
# builtin table and the dialects are global tables built once, on first use,
# which LeakSanitizer reports as a leak of the input that first needs them
# (about 2.4 KB in 74 allocations, the same before and after any input).
ASAN_OPTIONS=detect_leaks=0 "$out/fuzzer" Fuzz/corpus \
  -max_total_time="$seconds" -jobs="$jobs" -workers="$jobs" \
  -timeout=10 -rss_limit_mb=2048 -max_len=65536 -detect_leaks=0 \
  -dict=Fuzz/backprop.dict -artifact_prefix=Fuzz/crashes/ -print_final_stats=1 2>&1 | tail -25
