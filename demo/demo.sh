#!/usr/bin/env bash
# The demo pipeline, end to end: an Avro topic of sample orders with its
# schema in the registry, a Cassandra table, the Cassandra sink created over
# the REST API, and the rows read back from Cassandra.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
url=${WORKER_URL:-http://127.0.0.1:8083}
n=${DEMO_ORDERS:-1000}
cd "$repo"
orders() { go run ./demo/orders "$@"; }

echo "== demo: Cassandra table and Kafka topic"
orders setup -keyspace demo -topic demo.orders
echo "== demo: $n Avro orders into Kafka"
orders produce -topic demo.orders -n "$n"
echo "== demo: creating the Cassandra sink over REST ($url)"
curl -fsS -X DELETE "$url/connectors/orders-to-cassandra" >/dev/null 2>&1 || true
curl -fsS -X DELETE "$url/connectors/orders-to-cassandra/offsets" >/dev/null 2>&1 || true
curl -fsS -X POST -H 'Content-Type: application/json' --data @config/cassandra-sink-orders.json "$url/connectors"
echo
echo "== demo: waiting for the rows in Cassandra"
orders verify -keyspace demo -n "$n" -timeout 120s
echo "== demo: connector status"
curl -fsS "$url/connectors/orders-to-cassandra/status"
echo
cat <<NEXT

The demo pipeline runs. Next:
  curl -s $url/connectors?expand=status      # what runs where
  curl -s $url/connector-plugins             # built-in connectors
  make worker-down && make stack-down        # stop the worker and the servers
NEXT
