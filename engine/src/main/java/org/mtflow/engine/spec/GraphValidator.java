package org.mtflow.engine.spec;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.mtflow.devices.DeviceInfo;
import org.mtflow.engine.node.NodeCatalog;
import org.mtflow.engine.node.NodeType;
import org.mtflow.engine.node.ParamsBinder;
import org.mtflow.engine.node.Port;

/**
 * Checks a workflow before anything runs: node types exist, params fit their records, inputs are
 * declared and bound, references name existing tasks and outputs, there is no cycle, and some device
 * can run each task. Returns every problem, each with its path in the workflow.
 */
public final class GraphValidator {
    private GraphValidator() {}

    /**
     * @param devices the devices the run may use, or null to skip the resource check (e.g. when
     *                validating a file for another machine)
     */
    public static List<Problem> validate(WorkflowSpec spec, NodeCatalog catalog, Collection<DeviceInfo> devices) {
        List<Problem> problems = new ArrayList<>();
        Map<String, TaskSpec> byId = new LinkedHashMap<>();
        for (TaskSpec t : spec.tasks()) {
            if (byId.putIfAbsent(t.id(), t) != null) {
                problems.add(Problem.at(List.of("tasks", t.id()), "duplicate task id '" + t.id() + "'"));
            }
        }
        Map<String, List<String>> whenTasks = new HashMap<>(); // task → the tasks its condition names
        Map<Resources, Boolean> placeable = new HashMap<>(); // few distinct resources, many tasks
        Map<NodeType<?>, Map<String, Port>> portsOf = new HashMap<>();
        for (TaskSpec t : spec.tasks()) {
            List<Object> at = List.of("tasks", t.id());
            Optional<NodeType<?>> type = catalog.find(t.type());
            if (type.isEmpty()) {
                problems.add(Problem.at(path(at, "type"), "unknown node type '" + t.type() + "'",
                        Suggestions.didYouMean(t.type(), catalog.names())));
            } else {
                problems.addAll(ParamsBinder.check(type.get(), t.with(), path(at, "with")));
                checkInputs(t, type.get(), portsOf, byId, catalog, problems);
            }
            checkPolicies(t, at, problems);
            if (t.when() != null) checkWhen(t, byId, problems).ifPresent(c -> whenTasks.put(t.id(),
                    c.tasks().stream().filter(id -> !id.equals(t.id())).toList())); // itself: reported above
            if (devices != null && !placeable.computeIfAbsent(t.resources(), r -> devices.stream().anyMatch(d ->
                    r.device().matches(d.kind()) && (r.memory() == 0 || d.memoryBytes() >= r.memory())))) {
                problems.add(Problem.at(path(at, "resources"), "no device can run task '" + t.id() + "': it needs device "
                        + t.resources().device().token()
                        + (t.resources().memory() > 0 ? " with " + Sizes.format(t.resources().memory()) : ""),
                        "devices here: " + devices.stream().map(d -> d.id() + " (" + d.kind().name().toLowerCase() + ")")
                                .collect(Collectors.joining(", "))));
            }
        }
        findCycle(spec, byId, whenTasks).ifPresent(problems::add);
        return problems;
    }

    /** The condition parses and names existing tasks other than its own; empty when it does not parse. */
    private static Optional<Condition> checkWhen(TaskSpec t, Map<String, TaskSpec> byId, List<Problem> problems) {
        List<Object> at = List.of("tasks", t.id(), "when");
        Condition c;
        try {
            c = Condition.parse(t.when());
        } catch (Condition.ParseException e) {
            problems.add(Problem.at(at, "when: " + e.getMessage() + ", at column " + e.column + " of '" + t.when() + "'"));
            return Optional.empty();
        }
        for (String task : c.tasks()) {
            if (task.equals(t.id())) {
                problems.add(Problem.at(at, "when of task '" + t.id() + "' refers to the task itself",
                        "a condition can only read tasks that end before this one starts"));
            } else if (!byId.containsKey(task)) {
                problems.add(Problem.at(at, "when refers to unknown task '" + task + "'",
                        Suggestions.didYouMean(task, byId.keySet())));
            }
        }
        return Optional.of(c);
    }

    private static void checkInputs(TaskSpec t, NodeType<?> type, Map<NodeType<?>, Map<String, Port>> portsOf,
                                    Map<String, TaskSpec> byId, NodeCatalog catalog, List<Problem> problems) {
        List<Object> at = List.of("tasks", t.id(), "inputs");
        Map<String, Port> ports = portsOf.computeIfAbsent(type, ty -> ty.inputs().stream().collect(Collectors.toMap(
                Port::name, p -> p, (a, b) -> a, LinkedHashMap::new)));
        for (Map.Entry<String, InputBinding> e : t.inputs().entrySet()) {
            List<Object> inputAt = path(at, e.getKey());
            Port port = ports.get(e.getKey());
            if (port == null) {
                problems.add(Problem.at(inputAt, "unknown input '" + e.getKey() + "' for " + type.name(),
                        ports.isEmpty() ? type.name() + " takes no inputs" : Suggestions.didYouMean(e.getKey(), ports.keySet())));
                continue;
            }
            if (e.getValue() instanceof InputBinding.Many && !port.many()) {
                problems.add(Problem.at(inputAt, "input '" + port.name() + "' of " + type.name() + " takes one output, not a list"));
            }
            if (e.getValue() instanceof InputBinding.Many many) checkMinSuccess(e.getKey(), many, inputAt, problems);
            List<OutputRef> refs = e.getValue().refs();
            for (int i = 0; i < refs.size(); i++) {
                OutputRef ref = refs.get(i);
                List<Object> refAt = e.getValue() instanceof InputBinding.Many ? path(inputAt, i) : inputAt;
                TaskSpec source = byId.get(ref.task());
                if (source == null) {
                    problems.add(Problem.at(refAt, "input '" + e.getKey() + "' refers to unknown task '" + ref.task() + "'",
                            Suggestions.didYouMean(ref.task(), byId.keySet())));
                    continue;
                }
                catalog.find(source.type()).ifPresent(sourceType -> {
                    Port out = sourceType.outputs().stream().filter(o -> o.name().equals(ref.output())).findFirst()
                            .orElse(null);
                    if (out == null) {
                        List<String> outputs = sourceType.outputs().stream().map(Port::name).toList();
                        problems.add(Problem.at(refAt, "task '" + ref.task() + "' (" + sourceType.name()
                                + ") has no output '" + ref.output() + "'", Suggestions.didYouMean(ref.output(), outputs)));
                    } else if (port != null && !out.kind().feeds(port.kind())) {
                        List<String> fitting = sourceType.outputs().stream().filter(o -> o.kind().feeds(port.kind()))
                                .map(o -> ref.task() + "." + o.name()).toList();
                        problems.add(Problem.at(refAt, "input '" + e.getKey() + "' of " + type.name() + " takes a "
                                + port.kind().token() + ", but " + ref.task() + "." + ref.output() + " is a "
                                + out.kind().token() + " (" + sourceType.name() + ")",
                                fitting.isEmpty() ? null : "use " + String.join(" or ", fitting)));
                    }
                });
            }
        }
        for (Port p : ports.values()) {
            if (p.required() && !t.inputs().containsKey(p.name())) {
                problems.add(Problem.at(List.of("tasks", t.id()), type.name() + " needs input '" + p.name() + "' ("
                        + p.doc() + ")"));
            }
        }
    }

    /** All of the list (the default) is always fine; fewer must still be at least one. */
    private static void checkMinSuccess(String input, InputBinding.Many many, List<Object> inputAt, List<Problem> problems) {
        int k = many.minSuccess();
        int n = many.list().size();
        if (k == n) return;
        List<Object> at = path(inputAt, "min-success");
        if (k < 1) {
            problems.add(Problem.at(at, "min-success of input '" + input + "' must be at least 1, got " + k,
                    "leave it out to need all " + n + " outputs"));
        } else if (k > n) {
            problems.add(Problem.at(at, "min-success of input '" + input + "' is " + k + " but the list has only "
                    + n + (n == 1 ? " output" : " outputs"),
                    n == 0 ? "list the outputs under 'from'" : "use at most " + n + ", or leave it out to need them all"));
        }
    }

    private static void checkPolicies(TaskSpec t, List<Object> at, List<Problem> problems) {
        if (t.retry().attempts() < 1) {
            problems.add(Problem.at(path(at, "retry", "attempts"), "retry.attempts must be at least 1"));
        }
        if (t.retry().jitter() < 0 || t.retry().jitter() > 1) {
            problems.add(Problem.at(path(at, "retry", "jitter"), "retry.jitter must be within 0..1"));
        }
        if (t.timeout() != null && (t.timeout().isNegative() || t.timeout().isZero())) {
            problems.add(Problem.at(path(at, "timeout"), "timeout must be positive"));
        }
        if (t.resources().slots() < 1) {
            problems.add(Problem.at(path(at, "resources", "slots"), "resources.slots must be at least 1"));
        }
    }

    /**
     * The first cycle found, reported at the reference that closes it. A depth-first walk with an
     * explicit stack: a long chain (a million tasks declared consumer first) would overflow the
     * thread's stack if each step were a call.
     */
    private static Optional<Problem> findCycle(WorkflowSpec spec, Map<String, TaskSpec> byId,
                                               Map<String, List<String>> whenTasks) {
        Map<String, Byte> state = new HashMap<>(); // ON_PATH or DONE
        List<String> path = new ArrayList<>(); // the tasks on the walk, consumer first
        ArrayDeque<Walk> walks = new ArrayDeque<>();
        for (TaskSpec root : spec.tasks()) {
            if (state.containsKey(root.id())) continue;
            enter(byId.get(root.id()), state, path, walks, whenTasks);
            while (!walks.isEmpty()) {
                Walk w = walks.peek();
                if (!w.advance()) {
                    walks.pop();
                    path.remove(path.size() - 1);
                    state.put(w.task.id(), DONE);
                    continue;
                }
                String ref = w.ref();
                Byte rs = state.get(ref);
                if (rs == null) {
                    TaskSpec producer = byId.get(ref);
                    if (producer != null) enter(producer, state, path, walks, whenTasks);
                } else if (rs == ON_PATH) {
                    List<String> cycle = new ArrayList<>(path.subList(path.indexOf(ref), path.size()));
                    cycle.add(ref);
                    return Optional.of(Problem.at(w.at(),
                            "cycle: " + String.join(" -> ", reverse(cycle)),
                            "a task cannot depend on its own outputs"));
                }
            }
        }
        return Optional.empty();
    }

    private static final byte ON_PATH = 1, DONE = 2;

    private static void enter(TaskSpec t, Map<String, Byte> state, List<String> path, ArrayDeque<Walk> walks,
                              Map<String, List<String>> whenTasks) {
        state.put(t.id(), ON_PATH);
        path.add(t.id());
        walks.push(new Walk(t, whenTasks.getOrDefault(t.id(), List.of())));
    }

    /**
     * Where the walk stands in one task's references: input by input, each input's refs in order,
     * then the tasks its condition names (it waits for them as for its inputs).
     */
    private static final class Walk {
        final TaskSpec task;
        private final Iterator<Map.Entry<String, InputBinding>> inputs;
        private final List<String> whenTasks;
        private Map.Entry<String, InputBinding> current;
        private int next;
        private int nextWhen;

        Walk(TaskSpec task, List<String> whenTasks) {
            this.task = task;
            this.inputs = task.inputs().entrySet().iterator();
            this.whenTasks = whenTasks;
        }

        /** Moves to the next reference; false when there is none. */
        boolean advance() {
            while (current == null || next >= current.getValue().refs().size()) {
                if (!inputs.hasNext()) {
                    current = null;
                    return nextWhen++ < whenTasks.size();
                }
                current = inputs.next();
                next = 0;
            }
            next++;
            return true;
        }

        /** The place of the current reference: its input, or the condition. */
        List<Object> at() {
            return current == null ? List.of("tasks", task.id(), "when") : List.of("tasks", task.id(), "inputs", current.getKey());
        }

        String ref() { return current == null ? whenTasks.get(nextWhen - 1) : current.getValue().refs().get(next - 1).task(); }
    }

    /** DFS walks from consumer to producer; print the cycle in data-flow order. */
    private static List<String> reverse(List<String> list) {
        List<String> out = new ArrayList<>(list);
        java.util.Collections.reverse(out);
        return out;
    }

    private static List<Object> path(List<Object> base, Object... more) {
        List<Object> out = new ArrayList<>(base);
        out.addAll(List.of(more));
        return out;
    }
}
