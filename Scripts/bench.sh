#!/usr/bin/env bash
# The benchmark: builds release, generates the models (Benchmarks/models.py),
# measures compiler speed, generated C and Swift, Swift's own AD and the
# interpreter, prints the tables and rewrites BENCHMARKS.md.
#
#   Scripts/bench.sh            the full run (10^6-statement models included)
#   BENCH_QUICK=1 Scripts/bench.sh   sizes up to 10^5 only
#   BENCH_ONLY=train Scripts/bench.sh   section 7 (train, check, eval against NumPy and JAX) alone, rewritten in place
#   BENCH_ONLY=windows Scripts/bench.sh   section 8 (a convolution against NumPy) alone
#   BENCH_ONLY=second Scripts/bench.sh   section 9 (jvp, vjp, hvp; CasADi and JAX when installed) alone
#
# Scratch files go to .build-bench/ (ignored by git).
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product backpropc
swift build -c release --product backpropc-bench
python3 Benchmarks/bench.py
