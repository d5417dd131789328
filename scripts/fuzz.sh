#!/usr/bin/env bash
# Runs the fuzz targets of the project, each for a chosen time, and reports what they did.
#
# Usage: scripts/fuzz.sh [-j N] [-o report.tsv] [-t REGEXP] [-m MINIMIZE] [-s DONE.tsv]... [DURATION [PACKAGES...]]
#   DURATION  fuzzing time of each target, as go test -fuzztime takes it (default 1m):
#             10m, 30s, or 100000x for a number of executions
#   PACKAGES  go list patterns, relative to the repository (default ./...), e.g.
#             ./internal/acquire/... ./internal/plistx
#   -j N      run N targets at a time (default 1). One target already uses every core,
#             so with N > 1 each gets -parallel=(cores / N), at least 1
#   -o FILE   write the report there (default report.tsv in the logs folder): a header,
#             then one tab-separated line per target — package, target, duration (as
#             Go last printed it), execs, new_interesting, result — where result is
#             "ok", "FAIL <failing input>", "FAIL timeout, see <log>", "FAIL see <log>"
#             or "interrupted"
#   -t REGEXP run only the targets whose name matches (bash regular expression)
#   -m LIMIT  -fuzzminimizetime (default 100x): executions (or time, e.g. 30s) spent
#             minimizing each new input; Go minimizes every input that widens coverage,
#             and its default (60s) can take most of a short run
#   -s FILE   leave out the targets that an earlier report (or the per-target lines in
#             its logs folder) shows "ok" after at least DURATION; repeatable. A long
#             campaign interrupted can so go on where it stopped
#
# Failing inputs are written by Go under <package>/testdata/fuzz/<target>/: once the
# bug is fixed, commit them; they then run as regression seeds with every go test.
# Inputs that widened coverage go to Go's cache ($(go env GOCACHE)/fuzz) and are reused
# by the next run. The logs of every target are kept in a temporary folder, printed at
# the end. A target still running at twice DURATION plus 10 minutes is stopped and
# reported as a failure (a hang). Exit status: 0 when every target passed, 1 when one
# failed, 2 on bad usage, 130 when interrupted (the report holds the targets done).
# Needs bash, coreutils and go only. See docs/fuzzing.md.
set -euo pipefail
caller=$(pwd)
cd "$(dirname "$0")/.."

usage() {
  echo 'Usage: scripts/fuzz.sh [-j N] [-o report.tsv] [-t REGEXP] [-m MINIMIZE] [-s DONE.tsv]... [DURATION [PACKAGES...]]' >&2
  exit 2
}

jobs_max=1
report=''
only=''
minimize=100x
done_reports=()
while getopts 'j:o:t:m:s:h' opt; do
  case $opt in
    j) jobs_max=$OPTARG ;;
    o) report=$OPTARG ;;
    t) only=$OPTARG ;;
    m) minimize=$OPTARG ;;
    s)
      [ -f "$OPTARG" ] || { echo "fuzz.sh: -s: no file $OPTARG" >&2; exit 2; }
      [[ $OPTARG == /* ]] || OPTARG=$caller/$OPTARG
      done_reports+=("$OPTARG")
      ;;
    *) usage ;;
  esac
done
shift $((OPTIND - 1))
if [ -n "$report" ] && [[ $report != /* ]]; then
  report=$caller/$report # -o is relative to where the script was called from
fi
duration=${1:-1m}
patterns=("${@:2}")
[ ${#patterns[@]} -gt 0 ] || patterns=(./...)
if ! [[ $jobs_max =~ ^[1-9][0-9]*$ ]]; then
  echo "fuzz.sh: -j wants a positive number, not \"$jobs_max\"" >&2
  exit 2
fi
parallel=()
if [ "$jobs_max" -gt 1 ]; then
  cores=$(nproc)
  per=$((cores / jobs_max))
  parallel=("-parallel=$((per > 0 ? per : 1))")
fi

# The targets: "import path<TAB>directory<TAB>target", in package order.
targets=()
while IFS=$'\t' read -r pkg dir; do
  [ -n "$dir" ] || continue
  names=()
  for file in "$dir"/*_test.go; do
    [ -f "$file" ] || continue
    while IFS= read -r line; do
      if [[ $line =~ ^func\ (Fuzz[A-Za-z0-9_]*)\(.*testing\.F ]]; then
        name=${BASH_REMATCH[1]}
        if [ -z "$only" ] || [[ $name =~ $only ]]; then
          names+=("$name")
        fi
      fi
    done <"$file"
  done
  [ ${#names[@]} -gt 0 ] || continue
  while IFS= read -r name; do
    targets+=("$pkg"$'\t'"$dir"$'\t'"$name")
  done < <(printf '%s\n' "${names[@]}" | sort -u)
done < <(go list -f '{{.ImportPath}}{{"\t"}}{{.Dir}}' "${patterns[@]}")

if [ ${#targets[@]} -eq 0 ]; then
  echo "fuzz.sh: no fuzz target in ${patterns[*]}${only:+ matching $only}" >&2
  exit 2
fi

# seconds converts a Go duration (1h30m, 10m, 45s) to seconds; "" for anything else
# (a count of executions such as 100000x).
seconds() {
  local d=$1 total=0 n unit
  [[ $d =~ ^([0-9]+[hms])+$ ]] || return 0
  while [[ $d =~ ^([0-9]+)([hms])(.*)$ ]]; do
    n=$((10#${BASH_REMATCH[1]})) unit=${BASH_REMATCH[2]} d=${BASH_REMATCH[3]}
    case $unit in
      h) total=$((total + n * 3600)) ;;
      m) total=$((total + n * 60)) ;;
      s) total=$((total + n)) ;;
    esac
  done
  echo "$total"
}
# -s: the targets an earlier report shows ok for at least DURATION are left out.
module=$(go list -m)
if [ ${#done_reports[@]} -gt 0 ]; then
  want=$(seconds "$duration")
  declare -A done_ok=()
  for rep in "${done_reports[@]}"; do
    while IFS=$'\t' read -r pkg name elapsed _ _ result; do
      [ "$result" = ok ] || continue
      got=$(seconds "$elapsed")
      if [ -n "$want" ] && [ -n "$got" ] && [ "$got" -ge "$want" ]; then
        done_ok["$module/$pkg $name"]=1
      fi
    done <"$rep"
  done
  kept=()
  for t in "${targets[@]}"; do
    IFS=$'\t' read -r pkg _ name <<<"$t"
    [ -n "${done_ok["$pkg $name"]:-}" ] || kept+=("$t")
  done
  echo "fuzz.sh: $((${#targets[@]} - ${#kept[@]})) targets left out, done in an earlier report"
  if [ ${#kept[@]} -eq 0 ]; then
    echo "fuzz.sh: every target is done" >&2
    exit 0
  fi
  targets=("${kept[@]}")
fi

limit=$(seconds "$duration")
limit=${limit:+$((2 * limit + 600))s}
limit=${limit:-0} # 0: no limit

logs=$(mktemp -d "${TMPDIR:-/tmp}/spytrace-fuzz.XXXXXX")
report=${report:-$logs/report.tsv}
root=$(pwd)

# run fuzzes target number i and writes its report line to $logs/i.tsv.
run() {
  local i=$1 pkg dir name log rest elapsed=- execs=0 interesting=0 result=ok failing=''
  IFS=$'\t' read -r pkg dir name <<<"${targets[$i]}"
  log="$logs/$i-$name.log"
  echo "== $pkg $name ($duration)"
  # timeout (coreutils) puts go test and the fuzzing processes in a process group of
  # their own, stops them all at the limit, and passes them the TERM this job gets
  # when the script is interrupted.
  local status=0 pid stopped=0
  timeout -s INT -k 60s "$limit" go test -run='^$' -fuzz="^${name}\$" -fuzztime="$duration" \
    -fuzzminimizetime="$minimize" "${parallel[@]}" "$pkg" >"$log" 2>&1 &
  pid=$!
  trap 'stopped=1; kill -TERM $pid 2>/dev/null' TERM HUP
  wait $pid || status=$?
  while kill -0 "$pid" 2>/dev/null; do # wait returned for the trap: wait for the end
    status=0
    wait $pid || status=$?
  done
  while IFS= read -r line; do
    if [[ $line =~ ^fuzz:\ elapsed:\ ([^,]+),\ execs:\ ([0-9]+)\ .*new\ interesting:\ ([0-9]+) ]]; then
      elapsed=${BASH_REMATCH[1]} execs=${BASH_REMATCH[2]} interesting=${BASH_REMATCH[3]}
    elif [[ $line =~ Failing\ input\ written\ to\ (.*)$ ]]; then
      failing=${BASH_REMATCH[1]}
    fi
  done <"$log"
  if [ "$stopped" -eq 1 ]; then
    result=interrupted
  elif [ "$status" -ne 0 ]; then
    rest=${dir#"$root"/}
    if [ -n "$failing" ]; then
      result="FAIL $rest/$failing"
    elif [ "$status" -eq 124 ]; then
      result="FAIL timeout, see $log"
    else
      result="FAIL see $log"
    fi
    echo "!! $pkg $name: $result" >&2
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "${pkg#"$module"/}" "$name" "$elapsed" "$execs" "$interesting" "$result" >"$logs/$i.tsv"
}

# assemble writes the report from the lines of the targets that finished, and the totals.
assemble() {
  local n=0 ok=0 failed=0 execs=0 interesting=0 pkg name elapsed e k result
  printf 'package\ttarget\tduration\texecs\tnew_interesting\tresult\n' >"$report"
  for i in "${!targets[@]}"; do
    [ -f "$logs/$i.tsv" ] || continue
    cat "$logs/$i.tsv" >>"$report"
    IFS=$'\t' read -r pkg name elapsed e k result <"$logs/$i.tsv"
    n=$((n + 1)) execs=$((execs + e)) interesting=$((interesting + k))
    case $result in
      ok) ok=$((ok + 1)) ;;
      interrupted) ;;
      *) failed=$((failed + 1)) ;;
    esac
  done
  echo
  echo "fuzz.sh: $n of ${#targets[@]} targets run for $duration each: $ok ok, $failed failed, $((n - ok - failed)) interrupted;" \
    "$execs executions, $interesting new interesting inputs"
  echo "fuzz.sh: report $report, logs $logs"
  [ "$failed" -eq 0 ] && [ "$ok" -eq ${#targets[@]} ]
}

interrupted() {
  trap - INT TERM HUP
  local pids
  pids=$(jobs -p)
  # shellcheck disable=SC2086 # one pid per word
  [ -z "$pids" ] || kill -TERM $pids 2>/dev/null || true
  wait || true
  assemble || true
  exit 130
}
trap interrupted INT TERM HUP

echo "fuzz.sh: ${#targets[@]} targets, $jobs_max at a time, $duration each${parallel:+ (${parallel[*]})}"
running=0
for i in "${!targets[@]}"; do
  if [ "$running" -ge "$jobs_max" ]; then
    wait -n || true
    running=$((running - 1))
  fi
  run "$i" &
  running=$((running + 1))
done
wait || true
assemble
