package org.mtflow.nodes.util;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.mtflow.nodes.NodeRuns;
import org.mtflow.nodes.TestSeeds;
import org.mtflow.nodes.Workflows;

/** util.flaky's planned failures. Its {@code exit: true} halts the JVM and is tested end to end elsewhere. */
class FlakyNodeTest {
    @RegisterExtension static final NodeRuns runs = new NodeRuns();

    @Test
    void twoFailuresWithThreeAttemptsSucceedsOnTheThirdAndPassesItsInputThrough() throws Exception {
        long seed = TestSeeds.next();
        NodeRuns.Run run = runs.run(Workflows.named("flaky-ok", seed)
                .task("a", "util.random").with("shape", List.of(6))
                .task("f", "util.flaky").with("failures", 2).inputs("x", "a.tensor").retry(3).build());
        String msg = "seed=" + seed + ": " + run.report();
        assertTrue(run.outcome().ok(), msg);
        assertEquals("succeeded", run.status("f"), msg);
        assertEquals(3, run.attempts("f"), msg);

        List<JsonNode> failed = run.events("TaskFailed", "f");
        assertEquals(2, failed.size(), msg);
        for (int i = 0; i < 2; i++) {
            JsonNode e = failed.get(i);
            assertEquals(i + 1, e.path("attempt").asInt(), msg);
            assertEquals("transient", e.path("error").asText(), msg);
            assertFalse(e.path("last").asBoolean(), msg);
            assertEquals("planned failure " + (i + 1) + " of 2", e.path("message").asText(), msg);
        }
        assertEquals(2, run.events("TaskRetrying", "f").size(), msg);
        List<JsonNode> succeeded = run.events("TaskSucceeded", "f");
        assertEquals(1, succeeded.size(), msg);
        assertEquals(3, succeeded.get(0).path("attempt").asInt(), msg);
        assertEquals(run.hash("a", "tensor"), run.hash("f", "out"), msg);
    }

    @Test
    void twoFailuresWithTwoAttemptsFailsForGood() throws Exception {
        NodeRuns.Run run = runs.run(Workflows.named("flaky-fail", 11)
                .task("f", "util.flaky").with("failures", 2).retry(2)
                .task("after", "util.noop").inputs("x", "f.out").build());
        String msg = run.report().toString();
        assertFalse(run.outcome().ok(), msg);
        assertEquals("failed", run.outcome().status(), msg);
        assertEquals("failed", run.status("f"), msg);
        assertEquals(2, run.attempts("f"), msg);
        assertEquals("transient: planned failure 2 of 2", run.task("f").path("error").asText(), msg);
        List<JsonNode> failed = run.events("TaskFailed", "f");
        assertEquals(2, failed.size(), msg);
        assertFalse(failed.get(0).path("last").asBoolean(), msg);
        assertTrue(failed.get(1).path("last").asBoolean(), msg);
        assertTrue(run.events("TaskSucceeded", "f").isEmpty(), msg);
        assertEquals("skipped", run.status("after"), msg);
        assertEquals(1, run.outcome().failed(), msg);
        assertEquals(1, run.outcome().skipped(), msg);
    }

    @Test
    void noFailuresSucceedsOnTheFirstAttempt() throws Exception {
        NodeRuns.Run run = runs.run(Workflows.named("flaky-none", 12).task("f", "util.flaky").build());
        assertTrue(run.outcome().ok(), run.report().toString());
        assertEquals(1, run.attempts("f"));
        assertTrue(run.events("TaskFailed", "f").isEmpty());
    }
}
