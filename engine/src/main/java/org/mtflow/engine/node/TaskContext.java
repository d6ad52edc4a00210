package org.mtflow.engine.node;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.mtflow.devices.DeviceInfo;
import org.mtflow.engine.store.ArtifactRef;
import org.mtflow.kernels.TensorOps;

/** Everything a node type sees of the run while one of its tasks executes. */
public interface TaskContext<P> {

    P params();

    String runId();

    String taskId();

    /** 1 for the first attempt. */
    int attempt();

    /** The run's seed. */
    long seed();

    /**
     * The Philox stream for a purpose of this task (e.g. "init", "dropout"): keyed by the task id
     * and the purpose, so draws do not depend on which worker runs the task or when.
     */
    long stream(String purpose);

    /** The device this attempt runs on. */
    DeviceInfo device();

    /** The kernels of that device. */
    TensorOps ops();

    /** Whether the task binds the named input. */
    boolean hasInput(String name);

    /** The artifact file of a single input, checksum verified. */
    Path input(String name) throws IOException;

    /** The artifact files of a list input, in order, checksum verified. */
    List<Path> inputs(String name) throws IOException;

    /** The file of an artifact in the store (say, a subtask's output), checksum verified. */
    Path artifact(ArtifactRef ref) throws IOException;

    /** The artifacts behind an input, in order: what a spawned subtask can be given as its inputs. */
    List<ArtifactRef> inputRefs(String name);

    /**
     * Adds a subtask to the run: node type {@code nodeType} with {@code params}, fed by existing
     * artifacts. It is scheduled, retried, cached and journaled like a declared task, with this task's
     * resources, retry policy and timeout; its id is {@code <this task>/<name>}. Spawning the same name
     * again (say, in a later attempt or after a resume) returns the same subtask, so finished subtasks
     * are never run twice. Refused (the result fails) over the run's spawn limits.
     */
    Subtask spawn(String name, String nodeType, ObjectNode params, Map<String, List<ArtifactRef>> inputs);

    /**
     * Waits for subtasks to end and returns their results in order. While it waits this task does
     * not hold its device slot, so its subtasks can run there.
     */
    List<SubtaskResult> await(List<Subtask> subtasks) throws InterruptedException;

    /** Writes a declared output: {@code writer} fills a temp file, which becomes the artifact. */
    ArtifactRef output(String name, OutputWriter writer) throws IOException;

    /**
     * A directory of this task's own that outlives a failed or killed attempt (and a resume of the
     * run): where a long task keeps checkpoints to go on from instead of starting over. Keyed by the
     * task's cache key when it has one (the same task with the same inputs), else by run and task
     * id; created on first call; removed once the task succeeds.
     */
    Path checkpointDir() throws IOException;

    /** Records a metric (a number, string, boolean, list or map of those) for report.json. */
    void metric(String name, Object value);

    /** Reports progress in [0, 1] with a short message. */
    void progress(double fraction, String message);

    boolean isCancelled();

    /** Throws {@link TaskCancelledException} once the task was cancelled or timed out. */
    default void checkCancelled() {
        if (isCancelled()) throw new TaskCancelledException("task " + taskId() + " was cancelled");
    }

    @FunctionalInterface
    interface OutputWriter {
        void write(OutputStream out) throws IOException;
    }
}
