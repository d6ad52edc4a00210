package org.mtflow.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A run's events.jsonl, read while the run may still be writing it. */
final class EventLog {
    private static final ObjectMapper JSON = new ObjectMapper();

    private EventLog() {}

    /** The events so far (none when the file is not there yet), up to a line being written. */
    static List<JsonNode> read(Path events) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        if (!Files.exists(events)) return out;
        for (String line : Files.readAllLines(events)) {
            try {
                out.add(JSON.readTree(line));
            } catch (IOException torn) {
                break; // a line being written as we read
            }
        }
        return out;
    }

    /** Task → how many TaskSucceeded lines the log has for it. */
    static Map<String, Integer> succeeded(Path events) throws IOException {
        Map<String, Integer> out = new LinkedHashMap<>();
        for (JsonNode e : read(events)) {
            if (type(e, "TaskSucceeded")) out.merge(e.path("task").asText(), 1, Integer::sum);
        }
        return out;
    }

    static boolean type(JsonNode e, String type) {
        return e.path("type").asText().equals(type);
    }

    /**
     * Checks a resumed run's log: every task succeeded once, and those that had succeeded before the
     * kill ({@code before}) were taken from the journal (TaskRecovered). Returns task → successes.
     */
    static Map<String, Integer> assertNoTaskRanTwice(Path events, Map<String, Integer> before) throws IOException {
        List<JsonNode> log = read(events);
        Map<String, Integer> after = succeeded(events);
        after.forEach((task, n) -> assertEquals(1, n, task + " succeeded " + n + " times; first session: " + before));
        for (String task : before.keySet()) {
            assertTrue(log.stream().anyMatch(e -> type(e, "TaskRecovered") && e.path("task").asText().equals(task)),
                    task + " finished before the kill, so the resumed session takes it from the journal");
        }
        return after;
    }
}
