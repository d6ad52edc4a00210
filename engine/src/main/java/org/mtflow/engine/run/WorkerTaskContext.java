package org.mtflow.engine.run;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.ActorRef;
import org.mtflow.devices.Device;
import org.mtflow.devices.DeviceInfo;
import org.mtflow.engine.event.Json;
import org.mtflow.engine.node.NodeType;
import org.mtflow.engine.node.Port;
import org.mtflow.engine.node.Subtask;
import org.mtflow.engine.node.SubtaskResult;
import org.mtflow.engine.node.TaskContext;
import org.mtflow.engine.store.ArtifactRef;
import org.mtflow.engine.store.ArtifactStore;
import org.mtflow.kernels.TensorOps;
import org.mtflow.kernels.random.Philox;

/** The {@link TaskContext} of one attempt on a {@link DeviceWorker}. */
final class WorkerTaskContext<P> implements TaskContext<P> {
    private static final long PROGRESS_INTERVAL_NANOS = 200_000_000L;

    private final TaskAssignment task;
    private final P params;
    private final Device device;
    private final ArtifactStore store;
    private final Set<String> declaredOutputs;
    private final ActorRef<DeviceWorker.Command> worker;
    /** Progress goes straight to the run's coordinator, ahead of the outcome the same thread sends. */
    private final ActorRef<RunCoordinator.Command> coordinator;
    private final Map<String, Subtask> subtasks = new HashMap<>();
    private final Map<String, ArtifactRef> outputs = new LinkedHashMap<>();
    private final ObjectNode metrics = Json.MAPPER.createObjectNode();
    private volatile boolean cancelled;
    private long lastProgress;

    WorkerTaskContext(TaskAssignment task, NodeType<?> type, P params, Device device, ArtifactStore store,
                      ActorRef<DeviceWorker.Command> worker, ActorRef<RunCoordinator.Command> coordinator) {
        this.task = task;
        this.params = params;
        this.device = device;
        this.store = store;
        this.declaredOutputs = type.outputs().stream().map(Port::name).collect(Collectors.toSet());
        this.worker = worker;
        this.coordinator = coordinator;
    }

    @Override public P params() { return params; }
    @Override public String runId() { return task.runId(); }
    @Override public String taskId() { return task.taskId(); }
    @Override public int attempt() { return task.attempt(); }
    @Override public long seed() { return task.seed(); }
    @Override public long stream(String purpose) { return Philox.stream("task", task.taskId(), purpose); }
    @Override public DeviceInfo device() { return device.info(); }
    @Override public TensorOps ops() { return device.ops(); }
    @Override public boolean hasInput(String name) { return task.inputs().containsKey(name); }

    @Override
    public Path checkpointDir() throws IOException {
        return java.nio.file.Files.createDirectories(checkpointDir(store, task));
    }

    /** Where {@link #checkpointDir()} of the task lives: under the store, by the SHA-256 of its key. */
    static Path checkpointDir(ArtifactStore store, TaskAssignment task) {
        String key = task.cacheKey() != null ? "cache:" + task.cacheKey() : "task:" + task.runId() + "/" + task.taskId();
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest(key.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return store.root().resolve("checkpoints").resolve(java.util.HexFormat.of().formatHex(d));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public Path input(String name) throws IOException {
        List<ArtifactRef> refs = refs(name);
        if (refs.size() != 1) throw new IllegalArgumentException("input '" + name + "' holds " + refs.size() + " artifacts, not one");
        return store.read(refs.get(0));
    }

    @Override
    public List<Path> inputs(String name) throws IOException {
        List<Path> out = new ArrayList<>();
        for (ArtifactRef ref : refs(name)) out.add(store.read(ref));
        return out;
    }

    @Override
    public Path artifact(ArtifactRef ref) throws IOException {
        return store.read(ref);
    }

    @Override
    public List<ArtifactRef> inputRefs(String name) {
        return List.copyOf(refs(name));
    }

    @Override
    public Subtask spawn(String name, String nodeType, ObjectNode params, Map<String, List<ArtifactRef>> inputs) {
        checkCancelled();
        Subtask sub;
        synchronized (subtasks) {
            sub = subtasks.get(name);
            if (sub != null) return sub;
            sub = new Subtask(task.taskId() + "/" + name);
            subtasks.put(name, sub);
        }
        Map<String, List<ArtifactRef>> in = new LinkedHashMap<>();
        inputs.forEach((k, v) -> in.put(k, List.copyOf(v)));
        worker.tell(new DeviceWorker.SpawnRequest(task.key(), name, nodeType,
                params == null ? Json.MAPPER.createObjectNode() : params.deepCopy(), in));
        return sub;
    }

    @Override
    public List<SubtaskResult> await(List<Subtask> waitFor) throws InterruptedException {
        CompletableFuture<?>[] futures = waitFor.stream().map(Subtask::result).toArray(CompletableFuture[]::new);
        CompletableFuture<Void> all = CompletableFuture.allOf(futures);
        if (!all.isDone()) {
            worker.tell(new DeviceWorker.Parked(task.key(), true));
            try {
                all.get();
            } catch (ExecutionException e) {
                throw new IllegalStateException("a subtask's result could not be delivered", e.getCause());
            } finally {
                worker.tell(new DeviceWorker.Parked(task.key(), false));
            }
        }
        return waitFor.stream().map(s -> s.result().join()).toList();
    }

    /** The coordinator's answer for one of this attempt's subtasks. */
    void subtaskEnded(SubtaskResult result) {
        String prefix = task.taskId() + "/";
        if (!result.task().startsWith(prefix)) return;
        Subtask sub;
        synchronized (subtasks) {
            sub = subtasks.get(result.task().substring(prefix.length()));
        }
        if (sub != null) sub.result().complete(result);
    }

    private List<ArtifactRef> refs(String name) {
        List<ArtifactRef> refs = task.inputs().get(name);
        if (refs == null) throw new IllegalArgumentException("task " + task.taskId() + " has no input '" + name + "'");
        return refs;
    }

    @Override
    public ArtifactRef output(String name, OutputWriter writer) throws IOException {
        if (!declaredOutputs.contains(name)) {
            throw new IllegalArgumentException("output '" + name + "' is not declared by " + task.nodeType()
                    + " (declared: " + declaredOutputs + ")");
        }
        checkCancelled();
        ArtifactRef ref = store.write(writer);
        synchronized (outputs) {
            outputs.put(name, ref);
        }
        return ref;
    }

    @Override
    public void metric(String name, Object value) {
        synchronized (metrics) {
            metrics.set(name, Json.MAPPER.valueToTree(value));
        }
    }

    @Override
    public void progress(double fraction, String message) {
        long now = System.nanoTime();
        synchronized (this) {
            if (fraction < 1 && now - lastProgress < PROGRESS_INTERVAL_NANOS) return;
            lastProgress = now;
        }
        coordinator.tell(new RunCoordinator.Progress(task.taskId(), task.attempt(), Math.max(0, Math.min(1, fraction)), message));
    }

    @Override public boolean isCancelled() { return cancelled || Thread.currentThread().isInterrupted(); }

    void cancel() { cancelled = true; }

    Map<String, ArtifactRef> outputs() {
        synchronized (outputs) {
            return new LinkedHashMap<>(outputs);
        }
    }

    ObjectNode metrics() {
        synchronized (metrics) {
            return metrics.deepCopy();
        }
    }

    Set<String> declaredOutputs() { return declaredOutputs; }
}
