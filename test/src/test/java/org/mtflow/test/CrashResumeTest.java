package org.mtflow.test;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real {@code mtflow run} process killed with SIGKILL mid-way, then {@code mtflow resume}d: no
 * finished task runs twice (spawned subtasks included), and the artifacts equal an uninterrupted run's.
 */
class CrashResumeTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path WORKFLOW = Cli.REPO.resolve("test/src/test/resources/workflows/crash-resume.yaml");

    @TempDir
    Path killed;
    @TempDir
    Path straight;

    @Test
    void aKilledRunResumesWithoutRerunningFinishedTasksAndEndsWithTheSameArtifacts() throws Exception {
        // Caching off in both: only the run journal can spare finished work.
        Cli.Result reference = Cli.run("run", WORKFLOW.toString(), "--home", straight.toString(), "--run-id", "r",
                "--jvm-only", "--no-cache");
        assertEquals(0, reference.exit(), reference.toString());

        Path events = killed.resolve("runs/r/events.jsonl");
        Process p = Cli.start(killed.resolve("first.log"), "run", WORKFLOW.toString(), "--home", killed.toString(),
                "--run-id", "r", "--jvm-only", "--no-cache");
        try {
            // Mid-way: some spawned subtasks of 'fan' done, not all.
            await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(20))
                    .until(() -> EventLog.succeeded(events).keySet().stream().filter(t -> t.startsWith("fan/")).count() >= 2);
        } finally {
            p.destroyForcibly(); // SIGKILL: no shutdown hook, no flush
            p.waitFor();
        }
        Map<String, Integer> before = EventLog.succeeded(events);
        assertFalse(before.containsKey("last"), "killed before the end: " + before);

        Cli.Result resumed = Cli.run("resume", "r", "--home", killed.toString(), "--jvm-only", "--no-cache");
        assertEquals(0, resumed.exit(), resumed.toString());

        List<JsonNode> log = EventLog.read(events);
        Map<String, Integer> after = EventLog.assertNoTaskRanTwice(events, before);
        int startedRuns = (int) log.stream().filter(e -> EventLog.type(e, "RunStarted")).count();
        assertEquals(2, startedRuns);
        assertTrue(log.stream().filter(e -> EventLog.type(e, "RunStarted")).reduce((a, b) -> b).orElseThrow().path("resumed").asBoolean());

        JsonNode report = JSON.readTree(killed.resolve("runs/r/report.json").toFile());
        JsonNode expected = JSON.readTree(straight.resolve("runs/r/report.json").toFile());
        assertEquals("succeeded", report.path("status").asText());
        assertEquals(2, report.path("sessions").asInt());
        assertEquals(outputs(expected), outputs(report), "the same artifacts as an uninterrupted run");
        assertEquals(15, outputs(report).size(), "7 declared tasks and 8 spawned ones");
    }

    private static Map<String, String> outputs(JsonNode report) {
        Map<String, String> out = new TreeMap<>();
        report.path("tasks").fields().forEachRemaining(t -> {
            assertEquals("succeeded", t.getValue().path("status").asText(), t.getKey());
            out.put(t.getKey(), t.getValue().path("outputs").toString());
        });
        return out;
    }
}
