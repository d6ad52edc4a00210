package org.mtflow.dsl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.mtflow.devices.DeviceSelector;
import org.mtflow.engine.spec.Durations;
import org.mtflow.engine.spec.InputBinding;
import org.mtflow.engine.spec.OutputRef;
import org.mtflow.engine.spec.Resources;
import org.mtflow.engine.spec.RetryPolicy;
import org.mtflow.engine.spec.Sizes;
import org.mtflow.engine.spec.TaskSpec;

/**
 * One task of a {@link Workflow}, configured by chained calls. Each call remembers the script line
 * that made it: problems found when the workflow is built are reported there.
 */
public final class Task {
    private static final String DURATION_HINT = "write a number with a unit: 500ms, 30s, 2m, 1h or 1d";

    private final Workflow workflow;
    private final String id;
    private final String type;
    final CallSite site;
    private final ObjectNode with = JsonNodeFactory.instance.objectNode();
    final Map<String, CallSite> withSites = new HashMap<>();
    final Map<String, Binding> inputs = new LinkedHashMap<>();
    private RetryPolicy retry = RetryPolicy.NONE;
    CallSite retrySite;
    private Duration timeout;
    CallSite timeoutSite;
    private Resources resources = Resources.DEFAULT;
    CallSite resourcesSite;
    private boolean cache = true;
    private String when;
    CallSite whenSite;

    /** One input as bound: the call that bound it and the outputs, each with the call that named it. */
    record Binding(CallSite site, List<Output> outputs, int minSuccess, boolean many) {
        InputBinding spec() {
            List<OutputRef> refs = outputs.stream().map(Output::ref).toList();
            return many ? new InputBinding.Many(refs, minSuccess) : new InputBinding.One(refs.get(0));
        }
    }

    Task(Workflow workflow, String id, String type, CallSite site) {
        this.workflow = workflow;
        this.id = id;
        this.type = type;
        this.site = site;
    }

    public String id() { return id; }

    Workflow workflow() { return workflow; }

    public String type() { return type; }

    /** The output of that name, checked against the node type's outputs when the workflow is built. */
    public Output out(String name) {
        return new Output(this, Objects.requireNonNull(name, "output name"), CallSite.here());
    }

    /** Sets a param of the node type (a number, string, boolean, list, array or map of them). */
    public Task with(String param, Object value) {
        CallSite at = CallSite.here();
        if (withSites.containsKey(param)) {
            workflow.problem(at, "param '" + param + "' of task '" + id + "' is already set (at line "
                    + withSites.get(param).line() + "); set it once");
            return this;
        }
        try {
            JsonNode json = JsonValues.of(value);
            with.set(param, json);
            withSites.put(param, at);
        } catch (JsonValues.Unsupported e) {
            workflow.problem(at, "param '" + param + "' of task '" + id + "': " + e.getMessage());
        }
        return this;
    }

    /** Feeds input {@code name} from one output. */
    public Task inputs(String name, Output from) {
        return bind(name, new Binding(CallSite.here(), List.of(Objects.requireNonNull(from, "output")), 1, false));
    }

    /** Feeds a list input from these outputs, in order; all of them must succeed. */
    public Task inputs(String name, List<Output> from) {
        return bind(name, new Binding(CallSite.here(), List.copyOf(from), from.size(), true));
    }

    /**
     * Feeds a list input from these outputs, of which at least {@code minSuccess} must come from
     * producers that succeeded; the task receives those that did, in order.
     */
    public Task inputsAtLeast(String name, int minSuccess, List<Output> from) {
        return bind(name, new Binding(CallSite.here(), List.copyOf(from), minSuccess, true));
    }

    public Task inputsAtLeast(String name, int minSuccess, Output... from) {
        return bind(name, new Binding(CallSite.here(), List.of(from), minSuccess, true));
    }

    private Task bind(String name, Binding b) {
        Binding before = inputs.get(name);
        if (before != null) {
            workflow.problem(b.site(), "input '" + name + "' of task '" + id + "' is already bound (at line "
                    + before.site().line() + "); bind it once, a list for several outputs");
            return this;
        }
        for (Output o : b.outputs()) {
            if (!workflow.owns(o.task())) {
                workflow.problem(o.site, "output '" + o + "' belongs to another workflow; use tasks of this one");
                workflow.quiet(List.of("tasks", id, "inputs", name));
            }
        }
        inputs.put(name, b);
        return this;
    }

    /** Up to {@code attempts} attempts in all, with the default backoff. */
    public Task retry(int attempts) {
        return retry(policy(attempts, RetryPolicy.NONE.backoff()));
    }

    /** Up to {@code attempts} attempts, waiting {@code backoff} (doubling each time) between them. */
    public Task retry(int attempts, Duration backoff) {
        return retry(policy(attempts, Objects.requireNonNull(backoff, "backoff")));
    }

    /** As {@link #retry(int, Duration)}, the backoff written as in workflow files ({@code 100ms}). */
    public Task retry(int attempts, String backoff) {
        CallSite at = CallSite.here();
        Optional<Duration> d = duration(backoff, "retry backoff", at);
        retrySite = at;
        if (d.isPresent()) retry = policy(attempts, d.get());
        return this;
    }

    public Task retry(RetryPolicy policy) {
        retrySite = CallSite.here();
        retry = Objects.requireNonNull(policy, "retry policy");
        return this;
    }

    private static RetryPolicy policy(int attempts, Duration backoff) {
        return new RetryPolicy(attempts, backoff, RetryPolicy.NONE.maxBackoff(), RetryPolicy.NONE.jitter(),
                RetryPolicy.NONE.on());
    }

    /** The longest one attempt may run. */
    public Task timeout(Duration limit) {
        timeoutSite = CallSite.here();
        timeout = Objects.requireNonNull(limit, "timeout");
        return this;
    }

    /** As {@link #timeout(Duration)}, written as in workflow files: {@code 30s}, {@code 5m}. */
    public Task timeout(String limit) {
        CallSite at = CallSite.here();
        timeoutSite = at;
        duration(limit, "timeout", at).ifPresent(d -> timeout = d);
        return this;
    }

    /** Which devices may run it. */
    public Task resources(DeviceSelector device) {
        return resources(new Resources(Objects.requireNonNull(device, "device"), 0, 1));
    }

    /** Which devices may run it and the memory it needs there, e.g. {@code "2GiB"}. */
    public Task resources(DeviceSelector device, String memory) {
        CallSite at = CallSite.here();
        resourcesSite = at;
        Optional<Long> bytes = memory == null ? Optional.empty() : Sizes.parse(memory);
        if (bytes.isEmpty()) {
            workflow.problem(at, "invalid memory '" + memory + "' for task '" + id + "' (write bytes with a unit: 512MiB, 2GiB)");
        } else {
            resources = new Resources(Objects.requireNonNull(device, "device"), bytes.get(), 1);
        }
        return this;
    }

    public Task resources(Resources r) {
        resourcesSite = CallSite.here();
        resources = Objects.requireNonNull(r, "resources");
        return this;
    }

    /** Whether a recorded result with the same cache key may be reused (default true). */
    public Task cache(boolean reuse) {
        cache = reuse;
        return this;
    }

    /**
     * Runs the task only if {@code condition} is true once the tasks it names have ended, as YAML's
     * {@code when:} (e.g. {@code "${tasks.eval.metrics.accuracy} < 0.9"}); otherwise it is skipped.
     */
    public Task when(String condition) {
        whenSite = CallSite.here();
        when = Objects.requireNonNull(condition, "condition");
        return this;
    }

    private Optional<Duration> duration(String text, String what, CallSite at) {
        Optional<Duration> d = text == null ? Optional.empty() : Durations.parse(text);
        if (d.isEmpty()) workflow.problem(at, "invalid " + what + " '" + text + "' for task '" + id + "' (" + DURATION_HINT + ")");
        return d;
    }

    TaskSpec spec() {
        Map<String, InputBinding> bound = new LinkedHashMap<>();
        inputs.forEach((name, b) -> bound.put(name, b.spec()));
        return new TaskSpec(id, type, with, bound, retry, timeout, resources, cache, when);
    }

    @Override
    public String toString() { return id + " (" + type + ")"; }
}
