package org.mtflow.test;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code mtflow cancel} against a real {@code mtflow run} process under the same home, and what it
 * says when there is no such run or no process running it.
 */
class CancelCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path WORKFLOW = Cli.REPO.resolve("test/src/test/resources/workflows/cancel.yaml");

    @TempDir
    Path home;

    @Test
    void cancelEndsARunThatAnotherProcessIsRunning() throws Exception {
        Path log = home.resolve("run.log");
        Process run = Cli.start(log, "run", WORKFLOW.toString(), "--home", home.toString(), "--run-id", "c",
                "--jvm-only", "--progress", "plain");
        try {
            Path events = home.resolve("runs/c/events.jsonl");
            // 'slow' (ten minutes) has started.
            await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(50))
                    .until(() -> Files.exists(events) && Files.readAllLines(events).stream()
                            .anyMatch(l -> l.contains("\"TaskStarted\"") && l.contains("\"slow\"")));

            Cli.Result cancel = Cli.run("cancel", "c", "--home", home.toString(), "--reason", "not needed");
            assertEquals(0, cancel.exit(), cancel.toString());
            assertEquals("run c cancelled\n", cancel.out(), cancel.toString());

            assertTrue(run.waitFor(30, TimeUnit.SECONDS), "the run process ends once cancelled");
            String out = Files.readString(log);
            assertEquals(1, run.exitValue(), out);
            assertTrue(out.lines().anyMatch(l -> l.startsWith("run c cancelled in ")
                    && l.endsWith(": 1 done, 0 cached, 0 failed, 2 skipped")), out);
        } finally {
            run.destroyForcibly();
            run.waitFor();
        }
        JsonNode report = JSON.readTree(home.resolve("runs/c/report.json").toFile());
        assertEquals("cancelled", report.path("status").asText());
        JsonNode tasks = report.path("tasks");
        assertEquals("succeeded", tasks.path("first").path("status").asText());
        for (String id : new String[] {"slow", "after"}) {
            assertEquals("skipped", tasks.path(id).path("status").asText(), id);
            assertEquals("run cancelled: not needed", tasks.path(id).path("reason").asText(), id);
        }
        assertEquals(1, tasks.path("slow").path("attempts").asInt());
        assertEquals(0, tasks.path("after").path("attempts").asInt(), "nothing started after the cancel");
        assertFalse(Files.exists(home.resolve("runs/c/cancel")), "the request was taken");

        // Nobody runs it now: the request is not taken, and is not left behind.
        Cli.Result again = Cli.run("cancel", "c", "--home", home.toString(), "--wait", "1");
        assertEquals(1, again.exit(), again.toString());
        assertTrue(again.err().contains("error: no process is running run c under " + home.toAbsolutePath().normalize()
                + " (its report says: cancelled)"), again.toString());
        assertFalse(Files.exists(home.resolve("runs/c/cancel")));
    }

    @Test
    void anUnknownRunAndABadIdAreErrors() throws IOException, InterruptedException {
        Cli.Result unknown = Cli.run("cancel", "nosuch", "--home", home.toString());
        assertEquals(1, unknown.exit(), unknown.toString());
        assertTrue(unknown.err().contains("error: no run 'nosuch' (" + home.toAbsolutePath().normalize().resolve("runs/nosuch")
                + " is missing)"), unknown.toString());

        Cli.Result bad = Cli.run("cancel", "../x", "--home", home.toString());
        assertEquals(2, bad.exit(), bad.toString());
        assertTrue(bad.err().contains("'../x' is not a valid run id"), bad.toString());
    }
}
