package org.mtflow.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The flagship workflow through the real command: report, events, cache, and the device it chose. */
class HelloWorkflowTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path HELLO = Cli.REPO.resolve("samples/hello.yaml");

    @TempDir
    Path home;

    @Test
    void helloRunsReportsFashionMnistClassCountsAndIsCachedTheSecondTime() throws Exception {
        Cli.Result first = Cli.run("run", HELLO.toString(), "--home", home.toString(), "--run-id", "first",
                "--param", "size=256");
        assertEquals(0, first.exit(), first.toString());
        Path dir = home.resolve("runs/first");
        JsonNode report = JSON.readTree(dir.resolve("report.json").toFile());
        assertEquals("succeeded", report.path("status").asText(), report.toPrettyString());

        JsonNode stats = report.path("tasks").path("stats");
        assertEquals("succeeded", stats.path("status").asText());
        JsonNode metrics = stats.path("metrics");
        assertEquals(60000, metrics.path("train").path("examples").asInt(), metrics.toPrettyString());
        assertEquals(10000, metrics.path("test").path("examples").asInt(), metrics.toPrettyString());
        for (String split : List.of("train", "test")) {
            JsonNode counts = metrics.path(split).path("class-counts");
            assertEquals(10, counts.size(), counts.toString());
            counts.fields().forEachRemaining(e -> assertEquals(split.equals("train") ? 6000 : 1000,
                    e.getValue().asInt(), split + " " + e.getKey()));
        }
        for (String task : List.of("fashion", "stats", "a", "b", "product")) {
            JsonNode t = report.path("tasks").path(task);
            assertEquals("succeeded", t.path("status").asText(), task);
            assertEquals(1, t.path("attempts").asInt(), task);
            assertTrue(t.path("device").isTextual(), task);
            t.path("outputs").fields().forEachRemaining(o -> assertTrue(o.getValue().asText().matches("[0-9a-f]{64}")));
            assertTrue(Files.isRegularFile(home.resolve("store/objects")
                    .resolve(t.path("outputs").elements().next().asText().substring(0, 2))
                    .resolve(t.path("outputs").elements().next().asText())), task);
        }
        JsonNode product = report.path("tasks").path("product");
        if (Files.exists(Path.of("/etc/OpenCL/vendors/pocl.icd"))) {
            assertTrue(product.path("device").asText().startsWith("opencl"), "the best device is OpenCL: " + product);
            assertTrue(product.path("metrics").path("backend").asText().startsWith("opencl"), product.toString());
        }
        assertTrue(Files.readString(dir.resolve("spec.yaml")).contains("util.matmul"));

        // events.jsonl: one JSON object per line, each with type, time and run; task events name the task.
        List<String> lines = Files.readAllLines(dir.resolve("events.jsonl"));
        Set<String> types = new HashSet<>();
        for (String line : lines) {
            JsonNode e = JSON.readTree(line);
            types.add(e.path("type").asText());
            assertTrue(e.path("time").isTextual() && e.path("run").asText().equals("first"), line);
            if (e.path("type").asText().startsWith("Task")) assertTrue(e.path("task").isTextual(), line);
        }
        assertTrue(types.containsAll(Set.of("RunStarted", "TaskQueued", "TaskStarted", "TaskSucceeded", "RunFinished")), types.toString());

        Cli.Result second = Cli.run("run", HELLO.toString(), "--home", home.toString(), "--run-id", "second",
                "--param", "size=256");
        assertEquals(0, second.exit(), second.toString());
        JsonNode again = JSON.readTree(home.resolve("runs/second/report.json").toFile());
        again.path("tasks").fields().forEachRemaining(e -> {
            assertEquals("cached", e.getValue().path("status").asText(), e.getKey());
            assertEquals(report.path("tasks").path(e.getKey()).path("outputs"), e.getValue().path("outputs"), e.getKey());
        });
        assertEquals(metrics, again.path("tasks").path("stats").path("metrics"));
    }

    @Test
    void retriesAndFailuresSetTheExitCode() throws Exception {
        Cli.Result r = Cli.run("run", InvalidWorkflowTest.WORKFLOWS.resolve("retry.yaml").toString(),
                "--home", home.toString(), "--run-id", "retry");
        assertEquals(1, r.exit(), r.toString());
        JsonNode report = JSON.readTree(home.resolve("runs/retry/report.json").toFile());
        assertEquals("failed", report.path("status").asText());
        assertEquals("succeeded", report.path("tasks").path("flaky").path("status").asText());
        assertEquals(3, report.path("tasks").path("flaky").path("attempts").asInt());
        assertEquals("failed", report.path("tasks").path("never").path("status").asText());
        assertEquals(2, report.path("tasks").path("never").path("attempts").asInt());
        assertEquals("skipped", report.path("tasks").path("after").path("status").asText());
        assertEquals("succeeded", report.path("tasks").path("a").path("status").asText());
    }

    @Test
    void finishedWorkSurvivesACrashAndIsNotRecomputed() throws Exception {
        Path crash = InvalidWorkflowTest.WORKFLOWS.resolve("crash.yaml");
        Cli.Result dead = Cli.run("run", crash.toString(), "--home", home.toString(), "--run-id", "crash");
        assertEquals(137, dead.exit(), "util.flaky exit:true halts the JVM\n" + dead);
        List<String> events = Files.readAllLines(home.resolve("runs/crash/events.jsonl"));
        for (String line : events) {
            JsonNode e = JSON.readTree(line); // every line written before the crash is whole
            // The log claims no more than the journal and store hold (it may lag them by a moment).
            if (e.path("type").asText().equals("TaskSucceeded")) {
                String sha = e.path("outputs").elements().next().asText();
                assertTrue(Files.isRegularFile(home.resolve("store/objects").resolve(sha.substring(0, 2)).resolve(sha)), line);
            }
        }

        Cli.Result after = Cli.run("run", crash.toString(), "--home", home.toString(), "--run-id", "after",
                "--param", "crash=false");
        assertEquals(0, after.exit(), after.toString());
        JsonNode report = JSON.readTree(home.resolve("runs/after/report.json").toFile());
        assertEquals("cached", report.path("tasks").path("a").path("status").asText(), "a finished before the crash");
        assertEquals("succeeded", report.path("tasks").path("crash").path("status").asText());
    }
}
