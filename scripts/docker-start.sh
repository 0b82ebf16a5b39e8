#!/bin/sh
# The container's main process: migrate, then run the job worker and the web server side by side.
# SIGTERM (docker stop) is passed to both: the worker puts its running job back in the queue,
# waitress finishes its requests. If either stops, the other is stopped too and the container
# exits (let the orchestrator restart it; a job left behind is recovered by the next worker).
set -u
labtrack db upgrade || exit 1
labtrack worker &
worker=$!
waitress-serve --host=0.0.0.0 --port=8000 --threads=8 --call labtrack:create_app &
web=$!
trap 'kill -TERM "$worker" "$web" 2>/dev/null' TERM INT
# wait for the first of the two to end (POSIX sh has no "wait -n": poll)
while kill -0 "$worker" 2>/dev/null && kill -0 "$web" 2>/dev/null; do
  sleep 2
done
kill -TERM "$worker" "$web" 2>/dev/null
wait
