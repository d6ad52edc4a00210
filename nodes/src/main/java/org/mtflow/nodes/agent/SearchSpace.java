package org.mtflow.nodes.agent;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The params a search varies, each a {@link Dimension}. Policies work in the unit cube [0, 1)^d, one
 * coordinate per dimension, and {@link #decode} turns a point into params, so a policy never needs to
 * know what a dimension is.
 *
 * <p>In a workflow file:
 * <pre>
 * space:
 *   lambda:  {range: [0.1, 1.5]}
 *   density: {range: [0.05, 1.0], log: true}
 *   epochs:  {int: [1, 9]}
 *   method:  {choice: [ties, dare-ties]}
 * </pre>
 */
public record SearchSpace(List<Dimension> dimensions) {

    public SearchSpace {
        if (dimensions.isEmpty()) throw new IllegalArgumentException("a search space needs at least one dimension");
        dimensions = List.copyOf(dimensions);
    }

    /** One param of the space. */
    public sealed interface Dimension permits Range, IntRange, Choice {
        String name();

        /** The value at unit coordinate {@code u} in [0, 1]. */
        Object decode(double u);
    }

    /** A real in [lo, hi], uniform or (log) uniform in log space. */
    public record Range(String name, double lo, double hi, boolean log) implements Dimension {
        public Range {
            if (!(lo < hi) || !Double.isFinite(lo) || !Double.isFinite(hi)) throw new IllegalArgumentException(name + ": range needs finite lo < hi, got [" + lo + ", " + hi + "]");
            if (log && !(lo > 0)) throw new IllegalArgumentException(name + ": a log range needs lo > 0, got " + lo);
        }

        @Override
        public Object decode(double u) {
            // exp(log(hi)) can miss hi by an ulp: the ends of the interval are the bounds exactly
            if (u <= 0) return lo;
            if (u >= 1) return hi;
            double v = log ? Math.exp(Math.log(lo) + u * (Math.log(hi) - Math.log(lo))) : lo + u * (hi - lo);
            return Math.max(lo, Math.min(hi, v));
        }
    }

    /** An integer in [lo, hi], both included: the unit interval cut into hi − lo + 1 equal cells. */
    public record IntRange(String name, long lo, long hi) implements Dimension {
        public IntRange {
            if (lo > hi) throw new IllegalArgumentException(name + ": int needs lo <= hi, got [" + lo + ", " + hi + "]");
        }

        @Override
        public Object decode(double u) {
            return Math.min(hi, lo + (long) Math.floor(u * (hi - lo + 1)));
        }

        public long count() { return hi - lo + 1; }
    }

    /** One of a list of values (strings, numbers or booleans), each an equal cell of the unit interval. */
    public record Choice(String name, List<Object> values) implements Dimension {
        public Choice {
            if (values.isEmpty()) throw new IllegalArgumentException(name + ": choice needs at least one value");
            values = Collections.unmodifiableList(new ArrayList<>(values));
        }

        @Override
        public Object decode(double u) {
            return values.get((int) Math.min(values.size() - 1, Math.floor(u * values.size())));
        }
    }

    public int size() { return dimensions.size(); }

    /** The params at a point of the unit cube, in the order of the dimensions. */
    public Map<String, Object> decode(double[] point) {
        if (point.length != dimensions.size()) throw new IllegalArgumentException("a point of " + point.length + " coordinates in a space of " + dimensions.size());
        Map<String, Object> params = new LinkedHashMap<>();
        for (int i = 0; i < point.length; i++) params.put(dimensions.get(i).name(), dimensions.get(i).decode(point[i]));
        return Collections.unmodifiableMap(params);
    }

    /**
     * Reads a space from its JSON/YAML form (see the class comment). {@code where} names the place for
     * errors, e.g. {@code "task 'search' param space"}.
     */
    public static SearchSpace parse(JsonNode node, String where) {
        if (node == null || !node.isObject() || node.isEmpty()) {
            throw new IllegalArgumentException(where + " must be a map of param name to {range: [lo, hi]}, {int: [lo, hi]} or {choice: [...]}");
        }
        List<Dimension> dims = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            String name = e.getKey(), at = where + "." + name;
            JsonNode d = e.getValue();
            try {
                dims.add(dimension(name, d, at));
            } catch (IllegalArgumentException ex) {
                throw new IllegalArgumentException(at + ": " + ex.getMessage(), ex);
            }
        }
        return new SearchSpace(dims);
    }

    private static Dimension dimension(String name, JsonNode d, String at) {
        String usage = "write {range: [lo, hi]} (add log: true for a log scale), {int: [lo, hi]} or {choice: [a, b, ...]}";
        if (!d.isObject()) throw new IllegalArgumentException(usage);
        for (String key : (Iterable<String>) d::fieldNames) {
            if (!List.of("range", "int", "choice", "log").contains(key)) throw new IllegalArgumentException("unknown key '" + key + "'; " + usage);
        }
        int kinds = (d.has("range") ? 1 : 0) + (d.has("int") ? 1 : 0) + (d.has("choice") ? 1 : 0);
        if (kinds != 1) throw new IllegalArgumentException("needs exactly one of range, int, choice; " + usage);
        if (d.has("log") && !(d.has("range") && d.get("log").isBoolean())) throw new IllegalArgumentException("log: true|false goes with range only");
        if (d.has("choice")) {
            JsonNode c = d.get("choice");
            if (!c.isArray() || c.isEmpty()) throw new IllegalArgumentException("choice must be a non-empty list");
            List<Object> values = new ArrayList<>();
            for (JsonNode v : c) {
                if (v.isTextual()) values.add(v.asText());
                else if (v.isIntegralNumber()) values.add(v.asLong());
                else if (v.isNumber()) values.add(v.asDouble());
                else if (v.isBoolean()) values.add(v.asBoolean());
                else throw new IllegalArgumentException("choice values must be strings, numbers or booleans, got " + v);
            }
            return new Choice(name, values);
        }
        JsonNode b = d.has("range") ? d.get("range") : d.get("int");
        if (!b.isArray() || b.size() != 2 || !b.get(0).isNumber() || !b.get(1).isNumber()) throw new IllegalArgumentException("bounds must be [lo, hi], got " + b);
        if (d.has("int")) {
            if (!b.get(0).isIntegralNumber() || !b.get(1).isIntegralNumber()) throw new IllegalArgumentException("int bounds must be integers, got " + b);
            return new IntRange(name, b.get(0).asLong(), b.get(1).asLong());
        }
        return new Range(name, b.get(0).asDouble(), b.get(1).asDouble(), d.has("log") && d.get("log").asBoolean());
    }
}
