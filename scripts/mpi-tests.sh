#!/usr/bin/env bash
# The multi-rank tests: the checks of i2i-mpi-tests under mpirun with 2 and 3 ranks, over shared memory and over
# TCP, across two fake hosts, bit-identical reruns, and a rank killed during an all-reduce.
# Usage: scripts/mpi-tests.sh [BINARY]   (default .build/debug/i2i-mpi-tests)
set -u
cd "$(dirname "$0")/.."
BIN=${1:-.build/debug/i2i-mpi-tests}
[ -x "$BIN" ] || { echo "mpi-tests: $BIN not built (swift build --product i2i-mpi-tests)" >&2; exit 2; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none   # containers without ptrace rights
MPIRUN="mpirun --oversubscribe --bind-to none --timeout 240"
passed=0; failed=0
log=$(mktemp -d)

record() {  # record NAME STATUS
  if [ "$2" -eq 0 ]; then passed=$((passed + 1)); echo "ok   $1"; else failed=$((failed + 1)); echo "FAIL $1"; fi
}

run_checks() {  # run_checks NAME MPIRUN-ARGS...
  local name=$1; shift
  echo "== $name"
  $MPIRUN "$@" "$BIN" >"$log/out" 2>"$log/err"
  local rc=$?
  cat "$log/out"
  [ $rc -eq 0 ] || { head -40 "$log/err"; echo "..."; tail -20 "$log/err"; }
  record "$name" $rc
}

run_checks "2 ranks, shared memory" -np 2
run_checks "3 ranks, shared memory" -np 3
run_checks "2 ranks, TCP" -np 2 --mca btl self,tcp
run_checks "3 ranks, TCP" -np 3 --mca btl self,tcp
run_checks "2 fake hosts (rsh agent, TCP)" -np 2 --hostfile cluster/fake-hosts/hostfile \
  --mca plm_rsh_agent "$PWD/cluster/fake-hosts/agent.sh" --mca btl self,tcp

echo "== same seed, same world size: bit-identical parameters"
a=$($MPIRUN -np 3 "$BIN" checksum 2>"$log/err" | grep checksum=)
b=$($MPIRUN -np 3 "$BIN" checksum 2>>"$log/err" | grep checksum=)
echo "run 1: $a"; echo "run 2: $b"
[ -n "$a" ] && [ "$a" = "$b" ]; record "bit-identical reruns" $?

echo "== a rank killed during an all-reduce ends the job"
start=$(date +%s)
mpirun --oversubscribe --bind-to none --timeout 60 -np 2 "$BIN" kill >"$log/out" 2>&1
rc=$?
elapsed=$(( $(date +%s) - start ))
echo "mpirun exit $rc after ${elapsed}s"
[ $rc -ne 0 ] && [ $elapsed -lt 30 ]; record "killed rank: non-zero exit within 30 s" $?

rm -rf "$log"
echo "mpi-tests: $passed passed, $failed failed"
[ $failed -eq 0 ]
