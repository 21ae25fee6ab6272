#!/usr/bin/env bash
# The large differential run: N generated programs, each computed by the
# interpreter, the generated C and finite differences, and (for one batch of
# 500 in SWIFT_EVERY) the generated Swift. `swift test` runs 2,000 of them.
#
#   Scripts/differential.sh [N] [SWIFT_EVERY] [SEED]    default: 100000 20 1
#
# Built in release mode (with testing enabled) so the in-process part is fast;
# the summary line starts with "differential:".
set -euo pipefail
cd "$(dirname "$0")/.."
export BACKPROPC_DIFFERENTIAL_COUNT=${1:-100000}
export BACKPROPC_DIFFERENTIAL_SWIFT_EVERY=${2:-20}
export BACKPROPC_DIFFERENTIAL_SEED=${3:-1}
swift test -c release -Xswiftc -enable-testing --scratch-path .build-release-tests \
  --filter 'DifferentialTests' 2>&1 | grep -Ev '^(◇|↳)'
