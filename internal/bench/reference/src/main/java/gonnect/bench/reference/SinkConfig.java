package gonnect.bench.reference;

import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;

/** The sink's settings. */
final class SinkConfig extends AbstractConfig {
  static final String VERSION = "1.0";

  static final String CONTACT_POINTS = "cassandra.contact.points";
  static final String LOCAL_DC = "cassandra.local.datacenter";
  static final String KEYSPACE = "cassandra.keyspace";
  static final String TABLE = "cassandra.table";
  static final String MAX_IN_FLIGHT = "cassandra.max.concurrent.requests";
  static final String BATCH_SIZE = "cassandra.batch.max.statements";
  static final String NOW_COLUMNS = "cassandra.now.columns";
  static final String TIMEOUT_MS = "cassandra.request.timeout.ms";

  static final ConfigDef DEF = new ConfigDef()
      .define(CONTACT_POINTS, Type.LIST, "127.0.0.1:9042", Importance.HIGH, "Cassandra host:port pairs.")
      .define(LOCAL_DC, Type.STRING, "datacenter1", Importance.HIGH, "Local datacenter of the load balancer.")
      .define(KEYSPACE, Type.STRING, Importance.HIGH, "Keyspace of the table.")
      .define(TABLE, Type.STRING, Importance.HIGH, "Table written; value fields map to columns of the same name.")
      .define(MAX_IN_FLIGHT, Type.INT, 256, ConfigDef.Range.atLeast(1), Importance.MEDIUM,
          "Requests in flight per task.")
      .define(BATCH_SIZE, Type.INT, 32, ConfigDef.Range.atLeast(1), Importance.MEDIUM,
          "Rows of one partition key in one put are written as unlogged batches of at most this many; 1 disables batching.")
      .define(NOW_COLUMNS, Type.LIST, "", Importance.LOW,
          "timeuuid columns set to now() by the coordinator when it executes the write.")
      .define(TIMEOUT_MS, Type.INT, 30000, Importance.LOW, "Request timeout.");

  SinkConfig(Map<String, String> props) {
    super(DEF, props);
  }

  List<String> contactPoints() {
    return getList(CONTACT_POINTS);
  }
}
