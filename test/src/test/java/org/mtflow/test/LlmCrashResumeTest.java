package org.mtflow.test;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An agent.llm run killed with SIGKILL while its third request waits for an answer, then resumed: the
 * resumed attempt replays the two recorded answers (the server sees no repeat of them), gets its two
 * subtasks back with the same outputs, asks the third question again, and ends with the transcript
 * of an uninterrupted run.
 */
class LlmCrashResumeTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String WORKFLOW = """
            name: llm-crash
            seed: 11
            params: {base-url: "http://127.0.0.1:1/v1"}
            tasks:
              agent:
                type: agent.llm
                with:
                  base-url: "${params.base-url}"
                  model: scripted
                  goal: draw twice, then say so
                  timeout: 5m
                  retries: 0
                  tools:
                    - {node: util.random, name: random, params: {low: {range: [-1, 0]}}, fixed: {shape: [8], high: 1.0}}
            """;

    @TempDir
    Path killed;
    @TempDir
    Path straight;

    /** Answers two tool calls, then (on {@code hold}) keeps the third request open until released, then answers. */
    private static final class Model implements AutoCloseable {
        final List<JsonNode> requests = Collections.synchronizedList(new ArrayList<>());
        final CountDownLatch released = new CountDownLatch(1);
        final HttpServer server;

        Model(boolean hold) throws IOException {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.setExecutor(Executors.newCachedThreadPool());
            server.createContext("/v1/chat/completions", ex -> {
                int n;
                synchronized (requests) {
                    requests.add(JSON.readTree(ex.getRequestBody().readAllBytes()));
                    n = requests.size();
                }
                if (hold && n == 3) {
                    try {
                        released.await(); // the run is killed while it waits here
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    ex.close();
                    return;
                }
                ChatAnswers.send(ex, n <= 2 ? ChatAnswers.toolCall("c" + n, "random", "{\"low\": -0." + n + "}") : ChatAnswers.answer("drew twice"), 10);
            });
            server.start();
        }

        String baseUrl() {
            return "base-url=http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
        }

        @Override
        public void close() {
            released.countDown();
            server.stop(0);
        }
    }

    @Test
    void aKilledAgentResumesFromItsJournalWithoutAskingAnsweredQuestionsAgain() throws Exception {
        Path workflow = Files.writeString(straight.resolve("llm-crash.yaml"), WORKFLOW);
        String reference;
        JsonNode referenceTasks;
        try (Model model = new Model(false)) {
            Cli.Result r = Cli.run("run", workflow.toString(), "--home", straight.toString(), "--run-id", "r", "--jvm-only", "--no-cache",
                    "--param", model.baseUrl());
            assertEquals(0, r.exit(), r.toString());
            assertEquals(3, model.requests.size());
            referenceTasks = JSON.readTree(straight.resolve("runs/r/report.json").toFile()).path("tasks");
            reference = referenceTasks.path("agent").path("outputs").path("transcript").asText();
        }

        try (Model model = new Model(true)) {
            Process p = Cli.start(killed.resolve("first.log"), "run", workflow.toString(), "--home", killed.toString(), "--run-id", "r",
                    "--jvm-only", "--no-cache", "--param", model.baseUrl());
            try {
                await().atMost(Duration.ofMinutes(2)).until(() -> model.requests.size() == 3);
            } finally {
                p.destroyForcibly(); // SIGKILL while the third request waits
                p.waitFor();
            }
            Cli.Result resumed = Cli.run("resume", "r", "--home", killed.toString(), "--jvm-only", "--no-cache");
            assertEquals(0, resumed.exit(), resumed.toString() + "\nfirst session:\n" + Files.readString(killed.resolve("first.log")));

            List<JsonNode> requests = List.copyOf(model.requests);
            assertEquals(4, requests.size(), "only the unanswered third request is sent again");
            assertEquals(requests.get(2), requests.get(3), "the same question, asked again");
            JsonNode report = JSON.readTree(killed.resolve("runs/r/report.json").toFile());
            JsonNode tasks = report.path("tasks");
            assertEquals("succeeded", tasks.path("agent").path("status").asText(), report.toPrettyString());
            assertEquals(2, report.path("sessions").asInt());
            // The resumed session (its events are whole; the killed one's may lag) takes both subtasks from the
            // run journal: the agent heard of each only once the journal held it, so neither runs again.
            List<JsonNode> resumedEvents = new ArrayList<>();
            for (String line : Files.readAllLines(killed.resolve("runs/r/events.jsonl"))) {
                JsonNode e;
                try {
                    e = JSON.readTree(line);
                } catch (IOException torn) {
                    continue; // the line the kill cut
                }
                if (e.path("type").asText().equals("RunStarted")) resumedEvents.clear();
                resumedEvents.add(e);
            }
            for (String call : List.of("agent/call1", "agent/call2")) {
                List<String> types = resumedEvents.stream().filter(e -> e.path("task").asText().equals(call)).map(e -> e.path("type").asText()).toList();
                assertTrue(types.contains("TaskRecovered") && !types.contains("TaskSucceeded"), call + " in the resumed session: " + types);
                assertEquals(referenceTasks.path(call).path("outputs"), tasks.path(call).path("outputs"), call);
            }
            assertEquals(reference, tasks.path("agent").path("outputs").path("transcript").asText(), "the transcript of the uninterrupted run");
            assertEquals("answer", tasks.path("agent").path("metrics").path("stop").asText());
            assertTrue(tasks.path("agent/call2").path("outputs").has("tensor"));
        }
    }
}
