#!/usr/bin/env bash
# Times spytrace on a large synthetic backup against a 1,000- and a 1,000,000-indicator
# file, and reports wall time and peak memory (maximum resident set size).
#
# Usage: scripts/bench.sh [workdir]     (default: a new temporary folder, removed at the end)
# It then times check-iocs re-checking the 1,000-indicator results against the
# 1,000,000-indicator file. With BENCH_FS=1 it also times check-fs on the same phone as a file-system dump, as a
# folder and as a .tar.gz, with the 1,000-indicator file.
# Needs GNU time (/usr/bin/time, Debian package "time") for the peak memory.
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-}
if [ -z "$work" ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work"
bin="$work/spytrace"
scripts/build.sh "$bin" >/dev/null
if [ ! -d "$work/backup" ]; then
  echo "== generating the benchmark backup and indicator files in $work"
  go run ./internal/fixture/gen -out "$work"
fi
if [ "${BENCH_FS:-}" = 1 ] && [ ! -d "$work/dump" ]; then
  echo "== generating the benchmark file-system dump in $work"
  go run ./internal/fixture/gen -out "$work" -fs -iocs ""
fi
# timed runs a command and prints the end of its output with its wall time and peak memory.
timed() {
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f "wall %e s, peak memory %M KiB, user %U s, system %S s" "$@" 2>&1 | tail -n 4
  else
    start=$(date +%s.%N)
    "$@" 2>&1 | tail -n 3
    echo "wall $(echo "$(date +%s.%N) - $start" | bc) s"
  fi
}
backup=$(ls -d "$work"/backup/*/)
echo "== backup: $(du -sh "$backup" | cut -f1), $(ls "$backup" | wc -l) entries at its root"
for n in 1000 1000000; do
  out="$work/results-$n"
  rm -rf "$out"
  echo "== spytrace ios check-backup with $n indicators"
  timed "$bin" ios check-backup -q --no-default-iocs --fail-level none -i "$work/iocs-$n.stix2" -o "$out" "$backup"
done
rm -rf "$work/results-1000/rechecks"
echo "== spytrace check-iocs: the 1000-indicator results against 1000000 indicators"
timed "$bin" check-iocs -q --no-default-iocs --fail-level none -i "$work/iocs-1000000.stix2" "$work/results-1000"
if [ "${BENCH_FS:-}" = 1 ]; then
  echo "== dump: $(du -sh "$work/dump" | cut -f1) in $(find "$work/dump" | wc -l) entries; $(du -sh "$work/dump.tar.gz" | cut -f1) as .tar.gz"
  for input in "$work/dump" "$work/dump.tar.gz"; do
    out="$work/results-fs"
    rm -rf "$out"
    echo "== spytrace ios check-fs $(basename "$input") with 1000 indicators"
    timed "$bin" ios check-fs -q --no-default-iocs --fail-level none -i "$work/iocs-1000.stix2" -o "$out" "$input"
  done
fi
