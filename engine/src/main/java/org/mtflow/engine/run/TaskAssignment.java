package org.mtflow.engine.run;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import org.mtflow.engine.store.ArtifactRef;

/**
 * One attempt of one task, as sent to a worker: everything it needs to run the node, with inputs
 * by artifact reference (tensors never travel inside messages).
 *
 * @param cacheKey      where to record the outputs for reuse, or null when the task is not cached
 * @param timeoutMillis the attempt's time limit, 0 for none
 * @param slots         how many of the worker's slots the attempt takes
 * @param sources       on a cluster: for each input artifact the worker's node may lack (by SHA-256),
 *                      the artifact URLs of the nodes that hold it; empty when every input is local
 */
public record TaskAssignment(String runId, String taskId, int attempt, String nodeType, ObjectNode params,
                             Map<String, List<ArtifactRef>> inputs, long seed, long timeoutMillis, String cacheKey,
                             int slots, Map<String, List<String>> sources) {

    public TaskAssignment {
        sources = sources == null ? Map.of() : sources;
    }

    /** An attempt whose inputs are all in the worker's store (one machine). */
    public TaskAssignment(String runId, String taskId, int attempt, String nodeType, ObjectNode params,
                          Map<String, List<ArtifactRef>> inputs, long seed, long timeoutMillis, String cacheKey, int slots) {
        this(runId, taskId, attempt, nodeType, params, inputs, seed, timeoutMillis, cacheKey, slots, Map.of());
    }

    /** Identifies the attempt within a worker. */
    public String key() {
        return key(runId, taskId, attempt);
    }

    /** The key of attempt {@code attempt} of a run's task: how a coordinator names it to a worker. */
    public static String key(String runId, String taskId, int attempt) {
        return runId + "/" + taskId + "#" + attempt;
    }
}
