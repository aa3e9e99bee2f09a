# Shared by the end-to-end test scripts (sourced, not run): Open MPI as root in containers, a scratch folder removed
# at exit, and the pass/fail tally. The caller prints its summary with `summary NAME`.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none   # containers without ptrace rights
MPIRUN="mpirun --oversubscribe --bind-to none --timeout 300"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0; failed=0
record() {  # record NAME STATUS
  if [ "$2" -eq 0 ]; then passed=$((passed + 1)); echo "ok   $1"; else failed=$((failed + 1)); echo "FAIL $1"; fi
}
summary() {  # summary NAME: the closing line, and the status
  echo "$1: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
