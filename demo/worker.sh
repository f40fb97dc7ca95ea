#!/usr/bin/env bash
# Starts or stops a gonnect worker in the background for `make run`, with
# its log and pid under the stack folder.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
state=${GONNECT_STACK_DIR:-$repo/.stack}
url=${WORKER_URL:-http://127.0.0.1:8083}
props=${WORKER_PROPERTIES:-$repo/config/worker.properties}
pidf=$state/gonnect-worker.pid
log=$state/logs/gonnect-worker.log
mkdir -p "$state/logs"

running() { [ -f "$pidf" ] && kill -0 "$(cat "$pidf")" 2>/dev/null; }

case "${1:-}" in
up)
  if running && curl -fsS "$url/" >/dev/null 2>&1; then
    echo "gonnect worker already running at $url (pid $(cat "$pidf"))"; exit 0
  fi
  nohup "$repo/bin/gonnect" distributed "$props" >"$log" 2>&1 &
  echo $! >"$pidf"
  for _ in $(seq 1 120); do
    if curl -fsS "$url/" >/dev/null 2>&1; then
      echo "gonnect worker ready at $url (pid $(cat "$pidf")); log: $log"; exit 0
    fi
    running || { echo "gonnect worker exited during start-up; log: $log" >&2; tail -20 "$log" >&2; exit 1; }
    sleep 0.5
  done
  echo "gonnect worker did not answer GET $url/ within 60 s; log: $log" >&2; exit 1
  ;;
down)
  if running; then
    kill "$(cat "$pidf")"
    for _ in $(seq 1 40); do running || break; sleep 0.25; done
    running && kill -9 "$(cat "$pidf")"
  fi
  rm -f "$pidf"; echo "gonnect worker stopped"
  ;;
*) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
