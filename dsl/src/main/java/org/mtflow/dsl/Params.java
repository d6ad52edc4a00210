package org.mtflow.dsl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.mtflow.engine.spec.Suggestions;

/**
 * A script's params: each read declares the param with its default and gives its value, the
 * {@code --param name=value} override if there is one. Overrides are read as YAML values, as for
 * workflow files ({@code --param size=1024} is an integer). Pass them to {@link Workflow#params} so
 * the run records them, as a YAML workflow's {@code params:}.
 *
 * <pre>
 * public static Workflow workflow(Params params) {
 *     int size = params.integer("size", 512);
 *     return Workflow.named("hello").params(params) ...
 * </pre>
 */
public final class Params {
    private final Map<String, String> overrides;
    private final Map<String, JsonNode> declared = new LinkedHashMap<>();
    private final Map<String, JsonNode> defaults = new LinkedHashMap<>();

    private Params(Map<String, String> overrides) {
        this.overrides = Map.copyOf(overrides);
    }

    /** Params with these overrides (name → value text, as {@code --param} gives them). */
    public static Params of(Map<String, String> overrides) {
        return new Params(overrides);
    }

    /** No overrides: every param takes its default. */
    public static Params defaults() {
        return new Params(Map.of());
    }

    /** Thrown when an override does not fit its param; the script loader reports it at the script's line. */
    public static final class ParamException extends IllegalArgumentException {
        ParamException(String message) {
            super(message);
        }
    }

    public int integer(String name, int defaultValue) {
        JsonNode v = value(name, JsonNodeFactory.instance.numberNode(defaultValue));
        if (!v.isIntegralNumber() || !v.canConvertToInt()) throw mismatch(name, v, "an integer (a 32-bit int)");
        return v.intValue();
    }

    public long integer(String name, long defaultValue) {
        JsonNode v = value(name, JsonNodeFactory.instance.numberNode(defaultValue));
        if (!v.isIntegralNumber() || !v.canConvertToLong()) throw mismatch(name, v, "an integer (a 64-bit long)");
        return v.longValue();
    }

    public double number(String name, double defaultValue) {
        JsonNode v = value(name, JsonNodeFactory.instance.numberNode(defaultValue));
        if (!v.isNumber()) throw mismatch(name, v, "a number");
        return v.doubleValue();
    }

    public boolean flag(String name, boolean defaultValue) {
        JsonNode v = value(name, JsonNodeFactory.instance.booleanNode(defaultValue));
        if (!v.isBoolean()) throw mismatch(name, v, "true or false");
        return v.booleanValue();
    }

    /** Any scalar override is taken as its text ({@code --param tag=2024} gives "2024"). */
    public String text(String name, String defaultValue) {
        JsonNode v = value(name, JsonNodeFactory.instance.textNode(java.util.Objects.requireNonNull(defaultValue, "default")));
        if (!v.isValueNode() || v.isNull()) throw mismatch(name, v, "a string");
        if (!v.isTextual()) {
            v = JsonNodeFactory.instance.textNode(v.asText());
            declared.put(name, v);
        }
        return v.asText();
    }

    /** The param's value: the override parsed as YAML, else the default. Declares the param. */
    private JsonNode value(String name, JsonNode defaultValue) {
        JsonNode before = defaults.putIfAbsent(name, defaultValue);
        if (before != null && !before.equals(defaultValue)) {
            throw new ParamException("param '" + name + "' is read with two defaults, " + before + " and "
                    + defaultValue + " (read it once and keep the value)");
        }
        if (declared.containsKey(name)) return declared.get(name);
        JsonNode v = defaultValue;
        String text = overrides.get(name);
        if (text != null) {
            try {
                YamlReader.Result r = YamlReader.read(text);
                if (!r.errors().isEmpty()) throw new ParamException("--param " + name + "=" + text + ": " + r.errors().get(0).text());
                v = r.root() == null ? JsonNodeFactory.instance.nullNode() : r.root().toJson();
            } catch (YamlReader.SyntaxError e) {
                throw new ParamException("--param " + name + "=" + text + ": " + e.diagnostic.text());
            }
        }
        declared.put(name, v);
        return v;
    }

    private ParamException mismatch(String name, JsonNode got, String expected) {
        declared.remove(name);
        return new ParamException("--param " + name + "=" + overrides.get(name) + ": param '" + name + "' is "
                + expected + " (its default is " + defaults.get(name) + ")");
    }

    /** The params read so far with their values, in the order first read. */
    ObjectNode values() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        declared.forEach(o::set);
        return o;
    }

    /** Overrides of params the script never read, each with a suggestion. */
    List<String> unknownOverrides() {
        Set<String> names = defaults.keySet();
        return overrides.keySet().stream().sorted().filter(n -> !names.contains(n))
                .map(n -> "unknown param '" + n + "' (given by --param)"
                        + (names.isEmpty() ? "; the script reads no params"
                        : " (" + Suggestions.didYouMean(n, names) + ")"))
                .toList();
    }
}
