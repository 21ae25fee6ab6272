#!/usr/bin/env bash
# The large differential runs.
#
#   Scripts/differential.sh [N] [SWIFT_EVERY] [SEED]    default: 100000 20 1
#     N generated scalar programs, each computed by the interpreter, the
#     generated C and finite differences, and (for one batch of 500 in
#     SWIFT_EVERY) the generated Swift. `swift test` runs 2,000 of them.
#   Scripts/differential.sh --arrays [N] [SWIFT_EVERY] [SEED]  default: 10000 5 1
#     N generated array programs, each computed by the interpreter, the same
#     program unrolled to scalars, the generated C and finite differences, and
#     (for one batch of 100 in SWIFT_EVERY) the generated Swift. `swift test`
#     runs 200 of them, every one through Swift.
#
# Built in release mode (with testing enabled) so the in-process part is fast;
# the summary line starts with "differential:" or "array differential:".
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--arrays" ]; then
  export BACKPROPC_ARRAY_DIFFERENTIAL_COUNT=${2:-10000}
  export BACKPROPC_ARRAY_DIFFERENTIAL_SWIFT_EVERY=${3:-5}
  export BACKPROPC_ARRAY_DIFFERENTIAL_SEED=${4:-1}
  filter='ArrayDifferentialTests'
else
  export BACKPROPC_DIFFERENTIAL_COUNT=${1:-100000}
  export BACKPROPC_DIFFERENTIAL_SWIFT_EVERY=${2:-20}
  export BACKPROPC_DIFFERENTIAL_SEED=${3:-1}
  filter='\.DifferentialTests'
fi
swift test -c release -Xswiftc -enable-testing --scratch-path .build-release-tests \
  --filter "$filter" 2>&1 | grep -Ev '^(◇|↳)'
