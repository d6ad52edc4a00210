package org.mtflow.engine.testkit;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.mtflow.devices.Device;
import org.mtflow.devices.DeviceInfo;
import org.mtflow.devices.DeviceKind;
import org.mtflow.engine.event.EventSink;
import org.mtflow.engine.event.Json;
import org.mtflow.engine.event.RunEvent;
import org.mtflow.engine.run.Engine;
import org.mtflow.engine.run.EngineSettings;
import org.mtflow.engine.run.RunOptions;
import org.mtflow.engine.run.RunOutcome;
import org.mtflow.engine.spec.WorkflowSpec;
import org.mtflow.engine.store.ArtifactRef;
import org.mtflow.engine.store.ArtifactStore;
import org.mtflow.kernels.jvm.JavaOps;

/** Starts engines on test node types and runs workflows to their end. */
public final class Runs {
    /** Generous: a run in these tests takes well under a second; this only bounds a hang. */
    public static final Duration RUN_LIMIT = Duration.ofSeconds(30);

    /** An in-memory journal: every run goes through the journal's code paths without disk start-up costs. */
    public static final EngineSettings SETTINGS = new EngineSettings(Map.of(), EngineSettings.Journal.IN_MEMORY);

    private Runs() {}

    public static Engine engine(Path home, Device... devices) throws IOException {
        return new Engine(home, TestNodes.catalog(), List.of(devices), SETTINGS);
    }

    /**
     * An engine on {@code home} with the durable journal and a 2-core JVM device: a fresh one on
     * the same home is a process restarted, so a run started again there resumes.
     */
    public static Engine durableEngine(Path home) throws IOException {
        return new Engine(home, TestNodes.catalog(), List.of(org.mtflow.devices.Devices.jvmDevice(2)),
                SETTINGS.withJournal(EngineSettings.Journal.DURABLE));
    }

    /** A plain-Java device with its own id and kind (Devices.jvmDevice always names itself "jvm"). */
    public static Device device(String id, DeviceKind kind, int computeUnits, long memoryBytes) {
        return new Device(new DeviceInfo(id, kind, "test device " + id, computeUnits, memoryBytes, "java"),
                () -> new JavaOps(1));
    }

    public static Result run(Engine engine, WorkflowSpec spec, String runId) throws IOException {
        return run(engine, spec, runId, true, 0);
    }

    public static Result run(Engine engine, WorkflowSpec spec, String runId, boolean useCache, int maxConcurrency)
            throws IOException {
        return run(engine, spec, new RunOptions(runId, "name: " + spec.name() + "\n", useCache, maxConcurrency));
    }

    public static Result run(Engine engine, WorkflowSpec spec, RunOptions options) throws IOException {
        Recorder events = new Recorder();
        Engine.RunHandle handle = engine.start(spec, options, events);
        await().atMost(RUN_LIMIT).until(handle.done()::isDone);
        return new Result(engine, handle, handle.done().join(), events.events());
    }

    /** Every event a listener saw, in order. */
    public static final class Recorder implements EventSink {
        private final List<RunEvent> events = new CopyOnWriteArrayList<>();

        @Override
        public void accept(RunEvent event) { events.add(event); }

        public List<RunEvent> events() { return List.copyOf(events); }
    }

    public record Result(Engine engine, Engine.RunHandle handle, RunOutcome outcome, List<RunEvent> events) {

        public <E extends RunEvent> List<E> all(Class<E> type) {
            List<E> out = new ArrayList<>();
            for (RunEvent e : events) if (type.isInstance(e)) out.add(type.cast(e));
            return out;
        }

        public <E extends RunEvent.TaskEvent> List<E> all(Class<E> type, String task) {
            return all(type).stream().filter(e -> e.task().equals(task)).toList();
        }

        public List<RunEvent.TaskEvent> of(String task) {
            return all(RunEvent.TaskEvent.class, task);
        }

        /** Task id → output name → hash, from TaskSucceeded, TaskCached and TaskRecovered events. */
        public Map<String, Map<String, String>> outputs() {
            Map<String, Map<String, String>> out = new LinkedHashMap<>();
            for (RunEvent e : events) {
                if (e instanceof RunEvent.TaskSucceeded s) out.put(s.task(), s.outputs());
                if (e instanceof RunEvent.TaskCached c) out.put(c.task(), c.outputs());
                if (e instanceof RunEvent.TaskRecovered c) out.put(c.task(), c.outputs());
            }
            return out;
        }

        public String hash(String task, String output) {
            Map<String, String> o = outputs().get(task);
            if (o == null || !o.containsKey(output)) {
                throw new AssertionError("no output " + task + "." + output + " in " + outputs());
            }
            return o.get(output);
        }

        /** The artifact file of a task's output, its checksum verified by the store. */
        public Path artifact(String task, String output) throws IOException {
            return verified(engine.store(), hash(task, output));
        }

        public JsonNode report() throws IOException {
            return Json.MAPPER.readTree(handle.dir().resolve("report.json").toFile());
        }

        public List<JsonNode> eventLog() throws IOException {
            List<JsonNode> out = new ArrayList<>();
            for (String line : Files.readAllLines(handle.dir().resolve("events.jsonl"))) {
                out.add(Json.MAPPER.readTree(line));
            }
            return out;
        }
    }

    /** Reads an artifact known by hash only (events carry hashes, not sizes), verifying its checksum. */
    public static Path verified(ArtifactStore store, String sha256) throws IOException {
        Path p = store.pathOf(new ArtifactRef(sha256, 0));
        return store.read(new ArtifactRef(sha256, Files.size(p)));
    }
}
