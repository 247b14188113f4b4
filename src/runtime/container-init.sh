#!/bin/sh
# PID 1 of a weft container, run by the OCI runtime as the app's user with no capabilities. It runs the app
# as its only child, forwards TERM and INT to it (a PID namespace's init gets from outside only the signals
# it handles), reaps orphans, and leaves the app's status (128+N if signal N ended it) in /run/weft/exit,
# where the cell reads it once the container is gone.
#
# usage: init COMMAND
set -u

app= interrupted=
trap 'interrupted=1; [ -z "$app" ] || kill -TERM "$app" 2>/dev/null || true' TERM
trap 'interrupted=1; [ -z "$app" ] || kill -INT "$app" 2>/dev/null || true' INT

# Background jobs of a non-interactive shell start with SIGINT and SIGQUIT ignored; env restores them.
/usr/bin/env --default-signal=INT,QUIT /bin/sh -c "$1" </dev/null &
app=$!

# A trapped signal makes wait return 128+signal early; then wait again for the app's real status. If the
# status was real after all (the signal came just after the app ended), the second wait finds no job (127).
status=127
while :; do
  interrupted=
  wait "$app"
  s=$?
  [ "$s" -eq 127 ] || status=$s
  if [ -z "$interrupted" ] || [ "$s" -le 128 ]; then break; fi
done
echo "$status" >/run/weft/exit 2>/dev/null
exit "$status"
