package org.mtflow.engine.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mtflow.engine.testkit.Specs.task;
import static org.mtflow.engine.testkit.Specs.workflow;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
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

/** Results are reused by cache key: within a home, across runs and across engine restarts. */
class EngineCacheTest {
    private static final long SEED = 77;

    @TempDir
    Path home;

    @BeforeEach
    void reset() {
        TestNodes.reset();
    }

    private static int invocations() {
        return TestNodes.Source.INVOCATIONS.get() + TestNodes.Scale.INVOCATIONS.get() + TestNodes.Sum.INVOCATIONS.get();
    }

    @Test
    void aSecondRunOfTheSameSpecIsServedFromTheCache() throws Exception {
        try (Engine engine = Runs.engine(home, Devices.jvmDevice(2))) {
            Runs.Result first = Runs.run(engine, Specs.diamond(SEED, 1000), "first");
            assertEquals(4, invocations());
            Runs.Result second = Runs.run(engine, Specs.diamond(SEED, 1000), "second");
            assertEquals(4, invocations(), "no node ran in the second run");
            assertEquals(new RunOutcome("second", "succeeded", 0, 4, 0, 0, second.outcome().millis()), second.outcome());
            assertEquals(4, second.all(RunEvent.TaskCached.class).size());
            assertTrue(second.all(RunEvent.TaskStarted.class).isEmpty());
            assertTrue(second.all(RunEvent.TaskQueued.class).isEmpty());
            assertEquals(first.outputs(), second.outputs(), "the cached outputs are the first run's");
            // Metrics come back with the outputs.
            RunEvent.TaskCached src = second.all(RunEvent.TaskCached.class, "src").get(0);
            assertEquals(1000, src.metrics().get("count").asInt());

            JsonNode report = second.report();
            assertEquals("succeeded", report.get("status").asText());
            for (String t : List.of("src", "left", "right", "total")) {
                assertEquals("cached", report.get("tasks").get(t).get("status").asText(), t);
                assertEquals(0, report.get("tasks").get(t).get("attempts").asInt(), t);
            }
            assertEquals(Floats.readDouble(first.artifact("total", "sum")), Floats.readDouble(second.artifact("total", "sum")));
        }
    }

    @Test
    void theCacheOutlivesTheEngine() throws Exception {
        Runs.Result first;
        try (Engine engine = Runs.engine(home, Devices.jvmDevice(2))) {
            first = Runs.run(engine, Specs.diamond(SEED, 100), "first");
        }
        try (Engine engine = Runs.engine(home, Devices.jvmDevice(2))) {
            Runs.Result second = Runs.run(engine, Specs.diamond(SEED, 100), "second");
            assertEquals(4, second.outcome().cached());
            assertEquals(first.outputs(), second.outputs());
        }
        assertEquals(4, invocations());
    }

    @Test
    void useCacheFalseRunsEveryTaskAgainWithTheSameResults() throws Exception {
        try (Engine engine = Runs.engine(home, Devices.jvmDevice(2))) {
            Runs.Result first = Runs.run(engine, Specs.diamond(SEED, 1000), "first");
            Runs.Result again = Runs.run(engine, Specs.diamond(SEED, 1000), "again", false, 0);
            assertEquals(8, invocations());
            assertEquals(4, again.outcome().succeeded());
            assertTrue(again.all(RunEvent.TaskCached.class).isEmpty());
            assertEquals(first.outputs(), again.outputs(), "a deterministic rerun gives the same artifacts");
            // useCache=false still refreshes the cache: a third run is served from it.
            assertEquals(4, Runs.run(engine, Specs.diamond(SEED, 1000), "third").outcome().cached());
            assertEquals(8, invocations());
        }
    }

    @Test
    void aTaskWithCacheOffAlwaysRuns() throws Exception {
        WorkflowSpec spec = workflow("w", SEED,
                task("src", "test.source").with("n", 10).build(),
                task("left", "test.scale").with("factor", 2.0).input("x", "src.values").cache(false).build());
        try (Engine engine = Runs.engine(home, Devices.jvmDevice(2))) {
            Runs.run(engine, spec, "first");
            Runs.Result second = Runs.run(engine, spec, "second");
            assertEquals(1, second.outcome().cached());
            assertEquals(1, second.outcome().succeeded());
            assertEquals(1, TestNodes.Source.INVOCATIONS.get());
            assertEquals(2, TestNodes.Scale.INVOCATIONS.get());
        }
    }

    @Test
    void changingOneParamRerunsOnlyThatTaskAndWhatDependsOnIt() throws Exception {
        WorkflowSpec changed = workflow("diamond", SEED,
                task("src", "test.source").with("n", 1000).build(),
                task("left", "test.scale").with("factor", 4.0).input("x", "src.values").build(),
                task("right", "test.scale").with("factor", -0.5).input("x", "src.values").build(),
                task("total", "test.sum").inputs("values", "left.y", "right.y").build());
        try (Engine engine = Runs.engine(home, Devices.jvmDevice(2))) {
            Runs.Result first = Runs.run(engine, Specs.diamond(SEED, 1000), "first");
            Runs.Result second = Runs.run(engine, changed, "second");
            assertEquals(List.of("src", "right"), second.all(RunEvent.TaskCached.class).stream().map(RunEvent.TaskCached::task).toList());
            assertEquals(List.of("left", "total"), second.all(RunEvent.TaskSucceeded.class).stream()
                    .map(RunEvent.TaskSucceeded::task).sorted().toList());
            assertNotEquals(first.hash("total", "sum"), second.hash("total", "sum"));
            assertEquals(first.hash("right", "y"), second.hash("right", "y"));
        }
    }

    @Test
    void anotherSeedMissesTheCache() throws Exception {
        try (Engine engine = Runs.engine(home, Devices.jvmDevice(2))) {
            Runs.Result first = Runs.run(engine, Specs.diamond(SEED, 100), "first");
            Runs.Result second = Runs.run(engine, Specs.diamond(SEED + 1, 100), "second");
            assertEquals(0, second.outcome().cached());
            assertNotEquals(first.hash("src", "values"), second.hash("src", "values"));
            assertEquals(8, invocations());
        }
    }

    @Test
    void aCorruptCachedArtifactIsRecomputedNotTrusted() throws Exception {
        Runs.Result first;
        try (Engine engine = Runs.engine(home, Devices.jvmDevice(2))) {
            first = Runs.run(engine, Specs.diamond(SEED, 1000), "first");
        }
        // Bit rot in src's artifact while no engine runs: same size, other bytes.
        Path file;
        try (Stream<Path> s = Files.walk(home.resolve("store").resolve("objects"))) {
            file = s.filter(p -> p.getFileName().toString().equals(first.hash("src", "values"))).findFirst().orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(file);
        bytes[17] ^= 0x40;
        Files.write(file, bytes);

        try (Engine engine = Runs.engine(home, Devices.jvmDevice(2))) {
            Runs.Result second = Runs.run(engine, Specs.diamond(SEED, 1000), "second");
            assertTrue(second.outcome().ok(), second.outcome() + " " + second.all(RunEvent.TaskFailed.class));
            assertTrue(second.all(RunEvent.TaskSucceeded.class, "src").size() == 1, "src was recomputed");
            assertEquals(first.outputs(), second.outputs());
            // The store holds good bytes again.
            float[] expected = TestNodes.Source.expected(SEED, "src", 1000, -1f, 1f);
            org.junit.jupiter.api.Assertions.assertArrayEquals(expected, Floats.read(second.artifact("src", "values")));
        }
        assertEquals(2, TestNodes.Source.INVOCATIONS.get());
    }

    @Test
    void aMissingCachedArtifactIsRecomputed() throws Exception {
        try (Engine engine = Runs.engine(home, Devices.jvmDevice(2))) {
            Runs.Result first = Runs.run(engine, Specs.diamond(SEED, 100), "first");
            Path file = engine.store().pathOf(new org.mtflow.engine.store.ArtifactRef(first.hash("left", "y"), 0));
            Files.delete(file);
            Runs.Result second = Runs.run(engine, Specs.diamond(SEED, 100), "second");
            assertTrue(second.outcome().ok());
            assertEquals(List.of("left"), second.all(RunEvent.TaskSucceeded.class).stream().map(RunEvent.TaskSucceeded::task).toList());
            assertTrue(Files.isRegularFile(file));
        }
    }
}
