package org.mtflow.dsl;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.mtflow.devices.DeviceInfo;
import org.mtflow.engine.node.NodeCatalog;
import org.mtflow.engine.spec.GraphValidator;
import org.mtflow.engine.spec.InputBinding;
import org.mtflow.engine.spec.OutputRef;
import org.mtflow.engine.spec.Problem;
import org.mtflow.engine.spec.Resources;
import org.mtflow.engine.spec.RetryPolicy;
import org.mtflow.engine.spec.SpecException;
import org.mtflow.engine.spec.Suggestions;
import org.mtflow.engine.spec.TaskSpec;
import org.mtflow.engine.spec.WorkflowSpec;

/**
 * Imports a mergekit configuration ({@link MergekitConfig}) as a workflow: one {@code model.hf} task per
 * model directory ({@code base}, {@code model-<i>} for entry i of {@code models}) and one {@code
 * merge.<method>} task ({@code merge}) that merges them into the output directory, with mergekit's
 * semantics: parameters pass through under their mergekit names (the merge nodes take them), the base
 * model's own entry in {@code models} is left out of the task vectors as mergekit does, DARE and DELLA
 * get {@code rescale_norm: l1} (mergekit's L1-norm matching), {@code int8_mask} (a memory saving of
 * mergekit's) is dropped with a note, and {@code out_dtype}/{@code dtype} become the output dtype.
 *
 * <p>Every problem is reported as {@code file:line:column: error: message (fix)}, not only the first.
 * Model paths are read as mergekit reads them: relative to the working directory.
 */
public final class MergekitImport {
    /** The task that merges; its output directory param is {@link #OUTPUT_PARAM}. */
    public static final String MERGE_TASK = "merge";
    public static final String BASE_TASK = "base";
    public static final String OUTPUT_PARAM = "output";
    private static final Set<String> BOOLEAN_PARAMETERS = Set.of("normalize", "rescale", "int8_mask", "filter_wise");
    /** Parameters mergekit reads per tensor from each model's entry; the others are method-wide only. */
    private static final Set<String> MODEL_PARAMETERS = Set.of("weight", "density", "gamma", "epsilon");
    private static final String VALUE_FORMS = "write a number, a gradient over layers like [0.2, 1.0], or a list like"
            + " [{filter: mlp, value: 0.5}, {value: 1.0}]";
    private static final ObjectMapper JSON = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private MergekitImport() {}

    /**
     * A translated config: the parsed config, the workflow, and notes (file:line:column: note: …) on
     * what was dropped.
     */
    public record Translation(MergekitConfig config, WorkflowSpec spec, List<String> notes) {
        public Translation {
            notes = List.copyOf(notes);
        }
    }

    /** A validated import: the workflow as the commands run it, and the notes to show. */
    public record Imported(LoadedWorkflow workflow, List<String> notes) {
        public Imported {
            notes = List.copyOf(notes);
        }
    }

    /** Whether a file is a mergekit config: YAML (not a Java script) whose top-level map has merge_method and no tasks. */
    public static boolean isConfig(Path file) {
        if (WorkflowScript.isScript(file) || !Files.isRegularFile(file)) return false;
        try {
            return isConfig(Files.readString(file));
        } catch (java.io.IOException e) {
            return false;
        }
    }

    static boolean isConfig(String text) {
        try {
            return YamlReader.read(text).root() instanceof YamlNode.Mapping m
                    && m.entry("merge_method").isPresent() && m.entry("tasks").isEmpty();
        } catch (YamlReader.SyntaxError e) {
            return false;
        }
    }

    /**
     * Reads, translates and validates a mergekit config file against the node catalog.
     *
     * @param output the directory the merged model is written to, or null to leave the model in the
     *               artifact store (for validate and export)
     */
    public static Imported load(Path file, Path output, NodeCatalog catalog, Collection<DeviceInfo> devices) throws SpecException {
        return load(WorkflowLoader.readText(file), file.toString(), output, Path.of("").toAbsolutePath(), catalog, devices);
    }

    /** As {@link #load(Path, Path, NodeCatalog, Collection)} for YAML text; model paths resolve against {@code dir}. */
    public static Imported load(String yaml, String fileName, Path output, Path dir, NodeCatalog catalog,
                                Collection<DeviceInfo> devices) throws SpecException {
        Built b = build(yaml, fileName, output, dir);
        Findings findings = new Findings();
        for (Problem p : GraphValidator.validate(b.translation.spec(), catalog, devices)) {
            int[] at = YamlNode.locate(b.root, configPath(p.path(), b.mergedIndexes, b.root.entry("out_dtype").isPresent()));
            findings.error(at[0], at[1], p.text());
        }
        if (!findings.diagnostics.isEmpty()) throw new SpecException(findings.formatted(fileName));
        Path source;
        try {
            source = Path.of(fileName);
        } catch (InvalidPathException e) {
            source = null;
        }
        WorkflowSpec spec = b.translation.spec();
        return new Imported(new LoadedWorkflow(source, spec, WorkflowWriter.toYaml(spec)), b.translation.notes());
    }

    /** The workflow of a config (not yet checked against the node catalog); model paths resolve against {@code dir}. */
    public static Translation translate(String yaml, String fileName, Path output, Path dir) throws SpecException {
        return build(yaml, fileName, output, dir).translation;
    }

    /** A translation, the YAML tree it came from (for places) and, per merged model, its index in {@code models}. */
    private record Built(Translation translation, YamlNode.Mapping root, List<Integer> mergedIndexes) {}

    private static Built build(String yaml, String fileName, Path output, Path dir) throws SpecException {
        Findings findings = new Findings();
        YamlReader.Result read = YamlReader.read(yaml, fileName);
        findings.diagnostics.addAll(read.errors());
        if (!(read.root() instanceof YamlNode.Mapping root)) {
            findings.error(1, 1, "a mergekit config must be a map with merge_method and models");
            throw new SpecException(findings.formatted(fileName));
        }
        List<String> notes = new ArrayList<>();
        checkShape(root, findings, notes, fileName);
        if (!findings.diagnostics.isEmpty()) throw new SpecException(findings.formatted(fileName));
        MergekitConfig config;
        try {
            config = JSON.treeToValue(root.toJson(), MergekitConfig.class);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            // the shape was checked above; this is a bug, not the user's mistake
            throw new IllegalStateException("a checked mergekit config did not bind: " + e.getOriginalMessage(), e);
        }
        List<Integer> merged = new ArrayList<>();
        WorkflowSpec spec = workflow(config, root, fileName, output, dir, findings, notes, merged);
        if (!findings.diagnostics.isEmpty()) throw new SpecException(findings.formatted(fileName));
        return new Built(new Translation(config, spec, notes), root, merged);
    }

    /** The keys, types and parameter shapes, each problem with its place. */
    private static void checkShape(YamlNode.Mapping root, Findings findings, List<String> notes, String fileName) {
        for (YamlNode.Entry e : root.entries()) {
            String why = MergekitConfig.NOT_IMPORTED.get(e.key());
            if (why != null) findings.error(e, "'" + e.key() + "' is not imported: " + why);
            else if (!MergekitConfig.KEYS.contains(e.key())) {
                findings.error(e, "unknown key '" + e.key() + "' (" + Suggestions.didYouMean(e.key(), MergekitConfig.KEYS)
                        + "; a mergekit config has " + String.join(", ", MergekitConfig.KEYS) + ")");
            }
        }
        Optional<YamlNode.Entry> methodEntry = root.entry("merge_method");
        String method = null;
        if (methodEntry.isEmpty()) {
            findings.error(root, "merge_method is missing (one of " + String.join(", ", MergekitConfig.METHODS.keySet()) + ")");
        } else if (!(methodEntry.get().value() instanceof YamlNode.Scalar s && s.isString())) {
            findings.error(methodEntry.get().value(), "merge_method must be a name, one of " + String.join(", ", MergekitConfig.METHODS.keySet()));
        } else {
            method = s.value().asText();
            if (!MergekitConfig.METHODS.containsKey(method)) {
                findings.error(s, "merge_method '" + method + "' is not supported (" + Suggestions.didYouMean(method, MergekitConfig.METHODS.keySet())
                        + "; mtflow imports " + String.join(", ", MergekitConfig.METHODS.keySet()) + ")");
                method = null;
            }
        }
        for (String key : List.of("base_model", "dtype", "out_dtype")) {
            root.get(key).ifPresent(v -> {
                if (!(v instanceof YamlNode.Scalar s && (s.isString() || s.isNull()))) findings.error(v, key + " must be a text, got " + Findings.describe(v));
            });
        }
        for (String key : List.of("dtype", "out_dtype")) {
            root.get(key).ifPresent(v -> {
                if (v instanceof YamlNode.Scalar s && s.isString() && !MergekitConfig.DTYPES.containsKey(s.value().asText())) {
                    findings.error(v, key + " '" + s.value().asText() + "' is not a dtype mtflow writes: use "
                            + String.join(", ", MergekitConfig.DTYPES.keySet()));
                }
            });
        }
        String known = method;
        Optional<YamlNode.Entry> models = root.entry("models");
        if (models.isEmpty()) {
            findings.error(root, "models is missing: list the models to merge, each as '- model: DIR' (a local Hugging Face model directory)");
        } else if (!(models.get().value() instanceof YamlNode.Seq seq) || seq.items().isEmpty()) {
            findings.error(models.get().value(), "models must be a non-empty list of '- model: DIR' entries, got " + Findings.describe(models.get().value()));
        } else {
            for (YamlNode item : seq.items()) {
                if (!(item instanceof YamlNode.Mapping m) || !(m.get("model").orElse(null) instanceof YamlNode.Scalar s) || !s.isString()) {
                    findings.error(item, "each entry of models must be a map with 'model: DIR' (and optionally parameters), got "
                            + Findings.describe(item));
                    continue;
                }
                for (YamlNode.Entry e : m.entries()) {
                    if (!MergekitConfig.MODEL_KEYS.contains(e.key())) {
                        findings.error(e, "unknown key '" + e.key() + "' in a models entry (it has model and parameters)");
                    }
                }
                m.entry("parameters").ifPresent(p -> parameters(p, known, true, findings, notes, fileName));
            }
        }
        root.entry("parameters").ifPresent(p -> parameters(p, known, false, findings, notes, fileName));
    }

    /** Checks a parameters map: names the method knows, values of mergekit's forms; notes int8_mask. */
    private static void parameters(YamlNode.Entry entry, String method, boolean perModel, Findings findings, List<String> notes,
                                   String fileName) {
        YamlNode v = entry.value();
        if (v instanceof YamlNode.Scalar s && s.isNull()) return;
        if (!(v instanceof YamlNode.Mapping m)) {
            findings.error(v, "parameters must be a map of name: value, got " + Findings.describe(v));
            return;
        }
        for (YamlNode.Entry p : m.entries()) {
            String name = p.key();
            if (method != null && !MergekitConfig.PARAMETERS.get(method).contains(name)) {
                List<String> known = MergekitConfig.PARAMETERS.get(method).stream().sorted().toList();
                findings.error(p, "merge_method " + method + " has no parameter '" + name + "' ("
                        + Suggestions.didYouMean(name, known) + "; it has " + String.join(", ", known) + ")");
                continue;
            }
            if (perModel && !MODEL_PARAMETERS.contains(name) && MergekitConfig.PARAMETERS.values().stream().anyMatch(s -> s.contains(name))) {
                findings.error(p, "'" + name + "' is method-wide: move it to the top-level parameters");
                continue;
            }
            if (name.equals("int8_mask")) {
                notes.add(fileName + ":" + p.line() + ":" + p.column() + ": note: int8_mask is dropped: it only saves memory in"
                        + " mergekit (mtflow streams tensors in float32) and does not change the result");
            }
            String problem = BOOLEAN_PARAMETERS.contains(name) ? booleanProblem(p.value()) : numericProblem(p.value());
            if (problem != null) findings.error(p.value(), "bad parameter '" + name + "': " + problem);
        }
    }

    private static String booleanProblem(YamlNode v) {
        return v instanceof YamlNode.Scalar s && s.value().isBoolean() ? null : "write true or false, got " + Findings.describe(v);
    }

    /** Null when v is a number, a gradient or a filter list (whose values are numbers or gradients). */
    private static String numericProblem(YamlNode v) {
        if (v instanceof YamlNode.Scalar s && s.value().isNumber()) return null;
        if (v instanceof YamlNode.Seq seq && !seq.items().isEmpty()) {
            if (seq.items().stream().allMatch(i -> i instanceof YamlNode.Scalar s && s.value().isNumber())) return null;
            for (YamlNode item : seq.items()) {
                if (!(item instanceof YamlNode.Mapping m)) return VALUE_FORMS + "; got " + Findings.describe(item) + " in the list";
                for (YamlNode.Entry e : m.entries()) {
                    if (!e.key().equals("filter") && !e.key().equals("value")) return "a filter entry has filter and value, not '" + e.key() + "'";
                }
                if (m.get("filter").isPresent() && !(m.get("filter").get() instanceof YamlNode.Scalar f && f.isString())) {
                    return "a filter must be a text (a part of tensor names)";
                }
                Optional<YamlNode> value = m.get("value");
                if (value.isEmpty()) return "a filter entry needs a value";
                if (value.get() instanceof YamlNode.Seq inner
                        ? inner.items().isEmpty() || !inner.items().stream().allMatch(i -> i instanceof YamlNode.Scalar s && s.value().isNumber())
                        : !(value.get() instanceof YamlNode.Scalar s && s.value().isNumber())) {
                    return "a filter entry's value must be a number or a gradient of numbers";
                }
            }
            return null;
        }
        return VALUE_FORMS + "; got " + Findings.describe(v);
    }

    /** The workflow, checking what needs the whole config: the base model, model counts, model directories. */
    private static WorkflowSpec workflow(MergekitConfig c, YamlNode.Mapping root, String fileName, Path output, Path dir,
                                         Findings findings, List<String> notes, List<Integer> mergedIndexes) {
        String method = c.mergeMethod();
        boolean needsBase = !method.equals("linear");
        YamlNode.Seq modelNodes = (YamlNode.Seq) root.get("models").orElseThrow();
        List<TaskSpec> tasks = new ArrayList<>();
        String base = c.baseModel();
        if (needsBase && base == null) {
            findings.error(root.entry("merge_method").orElseThrow(), "merge_method " + method
                    + " needs base_model: the model the others were fine-tuned from (add 'base_model: DIR')");
        }
        if (needsBase && base != null) {
            YamlNode at = root.get("base_model").orElseThrow();
            modelDirectory(base, dir, at, findings).ifPresent(p -> tasks.add(modelTask(BASE_TASK, p)));
        } else if (base != null) {
            YamlNode.Entry e = root.entry("base_model").orElseThrow();
            notes.add(fileName + ":" + e.line() + ":" + e.column() + ": note: linear does not use base_model (as in mergekit); it is ignored");
        }
        List<String> refs = new ArrayList<>();
        ArrayNode modelParameters = NODES.arrayNode();
        boolean anyModelParameters = false;
        for (int i = 0; i < c.models().size(); i++) {
            MergekitConfig.InputModel m = c.models().get(i);
            YamlNode.Mapping node = (YamlNode.Mapping) modelNodes.items().get(i);
            if (needsBase && base != null && sameDirectory(m.model(), base, dir)) {
                // mergekit leaves the base out of the task vectors (its own would be zero)
                if (!m.parameters().isEmpty()) {
                    YamlNode.Entry e = node.entry("parameters").orElseThrow();
                    notes.add(fileName + ":" + e.line() + ":" + e.column() + ": note: the base model's parameters are ignored"
                            + " (it is not one of the models merged onto it, as in mergekit)");
                }
                continue;
            }
            Optional<Path> path = modelDirectory(m.model(), dir, node.get("model").orElseThrow(), findings);
            if (path.isEmpty()) continue;
            String id = "model-" + i;
            tasks.add(modelTask(id, path.get()));
            refs.add(id);
            mergedIndexes.add(i);
            ObjectNode p = withoutInt8Mask(m.parameters());
            anyModelParameters |= !p.isEmpty();
            modelParameters.add(p);
        }
        if (!findings.diagnostics.isEmpty()) return null;
        YamlNode.Entry modelsEntry = root.entry("models").orElseThrow();
        String count = switch (method) {
            case "slerp" -> refs.size() == 1 ? null : "slerp interpolates between base_model and exactly one other model; models lists "
                    + refs.size() + " besides the base";
            case "model_stock" -> refs.size() >= 2 ? null : "model_stock needs at least two models besides base_model; models lists " + refs.size();
            default -> refs.isEmpty() ? "models lists no model besides base_model: add the fine-tuned models to merge" : null;
        };
        if (count != null) {
            findings.error(modelsEntry, count);
            return null;
        }
        if (method.equals("slerp") && !c.parameters().containsKey("t")) {
            int[] at = YamlNode.locate(root, List.of("parameters"));
            findings.error(at[0], at[1], "slerp needs parameters: {t: …}, the interpolation factor from base_model (0) to the other model (1)");
            return null;
        }

        ObjectNode with = NODES.objectNode();
        ObjectNode parameters = withoutInt8Mask(c.parameters());
        if (MergekitConfig.RANDOM_DROPS.contains(method)) parameters.put("rescale_norm", "l1"); // mergekit's rescale
        with.set("parameters", parameters);
        if (anyModelParameters) with.set("model-parameters", modelParameters);
        if (output != null) with.put(OUTPUT_PARAM, output.toAbsolutePath().normalize().toString());
        if (c.outputDtype() != null) with.put("dtype", MergekitConfig.DTYPES.get(c.outputDtype()));
        Map<String, InputBinding> inputs = new LinkedHashMap<>();
        if (needsBase) inputs.put("base", new InputBinding.One(new OutputRef(BASE_TASK, "model")));
        inputs.put("models", new InputBinding.Many(refs.stream().map(r -> new OutputRef(r, "model")).toList()));
        // Not cached: like mergekit-yaml, a run always writes the output directory.
        tasks.add(new TaskSpec(MERGE_TASK, "merge." + MergekitConfig.METHODS.get(method), with, inputs, RetryPolicy.NONE, null,
                Resources.DEFAULT, false));
        return new WorkflowSpec(workflowName(fileName), 0, NODES.objectNode(), tasks);
    }

    /** Whether two model paths name one directory ({@code base} and {@code ./base/} do). */
    private static boolean sameDirectory(String a, String b, Path dir) {
        if (a.equals(b)) return true;
        try {
            return dir.resolve(a).toAbsolutePath().normalize().equals(dir.resolve(b).toAbsolutePath().normalize());
        } catch (InvalidPathException e) {
            return false;
        }
    }

    private static TaskSpec modelTask(String id, Path dir) {
        ObjectNode with = NODES.objectNode().put("path", dir.toString());
        // Not cached: the directory may change between runs; the task checksums it each time.
        return new TaskSpec(id, "model.hf", with, Map.of(), RetryPolicy.NONE, null, Resources.DEFAULT, false);
    }

    /** A model as an absolute directory, or an error at its place: mtflow reads local directories only. */
    private static Optional<Path> modelDirectory(String model, Path dir, YamlNode at, Findings findings) {
        Path p;
        try {
            p = dir.resolve(model).toAbsolutePath().normalize();
        } catch (InvalidPathException e) {
            findings.error(at, "'" + model + "' is not a valid path: " + e.getReason());
            return Optional.empty();
        }
        if (Files.isDirectory(p)) return Optional.of(p);
        String lora = model.contains("+") ? "; a LoRA adapter (MODEL+ADAPTER) is not supported: merge the adapter into the model first" : "";
        findings.error(at, "no model directory '" + model + "' (" + p + ")" + lora + "; mtflow reads local Hugging Face model directories"
                + " (config.json + model.safetensors or shards): download the model first, e.g. huggingface-cli download ORG/NAME"
                + " --local-dir DIR, and give DIR");
        return Optional.empty();
    }

    private static ObjectNode withoutInt8Mask(Map<String, JsonNode> parameters) {
        ObjectNode o = NODES.objectNode();
        parameters.forEach((k, v) -> {
            if (!k.equals("int8_mask")) o.set(k, v);
        });
        return o;
    }

    /** {@code mergekit-STEM}, STEM the file name without extension, in the characters run ids allow. */
    static String workflowName(String fileName) {
        String stem = fileName;
        int slash = Math.max(stem.lastIndexOf('/'), stem.lastIndexOf('\\'));
        stem = stem.substring(slash + 1);
        int dot = stem.lastIndexOf('.');
        if (dot > 0) stem = stem.substring(0, dot);
        stem = stem.replaceAll("[^A-Za-z0-9_-]", "-");
        return stem.isEmpty() ? "mergekit" : "mergekit-" + stem;
    }

    /** A validator path in the workflow → the place in the config that produced it. */
    static List<Object> configPath(List<Object> path, List<Integer> mergedIndexes, boolean hasOutDtype) {
        if (path.size() < 2 || !"tasks".equals(path.get(0)) || !(path.get(1) instanceof String task)) return List.of("merge_method");
        if (task.equals(BASE_TASK)) return List.of("base_model");
        if (task.startsWith("model-")) return List.of("models", Integer.parseInt(task.substring(6)), "model");
        List<Object> rest = path.subList(2, path.size());
        if (rest.size() >= 2 && rest.get(0).equals("with") && rest.get(1).equals("parameters")) {
            List<Object> out = new ArrayList<>(List.of("parameters"));
            out.addAll(rest.subList(2, rest.size()));
            return out;
        }
        if (rest.size() >= 3 && rest.get(0).equals("with") && rest.get(1).equals("model-parameters") && rest.get(2) instanceof Integer j
                && j < mergedIndexes.size()) {
            List<Object> out = new ArrayList<>(List.of("models", mergedIndexes.get(j), "parameters"));
            out.addAll(rest.subList(3, rest.size()));
            return out;
        }
        if (rest.size() >= 2 && rest.get(0).equals("with") && rest.get(1).equals("dtype")) return List.of(hasOutDtype ? "out_dtype" : "dtype");
        if (rest.size() >= 2 && rest.get(0).equals("inputs") && rest.get(1).equals("base")) return List.of("base_model");
        if (rest.size() >= 3 && rest.get(0).equals("inputs") && rest.get(1).equals("models") && rest.get(2) instanceof Integer j
                && j < mergedIndexes.size()) {
            return List.of("models", mergedIndexes.get(j), "model");
        }
        return List.of("merge_method");
    }
}
