package org.mtflow.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.Stream;
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
                done -> done.keySet().stream().filter(t -> t.matches("search/c\\d+\\.mm")).count() >= 3,
                this::checkDecisionLog);
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
        assertFalse(Files.exists(decisionLog()), "the log goes with the checkpoints once the search succeeded");
    }

    /** The search's decision log as the kill left it: every candidate that ran was proposed first, and each observed one had finished. */
    private void checkDecisionLog(Map<String, Integer> before) throws Exception {
        List<String> lines = Files.readAllLines(decisionLog());
        assertEquals("search", JSON.readTree(lines.get(0)).path("event").asText(), lines.get(0));
        Set<Integer> proposed = new HashSet<>(), observed = new HashSet<>();
        for (String line : lines.subList(1, lines.size())) {
            JsonNode n;
            try {
                n = JSON.readTree(line);
            } catch (IOException torn) {
                break; // the kill may cut the last line
            }
            (n.path("event").asText().equals("proposed") ? proposed : observed).add(n.path("index").asInt());
        }
        for (String task : before.keySet()) {
            if (task.matches("search/c\\d+\\..*")) {
                int index = Integer.parseInt(task.substring("search/c".length(), task.indexOf('.')));
                assertTrue(proposed.contains(index), task + " ran, so candidate " + index + " was proposed: " + lines);
            }
        }
        for (int index : observed) {
            assertTrue(before.containsKey("search/c" + index + ".mm"), "candidate " + index + " was observed before it finished: " + lines);
        }
    }

    private Path decisionLog() throws IOException {
        Path checkpoints = killed.resolve("store/checkpoints");
        if (!Files.isDirectory(checkpoints)) return checkpoints.resolve("none");
        try (Stream<Path> dirs = Files.list(checkpoints)) {
            List<Path> logs = dirs.map(d -> d.resolve("decisions.jsonl")).filter(Files::exists).toList();
            assertTrue(logs.size() <= 1, logs.toString());
            return logs.isEmpty() ? checkpoints.resolve("none") : logs.get(0);
        }
    }
}
