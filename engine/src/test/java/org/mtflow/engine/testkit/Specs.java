package org.mtflow.engine.testkit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mtflow.devices.DeviceSelector;
import org.mtflow.engine.event.Json;
import org.mtflow.engine.spec.ErrorClass;
import org.mtflow.engine.spec.InputBinding;
import org.mtflow.engine.spec.OutputRef;
import org.mtflow.engine.spec.Resources;
import org.mtflow.engine.spec.RetryPolicy;
import org.mtflow.engine.spec.TaskSpec;
import org.mtflow.engine.spec.WorkflowSpec;

/** Builds specs in tests the way the DSL would. */
public final class Specs {
    private Specs() {}

    public static WorkflowSpec workflow(String name, long seed, TaskSpec... tasks) {
        return new WorkflowSpec(name, seed, Json.MAPPER.createObjectNode(), List.of(tasks));
    }

    public static Task task(String id, String type) {
        return new Task(id, type);
    }

    /** A retry policy without jitter, so delays are exact. */
    public static RetryPolicy retry(int attempts, long backoffMillis, ErrorClass... on) {
        return new RetryPolicy(attempts, Duration.ofMillis(backoffMillis), Duration.ofMinutes(1), 0,
                on.length == 0 ? List.of(ErrorClass.ANY) : List.of(on));
    }

    /**
     * The diamond used across tests: {@code src} draws n floats, {@code left} scales them by 2,
     * {@code right} by -0.5, {@code total} sums both. Powers of two keep the float32 scaling exact.
     */
    public static WorkflowSpec diamond(long seed, int n) {
        return workflow("diamond", seed,
                task("src", "test.source").with("n", n).build(),
                task("left", "test.scale").with("factor", 2.0).input("x", "src.values").build(),
                task("right", "test.scale").with("factor", -0.5).input("x", "src.values").build(),
                task("total", "test.sum").inputs("values", "left.y", "right.y").build());
    }

    public static final class Task {
        private final String id;
        private final String type;
        private final ObjectNode with = Json.MAPPER.createObjectNode();
        private final Map<String, InputBinding> inputs = new LinkedHashMap<>();
        private RetryPolicy retry = RetryPolicy.NONE;
        private Duration timeout;
        private Resources resources = Resources.DEFAULT;
        private boolean cache = true;
        private String when;

        Task(String id, String type) {
            this.id = id;
            this.type = type;
        }

        public Task with(String key, Object value) {
            with.set(key, Json.MAPPER.valueToTree(value));
            return this;
        }

        public Task input(String name, String ref) {
            inputs.put(name, new InputBinding.One(parse(ref)));
            return this;
        }

        public Task inputs(String name, String... refs) {
            inputs.put(name, new InputBinding.Many(Arrays.stream(refs).map(Specs::parse).toList()));
            return this;
        }

        /** A list of which at least {@code minSuccess} producers must succeed. */
        public Task inputs(String name, int minSuccess, String... refs) {
            inputs.put(name, new InputBinding.Many(Arrays.stream(refs).map(Specs::parse).toList(), minSuccess));
            return this;
        }

        public Task retry(RetryPolicy policy) {
            this.retry = policy;
            return this;
        }

        public Task timeout(Duration timeout) {
            this.timeout = timeout;
            return this;
        }

        public Task device(DeviceSelector device) {
            this.resources = new Resources(device, resources.memory(), resources.slots());
            return this;
        }

        public Task resources(Resources resources) {
            this.resources = resources;
            return this;
        }

        public Task cache(boolean cache) {
            this.cache = cache;
            return this;
        }

        /** Runs only if this {@code when:} expression is true. */
        public Task when(String expression) {
            this.when = expression;
            return this;
        }

        public TaskSpec build() {
            return new TaskSpec(id, type, with, inputs, retry, timeout, resources, cache, when);
        }
    }

    private static OutputRef parse(String ref) {
        return OutputRef.parse(ref).orElseThrow(() -> new IllegalArgumentException("not task.output: " + ref));
    }
}
