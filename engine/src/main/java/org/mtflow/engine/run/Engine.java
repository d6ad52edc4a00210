package org.mtflow.engine.run;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.mtflow.devices.Device;
import org.mtflow.devices.DeviceInfo;
import org.mtflow.engine.event.EventLog;
import org.mtflow.engine.event.EventSink;
import org.mtflow.engine.event.RunEvent;
import org.mtflow.engine.event.RunReport;
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
 * </pre>
 */
public final class Engine implements AutoCloseable {

    /** A started run: where it writes, and its outcome when it ends. */
    public record RunHandle(String runId, Path dir, CompletableFuture<RunOutcome> done) {}

    private final Path home;
    private final NodeCatalog catalog;
    private final List<Device> devices;
    private final ArtifactStore store;
    private final ActorSystem<Void> system;
    private final Set<String> activeRuns = ConcurrentHashMap.newKeySet();
    private final AtomicLong runCount = new AtomicLong();

    /** Starts an engine with the default configuration. */
    public Engine(Path home, NodeCatalog catalog, List<Device> devices) throws IOException {
        this(home, catalog, devices, ConfigFactory.load());
    }

    public Engine(Path home, NodeCatalog catalog, List<Device> devices, Config config) throws IOException {
        if (devices.isEmpty()) throw new IllegalArgumentException("an engine needs at least one device");
        this.home = home.toAbsolutePath().normalize();
        this.catalog = catalog;
        this.devices = List.copyOf(devices);
        this.store = new ArtifactStore(this.home.resolve("store"));
        Files.createDirectories(this.home.resolve("runs"));
        this.system = ActorSystem.create(Behaviors.empty(), "mtflow", config);
        for (Device d : this.devices) {
            system.systemActorOf(DeviceWorker.create(d, slotsOf(d.info()), store, catalog),
                    "worker-" + d.id().replaceAll("[^A-Za-z0-9_-]", "_"), Props.empty());
        }
    }

    /**
     * How many attempts a device runs at once. The JVM device runs one per core (most node types
     * are light or use their own threads); an OpenCL device runs one kernel stream at a time.
     */
    static int slotsOf(DeviceInfo d) {
        return d.kind().isOpenCl() ? 1 : Math.max(1, d.computeUnits());
    }

    public Path home() { return home; }

    public ArtifactStore store() { return store; }

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
        return GraphValidator.validate(spec, catalog, devices());
    }

    /**
     * Starts a run. The spec must be valid (see {@link #validate}); the run's files are created
     * before this returns, and {@code listener} (may be null) sees every event after they are logged.
     */
    public RunHandle start(WorkflowSpec spec, RunOptions options, EventSink listener) throws IOException {
        List<Problem> problems = validate(spec);
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
            return start(spec, options, listener, dir);
        } catch (IOException | RuntimeException e) {
            activeRuns.remove(options.runId());
            throw e;
        }
    }

    private RunHandle start(WorkflowSpec spec, RunOptions options, EventSink listener, Path dir) throws IOException {
        Files.createDirectories(dir);
        AtomicFiles.write(dir.resolve("spec.yaml"), options.specText().getBytes(StandardCharsets.UTF_8));
        Path reportFile = dir.resolve("report.json");
        EventLog log = new EventLog(dir.resolve("events.jsonl"));
        RunReport report = new RunReport(spec.tasks().stream().map(TaskSpec::id).toList());
        EventSink sink = event -> {
            log.accept(event);
            report.accept(event);
            if (changesReport(event)) writeReport(report, reportFile);
            if (listener != null) listener.accept(event);
        };
        CompletableFuture<RunOutcome> finished = new CompletableFuture<>();
        // The caller's future completes only after the cleanup, so the id is free again when it does.
        CompletableFuture<RunOutcome> done = finished.whenComplete((outcome, error) -> {
            activeRuns.remove(options.runId());
            try {
                log.close();
            } catch (IOException e) {
                // Every line was flushed as written; the outcome stands.
                system.log().warn("cannot close the event log of run {}: {}", options.runId(), e.toString());
            }
        });
        RunPlan plan = new RunPlan(options.runId(), spec, catalog, store, sink, options.useCache(),
                options.maxConcurrency(), finished);
        // A unique actor name: the coordinator of a just-finished run with this id may still be stopping.
        system.systemActorOf(RunCoordinator.create(plan), "run-" + options.runId() + "-" + runCount.incrementAndGet(),
                Props.empty());
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

    /** report.json is rewritten when a task reaches a state worth reading, not on every progress tick. */
    private static boolean changesReport(RunEvent e) {
        return e instanceof RunEvent.RunStarted || e instanceof RunEvent.RunFinished
                || e instanceof RunEvent.TaskStarted || e instanceof RunEvent.TaskSucceeded
                || e instanceof RunEvent.TaskCached || e instanceof RunEvent.TaskFailed
                || e instanceof RunEvent.TaskSkipped;
    }

    private static void writeReport(RunReport report, Path file) {
        try {
            report.write(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    @Override
    public void close() {
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
