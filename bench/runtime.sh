#!/usr/bin/env bash
# Measures, side by side on the local host, gonnect and Apache Kafka Connect
# (the reference runtime from Maven Central): time from process start to a
# REST answer, the RSS of an idle worker with no connector (highest of 10
# samples over 10 s, after 20 s), and with 10 idle connectors.
# Needs the local servers (make stack-up REFERENCE=1) and bin/gonnect.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
state=${GONNECT_STACK_DIR:-$repo/.stack}
bootstrap=${KAFKA_BOOTSTRAP:-127.0.0.1:9092}
. "$(dirname "$0")/worker-props.sh"
work=$(mktemp -d)
# The workers are started inside process substitutions, not as jobs of
# this shell: the trap kills them by the pids they reported.
g_pid= j_pid=
trap 'kill $g_pid $j_pid 2>/dev/null || true; rm -rf "$work"' EXIT
id=bench-$RANDOM$RANDOM

ms() { date +%s%3N; }

# run NAME PORT CMD...: starts a worker, prints ms to first REST answer and pid.
run() {
  local name=$1 port=$2; shift 2
  local t0; t0=$(ms)
  "$@" >"$work/$name.log" 2>&1 &
  local pid=$!
  until curl -fsS "http://127.0.0.1:$port/" >/dev/null 2>&1; do
    kill -0 $pid 2>/dev/null || { echo "$name exited:"; tail "$work/$name.log"; exit 1; }
    sleep 0.02
  done
  echo "$name $(( $(ms) - t0 )) $pid"
}

connectors() { # port
  for i in $(seq 1 10); do
    curl -fsS -X PUT -H 'Content-Type: application/json' "http://127.0.0.1:$1/connectors/idle-$i/config" \
      -d "{\"connector.class\":\"FileStreamSink\",\"topics\":\"$id-idle-$i\",\"file\":\"$work/idle-$i.txt\"}" >/dev/null
  done
}

rss_kb() { awk '/VmRSS/{print $2}' /proc/$1/status; }

worker_props 18083 "$id-g" > "$work/g.properties"
worker_props 18084 "$id-j" > "$work/j.properties"
read -r _ g_ms g_pid < <(run gonnect 18083 "$repo/bin/gonnect" distributed "$work/g.properties")
read -r _ j_ms j_pid < <(run connect 18084 java -Xms256m -Xmx1g -XX:+UseG1GC -Dlog4j2.configurationFile="$state/conf/connect-log4j2.yaml" \
  -cp "$state/jars/connect/*" org.apache.kafka.connect.cli.ConnectDistributed "$work/j.properties")
sleep 20
g_idle=0 j_idle=0
for _ in $(seq 1 10); do
  g_idle=$(( $(rss_kb $g_pid) > g_idle ? $(rss_kb $g_pid) : g_idle ))
  j_idle=$(( $(rss_kb $j_pid) > j_idle ? $(rss_kb $j_pid) : j_idle ))
  sleep 1
done
connectors 18083
connectors 18084
sleep 20
echo "start to REST ready: gonnect ${g_ms} ms, Apache Connect ${j_ms} ms (ratio $(awk "BEGIN{printf \"%.1f\", $j_ms/$g_ms}")x)"
echo "idle RSS, no connector: gonnect $(awk "BEGIN{printf \"%.1f\", $g_idle/1024}") MiB, Apache Connect $((j_idle/1024)) MiB"
g_rss=$(rss_kb $g_pid); j_rss=$(rss_kb $j_pid)
echo "idle RSS with 10 connectors: gonnect $((g_rss/1024)) MiB, Apache Connect $((j_rss/1024)) MiB (ratio $(awk "BEGIN{printf \"%.1f\", $j_rss/$g_rss}")x)"
