package gonnect.bench.reference;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.LogicalTypes;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.data.Timestamp;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.storage.Converter;

/**
 * Reads Confluent's Avro wire format (magic byte 0, 4-byte schema id, Avro
 * binary) into Connect data, the way Confluent's AvroConverter does: the
 * writer schema is fetched once per id from a registry speaking Confluent's
 * REST API, decoded with Avro's GenericDatumReader and mapped to a Connect
 * Struct. Confluent's own converter is not published on Maven Central.
 * Only deserialisation is supported: a sink never serialises values.
 */
public class AvroConverter implements Converter {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Map<Integer, Reader> readers = new ConcurrentHashMap<>();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private String registry;
  private BinaryDecoder decoder;

  /** A writer schema with its datum reader and Connect schema. */
  private record Reader(GenericDatumReader<Object> datum, Schema connect) {}

  @Override
  public void configure(Map<String, ?> configs, boolean isKey) {
    Object url = configs.get("schema.registry.url");
    if (url == null) {
      throw new DataException("schema.registry.url is required");
    }
    registry = url.toString().split(",")[0].replaceAll("/+$", "");
  }

  @Override
  public byte[] fromConnectData(String topic, Schema schema, Object value) {
    throw new DataException("this converter only reads Avro");
  }

  @Override
  public SchemaAndValue toConnectData(String topic, byte[] value) {
    if (value == null) {
      return SchemaAndValue.NULL;
    }
    if (value.length < 5 || value[0] != 0) {
      throw new DataException("not Confluent Avro wire format (topic " + topic + ")");
    }
    int id = ByteBuffer.wrap(value, 1, 4).getInt();
    Reader r = readers.computeIfAbsent(id, this::fetch);
    decoder = DecoderFactory.get().binaryDecoder(value, 5, value.length - 5, decoder);
    try {
      Object datum = r.datum.read(null, decoder);
      return new SchemaAndValue(r.connect, toConnect(r.connect, datum));
    } catch (IOException | RuntimeException e) {
      throw new DataException("decoding Avro with schema id " + id + " (topic " + topic + ")", e);
    }
  }

  private Reader fetch(int id) {
    HttpRequest req = HttpRequest.newBuilder(URI.create(registry + "/schemas/ids/" + id))
        .timeout(Duration.ofSeconds(30)).GET().build();
    try {
      HttpResponse<String> resp = http.send(req, HttpResponse.BodyHandlers.ofString());
      if (resp.statusCode() != 200) {
        throw new DataException("registry answered " + resp.statusCode() + " for schema id " + id + ": " + resp.body());
      }
      String text = JSON.readTree(resp.body()).path("schema").asText();
      org.apache.avro.Schema avro = new org.apache.avro.Schema.Parser().parse(text);
      return new Reader(new GenericDatumReader<>(avro), toConnectSchema(avro, false));
    } catch (IOException e) {
      throw new DataException("fetching schema id " + id + " from " + registry, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DataException("interrupted fetching schema id " + id, e);
    }
  }

  static Schema toConnectSchema(org.apache.avro.Schema s, boolean optional) {
    SchemaBuilder b;
    switch (s.getType()) {
      case UNION -> {
        // [null, T] is an optional T; other unions are out of this converter's scope.
        List<org.apache.avro.Schema> types = s.getTypes();
        if (types.size() == 2 && types.get(0).getType() == org.apache.avro.Schema.Type.NULL) {
          return toConnectSchema(types.get(1), true);
        }
        if (types.size() == 2 && types.get(1).getType() == org.apache.avro.Schema.Type.NULL) {
          return toConnectSchema(types.get(0), true);
        }
        throw new DataException("unsupported Avro union " + s);
      }
      case RECORD -> {
        b = SchemaBuilder.struct().name(s.getFullName());
        for (org.apache.avro.Schema.Field f : s.getFields()) {
          b.field(f.name(), toConnectSchema(f.schema(), false));
        }
      }
      case ARRAY -> b = SchemaBuilder.array(toConnectSchema(s.getElementType(), false));
      case MAP -> b = SchemaBuilder.map(Schema.STRING_SCHEMA, toConnectSchema(s.getValueType(), false));
      case STRING, ENUM -> b = SchemaBuilder.string();
      case LONG -> b = s.getLogicalType() instanceof LogicalTypes.TimestampMillis ? Timestamp.builder() : SchemaBuilder.int64();
      case INT -> b = SchemaBuilder.int32();
      case DOUBLE -> b = SchemaBuilder.float64();
      case FLOAT -> b = SchemaBuilder.float32();
      case BOOLEAN -> b = SchemaBuilder.bool();
      case BYTES, FIXED -> b = SchemaBuilder.bytes();
      default -> throw new DataException("unsupported Avro type " + s.getType());
    }
    if (optional) {
      b.optional();
    }
    return b.build();
  }

  static Object toConnect(Schema schema, Object v) {
    if (v == null) {
      return null;
    }
    switch (schema.type()) {
      case STRUCT: {
        GenericRecord rec = (GenericRecord) v;
        Struct st = new Struct(schema);
        for (org.apache.kafka.connect.data.Field f : schema.fields()) {
          st.put(f, toConnect(f.schema(), rec.get(f.index())));
        }
        return st;
      }
      case ARRAY: {
        List<?> in = (List<?>) v;
        List<Object> out = new ArrayList<>(in.size());
        for (Object e : in) {
          out.add(toConnect(schema.valueSchema(), e));
        }
        return out;
      }
      case MAP: {
        Map<?, ?> in = (Map<?, ?>) v;
        Map<String, Object> out = new HashMap<>(in.size() * 2);
        for (Map.Entry<?, ?> e : in.entrySet()) {
          out.put(e.getKey().toString(), toConnect(schema.valueSchema(), e.getValue()));
        }
        return out;
      }
      case STRING:
        return v.toString(); // Avro yields Utf8
      case INT64:
        return Timestamp.LOGICAL_NAME.equals(schema.name()) ? new Date((Long) v) : v;
      case BYTES:
        if (v instanceof ByteBuffer bb) {
          byte[] out = new byte[bb.remaining()];
          bb.duplicate().get(out);
          return out;
        }
        return ((org.apache.avro.generic.GenericFixed) v).bytes();
      default:
        return v;
    }
  }
}
