#!/bin/sh
# PID 1 of a weft container, started by container.ts inside fresh mount, PID, UTS and IPC namespaces and the
# container's network namespace, still as root. It prepares the container's view of the host, then runs the
# app unprivileged as its only child and exits with the app's status (128+N if signal N ended it), which
# tears the whole namespace down.
#
# Signals (a PID namespace's init receives from outside only the signals it handles): TERM and INT are
# forwarded to the app; USR1 kills every process in the container, ending the app and so the container.
#
# usage: container-init.sh CGROUP_PROCS|- HOSTNAME UID GID CWD COMMAND [SOURCE TARGET ro|rw]...
# fd 3: a socket to container.ts for the start handshake; the app never sees it.
# WEFT_APP_ENV: the app's environment as shell code, applied only once the app runs unprivileged (app-env.ts).
set -eu

app= interrupted=
trap 'interrupted=1; [ -z "$app" ] || kill -TERM "$app" 2>/dev/null || true' TERM
trap 'interrupted=1; [ -z "$app" ] || kill -INT "$app" 2>/dev/null || true' INT
trap 'interrupted=1; kill -KILL -1 2>/dev/null || true' USR1

cgroup_procs=$1 container_hostname=$2 uid=$3 gid=$4 cwd=$5 command=$6
shift 6

# Join the memory cgroup before anything else runs, so all that follows is accounted and limited.
[ "$cgroup_procs" = - ] || echo 0 >"$cgroup_procs"

# /sys still shows the host's network devices and cgroups; remount it for the container's netns, read-only.
umount -l /sys
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs /sys

while [ $# -ge 3 ]; do
  source=$1 target=$2 mode=$3
  shift 3
  if [ ! -e "$target" ]; then
    if [ -d "$source" ]; then
      mkdir -p "$target"
    else
      mkdir -p "$(dirname "$target")"
      : >"$target"
    fi
  fi
  mount --bind "$source" "$target"
  if [ "$mode" = ro ]; then
    mount -o remount,bind,ro,nosuid,nodev "$target"
  else
    mount -o remount,bind,nosuid,nodev "$target"
  fi
done

# Private scratch space: nothing the app writes to /tmp or /dev/shm is seen by the host or other containers.
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /tmp
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /dev/shm

hostname "$container_hostname"
cd "$cwd"

# Hold on until container.ts has noted this process's host PID (it acknowledges with a line), so even an
# app that exits at once cannot take the container away first. If the cell is gone, read fails: exit.
echo ready >&3
read -r _ <&3
exec 3>&-

# Background jobs of a non-interactive shell start with SIGINT and SIGQUIT ignored; env restores them.
/usr/bin/env --default-signal=INT,QUIT \
  /usr/bin/setpriv --reuid="$uid" --regid="$gid" --clear-groups \
  --inh-caps=-all --bounding-set=-all --no-new-privs \
  -- /bin/sh -c 'eval "$WEFT_APP_ENV" && unset WEFT_APP_ENV && exec /bin/sh -c "$1"' weft-app "$command" \
  </dev/null 3>&- &
app=$!

# A trapped signal makes wait return 128+signal early; then wait again for the app's real status. If the
# status was real after all (the signal came just after the app ended), the second wait finds no job (127).
# Waiting also reaps the orphans that the kernel hands to PID 1.
set +e
status=127
while :; do
  interrupted=
  wait "$app"
  s=$?
  [ "$s" -eq 127 ] || status=$s
  if [ -z "$interrupted" ] || [ "$s" -le 128 ]; then break; fi
done
exit "$status"
