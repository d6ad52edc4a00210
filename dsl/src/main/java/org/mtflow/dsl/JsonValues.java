package org.mtflow.dsl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.reflect.Array;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Collection;
import java.util.Map;

/**
 * Java values as the JSON values the YAML reader would give for the same text, so a script and a
 * YAML file for one workflow produce equal specs: integers as the narrowest of int, long and
 * BigInteger, floats as doubles (a {@code float} by its decimal text: {@code 0.1f} is 0.1), lists and
 * arrays as JSON arrays, maps with text keys as JSON objects.
 */
final class JsonValues {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private JsonValues() {}

    /** Why a value cannot be a param value. */
    static final class Unsupported extends Exception {
        Unsupported(String message) {
            super(message);
        }
    }

    static JsonNode of(Object v) throws Unsupported {
        if (v == null) return NODES.nullNode();
        if (v instanceof JsonNode j) return j.deepCopy();
        if (v instanceof Template t) return t.json();
        if (v instanceof String s) return NODES.textNode(s);
        if (v instanceof Boolean b) return NODES.booleanNode(b);
        if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
            return integer(BigInteger.valueOf(((Number) v).longValue()));
        }
        if (v instanceof BigInteger b) return integer(b);
        if (v instanceof Float f) return real(Double.parseDouble(f.toString()));
        if (v instanceof Double || v instanceof BigDecimal) return real(((Number) v).doubleValue());
        if (v instanceof Character c) return NODES.textNode(c.toString());
        if (v instanceof Enum<?> e) return NODES.textNode(e.name().toLowerCase(java.util.Locale.ROOT));
        if (v instanceof Collection<?> c) {
            ArrayNode a = NODES.arrayNode();
            for (Object i : c) a.add(of(i));
            return a;
        }
        if (v.getClass().isArray()) {
            ArrayNode a = NODES.arrayNode();
            for (int i = 0; i < Array.getLength(v); i++) a.add(of(Array.get(v, i)));
            return a;
        }
        if (v instanceof Map<?, ?> m) {
            ObjectNode o = NODES.objectNode();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!(e.getKey() instanceof String key)) {
                    throw new Unsupported("map keys must be strings, got " + describe(e.getKey()));
                }
                o.set(key, of(e.getValue()));
            }
            return o;
        }
        throw new Unsupported("cannot use " + describe(v) + " as a param value (use a number, string, boolean,"
                + " list, array or map of them)");
    }

    private static JsonNode integer(BigInteger v) {
        if (v.bitLength() < 32) return NODES.numberNode(v.intValue());
        if (v.bitLength() < 64) return NODES.numberNode(v.longValue());
        return NODES.numberNode(v);
    }

    private static JsonNode real(double d) throws Unsupported {
        if (!Double.isFinite(d)) throw new Unsupported(d + " cannot be written in a workflow (only finite numbers)");
        return NODES.numberNode(d);
    }

    private static String describe(Object v) {
        return v == null ? "null" : "a " + v.getClass().getSimpleName() + " (" + v + ")";
    }
}
