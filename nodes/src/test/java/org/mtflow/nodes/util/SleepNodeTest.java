package org.mtflow.nodes.util;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.mtflow.nodes.NodeRuns;
import org.mtflow.nodes.TestSeeds;
import org.mtflow.nodes.Workflows;

class SleepNodeTest {
    @RegisterExtension static final NodeRuns runs = new NodeRuns();

    @Test
    void withoutATimeoutItWaitsThenPassesItsInputThrough() throws Exception {
        long seed = TestSeeds.next();
        long start = System.nanoTime();
        NodeRuns.Run run = runs.run(Workflows.named("sleep-ok", seed)
                .task("a", "util.random").with("shape", List.of(8))
                .task("s", "util.sleep").with("ms", 450).inputs("x", "a.tensor").build());
        long wallMillis = (System.nanoTime() - start) / 1_000_000;
        String msg = "seed=" + seed + ": " + run.report();
        assertTrue(run.outcome().ok(), msg);
        assertEquals(1, run.attempts("s"), msg);
        assertTrue(wallMillis >= 450, msg + ": the run took only " + wallMillis + " ms");
        List<JsonNode> done = run.events("TaskSucceeded", "s");
        assertEquals(1, done.size(), msg);
        assertTrue(done.get(0).path("millis").asLong() >= 450, msg + ": " + done.get(0));
        assertEquals(run.hash("a", "tensor"), run.hash("s", "out"), msg);
        List<JsonNode> progress = run.events("TaskProgress", "s");
        assertFalse(progress.isEmpty(), msg + ": no progress reported while sleeping");
        for (JsonNode p : progress) {
            double f = p.path("fraction").asDouble();
            assertTrue(f >= 0 && f <= 1, p.toString());
        }
    }

    @Test
    void aTaskTimeoutStopsItWithATimeoutError() throws Exception {
        long start = System.nanoTime();
        NodeRuns.Run run = runs.run(Workflows.named("sleep-timeout", 21)
                .task("s", "util.sleep").with("ms", 60_000).timeout(Duration.ofMillis(300))
                .task("after", "util.noop").inputs("x", "s.out").build());
        long wallMillis = (System.nanoTime() - start) / 1_000_000;
        String msg = run.report().toString();
        assertFalse(run.outcome().ok(), msg);
        assertTrue(wallMillis < 20_000, msg + ": the run took " + wallMillis + " ms despite a 300 ms timeout");
        List<JsonNode> failed = run.events("TaskFailed", "s");
        assertEquals(1, failed.size(), msg);
        assertEquals("timeout", failed.get(0).path("error").asText(), msg + " / " + failed);
        assertTrue(failed.get(0).path("last").asBoolean(), msg);
        assertEquals("failed", run.status("s"), msg);
        assertTrue(run.task("s").path("error").asText().startsWith("timeout"), msg);
        assertEquals("skipped", run.status("after"), msg);
    }

    @Test
    void finishesNormallyWithinAGenerousTimeout() throws Exception {
        NodeRuns.Run run = runs.run(Workflows.named("sleep-in-time", 22)
                .task("s", "util.sleep").with("ms", 50).timeout(Duration.ofSeconds(30)).build());
        assertTrue(run.outcome().ok(), run.report().toString());
        assertTrue(run.events("TaskFailed", "s").isEmpty(), run.report().toString());
    }
}
