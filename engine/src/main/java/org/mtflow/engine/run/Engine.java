package org.mtflow.engine.run;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.lang.ref.WeakReference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import javax.net.ssl.SSLContext;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.SingletonActor;
import org.mtflow.devices.Device;
import org.mtflow.devices.DeviceInfo;
import org.mtflow.engine.cluster.ArtifactFetcher;
import org.mtflow.engine.cluster.ArtifactServer;
import org.mtflow.engine.cluster.ClusterDevices;
import org.mtflow.engine.cluster.ClusterMembers;
import org.mtflow.engine.event.EventSink;
import org.mtflow.engine.journal.JournalSettings;
import org.mtflow.engine.node.NodeCatalog;
import org.mtflow.engine.spec.GraphValidator;
import org.mtflow.engine.spec.Problem;
import org.mtflow.engine.spec.TaskSpec;
import org.mtflow.engine.spec.WorkflowSpec;
import org.mtflow.kernels.io.AtomicFiles;
import org.mtflow.engine.store.ArtifactStore;

/**
 * One machine's engine: an actor system with a {@link DeviceWorker} per device, the artifact store
 * and the run directories under a home dir. Each run gets its own {@link RunCoordinator}.
 *
 * <pre>
 * home/
 *   store/                 content-addressed artifacts and the cache index
 *   runs/&lt;run-id&gt;/spec.yaml   the resolved spec
 *   runs/&lt;run-id&gt;/events.jsonl one JSON event per line
 *   runs/&lt;run-id&gt;/report.json  per task: status, attempts, times, device, outputs, metrics
 *   runs/&lt;run-id&gt;/cancel       a request (from another process) to cancel the run; holds the reason
 *   journal/               the run journal (finished tasks per run), when durable
 * </pre>
 *
 * Starting a run with the id of one that exists resumes it: tasks its journal records as finished
 * are not run again, and its events and report continue where they stopped.
 */
public final class Engine implements AutoCloseable {

    /** A started run: where it writes, and its outcome when it ends. */
    public record RunHandle(String runId, Path dir, CompletableFuture<RunOutcome> done) {}

    /**
     * The file in a run's directory that asks the engine running it to cancel it: another process
     * (say {@code mtflow cancel}) writes it with the reason as its text; the engine running the run
     * notices it within a fraction of a second, cancels the run and deletes it.
     */
    public static final String CANCEL_REQUEST = "cancel";

    /** Where coordinators and workers run (see mtflow.engine-dispatcher in reference.conf). */
    private static final Props ACTORS = DispatcherSelector.fromConfig("mtflow.engine-dispatcher");

    private final Path home;
    private final NodeCatalog catalog;
    private final List<Device> devices;
    private final EngineSettings settings;
    private final ArtifactStore store;
    private final ActorSystem<Void> system;
    /** A cluster node's artifact server and the client that fetches from other nodes'; null on one machine. */
    private final ArtifactServer server;
    private final ArtifactFetcher fetcher;
    private final Set<String> activeRuns = ConcurrentHashMap.newKeySet();
    /** The coordinator of each run going on here, to cancel it. */
    private final Map<String, ActorRef<RunCoordinator.Command>> coordinators = new ConcurrentHashMap<>();
    private final Set<RunFiles> openFiles = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService flusher;
    private final AtomicLong runCount = new AtomicLong();
    /** The spec {@link #validate} last found valid; weak, so a finished run's graph can go. */
    private volatile WeakReference<WorkflowSpec> lastValid = new WeakReference<>(null);

    /** Starts an engine with the default settings (durable journal) and configuration. */
    public Engine(Path home, NodeCatalog catalog, List<Device> devices) throws IOException {
        this(home, catalog, devices, EngineSettings.defaults());
    }

    public Engine(Path home, NodeCatalog catalog, List<Device> devices, EngineSettings settings) throws IOException {
        this(home, catalog, devices, settings, ConfigFactory.load());
    }

    public Engine(Path home, NodeCatalog catalog, List<Device> devices, EngineSettings settings, Config config)
            throws IOException {
        this(home, catalog, devices, settings, config, null);
    }

    /**
     * How a cluster node serves its artifacts (and, through {@link #server()}, more): an HTTP server
     * on host:port (0: a free one), HTTPS with client certificates when {@code tls} is set.
     */
    public record Serving(String host, int port, SSLContext tls) {}

    /**
     * A cluster node's engine ({@code config} holds the cluster settings): its workers take tasks
     * from coordinators on any node, fetching inputs other nodes hold through their artifact
     * servers, and its own artifact server gives other nodes what this node's workers produced.
     */
    public static Engine node(Path home, NodeCatalog catalog, List<Device> devices, EngineSettings settings, Config config,
                              Serving serving) throws IOException {
        return new Engine(home, catalog, devices, settings, config, serving);
    }

    private Engine(Path home, NodeCatalog catalog, List<Device> devices, EngineSettings settings, Config config,
                   Serving serving) throws IOException {
        if (devices.isEmpty()) throw new IllegalArgumentException("an engine needs at least one device");
        this.home = home.toAbsolutePath().normalize();
        this.catalog = catalog;
        this.devices = List.copyOf(devices);
        this.settings = settings;
        for (String id : settings.slots().keySet()) {
            if (this.devices.stream().noneMatch(d -> d.id().equals(id))) {
                throw new IllegalArgumentException("slots are set for device '" + id + "', which this engine does not have"
                        + " (devices: " + this.devices.stream().map(Device::id).toList() + ")");
            }
        }
        this.store = new ArtifactStore(settings.sharedStore() != null ? settings.sharedStore().toAbsolutePath()
                : this.home.resolve("store"));
        Files.createDirectories(this.home.resolve("runs"));
        Config full = switch (settings.journal()) {
            case DURABLE -> JournalSettings.durable(this.home.resolve("journal")).withFallback(config);
            case IN_MEMORY -> JournalSettings.inMemory().withFallback(config);
            case OFF, CONFIGURED -> config;
        };
        this.system = ActorSystem.create(Behaviors.empty(), "mtflow", full);
        DeviceWorker.Remote remote = null;
        if (serving != null) {
            try {
                this.server = ArtifactServer.start(store, serving.host(), serving.port(), serving.tls());
            } catch (IOException | RuntimeException e) {
                system.terminate();
                throw e;
            }
            String node = system.address().getHost().orElse("") + ":" + system.address().getPort().orElse(0);
            this.fetcher = new ArtifactFetcher(store, serving.tls());
            // With a shared store every node has every artifact: none is fetched, none is lost with a node.
            remote = new DeviceWorker.Remote(node, settings.sharedStore() != null ? null : server.base().toString(),
                    fetcher);
        } else {
            this.server = null;
            this.fetcher = null;
        }
        for (Device d : this.devices) {
            int slots = settings.slots().getOrDefault(d.id(), slotsOf(d.info()));
            system.systemActorOf(DeviceWorker.create(d, slots, store, catalog, remote),
                    "worker-" + d.id().replaceAll("[^A-Za-z0-9_-]", "_"), ACTORS);
        }
        this.flusher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "mtflow-run-files");
            t.setDaemon(true);
            return t;
        });
        flusher.scheduleWithFixedDelay(() -> {
            openFiles.forEach(f -> {
                try {
                    f.flush(false);
                } catch (RuntimeException e) {
                    system.log().warn("{}", e.toString());
                }
            });
            coordinators.keySet().forEach(this::takeCancelRequest);
        }, 200, 200, TimeUnit.MILLISECONDS);
    }

    /**
     * How many attempts a device runs at once. The JVM device runs one per core (most node types
     * are light or use their own threads); an OpenCL device runs one kernel stream at a time.
     */
    static int slotsOf(DeviceInfo d) {
        return d.kind().isOpenCl() ? 1 : Math.max(1, d.computeUnits());
    }

    public Path home() { return home; }

    /** For tests that inject faults into workers. */
    ActorSystem<Void> system() { return system; }

    public ArtifactStore store() { return store; }

    /** A cluster node's HTTP server (artifacts; more handlers can be added), else null. */
    public ArtifactServer server() { return server; }

    /** A cluster node's client of other nodes' artifact servers, else null. */
    ArtifactFetcher fetcher() { return fetcher; }

    /**
     * On a cluster node (started with {@link #node}, whose configuration names the cluster's shared
     * journal): joins in hosting the cluster's {@link RunRegistry}, which coordinates runs on the
     * oldest node and moves with its runs to the next oldest when that node is lost. Every node
     * calls this once; {@code reader} turns a run's spec text back into its spec; {@code say} hears
     * what the registry does while it is on this node (runs started, resumed, ended).
     */
    public ClusterRuns coordinateRuns(RunRegistry.SpecReader reader, Consumer<String> say) {
        if (server == null) throw new IllegalStateException("only a cluster node (Engine.node) hosts the run registry");
        ActorRef<RunRegistry.Command> registry = ClusterSingleton.get(system).init(
                SingletonActor.of(RunRegistry.create(this, reader, say), RunRegistry.NAME).withStopMessage(new RunRegistry.Stop()));
        return new ClusterRuns(this, registry, system);
    }

    /** Whether run {@code runId} is running in this engine now. */
    public boolean running(String runId) {
        return activeRuns.contains(runId);
    }

    /**
     * Cancels run {@code runId}: its running attempts are cancelled, its unfinished tasks skipped, and
     * it ends {@code cancelled} (see {@link RunCoordinator.Cancel}). Finished tasks stay journaled, so
     * starting the run again with the same id and workflow resumes it.
     *
     * @return whether the run was going on in this engine (false: unknown here, or already over)
     */
    public boolean cancel(String runId, String reason) {
        ActorRef<RunCoordinator.Command> coordinator = coordinators.get(runId);
        if (coordinator == null) return false;
        coordinator.tell(new RunCoordinator.Cancel(reason));
        return true;
    }

    /** Cancels a run whose directory holds a {@link #CANCEL_REQUEST}, and deletes the request. On the flusher. */
    private void takeCancelRequest(String runId) {
        Path request = home.resolve("runs").resolve(runId).resolve(CANCEL_REQUEST);
        if (!Files.exists(request)) return;
        try {
            String reason = Files.readString(request, StandardCharsets.UTF_8).strip();
            Files.deleteIfExists(request);
            cancel(runId, reason.isEmpty() ? "cancel requested" : reason);
        } catch (IOException | RuntimeException e) {
            system.log().warn("cannot take the cancel request {}: {}", request, e.toString());
        }
    }

    /**
     * On a cluster node (an engine started with {@link org.mtflow.engine.cluster.ClusterSettings#config}
     * in front of its configuration): reports each change of the cluster's membership to {@code out}.
     */
    public void reportMembers(Consumer<String> out) {
        system.systemActorOf(ClusterMembers.create(out), "cluster-members", Props.empty());
        system.systemActorOf(ClusterDevices.create(out), "cluster-devices", Props.empty());
    }

    /**
     * Stops the engine's actor system through Pekko's coordinated shutdown: a cluster node first
     * leaves the cluster, so the others hand its work on at once instead of waiting to down it.
     */
    public void leave() {
        CoordinatedShutdown.get(system).run(CoordinatedShutdown.jvmExitReason());
    }

    /** Runs {@code action} once the actor system has stopped: after {@link #leave}, or when the cluster downed it. */
    public void whenTerminated(Runnable action) {
        system.getWhenTerminated().thenRun(action);
    }

    /** Where this engine's actor system can be reached: pekko://mtflow@host:port on a cluster node. */
    public String address() {
        return system.address().toString();
    }

    public NodeCatalog catalog() { return catalog; }

    public List<DeviceInfo> devices() {
        return devices.stream().map(Device::info).toList();
    }

    public Path runDir(String runId) {
        RunIds.check(runId);
        return home.resolve("runs").resolve(runId);
    }

    /** Every problem that keeps {@code spec} from running on this engine's devices. */
    public List<Problem> validate(WorkflowSpec spec) {
        List<Problem> problems = GraphValidator.validate(spec, catalog, devices());
        if (problems.isEmpty()) lastValid = new WeakReference<>(spec);
        return problems;
    }

    /**
     * Whether {@code spec} is valid here, validating it unless this very instance was found valid
     * last (a spec is immutable: a caller that validated it first does not pay twice, which on a
     * huge graph costs seconds).
     */
    private List<Problem> validateOnce(WorkflowSpec spec) {
        if (lastValid.get() == spec) return List.of();
        return validate(spec);
    }

    /**
     * Starts a run. The spec must be valid (see {@link #validate}); the run's files are created
     * before this returns, and {@code listener} (may be null) sees every event after they are logged.
     */
    public RunHandle start(WorkflowSpec spec, RunOptions options, EventSink listener) throws IOException {
        return start(spec, options, listener, system::systemActorOf);
    }

    /** Where a run's coordinator is spawned: in the engine's actor system, or as a child of an actor. */
    @FunctionalInterface
    public interface Spawner {
        ActorRef<RunCoordinator.Command> spawn(Behavior<RunCoordinator.Command> behavior, String name, Props props);
    }

    /**
     * {@link #start(WorkflowSpec, RunOptions, EventSink)} with the coordinator spawned by {@code spawner}:
     * a cluster's {@link RunRegistry} makes it its child, so that it stops when the registry moves.
     */
    public RunHandle start(WorkflowSpec spec, RunOptions options, EventSink listener, Spawner spawner) throws IOException {
        List<Problem> problems = validateOnce(spec);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("the workflow is invalid: " + problems.stream()
                    .map(p -> p.pathText() + ": " + p.text()).collect(Collectors.joining("; ")));
        }
        Path dir = runDir(options.runId());
        // Two live runs with one id would write the same files; a finished run's id may be reused (resume).
        if (!activeRuns.add(options.runId())) {
            throw new IllegalStateException("run '" + options.runId() + "' is already running");
        }
        try {
            return start(spec, options, listener, dir, spawner);
        } catch (IOException | RuntimeException e) {
            activeRuns.remove(options.runId());
            throw e;
        }
    }

    private RunHandle start(WorkflowSpec spec, RunOptions options, EventSink listener, Path dir, Spawner spawner)
            throws IOException {
        Path specFile = dir.resolve("spec.yaml");
        byte[] specText = options.specText().getBytes(StandardCharsets.UTF_8);
        if (Files.exists(specFile) && !Arrays.equals(Files.readAllBytes(specFile), specText)) {
            // Its journal and report name tasks of another workflow: mixing them would be wrong.
            throw new IllegalArgumentException("run '" + options.runId() + "' exists (" + dir + ") with a different"
                    + " workflow; resume it with the same workflow, or start a new run id");
        }
        Files.createDirectories(dir);
        // A request left from an earlier session (its process gone) must not cancel this one.
        Files.deleteIfExists(dir.resolve(CANCEL_REQUEST));
        AtomicFiles.write(specFile, specText);
        RunFiles files = new RunFiles(dir, spec.tasks().stream().map(TaskSpec::id).toList());
        openFiles.add(files);
        EventSink sink = event -> {
            files.accept(event);
            if (listener != null) listener.accept(event);
        };
        CompletableFuture<RunOutcome> finished = new CompletableFuture<>();
        // The caller's future completes only after the cleanup, so the id is free again when it does.
        CompletableFuture<RunOutcome> done = finished.whenComplete((outcome, error) -> {
            openFiles.remove(files);
            coordinators.remove(options.runId());
            activeRuns.remove(options.runId());
            try {
                files.flush(true);
                files.close();
            } catch (IOException | RuntimeException e) {
                system.log().warn("cannot close the files of run {}: {}", options.runId(), e.toString());
            }
        });
        RunPlan plan = new RunPlan(options.runId(), spec, catalog, store, sink, options.useCache(),
                options.maxConcurrency(), options.maxSpawned(), options.maxSpawnDepth(),
                settings.journal() != EngineSettings.Journal.OFF, files.resumed(), files::durableUpTo, finished,
                server == null || settings.sharedStore() != null ? null : server.base().toString());
        // A unique actor name: the coordinator of a just-finished run with this id may still be stopping.
        ActorRef<RunCoordinator.Command> coordinator = spawner.spawn(RunCoordinator.create(plan),
                "run-" + options.runId() + "-" + runCount.incrementAndGet(), ACTORS);
        coordinators.put(options.runId(), coordinator);
        if (finished.isDone()) coordinators.remove(options.runId(), coordinator); // it ended before the put
        return new RunHandle(options.runId(), dir, done);
    }

    /** Runs a workflow to its end. */
    public RunOutcome run(WorkflowSpec spec, RunOptions options, EventSink listener) throws IOException, InterruptedException {
        try {
            return start(spec, options, listener).done().get();
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("the run failed inside the engine", e.getCause());
        }
    }

    @Override
    public void close() {
        flusher.shutdownNow();
        if (server != null) server.close();
        system.terminate();
        try {
            system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            // Shutting down anyway; a stuck node thread is a daemon and dies with the JVM.
        }
        List<RuntimeException> errors = new ArrayList<>();
        for (Device d : devices) {
            try {
                d.close();
            } catch (RuntimeException e) {
                errors.add(e);
            }
        }
        if (!errors.isEmpty()) throw errors.get(0);
    }

}
