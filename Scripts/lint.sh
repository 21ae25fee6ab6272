#!/usr/bin/env bash
# The sources in the repository's style: the toolchain's `swift format` with
# .swift-format (line length 100, two-space indentation).
#
#   Scripts/lint.sh          report what differs (exit 1 if anything does)
#   Scripts/lint.sh --fix    rewrite the files in place
#
# Generated code (Tests/BackpropCoreTests/Golden) keeps the generator's style.
set -euo pipefail
cd "$(dirname "$0")/.."
files=(Sources Tests/BackpropCoreTests/*.swift Tests/BackpropCoreTests/Support Plugins Package.swift
  Examples/SwiftPackage/Sources Examples/SwiftPackage/Package.swift)
if [ "${1:-}" = "--fix" ]; then
  swift format format --in-place --recursive "${files[@]}"
else
  swift format lint --strict --recursive "${files[@]}"
fi
