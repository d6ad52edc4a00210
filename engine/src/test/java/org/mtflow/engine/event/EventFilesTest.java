package org.mtflow.engine.event;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EventFilesTest {
    private static final Instant T0 = Instant.parse("2026-01-02T03:04:05.678Z");

    private static Instant t(int seconds) {
        return T0.plusSeconds(seconds);
    }

    private static List<RunEvent> sampleRun() {
        ObjectNode metrics = Json.MAPPER.createObjectNode().put("loss", 0.25);
        return List.of(
                new RunEvent.RunStarted(t(0), "r1", "flow", 7, 3, false),
                new RunEvent.TaskQueued(t(1), "r1", "a"),
                new RunEvent.TaskStarted(t(2), "r1", "a", 1, "jvm"),
                new RunEvent.TaskProgress(t(2), "r1", "a", 0.5, "half"),
                new RunEvent.TaskFailed(t(3), "r1", "a", 1, "jvm", "transient", "flaky", false),
                new RunEvent.TaskRetrying(t(3), "r1", "a", 2, 100),
                new RunEvent.TaskStarted(t(4), "r1", "a", 2, "opencl0"),
                new RunEvent.TaskSucceeded(t(5), "r1", "a", 2, "opencl0", Map.of("out", "ab".repeat(32)), metrics, 900),
                new RunEvent.TaskCached(t(5), "r1", "b", Map.of("out", "cd".repeat(32)), Json.MAPPER.createObjectNode()),
                new RunEvent.TaskSkipped(t(6), "r1", "c", "upstream task 'x' failed", "x"),
                new RunEvent.RunFinished(t(7), "r1", "failed", 1, 1, 0, 1, 7000));
    }

    @Test
    void eventsWriteOneJsonObjectPerLineWithTypeTimeRunAndTask(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("run").resolve("events.jsonl");
        try (EventLog log = new EventLog(file)) {
            sampleRun().forEach(log::accept);
        }
        List<String> lines = Files.readAllLines(file);
        assertEquals(sampleRun().size(), lines.size());
        for (int i = 0; i < lines.size(); i++) {
            JsonNode json = Json.MAPPER.readTree(lines.get(i));
            RunEvent expected = sampleRun().get(i);
            assertEquals(expected.getClass().getSimpleName(), json.get("type").asText(), lines.get(i));
            assertEquals(expected.time(), Instant.parse(json.get("time").asText()), "time is ISO-8601: " + lines.get(i));
            assertEquals("r1", json.get("run").asText());
            if (expected instanceof RunEvent.TaskEvent te) assertEquals(te.task(), json.get("task").asText());
            else assertFalse(json.has("task"));
            assertTrue(lines.get(i).startsWith("{\"type\":\"" + json.get("type").asText() + "\",\"time\":"),
                    "type, time and run lead each line: " + lines.get(i));
            // And the line reads back as the same event.
            assertEquals(expected, Json.MAPPER.readValue(lines.get(i), RunEvent.class));
        }
    }

    @Test
    void aResumedRunAppendsToTheSameLog(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("events.jsonl");
        try (EventLog log = new EventLog(file)) {
            log.accept(sampleRun().get(0));
        }
        try (EventLog log = new EventLog(file)) {
            log.accept(sampleRun().get(1));
            log.flush();
            assertEquals(2, Files.readAllLines(file).size(), "flushed lines are readable before the log is closed");
        }
    }

    @Test
    void theReportFoldsEventsIntoTaskStates(@TempDir Path dir) throws Exception {
        RunReport report = new RunReport(List.of("a", "b", "c", "d"));
        for (RunEvent e : sampleRun()) report.accept(e);
        RunReport.Report r = report.report();
        assertEquals("r1", r.run);
        assertEquals("flow", r.name);
        assertEquals(7, r.seed);
        assertEquals("failed", r.status);
        assertEquals(t(0), r.start);
        assertEquals(t(7), r.end);
        assertEquals(List.of("a", "b", "c", "d"), List.copyOf(r.tasks.keySet()), "declared tasks, in order");

        RunReport.TaskState a = r.tasks.get("a");
        assertEquals("succeeded", a.status);
        assertEquals(2, a.attempts);
        assertEquals("opencl0", a.device);
        assertEquals(t(2), a.start, "start is the first attempt's");
        assertEquals(t(5), a.end);
        assertNull(a.error, "a later attempt clears the error of a failed one");
        assertEquals(0.25, a.metrics.get("loss").asDouble());
        assertEquals("cached", r.tasks.get("b").status);
        assertEquals("skipped", r.tasks.get("c").status);
        assertEquals("upstream task 'x' failed", r.tasks.get("c").reason);
        assertEquals("pending", r.tasks.get("d").status);

        Path file = dir.resolve("report.json");
        report.write(file);
        JsonNode json = Json.MAPPER.readTree(file.toFile());
        assertEquals("failed", json.get("status").asText());
        assertEquals(2, json.get("tasks").get("a").get("attempts").asInt());
        assertEquals("ab".repeat(32), json.get("tasks").get("a").get("outputs").get("out").asText());
        assertEquals(T0.plusSeconds(2).toString(), json.get("tasks").get("a").get("start").asText());
        assertFalse(json.get("tasks").get("d").has("error"), "nulls are left out");
    }

    @Test
    void aFailureKeepsItsErrorAndOnlyTheLastOneEndsTheTask() {
        RunReport report = new RunReport(List.of("a"));
        report.accept(new RunEvent.TaskStarted(t(1), "r", "a", 1, "jvm"));
        report.accept(new RunEvent.TaskFailed(t(2), "r", "a", 1, "jvm", "timeout", "too slow", false));
        RunReport.TaskState a = report.report().tasks.get("a");
        assertEquals("running", a.status);
        assertEquals("timeout: too slow", a.error);
        assertNull(a.end);
        report.accept(new RunEvent.TaskRetrying(t(2), "r", "a", 2, 10));
        assertEquals("retrying", a.status);
        report.accept(new RunEvent.TaskStarted(t(3), "r", "a", 2, "jvm"));
        report.accept(new RunEvent.TaskFailed(t(4), "r", "a", 2, "jvm", "permanent", "bad data", true));
        assertEquals("failed", a.status);
        assertEquals("permanent: bad data", a.error);
        assertEquals(t(4), a.end);
        assertEquals(2, a.attempts);
    }
}
