package org.mtflow.nodes;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.mtflow.engine.spec.ErrorClass;
import org.mtflow.engine.spec.RetryPolicy;
import org.mtflow.engine.spec.TaskSpec;
import org.mtflow.engine.spec.WorkflowSpec;
import org.mtflow.engine.testkit.Specs;

/**
 * Chains the engine testkit's {@link Specs} builders into one expression:
 * {@code Workflows.named("w", seed).task("a", "util.random").with("shape", List.of(2, 3)).build()}.
 * Tasks default to no retry, no timeout, any device, and no caching.
 */
public final class Workflows {
    private final String name;
    private final long seed;
    private final List<Specs.Task> tasks = new ArrayList<>();

    private Workflows(String name, long seed) {
        this.name = name;
        this.seed = seed;
    }

    public static Workflows named(String name, long seed) {
        return new Workflows(name, seed);
    }

    /** Adds a task; configure it with the returned builder, then go on with {@code task(..)} or {@code build()}. */
    public Task task(String id, String type) {
        Specs.Task t = Specs.task(id, type).cache(false);
        tasks.add(t);
        return new Task(t);
    }

    public WorkflowSpec build() {
        return Specs.workflow(name, seed, tasks.stream().map(Specs.Task::build).toArray(TaskSpec[]::new));
    }

    /** One task of the workflow being built. */
    public final class Task {
        private final Specs.Task spec;

        private Task(Specs.Task spec) {
            this.spec = spec;
        }

        public Task with(String key, Object value) {
            spec.with(key, value);
            return this;
        }

        public Task withAll(java.util.Map<String, ?> params) {
            params.forEach(spec::with);
            return this;
        }

        public Task input(String name, String ref) {
            spec.input(name, ref);
            return this;
        }

        public Task inputs(String name, String... refs) {
            spec.inputs(name, refs);
            return this;
        }

        /** Up to {@code attempts} attempts on any non-permanent error, with a short fixed backoff. */
        public Task retry(int attempts) {
            spec.retry(new RetryPolicy(attempts, Duration.ofMillis(10), Duration.ofMillis(20), 0, List.of(ErrorClass.ANY)));
            return this;
        }

        public Task timeout(Duration timeout) {
            spec.timeout(timeout);
            return this;
        }

        public Task cache(boolean cache) {
            spec.cache(cache);
            return this;
        }

        public Task task(String id, String type) {
            return Workflows.this.task(id, type);
        }

        public WorkflowSpec build() {
            return Workflows.this.build();
        }
    }
}
