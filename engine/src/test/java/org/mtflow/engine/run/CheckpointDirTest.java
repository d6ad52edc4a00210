package org.mtflow.engine.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mtflow.engine.testkit.Specs.retry;
import static org.mtflow.engine.testkit.Specs.task;
import static org.mtflow.engine.testkit.Specs.workflow;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mtflow.devices.Devices;
import org.mtflow.engine.testkit.Runs;
import org.mtflow.engine.testkit.TestNodes;

/** TaskContext.checkpointDir: one directory across a task's attempts, its own, gone once it succeeded. */
class CheckpointDirTest {
    @TempDir static Path home;
    static Engine engine;
    private static int runs;

    @BeforeAll static void start() throws Exception { engine = Runs.engine(home, Devices.jvmDevice(2)); }

    @AfterAll static void stop() { if (engine != null) engine.close(); }

    @BeforeEach void reset() { TestNodes.reset(); }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void whatAFailedAttemptLeftThereTheNextAttemptFinds(boolean cache) throws Exception {
        Runs.Result r = Runs.run(engine, workflow("w", 1,
                task("c", "test.checkpointed").with("attempts", 3).retry(retry(3, 1)).build()), "ck-" + (++runs), cache, 0);
        assertTrue(r.outcome().ok(), r.outcome().toString());
        assertEquals("count 3", Files.readString(r.artifact("c", "out")), "the count survived two failed attempts");
        List<Path> dirs = TestNodes.Checkpointed.DIRS;
        assertEquals(3, dirs.size());
        assertEquals(1, new HashSet<>(dirs).size(), "every attempt saw the same directory: " + dirs);
        assertTrue(dirs.get(0).startsWith(engine.store().root()), dirs.get(0) + " is not under the store");
        assertFalse(Files.exists(dirs.get(0)), "the directory outlived the task's success");
    }

    @Test
    void twoTasksHaveTwoDirectories() throws Exception {
        Runs.Result r = Runs.run(engine, workflow("w", 1,
                task("a", "test.checkpointed").with("attempts", 1).build(),
                task("b", "test.checkpointed").with("attempts", 1).build()), "ck-" + (++runs), false, 0);
        assertTrue(r.outcome().ok(), r.outcome().toString());
        assertEquals(2, TestNodes.Checkpointed.DIRS.size());
        assertNotEquals(TestNodes.Checkpointed.DIRS.get(0), TestNodes.Checkpointed.DIRS.get(1));
    }
}
