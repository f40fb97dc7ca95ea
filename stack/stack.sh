#!/usr/bin/env bash
# Local real servers for gonnect's demo, tests and benchmarks, without Docker:
# Apache Kafka (KRaft), Apache Cassandra and Apache Kafka Connect (reference)
# resolved from Maven Central and run on the machine's Java 17, plus an
# in-memory Schema Registry speaking Confluent's API.
#
#   stack.sh up       start what is not running (REFERENCE=1 adds Kafka Connect)
#   stack.sh down     stop what it started
#   stack.sh status   show each server
#   stack.sh resolve NAME   only resolve the jars of poms/NAME (kafka, cassandra, connect,
#                     connect-basic-auth: Connect's Basic authentication REST extension)
#   stack.sh pyclient only install kafka-connect-py (a third-party Kafka Connect
#                     client the tests drive workers with) in a virtualenv; prints its python
#   stack.sh kafka    start only Kafka (with its secured listeners)
#   stack.sh cassandra-secured start|up|down   the secured Cassandra (TLS with
#                     client certificates, PasswordAuthenticator) on its own
#                     ports and data: start launches it and returns, up also
#                     waits until its test role can log in, down stops it
#   stack.sh reference-plugins   only lay out the reference Connect's plugin.path:
#                     the DataStax sink from $DATASTAX_SINK_DIR and the Avro converter
#   stack.sh avro-converter   only build the Confluent-wire Avro converter plugin
#   stack.sh cluster up|down|status|wipe       the fault tests' 3-node Cassandra cluster
#   stack.sh cluster start|stop|kill|pid N     one of its nodes (1-3): start, SIGTERM, SIGKILL
#   stack.sh cluster nodetool N ARGS...        nodetool against node N
#   stack.sh faults-broker start|stop|status   a second single-node Kafka for the
#                     fault suite (FAULTS_KAFKA_* ports, own data dir and capped log);
#                     `down` stops it too
#
# State, jars, logs and pids live under $GONNECT_STACK_DIR (default .stack/).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
STATE=${GONNECT_STACK_DIR:-$repo/.stack}
KAFKA_BOOTSTRAP=${KAFKA_BOOTSTRAP:-127.0.0.1:9092}
KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-9093}
# Kafka's secured listeners: SASL_SSL (SCRAM-SHA-512/256, PLAIN) and TLS with
# a required client certificate; the user and TLS password are the tests'.
KAFKA_SASL_BOOTSTRAP=${KAFKA_SASL_BOOTSTRAP:-127.0.0.1:9094}
KAFKA_MTLS_BOOTSTRAP=${KAFKA_MTLS_BOOTSTRAP:-127.0.0.1:9095}
KAFKA_SASL_USER=${KAFKA_SASL_USER:-gonnect}
KAFKA_SASL_PASSWORD=${KAFKA_SASL_PASSWORD:-gonnect-secret}
TLS_PASSWORD=${TLS_PASSWORD:-gonnect-tls}
CASSANDRA_HOSTS=${CASSANDRA_HOSTS:-127.0.0.1:9042}
CASSANDRA_STORAGE_PORT=${CASSANDRA_STORAGE_PORT:-7000}
# The secured Cassandra: its own data, native and storage ports (no JMX, as
# the shared one), and the role the tests log in as (made by its superuser).
CASSANDRA_SECURED_HOSTS=${CASSANDRA_SECURED_HOSTS:-127.0.0.1:9142}
CASSANDRA_SECURED_STORAGE_PORT=${CASSANDRA_SECURED_STORAGE_PORT:-7100}
CASSANDRA_SECURED_HEAP=${CASSANDRA_SECURED_HEAP:--Xms512m -Xmx512m -Xmn128m}
SCHEMA_REGISTRY_URL=${SCHEMA_REGISTRY_URL:-http://127.0.0.1:8081}
REFERENCE_CONNECT_URL=${REFERENCE_CONNECT_URL:-http://127.0.0.1:28083}
KAFKA_HEAP=${KAFKA_HEAP:--Xms256m -Xmx512m}
CASSANDRA_HEAP=${CASSANDRA_HEAP:--Xms1g -Xmx1g -Xmn256m}
# The fault tests' Cassandra cluster: three nodes on 127.0.0.1-3 (any
# 127.0.0.0/8 address is the loopback on Linux), on ports beside the shared
# node's (9042, 7000), small heaps, own data under $STATE/cassandra-cluster.
CASSANDRA_CLUSTER_HOSTS=${CASSANDRA_CLUSTER_HOSTS:-127.0.0.1:9043,127.0.0.2:9043,127.0.0.3:9043}
CASSANDRA_CLUSTER_STORAGE_PORT=${CASSANDRA_CLUSTER_STORAGE_PORT:-7010}
CASSANDRA_CLUSTER_HEAP=${CASSANDRA_CLUSTER_HEAP:--Xms640m -Xmx640m -Xmn128m}
CASSANDRA_CLUSTER_WRITE_TIMEOUT=${CASSANDRA_CLUSTER_WRITE_TIMEOUT:-2000ms}
CONNECT_HEAP=${CONNECT_HEAP:--Xms256m -Xmx1g}
KAFKA_TIMEOUT=${KAFKA_TIMEOUT:-180s}
CASSANDRA_TIMEOUT=${CASSANDRA_TIMEOUT:-240s}
CONNECT_TIMEOUT=${CONNECT_TIMEOUT:-120s}
# The fault suite's own broker (e2e/faults): stopped and started by its tests.
# PROXIED is advertised at FAULTS_KAFKA_PROXIED_ADVERTISED, where the tests'
# TCP proxy listens and forwards to FAULTS_KAFKA_PROXIED_PORT.
FAULTS_KAFKA_PORT=${FAULTS_KAFKA_PORT:-19092}
FAULTS_KAFKA_CONTROLLER_PORT=${FAULTS_KAFKA_CONTROLLER_PORT:-19093}
FAULTS_KAFKA_PROXIED_PORT=${FAULTS_KAFKA_PROXIED_PORT:-19094}
FAULTS_KAFKA_PROXIED_ADVERTISED=${FAULTS_KAFKA_PROXIED_ADVERTISED:-127.0.0.1:19096}
FAULTS_KAFKA_HEAP=${FAULTS_KAFKA_HEAP:--Xms128m -Xmx384m}
# The DataStax Apache Kafka Connector 1.5.0 (the Cassandra sink gonnect's is a
# drop-in for) is not on Maven Central: it is taken from this folder, beside
# the checkout (for a git worktree: beside its main checkout).
main_checkout=$(cd "$repo" && git rev-parse --path-format=absolute --git-common-dir 2>/dev/null | sed 's#/\.git$##' || true)
if [ -z "${DATASTAX_SINK_DIR:-}" ]; then
  DATASTAX_SINK_DIR=$repo/../shared/reference/datastax-kafka-sink
  if [ ! -d "$DATASTAX_SINK_DIR" ] && [ -n "$main_checkout" ]; then DATASTAX_SINK_DIR=$main_checkout/../shared/reference/datastax-kafka-sink; fi
fi
DATASTAX_SINK_JAR=kafka-connect-cassandra-sink-1.5.0.jar

kafka_port=${KAFKA_BOOTSTRAP##*:}
sasl_port=${KAFKA_SASL_BOOTSTRAP##*:}
mtls_port=${KAFKA_MTLS_BOOTSTRAP##*:}
cql_host=${CASSANDRA_HOSTS%%,*}
cql_port=${cql_host##*:}
secured_cql_host=${CASSANDRA_SECURED_HOSTS%%,*}
secured_cql_port=${secured_cql_host##*:}
sr_hostport=${SCHEMA_REGISTRY_URL#http://}
sr_hostport=${sr_hostport%%/*}
ref_port=${REFERENCE_CONNECT_URL##*:}

mkdir -p "$STATE"/{logs,pids,bin,jars,conf}
say() { echo "stack: $*"; }
die() { echo "stack: $*" >&2; exit 1; }

pid_of() { local f="$STATE/pids/$1.pid"; [ -f "$f" ] && cat "$f" || true; }
running() { local p; p=$(pid_of "$1"); [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }

# render TEMPLATE OUT: fills @NAME@ placeholders.
render() {
  sed -e "s#@STATE@#$STATE#g" -e "s#@KAFKA_PORT@#$kafka_port#g" -e "s#@CONTROLLER_PORT@#$KAFKA_CONTROLLER_PORT#g" \
      -e "s#@CQL_PORT@#$cql_port#g" -e "s#@STORAGE_PORT@#$CASSANDRA_STORAGE_PORT#g" \
      -e "s#@CASSANDRA_DIR@#${cassandra_dir:-$STATE/cassandra}#g" -e "s#@CLUSTER_NAME@#${cassandra_cluster:-gonnect-local}#g" \
      -e "s#@AUTHENTICATOR@#${cassandra_authenticator:-AllowAllAuthenticator}#g" \
      -e "s#@KAFKA_BOOTSTRAP@#$KAFKA_BOOTSTRAP#g" -e "s#@REFERENCE_PORT@#$ref_port#g" -e "s#@LOG@#${3:-}#g" \
      -e "s#@SASL_PORT@#$sasl_port#g" -e "s#@MTLS_PORT@#$mtls_port#g" -e "s#@TLS_PASSWORD@#$TLS_PASSWORD#g" \
      -e "s#@SASL_USER@#$KAFKA_SASL_USER#g" -e "s#@SASL_PASSWORD@#$KAFKA_SASL_PASSWORD#g" "$1" >"$2"
}

# resolve NAME: copies the runtime jars of poms/NAME into $STATE/jars/NAME
# once; Maven caches downloads in ~/.m2 (or $MAVEN_REPO_LOCAL).
resolve() {
  local name=$1 dir="$STATE/jars/$1" pom="$here/poms/$1/pom.xml" sum
  sum=$(sha256sum <"$pom")
  # The pom's content decides, not only its time: another checkout of the
  # same pom (a git worktree sharing .stack) must not resolve again.
  if [ -f "$dir/.complete" ] && { [ "$dir/.complete" -nt "$pom" ] || [ "$(cat "$dir/.complete")" = "$sum" ]; }; then return 0; fi
  command -v mvn >/dev/null || die "mvn is not installed (needed to resolve $name from Maven Central)"
  say "resolving $name from Maven Central"
  rm -rf "$dir"
  local repo_opt=()
  [ -n "${MAVEN_REPO_LOCAL:-}" ] && repo_opt=(-Dmaven.repo.local="$MAVEN_REPO_LOCAL")
  if ! mvn -q -B "${repo_opt[@]}" -f "$pom" dependency:copy-dependencies -DincludeScope=runtime \
       -DoutputDirectory="$dir" >"$STATE/logs/mvn-$name.log" 2>&1; then
    die "resolving $name failed; see $STATE/logs/mvn-$name.log"
  fi
  echo "$sum" >"$dir/.complete"
}

waitfor() { "$STATE/bin/waitfor" "$@"; }

build_tools() {
  local src_newer
  src_newer=$(find "$repo/stack" "$repo/cmd/schema-registry" -name '*.go' -newer "$STATE/bin/.built" 2>/dev/null | head -1 || true)
  if [ -f "$STATE/bin/.built" ] && [ -z "$src_newer" ]; then return 0; fi
  say "building stack helpers"
  (cd "$repo" && go build -o "$STATE/bin/waitfor" ./stack/waitfor && go build -o "$STATE/bin/schema-registry" ./cmd/schema-registry)
  touch "$STATE/bin/.built"
}

# start NAME CMD...: runs a server in the background, its output in its log.
start() {
  local name=$1; shift
  nohup "$@" >"$STATE/logs/$name.out" 2>&1 &
  echo $! >"$STATE/pids/$name.pid"
}

start_kafka() {
  if running kafka; then return 0; fi
  resolve kafka
  local conf="$STATE/conf/kafka.properties"
  render "$here/conf/kafka.properties.tmpl" "$conf"
  render "$here/conf/log4j2-rolling.xml.tmpl" "$STATE/conf/kafka-log4j2.xml" "$STATE/logs/kafka.log"
  local cp="$STATE/jars/kafka/*"
  TLS_PASSWORD=$TLS_PASSWORD bash "$here/certs.sh" "$STATE/tls" || die "making the TLS material in $STATE/tls failed"
  if [ ! -f "$STATE/kafka/data/meta.properties" ]; then
    mkdir -p "$STATE/kafka/data"
    local id m scram=()
    for m in SCRAM-SHA-512 SCRAM-SHA-256; do scram+=(--add-scram "$m=[name=$KAFKA_SASL_USER,password=$KAFKA_SASL_PASSWORD]"); done
    id=$(java -cp "$cp" -Dlog4j2.configurationFile="$STATE/conf/kafka-log4j2.xml" kafka.tools.StorageTool random-uuid)
    java -cp "$cp" -Dlog4j2.configurationFile="$STATE/conf/kafka-log4j2.xml" kafka.tools.StorageTool format \
      -t "$id" -c "$conf" "${scram[@]}" >"$STATE/logs/kafka-format.log" 2>&1 || die "formatting Kafka storage failed; see $STATE/logs/kafka-format.log"
    echo "$KAFKA_SASL_USER" >"$STATE/kafka/.scram-users"
  fi
  say "starting Kafka on $KAFKA_BOOTSTRAP"
  # shellcheck disable=SC2086
  start kafka java $KAFKA_HEAP -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$STATE/conf/kafka-log4j2.xml" -cp "$cp" kafka.Kafka "$conf"
}

# kafka_scram_users: a broker formatted before the secured listeners existed
# gets its SCRAM users through the admin API (over the plaintext listener).
kafka_scram_users() {
  [ "$(cat "$STATE/kafka/.scram-users" 2>/dev/null)" = "$KAFKA_SASL_USER" ] && return 0
  local m
  # One mechanism per request: the broker refuses two changes of one user in one request.
  for m in SCRAM-SHA-512 SCRAM-SHA-256; do
    java -cp "$STATE/jars/kafka/*" -Dlog4j2.configurationFile="$STATE/conf/kafka-log4j2.xml" kafka.admin.ConfigCommand \
      --bootstrap-server "$KAFKA_BOOTSTRAP" --alter --add-config "$m=[password=$KAFKA_SASL_PASSWORD]" \
      --entity-type users --entity-name "$KAFKA_SASL_USER" \
      >"$STATE/logs/kafka-scram.log" 2>&1 || die "adding SCRAM user $KAFKA_SASL_USER failed; see $STATE/logs/kafka-scram.log"
  done
  echo "$KAFKA_SASL_USER" >"$STATE/kafka/.scram-users"
  say "SCRAM user $KAFKA_SASL_USER added"
}

# start_faults_broker: the fault suite's broker, formatted on first use.
start_faults_broker() {
  if running kafka-faults; then return 0; fi
  resolve kafka
  local conf="$STATE/conf/kafka-faults.properties" cp="$STATE/jars/kafka/*" log4j="$STATE/conf/kafka-faults-log4j2.xml"
  sed -e "s#@STATE@#$STATE#g" -e "s#@FAULTS_PORT@#$FAULTS_KAFKA_PORT#g" -e "s#@FAULTS_CONTROLLER_PORT@#$FAULTS_KAFKA_CONTROLLER_PORT#g" \
      -e "s#@FAULTS_PROXIED_PORT@#$FAULTS_KAFKA_PROXIED_PORT#g" -e "s#@FAULTS_PROXIED_ADVERTISED@#$FAULTS_KAFKA_PROXIED_ADVERTISED#g" \
      "$here/conf/kafka-faults.properties.tmpl" >"$conf"
  render "$here/conf/log4j2-rolling.xml.tmpl" "$log4j" "$STATE/logs/kafka-faults.log"
  if [ ! -f "$STATE/kafka-faults/data/meta.properties" ]; then
    mkdir -p "$STATE/kafka-faults/data"
    local id
    id=$(java -cp "$cp" -Dlog4j2.configurationFile="$log4j" kafka.tools.StorageTool random-uuid)
    java -cp "$cp" -Dlog4j2.configurationFile="$log4j" kafka.tools.StorageTool format -t "$id" -c "$conf" \
      >"$STATE/logs/kafka-faults-format.log" 2>&1 || die "formatting the fault suite's Kafka storage failed; see $STATE/logs/kafka-faults-format.log"
  fi
  say "starting the fault suite's Kafka on 127.0.0.1:$FAULTS_KAFKA_PORT (proxied listener advertised at $FAULTS_KAFKA_PROXIED_ADVERTISED)"
  # shellcheck disable=SC2086
  start kafka-faults java $FAULTS_KAFKA_HEAP -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$log4j" -cp "$cp" kafka.Kafka "$conf"
}

faults_broker() {
  case "${1:-}" in
    start) build_tools; start_faults_broker; await kafka-faults kafka "127.0.0.1:$FAULTS_KAFKA_PORT" "$KAFKA_TIMEOUT" ;;
    stop) stop_one kafka-faults ;;
    status) if running kafka-faults; then echo "kafka-faults up 127.0.0.1:$FAULTS_KAFKA_PORT pid $(pid_of kafka-faults)"; else echo "kafka-faults down"; return 1; fi ;;
    *) die "usage: $0 faults-broker start|stop|status" ;;
  esac
}

# Cassandra's module flags for Java 17+ (its jvm17 options): the server and
# its tools (nodetool) reach JDK internals.
cassandra_module_flags() {
  cat <<FLAGS
--add-exports java.base/jdk.internal.misc=ALL-UNNAMED
--add-exports java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED
--add-exports java.rmi/sun.rmi.registry=ALL-UNNAMED
--add-exports java.rmi/sun.rmi.server=ALL-UNNAMED
--add-exports java.sql/java.sql=ALL-UNNAMED
--add-exports java.base/java.lang.ref=ALL-UNNAMED
--add-exports jdk.unsupported/sun.misc=ALL-UNNAMED
--add-exports jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED
--add-exports jdk.attach/sun.tools.attach=ALL-UNNAMED
--add-opens java.base/java.lang.module=ALL-UNNAMED
--add-opens java.base/jdk.internal.loader=ALL-UNNAMED
--add-opens java.base/jdk.internal.ref=ALL-UNNAMED
--add-opens java.base/jdk.internal.reflect=ALL-UNNAMED
--add-opens java.base/jdk.internal.math=ALL-UNNAMED
--add-opens java.base/jdk.internal.module=ALL-UNNAMED
--add-opens java.base/jdk.internal.util.jar=ALL-UNNAMED
--add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED
--add-opens java.base/sun.nio.ch=ALL-UNNAMED
--add-opens java.base/java.io=ALL-UNNAMED
--add-opens java.base/java.lang.reflect=ALL-UNNAMED
--add-opens jdk.compiler/com.sun.tools.javac=ALL-UNNAMED
--add-opens java.base/java.lang=ALL-UNNAMED
--add-opens java.base/java.util=ALL-UNNAMED
--add-opens java.base/java.nio=ALL-UNNAMED
FLAGS
}

# cassandra_jvm_flags NAME DIR: the JVM flags of the Cassandra node NAME (its
# configuration $STATE/conf/NAME.yaml and logback file, its data under DIR).
cassandra_jvm_flags() {
  local name=$1 dir=$2 jamm
  jamm=$(ls "$STATE"/jars/cassandra/jamm-*.jar | head -1)
  cat <<FLAGS
-javaagent:$jamm
-XX:+UseG1GC -XX:+ParallelRefProcEnabled -XX:MaxTenuringThreshold=1 -XX:G1HeapRegionSize=16m
-XX:G1RSetUpdatingPauseTimePercent=5 -XX:MaxGCPauseMillis=300 -XX:InitiatingHeapOccupancyPercent=70
-Xss256k -XX:StringTableSize=1000003 -XX:+PerfDisableSharedMem -Djava.net.preferIPv4Stack=true
-Djdk.attach.allowAttachSelf=true
$(cassandra_module_flags)
-Dio.netty.tryReflectionSetAccessible=true
-Dio.netty.allocator.useCacheForAllThreads=true
-Dio.netty.allocator.maxOrder=11
-Dcassandra-foreground=yes
-Dcassandra.config=file://$STATE/conf/$name.yaml
-Dcassandra.storagedir=$dir
-Dcassandra.logdir=$STATE/logs
-Dlogback.configurationFile=$STATE/conf/$name-logback.xml
-Dcassandra.skip_wait_for_gossip_to_settle=0
-Dcassandra.ring_delay_ms=1000
-Dcassandra.superuser_setup_delay_ms=0
-Dcassandra.load_ring_state=true
FLAGS
}

# cassandra_yaml NAME ADDR CQL_PORT STORAGE_PORT DIR CLUSTER SEEDS NUM_TOKENS WRITE_TIMEOUT
# renders the node NAME's cassandra.yaml into $STATE/conf/NAME.yaml.
cassandra_yaml() {
  sed -e "s#@ADDR@#$2#g" -e "s#@CQL_PORT@#$3#g" -e "s#@STORAGE_PORT@#$4#g" -e "s#@CASS_DIR@#$5#g" \
      -e "s#@CLUSTER_NAME@#$6#g" -e "s#@SEEDS@#$7#g" -e "s#@NUM_TOKENS@#$8#g" -e "s#@WRITE_TIMEOUT@#$9#g" \
      -e "s#@AUTHENTICATOR@#${cassandra_authenticator:-AllowAllAuthenticator}#g" \
      "$here/conf/cassandra.yaml.tmpl" >"$STATE/conf/$1.yaml"
  render "$here/conf/logback.xml.tmpl" "$STATE/conf/$1-logback.xml" "$STATE/logs/$1.log"
}

start_cassandra() {
  if running cassandra; then return 0; fi
  resolve cassandra
  mkdir -p "$STATE"/cassandra/{data,commitlog,saved_caches,hints,cdc_raw}
  cassandra_yaml cassandra 127.0.0.1 "$cql_port" "$CASSANDRA_STORAGE_PORT" "$STATE/cassandra" gonnect-local \
    "127.0.0.1:$CASSANDRA_STORAGE_PORT" 16 5000ms
  say "starting Cassandra on $cql_host"
  # shellcheck disable=SC2046,SC2086
  start cassandra java $CASSANDRA_HEAP $(cassandra_jvm_flags cassandra "$STATE/cassandra") -cp "$STATE/jars/cassandra/*" \
    org.apache.cassandra.service.CassandraDaemon
}

# start_cassandra_secured: the secured Cassandra, from the same jars and
# template as the shared one, with client encryption (the stack's CA) and
# password authentication; it returns at once (see cassandra_secured_up).
start_cassandra_secured() {
  if running cassandra-secured; then return 0; fi
  resolve cassandra
  TLS_PASSWORD=$TLS_PASSWORD bash "$here/certs.sh" "$STATE/tls" || die "making the TLS material in $STATE/tls failed"
  local dir="$STATE/cassandra-secured" conf="$STATE/conf/cassandra-secured.yaml"
  mkdir -p "$dir"/{data,commitlog,saved_caches,hints,cdc_raw}
  cassandra_authenticator=PasswordAuthenticator cassandra_yaml cassandra-secured 127.0.0.1 "$secured_cql_port" \
    "$CASSANDRA_SECURED_STORAGE_PORT" "$dir" gonnect-secured "127.0.0.1:$CASSANDRA_SECURED_STORAGE_PORT" 16 5000ms
  render "$here/conf/cassandra-secured.yaml.tmpl" "$conf.tls"
  cat "$conf.tls" >>"$conf" && rm -f "$conf.tls"
  say "starting the secured Cassandra on $secured_cql_host (TLS with client certificates, PasswordAuthenticator)"
  # shellcheck disable=SC2046,SC2086
  start cassandra-secured java $CASSANDRA_SECURED_HEAP $(cassandra_jvm_flags cassandra-secured "$dir") -cp "$STATE/jars/cassandra/*" \
    org.apache.cassandra.service.CassandraDaemon
}

# cassandra_secured_up: starts the secured Cassandra if needed and waits
# until its superuser logs in over TLS and the tests' role exists.
cassandra_secured_up() {
  build_tools
  start_cassandra_secured
  GONNECT_STACK_DIR=$STATE TLS_PASSWORD=$TLS_PASSWORD await cassandra-secured cql-secured "$CASSANDRA_SECURED_HOSTS" "$CASSANDRA_TIMEOUT"
}

# ---- the fault tests' 3-node cluster ----
IFS=, read -r -a cluster_hosts <<<"$CASSANDRA_CLUSTER_HOSTS"
cluster_addr() { local h=${cluster_hosts[$(($1 - 1))]}; echo "${h%:*}"; }
cluster_seeds() {
  local h s=""
  for h in "${cluster_hosts[@]}"; do s+="${s:+,}${h%:*}:$CASSANDRA_CLUSTER_STORAGE_PORT"; done
  echo "$s"
}
check_node() { [[ "${1:-}" =~ ^[1-9]$ ]] && [ "$1" -le "${#cluster_hosts[@]}" ] || die "no cluster node '${1:-}' (1-${#cluster_hosts[@]})"; }

# start_node N: node N of the cluster, one token evenly spaced on the ring
# (no token allocation), joining without bootstrap (no streaming: its data
# is its own) so that every node starts at once, with the gossip settling
# waits of the shared node shortened too; local JMX on 7210+N for nodetool.
start_node() {
  local n=$1 name="cass-node$1" addr dir port token
  check_node "$n"
  if running "$name"; then return 0; fi
  resolve cassandra
  addr=$(cluster_addr "$n"); port=${cluster_hosts[$((n - 1))]##*:}
  dir="$STATE/cassandra-cluster/node$n"
  mkdir -p "$dir"/{data,commitlog,saved_caches,hints,cdc_raw}
  token=$(python3 -c "print(-2**63 + ($n - 1) * (2**64 // ${#cluster_hosts[@]}))")
  cassandra_yaml "$name" "$addr" "$port" "$CASSANDRA_CLUSTER_STORAGE_PORT" "$dir" gonnect-faults "$(cluster_seeds)" 1 \
    "$CASSANDRA_CLUSTER_WRITE_TIMEOUT"
  printf 'initial_token: %s\nauto_bootstrap: false\n' "$token" >>"$STATE/conf/$name.yaml"
  say "starting Cassandra node $n on $addr:$port"
  # shellcheck disable=SC2046,SC2086
  start "$name" java $CASSANDRA_CLUSTER_HEAP $(cassandra_jvm_flags "$name" "$dir") \
    -Dcassandra.jmx.local.port=$((7210 + n)) -Dcassandra.consistent.rangemovement=false \
    -cp "$STATE/jars/cassandra/*" org.apache.cassandra.service.CassandraDaemon
}

await_node() { await "cass-node$1" cql "${cluster_hosts[$(($1 - 1))]}" "$CASSANDRA_TIMEOUT"; }

kill_node() {
  local n=$1 p
  check_node "$n"
  p=$(pid_of "cass-node$n")
  [ -n "$p" ] && kill -0 "$p" 2>/dev/null || die "cluster node $n is not running"
  kill -9 "$p"
  while kill -0 "$p" 2>/dev/null; do sleep 0.1; done
  rm -f "$STATE/pids/cass-node$n.pid"
  say "killed cluster node $n (pid $p)"
}

cluster() {
  local cmd=${1:-} n i
  case "$cmd" in
    up)
      build_tools
      for i in $(seq 1 "${#cluster_hosts[@]}"); do start_node "$i"; done
      for i in $(seq 1 "${#cluster_hosts[@]}"); do await_node "$i"; done
      await cass-cluster cqlring "$CASSANDRA_CLUSTER_HOSTS" "$CASSANDRA_TIMEOUT" ;;
    down) for i in $(seq 1 "${#cluster_hosts[@]}"); do stop_one "cass-node$i"; done ;;
    wipe) cluster down; rm -rf "$STATE/cassandra-cluster" ;;
    status)
      for i in $(seq 1 "${#cluster_hosts[@]}"); do
        if running "cass-node$i"; then printf 'cass-node%-9s up    %-28s pid %s\n' "$i" "${cluster_hosts[$((i - 1))]}" "$(pid_of "cass-node$i")"
        else printf 'cass-node%-9s down  %s\n' "$i" "${cluster_hosts[$((i - 1))]}"; fi
      done ;;
    start) n=${2:-}; build_tools; start_node "$n"; await_node "$n" ;;
    stop) n=${2:-}; check_node "$n"; stop_one "cass-node$n" ;;
    kill) kill_node "${2:-}" ;;
    pid) n=${2:-}; check_node "$n"; running "cass-node$n" || die "cluster node $n is not running"; pid_of "cass-node$n" ;;
    nodetool)
      n=${2:-}; check_node "$n"; shift 2
      # shellcheck disable=SC2046 # one flag per word
      java -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 $(cassandra_module_flags) -cp "$STATE/jars/cassandra/*" org.apache.cassandra.tools.NodeTool \
        -h 127.0.0.1 -p $((7210 + n)) "$@" ;;
    *) die "usage: $0 cluster up|down|status|wipe|start N|stop N|kill N|pid N|nodetool N ARGS..." ;;
  esac
}

start_registry() {
  if running schema-registry; then return 0; fi
  say "starting Schema Registry on $SCHEMA_REGISTRY_URL"
  start schema-registry "$STATE/bin/schema-registry" -listen "$sr_hostport"
}

# avro_converter: builds bench/reference (a Confluent-wire Avro
# converter for Apache Connect, which Maven Central lacks) into
# $STATE/avro-plugin/avro-converter, only when its sources changed; the
# reference Connect and the benchmark's Connect load it from there.
avro_converter() {
  local src="$repo/bench/reference" plugin="$STATE/avro-plugin/avro-converter"
  if [ -f "$plugin/.built" ] && [ -z "$(find "$src/pom.xml" "$src/src" -newer "$plugin/.built" | head -1)" ]; then return 0; fi
  command -v mvn >/dev/null || die "mvn is not installed (needed to build $src)"
  say "building the reference plugin (Avro converter) from $src"
  local repo_opt=()
  [ -n "${MAVEN_REPO_LOCAL:-}" ] && repo_opt=(-Dmaven.repo.local="$MAVEN_REPO_LOCAL")
  if ! mvn -q -B "${repo_opt[@]}" -f "$src/pom.xml" clean package >"$STATE/logs/mvn-reference-plugin.log" 2>&1; then
    die "building $src failed; see $STATE/logs/mvn-reference-plugin.log"
  fi
  rm -rf "$plugin" && mkdir -p "$(dirname "$plugin")"
  cp -r "$src/target/plugin" "$plugin"
  touch "$plugin/.built"
}

# reference_plugins: fills the reference Connect's plugin.path folder with the
# DataStax sink (copied when it differs) and the Avro converter's plugin.
reference_plugins() {
  local jar="$DATASTAX_SINK_DIR/$DATASTAX_SINK_JAR" dir="$STATE/reference-plugins"
  avro_converter
  if [ -f "$jar" ]; then
    mkdir -p "$dir/datastax-kafka-sink"
    cmp -s "$jar" "$dir/datastax-kafka-sink/$DATASTAX_SINK_JAR" || cp "$jar" "$dir/datastax-kafka-sink/$DATASTAX_SINK_JAR"
  else
    # The REST and transform references need no DataStax; the tests that
    # compare with it fail, naming the plugin and this variable.
    echo "stack: WARNING: the DataStax Apache Kafka Connector is missing: no $jar (set DATASTAX_SINK_DIR to the folder holding $DATASTAX_SINK_JAR); the reference Connect starts without it" >&2
    rm -rf "$dir/datastax-kafka-sink"
  fi
  rm -rf "$dir/avro-converter" && cp -r "$STATE/avro-plugin/avro-converter" "$dir/avro-converter"
}

start_reference() {
  if running reference-connect; then return 0; fi
  resolve connect
  reference_plugins
  render "$here/conf/connect-distributed.properties.tmpl" "$STATE/conf/connect-distributed.properties"
  render "$here/conf/log4j2-rolling.xml.tmpl" "$STATE/conf/connect-log4j2.xml" "$STATE/logs/reference-connect.log"
  say "starting reference Kafka Connect on $REFERENCE_CONNECT_URL"
  # shellcheck disable=SC2086
  start reference-connect java $CONNECT_HEAP -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$STATE/conf/connect-log4j2.xml" -cp "$STATE/jars/connect/*" \
    org.apache.kafka.connect.cli.ConnectDistributed "$STATE/conf/connect-distributed.properties"
}

# await NAME KIND ADDR TIMEOUT: waits for a server, or fails naming its log.
await() {
  local name=$1 kind=$2 addr=$3 timeout=$4 out
  if ! out=$(waitfor "$kind" "$addr" "$timeout" 2>&1); then
    local log="$STATE/logs/$name.log"; [ -f "$log" ] || log="$STATE/logs/$name.out"
    running "$name" || echo "stack: $name exited; last lines of $STATE/logs/$name.out:" >&2
    running "$name" || tail -n 20 "$STATE/logs/$name.out" >&2 || true
    die "$name did not become ready at $addr within $timeout ($out); log: $log"
  fi
  say "$name ready at $addr ${out:+($out)}"
}

# pyclient: installs kafka-connect-py from PyPI into $STATE/pyclient, once.
PYCLIENT_PACKAGE=kafka-connect-py==1.0.0
pyclient() {
  local venv="$STATE/pyclient"
  if [ ! -f "$venv/.complete" ] || [ "$(cat "$venv/.complete")" != "$PYCLIENT_PACKAGE" ]; then
    command -v python3 >/dev/null || die "python3 is not installed (needed for $PYCLIENT_PACKAGE)"
    rm -rf "$venv"
    python3 -m venv "$venv" >"$STATE/logs/pyclient.log" 2>&1 || die "creating the virtualenv $venv failed; see $STATE/logs/pyclient.log"
    "$venv/bin/python" -m pip install -q "$PYCLIENT_PACKAGE" >>"$STATE/logs/pyclient.log" 2>&1 ||
      die "installing $PYCLIENT_PACKAGE from PyPI failed; see $STATE/logs/pyclient.log"
    echo "$PYCLIENT_PACKAGE" >"$venv/.complete"
  fi
  echo "$venv/bin/python"
}

up() {
  local t0=$SECONDS
  build_tools
  # Cassandra is the slowest: start it first, then the rest in parallel.
  start_cassandra
  start_kafka
  start_registry
  await kafka kafka "$KAFKA_BOOTSTRAP" "$KAFKA_TIMEOUT"
  kafka_scram_users
  await schema-registry http "$SCHEMA_REGISTRY_URL/subjects" 30s
  if [ "${REFERENCE:-}" = 1 ]; then start_reference; fi
  await cassandra cql "$CASSANDRA_HOSTS" "$CASSANDRA_TIMEOUT"
  if [ "${REFERENCE:-}" = 1 ]; then await reference-connect http "$REFERENCE_CONNECT_URL/" "$CONNECT_TIMEOUT"; fi
  say "up in $((SECONDS - t0)) s"
}

stop_one() {
  local name=$1 p
  p=$(pid_of "$name")
  if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then
    kill "$p" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$p" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$p" 2>/dev/null; then kill -9 "$p" 2>/dev/null || true; fi
    say "stopped $name (pid $p)"
  fi
  rm -f "$STATE/pids/$name.pid"
}

down() {
  for n in reference-connect schema-registry kafka-faults kafka cassandra cassandra-secured; do stop_one "$n"; done
  cluster down
}

status() {
  local rc=0
  for entry in "kafka $KAFKA_BOOTSTRAP,$KAFKA_SASL_BOOTSTRAP(sasl_ssl),$KAFKA_MTLS_BOOTSTRAP(ssl)" "cassandra $CASSANDRA_HOSTS" "cassandra-secured $CASSANDRA_SECURED_HOSTS(tls,auth)" "schema-registry $SCHEMA_REGISTRY_URL" "reference-connect $REFERENCE_CONNECT_URL" "kafka-faults 127.0.0.1:$FAULTS_KAFKA_PORT"; do
    set -- $entry
    if running "$1"; then printf '%-18s up    %-28s pid %s\n' "$1" "$2" "$(pid_of "$1")"
    else printf '%-18s down  %s\n' "$1" "$2"; case "$1" in reference-connect|kafka-faults|cassandra-secured) ;; *) rc=1 ;; esac; fi
  done
  return $rc
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  resolve) [ -f "$here/poms/${2:-}/pom.xml" ] || die "usage: $0 resolve kafka|cassandra|connect|connect-basic-auth"; resolve "$2" ;;
  pyclient) pyclient ;;
  reference-plugins) reference_plugins ;;
  avro-converter) avro_converter ;;
  kafka) build_tools; start_kafka; await kafka kafka "$KAFKA_BOOTSTRAP" "$KAFKA_TIMEOUT"; kafka_scram_users ;;
  cassandra-secured)
    case "${2:-}" in
      start) start_cassandra_secured ;;
      up) cassandra_secured_up ;;
      down) stop_one cassandra-secured ;;
      *) die "usage: $0 cassandra-secured start|up|down" ;;
    esac ;;
  cluster) shift; cluster "$@" ;;
  faults-broker) faults_broker "${2:-}" ;;
  *) echo "usage: $0 up|down|status|resolve NAME|pyclient|reference-plugins|avro-converter|kafka|cassandra-secured start|up|down|cluster ...|faults-broker start|stop|status" >&2; exit 2 ;;
esac
