package org.mtflow.engine.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mtflow.engine.testkit.Specs.task;
import static org.mtflow.engine.testkit.Specs.workflow;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mtflow.devices.DeviceKind;
import org.mtflow.engine.testkit.Runs;
import org.mtflow.engine.testkit.TestNodes;

/**
 * A trivial node type's attempt runs on the device worker's own thread when its inputs are small
 * and it has no time limit; with big inputs or a timeout to enforce, it goes to the pool like any other.
 */
class InlineAttemptsTest {
    @TempDir
    Path tmp;

    @BeforeEach
    void reset() {
        TestNodes.reset();
    }

    @Test
    void smallTrivialAttemptsRunInlineAndTheRestOnThePool() throws Exception {
        int bigFloats = (int) (DeviceWorker.INLINE_INPUT_LIMIT / 4) + 1; // one float past the limit
        try (Engine engine = Runs.engine(tmp, Runs.device("jvm", DeviceKind.JVM, 2, 1L << 30))) {
            Runs.Result r = Runs.run(engine, workflow("inline", 1,
                    task("small", "test.source").with("n", 10).build(),
                    task("big", "test.source").with("n", bigFloats).build(),
                    task("onSmall", "test.trivial").inputs("x", "small.values").build(),
                    task("onBig", "test.trivial").inputs("x", "big.values").build(),
                    task("timed", "test.trivial").inputs("x", "small.values").timeout(Duration.ofSeconds(30)).build(),
                    task("chained", "test.trivial").inputs("x", "onSmall.out").build()), "inline");
            assertTrue(r.outcome().ok(), r.outcome().toString());
            Map<String, String> on = TestNodes.Trivial.THREADS;
            assertEquals(4, on.size(), on.toString());
            for (String inline : new String[] {"onSmall", "chained"}) {
                assertTrue(on.get(inline).contains("engine-dispatcher"), inline + " ran on the worker's thread: " + on);
            }
            for (String pooled : new String[] {"onBig", "timed"}) {
                assertTrue(on.get(pooled).startsWith("mtflow-jvm-"), pooled + " ran on the device's pool: " + on);
            }
        }
    }
}
