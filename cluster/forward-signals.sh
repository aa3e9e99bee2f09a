#!/bin/bash
# Runs a launcher (mpirun, srun) and passes on the signals meant for the job, so that every rank checkpoints at the
# next step instead of dying between two checkpoints (i2i treats USR1, TERM, INT and HUP alike).
#
# - Slurm sends `--signal=B:USR1@T` (before the time limit) and, on scancel or preemption, TERM to the batch shell;
#   bash's default action for USR1 ends the shell, and under `set -e` leaves i2i orphaned.
# - mpirun answers TERM, INT and HUP by killing the ranks: SIGCONT, then SIGTERM and SIGKILL at 1-second intervals
#   (odls_base_sigkill_timeout), too soon for a long step and a checkpoint; USR1 it forwards to every rank and lets
#   the job end by itself. So for mpirun the first TERM/INT/HUP is passed on as USR1, and a second one as TERM (i2i
#   then ends at once). The launcher runs in its own session, so a Ctrl-C at the terminal reaches only this script.
# usage: forward-signals.sh LAUNCHER ARGS...   (exits with the launcher's status)
setsid "$@" &
child=$!
case "$(basename "$1")" in mpirun|mpiexec|orterun) stop=USR1 ;; *) stop="" ;; esac
asked=0
forward() {  # forward SIGNAL
  local sig=$1
  if [ -n "$stop" ] && [ "$sig" != USR1 ]; then
    [ $asked -eq 0 ] && sig=$stop || sig=TERM
  fi
  asked=1
  kill -"$sig" "$child" 2>/dev/null || true
}
for s in USR1 TERM INT HUP; do trap "forward $s" $s; done
while true; do
  wait "$child"
  status=$?
  # wait returns early (status > 128) when a trapped signal arrives; keep waiting while the launcher runs.
  kill -0 "$child" 2>/dev/null || break
done
exit "$status"
