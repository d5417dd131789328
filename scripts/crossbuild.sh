#!/usr/bin/env bash
# Cross-compiles static binaries (CGO_ENABLED=0) for Linux, macOS and Windows on amd64
# and arm64 into dist/. Usage: scripts/crossbuild.sh
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p dist
for target in linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64; do
  os=${target%/*} arch=${target#*/}
  ext=""
  [ "$os" = windows ] && ext=.exe
  GOOS=$os GOARCH=$arch scripts/build.sh "dist/spytrace-$os-$arch$ext" >/dev/null
  echo "dist/spytrace-$os-$arch$ext"
done
