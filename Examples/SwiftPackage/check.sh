#!/usr/bin/env bash
# Checks BackpropPlugin through this example package: (a) builds and runs it,
# which trains Network.bp's network and exits 1 unless the numbers are
# `backpropc train`'s; (b) builds a copy whose Network.bp has an error on a
# known line and expects the build to fail with the error at file:line:col;
# (c) expects two programs of one name in the target to be refused.
# Run from anywhere, CI from the repository root: bash Examples/SwiftPackage/check.sh
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
example=$root/Examples/SwiftPackage
# The copy in (b) builds here too, reusing (a)'s backpropc. Its package has
# the same identity (the folder's name), so its plugin output lands where
# (a)'s does; the plugin reruns whenever the input path differs. Two package
# roots share the folder safely only without build manifest caching: with it,
# SwiftPM can keep the previous root's plan and build that instead.
scratch=$example/.build
build=(--scratch-path "$scratch" --disable-build-manifest-caching)

SECONDS=0
if ! swift run --package-path "$example" "${build[@]}" TrainNetwork; then
  echo "check.sh: the example failed" >&2
  exit 1
fi
run_time=$SECONDS

SECONDS=0
copy=$(mktemp -d)
trap 'rm -rf "$copy"' EXIT
mkdir "$copy/SwiftPackage"
cp -R "$example/Sources" "$copy/SwiftPackage/"
sed "s|path: \"../..\"|path: \"$root\"|" "$example/Package.swift" > "$copy/SwiftPackage/Package.swift"
grep -qF "path: \"$root\"" "$copy/SwiftPackage/Package.swift"
program=$copy/SwiftPackage/Sources/TrainNetwork/Network.bp

# Builds the copy, which must fail, its output containing $1.
expect_failure() {
  local log
  if log=$(swift build --package-path "$copy/SwiftPackage" "${build[@]}" --product TrainNetwork 2>&1); then
    echo "$log"
    echo "check.sh: the build succeeded; it should have failed with: $1" >&2
    exit 1
  fi
  if ! grep -qF "$1" <<< "$log"; then
    echo "$log"
    echo "check.sh: the failed build does not say: $1" >&2
    exit 1
  fi
}

echo 'loss = nosuchfn(E)' >> "$program"
expected="$program:$(($(wc -l < "$program"))):8: error: unknown function 'nosuchfn'"
expect_failure "$expected"
error_time=$SECONDS

# (c) Two programs with one name in a target would generate one type twice:
# the plugin refuses, naming both.
SECONDS=0
cp "$example/Sources/TrainNetwork/Network.bp" "$program"
mkdir "$copy/SwiftPackage/Sources/TrainNetwork/more"
cp "$program" "$copy/SwiftPackage/Sources/TrainNetwork/more/Network.bp"
expect_failure "two programs named 'Network.bp' in one target"
same_name_time=$SECONDS

echo "SwiftPackage example: ok (build and run ${run_time}s; a broken .bp fails at $expected, ${error_time}s;" \
  "two programs of one name are refused, ${same_name_time}s)"
