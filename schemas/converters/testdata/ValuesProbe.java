// Prints Apache Connect's Values.parseString of each base64-encoded input
// line, in the rendering values_integration_test.go gives gonnect's.
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.*;
import org.apache.kafka.connect.data.*;

public class ValuesProbe {
    static String schema(Schema s) {
        if (s == null) return "-";
        String out = s.type().toString();
        if (s.name() != null) out += "(" + s.name() + (s.parameters() != null ? s.parameters().get("scale") : "") + ")";
        if (s.type() == Schema.Type.ARRAY) out += "<" + schema(s.valueSchema()) + ">";
        if (s.type() == Schema.Type.MAP) out += "<" + schema(s.keySchema()) + "," + schema(s.valueSchema()) + ">";
        return out;
    }

    static String value(Object v) {
        if (v == null) return "null";
        if (v instanceof String) return "s'" + v + "'";
        if (v instanceof Byte) return "i8:" + v;
        if (v instanceof Short) return "i16:" + v;
        if (v instanceof Integer) return "i32:" + v;
        if (v instanceof Long) return "i64:" + v;
        if (v instanceof Float) return "f32:" + Integer.toHexString(Float.floatToIntBits((Float) v));
        if (v instanceof Double) return "f64:" + Long.toHexString(Double.doubleToLongBits((Double) v));
        if (v instanceof Boolean) return "b:" + v;
        if (v instanceof BigDecimal) return "dec:" + ((BigDecimal) v).unscaledValue() + "e" + ((BigDecimal) v).scale();
        if (v instanceof java.util.Date) return "ms:" + ((java.util.Date) v).getTime();
        if (v instanceof List) {
            StringJoiner j = new StringJoiner(",", "[", "]");
            for (Object e : (List<?>) v) j.add(value(e));
            return j.toString();
        }
        if (v instanceof Map) {
            TreeMap<String, String> sorted = new TreeMap<>();
            for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) sorted.put(value(e.getKey()), value(e.getValue()));
            StringJoiner j = new StringJoiner(",", "{", "}");
            sorted.forEach((k, x) -> j.add(k + "=" + x));
            return j.toString();
        }
        return "?" + v.getClass().getName();
    }

    public static void main(String[] args) throws Exception {
        Scanner in = new Scanner(System.in, StandardCharsets.UTF_8);
        while (in.hasNextLine()) {
            String line = in.nextLine();
            String s = new String(Base64.getDecoder().decode(line), StandardCharsets.UTF_8);
            SchemaAndValue sv = Values.parseString(s);
            System.out.println(sv == null ? "- null" : schema(sv.schema()) + " " + value(sv.value()));
        }
    }
}
