package org.mtflow.nodes.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.mtflow.engine.event.Json;
import org.mtflow.engine.node.NodeCatalog;
import org.mtflow.engine.node.NodeType;
import org.mtflow.engine.node.ParamsBinder;
import org.mtflow.engine.node.Port;
import org.mtflow.engine.spec.Problem;
import org.mtflow.engine.spec.Suggestions;

/**
 * The small graph of tasks a search runs once per candidate, in the shape of a workflow's tasks:
 * <pre>
 * template:
 *   tasks:
 *     merge: {type: merge.ties, inputs: {base: inputs.base, models: inputs.models},
 *             with: {parameters: {lambda: "${candidate.lambda}"}}}
 *     score: {type: eval.metrics, inputs: {predictions: predict.predictions, dataset: inputs.dataset}}
 * </pre>
 * ({@code tasks} may also be a list of tasks with an {@code id} each). An input names an input of the
 * search task ({@code inputs.NAME}) or another template task's output ({@code TASK.OUTPUT}), or a list
 * of those; {@code ${candidate.NAME}} in {@code with} takes a candidate's param. Steps are kept in
 * dependency order: each step's {@link Step#level} is one more than the deepest step it reads.
 */
public record Template(List<Step> steps) {
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,63}");
    private static final Pattern CANDIDATE = Pattern.compile("\\$\\{\\s*candidate\\.([^}]*?)\\s*}");
    private static final Pattern ANY_REF = Pattern.compile("\\$\\{[^}]*}");
    private static final List<String> TASK_KEYS = List.of("id", "type", "with", "inputs");

    public Template {
        steps = List.copyOf(steps);
    }

    /** Where a template task's input comes from. */
    public sealed interface Source permits SearchInput, StepOutput {}

    /** An input of the search task, every artifact of it: {@code inputs.NAME}. */
    public record SearchInput(String name) implements Source {}

    /** Another template task's output: {@code TASK.OUTPUT}. */
    public record StepOutput(String step, String output) implements Source {}

    /**
     * One template task.
     *
     * @param with   its params, {@code ${candidate.NAME}} still in them
     * @param inputs input name → its sources, in order
     * @param level  0 for a task that reads no other template task, else 1 + the deepest it reads
     */
    public record Step(String id, String type, ObjectNode with, Map<String, List<Source>> inputs, int level) {
        public Step {
            with = with.deepCopy();
            inputs = Map.copyOf(inputs);
        }

        @Override public ObjectNode with() { return with.deepCopy(); }
    }

    public Step step(String id) {
        return steps.stream().filter(s -> s.id().equals(id)).findFirst().orElse(null);
    }

    public int levels() {
        return steps.stream().mapToInt(Step::level).max().orElse(-1) + 1;
    }

    /**
     * Reads and checks a template: ids, keys, references between its tasks (no cycles), the search
     * inputs it names (one of {@code searchInputs}) and the candidate params it names (one of
     * {@code candidateParams}: the space's, and any a policy adds, such as halving's budget). Errors
     * name the template task and say what to write.
     */
    public static Template parse(JsonNode node, Set<String> searchInputs, Set<String> candidateParams) {
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("template must be a map {tasks: {ID: {type, with, inputs}}} (or {uses: FILE}, which the"
                    + " workflow loader reads), got " + (node == null ? "nothing" : node.getNodeType().toString().toLowerCase()));
        }
        if (node.has("uses")) {
            throw new IllegalArgumentException("template {uses: " + node.get("uses") + "} was not read: the workflow loader replaces it by"
                    + " the file's tasks; load the workflow from its file (mtflow run FILE), or write the tasks inline");
        }
        for (String key : (Iterable<String>) node::fieldNames) {
            if (!key.equals("tasks")) throw new IllegalArgumentException("template: unknown key '" + key + "' (a template has only 'tasks')");
        }
        JsonNode tasks = node.get("tasks");
        Map<String, JsonNode> byId = new LinkedHashMap<>();
        if (tasks != null && tasks.isObject()) {
            for (Map.Entry<String, JsonNode> e : tasks.properties()) byId.put(e.getKey(), e.getValue());
        } else if (tasks != null && tasks.isArray()) {
            for (int i = 0; i < tasks.size(); i++) {
                JsonNode t = tasks.get(i);
                if (!t.isObject() || !t.path("id").isTextual()) {
                    throw new IllegalArgumentException("template task #" + i + " needs an id, such as {id: merge, type: merge.ties, ...}");
                }
                if (byId.put(t.get("id").asText(), t) != null) {
                    throw new IllegalArgumentException("template task '" + t.get("id").asText() + "' is defined twice");
                }
            }
        }
        if (byId.isEmpty()) {
            throw new IllegalArgumentException("template needs tasks: a map of ID: {type, with, inputs} (or a list with an id each), with at least one task");
        }
        Set<String> params = new HashSet<>(candidateParams);
        Map<String, Raw> raw = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : byId.entrySet()) {
            raw.put(e.getKey(), raw(e.getKey(), e.getValue(), byId.keySet(), searchInputs, params));
        }
        Map<String, Integer> levels = new LinkedHashMap<>();
        for (String id : raw.keySet()) level(id, raw, levels, new ArrayList<>());
        List<Step> steps = new ArrayList<>();
        raw.forEach((id, r) -> steps.add(new Step(id, r.type, r.with, r.inputs, levels.get(id))));
        return new Template(steps);
    }

    private record Raw(String type, ObjectNode with, Map<String, List<Source>> inputs) {}

    private static Raw raw(String id, JsonNode t, Set<String> ids, Set<String> searchInputs, Set<String> params) {
        String at = "template task '" + id + "'";
        if (!ID.matcher(id).matches()) {
            throw new IllegalArgumentException(at + ": an id is 1-64 letters, digits, '_' or '-', starting with a letter or digit");
        }
        if (!t.isObject()) throw new IllegalArgumentException(at + " must be a map {type, with, inputs}");
        for (String key : (Iterable<String>) t::fieldNames) {
            if (!TASK_KEYS.contains(key)) {
                throw new IllegalArgumentException(at + ": unknown key '" + key + "' (a template task takes type, with and inputs;"
                        + " retry, timeout and resources are the search task's)");
            }
        }
        if (!t.path("type").isTextual() || t.get("type").asText().isBlank()) {
            throw new IllegalArgumentException(at + " needs a type, the node type it runs (e.g. merge.ties)");
        }
        JsonNode with = t.get("with");
        if (with != null && !with.isNull() && !with.isObject()) throw new IllegalArgumentException(at + ": with must be a map of params");
        ObjectNode w = with == null || with.isNull() ? Json.MAPPER.createObjectNode() : (ObjectNode) with;
        checkRefs(w, at, params);
        Map<String, List<Source>> inputs = new LinkedHashMap<>();
        JsonNode in = t.get("inputs");
        if (in != null && !in.isNull()) {
            if (!in.isObject()) throw new IllegalArgumentException(at + ": inputs must be a map of input name: source");
            for (Map.Entry<String, JsonNode> e : in.properties()) {
                List<Source> sources = new ArrayList<>();
                JsonNode v = e.getValue();
                for (JsonNode s : v.isArray() ? v : List.of(v)) sources.add(source(s, at + " input '" + e.getKey() + "'", id, ids, searchInputs));
                if (sources.isEmpty()) throw new IllegalArgumentException(at + " input '" + e.getKey() + "' is an empty list");
                inputs.put(e.getKey(), sources);
            }
        }
        return new Raw(t.get("type").asText(), w, inputs);
    }

    private static Source source(JsonNode s, String at, String self, Set<String> ids, Set<String> searchInputs) {
        String usage = "write inputs.NAME (an input of the search task: " + String.join(", ", searchInputs)
                + ") or TASK.OUTPUT (another template task's output)";
        if (!s.isTextual()) throw new IllegalArgumentException(at + ": " + s + " is no source; " + usage);
        String text = s.asText();
        int dot = text.indexOf('.');
        if (dot <= 0 || dot == text.length() - 1) throw new IllegalArgumentException(at + ": '" + text + "' is no source; " + usage);
        String head = text.substring(0, dot), tail = text.substring(dot + 1);
        if (head.equals("inputs")) {
            if (!searchInputs.contains(tail)) {
                throw new IllegalArgumentException(at + ": '" + text + "' names no input of the search task (it has "
                        + String.join(", ", searchInputs) + ")");
            }
            return new SearchInput(tail);
        }
        if (head.equals(self)) throw new IllegalArgumentException(at + ": '" + text + "' reads the task's own output");
        if (!ids.contains(head)) {
            throw new IllegalArgumentException(at + ": '" + text + "' names no template task (there are " + String.join(", ", ids)
                    + "); " + usage);
        }
        return new StepOutput(head, tail);
    }

    private static int level(String id, Map<String, Raw> raw, Map<String, Integer> levels, List<String> path) {
        Integer known = levels.get(id);
        if (known != null) return known;
        if (path.contains(id)) {
            List<String> cycle = new ArrayList<>(path.subList(path.indexOf(id), path.size()));
            cycle.add(id);
            throw new IllegalArgumentException("template tasks form a cycle: " + String.join(" -> ", cycle));
        }
        path.add(id);
        int level = 0;
        for (List<Source> sources : raw.get(id).inputs.values()) {
            for (Source s : sources) {
                if (s instanceof StepOutput o) level = Math.max(level, level(o.step(), raw, levels, path) + 1);
            }
        }
        path.remove(path.size() - 1);
        levels.put(id, level);
        return level;
    }

    /** Every {@code ${...}} in a string value must be {@code ${candidate.NAME}} with NAME a param of the space. */
    private static void checkRefs(JsonNode n, String at, Set<String> params) {
        if (n.isContainerNode()) {
            n.forEach(c -> checkRefs(c, at, params));
            return;
        }
        if (!n.isTextual()) return;
        Matcher m = ANY_REF.matcher(n.asText());
        while (m.find()) {
            Matcher c = CANDIDATE.matcher(m.group());
            if (!c.matches()) {
                throw new IllegalArgumentException(at + ": '" + m.group() + "' is no reference a template knows; write ${candidate.NAME},"
                        + " NAME one of the space's params: " + String.join(", ", params));
            }
            if (!params.contains(c.group(1))) {
                throw new IllegalArgumentException(at + ": " + m.group() + " names no param of the space (it has "
                        + String.join(", ", params) + ")");
            }
        }
    }

    /**
     * Checks each task of a node type {@code catalog} knows against it, as if candidate {@code probe}
     * ran (the policy's first): its params (types included), its input names and required inputs, and the
     * outputs other tasks read of it. A type the catalog does not know is an error when its namespace
     * ({@code merge.}, {@code util.}, ...) is one of the catalog's, with a suggestion; a type of another
     * namespace is left to the engine, which refuses it at the first candidate if it knows it neither.
     */
    public void check(NodeCatalog catalog, Candidate probe) {
        Set<String> namespaces = new HashSet<>();
        catalog.names().forEach(n -> namespaces.add(n.substring(0, n.indexOf('.') + 1)));
        for (Step step : steps) {
            String at = "template task '" + step.id() + "'";
            NodeType<?> type = catalog.find(step.type()).orElse(null);
            if (type == null) {
                int dot = step.type().indexOf('.');
                if (dot > 0 && namespaces.contains(step.type().substring(0, dot + 1))) {
                    String hint = Suggestions.didYouMean(step.type(), catalog.names());
                    throw new IllegalArgumentException(at + ": unknown node type '" + step.type() + "'" + (hint == null ? "" : " (" + hint + ")"));
                }
                continue;
            }
            for (Problem p : ParamsBinder.check(type, params(step, probe), List.of())) {
                throw new IllegalArgumentException(at + ": " + p.text());
            }
            Set<String> ports = new LinkedHashSet<>();
            type.inputs().forEach(port -> ports.add(port.name()));
            for (String name : step.inputs().keySet()) {
                if (!ports.contains(name)) {
                    throw new IllegalArgumentException(at + ": " + step.type() + " has no input '" + name + "' (it has "
                            + (ports.isEmpty() ? "none" : String.join(", ", ports)) + ")");
                }
            }
            for (Port port : type.inputs()) {
                if (port.required() && !step.inputs().containsKey(port.name())) {
                    throw new IllegalArgumentException(at + ": " + step.type() + " needs input '" + port.name() + "'");
                }
            }
            for (Step reader : steps) {
                for (Map.Entry<String, List<Source>> in : reader.inputs().entrySet()) {
                    for (Source src : in.getValue()) {
                        if (src instanceof StepOutput o && o.step().equals(step.id())
                                && type.outputs().stream().noneMatch(port -> port.name().equals(o.output()))) {
                            throw new IllegalArgumentException("template task '" + reader.id() + "' input '" + in.getKey() + "': "
                                    + step.type() + " has no output '" + o.output() + "' (it has "
                                    + String.join(", ", type.outputs().stream().map(Port::name).toList()) + ")");
                        }
                    }
                }
            }
        }
    }

    /** A step's params for a candidate: {@code ${candidate.NAME}} as a whole value takes the param's value and type, inside text its text. */
    public static ObjectNode params(Step step, Candidate candidate) {
        return (ObjectNode) substitute(step.with(), candidate.params());
    }

    private static JsonNode substitute(JsonNode n, Map<String, Object> params) {
        if (n instanceof ObjectNode o) {
            ObjectNode out = Json.MAPPER.createObjectNode();
            o.properties().forEach(e -> out.set(e.getKey(), substitute(e.getValue(), params)));
            return out;
        }
        if (n instanceof ArrayNode a) {
            ArrayNode out = Json.MAPPER.createArrayNode();
            a.forEach(c -> out.add(substitute(c, params)));
            return out;
        }
        if (!n.isTextual()) return n;
        Matcher whole = CANDIDATE.matcher(n.asText());
        if (whole.matches()) return Json.MAPPER.valueToTree(params.get(whole.group(1)));
        StringBuilder out = new StringBuilder();
        Matcher m = CANDIDATE.matcher(n.asText());
        while (m.find()) m.appendReplacement(out, Matcher.quoteReplacement(String.valueOf(params.get(m.group(1)))));
        m.appendTail(out);
        return JsonNodeFactory.instance.textNode(out.toString());
    }
}
