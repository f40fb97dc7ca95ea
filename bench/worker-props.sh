# Sourced by the bench scripts. worker_props PORT GROUP prints the
# properties of one distributed worker (gonnect or Apache Connect) on
# $bootstrap with its own group and internal topics.
worker_props() {
  cat <<P
bootstrap.servers=$bootstrap
group.id=$2
listeners=http://127.0.0.1:$1
rest.advertised.host.name=127.0.0.1
rest.advertised.port=$1
config.storage.topic=$2-configs
offset.storage.topic=$2-offsets
status.storage.topic=$2-status
config.storage.replication.factor=1
offset.storage.replication.factor=1
status.storage.replication.factor=1
key.converter=org.apache.kafka.connect.storage.StringConverter
value.converter=org.apache.kafka.connect.storage.StringConverter
P
}
