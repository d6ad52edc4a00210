package org.mtflow.nodes.util;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.mtflow.engine.event.Json;
import org.mtflow.kernels.random.Philox;
import org.mtflow.nodes.NodeRuns;
import org.mtflow.nodes.TestSeeds;
import org.mtflow.nodes.Workflows;

class MapNodeTest {
    @RegisterExtension static final NodeRuns runs = new NodeRuns();

    @Test
    void runsOneSubtaskPerEntryAndIndexesTheirOutputs() throws Exception {
        long seed = TestSeeds.next();
        NodeRuns.Run run = runs.run(Workflows.named("map", seed)
                .task("m", "util.map").with("node", "util.random")
                .with("each", List.of(Map.of("shape", List.of(5)), Map.of("shape", List.of(3, 2), "low", 0.0)))
                .build());
        String msg = "seed=" + seed + ": " + run.report();
        assertTrue(run.outcome().ok(), msg);
        assertEquals("m", run.task("m/1").path("parent").asText(), msg);
        JsonNode index = Json.MAPPER.readTree(Files.readAllBytes(run.artifact("m", "index")));
        JsonNode subtasks = index.path("subtasks");
        assertEquals(2, subtasks.size(), index.toString());
        for (int i = 0; i < 2; i++) {
            JsonNode s = subtasks.get(i);
            assertEquals("m/" + i, s.path("task").asText());
            assertTrue(s.path("succeeded").asBoolean());
            assertEquals(run.hash("m/" + i, "tensor"), s.path("outputs").path("tensor").asText(), msg);
        }
        float[] second = new float[6];
        Philox.fillUniform(second, seed, Philox.stream("task", "m/1", "random"), 0, 0f, 1f);
        assertArrayEquals(second, run.tensor("m/1", "tensor").data(), msg);
        assertArrayEquals(new int[] {3, 2}, run.tensor("m/1", "tensor").shape());
    }

    @Test
    void aFailedSubtaskFailsTheMapWithACount() throws Exception {
        NodeRuns.Run run = runs.run(Workflows.named("map-fail", 3)
                .task("m", "util.map").with("node", "util.flaky")
                .with("each", List.of(Map.of(), Map.of("failures", 1), Map.of()))
                .build());
        String msg = run.report().toString();
        assertFalse(run.outcome().ok(), msg);
        assertEquals("failed", run.status("m/1"), msg);
        assertEquals("succeeded", run.status("m/0"), msg);
        List<JsonNode> failed = run.events("TaskFailed", "m");
        assertTrue(failed.get(0).path("message").asText().contains("1 of 3 subtasks failed"), msg);
    }
}
