#!/bin/sh
# The container's main process (PID 1): migrate, then run the job worker and the web server side by
# side. SIGTERM (docker stop; the image's STOPSIGNAL) or SIGINT is passed to both at once: the
# worker puts its running job back in the queue, waitress stops. If either ends, the other is
# stopped too and the container exits with its status (the orchestrator restarts it; a job left
# behind is recovered by the next worker).
#
#   LABTRACK_MIGRATE=0     skip `labtrack db upgrade` (run it as a separate one-off step instead);
#                          replicas that do migrate at start are safe too: on PostgreSQL the upgrade
#                          holds an advisory lock, so they migrate one after the other
#   LABTRACK_WORKER=0      run the web server only (e.g. web replicas beside one worker container)
#   LABTRACK_WEB=0         run the worker only
#   LABTRACK_PORT          the web server's port (8000)
#
# With PostgreSQL the keys must come from the environment (LABTRACK_SECRET_KEY, LABTRACK_AUDIT_KEY,
# LABTRACK_INQUIRY_KEY), the same in every container: keys generated in each container's own
# /data would log everyone out at each redeploy and key the audit chain differently per replica.
set -u
children=""
signalled=0
stop_children() {
  for pid in $children; do kill -TERM "$pid" 2>/dev/null; done
}
on_signal() {
  signalled=1
  stop_children
}
trap on_signal TERM INT

case "${LABTRACK_DATABASE_URL:-}" in
  postgresql*)
    missing=""
    for key in SECRET_KEY AUDIT_KEY INQUIRY_KEY; do
      eval "value=\${LABTRACK_$key:-}"
      [ -n "$value" ] || missing="$missing LABTRACK_$key"
    done
    if [ -n "$missing" ] && [ "${LABTRACK_KEYS_IN_SHARED_VOLUME:-0}" != 1 ]; then
      echo "labtrack: with PostgreSQL set$missing in the environment, the same for every container" >&2
      echo "(or LABTRACK_KEYS_IN_SHARED_VOLUME=1 when every container mounts one shared /data)" >&2
      exit 2
    fi
    ;;
esac

if [ "${LABTRACK_MIGRATE:-1}" != 0 ]; then
  labtrack db upgrade &
  children=$!
  wait "$children"
  status=$?
  while [ "$signalled" = 1 ] && kill -0 "$children" 2>/dev/null; do wait "$children"; done
  [ "$signalled" = 1 ] && exit 0
  [ "$status" = 0 ] || { echo "labtrack: the migration failed (status $status)" >&2; exit "$status"; }
  children=""
fi

worker=""
web=""
if [ "${LABTRACK_WORKER:-1}" != 0 ]; then
  labtrack worker &
  worker=$!
fi
if [ "${LABTRACK_WEB:-1}" != 0 ]; then
  waitress-serve --host=0.0.0.0 --port="${LABTRACK_PORT:-8000}" --threads=8 --call labtrack:create_app &
  web=$!
fi
children="$worker $web"
[ -n "$worker$web" ] || { echo "labtrack: LABTRACK_WORKER=0 and LABTRACK_WEB=0: nothing to run" >&2; exit 2; }
[ "$signalled" = 1 ] && stop_children

# Wait for the first of the two to end (POSIX sh has no `wait -n`): `wait` on a short sleep returns
# at once when a signal arrives, so a stop is passed on without delay.
alive() { [ -z "$1" ] || kill -0 "$1" 2>/dev/null; }
while [ "$signalled" = 0 ] && alive "$worker" && alive "$web"; do
  sleep 1 &
  wait $!
done
status=0
if [ "$signalled" = 0 ]; then  # one of them ended on its own: the container ends, non-zero
  for pid in $children; do
    if ! kill -0 "$pid" 2>/dev/null; then
      wait "$pid"
      status=$?
      [ "$status" = 0 ] && status=1
      echo "labtrack: process $pid ended (status $status): stopping the container" >&2
      break
    fi
  done
  stop_children
fi
for pid in $children; do
  wait "$pid"
  while kill -0 "$pid" 2>/dev/null; do wait "$pid"; done
done
exit "$status"
