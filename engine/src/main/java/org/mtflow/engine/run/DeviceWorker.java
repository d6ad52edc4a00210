package org.mtflow.engine.run;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.mtflow.devices.Device;
import org.mtflow.engine.CborMessage;
import org.mtflow.engine.cluster.ArtifactFetcher;
import org.mtflow.engine.event.Json;
import org.mtflow.engine.node.NodeCatalog;
import org.mtflow.engine.node.NodeException;
import org.mtflow.engine.node.NodeType;
import org.mtflow.engine.node.ParamsBinder;
import org.mtflow.engine.node.SubtaskResult;
import org.mtflow.engine.node.TaskCancelledException;
import org.mtflow.engine.spec.ErrorClass;
import org.mtflow.engine.store.ArtifactRef;
import org.mtflow.engine.store.ArtifactStore;
import org.mtflow.kernels.format.FormatException;

/**
 * Runs tasks on one device, up to its number of slots at once. Registers itself with the
 * Receptionist, so coordinators find it the same way on one machine and in a cluster. Attempts from
 * several runs wait in one queue per run and start round-robin, so runs sharing the engine share
 * the device fairly. Each attempt runs on a thread of the worker's own pool, and that thread sends
 * its outcome straight to the run's coordinator: one message each way per attempt. The slot count,
 * the running and the queued attempts are shared by the actor and its pool threads under one lock.
 *
 * <p>A device that fails for device reasons {@value #DEGRADE_AFTER} times in a row leaves the
 * Receptionist (out of rotation). A crash of the actor itself is answered by a restart: the attempts
 * it held are reported lost, and their coordinators send them again.
 */
public final class DeviceWorker {
    public static final ServiceKey<Command> SERVICE_KEY = ServiceKey.create(Command.class, "mtflow-device-worker");

    /** Consecutive device failures after which the device is taken out of rotation. */
    static final int DEGRADE_AFTER = 3;

    public sealed interface Command extends CborMessage {}

    /** Asks the worker for its device and slots. */
    public record Describe(ActorRef<RunCoordinator.Command> replyTo) implements Command {}

    /** Runs one attempt; the outcome goes to {@code replyTo} as {@link RunCoordinator.AttemptFinished}. */
    public record Execute(TaskAssignment task, ActorRef<RunCoordinator.Command> replyTo) implements Command {}

    /** Cancels a running attempt (cooperatively, then by interrupt). */
    public record Cancel(String attemptKey) implements Command {}

    /** A coordinator's answer to a subtask spawned by a running attempt. */
    public record SpawnReply(String attemptKey, SubtaskResult result) implements Command {}

    /** An attempt with a timer ended on its pool thread: the timer can go. */
    record Ended(String attemptKey) implements Command {}

    /** A pool thread saw the device fail too often. */
    record Degrade(ActorRef<RunCoordinator.Command> coordinator, String lastError) implements Command {}

    /** A pool thread went on to a queued attempt that has a time limit: its timer starts. */
    record Arm(String attemptKey) implements Command {}

    record TimedOut(String attemptKey) implements Command {}

    record SpawnRequest(String attemptKey, String name, String nodeType, ObjectNode params,
                        Map<String, List<ArtifactRef>> inputs) implements Command {}

    /** An attempt waits for its subtasks ({@code parked}) or goes on: its slot is free meanwhile. */
    record Parked(String attemptKey, boolean parked) implements Command {}

    /** Fault injection for tests: the actor throws, and its supervisor restarts it. */
    record Crash(String reason) implements Command {}

    /**
     * Where a worker on a cluster node lives: {@code node} names it in events (host:port of its
     * actor system), {@code artifacts} is its node's artifact server, and {@code fetcher} brings
     * inputs held by other nodes into its store.
     */
    public record Remote(String node, String artifacts, ArtifactFetcher fetcher) {}

    public static Behavior<Command> create(Device device, int slots, ArtifactStore store, NodeCatalog catalog) {
        return create(device, slots, store, catalog, null);
    }

    /** {@code remote}: null on one machine, where every worker shares the engine's store. */
    public static Behavior<Command> create(Device device, int slots, ArtifactStore store, NodeCatalog catalog, Remote remote) {
        if (slots < 1) throw new IllegalArgumentException("a worker needs at least one slot, not " + slots);
        Behavior<Command> worker = Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
            ctx.getSystem().receptionist().tell(Receptionist.register(SERVICE_KEY, ctx.getSelf()));
            return new DeviceWorker(ctx, timers, device, slots, store, catalog, remote).behavior();
        }));
        return Behaviors.supervise(worker).onFailure(SupervisorStrategy.restart());
    }

    private static final class Running {
        final TaskAssignment task;
        /** task.key(), built once. */
        final String key;
        final ActorRef<RunCoordinator.Command> replyTo;
        final WorkerTaskContext<?> context;
        final NodeType<?> type;
        final int need;
        /** The pool thread running the attempt; set and cleared by it, read under the lock. */
        Thread thread;
        boolean parked;

        Running(TaskAssignment task, ActorRef<RunCoordinator.Command> replyTo, WorkerTaskContext<?> context,
                NodeType<?> type, int need) {
            this.task = task;
            this.key = task.key();
            this.replyTo = replyTo;
            this.context = context;
            this.type = type;
            this.need = need;
        }

        /** Cancels cooperatively, then interrupts the thread while it still runs this attempt. Under the lock. */
        void stop() {
            context.cancel();
            if (thread != null) thread.interrupt();
        }
    }

    private final ActorContext<Command> ctx;
    private final TimerScheduler<Command> timers;
    private final Device device;
    private final int slots;
    private final ArtifactStore store;
    private final NodeCatalog catalog;
    private final Remote remote;
    /** The device's name in events: its id, and on a cluster the node it is on (jvm@127.0.0.1:25521). */
    private final String label;
    private final ActorRef<Command> self;
    private final ExecutorService pool;
    /** Guards running, queued, busySlots, deviceFailures and degraded: pool threads end attempts. */
    private final Object lock = new Object();
    private final Map<String, Running> running = new HashMap<>();
    /** Attempts waiting for a slot, one queue per run, served round-robin. */
    private final LinkedHashMap<String, ArrayDeque<Execute>> queued = new LinkedHashMap<>();
    private int busySlots;
    private int deviceFailures;
    private boolean degraded;

    private DeviceWorker(ActorContext<Command> ctx, TimerScheduler<Command> timers, Device device, int slots,
                         ArtifactStore store, NodeCatalog catalog, Remote remote) {
        this.ctx = ctx;
        this.remote = remote;
        this.label = remote == null ? device.id() : device.id() + "@" + remote.node();
        this.timers = timers;
        this.device = device;
        this.slots = slots;
        this.store = store;
        this.catalog = catalog;
        this.self = ctx.getSelf();
        AtomicInteger n = new AtomicInteger();
        // Unbounded on purpose: a timed-out node that ignores interrupts keeps its thread, not a slot.
        this.pool = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "mtflow-" + device.id() + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    private Behavior<Command> behavior() {
        return Behaviors.receive(Command.class)
                .onMessage(Describe.class, this::onDescribe)
                .onMessage(Execute.class, this::onExecute)
                .onMessage(Cancel.class, this::onCancel)
                .onMessage(Ended.class, m -> {
                    timers.cancel(m.attemptKey());
                    return Behaviors.same();
                })
                .onMessage(Degrade.class, m -> {
                    degrade(m.coordinator(), m.lastError());
                    return Behaviors.same();
                })
                .onMessage(Arm.class, m -> {
                    Running r;
                    synchronized (lock) {
                        r = running.get(m.attemptKey());
                    }
                    if (r != null) arm(r);
                    return Behaviors.same();
                })
                .onMessage(TimedOut.class, this::onTimedOut)
                .onMessage(SpawnRequest.class, this::onSpawnRequest)
                .onMessage(SpawnReply.class, this::onSpawnReply)
                .onMessage(Parked.class, this::onParked)
                .onMessage(Crash.class, m -> {
                    throw new IllegalStateException("worker " + device.id() + " crashed: " + m.reason());
                })
                .onSignal(PreRestart.class, s -> {
                    loseEverything("the worker of device " + device.id() + " crashed and was restarted");
                    return Behaviors.same();
                })
                .onSignal(PostStop.class, s -> {
                    loseEverything("the worker of device " + device.id() + " stopped");
                    return Behaviors.same();
                })
                .build();
    }

    /** Cancels what runs and tells each coordinator its attempts are lost, so it sends them again. */
    private void loseEverything(String reason) {
        synchronized (lock) {
            loseAll(reason);
        }
        pool.shutdownNow();
    }

    private void loseAll(String reason) {
        for (Running r : running.values()) {
            r.stop();
            r.replyTo.tell(finished(r.task, new AttemptOutcome.Lost(reason), 0));
        }
        for (ArrayDeque<Execute> q : queued.values()) {
            for (Execute e : q) e.replyTo().tell(finished(e.task(), new AttemptOutcome.Lost(reason), 0));
        }
        running.clear();
        queued.clear();
    }

    private Behavior<Command> onDescribe(Describe m) {
        m.replyTo().tell(new RunCoordinator.WorkerInfo(ctx.getSelf(), device.info(), slots, label,
                remote == null ? null : remote.artifacts()));
        return Behaviors.same();
    }

    private Behavior<Command> onExecute(Execute m) {
        synchronized (lock) {
            if (degraded) {
                m.replyTo().tell(finished(m.task(), new AttemptOutcome.Lost("device " + device.id() + " is out of rotation"), 0));
                return Behaviors.same();
            }
            queued.computeIfAbsent(m.task().runId(), k -> new ArrayDeque<>()).add(m);
            startQueued();
        }
        return Behaviors.same();
    }

    /** Starts waiting attempts while slots are free, taking the runs in turn. On the actor's thread, under the lock. */
    private void startQueued() {
        for (Running next = takeNext(); next != null; next = takeNext()) {
            Running r = next;
            if (runsInline(r)) {
                runInline(r);
            } else {
                pool.execute(() -> runFrom(r));
                arm(r);
            }
        }
    }

    /** Most input bytes of an attempt run inline: reading and hashing them must stay in microseconds. */
    static final long INLINE_INPUT_LIMIT = 64 << 10;

    /** A trivial node type (see NodeType.trivial) on small inputs and without a time limit to watch. */
    private static boolean runsInline(Running r) {
        // Inputs to fetch from other nodes would block the actor's thread.
        if (!r.type.trivial() || r.task.timeoutMillis() > 0 || !r.task.sources().isEmpty()) return false;
        long bytes = 0;
        for (List<ArtifactRef> refs : r.task.inputs().values()) for (ArtifactRef ref : refs) bytes += ref.size();
        return bytes <= INLINE_INPUT_LIMIT;
    }

    /** A trivial attempt (see NodeType.trivial), run here on the actor's thread. Under the lock. */
    private void runInline(Running r) {
        long start = System.nanoTime();
        AttemptOutcome outcome = runAttempt(r.type, r.context, r.task);
        ended(r, outcome, (System.nanoTime() - start) / 1_000_000, false);
    }

    /**
     * The next queued attempt that fits the free slots (the runs in turn), now counted as running;
     * null when none fits. One that cannot start (unknown node type, bad params) is answered here.
     * Under the lock.
     */
    private Running takeNext() {
        while (!queued.isEmpty()) {
            Iterator<Map.Entry<String, ArrayDeque<Execute>>> it = queued.entrySet().iterator();
            Map.Entry<String, ArrayDeque<Execute>> first = it.next();
            Execute next = first.getValue().peek();
            // An attempt bigger than the device starts alone rather than never.
            int need = Math.min(slots, next.task().slots());
            if (busySlots + need > slots) return null;
            first.getValue().poll();
            it.remove();
            if (!first.getValue().isEmpty()) queued.put(first.getKey(), first.getValue()); // to the back
            Running r = prepare(next, need);
            if (r != null) return r;
        }
        return null;
    }

    private Running prepare(Execute m, int need) {
        TaskAssignment task = m.task();
        NodeType<?> type = catalog.find(task.nodeType()).orElse(null);
        if (type == null) {
            m.replyTo().tell(finished(task, new AttemptOutcome.Failed(ErrorClass.PERMANENT,
                    "this worker has no node type '" + task.nodeType() + "'"), 0));
            return null;
        }
        Object params;
        try {
            params = ParamsBinder.bind(type.paramsType(), task.params());
        } catch (IllegalArgumentException e) {
            m.replyTo().tell(finished(task, new AttemptOutcome.Failed(ErrorClass.PERMANENT, e.getMessage()), 0));
            return null;
        }
        Running r = new Running(task, m.replyTo(), newContext(task, type, params, m.replyTo()), type, need);
        running.put(r.key, r);
        busySlots += need;
        return r;
    }

    /** Starts the attempt's timer, if it has a time limit. On the actor's thread. */
    private void arm(Running r) {
        if (r.task.timeoutMillis() > 0) {
            timers.startSingleTimer(r.key, new TimedOut(r.key), Duration.ofMillis(r.task.timeoutMillis()));
        }
    }

    /**
     * On a pool thread: runs the attempt, then whatever queued attempt its slots let start, without
     * a round trip through the actor (a device fed a little ahead by its coordinators never idles).
     */
    private void runFrom(Running first) {
        for (Running r = first; r != null; ) {
            Thread.interrupted(); // an interrupt meant for the attempt before
            synchronized (lock) {
                if (running.get(r.key) != r) { // cancelled before it started
                    r = takeNextAfter();
                    continue;
                }
                r.thread = Thread.currentThread();
            }
            long start = System.nanoTime();
            AttemptOutcome outcome = runAttempt(r.type, r.context, r.task);
            r = ended(r, outcome, (System.nanoTime() - start) / 1_000_000, true);
        }
    }

    /** Under the lock: the next attempt this thread goes on with; its timer is asked for. */
    private Running takeNextAfter() {
        Running next = degraded ? null : takeNext();
        if (next != null && next.task.timeoutMillis() > 0) self.tell(new Arm(next.key));
        return next;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private WorkerTaskContext<?> newContext(TaskAssignment task, NodeType<?> type, Object params,
                                            ActorRef<RunCoordinator.Command> coordinator) {
        return new WorkerTaskContext(task, type, params, device, store, self, coordinator);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private AttemptOutcome runAttempt(NodeType type, WorkerTaskContext context, TaskAssignment task) {
        try {
            AttemptOutcome missing = fetchInputs(task);
            if (missing != null) return missing;
            type.run(context);
            Map<String, ArtifactRef> outputs = context.outputs();
            for (Object name : context.declaredOutputs()) {
                if (!outputs.containsKey(name)) {
                    return new AttemptOutcome.Failed(ErrorClass.PERMANENT,
                            type.name() + " finished without writing its output '" + name + "'");
                }
            }
            ObjectNode metrics = context.metrics();
            if (task.cacheKey() != null) recordCache(task.cacheKey(), outputs, metrics);
            removeCheckpoints(task);
            return new AttemptOutcome.Succeeded(outputs, metrics);
        } catch (Throwable t) {
            return new AttemptOutcome.Failed(classify(t, context), describe(t));
        }
    }

    /** A succeeded task needs its checkpoints no more; failing to remove them costs only disk. */
    private void removeCheckpoints(TaskAssignment task) {
        java.nio.file.Path dir = WorkerTaskContext.checkpointDir(store, task);
        if (!java.nio.file.Files.isDirectory(dir)) return;
        try (var files = java.nio.file.Files.walk(dir)) {
            for (java.nio.file.Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                java.nio.file.Files.deleteIfExists(f);
            }
        } catch (java.io.IOException | java.io.UncheckedIOException e) {
            org.slf4j.LoggerFactory.getLogger(DeviceWorker.class).warn("could not remove the checkpoints of {} in {}: {}", task.taskId(), dir, e.toString());
        }
    }

    /**
     * Brings the inputs this node lacks from the nodes that hold them (see TaskAssignment.sources);
     * null when all are here, else the ones no holder could deliver.
     */
    private AttemptOutcome fetchInputs(TaskAssignment task) {
        if (task.sources().isEmpty() || remote == null) return null;
        List<String> missing = new java.util.ArrayList<>();
        StringBuilder why = new StringBuilder();
        for (List<ArtifactRef> refs : task.inputs().values()) {
            for (ArtifactRef ref : refs) {
                List<String> from = task.sources().get(ref.sha256());
                if (from == null || store.contains(ref) || missing.contains(ref.sha256())) continue;
                boolean got = false;
                for (String node : from) {
                    try {
                        remote.fetcher().fetch(java.net.URI.create(node), ref);
                        got = true;
                        break;
                    } catch (IOException | RuntimeException e) {
                        why.append(why.length() == 0 ? "" : "; ").append(e.getMessage());
                    }
                }
                if (!got) missing.add(ref.sha256());
            }
        }
        if (missing.isEmpty()) return null;
        return new AttemptOutcome.InputsMissing(missing, "cannot fetch " + missing.size() + " input(s) from "
                + task.sources().values().stream().flatMap(List::stream).distinct().toList() + ": " + why);
    }

    private void recordCache(String key, Map<String, ArtifactRef> outputs, ObjectNode metrics) throws IOException {
        ObjectNode entry = Json.MAPPER.createObjectNode();
        entry.set("outputs", Json.MAPPER.valueToTree(new LinkedHashMap<>(outputs)));
        entry.set("metrics", metrics);
        store.writeCacheEntry(key, Json.MAPPER.writeValueAsBytes(entry));
    }

    static ErrorClass classify(Throwable t, WorkerTaskContext<?> context) {
        if (t instanceof NodeException ne) return ne.errorClass();
        if (t instanceof OutOfMemoryError) return ErrorClass.OOM;
        if (context.isCancelled() && (t instanceof TaskCancelledException || t instanceof InterruptedException
                || t.getCause() instanceof InterruptedException)) {
            return ErrorClass.TIMEOUT;
        }
        if (t instanceof IllegalArgumentException) return ErrorClass.PERMANENT;
        // A file that is not what it claims (bad IDX, a dataset fed where a tensor goes): retrying cannot help.
        if (t instanceof FormatException) return ErrorClass.PERMANENT;
        return ErrorClass.TRANSIENT; // I/O trouble, a corrupt input (recomputed), a crash in a kernel
    }

    static String describe(Throwable t) {
        if (t instanceof NodeException || t instanceof IOException || t instanceof IllegalArgumentException
                || t instanceof TaskCancelledException) {
            return t.getMessage();
        }
        StackTraceElement[] st = t.getStackTrace();
        return t + (st.length > 0 ? " at " + st[0] : "");
    }

    /**
     * On the attempt's pool thread (or inline, on the actor's): frees its slots and sends the
     * outcome straight to the coordinator, unless the actor already answered for it (timed out,
     * cancelled, lost). With {@code goOn}, returns the queued attempt this thread runs next, if one
     * can start.
     */
    private Running ended(Running r, AttemptOutcome outcome, long millis, boolean goOn) {
        String key = r.key;
        boolean degrade = false;
        boolean answer;
        Running next;
        synchronized (lock) {
            r.thread = null;
            answer = running.get(key) == r;
            if (answer) {
                running.remove(key);
                if (!r.parked) busySlots -= r.need;
                if (outcome instanceof AttemptOutcome.Failed f && f.error() == ErrorClass.DEVICE) {
                    degrade = ++deviceFailures >= DEGRADE_AFTER && !degraded;
                } else if (outcome instanceof AttemptOutcome.Succeeded) {
                    deviceFailures = 0;
                }
            }
            next = degrade || !goOn ? null : takeNextAfter();
        }
        if (!answer) return next;
        if (r.task.timeoutMillis() > 0) self.tell(new Ended(key));
        if (degrade) self.tell(new Degrade(r.replyTo, ((AttemptOutcome.Failed) outcome).message()));
        r.replyTo.tell(finished(r.task, outcome, millis));
        return next;
    }

    /** Out of rotation: coordinators stop seeing this worker; what waits here goes elsewhere. */
    private void degrade(ActorRef<RunCoordinator.Command> notify, String lastError) {
        synchronized (lock) {
            if (degraded) return;
            degraded = true;
        }
        String reason = DEGRADE_AFTER + " device failures in a row, the last: " + lastError;
        ctx.getLog().warn("taking device {} out of rotation: {}", device.id(), reason);
        ctx.getSystem().receptionist().tell(Receptionist.deregister(SERVICE_KEY, ctx.getSelf()));
        notify.tell(new RunCoordinator.DeviceDegraded(ctx.getSelf(), device.id(), reason));
        synchronized (lock) {
            for (ArrayDeque<Execute> q : queued.values()) {
                for (Execute e : q) {
                    e.replyTo().tell(finished(e.task(), new AttemptOutcome.Lost("device " + device.id()
                            + " was taken out of rotation"), 0));
                }
            }
            queued.clear();
        }
    }

    private Behavior<Command> onTimedOut(TimedOut m) {
        Running r;
        synchronized (lock) {
            r = release(m.attemptKey());
            if (r != null) r.stop();
        }
        if (r == null) return Behaviors.same();
        r.replyTo.tell(finished(r.task, new AttemptOutcome.Failed(ErrorClass.TIMEOUT,
                "attempt ran past its timeout of " + r.task.timeoutMillis() + " ms"), r.task.timeoutMillis()));
        return Behaviors.same();
    }

    private Behavior<Command> onCancel(Cancel m) {
        Running r;
        synchronized (lock) {
            r = release(m.attemptKey());
            if (r == null) {
                for (ArrayDeque<Execute> q : queued.values()) q.removeIf(e -> e.task().key().equals(m.attemptKey()));
                queued.values().removeIf(ArrayDeque::isEmpty);
            } else {
                r.stop();
            }
        }
        if (r != null) timers.cancel(m.attemptKey());
        return Behaviors.same();
    }

    /** Forgets a running attempt and frees its slots for the next queued one. Under the lock. */
    private Running release(String key) {
        Running r = running.remove(key);
        if (r == null) return null;
        if (!r.parked) busySlots -= r.need;
        startQueued();
        return r;
    }

    private Behavior<Command> onSpawnRequest(SpawnRequest m) {
        Running r;
        synchronized (lock) {
            r = running.get(m.attemptKey());
        }
        if (r == null) return Behaviors.same(); // the attempt is over; nobody waits for the answer
        r.replyTo.tell(new RunCoordinator.Spawn(r.task.taskId(), r.task.attempt(), m.name(), m.nodeType(), m.params(),
                m.inputs(), m.attemptKey(), ctx.getSelf()));
        return Behaviors.same();
    }

    private Behavior<Command> onSpawnReply(SpawnReply m) {
        Running r;
        synchronized (lock) {
            r = running.get(m.attemptKey());
        }
        if (r != null) r.context.subtaskEnded(m.result());
        return Behaviors.same();
    }

    private Behavior<Command> onParked(Parked m) {
        Running r;
        synchronized (lock) {
            r = running.get(m.attemptKey());
            if (r == null || r.parked == m.parked()) return Behaviors.same();
            r.parked = m.parked();
            busySlots += m.parked() ? -r.need : r.need;
            if (m.parked()) startQueued();
        }
        r.replyTo.tell(new RunCoordinator.Parked(r.task.taskId(), r.task.attempt(), m.parked()));
        return Behaviors.same();
    }

    private RunCoordinator.AttemptFinished finished(TaskAssignment task, AttemptOutcome outcome, long millis) {
        return new RunCoordinator.AttemptFinished(task.taskId(), task.attempt(), label, outcome, millis);
    }
}
