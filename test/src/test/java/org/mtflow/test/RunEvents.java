package org.mtflow.test;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Predicate;

/** A run's events.jsonl as the crash tests read it, and the kill they make mid-run. */
final class RunEvents {
    private static final ObjectMapper JSON = new ObjectMapper();

    private RunEvents() {}

    /**
     * Runs {@code workflow} straight into {@code straight}; runs it again into {@code killed}, SIGKILLed
     * once {@code killAt} holds for the tasks succeeded so far, then resumes it; checks that no task
     * succeeded twice and that each one finished before the kill was taken from the journal. Both runs
     * are {@code r}, without the cache (only the journal can spare finished work). Returns the tasks
     * that finished before the kill.
     */
    static Map<String, Integer> killResumeAndCheck(Path workflow, Path straight, Path killed,
                                                   Predicate<Map<String, Integer>> killAt) throws Exception {
        return killResumeAndCheck(workflow, straight, killed, killAt, before -> { });
    }

    /** What a test checks between the kill and the resume, given the tasks that finished before the kill. */
    @FunctionalInterface
    interface AfterKill {
        void check(Map<String, Integer> before) throws Exception;
    }

    /** As above, with {@code afterKill} checking the killed run's files before it resumes. */
    static Map<String, Integer> killResumeAndCheck(Path workflow, Path straight, Path killed,
                                                   Predicate<Map<String, Integer>> killAt, AfterKill afterKill) throws Exception {
        Cli.Result reference = Cli.run("run", workflow.toString(), "--home", straight.toString(), "--run-id", "r",
                "--jvm-only", "--no-cache");
        assertEquals(0, reference.exit(), reference.toString());
        Path events = killed.resolve("runs/r/events.jsonl");
        Process p = Cli.start(killed.resolve("first.log"), "run", workflow.toString(), "--home", killed.toString(),
                "--run-id", "r", "--jvm-only", "--no-cache");
        killWhen(p, () -> killAt.test(succeeded(events)));
        Map<String, Integer> before = succeeded(events);
        afterKill.check(before);

        Cli.Result resumed = Cli.run("resume", "r", "--home", killed.toString(), "--jvm-only", "--no-cache");
        assertEquals(0, resumed.exit(), resumed.toString());
        assertNoTaskRanTwice(events, before);
        return before;
    }

    /**
     * Checks a resumed run's log: every task succeeded once, and those that had succeeded before the
     * kill ({@code before}) were taken from the journal (TaskRecovered).
     */
    static void assertNoTaskRanTwice(Path events, Map<String, Integer> before) throws IOException {
        List<JsonNode> log = read(events);
        succeeded(events).forEach((task, n) -> assertEquals(1, n, task + " succeeded " + n + " times; first session: " + before));
        for (String task : before.keySet()) {
            assertTrue(recovered(log, task), task + " finished before the kill, so the resumed session takes it from the journal");
        }
    }

    /** SIGKILLs {@code p} (no shutdown hook, no flush) once {@code until} holds. */
    static void killWhen(Process p, Callable<Boolean> until) throws InterruptedException {
        try {
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(5)).until(until);
        } finally {
            p.destroyForcibly();
            p.waitFor();
        }
    }

    /** Task → how many TaskSucceeded lines the log has for it. */
    static Map<String, Integer> succeeded(Path events) throws IOException {
        Map<String, Integer> out = new LinkedHashMap<>();
        for (JsonNode e : read(events)) {
            if (type(e, "TaskSucceeded")) out.merge(e.path("task").asText(), 1, Integer::sum);
        }
        return out;
    }

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

    static boolean type(JsonNode e, String type) {
        return e.path("type").asText().equals(type);
    }

    /** Whether the log has a TaskRecovered line for {@code task}: the resumed session took it from the journal. */
    static boolean recovered(List<JsonNode> log, String task) {
        return log.stream().anyMatch(e -> type(e, "TaskRecovered") && e.path("task").asText().equals(task));
    }
}
