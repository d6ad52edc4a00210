package org.mtflow.engine.run;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.mtflow.devices.Device;
import org.mtflow.engine.CborMessage;
import org.mtflow.engine.event.Json;
import org.mtflow.engine.node.NodeCatalog;
import org.mtflow.engine.node.NodeException;
import org.mtflow.engine.node.NodeType;
import org.mtflow.engine.node.ParamsBinder;
import org.mtflow.engine.node.TaskCancelledException;
import org.mtflow.engine.spec.ErrorClass;
import org.mtflow.engine.store.ArtifactRef;
import org.mtflow.engine.store.ArtifactStore;
import org.mtflow.kernels.format.FormatException;

/**
 * Runs tasks on one device. Registers itself with the Receptionist, so coordinators find it the
 * same way on one machine and in a cluster. Each attempt runs on a thread of the worker's own
 * pool; the node's outcome comes back to the actor as a message, then goes to the coordinator.
 */
public final class DeviceWorker {
    public static final ServiceKey<Command> SERVICE_KEY = ServiceKey.create(Command.class, "mtflow-device-worker");

    public sealed interface Command extends CborMessage {}

    /** Asks the worker for its device and slots. */
    public record Describe(ActorRef<RunCoordinator.Command> replyTo) implements Command {}

    /** Runs one attempt; the outcome goes to {@code replyTo} as {@link RunCoordinator.AttemptFinished}. */
    public record Execute(TaskAssignment task, ActorRef<RunCoordinator.Command> replyTo) implements Command {}

    /** Cancels a running attempt (cooperatively, then by interrupt). */
    public record Cancel(String attemptKey) implements Command {}

    record Finished(String attemptKey, AttemptOutcome outcome, long millis) implements Command {}

    record TimedOut(String attemptKey) implements Command {}

    record ReportProgress(String attemptKey, double fraction, String message) implements Command {}

    public static Behavior<Command> create(Device device, int slots, ArtifactStore store, NodeCatalog catalog) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
            ctx.getSystem().receptionist().tell(Receptionist.register(SERVICE_KEY, ctx.getSelf()));
            return new DeviceWorker(ctx, timers, device, slots, store, catalog).behavior();
        }));
    }

    private record Running(TaskAssignment task, ActorRef<RunCoordinator.Command> replyTo, Future<?> future,
                           WorkerTaskContext<?> context) {}

    private final ActorContext<Command> ctx;
    private final TimerScheduler<Command> timers;
    private final Device device;
    private final int slots;
    private final ArtifactStore store;
    private final NodeCatalog catalog;
    private final ExecutorService pool;
    private final Map<String, Running> running = new HashMap<>();

    private DeviceWorker(ActorContext<Command> ctx, TimerScheduler<Command> timers, Device device, int slots,
                         ArtifactStore store, NodeCatalog catalog) {
        this.ctx = ctx;
        this.timers = timers;
        this.device = device;
        this.slots = slots;
        this.store = store;
        this.catalog = catalog;
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
                .onMessage(Finished.class, this::onFinished)
                .onMessage(TimedOut.class, this::onTimedOut)
                .onMessage(ReportProgress.class, this::onProgress)
                .onSignal(PostStop.class, s -> {
                    pool.shutdownNow();
                    return Behaviors.same();
                })
                .build();
    }

    private Behavior<Command> onDescribe(Describe m) {
        m.replyTo().tell(new RunCoordinator.WorkerInfo(ctx.getSelf(), device.info(), slots));
        return Behaviors.same();
    }

    private Behavior<Command> onExecute(Execute m) {
        TaskAssignment task = m.task();
        String key = task.key();
        NodeType<?> type = catalog.find(task.nodeType()).orElse(null);
        if (type == null) {
            m.replyTo().tell(finished(task, new AttemptOutcome.Failed(ErrorClass.PERMANENT,
                    "this worker has no node type '" + task.nodeType() + "'"), 0));
            return Behaviors.same();
        }
        Object params;
        try {
            params = ParamsBinder.bind(type.paramsType(), task.params());
        } catch (IllegalArgumentException e) {
            m.replyTo().tell(finished(task, new AttemptOutcome.Failed(ErrorClass.PERMANENT, e.getMessage()), 0));
            return Behaviors.same();
        }
        ActorRef<Command> self = ctx.getSelf();
        WorkerTaskContext<?> context = newContext(task, type, params,
                (fraction, message) -> self.tell(new ReportProgress(key, fraction, message)));
        long start = System.nanoTime();
        Future<?> future = pool.submit(() -> {
            AttemptOutcome outcome = runAttempt(type, context, task);
            self.tell(new Finished(key, outcome, (System.nanoTime() - start) / 1_000_000));
        });
        running.put(key, new Running(task, m.replyTo(), future, context));
        if (task.timeoutMillis() > 0) {
            timers.startSingleTimer(key, new TimedOut(key), Duration.ofMillis(task.timeoutMillis()));
        }
        return Behaviors.same();
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private WorkerTaskContext<?> newContext(TaskAssignment task, NodeType<?> type, Object params,
                                            java.util.function.BiConsumer<Double, String> progress) {
        return new WorkerTaskContext(task, type, params, device, store, progress);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private AttemptOutcome runAttempt(NodeType type, WorkerTaskContext context, TaskAssignment task) {
        try {
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
            return new AttemptOutcome.Succeeded(outputs, metrics);
        } catch (Throwable t) {
            return new AttemptOutcome.Failed(classify(t, context), describe(t));
        }
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

    private Behavior<Command> onFinished(Finished m) {
        Running r = running.remove(m.attemptKey());
        if (r == null) return Behaviors.same(); // already answered (timed out or cancelled)
        timers.cancel(m.attemptKey());
        r.replyTo().tell(finished(r.task(), m.outcome(), m.millis()));
        return Behaviors.same();
    }

    private Behavior<Command> onTimedOut(TimedOut m) {
        Running r = running.remove(m.attemptKey());
        if (r == null) return Behaviors.same();
        r.context().cancel();
        r.future().cancel(true);
        r.replyTo().tell(finished(r.task(), new AttemptOutcome.Failed(ErrorClass.TIMEOUT,
                "attempt ran past its timeout of " + r.task().timeoutMillis() + " ms"), r.task().timeoutMillis()));
        return Behaviors.same();
    }

    private Behavior<Command> onCancel(Cancel m) {
        Running r = running.remove(m.attemptKey());
        if (r != null) {
            timers.cancel(m.attemptKey());
            r.context().cancel();
            r.future().cancel(true);
        }
        return Behaviors.same();
    }

    private Behavior<Command> onProgress(ReportProgress m) {
        Running r = running.get(m.attemptKey());
        if (r != null) {
            r.replyTo().tell(new RunCoordinator.Progress(r.task().taskId(), r.task().attempt(), m.fraction(), m.message()));
        }
        return Behaviors.same();
    }

    private RunCoordinator.AttemptFinished finished(TaskAssignment task, AttemptOutcome outcome, long millis) {
        return new RunCoordinator.AttemptFinished(task.taskId(), task.attempt(), device.id(), outcome, millis);
    }
}
