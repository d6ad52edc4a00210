package org.mtflow.engine.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mtflow.engine.testkit.Specs.task;
import static org.mtflow.engine.testkit.Specs.workflow;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mtflow.devices.DeviceKind;
import org.mtflow.engine.event.RunEvent;
import org.mtflow.engine.spec.WorkflowSpec;
import org.mtflow.engine.testkit.Floats;
import org.mtflow.engine.testkit.Runs;
import org.mtflow.engine.testkit.TestNodes;

/** Subtasks spawned by running tasks: scheduled, awaited, limited and journaled like declared ones. */
class DynamicTasksTest {
    @TempDir
    Path home;
    Engine engine;

    @BeforeEach
    void start() throws Exception {
        TestNodes.reset();
        // One slot: a parent waiting for its subtasks must give it up, or nothing could run.
        engine = Runs.engine(home, Runs.device("solo", DeviceKind.JVM, 1, 1L << 30));
    }

    @AfterEach
    void stop() {
        engine.close();
    }

    /** What a one-level fan-out sums: its children's draws, in float64. */
    private static double expectedSum(long seed, String parent, int children, int n) {
        double sum = 0;
        for (int i = 0; i < children; i++) {
            for (float f : TestNodes.Source.expected(seed, parent + "/c" + i, n + i, -1f, 1f)) sum += f;
        }
        return sum;
    }

    @Test
    void spawnedSubtasksRunOnTheParentsSlotAndReturnTheirOutputs() throws Exception {
        long seed = new Random().nextLong();
        int children = 5, n = 17;
        Runs.Result r = Runs.run(engine, workflow("w", seed,
                task("p", "test.fanout").with("children", children).with("n", n).build()), "spawn");
        assertTrue(r.outcome().ok(), "seed " + seed + ": " + r.outcome());
        assertEquals(1 + children, r.outcome().succeeded());
        assertEquals(children, TestNodes.Source.INVOCATIONS.get());
        assertEquals(expectedSum(seed, "p", children, n), Floats.readDouble(r.artifact("p", "sum")), 0.0, "seed " + seed);

        List<RunEvent.TaskSpawned> spawned = r.all(RunEvent.TaskSpawned.class);
        assertEquals(List.of("p/c0", "p/c1", "p/c2", "p/c3", "p/c4"), spawned.stream().map(RunEvent.TaskSpawned::task).toList());
        for (RunEvent.TaskSpawned s : spawned) {
            assertEquals("p", s.parent());
            assertEquals("test.source", s.nodeType());
            assertEquals(1, s.depth());
        }
        JsonNode tasks = r.report().get("tasks");
        assertEquals("succeeded", tasks.get("p/c3").get("status").asText());
        assertEquals("p", tasks.get("p/c3").get("parent").asText());
    }

    @Test
    void subtasksNestAndTheSameSeedGivesTheSameResult() throws Exception {
        long seed = new Random().nextLong();
        WorkflowSpec spec = workflow("w", seed, task("root", "test.fanout").with("children", 2).with("n", 3)
                .with("depth", 3).cache(false).build());
        Runs.Result a = Runs.run(engine, spec, "nest-a", false, 0);
        Runs.Result b = Runs.run(engine, spec, "nest-b", false, 0);
        assertTrue(a.outcome().ok(), "seed " + seed + ": " + a.outcome());
        assertEquals(1 + 2 + 4 + 8, a.outcome().succeeded(), "a root, 2 fan-outs, 4 fan-outs, 8 sources");
        assertEquals(a.hash("root", "sum"), b.hash("root", "sum"), "seed " + seed);
        double expected = 0;
        for (String mid : List.of("root/c0", "root/c1")) {
            for (String leaf : List.of(mid + "/c0", mid + "/c1")) expected += expectedSum(seed, leaf, 2, 3);
        }
        assertEquals(expected, Floats.readDouble(a.artifact("root", "sum")), 1e-9, "seed " + seed);
        assertEquals(3, a.all(RunEvent.TaskSpawned.class).stream().mapToInt(RunEvent.TaskSpawned::depth).max().orElseThrow());
    }

    @Test
    void aFailedSubtaskWhoseParentSucceededDoesNotFailTheRun() throws Exception {
        Runs.Result r = Runs.run(engine, workflow("w", 1, task("p", "test.tolerant").build()), "tolerant");
        assertTrue(r.outcome().ok(), r.outcome().toString());
        assertEquals(1, r.outcome().failed(), "the subtask itself is recorded as failed");
        assertEquals(1, r.all(RunEvent.TaskFailed.class, "p/bad").size());
    }

    @Test
    void spawningPastTheRunsLimitFailsTheParentWithTheLimitNamed() throws Exception {
        Runs.Result r = Runs.run(engine, workflow("w", 1, task("p", "test.fanout").with("children", 5).with("n", 2).build()),
                new RunOptions("limited", "name: w\n", false, 0, 3, 8));
        assertEquals("failed", r.outcome().status());
        assertEquals(3, r.all(RunEvent.TaskSpawned.class).size(), "three spawned, the rest refused");
        RunEvent.TaskFailed failed = r.all(RunEvent.TaskFailed.class, "p").get(0);
        assertEquals("permanent", failed.error());
        assertTrue(failed.message().contains("its limit") && failed.message().contains("--max-spawned"), failed.message());
    }

    @Test
    void spawningDeeperThanTheLimitFailsWithTheDepthNamed() throws Exception {
        Runs.Result r = Runs.run(engine, workflow("w", 1, task("p", "test.fanout").with("children", 1).with("n", 2)
                        .with("depth", 3).build()),
                new RunOptions("deep", "name: w\n", false, 0, 100, 2));
        assertEquals("failed", r.outcome().status());
        String message = r.all(RunEvent.TaskFailed.class, "p/c0/c0").get(0).message();
        assertTrue(message.contains("nest 2 deep") && message.contains("--max-spawn-depth"), message);
    }

    @Test
    void aResumedRunTakesFinishedSubtasksFromTheJournal() throws Exception {
        long seed = new Random().nextLong();
        // Caching off: only the journal can spare the subtasks a second run.
        WorkflowSpec spec = workflow("w", seed, task("p", "test.fanout").with("children", 4).with("n", 9).cache(false).build());
        TestNodes.FanOut.FAIL_AFTER_CHILDREN.set(true);
        Runs.Result first = Runs.run(engine, spec, "resume-spawn", true, 0);
        assertEquals("failed", first.outcome().status());
        assertEquals(4, TestNodes.Source.INVOCATIONS.get());

        Runs.Result second = Runs.run(engine, spec, "resume-spawn", true, 0);
        assertTrue(second.outcome().ok(), "seed " + seed + ": " + second.outcome());
        assertEquals(4, TestNodes.Source.INVOCATIONS.get(), "finished subtasks are not run again");
        assertEquals(2, TestNodes.FanOut.INVOCATIONS.get());
        assertEquals(List.of("p/c0", "p/c1", "p/c2", "p/c3"),
                second.all(RunEvent.TaskRecovered.class).stream().map(RunEvent.TaskRecovered::task).toList());
        assertEquals(expectedSum(seed, "p", 4, 9), Floats.readDouble(second.artifact("p", "sum")), 0.0, "seed " + seed);
        assertTrue(second.all(RunEvent.RunStarted.class).get(0).resumed());
        JsonNode report = second.report();
        assertEquals(2, report.get("sessions").asInt());
        assertEquals(1, report.get("tasks").get("p/c2").get("attempts").asInt(), "one attempt across both sessions");
        assertTrue(report.get("tasks").get("p/c2").get("recovered").asBoolean());
        assertFalse(report.get("tasks").get("p").has("recovered"));
    }

    @Test
    void aDepthLimitOfZeroRefusesEverySpawn() throws Exception {
        Runs.Result r = Runs.run(engine, workflow("w", 1, task("p", "test.fanout").with("children", 1).with("n", 1).build()),
                new RunOptions("flat", "name: w\n", false, 0, 1, 0));
        assertEquals("failed", r.outcome().status());
        assertTrue(r.all(RunEvent.TaskSpawned.class).isEmpty());
        assertTrue(r.all(RunEvent.TaskFailed.class, "p").get(0).message().contains("--max-spawn-depth"));
    }
}
