#!/usr/bin/env bash
# make bench: the benchmark workload on the local servers, systems measured
# one after another on the same data: the limit loader, gonnect and the
# reference, Apache Kafka Connect 4.3.1 with the DataStax Apache Kafka
# Connector 1.5.0 (with its defaults, and tuned to gonnect's batching), per
# scenario, then a latency run of each at a fixed rate. Prints a table and
# writes bench/results/<date>.json ({"runs":[...]}) and bench/results/<date>.svg.
#
#   N            records of the throughput runs (100000)
#   SCENARIO     A, B or AB (AB)
#   SYSTEMS      any of limit gonnect datastax datastax-tuned (all four)
#   VARIANTS     gonnect variants measured on scenario A's throughput beside
#                gonnect, in the same turns: gonnect-smt (a TimestampConverter +
#                InsertField + ReplaceField chain) and gonnect-scraped (/metrics
#                read every SCRAPE while it runs); both by default, "" for none
#   SCRAPE       gonnect-scraped's scrape interval (1s)
#   SECURITY     sasl_ssl also measures gonnect through Kafka's SASL_SSL listener
#                (gonnect-sasl_ssl: SCRAM-SHA-512 over TLS, the stack's user and
#                CA) right after each plaintext gonnect run, on the same data
#   CREATED_AT   how values carry created_at: timestamp-millis (the workload's)
#                or long (epoch milliseconds, no logical type); long when
#                SYSTEMS includes DataStax, which cannot write Connect's
#                logical types; every system of the run measures the same
#   DATASTAX_SINK_DIR  folder holding kafka-connect-cassandra-sink-1.5.0.jar
#                (../shared/reference/datastax-kafka-sink beside the main checkout)
#   LOG_LIMIT    MiB of worker log at which a run is aborted (64)
#   BENCH_NOTE   a note written into the JSON (e.g. that the host was shared)
#   RUNS         measurements of each system and scenario, taken in turns (1);
#                the table, ratios and chart use the median, the JSON keeps every run
#   LATENCY      0 skips the latency runs (1)
#   RATE         records per second of the latency runs (2000)
#   DURATION     length of a latency run in seconds (30)
#   WARMUP       seconds of each latency run left out of the percentiles (10)
#   BENCH_KEYSPACE, BENCH_TOPIC   move the tables and topics aside (bench, bench.orders),
#                e.g. when two checkouts share the servers
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
n=${N:-100000}
scenarios=${SCENARIO:-AB}
systems=${SYSTEMS:-limit gonnect datastax datastax-tuned}
variants=${VARIANTS-gonnect-smt gonnect-scraped}
case "${SECURITY:-}" in
  "") ;;
  sasl_ssl) systems=$(for s in $systems; do echo "$s"; [ "$s" = gonnect ] && echo gonnect-sasl_ssl; done | xargs) ;;
  *) echo "bench: SECURITY=${SECURITY} is not one of: sasl_ssl" >&2; exit 2 ;;
esac
state=${GONNECT_STACK_DIR:-$repo/.stack}
t0=$SECONDS
datastax=0
[[ " $systems " == *" datastax"* ]] && datastax=1
if [ $datastax = 1 ]; then
  created_at=${CREATED_AT:-long}
  [ "$created_at" = long ] || { echo "bench: the DataStax connector cannot write created_at as $created_at (CREATED_AT=long)" >&2; exit 2; }
else
  created_at=${CREATED_AT:-timestamp-millis}
fi
# The DataStax jar is not in the repository: it lives beside the main
# checkout (a worktree's ../ is not the main checkout's, hence the common dir).
common=$(cd "$(git rev-parse --git-common-dir)/.." && pwd)
dsx=${DATASTAX_SINK_DIR:-$common/../shared/reference/datastax-kafka-sink}
if [ $datastax = 1 ] && [ ! -f "$dsx/kafka-connect-cassandra-sink-1.5.0.jar" ]; then
  echo "bench: no kafka-connect-cassandra-sink-1.5.0.jar in $dsx (set DATASTAX_SINK_DIR)" >&2
  exit 1
fi

bash stack/stack.sh up
make -s build
go build -o bin/bench-run ./bench/run

if [ $datastax = 1 ]; then
  bash stack/stack.sh resolve connect
  # The Avro converter beside the DataStax jar, rebuilt only when its sources change.
  bash stack/stack.sh avro-converter
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
  bin/bench-run "$@" "${names[@]}" -created-at "$created_at" -jars "$state/jars/connect" -plugins "$state/avro-plugin" \
    -datastax "$dsx" -log-limit "${LOG_LIMIT:-64}" -out "$tmp" >/dev/null ||
    { echo "bench: failed: $*" >&2; failed=1; }
}

bin/bench-run produce -n "$n" -created-at "$created_at" "${names[@]}"
# Warm-up, not measured: a freshly started Cassandra compiles its write path
# during its first tens of thousands of writes, which would otherwise fall
# on whichever system runs first.
bin/bench-run limit -scenario A -n 50000 "${names[@]}" >/dev/null
# Repeats go in turns (A: limit gonnect datastax ..., B: ..., then again), so
# a slow phase of the host or of Cassandra falls on every system alike.
for ((rep = 1; rep <= ${RUNS:-1}; rep++)); do
  for sc in $(echo "$scenarios" | grep -o .); do
    for sys in $systems; do
      run "$sys" -scenario "$sc" -n "$n"
    done
    if [ "$sc" = A ]; then
      for sys in $variants; do
        run "$sys" -scenario A -n "$n" -scrape "${SCRAPE:-1s}"
      done
    fi
  done
  if [ "${LATENCY:-1}" = 1 ]; then
    for sys in $systems; do
      run "$sys" -latency -rate "${RATE:-2000}" -duration "${DURATION:-30}s" -warmup "${WARMUP:-10}s"
    done
  fi
done
python3 bench/report.py "$tmp" "$out.json" "$out.svg"
echo "bench: done in $((SECONDS - t0)) s"
exit $failed
