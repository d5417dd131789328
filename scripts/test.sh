#!/usr/bin/env bash
# The test suite, as CI runs it. The HTML report is also checked in a real browser:
# Debian's chromium package is installed when it is missing and this script may install
# packages (root, or sudo without a password); otherwise that one test is skipped, and
# says so.
# Usage: scripts/test.sh [go test flags...]     (default: ./...)
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  sudo=""
  if [ "$(id -u)" != 0 ]; then
    if sudo -n true 2>/dev/null; then sudo="sudo -n"; else sudo="none"; fi
  fi
  if [ "$sudo" != none ]; then
    echo "== installing Debian's chromium for the report's browser test" >&2
    $sudo apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium >/dev/null
  fi
fi
if command -v chromium >/dev/null 2>&1; then
  export SPYTRACE_CHROMIUM="$(command -v chromium)"
fi
if [ $# -eq 0 ]; then
  set -- ./...
fi
go test "$@"
