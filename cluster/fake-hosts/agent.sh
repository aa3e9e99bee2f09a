#!/bin/sh
# plm_rsh_agent for a multi-"host" Open MPI job on one machine: Open MPI calls `agent.sh <host> orted ...` for
# each host of the hostfile that is not this machine; we ignore the host name and start that orted here.
# Each fake host then runs its own Open MPI daemon, and ranks on different fake hosts talk over TCP.
#
# Each fake host gets its own Open MPI session directory. On real hosts every daemon has its own /tmp; here all
# daemons report the same hostname, so without this they would all create /tmp/ompi.HOST.UID/jf.N at the same
# moment, and Open MPI's check-then-mkdir fails one of them with "mkdir ... File exists" (seen: 3 launches in 40).
host="$1"; shift
session_base="${TMPDIR:-/tmp}/i2i-fakehost-$(id -u)-$host"
mkdir -p "$session_base" || exit 1
OMPI_MCA_orte_tmpdir_base="$session_base"
export OMPI_MCA_orte_tmpdir_base
exec /bin/sh -c "$*"
