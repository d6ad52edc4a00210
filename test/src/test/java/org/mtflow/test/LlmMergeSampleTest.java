package org.mtflow.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * samples/llm-merge.yaml through the real command, the model being a scripted chat-completions server
 * in this JVM: it merges (TIES), predicts, scores, then answers with the accuracy it was sent back. The
 * key goes in the environment and must reach the server as a bearer token and nowhere else.
 */
class LlmMergeSampleTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path SAMPLE = Cli.REPO.resolve("samples/llm-merge.yaml");

    @TempDir
    Path home;

    @Test
    void theModelsToolCallsRunAsSubtasksAndItsAnswerReadsTheirMetrics() throws Exception {
        String key = "sk-e2e-" + UUID.randomUUID();
        List<JsonNode> requests = Collections.synchronizedList(new ArrayList<>());
        List<String> auth = Collections.synchronizedList(new ArrayList<>());
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/chat/completions", ex -> {
            JsonNode request = JSON.readTree(ex.getRequestBody().readAllBytes());
            requests.add(request);
            auth.add(ex.getRequestHeaders().getFirst("Authorization"));
            ObjectNode message = switch (requests.size()) {
                case 1 -> ChatAnswers.toolCall("c1", "merge_ties", "{\"lambda\": 0.4, \"density\": 0.5}");
                case 2 -> ChatAnswers.toolCall("c2", "model_predict", "{\"model\": \"call1.model\"}");
                case 3 -> ChatAnswers.toolCall("c3", "eval_metrics", "{\"predictions\": \"call2.predictions\"}");
                default -> {
                    // the answer quotes what the last tool result said
                    JsonNode messages = request.path("messages");
                    JsonNode scored = JSON.readTree(messages.get(messages.size() - 1).path("content").asText());
                    yield ChatAnswers.answer("lambda 0.4, density 0.5: accuracy " + scored.path("metrics").path("accuracy").asDouble());
                }
            };
            ChatAnswers.send(ex, message, 100);
        });
        server.start();
        try {
            String baseUrl = "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
            Cli.Result r = Cli.run(Map.of("OPENAI_API_KEY", key), "run", SAMPLE.toString(), "--home", home.toString(), "--run-id", "llm",
                    "--param", "base-url=" + baseUrl, "--param", "model=scripted", "--param", "epochs=1", "--param", "fraction=0.05");
            assertEquals(0, r.exit(), r.toString());
            JsonNode report = JSON.readTree(home.resolve("runs/llm/report.json").toFile());
            JsonNode tasks = report.path("tasks");
            assertEquals("succeeded", tasks.path("agent").path("status").asText(), report.toPrettyString());
            // each call ran its tool's node type: a merged model, its predictions, their metrics
            assertTrue(tasks.path("agent/call1").path("outputs").has("model"), report.toPrettyString());
            assertTrue(tasks.path("agent/call2").path("outputs").has("predictions"), report.toPrettyString());
            assertTrue(tasks.path("agent/call3").path("outputs").has("metrics"), report.toPrettyString());
            double accuracy = tasks.path("agent/call3").path("metrics").path("accuracy").asDouble(-1);
            assertTrue(accuracy > 0 && accuracy <= 1, "accuracy " + accuracy);
            JsonNode metrics = tasks.path("agent").path("metrics");
            assertEquals("answer", metrics.path("stop").asText(), metrics.toString());
            assertEquals(4, metrics.path("calls").asInt());
            assertEquals(3, metrics.path("tasks").asInt());
            assertEquals(4, requests.size());
            for (String a : auth) assertEquals("Bearer " + key, a);
            // the merge got the model's arguments under parameters
            JsonNode sent = JSON.readTree(requests.get(1).path("messages").get(requests.get(1).path("messages").size() - 1).path("content").asText());
            assertEquals(tasks.path("agent/call1").path("outputs").path("model").asText(), sent.path("outputs").path("model").asText());

            String result = Files.readString(artifact(tasks.path("agent").path("outputs").path("result").asText()));
            assertTrue(result.contains("\"answer\" : \"lambda 0.4, density 0.5: accuracy " + accuracy + "\""), result);

            assertFalse((r.out() + r.err()).contains(key), "the command's output holds the key");
            try (Stream<Path> files = Files.walk(home)) {
                for (Path f : files.filter(Files::isRegularFile).toList()) {
                    if (Files.size(f) > (64 << 20)) continue; // tensors: the key is text in JSON files
                    assertFalse(new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1).contains(key), f + " holds the key");
                }
            }
        } finally {
            server.stop(0);
        }
    }

    /** The store's file of an artifact: it is named by its SHA-256. */
    private Path artifact(String sha256) throws IOException {
        try (Stream<Path> files = Files.walk(home)) {
            return files.filter(f -> f.getFileName().toString().equals(sha256)).findFirst().orElseThrow();
        }
    }
}
