package org.mtflow.dsl;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.mtflow.devices.DeviceInfo;
import org.mtflow.engine.node.NodeCatalog;
import org.mtflow.engine.node.NodeType;
import org.mtflow.engine.spec.GraphValidator;
import org.mtflow.engine.spec.Problem;
import org.mtflow.engine.spec.SpecException;
import org.mtflow.engine.spec.TaskSpec;
import org.mtflow.engine.spec.WorkflowSpec;

/**
 * The Java DSL: a workflow built by chained calls, giving the same {@link WorkflowSpec} as the same
 * workflow written in YAML.
 *
 * <pre>
 * Workflow w = Workflow.named("study").seed(42);
 * Task a = w.task("a", "util.random").with("shape", List.of(64, 64));
 * Task b = w.task("b", "util.random").with("shape", List.of(64, 64));
 * w.task("sum", "util.sum").inputs("values", List.of(a.out("tensor"), b.out("tensor"))).timeout("30s");
 * LoadedWorkflow loaded = w.build(catalog);
 * </pre>
 *
 * Nothing is checked against the node catalog until {@link #build}; every problem is then reported
 * at the line of the Java source that made the call, as {@code File.java:LINE: error: message}.
 */
public final class Workflow {
    /**
     * The id of the task {@link #forEach} makes for item {@code index}: {@code id[0]}, {@code id[1]}…
     * (as the YAML {@code foreach} names its tasks).
     */
    public static final String EXPANDED_ID = "%s[%d]";

    /** Configures the task one item of {@link #forEach} made. */
    @FunctionalInterface
    public interface Each<T> {
        void configure(T item, int index, Task task);
    }

    private record Found(CallSite site, String text) {}

    private final String name;
    private final CallSite site;
    private long seed;
    private Params params;
    private final Map<String, Task> tasks = new LinkedHashMap<>();
    private final List<Found> problems = new ArrayList<>();
    /** Paths whose validator problems only repeat one already reported here. */
    private final Set<List<Object>> quiet = new HashSet<>();

    private Workflow(String name, CallSite site) {
        this.name = name;
        this.site = site;
    }

    public static Workflow named(String name) {
        CallSite at = CallSite.here();
        Workflow w = new Workflow(name == null ? "" : name, at);
        if (name == null || name.isBlank()) w.problem(at, "the workflow's name must not be empty");
        return w;
    }

    /** Every random draw of the run derives from it (default 0). */
    public Workflow seed(long seed) {
        this.seed = seed;
        return this;
    }

    /** Records the params the script read (with their values) in the spec, as YAML's {@code params:}. */
    public Workflow params(Params params) {
        this.params = Objects.requireNonNull(params, "params");
        return this;
    }

    /** Adds a task running node type {@code type}; ids are letters, digits, '_' and '-'. */
    public Task task(String id, String type) {
        CallSite at = CallSite.here();
        checkId(id, at);
        return add(id, type, at);
    }

    /**
     * One task per item, with ids {@code id[0]}, {@code id[1]}… ({@link #EXPANDED_ID}), each of type
     * {@code type} and configured by {@code body}.
     */
    public <T> TaskGroup forEach(String id, String type, List<T> items, Each<T> body) {
        CallSite at = CallSite.here();
        checkId(id, at);
        List<Task> made = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            Task t = add(expandedId(id, i), type, at);
            body.configure(items.get(i), i, t);
            made.add(t);
        }
        return new TaskGroup(made);
    }

    public static String expandedId(String id, int index) {
        return String.format(EXPANDED_ID, id, index);
    }

    private void checkId(String id, CallSite at) {
        if (id == null || !WorkflowLoader.TASK_ID.matcher(id).matches()) {
            problem(at, "invalid task id '" + id + "': use letters, digits, '_' and '-', starting with a letter or '_'");
        }
    }

    private Task add(String id, String type, CallSite at) {
        Task t = new Task(this, id == null ? "" : id, type == null ? "" : type, at);
        Task before = tasks.putIfAbsent(t.id(), t);
        if (before != null) {
            problem(at, "duplicate task id '" + id + "' (first added at line " + before.site.line() + ")");
        }
        return t;
    }

    void problem(CallSite at, String text) {
        problems.add(new Found(at, text));
    }

    void quiet(List<Object> path) {
        quiet.add(List.copyOf(path));
    }

    boolean owns(Task t) {
        return t.workflow() == this;
    }

    /** The spec as built so far, unchecked. */
    public WorkflowSpec spec() {
        List<TaskSpec> specs = tasks.values().stream().map(Task::spec).toList();
        return new WorkflowSpec(name, seed, params == null ? Params.defaults().values() : params.values(), specs);
    }

    /** Checks the workflow against the node types (not against devices) and returns it. */
    public LoadedWorkflow build(NodeCatalog catalog) throws SpecException {
        return build(catalog, null, null);
    }

    /**
     * Checks the workflow: node types, params, inputs and output names, cycles, and (unless
     * {@code devices} is null) that some device can run each task.
     *
     * @param script the script file it came from, for messages and the result's source; or null
     */
    public LoadedWorkflow build(NodeCatalog catalog, Collection<DeviceInfo> devices, Path script) throws SpecException {
        WorkflowSpec spec = spec();
        List<Found> found = new ArrayList<>(problems);
        for (Problem p : GraphValidator.validate(spec, catalog, devices)) {
            if (quiet.stream().anyMatch(q -> p.path().size() >= q.size() && p.path().subList(0, q.size()).equals(q))) continue;
            found.add(new Found(siteOf(p.path(), catalog), p.text()));
        }
        if (!found.isEmpty()) {
            found.sort((x, y) -> CallSite.BY_PLACE.compare(x.site(), y.site()));
            throw new SpecException(found.stream().map(f -> f.site().format(script) + ": error: " + f.text())
                    .distinct().toList());
        }
        return new LoadedWorkflow(script, spec, WorkflowWriter.toYaml(spec));
    }

    /** The call that wrote what a validator problem's path points at. */
    private CallSite siteOf(List<Object> path, NodeCatalog catalog) {
        if (path.size() < 2 || !"tasks".equals(path.get(0))) return site;
        Task t = tasks.get(String.valueOf(path.get(1)));
        if (t == null) return site;
        if (path.size() < 3) return t.site;
        return switch (String.valueOf(path.get(2))) {
            case "with" -> path.size() > 3 ? t.withSites.getOrDefault(String.valueOf(path.get(3)), t.site) : t.site;
            case "inputs" -> inputSite(t, path, catalog);
            case "retry" -> Optional.ofNullable(t.retrySite).orElse(t.site);
            case "timeout" -> Optional.ofNullable(t.timeoutSite).orElse(t.site);
            case "resources" -> Optional.ofNullable(t.resourcesSite).orElse(t.site);
            case "when" -> Optional.ofNullable(t.whenSite).orElse(t.site);
            default -> t.site;
        };
    }

    /**
     * A reference's problem (unknown output) goes to the {@code out(...)} call that named it; a
     * problem with the input itself (unknown input, list for one, min-success) to the binding call.
     */
    private static CallSite inputSite(Task t, List<Object> path, NodeCatalog catalog) {
        if (path.size() < 4) return t.site;
        Task.Binding b = t.inputs.get(String.valueOf(path.get(3)));
        if (b == null) return t.site;
        if (path.size() > 4 && path.get(4) instanceof Integer i && i >= 0 && i < b.outputs().size()) {
            return b.outputs().get(i).site;
        }
        boolean declared = catalog.find(t.type()).map(NodeType::inputs)
                .map(ports -> ports.stream().anyMatch(p -> p.name().equals(path.get(3)))).orElse(false);
        return path.size() == 4 && !b.many() && declared ? b.outputs().get(0).site : b.site();
    }
}
