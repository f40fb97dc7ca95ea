package gonnect.bench.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.data.Timestamp;
import org.apache.kafka.connect.errors.DataException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class AvroConverterTest {
  private static final String SCHEMA = """
      {"type": "record", "name": "Order", "namespace": "bench", "fields": [
        {"name": "order_id", "type": "string"},
        {"name": "customer_id", "type": "long"},
        {"name": "quantity", "type": "int"},
        {"name": "created_at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "tags", "type": {"type": "array", "items": "string"}},
        {"name": "attributes", "type": {"type": "map", "values": "string"}},
        {"name": "note", "type": ["null", "string"], "default": null}
      ]}""";

  private HttpServer registry;
  private final AtomicInteger fetches = new AtomicInteger();
  private AvroConverter conv;

  @BeforeEach
  void start() throws IOException {
    registry = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    registry.createContext("/schemas/ids/7", ex -> {
      fetches.incrementAndGet();
      byte[] body = ("{\"schema\": " + quote(SCHEMA) + "}").getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(200, body.length);
      ex.getResponseBody().write(body);
      ex.close();
    });
    registry.start();
    conv = new AvroConverter();
    conv.configure(Map.of("schema.registry.url", "http://127.0.0.1:" + registry.getAddress().getPort() + "/"), false);
  }

  @AfterEach
  void stop() {
    registry.stop(0);
  }

  @Test
  void readsConfluentWireFormatIntoAStruct() throws IOException {
    org.apache.avro.Schema avro = new org.apache.avro.Schema.Parser().parse(SCHEMA);
    GenericData.Record rec = new GenericData.Record(avro);
    rec.put("order_id", "o-1");
    rec.put("customer_id", 42L);
    rec.put("quantity", 3);
    rec.put("created_at", 1_767_225_600_000L);
    rec.put("tags", List.of("gift-wrap", "fragile"));
    rec.put("attributes", Map.of("sales_channel", "web-checkout"));
    rec.put("note", null);
    byte[] bytes = wire(7, avro, rec);

    SchemaAndValue sv = conv.toConnectData("t", bytes);
    Struct st = (Struct) sv.value();
    assertEquals("bench.Order", sv.schema().name());
    assertEquals("o-1", st.getString("order_id"));
    assertEquals(42L, st.getInt64("customer_id"));
    assertEquals(3, st.getInt32("quantity"));
    assertEquals(Timestamp.LOGICAL_NAME, sv.schema().field("created_at").schema().name());
    assertEquals(new Date(1_767_225_600_000L), st.get("created_at"));
    assertEquals(List.of("gift-wrap", "fragile"), st.getArray("tags"));
    assertEquals(Map.of("sales_channel", "web-checkout"), st.getMap("attributes"));
    assertEquals(Schema.Type.STRING, sv.schema().field("note").schema().type());
    assertTrue(sv.schema().field("note").schema().isOptional());
    assertNull(st.get("note"));

    // The writer schema is fetched once per id, and the Connect schema is
    // the same instance, which the sink relies on to cache its INSERT.
    SchemaAndValue again = conv.toConnectData("t", bytes);
    assertEquals(1, fetches.get());
    assertSame(sv.schema(), again.schema());
    assertEquals(st, again.value());
  }

  @Test
  void refusesOtherFormats() {
    assertThrows(DataException.class, () -> conv.toConnectData("t", "{\"a\":1}".getBytes(StandardCharsets.UTF_8)));
    assertNull(conv.toConnectData("t", null).value());
  }

  private static byte[] wire(int id, org.apache.avro.Schema schema, Object datum) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(0);
    out.write(ByteBuffer.allocate(4).putInt(id).array());
    BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
    new GenericDatumWriter<>(schema).write(datum, enc);
    enc.flush();
    return out.toByteArray();
  }

  private static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
  }
}
