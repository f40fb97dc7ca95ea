package gonnect.bench.reference;

import com.datastax.oss.driver.api.core.CqlIdentifier;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.DriverException;
import com.datastax.oss.driver.api.core.cql.BatchStatement;
import com.datastax.oss.driver.api.core.cql.BatchableStatement;
import com.datastax.oss.driver.api.core.cql.BoundStatementBuilder;
import com.datastax.oss.driver.api.core.cql.DefaultBatchType;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Statement;
import com.datastax.oss.driver.api.core.metadata.schema.ColumnMetadata;
import com.datastax.oss.driver.api.core.metadata.schema.TableMetadata;
import com.datastax.oss.driver.api.core.servererrors.QueryValidationException;
import com.datastax.oss.driver.api.core.type.codec.TypeCodec;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.errors.RetriableException;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;

/**
 * Writes each put's records with one prepared INSERT per value schema,
 * asynchronously with at most cassandra.max.concurrent.requests in flight,
 * rows sharing a partition key grouped into unlogged batches. put() returns
 * only when Cassandra acknowledged every write, so the offsets Connect
 * commits afterwards never run ahead of the table.
 */
public class CassandraSinkTask extends SinkTask {
  private static final long RETRY_BACKOFF_MS = 1000;

  private SinkConfig cfg;
  private CqlSession session;
  private TableMetadata table;
  private Semaphore inFlight;
  private int batchSize;
  // Converters hand out one Schema instance per writer schema, so identity is enough.
  private final Map<Schema, Insert> inserts = new IdentityHashMap<>();

  /** A prepared INSERT and how to bind a Struct of one schema to it. */
  private record Insert(PreparedStatement ps, Field[] fields, TypeCodec<Object>[] codecs, int[] partitionKey) {}

  @Override
  public String version() {
    return SinkConfig.VERSION;
  }

  @Override
  public void start(Map<String, String> props) {
    cfg = new SinkConfig(props);
    session = Sessions.acquire(cfg);
    String ks = cfg.getString(SinkConfig.KEYSPACE);
    String tb = cfg.getString(SinkConfig.TABLE);
    table = session.getMetadata().getKeyspace(ks).flatMap(k -> k.getTable(tb))
        .orElseThrow(() -> new ConnectException("table " + ks + "." + tb + " does not exist"));
    inFlight = new Semaphore(cfg.getInt(SinkConfig.MAX_IN_FLIGHT));
    batchSize = cfg.getInt(SinkConfig.BATCH_SIZE);
  }

  @Override
  public void put(Collection<SinkRecord> records) {
    if (records.isEmpty()) {
      return;
    }
    // Group by partition key so that rows of one partition travel together.
    Map<Object, List<BatchableStatement<?>>> byPartition = new LinkedHashMap<>();
    for (SinkRecord rec : records) {
      if (!(rec.value() instanceof Struct st)) {
        throw new DataException("record " + rec.topic() + "-" + rec.kafkaPartition() + "@" + rec.kafkaOffset()
            + " has no Struct value");
      }
      Insert ins = inserts.computeIfAbsent(rec.valueSchema(), this::prepare);
      BoundStatementBuilder b = ins.ps.boundStatementBuilder();
      for (int i = 0; i < ins.fields.length; i++) {
        Object v = toDriver(st.get(ins.fields[i]));
        if (v != null) { // unset, not null: no tombstone for a missing value
          b.set(i, v, ins.codecs[i]);
        }
      }
      byPartition.computeIfAbsent(partitionKey(st, ins), k -> new ArrayList<>(1)).add(b.build());
    }
    List<Statement<?>> stmts = new ArrayList<>(byPartition.size());
    for (List<BatchableStatement<?>> rows : byPartition.values()) {
      if (rows.size() == 1 || batchSize == 1) {
        stmts.addAll(rows);
        continue;
      }
      for (int i = 0; i < rows.size(); i += batchSize) {
        var chunk = rows.subList(i, Math.min(rows.size(), i + batchSize));
        stmts.add(BatchStatement.newInstance(DefaultBatchType.UNLOGGED).addAll(chunk));
      }
    }
    execute(stmts);
  }

  private void execute(List<Statement<?>> stmts) {
    CountDownLatch done = new CountDownLatch(stmts.size());
    AtomicReference<Throwable> failure = new AtomicReference<>();
    try {
      for (Statement<?> s : stmts) {
        inFlight.acquire();
        session.executeAsync(s).whenComplete((rs, err) -> {
          inFlight.release();
          if (err != null) {
            failure.compareAndSet(null, err);
          }
          done.countDown();
        });
      }
      done.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ConnectException("interrupted while writing to Cassandra", e);
    }
    Throwable err = failure.get();
    if (err == null) {
      return;
    }
    if (err instanceof CompletionException && err.getCause() != null) {
      err = err.getCause();
    }
    // A statement Cassandra refuses will never pass; anything else (timeouts,
    // unavailable replicas, a dropped connection) may, and Connect then
    // redelivers the same records after the backoff.
    if (err instanceof QueryValidationException || !(err instanceof DriverException)) {
      throw new ConnectException("writing to Cassandra", err);
    }
    context.timeout(RETRY_BACKOFF_MS);
    throw new RetriableException("writing to Cassandra", err);
  }

  @SuppressWarnings("unchecked")
  private Insert prepare(Schema schema) {
    if (schema == null || schema.type() != Schema.Type.STRUCT) {
      throw new DataException("values must be Structs with a schema");
    }
    List<Field> fields = new ArrayList<>();
    List<String> names = new ArrayList<>();
    List<String> marks = new ArrayList<>();
    for (Field f : schema.fields()) {
      if (table.getColumn(CqlIdentifier.fromCql(f.name())).isPresent()) {
        fields.add(f);
        names.add(CqlIdentifier.fromCql(f.name()).asCql(true));
        marks.add("?");
      }
    }
    for (ColumnMetadata pk : table.getPrimaryKey()) {
      if (!names.contains(pk.getName().asCql(true))) {
        throw new DataException("value has no field for primary key column " + pk.getName().asInternal());
      }
    }
    for (String col : cfg.getList(SinkConfig.NOW_COLUMNS)) {
      names.add(CqlIdentifier.fromCql(col).asCql(true));
      marks.add("now()");
    }
    String cql = "INSERT INTO " + table.getKeyspace().asCql(true) + "." + table.getName().asCql(true)
        + " (" + String.join(",", names) + ") VALUES (" + String.join(",", marks) + ")";
    PreparedStatement ps = session.prepare(cql);
    TypeCodec<Object>[] codecs = new TypeCodec[fields.size()];
    for (int i = 0; i < codecs.length; i++) {
      codecs[i] = session.getContext().getCodecRegistry().codecFor(ps.getVariableDefinitions().get(i).getType());
    }
    List<ColumnMetadata> pkCols = table.getPartitionKey();
    int[] pk = new int[pkCols.size()];
    for (int j = 0; j < pk.length; j++) {
      pk[j] = names.indexOf(pkCols.get(j).getName().asCql(true));
    }
    return new Insert(ps, fields.toArray(new Field[0]), codecs, pk);
  }

  private static Object partitionKey(Struct st, Insert ins) {
    if (ins.partitionKey.length == 1) {
      return st.get(ins.fields[ins.partitionKey[0]]);
    }
    List<Object> key = new ArrayList<>(ins.partitionKey.length);
    for (int i : ins.partitionKey) {
      key.add(st.get(ins.fields[i]));
    }
    return key;
  }

  /** Connect's Java types to the driver's default codecs' types. */
  private static Object toDriver(Object v) {
    if (v instanceof Date d) {
      return d.toInstant();
    }
    if (v instanceof byte[] b) {
      return ByteBuffer.wrap(b);
    }
    return v;
  }

  @Override
  public void stop() {
    if (session != null) {
      Sessions.release(session);
      session = null;
    }
  }
}
