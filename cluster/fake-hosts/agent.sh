#!/bin/sh
# plm_rsh_agent for a multi-"host" Open MPI job on one machine: Open MPI calls `agent.sh <host> orted ...` for
# each host of the hostfile that is not this machine; we ignore the host name and start that orted here.
# Each fake host then runs its own Open MPI daemon, and ranks on different fake hosts talk over TCP.
host="$1"; shift
exec /bin/sh -c "$*"
