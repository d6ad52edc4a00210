package org.mtflow.engine.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Pattern;
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
import org.mtflow.engine.journal.JournalEntry;
import org.mtflow.engine.journal.RunJournal;
import org.mtflow.engine.node.NodeType;
import org.mtflow.engine.node.ParamsBinder;
import org.mtflow.engine.node.Port;
import org.mtflow.engine.node.SubtaskResult;
import org.mtflow.engine.spec.Condition;
import org.mtflow.engine.spec.ErrorClass;
import org.mtflow.engine.spec.InputBinding;
import org.mtflow.engine.spec.OutputRef;
import org.mtflow.engine.spec.Resources;
import org.mtflow.engine.spec.TaskSpec;
import org.mtflow.engine.store.ArtifactRef;

/**
 * Drives one run: keeps the ready set, offers ready tasks (longest remaining path first, then
 * declaration order) to device workers that fit their resources (strongest device kind first, then
 * the one holding most of the inputs), reuses cached results, retries failed attempts with backoff
 * (a device failure on another device), skips what depends on a task that failed for good, adds the
 * subtasks running tasks spawn, and reports every change as a {@link RunEvent}. A {@link Cancel}
 * ends the run early: running attempts are cancelled on their workers, every other unfinished task
 * is skipped, and the run ends {@code cancelled}.
 *
 * <p>With a journal, every finished task is written to the run's {@link RunJournal} in batches: one
 * write in flight, the next batch being whatever finished meanwhile. Dependents start at once (a
 * chain would otherwise run at the pace of fsyncs); the event log only keeps what the journal has
 * (see {@link RunPlan#durable}), and a resumed run takes every journaled task as done.
 */
public final class RunCoordinator {

    public sealed interface Command extends CborMessage {}

    /**
     * A worker's answer to {@link DeviceWorker.Describe}: {@code label} names it in events;
     * {@code artifacts} is its node's artifact server on a cluster, null on one machine.
     */
    public record WorkerInfo(ActorRef<DeviceWorker.Command> worker, DeviceInfo device, int slots, String label,
                             String artifacts) implements Command {}

    /** How an attempt ended on a worker. */
    public record AttemptFinished(String taskId, int attempt, String device, AttemptOutcome outcome, long millis)
            implements Command {}

    public record Progress(String taskId, int attempt, double fraction, String message) implements Command {}

    /** A running attempt asks for a subtask; the answer goes to {@code worker} as a {@link DeviceWorker.SpawnReply}. */
    public record Spawn(String parent, int attempt, String name, String nodeType, ObjectNode params,
                        Map<String, List<ArtifactRef>> inputs, String attemptKey, ActorRef<DeviceWorker.Command> worker)
            implements Command {}

    /** An attempt waits for its subtasks (its slot is free) or goes on. */
    public record Parked(String taskId, int attempt, boolean parked) implements Command {}

    /** A worker took its device out of rotation. */
    public record DeviceDegraded(ActorRef<DeviceWorker.Command> worker, String device, String reason) implements Command {}

    /**
     * Ends the run now: nothing more is scheduled, running attempts are cancelled, unfinished tasks
     * are skipped and the run finishes {@code cancelled}. Harmless once the run is ending or over.
     */
    public record Cancel(String reason) implements Command {}

    record WorkersChanged(Set<ActorRef<DeviceWorker.Command>> workers) implements Command {}

    record RetryDue(String taskId) implements Command {}

    record JournalRead(RunJournal.History history) implements Command {}

    record JournalWritten(RunJournal.Appended appended) implements Command {}

    record JournalStopped() implements Command {}

    public static Behavior<Command> create(RunPlan plan) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new RunCoordinator(ctx, timers, plan).start()));
    }

    private static final Pattern SUBTASK_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");
    /** Lost attempts (a worker crashed or left) beyond this count as failures: a task may be what kills workers. */
    private static final int MAX_LOST = 3;
    /** Attempts that found inputs gone (their producers then ran again) beyond this count as failures. */
    private static final int MAX_INPUTS_MISSING = 10;

    private enum Status { WAITING, READY, RUNNING, BACKOFF, SUCCEEDED, CACHED, FAILED, SKIPPED;

        boolean terminal() { return this == SUCCEEDED || this == CACHED || this == FAILED || this == SKIPPED; }

        boolean succeeded() { return this == SUCCEEDED || this == CACHED; }
    }

    private static final class Task {
        final TaskSpec spec;
        final NodeType<?> type;
        final int index;
        final List<Task> dependents = new ArrayList<>(2);
        final List<Task> upstream = new ArrayList<>(2);
        /** For subtasks: the artifacts they were spawned with. */
        final Map<String, List<ArtifactRef>> fixedInputs;
        final int depth;
        int mark = -1;
        int waitingOn;
        int pathLength;
        Status status = Status.WAITING;
        int attempt;
        int failures;
        int lost;
        int inputsMissing;
        /**
         * On a cluster: the artifact servers of the nodes holding this task's outputs (where it ran,
         * and where dependents fetched them). Null on one machine, where the store is shared.
         */
        Set<String> holders;
        /** For a subtask on a cluster: the node of the attempt that spawned it (it holds the inputs it named). */
        String spawnedOn;
        /**
         * A subtask whose inputs were only on its parent's node, which left: it waits for the
         * parent's next attempt to spawn it again from where the inputs are now.
         */
        boolean awaitingRespawn;
        /** The subtasks this task's attempts spawned; null while none. */
        List<Task> children;
        boolean parked;
        Worker worker;
        /** The worker that last read this task's outputs (as a dependent's input): it holds them too. */
        Worker reader;
        /** Workers this task failed on for device reasons: tried last. */
        Set<Worker> avoid;
        Map<String, ArtifactRef> outputs;
        ObjectNode metrics;
        /** Its {@code when:}, parsed at start; null without one. */
        Condition condition;
        /** Why its {@code when:} cannot be read (the spec was not validated); null when it can. */
        String conditionProblem;
        /** The root cause of its skip: the task that failed, or the one whose condition was false. */
        String skipCause;
        /** Skipped because a condition was false (its own or upstream): by design, not a failure. */
        boolean skippedByCondition;
        /** Computed when the task became ready (its inputs are known then), for the lookup and the record. */
        String cacheKey;
        /** Attempts of other tasks waiting for this subtask: attempt key → their worker. */
        Map<String, ActorRef<DeviceWorker.Command>> waiters;

        Task(TaskSpec spec, NodeType<?> type, int index, Map<String, List<ArtifactRef>> fixedInputs, int depth) {
            this.spec = spec;
            this.type = type;
            this.index = index;
            this.fixedInputs = fixedInputs;
            this.depth = depth;
        }

        String id() { return spec.id(); }
    }

    /**
     * The ready tasks, best first: longest remaining path, then declaration order. A binary heap in
     * an array: no node per entry, no comparator calls through a lambda.
     */
    private static final class ReadyQueue {
        private Task[] heap = new Task[64];
        private int size;

        static boolean before(Task a, Task b) {
            return a.pathLength != b.pathLength ? a.pathLength > b.pathLength : a.index < b.index;
        }

        boolean isEmpty() { return size == 0; }

        void add(Task t) {
            if (size == heap.length) heap = java.util.Arrays.copyOf(heap, size * 2);
            int i = size++;
            while (i > 0) {
                int parent = (i - 1) >>> 1;
                if (!before(t, heap[parent])) break;
                heap[i] = heap[parent];
                i = parent;
            }
            heap[i] = t;
        }

        Task poll() {
            Task top = heap[0];
            Task last = heap[--size];
            heap[size] = null;
            if (size > 0) {
                int i = 0;
                while (true) {
                    int child = 2 * i + 1;
                    if (child >= size) break;
                    if (child + 1 < size && before(heap[child + 1], heap[child])) child++;
                    if (!before(heap[child], last)) break;
                    heap[i] = heap[child];
                    i = child;
                }
                heap[i] = last;
            }
            if (size < heap.length / 4 && heap.length > 64) heap = java.util.Arrays.copyOf(heap, heap.length / 2);
            return top;
        }
    }

    private static final class Worker {
        final ActorRef<DeviceWorker.Command> ref;
        final DeviceInfo device;
        final int slots;
        /** Its name in events: the device id, on a cluster with its node (jvm@host:port). */
        final String label;
        /** Its node's artifact server on a cluster, else null. */
        final String node;
        /** Slots taken by attempts sent to it, including those it holds in its queue. */
        int busy;
        /** A moving average of its attempts' run times; long until measured. */
        double averageMillis = 1000;

        Worker(ActorRef<DeviceWorker.Command> ref, DeviceInfo device, int slots, String label, String node) {
            this.ref = ref;
            this.device = device;
            this.slots = slots;
            this.label = label == null ? device.id() : label;
            this.node = node;
        }

        int free() { return slots - busy; }

        /**
         * Attempts it may hold queued beyond its slots: while its attempts are short, enough that a
         * pool thread goes straight on to the next instead of idling for a round trip through the
         * coordinator (sub-millisecond ones need several per slot to cover it); none while they are
         * long (a task queued behind a long one could not move to a worker that frees up first).
         */
        int ahead() {
            if (averageMillis < TINY_ATTEMPT_MILLIS) return 8 * slots;
            return averageMillis < SHORT_ATTEMPT_MILLIS ? slots : 0;
        }

        int room() { return slots + ahead() - busy; }

        void ran(long millis) { averageMillis = 0.8 * averageMillis + 0.2 * millis; }
    }

    /** Attempts shorter than these on average let a worker be fed ahead (see {@link Worker#ahead}). */
    private static final double SHORT_ATTEMPT_MILLIS = 5, TINY_ATTEMPT_MILLIS = 1;

    private final ActorContext<Command> ctx;
    private final TimerScheduler<Command> timers;
    private final RunPlan plan;
    private final String runId;
    private final Map<String, Task> tasks = new LinkedHashMap<>();
    private final ReadyQueue ready = new ReadyQueue();
    private final Map<ActorRef<DeviceWorker.Command>, Worker> workers = new LinkedHashMap<>();
    /**
     * Listed workers asked for their device that have not answered yet. Dispatch waits for them:
     * else the first worker to answer (say the JVM) gets the first tasks although a GPU is listed.
     */
    private final Set<ActorRef<DeviceWorker.Command>> describing = new HashSet<>();
    private final Random jitter;
    private final long startNanos = System.nanoTime();
    /** Journaled in an earlier session, by task id (subtasks are looked up when spawned again). */
    private final Map<String, JournalEntry.TaskDone> recovered = new HashMap<>();
    /** On a cluster: the task that produced each artifact (by SHA-256), to find who holds a subtask's inputs. */
    private final Map<String, Task> producers = new HashMap<>();
    private ActorRef<RunJournal.Command> journal;
    private List<JournalEntry> unwritten = new ArrayList<>();
    private boolean writing;
    /** Entries journaled so far; the last of them the journal has confirmed; the last of the batch in flight. */
    private long journaled, journaledDurably, journaledInFlight;
    /** Tasks whose waiting parents hear of them once the journal holds what they did (see {@link #answerWhenDurable}). */
    private final java.util.ArrayDeque<DurableAnswer> unansweredUntilDurable = new java.util.ArrayDeque<>();

    /** Answer {@code task}'s waiters once journal entry {@code entry} is durable. */
    private record DurableAnswer(long entry, Task task) {}
    /** Events emitted so far, and when the journal write in flight was sent (see RunPlan.durable). */
    private long emitted;
    private long emittedAtWrite;
    private boolean ending;
    private boolean over;
    private String endStatus;
    /** Why the run was cancelled; null unless it was. */
    private String cancelled;
    /** A cancel that came while the journal was being read, applied once it has been. */
    private Cancel early;
    private final ArrayDeque<Task> toRelease = new ArrayDeque<>();
    private boolean releasing;
    private int running;
    private int terminal;
    private int spawned;

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
            tasks.put(spec.id(), new Task(spec, type, index++, null, 0));
        }
        for (Task t : tasks.values()) {
            for (InputBinding b : t.spec.inputs().values()) {
                for (OutputRef ref : b.refs()) link(tasks.get(ref.task()), t);
            }
            if (t.spec.when() != null) readCondition(t);
        }
        computePathLengths();
        emit(new RunEvent.RunStarted(Instant.now(), runId, plan.spec().name(), plan.spec().seed(), tasks.size(),
                plan.resumed()));
        Behavior<Command> running = Behaviors.receive(Command.class)
                .onMessage(WorkersChanged.class, this::onWorkersChanged)
                .onMessage(WorkerInfo.class, this::onWorkerInfo)
                .onMessage(AttemptFinished.class, this::onAttemptFinished)
                .onMessage(Progress.class, this::onProgress)
                .onMessage(RetryDue.class, this::onRetryDue)
                .onMessage(Spawn.class, this::onSpawn)
                .onMessage(Parked.class, this::onParked)
                .onMessage(DeviceDegraded.class, this::onDeviceDegraded)
                .onMessage(JournalWritten.class, this::onJournalWritten)
                .onMessage(JournalStopped.class, this::onJournalStopped)
                .onMessage(Cancel.class, this::onCancel)
                .onSignal(PostStop.class, s -> {
                    // Only a bug stops the coordinator early; the caller must not wait forever.
                    plan.done().completeExceptionally(new IllegalStateException("run coordinator stopped before the run ended"));
                    return Behaviors.same();
                })
                .build();
        if (!plan.journal()) return schedule(running);
        journal = ctx.spawn(RunJournal.create(runId), "journal");
        ctx.watchWith(journal, new JournalStopped());
        journal.tell(new RunJournal.Read(ctx.messageAdapter(RunJournal.History.class, JournalRead::new)));
        // Nothing is scheduled before the journal says what an earlier session finished.
        return Behaviors.receive(Command.class)
                .onMessage(JournalRead.class, m -> {
                    recover(m.history().entries());
                    Behavior<Command> next = schedule(running);
                    if (early == null || ending) return next;
                    onCancel(early); // nothing has started yet: only recovered and cached tasks are final
                    return over ? Behaviors.stopped() : running;
                })
                .onMessage(Cancel.class, m -> {
                    if (early == null) early = m;
                    return Behaviors.same();
                })
                .onMessage(JournalStopped.class, this::onJournalStopped)
                .build();
    }

    private Behavior<Command> schedule(Behavior<Command> running) {
        ctx.getSystem().receptionist().tell(Receptionist.subscribe(DeviceWorker.SERVICE_KEY,
                ctx.messageAdapter(Receptionist.Listing.class,
                        l -> new WorkersChanged(l.getServiceInstances(DeviceWorker.SERVICE_KEY)))));
        for (Task t : tasks.values()) {
            // A cached upstream may already have released (and readied or cached) this task.
            if (t.waitingOn == 0 && t.status == Status.WAITING) becomeReady(t);
        }
        if (finishedAll()) {
            end();
            if (over) return Behaviors.stopped();
            // Else the journal still writes the end: its answer comes to the running behavior.
        }
        return running;
    }

    /** {@code producer} feeds {@code t}: each producer once, however many inputs it feeds. */
    private static void link(Task producer, Task t) {
        if (producer.mark == t.index) return;
        producer.mark = t.index;
        producer.dependents.add(t);
        t.upstream.add(producer);
    }

    /** Parses a task's condition; the tasks it names become upstream: it is decided once they end. */
    private void readCondition(Task t) {
        try {
            t.condition = Condition.parse(t.spec.when());
        } catch (Condition.ParseException e) {
            t.conditionProblem = e.getMessage() + ", at column " + e.column;
            return;
        }
        for (String id : t.condition.tasks()) {
            Task u = tasks.get(id);
            if (u == null || u == t) {
                t.conditionProblem = u == null ? "no task '" + id + "'" : "it refers to the task itself";
                t.condition = null;
                return;
            }
            link(u, t);
        }
    }

    /** Longest path (in tasks) from each task to a sink: Kahn's order over the reversed graph. */
    private void computePathLengths() {
        ArrayDeque<Task> queue = new ArrayDeque<>();
        for (Task t : tasks.values()) {
            t.waitingOn = t.dependents.size(); // reused as a counter here, set for real below
            if (t.dependents.isEmpty()) queue.add(t);
        }
        while (!queue.isEmpty()) {
            Task t = queue.poll();
            int longest = 0;
            for (Task d : t.dependents) longest = Math.max(longest, d.pathLength);
            t.pathLength = longest + 1;
            for (Task u : t.upstream) {
                if (--u.waitingOn == 0) queue.add(u);
            }
        }
        for (Task t : tasks.values()) t.waitingOn = t.upstream.size();
    }

    /** Takes what an earlier session of this run journaled as finished, where its artifacts are intact. */
    private void recover(List<JournalEntry> entries) {
        for (JournalEntry e : entries) {
            if (e instanceof JournalEntry.TaskDone d) recovered.put(d.task(), d);
        }
        for (Task t : tasks.values()) {
            JournalEntry.TaskDone d = recovered.get(t.id());
            if (d != null && recoverable(t, d)) markRecovered(t, d);
        }
        for (Task t : tasks.values()) {
            if (t.status.terminal()) continue;
            int waiting = 0;
            for (Task u : t.upstream) if (!u.status.terminal()) waiting++;
            t.waitingOn = waiting;
        }
    }

    /**
     * Whether a task journaled as done keeps its outputs: in this node's store, intact, or (a run
     * taken over from a lost coordinator) on the other nodes the journal names, which are trusted
     * until a fetch from them fails (then lineage recomputes it).
     */
    private boolean recoverable(Task t, JournalEntry.TaskDone d) {
        if (plan.localArtifacts() != null && d.holders() != null && !d.holders().isEmpty()
                && !d.holders().contains(plan.localArtifacts()) && recordsEvery(t, d.outputs())) {
            return true;
        }
        return intact(t, d.outputs());
    }

    private static boolean recordsEvery(Task t, Map<String, ArtifactRef> outputs) {
        for (Port p : t.type.outputs()) if (!outputs.containsKey(p.name())) return false;
        return true;
    }

    private void markRecovered(Task t, JournalEntry.TaskDone d) {
        t.status = Status.SUCCEEDED;
        t.holders = heldHere(t, d.outputs());
        if (t.holders != null && d.holders() != null && !d.holders().contains(plan.localArtifacts())) {
            t.holders = new HashSet<>(d.holders());
        }
        t.outputs = d.outputs();
        t.metrics = d.metrics();
        terminal++;
        emit(new RunEvent.TaskRecovered(Instant.now(), runId, t.id(), hashes(t.outputs), d.metrics()));
    }

    /** Whether every output is in the store with its checksum; if not, says so and the task runs again. */
    private boolean intact(Task t, Map<String, ArtifactRef> outputs) {
        for (Port p : t.type.outputs()) {
            ArtifactRef ref = outputs.get(p.name());
            String problem = null;
            if (ref == null) {
                problem = "output '" + p.name() + "' is not recorded";
            } else {
                try {
                    plan.store().read(ref); // verifies the checksum (once per file version per process)
                } catch (IOException e) {
                    problem = "output '" + p.name() + "' is unusable: " + e.getMessage();
                }
            }
            if (problem != null) {
                emit(new RunEvent.TaskInvalidated(Instant.now(), runId, t.id(), problem + "; recomputing it"));
                return false;
            }
        }
        return true;
    }

    private void becomeReady(Task t) {
        if ((t.condition != null || t.conditionProblem != null) && !conditionHolds(t)) return;
        if (plan.useCache() && t.spec.cache() && t.type.cacheable() && cacheHit(t)) return;
        t.status = Status.READY;
        ready.add(t);
        emit(new RunEvent.TaskQueued(Instant.now(), runId, t.id()));
    }

    /**
     * Decides a task's condition from its upstream tasks' final state; false skips it (its dependents
     * as for any skipped upstream), an error fails it for good. Deterministic in the recorded metrics,
     * so a resumed run, which recovers them from the journal, decides the same.
     */
    private boolean conditionHolds(Task t) {
        String when = "when: " + t.spec.when();
        if (t.conditionProblem != null) {
            failed(t, "none", ErrorClass.PERMANENT, when + " cannot be read: " + t.conditionProblem);
            return false;
        }
        Map<String, JsonNode> seen = new LinkedHashMap<>();
        boolean holds;
        try {
            holds = t.condition.evaluate(ref -> {
                JsonNode v = lookup(ref);
                seen.put(ref.path(), v);
                return v;
            });
        } catch (Condition.EvaluationException e) {
            failed(t, "none", ErrorClass.PERMANENT, when + " cannot be decided: " + e.getMessage());
            return false;
        }
        if (holds) return true;
        StringBuilder reason = new StringBuilder(when).append(" was false");
        String sep = " (";
        for (Map.Entry<String, JsonNode> e : seen.entrySet()) {
            reason.append(sep).append(e.getKey()).append(" = ").append(e.getValue());
            sep = ", ";
        }
        if (!seen.isEmpty()) reason.append(')');
        t.status = Status.SKIPPED;
        t.skipCause = t.id();
        t.skippedByCondition = true;
        terminal++;
        emit(new RunEvent.TaskSkipped(Instant.now(), runId, t.id(), reason.toString(), null));
        ended(t);
        return false;
    }

    /** A reference's value: an upstream task's status, or one of its metrics (a dotted name may walk into maps). */
    private JsonNode lookup(Condition.Ref ref) {
        Task u = tasks.get(ref.task());
        if (ref.field().equals(Condition.Ref.STATUS)) {
            String status = u.status.succeeded() ? "succeeded" : u.status.name().toLowerCase(java.util.Locale.ROOT);
            return Json.MAPPER.getNodeFactory().textNode(status);
        }
        if (u.metrics == null) return null;
        JsonNode v = u.metrics.get(ref.name());
        if (v != null) return v;
        JsonNode at = u.metrics;
        for (String step : ref.name().split("\\.")) {
            at = at.get(step);
            if (at == null) return null;
        }
        return at;
    }

    private boolean cacheHit(Task t) {
        Map<String, ArtifactRef> outputs = new LinkedHashMap<>();
        ObjectNode metrics;
        try {
            t.cacheKey = cacheKey(t);
            var entry = plan.store().readCacheEntry(t.cacheKey);
            if (entry.isEmpty()) return false;
            JsonNode json = Json.MAPPER.readTree(entry.get());
            for (Port p : t.type.outputs()) {
                JsonNode o = json.path("outputs").path(p.name());
                if (!o.isMissingNode()) outputs.put(p.name(), Json.MAPPER.treeToValue(o, ArtifactRef.class));
            }
            JsonNode m = json.path("metrics");
            metrics = m.isObject() ? (ObjectNode) m : Json.MAPPER.createObjectNode();
        } catch (IOException | IllegalArgumentException e) {
            ctx.getLog().warn("ignoring unreadable cache entry for task {}: {}", t.id(), e.toString());
            return false;
        }
        if (!intact(t, outputs)) return false; // rerunning rewrites (repairs) the artifact
        t.status = Status.CACHED;
        t.holders = heldHere(t, outputs);
        t.outputs = outputs;
        t.metrics = metrics;
        terminal++;
        journalDone(t, 0, "cache", 0); // before the event, as for TaskSucceeded
        emit(new RunEvent.TaskCached(Instant.now(), runId, t.id(), hashes(outputs), metrics));
        ended(t);
        return true;
    }

    private String cacheKey(Task t) {
        return CacheKeys.of(t.spec.type(), t.type.version(), t.id(), t.spec.with(), inputsOf(t), plan.spec().seed());
    }

    /**
     * The artifacts each input receives. A list input with {@code min-success} below its length gets
     * the outputs of the producers that succeeded, in list order.
     */
    private Map<String, List<ArtifactRef>> inputsOf(Task t) {
        if (t.fixedInputs != null) return t.fixedInputs;
        Map<String, List<ArtifactRef>> inputs = new LinkedHashMap<>();
        t.spec.inputs().forEach((name, binding) -> {
            List<ArtifactRef> refs = new ArrayList<>(binding.refs().size());
            for (OutputRef r : binding.refs()) {
                Task producer = tasks.get(r.task());
                if (producer.status.succeeded()) refs.add(producer.outputs.get(r.output()));
            }
            inputs.put(name, refs);
        });
        return inputs;
    }

    /**
     * A task reached a final state: its dependents may now run, or can no longer. A worklist, not
     * recursion: a long chain of cached or skipped tasks would overflow the stack.
     */
    private void ended(Task t) {
        t.cacheKey = null; // no longer needed: keep the coordinator small on huge graphs
        toRelease.add(t);
        if (releasing) return;
        releasing = true;
        try {
            while (!toRelease.isEmpty()) {
                Task u = toRelease.poll();
                answerWhenDurable(u);
                orphaned(u);
                for (Task d : u.dependents) {
                    if (d.status != Status.WAITING) continue;
                    d.waitingOn--;
                    if (!u.status.succeeded() && doomed(d)) {
                        skip(d, u);
                    } else if (d.waitingOn == 0) {
                        becomeReady(d);
                    }
                }
            }
        } finally {
            releasing = false;
        }
    }

    private void skip(Task d, Task because) {
        d.status = Status.SKIPPED;
        d.skipCause = because.status == Status.SKIPPED ? because.skipCause : because.id();
        d.skippedByCondition = because.skippedByCondition;
        terminal++;
        // The root cause, however far upstream: that is the task to look at.
        emit(new RunEvent.TaskSkipped(Instant.now(), runId, d.id(), "upstream task '" + d.skipCause + "' "
                + (d.skippedByCondition ? "was skipped: its when: condition was false" : "failed"), d.skipCause));
        toRelease.add(d);
    }

    /**
     * Whether an input of {@code d} can no longer get enough of its producers' outputs, or its
     * condition reads metrics of a task that did not succeed.
     */
    private boolean doomed(Task d) {
        if (d.condition != null) {
            for (String id : d.condition.metricTasks()) {
                Status s = tasks.get(id).status;
                if (s == Status.FAILED || s == Status.SKIPPED) return true;
            }
        }
        for (InputBinding b : d.spec.inputs().values()) {
            int failed = 0;
            for (OutputRef r : b.refs()) {
                Status s = tasks.get(r.task()).status;
                if (s == Status.FAILED || s == Status.SKIPPED) failed++;
            }
            if (b.refs().size() - failed < minSuccess(b)) return true;
        }
        return false;
    }

    private static int minSuccess(InputBinding b) {
        return b instanceof InputBinding.Many m ? m.minSuccess() : 1;
    }

    private Behavior<Command> onWorkersChanged(WorkersChanged m) {
        for (ActorRef<DeviceWorker.Command> w : m.workers()) {
            if (!workers.containsKey(w) && describing.add(w)) w.tell(new DeviceWorker.Describe(ctx.getSelf()));
        }
        List<Worker> gone = new ArrayList<>();
        for (Worker w : workers.values()) if (!m.workers().contains(w.ref)) gone.add(w);
        for (Worker w : gone) {
            workers.remove(w.ref);
            // What ran there is lost with it (a worker on a machine that left the cluster never answers).
            for (Task t : new ArrayList<>(tasks.values())) {
                if (t.status == Status.RUNNING && t.worker == w) {
                    if (!t.parked) running--;
                    t.parked = false;
                    lose(t, w.label, "device " + w.label + " left");
                }
            }
        }
        describing.retainAll(m.workers()); // one that left will not answer
        dispatch();
        return Behaviors.same();
    }

    private Behavior<Command> onWorkerInfo(WorkerInfo m) {
        describing.remove(m.worker());
        workers.putIfAbsent(m.worker(), new Worker(m.worker(), m.device(), m.slots(), m.label(), m.artifacts()));
        dispatch();
        return Behaviors.same();
    }

    private Behavior<Command> onDeviceDegraded(DeviceDegraded m) {
        emit(new RunEvent.DeviceDegraded(Instant.now(), runId, m.device(), m.reason()));
        return Behaviors.same();
    }

    /** Offers ready tasks, best first, to workers with room for them. */
    private void dispatch() {
        if (!describing.isEmpty() || workers.isEmpty() || ending) return;
        int free = 0;
        for (Worker w : workers.values()) free += Math.max(0, w.room());
        Set<Resources> unplaceable = null; // resources no worker has room for in this pass
        List<Task> homeless = null; // no worker fits them at all (say, the only GPU left rotation)
        List<Task> passed = null; // no room for them now: back into the queue after this pass
        while (free > 0 && !ready.isEmpty()) {
            if (plan.maxConcurrency() > 0 && running >= plan.maxConcurrency()) break;
            Task t = ready.poll();
            if (plan.localArtifacts() != null && !inputsHeld(t)) continue; // it waits for producers to run again
            Resources r = t.spec.resources();
            boolean known = t.avoid == null && unplaceable != null && unplaceable.contains(r); // no room this pass
            Worker w = known ? null : pickWorker(t);
            if (w == null) {
                if (!known && !fitsSomewhere(t)) {
                    if (homeless == null) homeless = new ArrayList<>();
                    homeless.add(t);
                    continue;
                }
                if (t.avoid == null) {
                    if (unplaceable == null) unplaceable = new HashSet<>();
                    unplaceable.add(r);
                }
                if (passed == null) passed = new ArrayList<>();
                passed.add(t);
                continue;
            }
            startAttempt(t, w);
            free -= Math.min(w.slots, r.slots());
        }
        if (passed != null) for (Task t : passed) ready.add(t);
        if (homeless != null) {
            // Failing them releases dependents into the ready set: not while iterating over it.
            for (Task t : homeless) failed(t, "", ErrorClass.PERMANENT, "no device left fits its resources " + t.spec.resources());
            dispatch();
        }
    }

    private void startAttempt(Task t, Worker w) {
        t.status = Status.RUNNING;
        t.attempt++;
        t.worker = w;
        int slots = Math.min(w.slots, t.spec.resources().slots());
        w.busy += slots;
        running++;
        emit(new RunEvent.TaskStarted(Instant.now(), runId, t.id(), t.attempt, w.label));
        long timeout = t.spec.timeout() == null ? 0 : t.spec.timeout().toMillis();
        Map<String, List<ArtifactRef>> inputs = inputsOf(t);
        String key = null;
        if (t.spec.cache() && t.type.cacheable()) key = t.cacheKey != null ? t.cacheKey : cacheKey(t);
        w.ref.tell(new DeviceWorker.Execute(new TaskAssignment(runId, t.id(), t.attempt, t.spec.type(),
                t.spec.with(), inputs, plan.spec().seed(), timeout, key,
                t.spec.resources().slots(), sourcesFor(t, w)), ctx.getSelf()));
    }

    // --- a cluster: where artifacts live, and lineage ---------------------------------------

    /** Where a task that ran (or was recovered) on this node holds its outputs: here. */
    private Set<String> heldHere(Task t, Map<String, ArtifactRef> outputs) {
        if (plan.localArtifacts() == null) return null;
        for (ArtifactRef ref : outputs.values()) producers.put(ref.sha256(), t);
        Set<String> here = new HashSet<>(2);
        here.add(plan.localArtifacts());
        return here;
    }

    /** The nodes still in the cluster: those with a worker listed, and this one. */
    private Set<String> liveNodes() {
        Set<String> live = new HashSet<>();
        live.add(plan.localArtifacts());
        for (Worker w : workers.values()) if (w.node != null) live.add(w.node);
        return live;
    }

    /**
     * Whether every producer of {@code t} still has its outputs on a live node. A producer whose
     * every copy was on nodes that left runs again (TaskInvalidated); {@code t} then waits for it.
     */
    private boolean inputsHeld(Task t) {
        if (t.fixedInputs != null && t.spawnedOn != null && !spawnedInputsHeld(t)) {
            Task parent = tasks.get(t.id().substring(0, t.id().lastIndexOf('/')));
            if (parent != null && !parent.status.terminal()) {
                // The attempt that made them was lost with that node; its parent runs again and,
                // spawning this task again, names the node that holds them then.
                t.status = Status.WAITING;
                t.waitingOn = 0;
                t.awaitingRespawn = true;
                return false;
            }
        }
        Set<String> live = null;
        boolean held = true;
        for (Task u : t.upstream) {
            if (!u.status.terminal()) {
                held = false; // invalidated since t became ready
                continue;
            }
            if (u.holders == null || !u.status.succeeded()) continue;
            if (live == null) live = liveNodes();
            u.holders.retainAll(live);
            if (u.holders.isEmpty()) {
                invalidate(u, "its outputs were only on nodes that left the cluster");
                held = false;
            }
        }
        if (!held) waitAgain(t);
        return held;
    }

    /** Whether each input a subtask was spawned with is on a live node: its producer's or its parent's. */
    private boolean spawnedInputsHeld(Task t) {
        Set<String> live = liveNodes();
        if (live.contains(t.spawnedOn)) return true;
        for (List<ArtifactRef> refs : t.fixedInputs.values()) {
            for (ArtifactRef ref : refs) {
                Task producer = producers.get(ref.sha256());
                if (producer == null || producer.holders == null || java.util.Collections.disjoint(producer.holders, live)) {
                    return false;
                }
            }
        }
        return true;
    }

    /** A parent is over: its subtasks still waiting for it to spawn them again never will be. */
    private void orphaned(Task parent) {
        if (parent.children == null) return;
        for (Task c : parent.children) {
            if (!c.awaitingRespawn) continue;
            c.awaitingRespawn = false;
            failed(c, "none", ErrorClass.PERMANENT, "its inputs were only on a node that left the cluster, and "
                    + parent.id() + ", which spawned it, is over");
        }
    }

    /** A finished task's outputs are gone everywhere: it runs again, and its dependents wait for it. */
    private void invalidate(Task u, String reason) {
        if (!u.status.succeeded()) return;
        emit(new RunEvent.TaskInvalidated(Instant.now(), runId, u.id(), reason + "; recomputing it"));
        u.status = Status.READY;
        u.outputs = null;
        u.holders = null;
        terminal--;
        for (Task d : u.dependents) if (d.status == Status.WAITING) d.waitingOn++;
        ready.add(u);
        emit(new RunEvent.TaskQueued(Instant.now(), runId, u.id()));
    }

    /** {@code t} (ready, or back from a worker) waits for the producers that are not done any more. */
    private void waitAgain(Task t) {
        t.status = Status.WAITING;
        int waiting = 0;
        for (Task u : t.upstream) if (!u.status.terminal()) waiting++;
        t.waitingOn = waiting;
        if (waiting == 0) becomeReady(t);
    }

    /** For each input {@code w}'s node lacks: the live nodes that hold it. */
    private Map<String, List<String>> sourcesFor(Task t, Worker w) {
        if (w.node == null) return Map.of();
        if (t.fixedInputs != null) return sourcesOfSubtask(t, w);
        if (t.upstream.isEmpty()) return Map.of();
        Map<String, List<String>> sources = null;
        for (Task u : t.upstream) {
            if (u.holders == null || u.outputs == null || u.holders.contains(w.node)) continue;
            if (sources == null) sources = new HashMap<>();
            List<String> from = List.copyOf(u.holders);
            for (ArtifactRef ref : u.outputs.values()) sources.put(ref.sha256(), from);
        }
        return sources == null ? Map.of() : sources;
    }

    /** A subtask's inputs: held by their producers' nodes, and by the node of the attempt that spawned it. */
    private Map<String, List<String>> sourcesOfSubtask(Task t, Worker w) {
        Map<String, List<String>> sources = new HashMap<>();
        for (List<ArtifactRef> refs : t.fixedInputs.values()) {
            for (ArtifactRef ref : refs) {
                Set<String> from = new java.util.LinkedHashSet<>();
                Task producer = producers.get(ref.sha256());
                if (producer != null && producer.holders != null) from.addAll(producer.holders);
                if (t.spawnedOn != null) from.add(t.spawnedOn);
                if (!from.isEmpty() && !from.contains(w.node)) sources.put(ref.sha256(), List.copyOf(from));
            }
        }
        return sources;
    }

    /** The worker could not fetch some inputs: their producers run again, and {@code t} waits for them. */
    private void inputsMissing(Task t, String device, AttemptOutcome.InputsMissing m) {
        if (++t.inputsMissing > MAX_INPUTS_MISSING) {
            t.failures++;
            failed(t, device, ErrorClass.TRANSIENT, m.message() + " (" + t.inputsMissing + " times)");
            return;
        }
        emit(new RunEvent.TaskFailed(Instant.now(), runId, t.id(), t.attempt, device, "lost", m.message(), false));
        for (Task u : t.upstream) {
            if (u.outputs == null) continue;
            for (ArtifactRef ref : u.outputs.values()) {
                if (m.sha256().contains(ref.sha256())) {
                    invalidate(u, "no node could deliver its output " + ref.sha256().substring(0, 12));
                    break;
                }
            }
        }
        waitAgain(t);
    }

    private static boolean fits(Task t, Worker w) {
        Resources r = t.spec.resources();
        return r.device().matches(w.device.kind()) && (r.memory() <= 0 || w.device.memoryBytes() >= r.memory());
    }

    private boolean fitsSomewhere(Task t) {
        for (Worker w : workers.values()) if (fits(t, w)) return true;
        return false;
    }

    /**
     * The best fitting worker with room: one with a free slot before one that would queue it (see
     * {@link Worker#ahead}), then the strongest device kind (GPU, OpenCL CPU, JVM), then
     * the one holding most of the task's input bytes (it produced or last read them: they are in its
     * memory and caches), then the one with the most free slots. Workers the task failed on for
     * device reasons come last. Only workers with room compete, so a busy holder never holds a task up.
     */
    private Worker pickWorker(Task t) {
        int need = t.spec.resources().slots();
        Worker best = null;
        long bestLocal = -1;
        boolean bestAvoided = true;
        boolean bestQueues = true;
        for (Worker w : workers.values()) {
            int slots = Math.min(w.slots, need);
            if (w.room() < slots || !fits(t, w)) continue;
            boolean avoided = t.avoid != null && t.avoid.contains(w);
            boolean queues = w.free() < slots;
            long local = localBytes(t, w);
            int cmp;
            if (best == null) {
                cmp = -1;
            } else if (avoided != bestAvoided) {
                cmp = avoided ? 1 : -1;
            } else if (queues != bestQueues) {
                cmp = queues ? 1 : -1;
            } else if (w.device.kind() != best.device.kind()) {
                cmp = Integer.compare(w.device.kind().ordinal(), best.device.kind().ordinal());
            } else if (local != bestLocal) {
                cmp = local > bestLocal ? -1 : 1;
            } else {
                cmp = Integer.compare(best.free(), w.free());
            }
            if (cmp < 0) {
                best = w;
                bestLocal = local;
                bestAvoided = avoided;
                bestQueues = queues;
            }
        }
        return best;
    }

    private long localBytes(Task t, Worker w) {
        long bytes = 0;
        for (Task u : t.upstream) {
            if ((u.worker == w || u.reader == w) && u.outputs != null) {
                for (ArtifactRef ref : u.outputs.values()) bytes += ref.size();
            }
        }
        return bytes;
    }

    private Behavior<Command> onAttemptFinished(AttemptFinished m) {
        Task t = tasks.get(m.taskId());
        if (t == null || t.status != Status.RUNNING || t.attempt != m.attempt()) return Behaviors.same();
        // A parked attempt's slot and place were given back when it parked (its unpark notice may
        // arrive after this: the outcome comes from the pool thread, the notice through the worker).
        if (!t.parked) {
            t.worker.busy -= Math.min(t.worker.slots, t.spec.resources().slots());
            running--;
        }
        if (!(m.outcome() instanceof AttemptOutcome.Lost || m.outcome() instanceof AttemptOutcome.InputsMissing)) {
            t.worker.ran(m.millis());
        }
        t.parked = false;
        if (m.outcome() instanceof AttemptOutcome.Succeeded s) {
            t.status = Status.SUCCEEDED;
            t.outputs = s.outputs();
            t.metrics = s.metrics();
            if (t.worker.node != null) {
                t.holders = new HashSet<>(2);
                t.holders.add(t.worker.node);
                for (ArtifactRef ref : t.outputs.values()) producers.put(ref.sha256(), t);
                // It fetched its inputs: its node holds them now too.
                for (Task u : t.upstream) if (u.holders != null) u.holders.add(t.worker.node);
            }
            terminal++;
            RunEvent.TaskSucceeded event = new RunEvent.TaskSucceeded(Instant.now(), runId, t.id(), t.attempt,
                    m.device(), hashes(s.outputs()), s.metrics(), m.millis());
            // Journal first: emit() tells the event log an event is durable when no journal write is
            // pending, so a TaskSucceeded emitted before its entry is queued could reach the log (and a
            // kill -9 land) before the journal has it, and a resumed run would run the task again.
            journalDone(t, t.attempt, m.device(), m.millis());
            emit(event);
            for (Task u : t.upstream) u.reader = t.worker; // it read them: now they are in its memory too
            ended(t);
        } else if (m.outcome() instanceof AttemptOutcome.Failed f) {
            if (f.error() == ErrorClass.DEVICE) {
                if (t.avoid == null) t.avoid = new HashSet<>();
                t.avoid.add(t.worker);
            }
            t.failures++;
            failed(t, m.device(), f.error(), f.message());
        } else if (m.outcome() instanceof AttemptOutcome.Lost l) {
            lose(t, m.device(), l.reason());
        } else if (m.outcome() instanceof AttemptOutcome.InputsMissing im) {
            inputsMissing(t, m.device(), im);
        }
        if (finishedAll()) return end();
        dispatch();
        return Behaviors.same();
    }

    /** An attempt that ended through no fault of its own goes out again at once (a few times). */
    private void lose(Task t, String device, String reason) {
        if (++t.lost > MAX_LOST) {
            t.failures++;
            failed(t, device, ErrorClass.TRANSIENT, reason + " (" + t.lost + " lost attempts)");
            return;
        }
        emit(new RunEvent.TaskFailed(Instant.now(), runId, t.id(), t.attempt, device, "lost", reason, false));
        t.status = Status.READY;
        ready.add(t);
    }

    /** A failed attempt: retry after a backoff if the policy allows, else fail the task for good. */
    private void failed(Task t, String device, ErrorClass error, String message) {
        boolean retry = t.failures < t.spec.retry().attempts() && t.spec.retry().retries(error);
        emit(new RunEvent.TaskFailed(Instant.now(), runId, t.id(), t.attempt, device, error.token(), message, !retry));
        if (retry) {
            Duration delay = t.spec.retry().delayBefore(t.failures + 1);
            long ms = delay.toMillis() + (long) (delay.toMillis() * t.spec.retry().jitter() * jitter.nextDouble());
            t.status = Status.BACKOFF;
            emit(new RunEvent.TaskRetrying(Instant.now(), runId, t.id(), t.attempt + 1, ms));
            timers.startSingleTimer(t.id(), new RetryDue(t.id()), Duration.ofMillis(ms));
        } else {
            t.status = Status.FAILED;
            terminal++;
            ended(t);
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

    private Behavior<Command> onParked(Parked m) {
        Task t = tasks.get(m.taskId());
        if (t == null || t.status != Status.RUNNING || t.attempt != m.attempt() || t.parked == m.parked()) {
            return Behaviors.same();
        }
        t.parked = m.parked();
        int slots = Math.min(t.worker.slots, t.spec.resources().slots());
        t.worker.busy += m.parked() ? -slots : slots;
        running += m.parked() ? -1 : 1;
        if (m.parked()) dispatch();
        return Behaviors.same();
    }

    private Behavior<Command> onSpawn(Spawn m) {
        Task parent = tasks.get(m.parent());
        String id = m.parent() + "/" + m.name();
        if (parent == null || parent.status != Status.RUNNING || parent.attempt != m.attempt()) {
            return Behaviors.same(); // that attempt is over: nobody waits for the answer
        }
        Task existing = tasks.get(id);
        if (existing != null) {
            if (!existing.spec.type().equals(m.nodeType())) {
                refuse(m, id, "subtask " + id + " already exists with node type " + existing.spec.type());
            } else {
                // A new attempt of its parent spawns it again: the inputs are on that attempt's node now.
                if (!existing.status.terminal()) existing.spawnedOn = parent.worker.node;
                wait(existing, m);
                if (existing.awaitingRespawn) {
                    existing.awaitingRespawn = false;
                    becomeReady(existing);
                    dispatch();
                }
            }
            return Behaviors.same();
        }
        String problem = spawnProblem(parent, m);
        if (problem != null) {
            refuse(m, id, problem);
            return Behaviors.same();
        }
        NodeType<?> type = plan.catalog().find(m.nodeType()).orElseThrow();
        TaskSpec spec = new TaskSpec(id, m.nodeType(), m.params(), Map.of(), parent.spec.retry(),
                parent.spec.timeout(), parent.spec.resources(), parent.spec.cache());
        Task child = new Task(spec, type, tasks.size(), Map.copyOf(m.inputs()), parent.depth + 1);
        child.spawnedOn = parent.worker.node;
        if (parent.children == null) parent.children = new ArrayList<>(4);
        parent.children.add(child);
        child.pathLength = parent.pathLength + 1; // its parent waits for it: run it before the parent's peers
        tasks.put(id, child);
        spawned++;
        journal(new JournalEntry.TaskSpawned(parent.id(), id, m.nodeType(), m.params(), child.fixedInputs)); // before the event, as for TaskSucceeded
        emit(new RunEvent.TaskSpawned(Instant.now(), runId, id, parent.id(), m.nodeType(), child.depth));
        wait(child, m);
        JournalEntry.TaskDone done = recovered.get(id);
        if (done != null && recoverable(child, done)) {
            markRecovered(child, done);
            ended(child);
        } else {
            becomeReady(child);
            dispatch();
        }
        return Behaviors.same();
    }

    private String spawnProblem(Task parent, Spawn m) {
        if (!SUBTASK_NAME.matcher(m.name()).matches()) {
            return "subtask name '" + m.name() + "' must be 1-100 letters, digits, '.', '_' or '-'";
        }
        if (spawned >= plan.maxSpawned()) {
            return "the run has spawned " + spawned + " subtasks, its limit; raise it with --max-spawned";
        }
        if (parent.depth + 1 > plan.maxSpawnDepth()) {
            return "subtasks may nest " + plan.maxSpawnDepth() + " deep; " + parent.id()
                    + " is already at depth " + parent.depth + " (raise it with --max-spawn-depth)";
        }
        NodeType<?> type = plan.catalog().find(m.nodeType()).orElse(null);
        if (type == null) return "unknown node type '" + m.nodeType() + "'";
        try {
            ParamsBinder.bind(type.paramsType(), m.params());
        } catch (IllegalArgumentException e) {
            return "params of subtask " + m.name() + ": " + e.getMessage();
        }
        for (Port p : type.inputs()) {
            if (p.required() && !m.inputs().containsKey(p.name())) return "input '" + p.name() + "' of " + m.nodeType() + " is missing";
        }
        for (Map.Entry<String, List<ArtifactRef>> in : m.inputs().entrySet()) {
            if (type.inputs().stream().noneMatch(p -> p.name().equals(in.getKey()))) {
                return m.nodeType() + " has no input '" + in.getKey() + "'";
            }
            for (ArtifactRef ref : in.getValue()) {
                // On a cluster the spawning attempt's node holds it (see sourcesOfSubtask), not necessarily this one.
                if (parent.worker.node == null && !plan.store().contains(ref)) {
                    return "input '" + in.getKey() + "' names an artifact not in the store: " + ref.sha256();
                }
            }
        }
        return null;
    }

    private void refuse(Spawn m, String id, String problem) {
        m.worker().tell(new DeviceWorker.SpawnReply(m.attemptKey(),
                new SubtaskResult(id, false, Map.of(), Json.MAPPER.createObjectNode(), problem)));
    }

    /** Answers {@code m} when the subtask ends (now, if it has). */
    private void wait(Task sub, Spawn m) {
        if (sub.waiters == null) sub.waiters = new LinkedHashMap<>();
        sub.waiters.put(m.attemptKey(), m.worker());
        if (sub.status.terminal()) answerWhenDurable(sub);
    }

    private void answerWaiters(Task t) {
        if (t.waiters == null) return;
        SubtaskResult result = t.status.succeeded()
                ? new SubtaskResult(t.id(), true, t.outputs, t.metrics == null ? Json.MAPPER.createObjectNode() : t.metrics, null)
                : new SubtaskResult(t.id(), false, Map.of(), Json.MAPPER.createObjectNode(),
                        t.status == Status.SKIPPED ? "skipped" : "failed (see its TaskFailed events)");
        t.waiters.forEach((key, worker) -> worker.tell(new DeviceWorker.SpawnReply(key, result)));
        t.waiters = null;
    }

    // --- the journal -------------------------------------------------------------------------

    private void journalDone(Task t, int attempt, String device, long millis) {
        journal(new JournalEntry.TaskDone(t.id(), t.outputs, t.metrics == null ? Json.MAPPER.createObjectNode() : t.metrics,
                attempt, device, millis, t.holders == null ? null : List.copyOf(t.holders)));
    }

    private void journal(JournalEntry entry) {
        if (journal == null) return;
        journaled++;
        unwritten.add(entry);
        flushJournal();
    }

    /**
     * Tells {@code t}'s waiting parents how it ended, once the journal holds every entry made so far
     * (its own TaskDone among them). A parent told sooner could act on the result — an agent journals
     * its next decision — and a kill before the journal write would then leave a parent that went on
     * from a subtask the resumed run must run again.
     */
    private void answerWhenDurable(Task t) {
        if (t.waiters == null) return;
        if (journal == null || journaled <= journaledDurably) {
            answerWaiters(t);
            return;
        }
        unansweredUntilDurable.add(new DurableAnswer(journaled, t));
    }

    /** Answers the waiters whose entries the journal now holds (or all of them, with no journal left). */
    private void answerDurable() {
        while (!unansweredUntilDurable.isEmpty()
                && (journal == null || unansweredUntilDurable.peek().entry() <= journaledDurably)) {
            answerWaiters(unansweredUntilDurable.poll().task());
        }
    }

    /** One write in flight; the next carries everything that finished meanwhile. */
    private void flushJournal() {
        if (writing || unwritten.isEmpty()) return;
        writing = true;
        List<JournalEntry> batch = unwritten;
        unwritten = new ArrayList<>();
        journaledInFlight = journaled;
        emittedAtWrite = emitted; // the events that report what this batch records
        journal.tell(new RunJournal.Append(batch, ctx.messageAdapter(RunJournal.Appended.class, JournalWritten::new)));
    }

    private Behavior<Command> onJournalWritten(JournalWritten m) {
        writing = false;
        journaledDurably = journaledInFlight;
        answerDurable();
        plan.durable().accept(emittedAtWrite);
        flushJournal();
        if (!writing) plan.durable().accept(emitted);
        if (ending && !writing) return finish();
        return Behaviors.same();
    }

    private Behavior<Command> onJournalStopped(JournalStopped m) {
        journal = null;
        answerDurable(); // nothing will become durable now: let waiting parents end
        ctx.getLog().error("run {}: the run journal stopped; ending the run (finished work is in the store)", runId);
        endStatus = "failed";
        for (Task t : tasks.values()) {
            if (t.status == Status.RUNNING) t.worker.ref.tell(new DeviceWorker.Cancel(attemptKey(t)));
        }
        return finish();
    }

    private String attemptKey(Task t) {
        return TaskAssignment.key(runId, t.id(), t.attempt);
    }

    // --- cancellation ------------------------------------------------------------------------

    /**
     * Cancels what runs and skips every unfinished task, then ends the run as {@code cancelled}. The
     * workers drop cancelled attempts without answering; an answer already on its way finds its task
     * skipped and is ignored (see {@link #onAttemptFinished}). Journaling such a late success would
     * leave the journal saying "done" of a task the events and report call skipped; its outputs are
     * not lost for a cached task anyway (the worker wrote them to the store and the cache before
     * answering, so a resumed run takes them from the cache); an uncached one runs again on resume.
     */
    private Behavior<Command> onCancel(Cancel m) {
        if (ending || cancelled != null) return Behaviors.same(); // cancelled already, or every task is final
        cancelled = m.reason() == null || m.reason().isBlank() ? "no reason given" : m.reason();
        timers.cancelAll(); // retries due are dropped
        String reason = "run cancelled: " + cancelled;
        for (Task t : tasks.values()) {
            if (t.status.terminal()) continue;
            if (t.status == Status.RUNNING) t.worker.ref.tell(new DeviceWorker.Cancel(attemptKey(t)));
            t.status = Status.SKIPPED;
            t.parked = false;
            terminal++;
            // Not through ended(): that would release (ready or cache) the dependents.
            emit(new RunEvent.TaskSkipped(Instant.now(), runId, t.id(), reason, null));
        }
        ctx.getLog().info("run {} cancelled: {}", runId, cancelled);
        return end();
    }

    // --- the end -----------------------------------------------------------------------------

    private boolean finishedAll() {
        return terminal == tasks.size();
    }

    /** Every task is final: once the journal has all of it, the run is over. */
    private Behavior<Command> end() {
        ending = true;
        int bad = 0;
        for (Task t : tasks.values()) if (!t.status.succeeded() && !t.skippedByCondition && !handledByParent(t)) bad++;
        endStatus = cancelled != null ? "cancelled" : bad == 0 ? "succeeded" : "failed";
        if (journal == null) return finish();
        journal(new JournalEntry.RunEnded(endStatus));
        return writing ? Behaviors.same() : finish();
    }

    /**
     * A failed subtask whose parent succeeded: the parent saw the failure and decided it was no failure
     * of its own (a search's failed candidate), so it does not fail the run.
     */
    private boolean handledByParent(Task t) {
        if (t.fixedInputs == null) return false;
        Task parent = tasks.get(t.id().substring(0, t.id().lastIndexOf('/')));
        return parent != null && parent.status.succeeded();
    }

    private Behavior<Command> finish() {
        int succeeded = 0, cached = 0, failed = 0, skipped = 0;
        for (Task t : tasks.values()) {
            switch (t.status) {
                case SUCCEEDED -> succeeded++;
                case CACHED -> cached++;
                case FAILED -> failed++;
                case SKIPPED -> skipped++;
                default -> failed++; // only when the journal broke mid-run
            }
        }
        long millis = (System.nanoTime() - startNanos) / 1_000_000;
        emit(new RunEvent.RunFinished(Instant.now(), runId, endStatus, succeeded, cached, failed, skipped, millis));
        plan.done().complete(new RunOutcome(runId, endStatus, succeeded, cached, failed, skipped, millis));
        over = true;
        return Behaviors.stopped();
    }

    private void emit(RunEvent event) {
        plan.events().accept(event);
        emitted++;
        // With nothing waiting for the journal, every event so far tells only durable facts.
        if (journal == null || (!writing && unwritten.isEmpty())) plan.durable().accept(emitted);
    }

    private static Map<String, String> hashes(Map<String, ArtifactRef> outputs) {
        Map<String, String> out = new LinkedHashMap<>();
        outputs.forEach((k, v) -> out.put(k, v.sha256()));
        return out;
    }
}
