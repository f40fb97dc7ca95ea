#!/usr/bin/env bash
# Measures, on the local host and in the same run, how long gonnect and Apache
# Kafka Connect (the reference runtime's jars) take to run a crashed worker's
# tasks elsewhere: WORKERS workers of one system share a FileStreamSink with
# TASKS tasks; once every worker runs its share, the last one started (not
# the leader) gets SIGKILL, and the clock runs until all tasks are RUNNING
# on the survivors. Both systems get the same group settings
# (session.timeout.ms, heartbeat.interval.ms, scheduled.rebalance.max.delay.ms),
# so the figure is mostly session timeout + delay; what differs is how fast
# each notices, rebalances and starts the tasks.
#
#   RUNS=2 WORKERS=3 SYSTEMS="gonnect connect" bash bench/failover.sh
#
# SIGNAL=TERM times a graceful stop instead (the victim hands its work over).
#
# Needs the local servers (make stack-up REFERENCE=1, which also resolves the
# Connect jars) and bin/gonnect (make build). Prints one line per run and a
# summary; OUT=file also writes the runs as JSON lines, KEEP=1 keeps the
# workers' logs.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
state=${GONNECT_STACK_DIR:-$repo/.stack}
bootstrap=${KAFKA_BOOTSTRAP:-127.0.0.1:9092}
. "$(dirname "$0")/worker-props.sh"
runs=${RUNS:-2}
workers=${WORKERS:-3}
tasks=${TASKS:-6}
systems=${SYSTEMS:-gonnect connect}
session_ms=${SESSION_TIMEOUT_MS:-6000}
heartbeat_ms=${HEARTBEAT_INTERVAL_MS:-1000}
delay_ms=${DELAY_MS:-15000}
signal=${SIGNAL:-KILL}
connect_heap=${CONNECT_HEAP:--Xms256m -Xmx1g}
# REST ports: Connect workers on 28183.., gonnect workers on 28193..
declare -A base_port=([connect]=${CONNECT_PORT:-28183} [gonnect]=${GONNECT_PORT:-28193})

[ -x "$repo/bin/gonnect" ] || { echo "bin/gonnect missing: run make build" >&2; exit 1; }
ls "$state"/jars/connect/connect-runtime-*.jar >/dev/null 2>&1 ||
  { echo "Connect jars missing under $state/jars/connect: run make stack-up REFERENCE=1" >&2; exit 1; }

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  if [ -n "${KEEP:-}" ]; then echo "workers' logs kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
results="$work/results"
: >"$results"

ms() { date +%s%3N; }

props() { # port group
  worker_props "$@"
  cat <<P
session.timeout.ms=$session_ms
heartbeat.interval.ms=$heartbeat_ms
scheduled.rebalance.max.delay.ms=$delay_ms
P
}

# start SYSTEM PORT GROUP: starts one worker in the background, prints its pid.
start() {
  local sys=$1 port=$2 group=$3 log="$work/$1-$2-$3.log"
  props "$port" "$group" >"$work/$port.properties"
  if [ "$sys" = gonnect ]; then
    "$repo/bin/gonnect" distributed "$work/$port.properties" >"$log" 2>&1 &
  else
    # Properties, not YAML: Connect's classpath has no YAML parser for log4j2.
    cat >"$work/$port-log4j2.properties" <<L
appender.file.type=File
appender.file.name=file
appender.file.fileName=$log
appender.file.layout.type=PatternLayout
appender.file.layout.pattern=[%d] %p %m (%c)%n
rootLogger.level=INFO
rootLogger.appenderRef.file.ref=file
logger.rest.name=org.apache.kafka.connect.runtime.rest
logger.rest.level=WARN
L
    # shellcheck disable=SC2086
    java $connect_heap -XX:+UseG1GC -Djava.awt.headless=true -Dlog4j2.configurationFile="$work/$port-log4j2.properties" \
      -cp "$state/jars/connect/*" org.apache.kafka.connect.cli.ConnectDistributed "$work/$port.properties" >"$log.out" 2>&1 &
  fi
  echo $!
}

# leader SYSTEM GROUP: the leader's REST port, from the workers' logs (both
# log each rebalance's leader).
leader() {
  if [ "$1" = gonnect ]; then
    local f; for f in "$work"/gonnect-*-"$2".log; do
      if grep 'msg="joined worker group"' "$f" | tail -1 | grep -q 'leader=true'; then
        basename "$f" | cut -d- -f2
      fi
    done | head -1
  else
    cat "$work"/connect-*-"$2".log | sed -n "s#.*leaderUrl='http://[^:]*:\([0-9]*\)/'.*#\1#p" | tail -1
  fi
} 2>/dev/null || true

# load URL NAME: "<running tasks> <worker:count ...>" from the connector status.
load() {
  curl -fsS --max-time 5 "$1/connectors/$2/status" 2>/dev/null | python3 -c '
import json, sys
try:
    s = json.load(sys.stdin)
except Exception:
    print("0"); sys.exit()
run = [t["worker_id"] for t in s.get("tasks", []) if t["state"] == "RUNNING"]
print(len(run), " ".join(f"{w}:{run.count(w)}" for w in sorted(set(run))))' || echo 0
}

# phases SYSTEM T0_MS LOG...: from the survivors' logs, when (ms after the
# kill) the group noticed the crash and when the held tasks were handed out.
phases() {
  python3 - "$@" <<'PY'
import re, sys, time, datetime as dt
system, t0, logs = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
def ms(line):
    m = re.search(r"time=(\S+)Z", line)  # gonnect: UTC RFC 3339
    if m:
        return int(dt.datetime.fromisoformat(m.group(1)).replace(tzinfo=dt.timezone.utc).timestamp() * 1000)
    m = re.match(r"\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3})\]", line)  # log4j: local time
    if m:
        return int(time.mktime(time.strptime(m.group(1), "%Y-%m-%d %H:%M:%S")) * 1000) + int(m.group(2))
    return None
# The first rebalance after the kill, then the first task handed out.
noticed, handed = ('msg="rebalance started"', 'msg="joined worker group"') if system == "gonnect" else ("Rebalance started", "Starting task")
lines = [(ms(l), l) for f in logs for l in open(f, errors="replace")]
lines = sorted((t, l) for t, l in lines if t is not None and t >= t0)
detect = next((t for t, l in lines if noticed in l), None)
assign = next((t for t, l in lines if detect and t >= detect and handed in l and "assigned_tasks=0" not in l), None)
print(*(f"{(x - t0) / 1000:.1f}" if x else "?" for x in (detect, assign)))
PY
}

# until SECONDS WHAT CMD...: polls CMD every 100 ms until it succeeds.
until_ok() {
  local limit=$1 what=$2; shift 2
  local deadline=$(( $(date +%s) + limit ))
  until "$@"; do
    if [ "$(date +%s)" -ge "$deadline" ]; then echo "timed out after ${limit}s waiting for $what" >&2; return 1; fi
    sleep 0.1
  done
}

measure() { # system run
  local sys=$1 run=$2 group="failover-$1-$RANDOM$RANDOM" port0=${base_port[$1]}
  local -a wpids=() urls=()
  for i in $(seq 0 $((workers - 1))); do
    local p; p=$(start "$sys" $((port0 + i)) "$group")
    wpids+=("$p"); pids+=("$p"); urls+=("http://127.0.0.1:$((port0 + i))")
  done
  for u in "${urls[@]}"; do until_ok 180 "$u" curl -fs -o /dev/null "$u/connectors"; done
  # Named after the group: its consumer group must not meet members that
  # earlier runs killed, which stall its rebalances until their sessions expire.
  local name=$group
  # 409 while the workers still rebalance: retried.
  until_ok 60 "connector created" curl -fs -o /dev/null -X PUT -H 'Content-Type: application/json' "${urls[0]}/connectors/$name/config" \
    -d "{\"connector.class\":\"FileStreamSink\",\"tasks.max\":\"$tasks\",\"topics\":\"$group-in\",\"file\":\"$work/$group.txt\"}"
  local share=$((tasks / workers))
  spread() {
    local l; l=$(load "${urls[0]}" $name)
    [ "${l%% *}" = "$tasks" ] || return 1
    local w; for w in ${l#* }; do [ "${w##*:}" -ge "$share" ] || return 1; done
    [ "$(wc -w <<<"${l#* }")" = "$workers" ]
  }
  until_ok 180 "$tasks tasks spread over $workers workers" spread
  sleep 2 # let the last rebalance settle
  # The victim: the last worker started that does not lead, as a leader's
  # crash also loses the leader's memory of the previous assignment.
  local lead victim=$((workers - 1)); lead=$(leader "$sys" "$group")
  [ "$((port0 + victim))" != "$lead" ] || victim=$((victim - 1))
  local victim_id="127.0.0.1:$((port0 + victim))"
  local before; before=$(load "${urls[0]}" $name)
  local t0; t0=$(ms)
  kill -"$signal" "${wpids[$victim]}"
  echo "SIG$signal to $victim_id at $(date -u +%H:%M:%S.%3N)" >>"$work/events"
  moved() {
    local l; l=$(load "${urls[0]}" $name)
    [ "${l%% *}" = "$tasks" ] && [[ " ${l#* } " != *" $victim_id:"* ]]
  }
  until_ok $(( (session_ms + delay_ms) / 1000 + 120 )) "tasks of $victim_id running elsewhere" moved
  local took=$(( $(ms) - t0 ))
  local after; after=$(load "${urls[0]}" $name)
  local -a logs=(); local i
  for i in $(seq 0 $((workers - 1))); do [ "$i" = "$victim" ] || logs+=("$work/$sys-$((port0 + i))-$group.log"); done
  local detect assign; read -r detect assign < <(phases "$sys" "$t0" "${logs[@]}")
  printf '%-8s run %d: %5.1f s to all RUNNING; departure noticed at %s s, tasks handed out at %s s (leader :%s, stopped %s; before: %s; after: %s)\n' \
    "$sys" "$run" "$(awk "BEGIN{print $took/1000}")" "$detect" "$assign" "${lead:-?}" "$victim_id" "${before#* }" "${after#* }"
  echo "{\"system\":\"$sys\",\"run\":$run,\"workers\":$workers,\"tasks\":$tasks,\"session_timeout_ms\":$session_ms,\"scheduled_rebalance_max_delay_ms\":$delay_ms,\"signal\":\"$signal\",\"reassigned_ms\":$took,\"noticed_s\":\"$detect\",\"handed_out_s\":\"$assign\"}" >>"$results"
  for p in "${wpids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${wpids[@]}"; do
    for _ in $(seq 1 300); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
  done
  pids=() # all gone: never signal their ids again, they may be reused
}

echo "SIG$signal to one of $workers workers, tasks=$tasks session.timeout.ms=$session_ms heartbeat.interval.ms=$heartbeat_ms scheduled.rebalance.max.delay.ms=$delay_ms"
for r in $(seq 1 "$runs"); do
  for sys in $systems; do measure "$sys" "$r"; done
done
python3 - "$results" "$signal" <<'PY'
import json, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
for sys_ in sorted({r["system"] for r in runs}):
    mine = [r for r in runs if r["system"] == sys_]
    xs = [r["reassigned_ms"] / 1000 for r in mine]
    mean = lambda k: sum(float(r[k]) for r in mine if r[k] != "?") / max(1, sum(r[k] != "?" for r in mine))
    print(f"{sys_:8} all tasks RUNNING after SIG{sys.argv[2]}: mean {sum(xs)/len(xs):.1f} s, min {min(xs):.1f} s, max {max(xs):.1f} s over {len(xs)} runs"
          f" (departure noticed at {mean('noticed_s'):.1f} s, tasks handed out at {mean('handed_out_s'):.1f} s on average)")
PY
if [ -n "${OUT:-}" ]; then cp "$results" "$OUT"; echo "wrote $OUT"; fi
