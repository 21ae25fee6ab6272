#!/usr/bin/env bash
# Builds and runs main.cpp against the C generated from samples/mazur_array.bp:
# the C as C99 (cc), the C++ as strict C++17 (c++), linked together.
#   bash Examples/cpp/check.sh [BACKPROPC]   # default ../../.build/release/backpropc
# Exit 1 on a failed step or a wrong number; `skipped: …` and exit 0 when there
# is no C++ (or C) compiler.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
backpropc=${1:-$root/.build/release/backpropc}
cc=${CC:-cc}
cxx=${CXX:-c++}

if ! command -v "$cxx" >/dev/null 2>&1; then
  echo "skipped: no C++ compiler ($cxx)"
  exit 0
fi
if ! command -v "$cc" >/dev/null 2>&1; then
  echo "skipped: no C compiler ($cc)"
  exit 0
fi
if [ ! -x "$backpropc" ]; then
  echo "check.sh: no backpropc at $backpropc" >&2
  exit 1
fi

start=$(date +%s%N)
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
"$backpropc" "$root/samples/mazur_array.bp" -o "$build/mazur_array.c"
"$cc" -std=c99 -O2 -c "$build/mazur_array.c" -o "$build/mazur_array.o"
"$cxx" -std=c++17 -Wall -Wextra -Werror -pedantic -O2 -I "$build" \
  -c "$here/main.cpp" -o "$build/main.o"
"$cxx" "$build/main.o" "$build/mazur_array.o" -lm -o "$build/main"
"$build/main"
echo "cpp example: generated, built and ran in $(( ($(date +%s%N) - start) / 1000000 )) ms"
