package org.mtflow.nodes;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.mtflow.devices.Devices;
import org.mtflow.engine.event.Json;
import org.mtflow.engine.node.NodeCatalog;
import org.mtflow.engine.node.NodeType;
import org.mtflow.engine.run.Engine;
import org.mtflow.engine.run.RunOptions;
import org.mtflow.engine.run.RunOutcome;
import org.mtflow.engine.spec.Problem;
import org.mtflow.engine.spec.WorkflowSpec;
import org.mtflow.engine.store.ArtifactRef;
import org.mtflow.engine.store.ArtifactStore;
import org.mtflow.kernels.Tensor;

/**
 * An engine over the built-in node types on a 2-thread JVM device, for running small workflows in
 * tests and reading back what they wrote: report.json, events.jsonl and the artifacts.
 */
public final class NodeRuns implements BeforeAllCallback, AfterAllCallback, AutoCloseable {
    private static final AtomicInteger RUNS = new AtomicInteger();
    /** No test workflow should take this long; a hung run fails the test instead of the build. */
    private static final long RUN_LIMIT_SECONDS = 30;

    private final List<NodeType<?>> extra;
    private Path home;
    private Engine engine;

    /** Use as {@code @RegisterExtension static final NodeRuns runs = new NodeRuns();}: one engine per test class. */
    public NodeRuns() {
        this.extra = List.of();
    }

    /**
     * As {@link #NodeRuns()}, with test-only node types (say, one that feeds a prepared file) beside the
     * built-in ones; one named like a built-in replaces it (say, one built with a test environment).
     */
    public NodeRuns(NodeType<?>... extra) {
        this.extra = List.of(extra);
    }

    private NodeCatalog catalog() {
        List<NodeType<?>> all = new ArrayList<>(BuiltinNodes.all());
        all.removeIf(t -> extra.stream().anyMatch(e -> e.name().equals(t.name())));
        all.addAll(extra);
        return new NodeCatalog(all);
    }

    /** An engine over {@code home} for one test, closed by try-with-resources. */
    public NodeRuns(Path home) throws IOException {
        this.extra = List.of();
        this.engine = new Engine(home, BuiltinNodes.catalog(), List.of(Devices.jvmDevice(2)));
    }

    @Override
    public void close() {
        engine.close();
    }

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        home = Files.createTempDirectory("mtflow-nodes-test");
        engine = new Engine(home, catalog(), List.of(Devices.jvmDevice(2)));
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException {
        engine.close();
        try (var files = Files.walk(home)) {
            for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(f);
        }
    }

    public Engine engine() { return engine; }

    /** Validates and runs {@code spec} without the cache, under a fresh run id. */
    public Run run(WorkflowSpec spec) throws Exception {
        return run(spec, false);
    }

    public Run run(WorkflowSpec spec, boolean useCache) throws Exception {
        return run(spec, useCache, RUN_LIMIT_SECONDS);
    }

    /** With a longer limit than a test workflow's, for benchmarks. */
    public Run run(WorkflowSpec spec, boolean useCache, long limitSeconds) throws Exception {
        List<Problem> problems = engine.validate(spec);
        assertTrue(problems.isEmpty(), () -> "test workflow is invalid: "
                + problems.stream().map(p -> p.pathText() + ": " + p.text()).collect(Collectors.joining("; ")));
        String runId = spec.name() + "-" + RUNS.incrementAndGet();
        RunOptions options = new RunOptions(runId, Json.MAPPER.writeValueAsString(spec), useCache, 0);
        RunOutcome outcome = engine.start(spec, options, null).done().get(limitSeconds, TimeUnit.SECONDS);
        return new Run(outcome, engine.runDir(runId), engine.store());
    }

    /** SHA-256 (hex) of a file's bytes, computed here rather than trusted from the store. */
    public static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) sha.update(buf, 0, n);
            return HexFormat.of().formatHex(sha.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A finished run and the files it left. */
    public record Run(RunOutcome outcome, Path dir, ArtifactStore store) {

        public JsonNode report() {
            try {
                return Json.MAPPER.readTree(dir.resolve("report.json").toFile());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** The task's entry in report.json. */
        public JsonNode task(String id) {
            JsonNode t = report().path("tasks").path(id);
            assertFalse(t.isMissingNode(), () -> "report.json has no task " + id + ": " + report());
            return t;
        }

        public String status(String id) { return task(id).path("status").asText(); }

        public int attempts(String id) { return task(id).path("attempts").asInt(); }

        public JsonNode metrics(String id) { return task(id).path("metrics"); }

        /** Every line of events.jsonl, once the run's last event is in it. */
        public List<JsonNode> events() {
            Path file = dir.resolve("events.jsonl");
            await().atMost(Duration.ofSeconds(10)).until(() -> Files.isRegularFile(file)
                    && Files.readAllLines(file).stream().anyMatch(l -> l.contains("\"RunFinished\"")));
            try {
                List<JsonNode> out = new ArrayList<>();
                for (String line : Files.readAllLines(file)) {
                    if (!line.isBlank()) out.add(Json.MAPPER.readTree(line));
                }
                return out;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** The events of one type about one task, in order. */
        public List<JsonNode> events(String type, String task) {
            return events().stream()
                    .filter(e -> e.path("type").asText().equals(type) && e.path("task").asText().equals(task))
                    .toList();
        }

        /** The SHA-256 that report.json gives for a task's output. */
        public String hash(String task, String output) {
            JsonNode h = task(task).path("outputs").path(output);
            assertTrue(h.isTextual(), () -> "task " + task + " has no output " + output + " in " + task(task));
            return h.asText();
        }

        /** The artifact file of a task's output, checksum verified by the store. */
        public Path artifact(String task, String output) throws IOException {
            String hash = hash(task, output);
            Path p = store.pathOf(new ArtifactRef(hash, 0));
            return store.read(new ArtifactRef(hash, Files.size(p)));
        }

        public Tensor tensor(String task, String output) throws IOException {
            return TensorArtifacts.read(artifact(task, output));
        }

        @Override
        public String toString() {
            return outcome + " in " + dir;
        }
    }
}
