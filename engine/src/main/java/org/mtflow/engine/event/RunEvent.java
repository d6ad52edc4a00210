package org.mtflow.engine.event;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.Map;
import org.mtflow.engine.CborMessage;

/**
 * Every state change of a run, on one stream: {@code events.jsonl}, {@code report.json} and the
 * console all read it. Each event has its {@code type}, {@code time} and {@code run}; events about
 * one task also name the {@code task}.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.PROPERTY, property = "type")
@JsonSubTypes({
    @JsonSubTypes.Type(value = RunEvent.RunStarted.class, name = "RunStarted"),
    @JsonSubTypes.Type(value = RunEvent.TaskQueued.class, name = "TaskQueued"),
    @JsonSubTypes.Type(value = RunEvent.TaskStarted.class, name = "TaskStarted"),
    @JsonSubTypes.Type(value = RunEvent.TaskProgress.class, name = "TaskProgress"),
    @JsonSubTypes.Type(value = RunEvent.TaskSucceeded.class, name = "TaskSucceeded"),
    @JsonSubTypes.Type(value = RunEvent.TaskCached.class, name = "TaskCached"),
    @JsonSubTypes.Type(value = RunEvent.TaskFailed.class, name = "TaskFailed"),
    @JsonSubTypes.Type(value = RunEvent.TaskRetrying.class, name = "TaskRetrying"),
    @JsonSubTypes.Type(value = RunEvent.TaskSkipped.class, name = "TaskSkipped"),
    @JsonSubTypes.Type(value = RunEvent.TaskSpawned.class, name = "TaskSpawned"),
    @JsonSubTypes.Type(value = RunEvent.TaskRecovered.class, name = "TaskRecovered"),
    @JsonSubTypes.Type(value = RunEvent.TaskInvalidated.class, name = "TaskInvalidated"),
    @JsonSubTypes.Type(value = RunEvent.DeviceDegraded.class, name = "DeviceDegraded"),
    @JsonSubTypes.Type(value = RunEvent.RunFinished.class, name = "RunFinished"),
})
@JsonInclude(JsonInclude.Include.NON_NULL)
public sealed interface RunEvent extends CborMessage {
    Instant time();

    String run();

    /** An event about one task. */
    sealed interface TaskEvent extends RunEvent {
        String task();
    }

    /** @param resumed true when this continues a run that an earlier process started */
    @JsonPropertyOrder({"time", "run"})
    record RunStarted(Instant time, String run, String name, long seed, int tasks, boolean resumed) implements RunEvent {}

    @JsonPropertyOrder({"time", "run", "task"})
    record TaskQueued(Instant time, String run, String task) implements TaskEvent {}

    @JsonPropertyOrder({"time", "run", "task"})
    record TaskStarted(Instant time, String run, String task, int attempt, String device) implements TaskEvent {}

    @JsonPropertyOrder({"time", "run", "task"})
    record TaskProgress(Instant time, String run, String task, double fraction, String message) implements TaskEvent {}

    /** @param outputs output name → SHA-256 of the artifact */
    @JsonPropertyOrder({"time", "run", "task"})
    record TaskSucceeded(Instant time, String run, String task, int attempt, String device,
                         Map<String, String> outputs, ObjectNode metrics, long millis) implements TaskEvent {}

    /** The task's outputs were found in the cache: it did not run. */
    @JsonPropertyOrder({"time", "run", "task"})
    record TaskCached(Instant time, String run, String task, Map<String, String> outputs, ObjectNode metrics)
            implements TaskEvent {}

    /** @param last true when no attempt follows: the task has failed for good */
    @JsonPropertyOrder({"time", "run", "task"})
    record TaskFailed(Instant time, String run, String task, int attempt, String device, String error,
                      String message, boolean last) implements TaskEvent {}

    @JsonPropertyOrder({"time", "run", "task"})
    record TaskRetrying(Instant time, String run, String task, int nextAttempt, long delayMillis) implements TaskEvent {}

    /**
     * The task will not run in this session.
     *
     * @param reason why: an upstream task failed, or the run was cancelled ("run cancelled: why")
     * @param cause  the task whose failure made this one impossible; null when the run was cancelled
     */
    @JsonPropertyOrder({"time", "run", "task"})
    record TaskSkipped(Instant time, String run, String task, String reason, String cause) implements TaskEvent {}

    /** A running task added a subtask at run time; its id is {@code <parent>/<name>}. */
    @JsonPropertyOrder({"time", "run", "task"})
    record TaskSpawned(Instant time, String run, String task, String parent, String nodeType, int depth)
            implements TaskEvent {}

    /** The task finished in an earlier session of this run (it is in the run journal): it did not run again. */
    @JsonPropertyOrder({"time", "run", "task"})
    record TaskRecovered(Instant time, String run, String task, Map<String, String> outputs, ObjectNode metrics)
            implements TaskEvent {}

    /** A finished task's recorded outputs are missing or corrupt in the store: it runs again. */
    @JsonPropertyOrder({"time", "run", "task"})
    record TaskInvalidated(Instant time, String run, String task, String reason) implements TaskEvent {}

    /** A device kept failing for device reasons and was taken out of rotation. */
    @JsonPropertyOrder({"time", "run"})
    record DeviceDegraded(Instant time, String run, String device, String reason) implements RunEvent {}

    /**
     * @param status  {@code succeeded}, {@code failed} or {@code cancelled}
     * @param skipped tasks skipped, including those a cancel ended
     */
    @JsonPropertyOrder({"time", "run"})
    record RunFinished(Instant time, String run, String status, int succeeded, int cached, int failed,
                       int skipped, long millis) implements RunEvent {}
}
