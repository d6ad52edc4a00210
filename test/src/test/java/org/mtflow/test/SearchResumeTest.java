package org.mtflow.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An agent.search run by the jar, killed with SIGKILL once some candidates finished, then resumed:
 * it proposes the same candidates (its trace artifact equals an uninterrupted run's) and runs no
 * finished subtask again.
 */
class SearchResumeTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path WORKFLOW = Cli.REPO.resolve("test/src/test/resources/workflows/search-resume.yaml");

    @TempDir
    Path killed;
    @TempDir
    Path straight;

    @Test
    void aKilledSearchResumesWithTheSameCandidatesAndRerunsNoFinishedSubtask() throws Exception {
        // some candidates done (their matmul finished), not all 10
        Map<String, Integer> before = RunEvents.killResumeAndCheck(WORKFLOW, straight, killed,
                done -> done.keySet().stream().filter(t -> t.matches("search/c\\d+\\.mm")).count() >= 3);
        assertFalse(before.containsKey("search"), "killed before the search ended: " + before);

        JsonNode report = JSON.readTree(killed.resolve("runs/r/report.json").toFile());
        JsonNode expected = JSON.readTree(straight.resolve("runs/r/report.json").toFile());
        assertEquals("succeeded", report.path("status").asText());
        assertEquals(2, report.path("sessions").asInt());
        // the same proposals, metrics and subtask outputs: the trace and best artifacts are byte for byte the uninterrupted run's
        assertEquals(expected.path("tasks").path("search").path("outputs"), report.path("tasks").path("search").path("outputs"));
        for (int i = 0; i < 10; i++) {
            for (String step : List.of("a", "b", "wait", "mm")) {
                String id = "search/c" + i + "." + step;
                assertEquals(expected.path("tasks").path(id).path("outputs"), report.path("tasks").path(id).path("outputs"), id);
                if (before.containsKey(id)) {
                    // finished before the kill: its one attempt stands (one cut short by the kill would count a second)
                    assertEquals(1, report.path("tasks").path(id).path("attempts").asInt(), id + ": " + report.path("tasks").path(id));
                }
            }
        }
        assertTrue(report.path("tasks").path("search/c10.a").isMissingNode(), "a budget of 10 candidates");
        JsonNode m = report.path("tasks").path("search").path("metrics");
        assertEquals(10, m.path("candidates").asInt());
        assertEquals(0, m.path("failed").asInt());
        assertEquals(expected.path("tasks").path("search").path("metrics").path("best-params"), m.path("best-params"));
        // the objective is n: the best score is the largest n drawn, among the runs' own reports of each matmul
        int largest = 0;
        for (int i = 0; i < 10; i++) largest = Math.max(largest, report.path("tasks").path("search/c" + i + ".mm").path("metrics").path("shape").get(0).asInt());
        assertEquals(largest, m.path("best-score").asInt());
        assertEquals(largest, m.path("best-params").path("n").asInt());
    }
}
