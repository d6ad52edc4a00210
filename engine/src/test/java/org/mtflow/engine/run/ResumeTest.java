package org.mtflow.engine.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mtflow.engine.testkit.Specs.task;
import static org.mtflow.engine.testkit.Specs.workflow;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mtflow.engine.event.RunEvent;
import org.mtflow.engine.spec.WorkflowSpec;
import org.mtflow.engine.store.ArtifactRef;
import org.mtflow.engine.testkit.Runs;
import org.mtflow.engine.testkit.TestNodes;

/**
 * A run started again with its id continues: what its journal records as finished is taken, not
 * run. Each engine here is a fresh actor system on the same home, as after a process restart, with
 * the durable journal. (Killing a real process is tested in the test module.)
 */
class ResumeTest {
    @TempDir
    Path home;

    @BeforeEach
    void reset() {
        TestNodes.reset();
    }

    private Engine engine() throws Exception {
        return Runs.durableEngine(home);
    }

    /** A diamond whose sink is broken until fixed; caching off, so only the journal spares work. */
    private static WorkflowSpec spec(long seed) {
        return workflow("w", seed,
                task("src", "test.source").with("n", 64).cache(false).build(),
                task("left", "test.scale").with("factor", 2.0).input("x", "src.values").cache(false).build(),
                task("right", "test.scale").with("factor", -0.5).input("x", "src.values").cache(false).build(),
                task("total", "test.sum").inputs("values", "left.y", "right.y").cache(false).build(),
                task("check", "test.toggle").inputs("x", "total.sum").cache(false).build());
    }

    @Test
    void aResumedRunSkipsWhatFinishedAndEndsWithTheSameArtifacts() throws Exception {
        long seed = new Random().nextLong();
        Map<String, Map<String, String>> uninterrupted;
        try (Engine e = engine()) {
            uninterrupted = Runs.run(e, spec(seed), "straight").outputs();
        }
        TestNodes.reset();
        TestNodes.Toggle.BROKEN.set(true);
        try (Engine e = engine()) {
            Runs.Result first = Runs.run(e, spec(seed), "fixed-later");
            assertEquals("failed", first.outcome().status());
            assertEquals(4, first.outcome().succeeded());
        }
        TestNodes.Toggle.BROKEN.set(false);
        try (Engine e = engine()) {
            Runs.Result second = Runs.run(e, spec(seed), "fixed-later");
            assertTrue(second.outcome().ok(), "seed " + seed + ": " + second.outcome());
            assertEquals(1, TestNodes.Source.INVOCATIONS.get(), "src ran once, in the first session");
            assertEquals(2, TestNodes.Scale.INVOCATIONS.get());
            assertEquals(1, TestNodes.Sum.INVOCATIONS.get());
            assertEquals(2, TestNodes.Toggle.INVOCATIONS.get(), "the failed task runs again");
            assertEquals(List.of("src", "left", "right", "total"),
                    second.all(RunEvent.TaskRecovered.class).stream().map(RunEvent.TaskRecovered::task).toList());
            assertEquals(uninterrupted, second.outputs(), "seed " + seed + ": same artifacts as a run without the failure");

            // One report and one event log across both sessions.
            JsonNode report = second.report();
            assertEquals(2, report.get("sessions").asInt());
            assertEquals("succeeded", report.get("status").asText());
            for (String t : List.of("src", "left", "right", "total")) {
                assertEquals(1, report.get("tasks").get(t).get("attempts").asInt(), t);
                assertTrue(report.get("tasks").get(t).get("recovered").asBoolean(), t);
            }
            assertEquals(2, report.get("tasks").get("check").get("attempts").asInt());
            List<JsonNode> log = second.eventLog();
            assertEquals(2, log.stream().filter(j -> j.get("type").asText().equals("RunStarted")).count());
            assertEquals(4, log.stream().filter(j -> j.get("type").asText().equals("TaskRecovered")).count());
            for (String t : List.of("src", "left", "right", "total", "check")) {
                assertEquals(1, log.stream().filter(j -> j.get("type").asText().equals("TaskSucceeded")
                        && j.get("task").asText().equals(t)).count(), t + " succeeded exactly once");
            }
        }
    }

    @Test
    void aCorruptArtifactOfAFinishedTaskIsRecomputedOnResume() throws Exception {
        long seed = new Random().nextLong();
        TestNodes.Toggle.BROKEN.set(true);
        String srcHash;
        try (Engine e = engine()) {
            Runs.Result first = Runs.run(e, spec(seed), "corrupt");
            srcHash = first.hash("src", "values");
            Path file = e.store().pathOf(new ArtifactRef(srcHash, 64 * 4));
            try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
                f.seek(10);
                f.write(f.read() ^ 0x40); // one flipped bit
            }
        }
        TestNodes.Toggle.BROKEN.set(false);
        try (Engine e = engine()) {
            Runs.Result second = Runs.run(e, spec(seed), "corrupt");
            assertTrue(second.outcome().ok(), "seed " + seed + ": " + second.outcome());
            RunEvent.TaskInvalidated invalid = second.all(RunEvent.TaskInvalidated.class, "src").get(0);
            assertTrue(invalid.reason().contains("unusable"), invalid.reason());
            assertEquals(2, TestNodes.Source.INVOCATIONS.get(), "src is recomputed");
            assertEquals(srcHash, second.hash("src", "values"), "into the same bytes");
            assertEquals(List.of("left", "right", "total"),
                    second.all(RunEvent.TaskRecovered.class).stream().map(RunEvent.TaskRecovered::task).toList(),
                    "its intact dependents stand");
            Runs.verified(e.store(), srcHash); // throws unless the store holds the right bytes again
        }
    }

    @Test
    void aRunIdCannotBeResumedWithAnotherWorkflow() throws Exception {
        try (Engine e = engine()) {
            Runs.run(e, spec(1), "mine");
            WorkflowSpec other = workflow("other", 1, task("a", "test.flaky").build());
            IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                    () -> e.start(other, new RunOptions("mine", "name: other\n", true, 0), null));
            assertTrue(error.getMessage().contains("different workflow"), error.getMessage());
        }
    }
}
