#!/usr/bin/env bash
# Runs every fuzz target of the project for a chosen time each (default 1m).
# Usage: scripts/fuzz.sh [duration]      e.g. scripts/fuzz.sh 10m
# Findings are written by Go under the package's testdata/fuzz/ folder: commit them as
# regression seeds after fixing the bug.
set -euo pipefail
cd "$(dirname "$0")/.."
time=${1:-1m}
status=0
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
    echo "== $pkg $target ($time)"
    if ! go test -run='^$' -fuzz="^${target}\$" -fuzztime="$time" -fuzzminimizetime=10s "$pkg"; then
      status=1
    fi
  done
done
exit $status
