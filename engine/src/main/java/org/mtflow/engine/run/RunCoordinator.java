package org.mtflow.engine.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.mtflow.devices.DeviceInfo;
import org.mtflow.engine.CborMessage;
import org.mtflow.engine.event.Json;
import org.mtflow.engine.event.RunEvent;
import org.mtflow.engine.node.NodeType;
import org.mtflow.engine.node.Port;
import org.mtflow.engine.spec.InputBinding;
import org.mtflow.engine.spec.OutputRef;
import org.mtflow.engine.spec.TaskSpec;
import org.mtflow.engine.store.ArtifactRef;
import org.mtflow.engine.store.CorruptArtifactException;

/**
 * Drives one run: keeps the ready set, offers ready tasks (longest remaining path first, then
 * declaration order) to device workers that fit their resources, reuses cached results, retries
 * failed attempts with backoff, skips what depends on a task that failed for good, and reports every
 * change as a {@link RunEvent}.
 */
public final class RunCoordinator {

    public sealed interface Command extends CborMessage {}

    /** A worker's answer to {@link DeviceWorker.Describe}. */
    public record WorkerInfo(ActorRef<DeviceWorker.Command> worker, DeviceInfo device, int slots) implements Command {}

    /** How an attempt ended on a worker. */
    public record AttemptFinished(String taskId, int attempt, String device, AttemptOutcome outcome, long millis)
            implements Command {}

    public record Progress(String taskId, int attempt, double fraction, String message) implements Command {}

    record WorkersChanged(Set<ActorRef<DeviceWorker.Command>> workers) implements Command {}

    record RetryDue(String taskId) implements Command {}

    public static Behavior<Command> create(RunPlan plan) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new RunCoordinator(ctx, timers, plan).start()));
    }

    private enum Status { WAITING, READY, RUNNING, BACKOFF, SUCCEEDED, CACHED, FAILED, SKIPPED;

        boolean terminal() { return this == SUCCEEDED || this == CACHED || this == FAILED || this == SKIPPED; }
    }

    private static final class Task {
        final TaskSpec spec;
        final NodeType<?> type;
        final int index;
        final List<Task> dependents = new ArrayList<>();
        final Set<String> upstream = new HashSet<>();
        int waitingOn;
        int pathLength;
        Status status = Status.WAITING;
        int attempt;
        ActorRef<DeviceWorker.Command> worker;
        Map<String, ArtifactRef> outputs;
        long startedNanos;

        Task(TaskSpec spec, NodeType<?> type, int index) {
            this.spec = spec;
            this.type = type;
            this.index = index;
        }
    }

    private static final class Worker {
        final ActorRef<DeviceWorker.Command> ref;
        final DeviceInfo device;
        final int slots;
        int busy;

        Worker(ActorRef<DeviceWorker.Command> ref, DeviceInfo device, int slots) {
            this.ref = ref;
            this.device = device;
            this.slots = slots;
        }
    }

    private final ActorContext<Command> ctx;
    private final TimerScheduler<Command> timers;
    private final RunPlan plan;
    private final String runId;
    private final Map<String, Task> tasks = new LinkedHashMap<>();
    private final TreeSet<Task> ready = new TreeSet<>(
            Comparator.<Task>comparingInt(t -> -t.pathLength).thenComparingInt(t -> t.index));
    private final Map<ActorRef<DeviceWorker.Command>, Worker> workers = new LinkedHashMap<>();
    /**
     * Listed workers asked for their device that have not answered yet. Dispatch waits for them:
     * else the first worker to answer (say the JVM) gets the first tasks although a GPU is listed.
     */
    private final Set<ActorRef<DeviceWorker.Command>> describing = new HashSet<>();
    private final Random jitter;
    private final long startNanos = System.nanoTime();
    private int running;
    private int terminal;

    private RunCoordinator(ActorContext<Command> ctx, TimerScheduler<Command> timers, RunPlan plan) {
        this.ctx = ctx;
        this.timers = timers;
        this.plan = plan;
        this.runId = plan.runId();
        this.jitter = new Random(plan.spec().seed()); // timing only: never affects artifacts
    }

    private Behavior<Command> start() {
        int index = 0;
        for (TaskSpec spec : plan.spec().tasks()) {
            NodeType<?> type = plan.catalog().find(spec.type())
                    .orElseThrow(() -> new IllegalArgumentException("unknown node type " + spec.type()));
            tasks.put(spec.id(), new Task(spec, type, index++));
        }
        for (Task t : tasks.values()) {
            for (InputBinding b : t.spec.inputs().values()) {
                for (OutputRef ref : b.refs()) {
                    Task producer = tasks.get(ref.task());
                    if (t.upstream.add(producer.spec.id())) {
                        producer.dependents.add(t);
                        t.waitingOn++;
                    }
                }
            }
        }
        computePathLengths();
        emit(new RunEvent.RunStarted(Instant.now(), runId, plan.spec().name(), plan.spec().seed(), tasks.size()));
        ctx.getSystem().receptionist().tell(Receptionist.subscribe(DeviceWorker.SERVICE_KEY,
                ctx.messageAdapter(Receptionist.Listing.class,
                        l -> new WorkersChanged(l.getServiceInstances(DeviceWorker.SERVICE_KEY)))));
        for (Task t : tasks.values()) {
            // A cached upstream may already have released (and readied or cached) this task.
            if (t.waitingOn == 0 && t.status == Status.WAITING) becomeReady(t);
        }
        if (finishedAll()) return finish();
        return Behaviors.receive(Command.class)
                .onMessage(WorkersChanged.class, this::onWorkersChanged)
                .onMessage(WorkerInfo.class, this::onWorkerInfo)
                .onMessage(AttemptFinished.class, this::onAttemptFinished)
                .onMessage(Progress.class, this::onProgress)
                .onMessage(RetryDue.class, this::onRetryDue)
                .onSignal(PostStop.class, s -> {
                    // Only a bug stops the coordinator early; the caller must not wait forever.
                    plan.done().completeExceptionally(new IllegalStateException("run coordinator stopped before the run ended"));
                    return Behaviors.same();
                })
                .build();
    }

    /** Longest path (in tasks) from each task to a sink: Kahn's order over the reversed graph. */
    private void computePathLengths() {
        Map<Task, Integer> remaining = new LinkedHashMap<>();
        ArrayDeque<Task> queue = new ArrayDeque<>();
        for (Task t : tasks.values()) {
            remaining.put(t, t.dependents.size());
            if (t.dependents.isEmpty()) queue.add(t);
        }
        while (!queue.isEmpty()) {
            Task t = queue.poll();
            int longest = 0;
            for (Task d : t.dependents) longest = Math.max(longest, d.pathLength);
            t.pathLength = longest + 1;
            for (String up : t.upstream) {
                Task u = tasks.get(up);
                if (remaining.merge(u, -1, Integer::sum) == 0) queue.add(u);
            }
        }
    }

    private void becomeReady(Task t) {
        if (plan.useCache() && t.spec.cache()) {
            Optional<Map.Entry<Map<String, ArtifactRef>, ObjectNode>> hit = cacheLookup(t);
            if (hit.isPresent()) {
                t.status = Status.CACHED;
                t.outputs = hit.get().getKey();
                terminal++;
                emit(new RunEvent.TaskCached(Instant.now(), runId, t.spec.id(), hashes(t.outputs), hit.get().getValue()));
                release(t);
                return;
            }
        }
        t.status = Status.READY;
        ready.add(t);
        emit(new RunEvent.TaskQueued(Instant.now(), runId, t.spec.id()));
    }

    private Optional<Map.Entry<Map<String, ArtifactRef>, ObjectNode>> cacheLookup(Task t) {
        try {
            Optional<byte[]> entry = plan.store().readCacheEntry(cacheKey(t));
            if (entry.isEmpty()) return Optional.empty();
            JsonNode json = Json.MAPPER.readTree(entry.get());
            Map<String, ArtifactRef> outputs = new LinkedHashMap<>();
            for (Port p : t.type.outputs()) {
                JsonNode o = json.path("outputs").path(p.name());
                if (o.isMissingNode()) return Optional.empty();
                ArtifactRef ref = Json.MAPPER.treeToValue(o, ArtifactRef.class);
                try {
                    plan.store().read(ref); // verifies the checksum (once per file version per process)
                } catch (CorruptArtifactException e) {
                    // Recompute rather than trust a missing or corrupt artifact; the rewrite repairs it.
                    ctx.getLog().warn("recomputing task {}: its cached output '{}' is unusable: {}", t.spec.id(),
                            p.name(), e.getMessage());
                    return Optional.empty();
                }
                outputs.put(p.name(), ref);
            }
            JsonNode metrics = json.path("metrics");
            return Optional.of(Map.entry(outputs, metrics.isObject() ? (ObjectNode) metrics : Json.MAPPER.createObjectNode()));
        } catch (IOException | IllegalArgumentException e) {
            ctx.getLog().warn("ignoring unreadable cache entry for task {}: {}", t.spec.id(), e.toString());
            return Optional.empty();
        }
    }

    private String cacheKey(Task t) {
        return CacheKeys.of(t.spec.type(), t.type.version(), t.spec.id(), t.spec.with(), inputsOf(t), plan.spec().seed());
    }

    private Map<String, List<ArtifactRef>> inputsOf(Task t) {
        Map<String, List<ArtifactRef>> inputs = new LinkedHashMap<>();
        t.spec.inputs().forEach((name, binding) -> {
            List<ArtifactRef> refs = new ArrayList<>();
            for (OutputRef r : binding.refs()) refs.add(tasks.get(r.task()).outputs.get(r.output()));
            inputs.put(name, refs);
        });
        return inputs;
    }

    /** A finished task's dependents may now be ready. */
    private void release(Task t) {
        for (Task d : t.dependents) {
            if (--d.waitingOn == 0 && d.status == Status.WAITING) becomeReady(d);
        }
    }

    private Behavior<Command> onWorkersChanged(WorkersChanged m) {
        for (ActorRef<DeviceWorker.Command> w : m.workers()) {
            if (!workers.containsKey(w) && describing.add(w)) w.tell(new DeviceWorker.Describe(ctx.getSelf()));
        }
        workers.keySet().removeIf(w -> !m.workers().contains(w));
        describing.retainAll(m.workers()); // one that left will not answer
        dispatch();
        return Behaviors.same();
    }

    private Behavior<Command> onWorkerInfo(WorkerInfo m) {
        describing.remove(m.worker());
        workers.putIfAbsent(m.worker(), new Worker(m.worker(), m.device(), m.slots()));
        dispatch();
        return Behaviors.same();
    }

    /** Offers ready tasks, best first, to workers with room for them. */
    private void dispatch() {
        if (!describing.isEmpty()) return;
        Iterator<Task> it = ready.iterator();
        while (it.hasNext()) {
            if (plan.maxConcurrency() > 0 && running >= plan.maxConcurrency()) return;
            Task t = it.next();
            Worker w = pickWorker(t);
            if (w == null) continue;
            it.remove();
            t.status = Status.RUNNING;
            t.attempt++;
            t.worker = w.ref;
            t.startedNanos = System.nanoTime();
            w.busy += t.spec.resources().slots();
            running++;
            emit(new RunEvent.TaskStarted(Instant.now(), runId, t.spec.id(), t.attempt, w.device.id()));
            long timeout = t.spec.timeout() == null ? 0 : t.spec.timeout().toMillis();
            w.ref.tell(new DeviceWorker.Execute(new TaskAssignment(runId, t.spec.id(), t.attempt, t.spec.type(),
                    t.spec.with(), inputsOf(t), plan.spec().seed(), timeout, t.spec.cache() ? cacheKey(t) : null),
                    ctx.getSelf()));
        }
    }

    /**
     * The best fitting worker with a free slot: the strongest device kind first (GPU, OpenCL CPU,
     * JVM), then the one with the most free slots.
     */
    private Worker pickWorker(Task t) {
        Worker best = null;
        for (Worker w : workers.values()) {
            int free = w.slots - w.busy;
            if (free < t.spec.resources().slots() || !t.spec.resources().device().matches(w.device.kind())) continue;
            if (t.spec.resources().memory() > 0 && w.device.memoryBytes() < t.spec.resources().memory()) continue;
            int byKind = best == null ? -1 : Integer.compare(w.device.kind().ordinal(), best.device.kind().ordinal());
            if (best == null || byKind < 0 || (byKind == 0 && free > best.slots - best.busy)) best = w;
        }
        return best;
    }

    private Behavior<Command> onAttemptFinished(AttemptFinished m) {
        Task t = tasks.get(m.taskId());
        if (t == null || t.status != Status.RUNNING || t.attempt != m.attempt()) return Behaviors.same();
        Worker w = workers.get(t.worker);
        if (w != null) w.busy -= t.spec.resources().slots();
        running--;
        if (m.outcome() instanceof AttemptOutcome.Succeeded s) {
            t.status = Status.SUCCEEDED;
            t.outputs = s.outputs();
            terminal++;
            emit(new RunEvent.TaskSucceeded(Instant.now(), runId, t.spec.id(), t.attempt, m.device(),
                    hashes(s.outputs()), s.metrics(), m.millis()));
            release(t);
        } else if (m.outcome() instanceof AttemptOutcome.Failed f) {
            boolean retry = t.attempt < t.spec.retry().attempts() && t.spec.retry().retries(f.error());
            emit(new RunEvent.TaskFailed(Instant.now(), runId, t.spec.id(), t.attempt, m.device(),
                    f.error().token(), f.message(), !retry));
            if (retry) {
                Duration delay = t.spec.retry().delayBefore(t.attempt + 1);
                long ms = delay.toMillis() + (long) (delay.toMillis() * t.spec.retry().jitter() * jitter.nextDouble());
                t.status = Status.BACKOFF;
                emit(new RunEvent.TaskRetrying(Instant.now(), runId, t.spec.id(), t.attempt + 1, ms));
                timers.startSingleTimer(t.spec.id(), new RetryDue(t.spec.id()), Duration.ofMillis(ms));
            } else {
                t.status = Status.FAILED;
                terminal++;
                skipDependents(t);
            }
        }
        if (finishedAll()) return finish();
        dispatch();
        return Behaviors.same();
    }

    private void skipDependents(Task failed) {
        ArrayDeque<Task> queue = new ArrayDeque<>(failed.dependents);
        while (!queue.isEmpty()) {
            Task d = queue.poll();
            if (d.status != Status.WAITING) continue;
            d.status = Status.SKIPPED;
            terminal++;
            emit(new RunEvent.TaskSkipped(Instant.now(), runId, d.spec.id(),
                    "upstream task '" + failed.spec.id() + "' failed", failed.spec.id()));
            queue.addAll(d.dependents);
        }
    }

    private Behavior<Command> onRetryDue(RetryDue m) {
        Task t = tasks.get(m.taskId());
        if (t != null && t.status == Status.BACKOFF) {
            t.status = Status.READY;
            ready.add(t);
            dispatch();
        }
        return Behaviors.same();
    }

    private Behavior<Command> onProgress(Progress m) {
        Task t = tasks.get(m.taskId());
        if (t != null && t.status == Status.RUNNING && t.attempt == m.attempt()) {
            emit(new RunEvent.TaskProgress(Instant.now(), runId, m.taskId(), m.fraction(), m.message()));
        }
        return Behaviors.same();
    }

    private boolean finishedAll() {
        return terminal == tasks.size();
    }

    private Behavior<Command> finish() {
        int succeeded = 0, cached = 0, failed = 0, skipped = 0;
        for (Task t : tasks.values()) {
            switch (t.status) {
                case SUCCEEDED -> succeeded++;
                case CACHED -> cached++;
                case FAILED -> failed++;
                case SKIPPED -> skipped++;
                default -> throw new IllegalStateException("task " + t.spec.id() + " not finished: " + t.status);
            }
        }
        String status = failed + skipped == 0 ? "succeeded" : "failed";
        long millis = (System.nanoTime() - startNanos) / 1_000_000;
        emit(new RunEvent.RunFinished(Instant.now(), runId, status, succeeded, cached, failed, skipped, millis));
        plan.done().complete(new RunOutcome(runId, status, succeeded, cached, failed, skipped, millis));
        return Behaviors.stopped();
    }

    private void emit(RunEvent event) {
        plan.events().accept(event);
    }

    private static Map<String, String> hashes(Map<String, ArtifactRef> outputs) {
        Map<String, String> out = new LinkedHashMap<>();
        outputs.forEach((k, v) -> out.put(k, v.sha256()));
        return out;
    }
}
