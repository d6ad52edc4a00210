package org.mtflow.engine.spec;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One subtask of a workflow.
 *
 * @param id        unique within the workflow
 * @param type      the node type, e.g. {@code util.sum}
 * @param with      the node type's params, as JSON values (validated against its params record)
 * @param inputs    input name → the output(s) that feed it
 * @param retry     when and how often to try again
 * @param timeout   the longest one attempt may run, or null for no limit
 * @param resources what the device must offer
 * @param cache     whether a result with the same cache key may be reused
 * @param when      a {@link Condition} (its text): the task runs only if it is true once the tasks it
 *                  names have ended, else it is skipped; null to always run
 */
@JsonPropertyOrder({"id", "type", "with", "inputs", "retry", "timeout", "resources", "cache", "when"})
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TaskSpec(String id, String type, ObjectNode with, Map<String, InputBinding> inputs,
                       RetryPolicy retry, Duration timeout, Resources resources, boolean cache, String when) {

    /**
     * What a task id looks like: no dots (a dot separates task and output in {@code task.output});
     * {@code train[0]} names an expansion of a foreach or matrix, and {@code eval/score} a task of a
     * workflow that task {@code eval} uses (as the engine names spawned subtasks {@code parent/name}).
     */
    public static final java.util.regex.Pattern ID =
            java.util.regex.Pattern.compile("[A-Za-z_][A-Za-z0-9_-]*(\\[[0-9]+])?(/[A-Za-z_][A-Za-z0-9_-]*(\\[[0-9]+])?)*");

    public TaskSpec {
        with = with.deepCopy();
        inputs = Collections.unmodifiableMap(new LinkedHashMap<>(inputs));
    }

    /** A task without a condition. */
    public TaskSpec(String id, String type, ObjectNode with, Map<String, InputBinding> inputs, RetryPolicy retry,
                    Duration timeout, Resources resources, boolean cache) {
        this(id, type, with, inputs, retry, timeout, resources, cache, null);
    }
}
