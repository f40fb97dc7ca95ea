#!/usr/bin/env bash
# make bench: the benchmark workload on the local servers, systems measured
# one after another on the same data: the limit loader, gonnect and the
# reference (Apache Kafka Connect with the Cassandra sink of
# internal/bench/reference) per scenario, then a latency run of each at a
# fixed rate. Prints a table and writes bench/results/<date>.json
# ({"runs":[...]}) and bench/results/<date>.svg.
#
#   N            records of the throughput runs (100000)
#   SCENARIO     A, B or AB (AB)
#   SYSTEMS      any of limit gonnect reference (all three)
#   RUNS         measurements of each system and scenario, taken in turns (1);
#                the table, ratios and chart use the median, the JSON keeps every run
#   LATENCY      0 skips the latency runs (1)
#   RATE         records per second of the latency runs (2000)
#   DURATION     length of a latency run in seconds (30)
#   WARMUP       seconds of each latency run left out of the percentiles (10)
#   BENCH_KEYSPACE, BENCH_TOPIC   move the tables and topics aside (bench, bench.orders),
#                e.g. when two checkouts share the servers
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
n=${N:-100000}
scenarios=${SCENARIO:-AB}
systems=${SYSTEMS:-limit gonnect reference}
state=${GONNECT_STACK_DIR:-$repo/.stack}
t0=$SECONDS

bash internal/stack/stack.sh up
make -s build
go build -o bin/bench-run ./internal/bench/run

if [[ " $systems " == *" reference "* ]]; then
  bash internal/stack/stack.sh resolve connect
  # The reference plugin is rebuilt only when its sources change.
  src=internal/bench/reference plugin=$state/reference-plugin/cassandra-sink
  if [ ! -f "$plugin/.built" ] || [ -n "$(find "$src/pom.xml" "$src/src" -newer "$plugin/.built" | head -1)" ]; then
    echo "bench: building the reference Cassandra sink"
    mvn -q -B -f "$src/pom.xml" clean package
    rm -rf "$plugin" && mkdir -p "$(dirname "$plugin")"
    cp -r "$src/target/plugin" "$plugin"
    touch "$plugin/.built"
  fi
fi

mkdir -p bench/results
out=bench/results/$(date +%Y-%m-%d)
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
names=(-keyspace "${BENCH_KEYSPACE:-bench}" -topic "${BENCH_TOPIC:-bench.orders}")
failed=0
# run ARGS...: one measurement; a failed one is reported and the rest go on.
run() {
  echo "bench: [$((SECONDS - t0)) s] $*"
  bin/bench-run "$@" "${names[@]}" -jars "$state/jars/connect" -plugins "$state/reference-plugin" -out "$tmp" >/dev/null ||
    { echo "bench: failed: $*" >&2; failed=1; }
}

bin/bench-run produce -n "$n" "${names[@]}"
# Warm-up, not measured: a freshly started Cassandra compiles its write path
# during its first tens of thousands of writes, which would otherwise fall
# on whichever system runs first.
bin/bench-run limit -scenario A -n 50000 "${names[@]}" >/dev/null
# Repeats go in turns (A: limit gonnect reference, B: ..., then again), so
# a slow phase of the host or of Cassandra falls on every system alike.
for ((rep = 1; rep <= ${RUNS:-1}; rep++)); do
  for sc in $(echo "$scenarios" | grep -o .); do
    for sys in $systems; do
      run "$sys" -scenario "$sc" -n "$n"
    done
  done
  if [ "${LATENCY:-1}" = 1 ]; then
    for sys in $systems; do
      run "$sys" -latency -rate "${RATE:-2000}" -duration "${DURATION:-30}s" -warmup "${WARMUP:-10}s"
    done
  fi
done
python3 internal/bench/report.py "$tmp" "$out.json" "$out.svg"
echo "bench: done in $((SECONDS - t0)) s"
exit $failed
