package org.mtflow.nodes.agent.llm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.mtflow.engine.event.Json;
import org.mtflow.engine.node.SubtaskResult;
import org.mtflow.engine.store.ArtifactRef;
import org.mtflow.nodes.agent.SearchSpace;

/**
 * One entry of the agent's allowlist: a node type the model may run, the params it may set (each
 * with its range or choices, in {@link SearchSpace}'s form), the params always passed, and which of
 * the agent's input artifacts each of the subtask's inputs gets. Arguments are checked here, before
 * anything runs; a call that does not fit is refused with a message saying exactly why.
 *
 * @param name        the function name the model sees ({@code [A-Za-z0-9_-]{1,64}})
 * @param node        the node type a call spawns
 * @param description what the model is told the tool does
 * @param params      the arguments, all required; empty when the model sets none
 * @param into        the param the arguments go under (say {@code parameters} for merge.*), null for the top level
 * @param fixed       params every call passes, never set by the model
 * @param inputs      the subtask's input name → indices into the agent's input {@code x}
 * @param fromCalls   subtask inputs the model fills with an output of an earlier call, written {@code call<N>.<output>}
 */
public record Tool(String name, String node, String description, List<SearchSpace.Dimension> params, String into, ObjectNode fixed,
                   Map<String, List<Integer>> inputs, List<String> fromCalls) {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    private static final Pattern CALL_OUTPUT = Pattern.compile("(call[0-9]+)\\.([A-Za-z0-9_-]+)");
    private static final List<String> KEYS = List.of("node", "name", "description", "params", "into", "fixed", "inputs", "from-calls");

    public Tool {
        params = List.copyOf(params);
        fixed = fixed.deepCopy();
        inputs = Collections.unmodifiableMap(new LinkedHashMap<>(inputs));
        fromCalls = List.copyOf(fromCalls);
    }

    /** A checked call: the subtask's params and inputs. */
    public record Bound(ObjectNode params, Map<String, List<ArtifactRef>> inputs) {}

    /** The allowlist from the {@code tools} param; {@code where} names it in errors. */
    public static List<Tool> parseAll(JsonNode tools, int inputCount, String where) {
        if (tools == null || !tools.isArray() || tools.isEmpty()) throw new IllegalArgumentException(where + " must list at least one tool {node, description, params, fixed, inputs}");
        List<Tool> out = new ArrayList<>();
        for (int i = 0; i < tools.size(); i++) {
            Tool t = parse(tools.get(i), inputCount, where + "[" + i + "]");
            for (Tool o : out) {
                if (o.name.equals(t.name)) throw new IllegalArgumentException(where + "[" + i + "]: a second tool named '" + t.name + "'; give one a different name");
            }
            out.add(t);
        }
        return List.copyOf(out);
    }

    /**
     * One tool. {@code inputCount} is the number of artifacts bound to the agent's input {@code x}, or
     * -1 when unknown yet (when the workflow is validated), which skips the index bounds check.
     */
    static Tool parse(JsonNode t, int inputCount, String at) {
        if (t == null || !t.isObject()) throw new IllegalArgumentException(at + " must be a map {node, description, params, fixed, inputs}");
        for (String key : (Iterable<String>) t::fieldNames) {
            if (!KEYS.contains(key)) throw new IllegalArgumentException(at + ": unknown key '" + key + "'; a tool takes " + String.join(", ", KEYS));
        }
        JsonNode node = t.get("node");
        if (node == null || !node.isTextual() || node.asText().isBlank()) throw new IllegalArgumentException(at + ".node must name a node type, e.g. merge.ties");
        String type = node.asText();
        String name = t.has("name") ? t.get("name").asText() : type.replace('.', '_');
        if (!NAME.matcher(name).matches()) throw new IllegalArgumentException(at + ".name '" + name + "' must be 1-64 letters, digits, '_' or '-'");
        String description = t.has("description") ? t.get("description").asText() : "Runs node type " + type + " and answers with its metrics and output hashes.";
        List<SearchSpace.Dimension> dims = t.has("params") && !t.get("params").isEmpty()
                ? SearchSpace.parse(t.get("params"), at + ".params").dimensions() : List.of();
        JsonNode fixed = t.has("fixed") ? t.get("fixed") : Json.MAPPER.createObjectNode();
        if (!fixed.isObject()) throw new IllegalArgumentException(at + ".fixed must be a map of param → value");
        String into = null;
        if (t.has("into")) {
            if (!t.get("into").isTextual() || t.get("into").asText().isBlank()) throw new IllegalArgumentException(at + ".into must name the param the arguments go under, e.g. parameters");
            into = t.get("into").asText();
            if (fixed.has(into) && !fixed.get(into).isObject()) throw new IllegalArgumentException(at + ".fixed." + into + " must be a map: the arguments go into it");
        }
        JsonNode fixedArgs = into == null ? fixed : fixed.path(into);
        for (SearchSpace.Dimension d : dims) {
            if (fixedArgs.has(d.name())) throw new IllegalArgumentException(at + ": param '" + d.name() + "' is both in params and in fixed; keep one");
        }
        Map<String, List<Integer>> inputs = new LinkedHashMap<>();
        if (t.has("inputs")) {
            JsonNode in = t.get("inputs");
            if (!in.isObject()) throw new IllegalArgumentException(at + ".inputs must map each input of " + type + " to indices into the agent's input x, e.g. {models: [0, 1], base: [2]}");
            for (Map.Entry<String, JsonNode> e : in.properties()) {
                List<Integer> idx = new ArrayList<>();
                JsonNode v = e.getValue();
                if (!v.isArray() || v.isEmpty()) throw new IllegalArgumentException(at + ".inputs." + e.getKey() + " must be a non-empty list of indices into x, got " + v);
                for (JsonNode k : v) {
                    if (!k.isIntegralNumber() || k.asInt() < 0 || (inputCount >= 0 && k.asInt() >= inputCount)) {
                        throw new IllegalArgumentException(at + ".inputs." + e.getKey() + ": " + k + " is not an index of x"
                                + (inputCount >= 0 ? " (it holds " + inputCount + " artifacts: 0.." + (inputCount - 1) + ")" : ""));
                    }
                    idx.add(k.asInt());
                }
                inputs.put(e.getKey(), idx);
            }
        }
        List<String> fromCalls = new ArrayList<>();
        if (t.has("from-calls")) {
            JsonNode fc = t.get("from-calls");
            if (!fc.isArray()) throw new IllegalArgumentException(at + ".from-calls must list inputs of " + type + " the model fills with an earlier call's output, e.g. [model]");
            for (JsonNode f : fc) {
                String input = f.asText();
                if (!f.isTextual() || inputs.containsKey(input) || fromCalls.contains(input) || dims.stream().anyMatch(d -> d.name().equals(input))) {
                    throw new IllegalArgumentException(at + ".from-calls: '" + f.asText() + "' must be an input name not already in inputs or params");
                }
                fromCalls.add(input);
            }
        }
        return new Tool(name, type, description, dims, into, (ObjectNode) fixed, inputs, fromCalls);
    }

    /** The tool as the request's {@code tools[]} entry: a function with a JSON-schema for its arguments. */
    public ObjectNode definition() {
        ObjectNode def = Json.MAPPER.createObjectNode().put("type", "function");
        ObjectNode f = def.putObject("function").put("name", name).put("description", description);
        ObjectNode schema = f.putObject("parameters").put("type", "object");
        ObjectNode props = schema.putObject("properties");
        ArrayNode required = schema.putArray("required");
        for (SearchSpace.Dimension d : params) {
            ObjectNode p = props.putObject(d.name());
            if (d instanceof SearchSpace.Range r) {
                p.put("type", "number").put("minimum", r.lo()).put("maximum", r.hi());
            } else if (d instanceof SearchSpace.IntRange r) {
                p.put("type", "integer").put("minimum", r.lo()).put("maximum", r.hi());
            } else if (d instanceof SearchSpace.Choice c) {
                ArrayNode values = p.putArray("enum");
                c.values().forEach(v -> values.add(Json.MAPPER.valueToTree(v)));
            }
            required.add(d.name());
        }
        for (String input : fromCalls) {
            props.putObject(input).put("type", "string").put("pattern", "^call[0-9]+\\.[A-Za-z0-9_-]+$")
                    .put("description", "an output of an earlier call, e.g. call1." + input);
            required.add(input);
        }
        schema.put("additionalProperties", false);
        return def;
    }

    /**
     * The subtask for a call's arguments (a JSON object as text): every argument known, of the right type
     * and within its range or choices (an earlier call's output for a from-calls input), none missing; the
     * fixed params added. Throws {@link IllegalArgumentException} with the message the model is sent back.
     *
     * @param x       the agent's input artifacts
     * @param earlier the calls run so far, by name ({@code call1}, ...)
     */
    public Bound bind(String arguments, List<ArtifactRef> x, Map<String, SubtaskResult> earlier) {
        JsonNode args;
        try {
            args = arguments == null || arguments.isBlank() ? Json.MAPPER.createObjectNode() : Json.MAPPER.readTree(arguments);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("arguments are not valid JSON (" + e.getOriginalMessage() + "): " + ChatReply.snippet(arguments));
        }
        if (args == null || !args.isObject()) throw new IllegalArgumentException("arguments must be a JSON object, got " + ChatReply.snippet(arguments));
        Map<String, SearchSpace.Dimension> known = new LinkedHashMap<>();
        params.forEach(d -> known.put(d.name(), d));
        List<String> names = new ArrayList<>(known.keySet());
        names.addAll(fromCalls);
        ObjectNode given = Json.MAPPER.createObjectNode();
        Map<String, List<ArtifactRef>> in = new LinkedHashMap<>();
        inputs.forEach((input, idx) -> in.put(input, idx.stream().map(x::get).toList()));
        for (Map.Entry<String, JsonNode> e : args.properties()) {
            SearchSpace.Dimension d = known.get(e.getKey());
            if (d != null) {
                given.set(d.name(), checked(d, e.getValue()));
            } else if (fromCalls.contains(e.getKey())) {
                in.put(e.getKey(), List.of(earlierOutput(e.getKey(), e.getValue(), earlier)));
            } else {
                throw new IllegalArgumentException("unknown argument '" + e.getKey() + "' for " + name + "; "
                        + (names.isEmpty() ? "it takes none" : "its arguments are " + String.join(", ", names)));
            }
        }
        for (String n : names) {
            if (!args.has(n)) {
                throw new IllegalArgumentException("missing argument '" + n + "' for " + name + " ("
                        + (known.containsKey(n) ? describe(known.get(n)) : "an earlier call's output, e.g. call1." + n) + ")");
            }
        }
        ObjectNode out = fixed.deepCopy();
        if (into == null) {
            out.setAll(given);
        } else {
            ObjectNode nested = out.has(into) ? (ObjectNode) out.get(into) : out.putObject(into);
            nested.setAll(given);
        }
        return new Bound(out, in);
    }

    private static ArtifactRef earlierOutput(String arg, JsonNode v, Map<String, SubtaskResult> earlier) {
        var m = v.isTextual() ? CALL_OUTPUT.matcher(v.asText()) : null;
        if (m == null || !m.matches()) throw new IllegalArgumentException("argument '" + arg + "' must name an earlier call's output as call<N>.<output>, got " + v);
        SubtaskResult r = earlier.get(m.group(1));
        if (r == null) {
            throw new IllegalArgumentException("argument '" + arg + "' = " + v + " names no earlier call; "
                    + (earlier.isEmpty() ? "no call has run yet" : "the calls so far are " + String.join(", ", earlier.keySet())));
        }
        if (!r.succeeded()) throw new IllegalArgumentException("argument '" + arg + "' = " + v + ": " + m.group(1) + " failed and has no outputs");
        ArtifactRef ref = r.outputs().get(m.group(2));
        if (ref == null) throw new IllegalArgumentException("argument '" + arg + "' = " + v + ": " + m.group(1) + " has no output '" + m.group(2) + "'; its outputs are " + String.join(", ", r.outputs().keySet()));
        return ref;
    }

    private static JsonNode checked(SearchSpace.Dimension d, JsonNode v) {
        String arg = "argument '" + d.name() + "'";
        if (d instanceof SearchSpace.Range r) {
            if (!v.isNumber()) throw new IllegalArgumentException(arg + " must be a number, got " + v);
            double x = v.asDouble();
            if (!(x >= r.lo() && x <= r.hi())) throw new IllegalArgumentException(arg + " = " + v + " is out of range [" + r.lo() + ", " + r.hi() + "]");
            return Json.MAPPER.getNodeFactory().numberNode(x);
        }
        if (d instanceof SearchSpace.IntRange r) {
            if (!v.isIntegralNumber() || !v.canConvertToLong()) throw new IllegalArgumentException(arg + " must be an integer, got " + v);
            long x = v.asLong();
            if (x < r.lo() || x > r.hi()) throw new IllegalArgumentException(arg + " = " + v + " is out of range [" + r.lo() + ", " + r.hi() + "]");
            return Json.MAPPER.getNodeFactory().numberNode(x);
        }
        SearchSpace.Choice c = (SearchSpace.Choice) d;
        for (Object option : c.values()) {
            if (matches(option, v)) return Json.MAPPER.valueToTree(option);
        }
        throw new IllegalArgumentException(arg + " = " + v + " is not one of " + Json.MAPPER.valueToTree(c.values()));
    }

    /** A choice matches a value of its own kind only: "1" is not 1, 1.0 is 1 (JSON has one number type). */
    private static boolean matches(Object option, JsonNode v) {
        if (option instanceof String s) return v.isTextual() && v.asText().equals(s);
        if (option instanceof Boolean b) return v.isBoolean() && v.asBoolean() == b;
        if (option instanceof Number n) return v.isNumber() && v.asDouble() == n.doubleValue();
        return false;
    }

    private static String describe(SearchSpace.Dimension d) {
        if (d instanceof SearchSpace.Range r) return "a number in [" + r.lo() + ", " + r.hi() + "]";
        if (d instanceof SearchSpace.IntRange r) return "an integer in [" + r.lo() + ", " + r.hi() + "]";
        return "one of " + Json.MAPPER.valueToTree(((SearchSpace.Choice) d).values());
    }
}
