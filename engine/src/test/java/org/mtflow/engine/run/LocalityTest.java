package org.mtflow.engine.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mtflow.engine.testkit.Specs.task;
import static org.mtflow.engine.testkit.Specs.workflow;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mtflow.devices.DeviceKind;
import org.mtflow.engine.event.RunEvent;
import org.mtflow.engine.spec.TaskSpec;
import org.mtflow.engine.testkit.Runs;
import org.mtflow.engine.testkit.TestNodes;

/** A task goes to the worker that holds its inputs when that worker has room, and elsewhere when not. */
class LocalityTest {
    @TempDir
    Path tmp;

    @BeforeEach
    void reset() {
        TestNodes.reset();
    }

    private Engine twoWorkers() throws Exception {
        return Runs.engine(tmp, Runs.device("jvm-a", DeviceKind.JVM, 1, 1L << 30),
                Runs.device("jvm-b", DeviceKind.JVM, 1, 1L << 30));
    }

    private static Map<String, String> startedOn(Runs.Result r) {
        Map<String, String> out = new HashMap<>();
        for (RunEvent.TaskStarted s : r.all(RunEvent.TaskStarted.class)) out.put(s.task(), s.device());
        return out;
    }

    @Test
    void aChainFollowsTheWorkerThatHoldsItsInputs() throws Exception {
        // slow (first declared) takes the first worker free, big (40 KB) the other. t0 reads both: when
        // it is ready both workers are free, and on a tie the first (slow's) would win; big's holds
        // most of its input bytes. The chain after t0 stays on the worker that produced each input.
        int n = 6;
        List<TaskSpec> tasks = new ArrayList<>();
        tasks.add(task("slow", "test.probe").with("millis", 80).build());
        tasks.add(task("big", "test.source").with("n", 10_000).build());
        tasks.add(task("t0", "test.probe").with("millis", 1).inputs("x", "slow.out", "big.values").build());
        for (int i = 1; i < n; i++) tasks.add(task("t" + i, "test.probe").with("millis", 1).inputs("x", "t" + (i - 1) + ".out").build());
        try (Engine engine = twoWorkers()) {
            Runs.Result r = Runs.run(engine, workflow("chain", 1, tasks.toArray(TaskSpec[]::new)), "chain");
            assertTrue(r.outcome().ok(), r.outcome().toString());
            Map<String, String> on = startedOn(r);
            String holder = on.get("big");
            assertNotEquals(on.get("slow"), holder, "the roots ran side by side: " + on);
            for (int i = 0; i < n; i++) assertEquals(holder, on.get("t" + i), "t" + i + " ran where its input is: " + on);
        }
    }

    @Test
    void aBusyHolderDoesNotHoldUpATaskThatAnotherWorkerCanRun() throws Exception {
        // p's output is on one worker. Then s (the longer path: first) takes that worker for a while;
        // c, reading p too, must not wait for it: it runs on the other worker and ends before s.
        try (Engine engine = twoWorkers()) {
            Runs.Result r = Runs.run(engine, workflow("busy", 1,
                    task("p", "test.probe").with("millis", 1).build(),
                    task("s", "test.probe").with("millis", 1500).inputs("x", "p.out").build(),
                    task("z", "test.probe").with("millis", 1).inputs("x", "s.out").build(),
                    task("c", "test.probe").with("millis", 1).inputs("x", "p.out").build()), "busy");
            assertTrue(r.outcome().ok(), r.outcome().toString());
            Map<String, String> on = startedOn(r);
            assertEquals(on.get("p"), on.get("s"), "s went to the holder of its input: " + on);
            assertNotEquals(on.get("p"), on.get("c"), "c did not wait for the busy holder: " + on);
            List<String> succeeded = r.all(RunEvent.TaskSucceeded.class).stream().map(RunEvent.TaskSucceeded::task).toList();
            assertTrue(succeeded.indexOf("c") < succeeded.indexOf("s"), "c ended while s still ran: " + succeeded);
        }
    }
}
