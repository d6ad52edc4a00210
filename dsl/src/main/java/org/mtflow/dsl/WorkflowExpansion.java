package org.mtflow.dsl;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.mtflow.dsl.ExpandedReferences.Declared;
import org.mtflow.dsl.ExpandedReferences.Target;
import org.mtflow.engine.spec.Suggestions;

/**
 * Expands a workflow tree into the plain task list the loader builds a spec from (YAML tree in,
 * YAML tree out, positions kept): {@code defaults} are copied into each task that lacks the key,
 * a {@code foreach} or {@code matrix} task becomes {@code id[0]}, {@code id[1]}…, a {@code uses} task
 * becomes the tasks of the file it names, ids prefixed {@code id/}, and references to any of these
 * are rewritten to the ids they became ({@link ExpandedReferences}). Runs before param substitution,
 * which then applies to what this produced.
 */
final class WorkflowExpansion {
    static final List<String> DEFAULT_KEYS = List.of("retry", "timeout", "resources", "cache");
    static final List<String> USED_FILE_KEYS = List.of("name", "params", "defaults", "outputs", "tasks");
    static final List<String> USES_TASK_KEYS = List.of("uses", "with", "foreach", "matrix");
    private static final String LIST_HINT = "write a list such as [a, b], or ${params.NAME} naming a list param";

    /** The tasks a file became, and the outputs it declares. */
    private record Expanded(List<YamlNode.Entry> tasks, Map<String, Target> outputs) {
        static final Expanded NONE = new Expanded(List.of(), Map.of());
    }

    private final Findings findings;
    /** Used files must lie under it: the top-level file's directory (null when the file has no path). */
    private final Path root;
    /** How the top-level file's directory was written, to name used files the same way. */
    private final Path shownRoot;

    private WorkflowExpansion(Findings findings, Path root, Path shownRoot) {
        this.findings = findings;
        this.root = root;
        this.shownRoot = shownRoot;
    }

    /** The top-level file expanded: its tasks replaced by what they became, {@code defaults} and {@code outputs} gone. */
    static YamlNode.Mapping expand(YamlNode.Mapping file, Map<String, YamlNode> params, String fileName, Findings findings) {
        Path path = null;
        Path shown = null;
        try {
            path = Path.of(fileName).toAbsolutePath().normalize();
            shown = Path.of(fileName).getParent();
        } catch (InvalidPathException e) {
            // Loaded from text with a name that is no path: it can use no other file.
        }
        WorkflowExpansion expansion = new WorkflowExpansion(findings, path == null ? null : path.getParent(), shown);
        Expanded expanded = expansion.file(file, params, "", path, path == null ? List.of() : List.of(path));
        List<YamlNode.Entry> out = new ArrayList<>();
        for (YamlNode.Entry e : file.entries()) {
            if (e.key().equals("defaults") || e.key().equals("outputs")) continue;
            if (e.key().equals("tasks") && e.value() instanceof YamlNode.Mapping m) {
                out.add(new YamlNode.Entry(e.key(), e.line(), e.column(), new YamlNode.Mapping(expanded.tasks(), m.line(), m.column())));
            } else {
                out.add(e);
            }
        }
        return new YamlNode.Mapping(out, file.line(), file.column());
    }

    private Expanded file(YamlNode.Mapping file, Map<String, YamlNode> params, String prefix, Path path, List<Path> chain) {
        Map<String, YamlNode.Entry> defaults = defaults(file);
        List<YamlNode.Entry> out = new ArrayList<>();
        List<Integer> own = new ArrayList<>();
        Map<String, Declared> declared = new LinkedHashMap<>();
        if (file.get("tasks").orElse(null) instanceof YamlNode.Mapping tasks) {
            for (YamlNode.Entry e : tasks.entries()) {
                if (!(e.value() instanceof YamlNode.Mapping task)) {
                    own.add(out.size());
                    out.add(new YamlNode.Entry(prefix + e.key(), e.line(), e.column(), e.value()));
                    declared.put(e.key(), new Declared(List.of(prefix + e.key()), false, null, false));
                    continue;
                }
                boolean expanded = task.entry("foreach").isPresent() || task.entry("matrix").isPresent();
                List<ItemSubstitution.Scope> scopes = expanded ? scopes(task, params) : List.of(ItemSubstitution.Scope.NONE);
                boolean uses = task.entry("uses").isPresent();
                YamlNode.Mapping body = without(task, "foreach", "matrix");
                if (!uses) body = withTemplateFile(withDefaults(body, defaults), prefix + e.key(), params, path, chain);
                List<String> ids = new ArrayList<>();
                List<Map<String, Target>> outputs = uses ? new ArrayList<>() : null;
                for (ItemSubstitution.Scope scope : scopes) {
                    String id = prefix + e.key() + (expanded ? "[" + scope.index() + "]" : "");
                    YamlNode.Mapping b = (YamlNode.Mapping) new ItemSubstitution(scope, findings).apply(body);
                    if (uses) {
                        Expanded sub = uses(id, b, params, path, chain);
                        out.addAll(sub.tasks());
                        outputs.add(sub.outputs());
                    } else {
                        own.add(out.size());
                        out.add(new YamlNode.Entry(id, e.line(), e.column(), b));
                    }
                    ids.add(id);
                }
                declared.put(e.key(), new Declared(ids, expanded, outputs, scopes.isEmpty()));
            }
        }
        ExpandedReferences refs = new ExpandedReferences(declared, findings);
        for (int i : own) out.set(i, refs.inTask(out.get(i)));
        return new Expanded(out, refs.outputs(file.entry("outputs")));
    }

    /** {@code defaults: {retry, timeout, resources, cache}}: each key as a task would write it. */
    private Map<String, YamlNode.Entry> defaults(YamlNode.Mapping file) {
        Map<String, YamlNode.Entry> out = new LinkedHashMap<>();
        YamlNode v = file.get("defaults").orElse(null);
        if (v == null || v instanceof YamlNode.Scalar s && s.isNull()) return out;
        if (!(v instanceof YamlNode.Mapping m)) {
            findings.error(v, "defaults must be a map such as {retry: {attempts: 3}, timeout: 10m}, got " + Findings.describe(v));
            return out;
        }
        for (YamlNode.Entry e : m.entries()) {
            if (DEFAULT_KEYS.contains(e.key())) {
                out.put(e.key(), e);
            } else {
                findings.error(e, "unknown key '" + e.key() + "' in defaults" + Findings.suffix(Suggestions.didYouMean(e.key(), DEFAULT_KEYS)));
            }
        }
        return out;
    }

    /** A default applies to a task as a whole key: a task that sets the key keeps only its own value. */
    private static YamlNode.Mapping withDefaults(YamlNode.Mapping task, Map<String, YamlNode.Entry> defaults) {
        List<YamlNode.Entry> out = new ArrayList<>(task.entries());
        defaults.forEach((k, d) -> {
            if (task.entry(k).isEmpty()) out.add(d);
        });
        return new YamlNode.Mapping(out, task.line(), task.column());
    }

    /** One scope per expansion: each item of {@code foreach}, or each combination of {@code matrix}, last key fastest. */
    private List<ItemSubstitution.Scope> scopes(YamlNode.Mapping task, Map<String, YamlNode> params) {
        Optional<YamlNode.Entry> foreach = task.entry("foreach");
        Optional<YamlNode.Entry> matrix = task.entry("matrix");
        List<ItemSubstitution.Scope> out = new ArrayList<>();
        if (foreach.isPresent() && matrix.isPresent()) {
            findings.error(matrix.get(), "a task takes foreach or matrix, not both (a matrix of one key is a foreach)");
            return out;
        }
        if (foreach.isPresent()) {
            YamlNode.Seq items = list(foreach.get().value(), params, "foreach");
            if (items == null) return out;
            for (int i = 0; i < items.items().size(); i++) out.add(new ItemSubstitution.Scope(items.items().get(i), null, i));
            return out;
        }
        YamlNode m = matrix.get().value();
        if (!(m instanceof YamlNode.Mapping keys) || keys.entries().isEmpty()) {
            findings.error(m, "matrix must be a map of name: list of values, such as {lr: [0.1, 0.01], task: [a, b]}, got "
                    + Findings.describe(m));
            return out;
        }
        List<Map<String, YamlNode>> combos = List.of(Map.of());
        for (YamlNode.Entry k : keys.entries()) {
            YamlNode.Seq values = list(k.value(), params, "matrix." + k.key());
            if (values == null) return new ArrayList<>();
            List<Map<String, YamlNode>> next = new ArrayList<>();
            for (Map<String, YamlNode> c : combos) {
                for (YamlNode v : values.items()) {
                    Map<String, YamlNode> grown = new LinkedHashMap<>(c);
                    grown.put(k.key(), v);
                    next.add(grown);
                }
            }
            combos = next;
        }
        for (int i = 0; i < combos.size(); i++) out.add(new ItemSubstitution.Scope(null, combos.get(i), i));
        return out;
    }

    /** A non-empty list, written out or from {@code ${params.NAME}}; null after reporting why not. */
    private YamlNode.Seq list(YamlNode v, Map<String, YamlNode> params, String what) {
        YamlNode value = v;
        if (v instanceof YamlNode.Scalar s && s.isString() && s.value().asText().contains("${")) {
            int before = findings.diagnostics.size();
            value = new ParamSubstitution(params, findings).apply(v, List.of(what));
            if (findings.diagnostics.size() > before) return null;
            // A param's value is not substituted again later: keep its "${" literal.
            value = escape(value);
        }
        if (!(value instanceof YamlNode.Seq s)) {
            findings.error(v, what + " needs a list, got " + Findings.describe(value) + " (" + LIST_HINT + ")");
            return null;
        }
        if (s.items().isEmpty()) {
            findings.error(v, what + " is an empty list, which would make no tasks (give it at least one value)");
            return null;
        }
        return s;
    }

    /** The tasks of the file a {@code uses} task names, ids prefixed {@code id/}, its params from {@code with}. */
    private Expanded uses(String id, YamlNode.Mapping task, Map<String, YamlNode> params, Path from, List<Path> chain) {
        for (YamlNode.Entry e : task.entries()) {
            if (!USES_TASK_KEYS.contains(e.key())) {
                findings.error(e, "'" + e.key() + "' cannot be set on task '" + id + "', which uses another file (set it on the"
                        + " tasks of that file; here only " + String.join(", ", USES_TASK_KEYS) + ")");
            }
        }
        YamlNode v = task.get("uses").orElseThrow();
        Path target = usedPath(v, from, chain);
        if (target == null) return Expanded.NONE;
        Optional<YamlNode.Mapping> file = read(target, (YamlNode.Scalar) v);
        if (file.isEmpty()) return Expanded.NONE;
        Map<String, YamlNode> subParams = usedParams(file.get(), task.entry("with"), params, id);
        List<Path> longer = new ArrayList<>(chain);
        longer.add(target);
        Expanded sub = file(file.get(), subParams, id + "/", target, longer);
        // The used file's params now, then "${" kept literal: the caller's substitution comes after.
        ParamSubstitution substitution = new ParamSubstitution(subParams, findings);
        List<YamlNode.Entry> tasks = sub.tasks().stream().map(e -> new YamlNode.Entry(e.key(), e.line(), e.column(),
                escape(substitution.apply(e.value(), List.of("tasks", e.key()))))).toList();
        return new Expanded(tasks, sub.outputs());
    }

    /**
     * A task whose {@code with.template} is {@code {uses: FILE, with: {...}}} (an agent search's
     * template) gets the file's {@code tasks} there instead, its params substituted: the node receives
     * the template as plain JSON. The file is found and confined as for a {@code uses} task.
     */
    private YamlNode.Mapping withTemplateFile(YamlNode.Mapping task, String id, Map<String, YamlNode> callerParams, Path from, List<Path> chain) {
        if (!(task.get("with").orElse(null) instanceof YamlNode.Mapping with)
                || !(with.get("template").orElse(null) instanceof YamlNode.Mapping template)
                || template.entry("uses").isEmpty()) {
            return task;
        }
        YamlNode.Mapping tasks = templateFile(template, id, callerParams, from, chain);
        if (tasks == null) return task;
        YamlNode.Mapping read = new YamlNode.Mapping(List.of(new YamlNode.Entry("tasks", tasks.line(), tasks.column(), tasks)),
                template.line(), template.column());
        return replace(task, "with", replace(with, "template", read));
    }

    /** The tasks of a template file, its params from the template's {@code with}; null after reporting why not. */
    private YamlNode.Mapping templateFile(YamlNode.Mapping template, String id, Map<String, YamlNode> callerParams, Path from, List<Path> chain) {
        for (YamlNode.Entry e : template.entries()) {
            if (!e.key().equals("uses") && !e.key().equals("with")) {
                findings.error(e, "a template read from a file takes only uses and with (its params), not '" + e.key() + "'");
                return null;
            }
        }
        YamlNode v = template.get("uses").orElseThrow();
        Path target = usedPath(v, from, chain);
        if (target == null) return null;
        Optional<YamlNode.Mapping> file = read(target, (YamlNode.Scalar) v);
        if (file.isEmpty()) return null;
        for (String key : List.of("defaults", "outputs")) {
            file.get().entry(key).ifPresent(e -> findings.error(e, "a template file takes name, params and tasks, not '" + key
                    + "' (its tasks run with the search task's retry, timeout and resources)"));
        }
        Map<String, YamlNode> params = usedParams(file.get(), template.entry("with"), callerParams, id);
        YamlNode tasks = new ParamSubstitution(params, findings).apply(file.get().get("tasks").orElseThrow(), List.of("template", id));
        // Its params are in now; "${" kept literal for the caller's substitution (which leaves ${candidate.x} alone anyway).
        return (YamlNode.Mapping) escape(tasks);
    }

    private static YamlNode.Mapping replace(YamlNode.Mapping m, String key, YamlNode value) {
        return new YamlNode.Mapping(m.entries().stream()
                .map(e -> e.key().equals(key) ? new YamlNode.Entry(key, e.line(), e.column(), value) : e).toList(), m.line(), m.column());
    }

    /** The file a {@code uses} value names, relative to {@code from} and under the root; null after reporting why not. */
    private Path usedPath(YamlNode v, Path from, List<Path> chain) {
        if (!(v instanceof YamlNode.Scalar s && s.isString() && !s.value().asText().isBlank())) {
            findings.error(v, "uses must be the path of a workflow file, such as lib/eval.yaml, got " + Findings.describe(v));
            return null;
        }
        String written = s.value().asText();
        if (root == null || from == null) {
            findings.error(s, "uses '" + written + "' needs the workflow to be loaded from a file, to find it relative to that file");
            return null;
        }
        Path target;
        try {
            target = from.getParent().resolve(written).normalize();
        } catch (InvalidPathException e) {
            findings.error(s, "uses '" + written + "' is not a valid path: " + e.getReason());
            return null;
        }
        if (!target.startsWith(root)) {
            findings.error(s, "uses '" + written + "' leads outside " + (shownRoot == null ? "the workflow's directory" : shownRoot)
                    + " (used files must lie in the directory of the"
                    + " top-level workflow or below it)");
            return null;
        }
        if (chain.contains(target)) {
            List<String> names = new ArrayList<>(chain.subList(chain.indexOf(target), chain.size()).stream().map(this::shown).toList());
            names.add(shown(target));
            findings.error(s, "uses cycle: " + String.join(" -> ", names) + " (a file cannot use itself, directly or through others)");
            return null;
        }
        return target;
    }

    /** The used file's tree, its lines moved into its own range; empty after reporting why not. */
    private Optional<YamlNode.Mapping> read(Path target, YamlNode.Scalar at) {
        String text;
        try {
            text = Files.readString(target);
        } catch (NoSuchFileException e) {
            findings.error(at, "uses '" + at.value().asText() + "': no such file " + shown(target));
            return Optional.empty();
        } catch (CharacterCodingException e) {
            findings.error(at, "uses '" + at.value().asText() + "': " + shown(target) + " is not UTF-8 text");
            return Optional.empty();
        } catch (IOException e) {
            findings.error(at, "uses '" + at.value().asText() + "': cannot read " + shown(target)
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()));
            return Optional.empty();
        }
        int base = findings.files.add(shown(target));
        YamlReader.Result r;
        try {
            r = YamlReader.read(text);
        } catch (YamlReader.SyntaxError e) {
            findings.error(e.diagnostic.line() + base, e.diagnostic.column(), e.diagnostic.text());
            return Optional.empty();
        }
        for (Diagnostic d : r.errors()) findings.error(d.line() + base, d.column(), d.text());
        for (YamlNode alias : r.aliases()) findings.quietAfterFirst(alias.line() + base, alias.column());
        if (r.root() == null || text.lines().count() > SourceFiles.MAX_LINE) {
            findings.error(base + 1, 1, r.root() == null ? "the used file is empty; it needs 'tasks'"
                    : "the used file is longer than " + SourceFiles.MAX_LINE + " lines");
            return Optional.empty();
        }
        YamlNode root = SourceFiles.shift(r.root(), base);
        if (!(root instanceof YamlNode.Mapping m)) {
            findings.error(root, "a used workflow file must be a map with 'tasks', got " + Findings.describe(root));
            return Optional.empty();
        }
        for (YamlNode.Entry e : m.entries()) {
            if (e.key().equals("seed")) {
                findings.error(e, "a used file runs with its caller's seed; remove 'seed'");
            } else if (!USED_FILE_KEYS.contains(e.key())) {
                findings.error(e, "unknown key '" + e.key() + "' in a used file" + Findings.suffix(Suggestions.didYouMean(e.key(), USED_FILE_KEYS)));
            }
        }
        YamlNode tasks = m.get("tasks").orElse(null);
        if (!(tasks instanceof YamlNode.Mapping t) || t.entries().isEmpty()) {
            findings.error(tasks == null ? m : tasks, "a used file needs 'tasks', a map of task id: task with at least one task"
                    + (tasks == null ? "" : ", got " + Findings.describe(tasks)));
            return Optional.empty();
        }
        return Optional.of(m);
    }

    /** The used file's declared params, each one {@code with} names set to the caller's value. */
    private Map<String, YamlNode> usedParams(YamlNode.Mapping file, Optional<YamlNode.Entry> with,
                                             Map<String, YamlNode> callerParams, String id) {
        Map<String, YamlNode> params = new LinkedHashMap<>();
        YamlNode declared = file.get("params").orElse(null);
        if (declared instanceof YamlNode.Mapping m) {
            for (YamlNode.Entry e : m.entries()) params.put(e.key(), e.value());
        } else if (declared != null && !(declared instanceof YamlNode.Scalar s && s.isNull())) {
            findings.error(declared, "params must be a map of name: value, got " + Findings.describe(declared));
        }
        YamlNode w = with.map(YamlNode.Entry::value).orElse(null);
        if (w == null || w instanceof YamlNode.Scalar s && s.isNull()) return params;
        if (!(w instanceof YamlNode.Mapping m)) {
            findings.error(w, "'with' of a uses task must be a map of the used file's params, got " + Findings.describe(w));
            return params;
        }
        ParamSubstitution callers = new ParamSubstitution(callerParams, findings);
        for (YamlNode.Entry e : m.entries()) {
            if (!params.containsKey(e.key())) {
                findings.error(e, "unknown param '" + e.key() + "' for the used file (declare it under its params:)"
                        + Findings.suffix(params.isEmpty() ? null : Suggestions.didYouMean(e.key(), params.keySet())));
                continue;
            }
            params.put(e.key(), callers.apply(e.value(), List.of("uses", id, e.key())));
        }
        return params;
    }

    private String shown(Path p) {
        Path rel = root.relativize(p);
        return (shownRoot == null ? rel : shownRoot.resolve(rel)).toString().replace('\\', '/');
    }

    private static YamlNode.Mapping without(YamlNode.Mapping m, String... keys) {
        List<String> drop = List.of(keys);
        return new YamlNode.Mapping(m.entries().stream().filter(e -> !drop.contains(e.key())).toList(), m.line(), m.column());
    }

    /** Every string with {@code ${} written {@code $${}, so a later param substitution leaves it as text. */
    static YamlNode escape(YamlNode n) {
        if (n instanceof YamlNode.Mapping m) {
            return new YamlNode.Mapping(m.entries().stream()
                    .map(e -> new YamlNode.Entry(e.key(), e.line(), e.column(), escape(e.value()))).toList(), m.line(), m.column());
        }
        if (n instanceof YamlNode.Seq s) return new YamlNode.Seq(s.items().stream().map(WorkflowExpansion::escape).toList(), s.line(), s.column());
        YamlNode.Scalar s = (YamlNode.Scalar) n;
        if (!s.isString() || !s.value().asText().contains("${")) return s;
        return new YamlNode.Scalar(JsonNodeFactory.instance.textNode(s.value().asText().replace("${", "$${")), s.line(), s.column());
    }
}
