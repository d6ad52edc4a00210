package org.mtflow.dsl;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.mtflow.devices.DeviceInfo;
import org.mtflow.devices.DeviceSelector;
import org.mtflow.engine.node.NodeCatalog;
import org.mtflow.engine.spec.Durations;
import org.mtflow.engine.spec.ErrorClass;
import org.mtflow.engine.spec.GraphValidator;
import org.mtflow.engine.spec.InputBinding;
import org.mtflow.engine.spec.OutputRef;
import org.mtflow.engine.spec.Problem;
import org.mtflow.engine.spec.Resources;
import org.mtflow.engine.spec.RetryPolicy;
import org.mtflow.engine.spec.Sizes;
import org.mtflow.engine.spec.SpecException;
import org.mtflow.engine.spec.Suggestions;
import org.mtflow.engine.spec.TaskSpec;
import org.mtflow.engine.spec.WorkflowSpec;

/**
 * Loads a YAML workflow file into a validated {@link WorkflowSpec}. Every problem is reported, not
 * only the first, each as {@code file:line:column: error: message (suggestion)}, sorted by place.
 *
 * <pre>
 * name: hello                 # required
 * seed: 42                    # default 0
 * params: {n: 3}              # referenced as ${params.n}; --param n=5 overrides
 * tasks:
 *   a: {type: util.random, with: {shape: [64, 64]}}
 *   b:
 *     type: util.sum
 *     inputs: {values: [a.tensor, a.tensor]}   # or {from: [a.tensor, a.tensor], min-success: 1}
 *     retry: {attempts: 3, backoff: 100ms, max-backoff: 10s, jitter: 0.1, on: [transient, timeout]}
 *     timeout: 30s
 *     resources: {device: any, memory: 2GiB, slots: 1}
 *     cache: true
 *     when: ${tasks.a.metrics.count} > 0   # runs only if true, else skipped (see Condition)
 * </pre>
 */
public final class WorkflowLoader {
    static final List<String> TOP_KEYS = List.of("name", "seed", "params", "defaults", "outputs", "tasks");
    static final List<String> TASK_KEYS = List.of("type", "with", "inputs", "retry", "timeout", "resources", "cache",
            "foreach", "matrix", "uses", "when");
    static final List<String> RETRY_KEYS = List.of("attempts", "backoff", "max-backoff", "jitter", "on");
    static final List<String> RESOURCE_KEYS = List.of("device", "memory", "slots");
    /** The map form of a list input: {@code {from: [a.out, b.out], min-success: 1}}. */
    static final List<String> INPUT_KEYS = List.of("from", "min-success");
    private static final String PARTIAL_HINT = "e.g. {from: [a.out, b.out, c.out], min-success: 2}";
    /** Task ids, as the engine takes them (see {@link TaskSpec#ID}); what {@link WorkflowExpansion} makes included. */
    static final Pattern TASK_ID = TaskSpec.ID;
    private static final Pattern OUTPUT_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_-]*");
    private static final List<String> ERROR_CLASSES = Arrays.stream(ErrorClass.values()).map(ErrorClass::token).toList();
    private static final List<String> DEVICES = Arrays.stream(DeviceSelector.values()).map(DeviceSelector::token).toList();
    private static final String DURATION_HINT = "write a number with a unit: 500ms, 30s, 2m, 1h or 1d";

    private WorkflowLoader() {}

    /**
     * Reads, resolves and validates a workflow file.
     *
     * @param paramOverrides param name → value text ({@code --param k=v}), each parsed as a YAML value
     * @param devices        the devices the run may use, or null to skip the device check
     */
    public static LoadedWorkflow load(Path file, Map<String, String> paramOverrides, NodeCatalog catalog,
                                      Collection<DeviceInfo> devices) throws SpecException {
        return load(readText(file), file.toString(), paramOverrides, catalog, devices);
    }

    /** A workflow file's text (YAML or a Java script), or why it cannot be read. */
    static String readText(Path file) throws SpecException {
        try {
            return Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new SpecException(List.of(file + ": error: no such file"));
        } catch (AccessDeniedException e) {
            throw new SpecException(List.of(file + ": error: cannot read the file: permission denied"));
        } catch (CharacterCodingException e) {
            throw new SpecException(List.of(file + ": error: the file is not UTF-8 text"));
        } catch (IOException e) {
            throw new SpecException(List.of(file + ": error: cannot read the file"
                    + (e.getMessage() == null ? "" : ": " + e.getMessage())));
        }
    }

    /** As {@link #load(Path, Map, NodeCatalog, Collection)}, for YAML text; {@code fileName} is used in messages. */
    public static LoadedWorkflow load(String yaml, String fileName, Map<String, String> paramOverrides,
                                      NodeCatalog catalog, Collection<DeviceInfo> devices) throws SpecException {
        Findings findings = new Findings();
        YamlReader.Result read = YamlReader.read(yaml, fileName);
        findings.diagnostics.addAll(read.errors());
        for (YamlNode alias : read.aliases()) findings.quietAfterFirst(alias.line(), alias.column());
        if (read.root() == null) {
            findings.error(1, 1, "the file is empty; a workflow needs at least 'name' and 'tasks'");
            throw fail(fileName, findings);
        }
        if (!(read.root() instanceof YamlNode.Mapping root)) {
            findings.error(read.root(), "a workflow must be a map with 'name' and 'tasks', got " + Findings.describe(read.root()));
            throw fail(fileName, findings);
        }

        Map<String, YamlNode> params = params(root, paramOverrides == null ? Map.of() : paramOverrides, findings);
        YamlNode.Mapping expanded = WorkflowExpansion.expand(root, params, fileName, findings);
        YamlNode.Mapping resolved = substitute(expanded, params, findings);
        WorkflowSpec spec = new Builder(findings).workflow(resolved, params);

        for (Problem p : GraphValidator.validate(spec, catalog, devices)) {
            if (findings.underPlaceholder(p.path())) continue;
            int[] at = YamlNode.locate(resolved, yamlPath(resolved, p.path()));
            if (p.path().size() == 3 && "when".equals(p.path().get(2))) at = whenValue(resolved, p.path().get(1)).orElse(at);
            findings.error(at[0], at[1], p.text());
        }
        if (!findings.diagnostics.isEmpty()) throw fail(fileName, findings);
        Path source;
        try {
            source = Path.of(fileName);
        } catch (InvalidPathException e) {
            source = null;
        }
        return new LoadedWorkflow(source, spec, WorkflowWriter.toYaml(spec));
    }

    /**
     * The validator's path in the file: a list input written in the map form keeps its references
     * under {@code from}, so {@code tasks.b.inputs.x[1]} is {@code tasks.b.inputs.x.from[1]} there.
     */
    static List<Object> yamlPath(YamlNode.Mapping root, List<Object> path) {
        if (path.size() < 5 || !"tasks".equals(path.get(0)) || !(path.get(1) instanceof String id)
                || !"inputs".equals(path.get(2)) || !(path.get(3) instanceof String name) || !(path.get(4) instanceof Integer)) {
            return path;
        }
        Optional<YamlNode> input = root.get("tasks")
                .flatMap(t -> t instanceof YamlNode.Mapping m ? m.get(id) : Optional.empty())
                .flatMap(t -> t instanceof YamlNode.Mapping m ? m.get("inputs") : Optional.empty())
                .flatMap(i -> i instanceof YamlNode.Mapping m ? m.get(name) : Optional.empty());
        if (input.isEmpty() || !(input.get() instanceof YamlNode.Mapping)) return path;
        List<Object> out = new ArrayList<>(path.subList(0, 4));
        out.add("from");
        out.addAll(path.subList(4, path.size()));
        return out;
    }

    /** A when: problem is about its text: it points at the value, where the message's column inside it counts from. */
    private static Optional<int[]> whenValue(YamlNode.Mapping root, Object id) {
        return root.get("tasks")
                .flatMap(t -> t instanceof YamlNode.Mapping m && id instanceof String s ? m.get(s) : Optional.empty())
                .flatMap(t -> t instanceof YamlNode.Mapping m ? m.get("when") : Optional.empty())
                .map(v -> new int[] {v.line(), v.column()});
    }

    private static SpecException fail(String fileName, Findings findings) {
        return new SpecException(findings.formatted(fileName));
    }

    /** The declared params with the overrides applied. */
    private static Map<String, YamlNode> params(YamlNode.Mapping root, Map<String, String> overrides, Findings findings) {
        Map<String, YamlNode> params = new LinkedHashMap<>();
        Optional<YamlNode.Entry> entry = root.entry("params");
        Map<String, YamlNode.Entry> declared = new LinkedHashMap<>();
        if (entry.isPresent()) {
            YamlNode v = entry.get().value();
            if (v instanceof YamlNode.Mapping m) {
                for (YamlNode.Entry e : m.entries()) {
                    params.put(e.key(), e.value());
                    declared.put(e.key(), e);
                }
            } else if (!(v instanceof YamlNode.Scalar s && s.isNull())) {
                findings.error(v, "params must be a map of name: value, got " + Findings.describe(v));
            }
        }
        for (Map.Entry<String, String> o : overrides.entrySet()) {
            String name = o.getKey();
            YamlNode.Entry decl = declared.get(name);
            if (decl == null) {
                // Said where params are (or would be) declared: the override itself is not in the file.
                int line = entry.map(YamlNode.Entry::line).orElse(root.line());
                int col = entry.map(YamlNode.Entry::column).orElse(root.column());
                findings.error(line, col, "unknown param '" + name + "' (given by --param); declare it under params:"
                        + Findings.suffix(declared.isEmpty() ? null : Suggestions.didYouMean(name, declared.keySet())));
                continue;
            }
            String text = o.getValue() == null ? "" : o.getValue();
            try {
                YamlReader.Result r = YamlReader.read(text);
                if (!r.errors().isEmpty()) {
                    findings.error(decl, "--param " + name + "=" + text + ": " + r.errors().get(0).text());
                } else {
                    YamlNode v = r.root() == null ? YamlNode.of(JsonNodeFactory.instance.nullNode(), 0, 0) : r.root();
                    params.put(name, v.at(decl.value().line(), decl.value().column()));
                }
            } catch (YamlReader.SyntaxError e) {
                findings.error(decl, "--param " + name + "=" + text + ": " + e.diagnostic.text());
            }
        }
        return params;
    }

    /** Substitutes params everywhere but in the params section itself. */
    private static YamlNode.Mapping substitute(YamlNode.Mapping root, Map<String, YamlNode> params, Findings findings) {
        ParamSubstitution sub = new ParamSubstitution(params, findings);
        List<YamlNode.Entry> out = new ArrayList<>();
        for (YamlNode.Entry e : root.entries()) {
            YamlNode v = e.key().equals("params") ? e.value() : sub.apply(e.value(), List.of(e.key()));
            out.add(new YamlNode.Entry(e.key(), e.line(), e.column(), v));
        }
        return new YamlNode.Mapping(out, root.line(), root.column());
    }

    /** Turns the resolved tree into a spec, reporting every malformed value and using a stand-in for it. */
    private static final class Builder {
        private final Findings findings;

        Builder(Findings findings) {
            this.findings = findings;
        }

        WorkflowSpec workflow(YamlNode.Mapping root, Map<String, YamlNode> params) {
            unknownKeys(root, TOP_KEYS, "");
            String name = "";
            Optional<YamlNode.Entry> nameEntry = root.entry("name");
            if (nameEntry.isEmpty()) {
                findings.error(root, "missing 'name': every workflow needs a name");
            } else {
                name = string(nameEntry.get().value(), "name").orElse("");
                if (nameEntry.get().value() instanceof YamlNode.Scalar s && s.isString() && name.isBlank()) {
                    findings.error(s, "name must not be empty");
                }
            }
            long seed = root.get("seed").map(v -> integer(v, "seed", Long.MIN_VALUE, Long.MAX_VALUE).orElse(0L)).orElse(0L);
            ObjectNode paramsJson = JsonNodeFactory.instance.objectNode();
            params.forEach((k, v) -> paramsJson.set(k, v.toJson()));

            List<TaskSpec> tasks = new ArrayList<>();
            Optional<YamlNode.Entry> tasksEntry = root.entry("tasks");
            if (tasksEntry.isEmpty()) {
                findings.error(root, "missing 'tasks': a workflow needs at least one task");
            } else if (tasksEntry.get().value() instanceof YamlNode.Mapping m) {
                if (m.entries().isEmpty()) findings.error(tasksEntry.get(), "'tasks' is empty: a workflow needs at least one task");
                for (YamlNode.Entry e : m.entries()) tasks.add(task(e));
            } else {
                YamlNode v = tasksEntry.get().value();
                findings.error(v, "tasks must be a map of task id: task, got " + Findings.describe(v));
            }
            return new WorkflowSpec(name, seed, paramsJson, tasks);
        }

        private TaskSpec task(YamlNode.Entry entry) {
            String id = entry.key();
            List<Object> at = List.of("tasks", id);
            if (!TASK_ID.matcher(id).matches()) {
                findings.error(entry, "invalid task id '" + id + "': use letters, digits, '_' and '-', starting with a letter"
                        + " or '_' (a dot separates task and output in references)");
            }
            if (!(entry.value() instanceof YamlNode.Mapping task)) {
                findings.error(entry.value(), "task '" + id + "' must be a map with at least 'type', got "
                        + Findings.describe(entry.value()));
                findings.placeholder(at);
                return new TaskSpec(id, "", JsonNodeFactory.instance.objectNode(), Map.of(), RetryPolicy.NONE, null,
                        Resources.DEFAULT, true);
            }
            unknownKeys(task, TASK_KEYS, " in task '" + id + "'");

            String type = "";
            Optional<YamlNode> typeNode = task.get("type");
            if (typeNode.isEmpty()) {
                findings.error(entry, "task '" + id + "' needs a 'type' (the node type to run)");
                findings.placeholder(path(at, "type"));
            } else {
                Optional<String> t = string(typeNode.get(), "type");
                if (t.isEmpty()) findings.placeholder(path(at, "type"));
                type = t.orElse("");
            }

            ObjectNode with = JsonNodeFactory.instance.objectNode();
            Optional<YamlNode> withNode = task.get("with").filter(v -> !isNull(v));
            if (withNode.isPresent()) {
                if (withNode.get() instanceof YamlNode.Mapping m) {
                    with = m.toJson();
                } else {
                    findings.error(withNode.get(), "'with' must be a map of param: value, got " + Findings.describe(withNode.get()));
                    findings.placeholder(path(at, "with"));
                }
            }

            Map<String, InputBinding> inputs = new LinkedHashMap<>();
            Optional<YamlNode> inputsNode = task.get("inputs").filter(v -> !isNull(v));
            if (inputsNode.isPresent()) {
                if (inputsNode.get() instanceof YamlNode.Mapping m) {
                    for (YamlNode.Entry e : m.entries()) inputs.put(e.key(), binding(e.key(), e.value(), path(at, "inputs", e.key())));
                } else {
                    findings.error(inputsNode.get(), "'inputs' must be a map of input: task.output, got "
                            + Findings.describe(inputsNode.get()));
                }
            }

            RetryPolicy retry = task.get("retry").filter(v -> !isNull(v)).map(this::retry).orElse(RetryPolicy.NONE);
            Duration timeout = task.get("timeout").filter(v -> !isNull(v)).flatMap(v -> duration(v, "timeout")).orElse(null);
            Resources resources = task.get("resources").filter(v -> !isNull(v)).map(this::resources).orElse(Resources.DEFAULT);
            boolean cache = task.get("cache").map(v -> bool(v, "cache").orElse(true)).orElse(true);
            String when = task.get("when").filter(v -> !isNull(v)).flatMap(v -> condition(v, path(at, "when"))).orElse(null);
            return new TaskSpec(id, type, with, inputs, retry, timeout, resources, cache, when);
        }

        /** A when: expression's text (true/false as written); the graph validator parses it. */
        private Optional<String> condition(YamlNode v, List<Object> at) {
            if (v instanceof YamlNode.Scalar s && (s.isString() || s.value().isBoolean())) return Optional.of(s.value().asText());
            findings.error(v, "when must be an expression such as \"${tasks.eval.metrics.accuracy} < 0.9\", got "
                    + Findings.describe(v));
            findings.placeholder(at);
            return Optional.empty();
        }

        private InputBinding binding(String name, YamlNode v, List<Object> at) {
            if (v instanceof YamlNode.Seq s) return new InputBinding.Many(refs(s, at));
            if (v instanceof YamlNode.Mapping m) return partialBinding(name, m, at);
            return new InputBinding.One(ref(v, at));
        }

        /** The references of a list; the paths are the graph validator's ({@code inputs.x[i]}). */
        private List<OutputRef> refs(YamlNode.Seq s, List<Object> at) {
            List<OutputRef> refs = new ArrayList<>();
            for (int i = 0; i < s.items().size(); i++) refs.add(ref(s.items().get(i), path(at, i)));
            return refs;
        }

        /** {@code {from: [a.out, b.out], min-success: 1}}; without min-success, all are needed. */
        private InputBinding partialBinding(String name, YamlNode.Mapping m, List<Object> at) {
            String where = " in input '" + name + "'";
            unknownKeys(m, INPUT_KEYS, where);
            Optional<YamlNode> from = m.get("from");
            List<OutputRef> refs;
            if (from.isEmpty()) {
                findings.error(m, "input '" + name + "' needs 'from', the list of outputs (" + PARTIAL_HINT + ")");
                findings.placeholder(at);
                refs = List.of();
            } else if (from.get() instanceof YamlNode.Seq s) {
                refs = refs(s, at);
            } else {
                findings.error(from.get(), "'from'" + where + " must be a list of references 'task.output', got "
                        + Findings.describe(from.get()) + " (" + PARTIAL_HINT + ")");
                findings.placeholder(at);
                refs = List.of();
            }
            int minSuccess = refs.size();
            Optional<YamlNode> k = m.get("min-success");
            List<Object> kAt = path(at, "min-success");
            if (k.isPresent() && !findings.underPlaceholder(kAt)) {
                if (k.get() instanceof YamlNode.Scalar s && s.value().isIntegralNumber() && s.value().canConvertToLong()
                        && s.value().asLong() >= 1) {
                    long n = s.value().asLong();
                    if (from.isPresent() && from.get() instanceof YamlNode.Seq && n > refs.size()) {
                        findings.error(s, "min-success" + where + " is " + n + " but 'from' lists only " + refs.size()
                                + (refs.size() == 1 ? " output" : " outputs")
                                + (refs.isEmpty() ? " (list the outputs under 'from')"
                                        : " (use at most " + refs.size() + ", or leave it out to need them all)"));
                        findings.placeholder(kAt);
                    } else {
                        minSuccess = (int) n;
                    }
                } else {
                    findings.error(k.get(), "min-success" + where + " must be a positive integer, got "
                            + Findings.describe(k.get()) + " (the least number of the listed outputs that must succeed)");
                    findings.placeholder(kAt);
                }
            }
            // A stand-in after an error above: all of the list, which the validator accepts.
            return new InputBinding.Many(refs, findings.underPlaceholder(at) ? refs.size() : minSuccess);
        }

        private OutputRef ref(YamlNode v, List<Object> at) {
            if (v instanceof YamlNode.Scalar s && s.isString()) {
                Optional<OutputRef> ref = OutputRef.parse(s.value().asText());
                if (ref.isPresent() && TASK_ID.matcher(ref.get().task()).matches()
                        && OUTPUT_NAME.matcher(ref.get().output()).matches()) {
                    return ref.get();
                }
            }
            findings.error(v, "an input must be a reference 'task.output' (or a list of them), got " + Findings.describe(v));
            findings.placeholder(at);
            return new OutputRef("", "");
        }

        private RetryPolicy retry(YamlNode v) {
            RetryPolicy d = RetryPolicy.NONE;
            if (!(v instanceof YamlNode.Mapping m)) {
                findings.error(v, "retry must be a map such as {attempts: 3, backoff: 100ms}, got " + Findings.describe(v));
                return d;
            }
            unknownKeys(m, RETRY_KEYS, " in retry");
            int attempts = m.get("attempts").map(a -> integer(a, "retry.attempts", Integer.MIN_VALUE, Integer.MAX_VALUE)
                    .map(Long::intValue).orElse(d.attempts())).orElse(d.attempts());
            Duration backoff = m.get("backoff").flatMap(b -> duration(b, "retry.backoff")).orElse(d.backoff());
            Duration maxBackoff = m.get("max-backoff").flatMap(b -> duration(b, "retry.max-backoff")).orElse(d.maxBackoff());
            double jitter = m.get("jitter").map(j -> number(j, "retry.jitter").orElse(d.jitter())).orElse(d.jitter());
            List<ErrorClass> on = m.get("on").map(this::errorClasses).orElse(d.on());
            return new RetryPolicy(attempts, backoff, maxBackoff, jitter, on);
        }

        private List<ErrorClass> errorClasses(YamlNode v) {
            List<YamlNode> items = v instanceof YamlNode.Seq s ? s.items() : List.of(v);
            List<ErrorClass> out = new ArrayList<>();
            for (YamlNode i : items) {
                Optional<String> token = string(i, "retry.on entries");
                if (token.isEmpty()) continue;
                if (ERROR_CLASSES.contains(token.get())) {
                    out.add(ErrorClass.parse(token.get()));
                } else {
                    findings.error(i, "unknown error class '" + token.get() + "' in retry.on"
                            + Findings.suffix(Suggestions.didYouMean(token.get(), ERROR_CLASSES)));
                }
            }
            return out;
        }

        private Resources resources(YamlNode v) {
            Resources d = Resources.DEFAULT;
            if (!(v instanceof YamlNode.Mapping m)) {
                findings.error(v, "resources must be a map such as {device: gpu, memory: 2GiB}, got " + Findings.describe(v));
                return d;
            }
            unknownKeys(m, RESOURCE_KEYS, " in resources");
            DeviceSelector device = m.get("device").flatMap(n -> string(n, "resources.device").flatMap(t -> {
                Optional<DeviceSelector> s = DeviceSelector.parse(t);
                if (s.isEmpty()) {
                    findings.error(n, "unknown device '" + t + "'" + Findings.suffix(Suggestions.didYouMean(t, DEVICES)));
                }
                return s;
            })).orElse(d.device());
            long memory = m.get("memory").flatMap(this::size).orElse(d.memory());
            int slots = m.get("slots").map(n -> integer(n, "resources.slots", Integer.MIN_VALUE, Integer.MAX_VALUE)
                    .map(Long::intValue).orElse(d.slots())).orElse(d.slots());
            return new Resources(device, memory, slots);
        }

        private Optional<Long> size(YamlNode v) {
            if (v instanceof YamlNode.Scalar s && s.value().isIntegralNumber() && s.value().canConvertToLong()
                    && s.value().asLong() >= 0) {
                return Optional.of(s.value().asLong());
            }
            if (v instanceof YamlNode.Scalar s && s.isString()) {
                Optional<Long> bytes = Sizes.parse(s.value().asText());
                if (bytes.isPresent()) return bytes;
            }
            findings.error(v, "resources.memory must be a size such as 512MiB, 2GiB or a byte count, got " + Findings.describe(v));
            return Optional.empty();
        }

        private void unknownKeys(YamlNode.Mapping m, List<String> known, String where) {
            for (YamlNode.Entry e : m.entries()) {
                if (!known.contains(e.key())) {
                    findings.error(e, "unknown key '" + e.key() + "'" + where
                            + Findings.suffix(Suggestions.didYouMean(e.key(), known)));
                }
            }
        }

        private Optional<String> string(YamlNode v, String what) {
            if (v instanceof YamlNode.Scalar s && s.isString()) return Optional.of(s.value().asText());
            findings.error(v, what + " must be a string, got " + Findings.describe(v));
            return Optional.empty();
        }

        private Optional<Long> integer(YamlNode v, String what, long min, long max) {
            if (v instanceof YamlNode.Scalar s && s.value().isIntegralNumber() && s.value().canConvertToLong()
                    && s.value().asLong() >= min && s.value().asLong() <= max) {
                return Optional.of(s.value().asLong());
            }
            boolean integral = v instanceof YamlNode.Scalar s && s.value().isIntegralNumber();
            findings.error(v, what + (integral ? " is out of range, got " : " must be an integer, got ") + Findings.describe(v));
            return Optional.empty();
        }

        private Optional<Double> number(YamlNode v, String what) {
            if (v instanceof YamlNode.Scalar s && s.value().isNumber()) return Optional.of(s.value().asDouble());
            findings.error(v, what + " must be a number, got " + Findings.describe(v));
            return Optional.empty();
        }

        private Optional<Boolean> bool(YamlNode v, String what) {
            if (v instanceof YamlNode.Scalar s && s.value().isBoolean()) return Optional.of(s.value().asBoolean());
            findings.error(v, what + " must be true or false, got " + Findings.describe(v));
            return Optional.empty();
        }

        private Optional<Duration> duration(YamlNode v, String what) {
            if (v instanceof YamlNode.Scalar s && s.isString()) {
                Optional<Duration> d = Durations.parse(s.value().asText());
                if (d.isPresent()) return d;
            }
            findings.error(v, what + " must be a duration, got " + Findings.describe(v) + " (" + DURATION_HINT + ")");
            return Optional.empty();
        }
    }

    private static boolean isNull(YamlNode v) {
        return v instanceof YamlNode.Scalar s && s.isNull();
    }

    private static List<Object> path(List<Object> base, Object... more) {
        List<Object> out = new ArrayList<>(base);
        out.addAll(List.of(more));
        return out;
    }
}
