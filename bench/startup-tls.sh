#!/usr/bin/env bash
# Measures gonnect's start-up, from process start until GET /health answers
# 200 (REST listener bound, group joined, config read), with TLS everywhere
# (Kafka through the SASL_SSL listener with SCRAM-SHA-512, an https:// REST
# listener) against plaintext (Kafka's plaintext listener, http://), in
# turns, RUNS times each, each run with its own group and internal topics.
# Prints every run and the medians. Needs the local servers (make stack-up)
# and bin/gonnect.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
state=${GONNECT_STACK_DIR:-$repo/.stack}
tls=$state/tls
pass=${TLS_PASSWORD:-gonnect-tls}
runs=${RUNS:-5}
port=${PORT:-18093}
work=$(mktemp -d)
pid=
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
. "$(dirname "$0")/worker-props.sh"

ms() { date +%s%3N; }

# start VARIANT: prints the ms from process start to a 200 from /health.
start() {
  local variant=$1 id=bench-tls-$RANDOM$RANDOM scheme=http curl_opts=()
  if [ "$variant" = tls ]; then
    bootstrap=${KAFKA_SASL_BOOTSTRAP:-127.0.0.1:9094}
    worker_props "$port" "$id" | sed "s#^listeners=http:#listeners=https:#" >"$work/w.properties"
    cat >>"$work/w.properties" <<P
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${KAFKA_SASL_USER:-gonnect}" password="${KAFKA_SASL_PASSWORD:-gonnect-secret}";
ssl.truststore.location=$tls/truststore.jks
ssl.truststore.password=$pass
listeners.https.ssl.keystore.location=$tls/broker.jks
listeners.https.ssl.keystore.password=$pass
listeners.https.ssl.key.password=$pass
listeners.https.ssl.truststore.location=$tls/truststore.jks
listeners.https.ssl.truststore.password=$pass
rest.advertised.listener=https
P
    scheme=https curl_opts=(--cacert "$tls/ca.pem")
  else
    bootstrap=${KAFKA_BOOTSTRAP:-127.0.0.1:9092}
    worker_props "$port" "$id" >"$work/w.properties"
  fi
  local t0; t0=$(ms)
  "$repo/bin/gonnect" distributed "$work/w.properties" >"$work/$variant.log" 2>&1 &
  pid=$!
  until [ "$(curl -s -o /dev/null -w '%{http_code}' "${curl_opts[@]}" "$scheme://127.0.0.1:$port/health")" = 200 ]; do
    kill -0 $pid 2>/dev/null || { echo "$variant worker exited:" >&2; tail "$work/$variant.log" >&2; exit 1; }
    sleep 0.02
  done
  echo $(( $(ms) - t0 ))
  kill $pid; wait $pid 2>/dev/null || true; pid=
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }

: >"$work/plain" ; : >"$work/tls"
for i in $(seq 1 "$runs"); do
  p=$(start plain) || exit 1
  t=$(start tls) || exit 1
  echo "run $i: plaintext $p ms, TLS everywhere $t ms"
  echo "$p" >>"$work/plain"; echo "$t" >>"$work/tls"
done
p=$(median <"$work/plain"); t=$(median <"$work/tls")
echo "median start to /health 200: plaintext $p ms, TLS everywhere (SASL_SSL + https) $t ms (+$((t - p)) ms)"
