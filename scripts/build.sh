#!/usr/bin/env bash
# Builds a static spytrace binary for this machine (or for GOOS/GOARCH when set), stamped
# with the version and the git commit. Usage: scripts/build.sh [output-path]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-spytrace$(go env GOEXE)}
commit=$(git rev-parse HEAD 2>/dev/null || true)
if [ -n "$commit" ] && [ -n "$(git status --porcelain 2>/dev/null)" ]; then
  commit="$commit-dirty"
fi
CGO_ENABLED=0 go build -trimpath \
  -ldflags "-s -w -X github.com/spytrace/spytrace/internal/version.Commit=$commit" \
  -o "$out" ./cmd/spytrace
echo "built $out"
