package org.mtflow.engine.run;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mtflow.engine.testkit.Specs.task;
import static org.mtflow.engine.testkit.Specs.workflow;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mtflow.devices.Devices;
import org.mtflow.engine.event.RunEvent;
import org.mtflow.engine.spec.WorkflowSpec;
import org.mtflow.engine.testkit.Floats;
import org.mtflow.engine.testkit.Runs;
import org.mtflow.engine.testkit.Specs;
import org.mtflow.engine.testkit.TestNodes;

/** A whole run through the engine: results, events.jsonl, report.json. */
class EngineTest {
    private static final long SEED = 20260101L;
    private static final int N = 10_000;

    @TempDir
    Path home;

    @BeforeEach
    void reset() {
        TestNodes.reset();
    }

    @Test
    void diamondComputesWhatAFloat64ReferenceSays() throws Exception {
        try (Engine engine = Runs.engine(home, Devices.jvmDevice(2))) {
            Runs.Result r = Runs.run(engine, Specs.diamond(SEED, N), "diamond-1");
            assertTrue(r.outcome().ok(), r.outcome().toString());
            assertEquals(new RunOutcome("diamond-1", "succeeded", 4, 0, 0, 0, r.outcome().millis()), r.outcome());

            float[] x = TestNodes.Source.expected(SEED, "src", N, -1f, 1f);
            assertArrayEquals(x, Floats.read(r.artifact("src", "values")), "seed " + SEED);
            double reference = 0;
            for (float v : x) reference += 2.0 * v + -0.5 * v;
            double sum = Floats.readDouble(r.artifact("total", "sum"));
            assertEquals(reference, sum, 1e-9 * N, "seed " + SEED);
            assertTrue(Math.abs(sum) > 1e-3, "a non-trivial sum: " + sum);

            float[] left = Floats.read(r.artifact("left", "y"));
            for (int i = 0; i < N; i++) assertEquals(2 * x[i], left[i], "left[" + i + "], seed " + SEED);
            assertEquals(1, TestNodes.Source.INVOCATIONS.get());
            assertEquals(2, TestNodes.Scale.INVOCATIONS.get());
            assertEquals(1, TestNodes.Sum.INVOCATIONS.get());
        }
    }

    @Test
    void eventsRespectTheGraphAndEachTaskGoesThroughItsStates() throws Exception {
        try (Engine engine = Runs.engine(home, Devices.jvmDevice(4))) {
            Runs.Result r = Runs.run(engine, Specs.diamond(SEED, 1000), "order");
            List<RunEvent> events = r.events();
            assertTrue(events.get(0) instanceof RunEvent.RunStarted s && s.tasks() == 4 && s.seed() == SEED, events.get(0).toString());
            assertTrue(events.get(events.size() - 1) instanceof RunEvent.RunFinished f && f.status().equals("succeeded"));
            for (String t : List.of("src", "left", "right", "total")) {
                List<String> kinds = r.of(t).stream().filter(e -> !(e instanceof RunEvent.TaskProgress))
                        .map(e -> e.getClass().getSimpleName()).toList();
                assertEquals(List.of("TaskQueued", "TaskStarted", "TaskSucceeded"), kinds, t);
            }
            // A task starts only after every task it reads from has succeeded.
            assertTrue(index(events, RunEvent.TaskSucceeded.class, "src") < index(events, RunEvent.TaskQueued.class, "left"));
            assertTrue(index(events, RunEvent.TaskSucceeded.class, "src") < index(events, RunEvent.TaskQueued.class, "right"));
            assertTrue(index(events, RunEvent.TaskSucceeded.class, "left") < index(events, RunEvent.TaskStarted.class, "total"));
            assertTrue(index(events, RunEvent.TaskSucceeded.class, "right") < index(events, RunEvent.TaskStarted.class, "total"));
            // The source reports progress once it is done.
            RunEvent.TaskProgress p = r.all(RunEvent.TaskProgress.class, "src").get(0);
            assertEquals(1.0, p.fraction());
            assertEquals("drew 1000 floats", p.message());
            // Times never go backwards.
            for (int i = 1; i < events.size(); i++) {
                assertFalse(events.get(i).time().isBefore(events.get(i - 1).time()), events.get(i).toString());
            }
        }
    }

    private static int index(List<RunEvent> events, Class<? extends RunEvent.TaskEvent> type, String task) {
        for (int i = 0; i < events.size(); i++) {
            if (type.isInstance(events.get(i)) && ((RunEvent.TaskEvent) events.get(i)).task().equals(task)) return i;
        }
        throw new AssertionError("no " + type.getSimpleName() + " for " + task);
    }

    @Test
    void eventsJsonlHasOneEventPerLineAsTheListenerSawThem() throws Exception {
        try (Engine engine = Runs.engine(home, Devices.jvmDevice(2))) {
            Runs.Result r = Runs.run(engine, Specs.diamond(SEED, 100), "log");
            List<JsonNode> lines = r.eventLog();
            assertEquals(r.events().size(), lines.size(), "one line per event");
            Set<String> tasksSeen = new HashSet<>();
            for (int i = 0; i < lines.size(); i++) {
                JsonNode line = lines.get(i);
                RunEvent event = r.events().get(i);
                assertTrue(line.isObject(), line.toString());
                assertEquals(event.getClass().getSimpleName(), line.path("type").asText(), line.toString());
                assertEquals(event.time(), Instant.parse(line.path("time").asText()), line.toString());
                assertEquals("log", line.path("run").asText(), line.toString());
                if (event instanceof RunEvent.TaskEvent te) {
                    assertEquals(te.task(), line.path("task").asText(), line.toString());
                    tasksSeen.add(te.task());
                } else {
                    assertFalse(line.has("task"), line.toString());
                }
            }
            assertEquals(Set.of("src", "left", "right", "total"), tasksSeen);
            JsonNode last = lines.get(lines.size() - 1);
            assertEquals("RunFinished", last.get("type").asText());
            assertEquals("succeeded", last.get("status").asText());
            assertEquals(4, last.get("succeeded").asInt());
            JsonNode succeeded = lines.stream().filter(l -> l.get("type").asText().equals("TaskSucceeded")
                    && l.get("task").asText().equals("total")).findFirst().orElseThrow();
            assertEquals(r.hash("total", "sum"), succeeded.get("outputs").get("sum").asText());
            assertEquals("jvm", succeeded.get("device").asText());
        }
    }

    @Test
    void reportJsonHasStatusAttemptsDeviceOutputsAndMetricsPerTask() throws Exception {
        try (Engine engine = Runs.engine(home, Devices.jvmDevice(2))) {
            Runs.Result r = Runs.run(engine, Specs.diamond(SEED, 500), "report");
            JsonNode report = r.report();
            assertEquals("report", report.get("run").asText());
            assertEquals("diamond", report.get("name").asText());
            assertEquals("succeeded", report.get("status").asText());
            assertEquals(SEED, report.get("seed").asLong());
            Instant start = Instant.parse(report.get("start").asText());
            Instant end = Instant.parse(report.get("end").asText());
            assertFalse(end.isBefore(start));
            assertEquals(List.of("src", "left", "right", "total"), fieldNames(report.get("tasks")));
            for (String t : List.of("src", "left", "right", "total")) {
                JsonNode task = report.get("tasks").get(t);
                assertEquals("succeeded", task.get("status").asText(), t);
                assertEquals(1, task.get("attempts").asInt(), t);
                assertEquals("jvm", task.get("device").asText(), t);
                assertTrue(task.get("metrics").isObject(), t);
                assertEquals(r.outputs().get(t), toMap(task.get("outputs")), t);
                assertFalse(Instant.parse(task.get("end").asText()).isBefore(Instant.parse(task.get("start").asText())));
                assertFalse(task.has("error"), t);
            }
            JsonNode srcMetrics = report.get("tasks").get("src").get("metrics");
            assertEquals(500, srcMetrics.get("count").asInt());
            assertEquals("jvm", srcMetrics.get("device").asText());
            double sum = Floats.readDouble(r.artifact("total", "sum"));
            assertEquals(sum, report.get("tasks").get("total").get("metrics").get("sum").asDouble());

            assertEquals("name: diamond\n", Files.readString(r.handle().dir().resolve("spec.yaml")));
            assertEquals(home.resolve("runs").resolve("report"), r.handle().dir());
        }
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new java.util.ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static Map<String, String> toMap(JsonNode node) {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        node.properties().forEach(e -> out.put(e.getKey(), e.getValue().asText()));
        return out;
    }

    @Test
    void anInvalidSpecIsRejectedBeforeAnythingRuns() throws Exception {
        try (Engine engine = Runs.engine(home, Devices.jvmDevice(1))) {
            WorkflowSpec bad = workflow("bad", 1, task("a", "test.sorce").build());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> engine.start(bad, new RunOptions("bad", "", true, 0), null));
            assertTrue(e.getMessage().contains("tasks.a.type: unknown node type 'test.sorce' (did you mean 'test.source'?)"),
                    e.getMessage());
            assertFalse(Files.exists(home.resolve("runs").resolve("bad")), "no run directory for a run that never started");
            assertEquals(1, engine.validate(bad).size());
            assertThrows(IllegalArgumentException.class, () -> engine.runDir("../outside"));
        }
    }

    @Test
    void anEngineNeedsADevice() {
        assertThrows(IllegalArgumentException.class, () -> new Engine(home, TestNodes.catalog(), List.of()));
    }

    @Test
    void runBlocksUntilTheEndAndWorksWithoutAListener() throws Exception {
        try (Engine engine = Runs.engine(home, Devices.jvmDevice(2))) {
            RunOutcome outcome = engine.run(Specs.diamond(SEED, 10), new RunOptions("blocking", "", true, 0), null);
            assertTrue(outcome.ok(), outcome.toString());
            assertEquals(4, outcome.succeeded());
            assertTrue(Files.size(home.resolve("runs/blocking/events.jsonl")) > 0);
        }
    }

    @Test
    void aWorkflowWithoutTasksSucceedsAtOnce() throws Exception {
        try (Engine engine = Runs.engine(home, Devices.jvmDevice(1))) {
            Runs.Result r = Runs.run(engine, workflow("empty", 1), "empty");
            assertTrue(r.outcome().ok());
            assertEquals(2, r.events().size(), r.events().toString());
            assertEquals("succeeded", r.report().get("status").asText());
        }
    }

    @Test
    void severalRunsMayShareOneEngine() throws Exception {
        try (Engine engine = Runs.engine(home, Devices.jvmDevice(2))) {
            Engine.RunHandle a = engine.start(Specs.diamond(1, 1000), new RunOptions("a", "", false, 0), null);
            Engine.RunHandle b = engine.start(Specs.diamond(2, 1000), new RunOptions("b", "", false, 0), null);
            org.awaitility.Awaitility.await().atMost(Runs.RUN_LIMIT).until(() -> a.done().isDone() && b.done().isDone());
            assertTrue(a.done().join().ok());
            assertTrue(b.done().join().ok());
            assertEquals(2, TestNodes.Sum.INVOCATIONS.get());
        }
    }

    @Test
    void aRunIdMayBeUsedAgainOnceItsRunEnded() throws Exception {
        try (Engine engine = Runs.engine(home, Devices.jvmDevice(2))) {
            for (int i = 0; i < 20; i++) {
                // engine.run returns the moment the outcome is known: the id is reused at once.
                RunOutcome outcome = engine.run(Specs.diamond(SEED, 10), new RunOptions("again", "", i % 2 == 0, 0), null);
                assertTrue(outcome.ok(), "round " + i + ": " + outcome);
            }
            // The event log of a reused id continues: 20 runs' worth of RunStarted lines.
            long started = Files.readAllLines(home.resolve("runs/again/events.jsonl")).stream()
                    .filter(l -> l.contains("\"type\":\"RunStarted\"")).count();
            assertEquals(20, started);
        }
    }

    @Test
    void twoLiveRunsCannotShareAnId() throws Exception {
        WorkflowSpec slow = workflow("slow", 1, task("s", "test.sleep").with("millis", 500).build());
        try (Engine engine = Runs.engine(home, Devices.jvmDevice(2))) {
            Engine.RunHandle first = engine.start(slow, new RunOptions("busy", "", false, 0), null);
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> engine.start(slow, new RunOptions("busy", "", false, 0), null));
            assertTrue(e.getMessage().contains("run 'busy' is already running"), e.getMessage());
            org.awaitility.Awaitility.await().atMost(Runs.RUN_LIMIT).until(first.done()::isDone);
            assertTrue(first.done().join().ok());
            assertEquals(1, TestNodes.Sleep.INVOCATIONS.get(), "the rejected start ran nothing");
            assertTrue(engine.run(slow, new RunOptions("busy", "", false, 0), null).ok(), "the id is free again");
        }
    }
}
