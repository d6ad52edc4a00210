package org.mtflow.engine.spec;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
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
        for (TaskSpec t : spec.tasks()) {
            List<Object> at = List.of("tasks", t.id());
            Optional<NodeType<?>> type = catalog.find(t.type());
            if (type.isEmpty()) {
                problems.add(Problem.at(path(at, "type"), "unknown node type '" + t.type() + "'",
                        Suggestions.didYouMean(t.type(), catalog.names())));
            } else {
                problems.addAll(ParamsBinder.check(type.get(), t.with(), path(at, "with")));
                checkInputs(t, type.get(), byId, catalog, problems);
            }
            checkPolicies(t, at, problems);
            if (devices != null && devices.stream().noneMatch(d -> t.resources().device().matches(d.kind())
                    && (t.resources().memory() == 0 || d.memoryBytes() >= t.resources().memory()))) {
                problems.add(Problem.at(path(at, "resources"), "no device can run task '" + t.id() + "': it needs device "
                        + t.resources().device().token()
                        + (t.resources().memory() > 0 ? " with " + Sizes.format(t.resources().memory()) : ""),
                        "devices here: " + devices.stream().map(d -> d.id() + " (" + d.kind().name().toLowerCase() + ")")
                                .collect(Collectors.joining(", "))));
            }
        }
        findCycle(spec, byId).ifPresent(problems::add);
        return problems;
    }

    private static void checkInputs(TaskSpec t, NodeType<?> type, Map<String, TaskSpec> byId, NodeCatalog catalog,
                                    List<Problem> problems) {
        List<Object> at = List.of("tasks", t.id(), "inputs");
        Map<String, Port> ports = type.inputs().stream().collect(Collectors.toMap(Port::name, p -> p,
                (a, b) -> a, LinkedHashMap::new));
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
                    List<String> outputs = sourceType.outputs().stream().map(Port::name).toList();
                    if (!outputs.contains(ref.output())) {
                        problems.add(Problem.at(refAt, "task '" + ref.task() + "' (" + sourceType.name()
                                + ") has no output '" + ref.output() + "'", Suggestions.didYouMean(ref.output(), outputs)));
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

    /** The first cycle found, reported at the reference that closes it. */
    private static Optional<Problem> findCycle(WorkflowSpec spec, Map<String, TaskSpec> byId) {
        Map<String, Integer> state = new HashMap<>(); // 1 = on the DFS stack, 2 = done
        List<String> stack = new ArrayList<>();
        for (TaskSpec t : spec.tasks()) {
            Optional<Problem> p = visit(t.id(), byId, state, stack);
            if (p.isPresent()) return p;
        }
        return Optional.empty();
    }

    private static Optional<Problem> visit(String id, Map<String, TaskSpec> byId, Map<String, Integer> state,
                                           List<String> stack) {
        Integer s = state.get(id);
        if (s != null && s == 2) return Optional.empty();
        TaskSpec t = byId.get(id);
        if (t == null) return Optional.empty();
        state.put(id, 1);
        stack.add(id);
        for (Map.Entry<String, InputBinding> e : t.inputs().entrySet()) {
            for (OutputRef ref : e.getValue().refs()) {
                Integer rs = state.get(ref.task());
                if (rs != null && rs == 1) {
                    List<String> cycle = new ArrayList<>(stack.subList(stack.indexOf(ref.task()), stack.size()));
                    cycle.add(ref.task());
                    return Optional.of(Problem.at(List.of("tasks", id, "inputs", e.getKey()),
                            "cycle: " + String.join(" -> ", reverse(cycle)),
                            "a task cannot depend on its own outputs"));
                }
                Optional<Problem> p = visit(ref.task(), byId, state, stack);
                if (p.isPresent()) return p;
            }
        }
        stack.remove(stack.size() - 1);
        state.put(id, 2);
        return Optional.empty();
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
