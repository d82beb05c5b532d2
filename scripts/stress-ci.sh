#!/usr/bin/env bash
# The README's test command (`npm test`: jest, then the browser journeys) beside CPU hogs, to prove the
# suite holds on a busy machine: no test may race real time. Prints one result line at the end:
#   stress-ci: PASSED|FAILED — jest: N passed, N failed, N skipped; e2e: …; T s beside 2 CPU hogs; leftover engines: 0
#
#   scripts/stress-ci.sh              npm test (jest, then the H5 build and the browser journeys)
#   scripts/stress-ci.sh --jest-only  jest alone (npm run test:unit)
#   STRESS_HOGS=3 scripts/stress-ci.sh   more hogs (default 2)
#
# The run also fails when jest does not exit by itself (open handles: jest's "did not exit" warning, after
# which the run is stopped 30 s later; or no exit within STRESS_TIMEOUT_S, default 3600) or when a database
# engine it started is still running after it. Test processes get a TMPDIR of their own, so the engines of
# this run are told from other runs'.
set -uo pipefail
cd "$(dirname "$0")/.."

jest_only=0
for a in "$@"; do
  case "$a" in
    --jest-only) jest_only=1 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "stress-ci: unknown argument $a (see --help)" >&2; exit 2 ;;
  esac
done
hogs_n=${STRESS_HOGS:-2}
timeout_s=${STRESS_TIMEOUT_S:-3600}

mkdir -p test-results
log=test-results/stress-ci.log
run_tmp=$(mktemp -d "${TMPDIR:-/tmp}/parkpay-stress-XXXXXX")
hogs=()

stop_hogs() {
  local p
  for p in "${hogs[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${hogs[@]}"; do wait "$p" 2>/dev/null; done
  hogs=()
}
run_pid=
cleanup() {
  # Interrupted: `timeout` runs the tests in a process group of its own and passes the signal to all of it.
  if [ -n "$run_pid" ] && kill -0 "$run_pid" 2>/dev/null; then kill -TERM "$run_pid" 2>/dev/null; wait "$run_pid" 2>/dev/null; fi
  stop_hogs
  [ -n "${tail_pid:-}" ] && kill "$tail_pid" 2>/dev/null
  rm -rf "$run_tmp" 2>/dev/null || true # a test process still exiting may write into it meanwhile
}
trap cleanup EXIT
trap 'echo "stress-ci: interrupted"; exit 130' INT TERM

for ((i = 0; i < hogs_n; i++)); do
  # A busy loop in a shell of its own: one core's worth of work each.
  bash -c 'while :; do :; done' &
  hogs+=("$!")
done

if [ "$jest_only" = 1 ]; then cmd=(npm run --silent test:unit); what="jest only"; else cmd=(npm test --silent); what="npm test"; fi
echo "stress-ci: ${what} beside ${hogs_n} CPU hogs (pids ${hogs[*]}) on $(nproc) cores; output in ${log}"
start=$SECONDS
TMPDIR="$run_tmp" timeout --kill-after=30 "$timeout_s" "${cmd[@]}" > "$log" 2>&1 &
run_pid=$!
# Jest says when it does not exit after its run (open handles): give it 30 s more, then stop the run.
(
  while kill -0 "$run_pid" 2>/dev/null; do
    if grep -aq 'did not exit one second after the test run' "$log"; then
      sleep 30
      kill -TERM "$run_pid" 2>/dev/null
      break
    fi
    sleep 5
  done
) &
watchdog=$!
# In the background: a signal's trap runs during `wait`, but not until a foreground tail ended.
tail -n +1 -f --pid="$run_pid" "$log" &
tail_pid=$!
wait "$run_pid"
rc=$?
wait "$tail_pid" 2>/dev/null
run_pid=
kill "$watchdog" 2>/dev/null
wait "$watchdog" 2>/dev/null
took=$((SECONDS - start))
stop_hogs

# Engines of this run still running (their data folders are under the run's TMPDIR).
leftover=$(pgrep -f "parkpay-ferretdb.*${run_tmp}" | wc -l)
if [ "$leftover" -gt 0 ]; then
  echo "stress-ci: engines left running by this run:"
  pgrep -af "parkpay-ferretdb.*${run_tmp}"
  for p in $(pgrep -f "parkpay-ferretdb.*${run_tmp}"); do kill "$p" 2>/dev/null; done
fi

# The summary reporter's lines ("tests: N passed, N failed, N skipped"): jest's first, the browser journeys' second.
mapfile -t totals < <(grep -aE '^tests: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$log" | sed 's/^tests: //')
jest_line=${totals[0]:-no summary}
counts="jest: ${jest_line}"
[ "$jest_only" = 1 ] || counts="${counts}; e2e: ${totals[1]:-no summary}"

reasons=()
[ "$rc" = 124 ] && reasons+=("timed out after ${timeout_s} s")
[ "$rc" != 0 ] && [ "$rc" != 124 ] && reasons+=("exit code ${rc}")
grep -aq 'did not exit one second after the test run' "$log" && reasons+=("jest did not exit by itself")
[ "$leftover" -gt 0 ] && reasons+=("${leftover} engine(s) left running")
if [ "$jest_only" = 1 ]; then want=1; else want=2; fi
[ "${#totals[@]}" -lt "$want" ] && [ "$rc" = 0 ] && reasons+=("no test summary")

if [ "${#reasons[@]}" -eq 0 ]; then
  verdict=PASSED
else
  verdict="FAILED ($(IFS=,; echo "${reasons[*]}" | sed 's/,/, /g'))"
fi
echo
echo "stress-ci: ${verdict} — ${counts}; ${took} s beside ${hogs_n} CPU hogs on $(nproc) cores; leftover engines: ${leftover}"
[ "$verdict" = PASSED ]
