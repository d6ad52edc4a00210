package org.mtflow.nodes;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mtflow.engine.event.Json;
import org.mtflow.engine.spec.ErrorClass;
import org.mtflow.engine.spec.InputBinding;
import org.mtflow.engine.spec.OutputRef;
import org.mtflow.engine.spec.Resources;
import org.mtflow.engine.spec.RetryPolicy;
import org.mtflow.engine.spec.TaskSpec;
import org.mtflow.engine.spec.WorkflowSpec;

/**
 * Builds {@link WorkflowSpec}s in tests without YAML:
 * {@code Workflows.named("w", seed).task("a", "util.random").with("shape", List.of(2, 3)).build()}.
 * Tasks default to no retry, no timeout, any device, and no caching.
 */
public final class Workflows {
    private final String name;
    private final long seed;
    private final List<Task> tasks = new ArrayList<>();

    private Workflows(String name, long seed) {
        this.name = name;
        this.seed = seed;
    }

    public static Workflows named(String name, long seed) {
        return new Workflows(name, seed);
    }

    /** Adds a task; configure it with the returned builder, then go on with {@code task(..)} or {@code build()}. */
    public Task task(String id, String type) {
        Task t = new Task(id, type);
        tasks.add(t);
        return t;
    }

    public WorkflowSpec build() {
        return new WorkflowSpec(name, seed, Json.MAPPER.createObjectNode(),
                tasks.stream().map(Task::spec).toList());
    }

    /** One task of the workflow being built. */
    public final class Task {
        private final String id;
        private final String type;
        private final ObjectNode with = Json.MAPPER.createObjectNode();
        private final Map<String, InputBinding> inputs = new LinkedHashMap<>();
        private RetryPolicy retry = RetryPolicy.NONE;
        private Duration timeout;
        private boolean cache;

        private Task(String id, String type) {
            this.id = id;
            this.type = type;
        }

        /** Sets a param of the node type (any value Jackson can turn into JSON). */
        public Task with(String key, Object value) {
            with.set(key, Json.MAPPER.valueToTree(value));
            return this;
        }

        /** Binds a single input to {@code task.output}. */
        public Task input(String name, String ref) {
            inputs.put(name, new InputBinding.One(parse(ref)));
            return this;
        }

        /** Binds a list input to outputs written {@code task.output}. */
        public Task inputs(String name, String... refs) {
            inputs.put(name, new InputBinding.Many(Arrays.stream(refs).map(Workflows::parse).toList()));
            return this;
        }

        /** Up to {@code attempts} attempts on any non-permanent error, with a short fixed backoff. */
        public Task retry(int attempts) {
            retry = new RetryPolicy(attempts, Duration.ofMillis(10), Duration.ofMillis(20), 0, List.of(ErrorClass.ANY));
            return this;
        }

        public Task timeout(Duration timeout) {
            this.timeout = timeout;
            return this;
        }

        public Task cache(boolean cache) {
            this.cache = cache;
            return this;
        }

        public Task task(String id, String type) {
            return Workflows.this.task(id, type);
        }

        public WorkflowSpec build() {
            return Workflows.this.build();
        }

        private TaskSpec spec() {
            return new TaskSpec(id, type, with, inputs, retry, timeout, Resources.DEFAULT, cache);
        }
    }

    private static OutputRef parse(String ref) {
        return OutputRef.parse(ref).orElseThrow(() -> new IllegalArgumentException("not task.output: " + ref));
    }
}
