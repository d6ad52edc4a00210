package org.mtflow.nodes.agent.llm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.mtflow.engine.event.Json;
import org.mtflow.kernels.random.Philox;
import org.mtflow.nodes.NodeRuns;
import org.mtflow.nodes.TestSeeds;
import org.mtflow.nodes.Workflows;

/** agent.llm against a scripted chat-completions server on 127.0.0.1. */
class LlmAgentNodeTest {
    private static final String KEY_ENV = "MTFLOW_TEST_LLM_KEY";
    private static final String KEY = "sk-test-" + HexFormat.of().formatHex(java.nio.ByteBuffer.allocate(8).putLong(TestSeeds.next()).array());

    @RegisterExtension static final NodeRuns runs = new NodeRuns(new LlmAgentNode(Map.of(KEY_ENV, KEY)::get));

    /** util.random with low in [-2, 0] and high in [0.5, 2], shape fixed; util.sleep with ms in 0..5. */
    private static final List<Map<String, Object>> TOOLS = List.of(
            ordered("node", "util.random", "name", "random", "description", "draws 4 uniform floats in [low, high)",
                    "params", ordered("low", Map.of("range", List.of(-2.0, 0.0)), "high", Map.of("range", List.of(0.5, 2.0))),
                    "fixed", Map.of("shape", List.of(4))),
            ordered("node", "util.sleep", "params", Map.of("ms", Map.of("int", List.of(0, 5)))));

    private static Map<String, Object> ordered(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }

    private static Workflows.Task agent(String name, long seed, ScriptedServer server) {
        return Workflows.named(name, seed).task("llm", "agent.llm")
                .with("base-url", server.baseUrl()).with("model", "scripted-model").with("api-key-env", KEY_ENV)
                .with("goal", "find the widest draw").with("system", "you run tools").with("tools", TOOLS)
                .with("timeout", "5s").with("retries", 0);
    }

    private static JsonNode json(NodeRuns.Run run, String output) throws IOException {
        return Json.MAPPER.readTree(Files.readAllBytes(run.artifact("llm", output)));
    }

    private static String error(NodeRuns.Run run) {
        return run.task("llm").path("error").asText();
    }

    /** The tool messages of a request, in order. */
    private static List<JsonNode> toolMessages(ScriptedServer.Request r) {
        List<JsonNode> out = new ArrayList<>();
        r.body().path("messages").forEach(m -> { if (m.path("role").asText().equals("tool")) out.add(m); });
        return out;
    }

    private static String args(double low, double high) {
        return "{\"low\": " + low + ", \"high\": " + high + "}";
    }

    @Test
    void validCallsRunAsSubtasksAndTheirResultsGoBackUntilTheModelAnswers() throws Exception {
        long seed = TestSeeds.next();
        Random rnd = new Random(seed);
        double low1 = -2 * rnd.nextDouble(), high1 = 0.5 + 1.5 * rnd.nextDouble();
        double low2 = -2 * rnd.nextDouble(), high2 = 0.5 + 1.5 * rnd.nextDouble();
        long ms = rnd.nextInt(6), t1 = 1 + rnd.nextInt(500), t2 = 1 + rnd.nextInt(500);
        try (ScriptedServer server = new ScriptedServer(
                ScriptedServer.toolCalls(t1, "random", args(low1, high1), "random", args(low2, high2), "util_sleep", "{\"ms\": " + ms + "}"),
                ScriptedServer.answer("the second draw, echoing " + KEY, t2))) {
            NodeRuns.Run run = runs.run(agent("llm-ok", seed, server).build());
            String msg = "seed=" + seed + ": " + run.report();
            assertTrue(run.outcome().ok(), msg);

            // The subtasks ran with the model's arguments: their tensors are the reference draws.
            double[][] lh = {{low1, high1}, {low2, high2}};
            for (int i = 0; i < 2; i++) {
                String task = "llm/call" + (i + 1);
                assertEquals("succeeded", run.status(task), msg);
                float[] expected = new float[4];
                Philox.fillUniform(expected, seed, Philox.stream("task", task, "random"), 0, (float) lh[i][0], (float) lh[i][1]);
                assertArrayEquals(expected, run.tensor(task, "tensor").data(), msg);
            }
            assertEquals("succeeded", run.status("llm/call3"), msg);
            assertTrue(run.task("llm/call3").path("outputs").has("out"), "util.sleep passes its input through as out: " + msg);

            // What the server saw: the protocol's request, the key as a bearer token, then the tool results.
            List<ScriptedServer.Request> requests = server.requests();
            assertEquals(2, requests.size(), msg);
            for (ScriptedServer.Request r : requests) {
                assertEquals("/v1/chat/completions", r.path());
                assertEquals("Bearer " + KEY, r.authorization());
                assertEquals("scripted-model", r.body().path("model").asText());
                assertEquals("auto", r.body().path("tool_choice").asText());
            }
            JsonNode first = requests.get(0).body();
            assertEquals("system", first.path("messages").get(0).path("role").asText());
            assertEquals("find the widest draw", first.path("messages").get(1).path("content").asText());
            JsonNode random = first.path("tools").get(0).path("function");
            assertEquals("random", random.path("name").asText());
            assertEquals(-2.0, random.path("parameters").path("properties").path("low").path("minimum").asDouble());
            assertEquals(0.0, random.path("parameters").path("properties").path("low").path("maximum").asDouble());
            assertEquals("integer", first.path("tools").get(1).path("function").path("parameters").path("properties").path("ms").path("type").asText());
            List<JsonNode> results = toolMessages(requests.get(1));
            assertEquals(3, results.size(), msg);
            for (int i = 0; i < 3; i++) {
                JsonNode content = Json.MAPPER.readTree(results.get(i).path("content").asText());
                assertEquals("id-" + i, results.get(i).path("tool_call_id").asText());
                assertEquals("llm/call" + (i + 1), content.path("task").asText(), msg);
                assertTrue(content.path("succeeded").asBoolean(), msg);
                if (i < 2) assertEquals(run.hash("llm/call" + (i + 1), "tensor"), content.path("outputs").path("tensor").asText(), msg);
            }

            JsonNode result = json(run, "result");
            assertEquals("answer", result.path("stop").asText(), msg);
            assertEquals("the second draw, echoing [redacted]", result.path("answer").asText(), msg);
            assertEquals(2, result.path("calls").asInt());
            assertEquals(t1 + t2, result.path("tokens").asLong());
            assertEquals(3, result.path("tasks").asInt());
            JsonNode metrics = run.metrics("llm");
            assertEquals("answer", metrics.path("stop").asText(), msg);
            assertEquals(2, metrics.path("calls").asInt(), msg);
            assertEquals(t1 + t2, metrics.path("tokens").asLong(), msg);
            assertEquals(3, metrics.path("tasks").asInt(), msg);
            JsonNode transcript = json(run, "transcript");
            assertEquals(5 + 2, transcript.path("messages").size(), msg); // system, user, assistant, 3 tool results, assistant
            assertEquals("spawned", transcript.path("exchanges").get(0).path("tool-calls").get(2).path("status").asText(), msg);
            assertKeyNowhere(run);
        }
    }

    /** No file the run wrote (report, events, artifacts, the exchange journal) holds the key. */
    private static void assertKeyNowhere(NodeRuns.Run run) throws IOException {
        for (Path root : List.of(run.dir(), run.store().root())) {
            try (Stream<Path> files = Files.walk(root)) {
                for (Path f : files.filter(Files::isRegularFile).toList()) {
                    String text = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
                    assertFalse(text.contains(KEY), () -> f + " holds the API key");
                }
            }
        }
    }

    @Test
    void badCallsAreRefusedWithTheReasonAndNeverRun() throws Exception {
        try (ScriptedServer server = new ScriptedServer(
                ScriptedServer.toolCalls(10,
                        "util_random", "{\"low\": -1, \"high\": 1}",
                        "random", "{\"low\": -2.5, \"high\": 1}",
                        "random", "{\"low\": -1, \"high\": 1, \"seed\": 3}",
                        "random", "{\"low\": \"-1\", \"high\": 1}",
                        "random", "{\"low\": -1, ",
                        "random", "{\"low\": -1}",
                        "util_sleep", "{\"ms\": 2.5}",
                        "util_sleep", "[1]"),
                ScriptedServer.answer("gave up", 5))) {
            NodeRuns.Run run = runs.run(agent("llm-bad", 5, server).build());
            String msg = run.report().toString();
            assertTrue(run.outcome().ok(), msg);
            List<JsonNode> results = toolMessages(server.requests().get(1));
            List<String> expected = List.of(
                    "error: unknown tool 'util_random'; the tools are random, util_sleep",
                    "error: argument 'low' = -2.5 is out of range [-2.0, 0.0]",
                    "error: unknown argument 'seed' for random; its arguments are low, high",
                    "error: argument 'low' must be a number, got \"-1\"",
                    "error: arguments are not valid JSON (Unexpected end-of-input within/between Object entries): {\"low\": -1,",
                    "error: missing argument 'high' for random (a number in [0.5, 2.0])",
                    "error: argument 'ms' must be an integer, got 2.5",
                    "error: arguments must be a JSON object, got [1]");
            assertEquals(expected.size(), results.size(), msg);
            for (int i = 0; i < expected.size(); i++) assertEquals(expected.get(i), results.get(i).path("content").asText(), msg);
            for (int i = 1; i <= expected.size(); i++) {
                assertTrue(run.report().path("tasks").path("llm/call" + i).isMissingNode(), "llm/call" + i + " ran: " + msg);
            }
            JsonNode result = json(run, "result");
            assertEquals(0, result.path("tasks").asInt(), msg);
            assertEquals(expected.size(), result.path("rejected").asInt(), msg);
            JsonNode calls = json(run, "transcript").path("exchanges").get(0).path("tool-calls");
            for (int i = 0; i < expected.size(); i++) {
                assertEquals("rejected", calls.get(i).path("status").asText());
                assertEquals(expected.get(i), "error: " + calls.get(i).path("error").asText());
            }
        }
    }

    @Test
    void aBodyThatIsNotTheProtocolFailsTheTaskNamingWhatIsWrong() throws Exception {
        String[][] cases = {
                {"this is not json", "the answer is not JSON"},
                {"{\"choices\": []}", "the answer has no choices[]"},
                {"{\"choices\": [{\"finish_reason\": \"stop\"}]}", "choices[0] has no message object"},
                {"{\"choices\": [{\"message\": {\"role\": \"assistant\", \"tool_calls\": [{\"id\": \"a\", \"type\": \"function\", \"function\": {\"arguments\": \"{}\"}}]}}]}",
                        "choices[0].message.tool_calls[0].function has no name"},
                {"{\"choices\": [{\"message\": {\"role\": \"assistant\", \"content\": 7}}]}", "choices[0].message.content is not a string"},
        };
        for (String[] c : cases) {
            try (ScriptedServer server = new ScriptedServer(ScriptedServer.body(c[0]))) {
                NodeRuns.Run run = runs.run(agent("llm-malformed", 7, server).build());
                String msg = c[0] + " -> " + run.report();
                assertFalse(run.outcome().ok(), msg);
                assertTrue(error(run).startsWith("permanent: call 1 to " + server.baseUrl() + "/chat/completions: " + c[1]), msg);
                assertEquals(1, server.requests().size(), msg);
            }
        }
    }

    @Test
    void aRefusalEndsTheLoopAndIsRecordedAsSuch() throws Exception {
        for (String kind : List.of("refusal", "content_filter")) {
            var message = Json.MAPPER.createObjectNode().put("role", "assistant");
            if (kind.equals("refusal")) message.putNull("content").put("refusal", "I can't help with that.");
            else message.put("content", "[filtered]");
            String body = ScriptedServer.reply(message, kind.equals("refusal") ? "stop" : "content_filter", 9).toString();
            try (ScriptedServer server = new ScriptedServer(ScriptedServer.body(body))) {
                NodeRuns.Run run = runs.run(agent("llm-refusal", 9, server).build());
                String msg = kind + ": " + run.report();
                assertTrue(run.outcome().ok(), msg);
                JsonNode result = json(run, "result");
                assertEquals("refusal", result.path("stop").asText(), msg);
                assertEquals(kind.equals("refusal") ? "I can't help with that." : "[filtered]", result.path("refusal").asText(), msg);
                assertTrue(result.path("answer").isNull(), msg);
                assertEquals("refusal", run.metrics("llm").path("stop").asText(), msg);
            }
        }
    }

    @Test
    void aServerThatNeverAnswersFailsClearlyAfterItsRetries() throws Exception {
        try (ScriptedServer s = ScriptedServer.hanging()) {
            NodeRuns.Run run = runs.run(agent("llm-hang", 3, s).with("timeout", "300ms").with("retries", 1).build());
            String msg = run.report().toString();
            assertFalse(run.outcome().ok(), msg);
            assertEquals("transient: " + s.baseUrl() + "/chat/completions: no answer within 300ms (2 tries; raise timeout or retries)", error(run), msg);
            assertEquals(2, s.requests().size(), msg);
        }
    }

    @Test
    void serverErrorsAndRateLimitsAreTriedAgain() throws Exception {
        try (ScriptedServer server = new ScriptedServer(ScriptedServer.status(503, "busy"), ScriptedServer.status(429, "slow down"),
                ScriptedServer.answer("fine", 1))) {
            NodeRuns.Run run = runs.run(agent("llm-retry", 4, server).with("retries", 2).build());
            assertTrue(run.outcome().ok(), run.report().toString());
            assertEquals(3, server.requests().size());
            assertEquals("fine", json(run, "result").path("answer").asText());
        }
        try (ScriptedServer server = new ScriptedServer(ScriptedServer.status(401, "{\"error\": \"bad key " + KEY + "\"}"))) {
            NodeRuns.Run run = runs.run(agent("llm-401", 4, server).with("retries", 2).build());
            assertFalse(run.outcome().ok(), run.report().toString());
            assertEquals(1, server.requests().size(), "a 401 is not tried again");
            assertTrue(error(run).contains("answered HTTP 401 {\"error\": \"bad key [redacted]\"} (check the key"), error(run));
            assertKeyNowhere(run);
        }
    }

    @Test
    void eachLimitStopsTheLoopWithItsReason() throws Exception {
        long seed = TestSeeds.next();
        Random rnd = new Random(seed);
        String a = args(-rnd.nextDouble(), 1 + rnd.nextDouble()), b = args(-rnd.nextDouble(), 1 + rnd.nextDouble());
        record Case(String limit, long value, ScriptedServer.Answer[] script, int spawned, String notRun) {}
        List<Case> cases = List.of(
                // the second answer is the last call allowed: its tool call is not run
                new Case("calls", 2, new ScriptedServer.Answer[] {ScriptedServer.toolCalls(10, "random", a), ScriptedServer.toolCalls(10, "random", b)}, 1, "the calls limit is reached"),
                // 100 + 100 tokens pass 150 after the second answer
                new Case("tokens", 150, new ScriptedServer.Answer[] {ScriptedServer.toolCalls(100, "random", a), ScriptedServer.toolCalls(100, "random", b)}, 1, "the tokens limit is reached"),
                // two tool calls per answer: the fourth is one too many
                new Case("tasks", 3, new ScriptedServer.Answer[] {ScriptedServer.toolCalls(10, "random", a, "random", b), ScriptedServer.toolCalls(10, "random", b, "random", a)}, 3,
                        "the tasks limit (3 tool calls) is reached"));
        for (Case c : cases) {
            try (ScriptedServer server = new ScriptedServer(c.script())) {
                NodeRuns.Run run = runs.run(agent("llm-limit-" + c.limit(), seed, server).with("limits", Map.of(c.limit(), c.value())).build());
                String msg = "seed=" + seed + " " + c.limit() + ": " + run.report();
                assertTrue(run.outcome().ok(), msg);
                assertEquals(2, server.requests().size(), msg);
                JsonNode result = json(run, "result");
                assertEquals(c.limit(), result.path("stop").asText(), msg);
                assertEquals(c.spawned(), result.path("tasks").asInt(), msg);
                assertEquals(c.limit(), run.metrics("llm").path("stop").asText(), msg);
                for (int i = 1; i <= c.spawned(); i++) assertEquals("succeeded", run.status("llm/call" + i), msg);
                assertTrue(run.report().path("tasks").path("llm/call" + (c.spawned() + 1)).isMissingNode(), msg);
                JsonNode last = json(run, "transcript").path("exchanges").get(1).path("tool-calls");
                JsonNode notRun = last.get(last.size() - 1);
                assertEquals("not-run", notRun.path("status").asText(), msg);
                assertEquals(c.notRun(), notRun.path("error").asText(), msg);
            }
        }
    }

    @Test
    void aRetriedAttemptReplaysTheJournalInsteadOfAskingAgain() throws Exception {
        long seed = TestSeeds.next();
        Random rnd = new Random(seed);
        String a = args(-rnd.nextDouble(), 1 + rnd.nextDouble()), b = args(-rnd.nextDouble(), 1 + rnd.nextDouble());
        String cleanTranscript;
        try (ScriptedServer clean = new ScriptedServer(ScriptedServer.toolCalls(20, "random", a),
                ScriptedServer.toolCalls(30, "random", b, "util_sleep", "{\"ms\": 1}"), ScriptedServer.answer("b was wider", 40))) {
            NodeRuns.Run run = runs.run(agent("llm-clean", seed, clean).build());
            assertTrue(run.outcome().ok(), run.report().toString());
            cleanTranscript = run.hash("llm", "transcript");
        }
        // The third request fails (retries: 0): the engine's retry asks only that one again.
        try (ScriptedServer flaky = new ScriptedServer(ScriptedServer.toolCalls(20, "random", a),
                ScriptedServer.toolCalls(30, "random", b, "util_sleep", "{\"ms\": 1}"), ScriptedServer.status(500, "{\"error\": \"overloaded\"}"),
                ScriptedServer.answer("b was wider", 40))) {
            NodeRuns.Run run = runs.run(agent("llm-flaky", seed, flaky).retry(2).build());
            String msg = "seed=" + seed + ": " + run.report();
            assertTrue(run.outcome().ok(), msg);
            assertEquals(2, run.attempts("llm"), msg);
            for (int i = 1; i <= 3; i++) assertEquals(1, run.attempts("llm/call" + i), msg);
            List<ScriptedServer.Request> requests = flaky.requests();
            assertEquals(4, requests.size(), msg);
            assertEquals(requests.get(2).body(), requests.get(3).body(), "the retry asks the failed call again, the same way");
            assertFalse(requests.get(0).body().equals(requests.get(1).body()), msg);
            assertEquals(cleanTranscript, run.hash("llm", "transcript"), msg);
            JsonNode result = json(run, "result");
            assertEquals(90, result.path("tokens").asLong(), "replayed answers count their tokens: " + msg);
            assertEquals(3, result.path("calls").asInt(), msg);
        }
    }

    @Test
    void anAgentSpawnedDeeperThanItsDepthLimitRefusesToStart() throws Exception {
        for (long depth : new long[] {0, 1}) {
            try (ScriptedServer server = new ScriptedServer(ScriptedServer.answer("nothing to do", 3))) {
                Map<String, Object> params = ordered("base-url", server.baseUrl(), "model", "m", "api-key-env", KEY_ENV, "goal", "g",
                        "tools", TOOLS, "limits", Map.of("depth", depth));
                NodeRuns.Run run = runs.run(Workflows.named("llm-depth", 1).task("m", "util.map").with("node", "agent.llm")
                        .with("each", List.of(params)).build());
                String msg = "depth " + depth + ": " + run.report();
                if (depth == 0) {
                    assertEquals("failed", run.status("m/0"), msg);
                    assertEquals("permanent: agent.llm task m/0 is at spawn depth 1, over limits.depth 0 (raise limits.depth to let agents start agents)",
                            run.task("m/0").path("error").asText(), msg);
                    assertTrue(server.requests().isEmpty(), msg);
                } else {
                    assertTrue(run.outcome().ok(), msg);
                    assertEquals("answer", run.metrics("m/0").path("stop").asText(), msg);
                }
            }
        }
    }

    @Test
    void badParamsAreRejectedBeforeTheRun() throws Exception {
        try (ScriptedServer server = new ScriptedServer()) {
            Map<String, String> cases = new LinkedHashMap<>();
            cases.put("base-url=file:///etc/passwd", "base-url must be an http:// or https:// URL with a host");
            cases.put("limits={steps: 3}", "limits: unknown limit 'steps'; the limits are calls, tokens, tasks, depth");
            cases.put("limits={calls: 0}", "limits.calls must be >= 1, got 0");
            cases.put("api-key-env=sk-live-123", "api-key-env must be an environment variable's name");
            cases.put("tools=[{node: util.random, params: {low: {range: [1, 0]}}}]", "tools[0].params.low: low: range needs finite lo < hi");
            cases.put("tools=[{node: util.random, steps: 3}]", "tools[0]: unknown key 'steps'");
            cases.put("tools=[{node: util.random, params: {low: {range: [0, 1]}}, fixed: {low: 0.5}}]", "tools[0]: param 'low' is both in params and in fixed");
            cases.put("tools=[{node: util.random}, {node: util.random}]", "tools[1]: a second tool named 'util_random'");
            cases.put("timeout=soon", "timeout 'soon' is not a duration");
            cases.put("tools=[{node: util.randon}]", "tools[0].node: unknown node type 'util.randon'; did you mean 'util.random'?");
            cases.put("tools=[{node: util.random, fixed: {shapes: [4]}}]", "tools[0]: util.random has no param 'shapes'; did you mean 'shape'?");
            cases.put("tools=[{node: util.random, params: {low: {range: [0, 1]}}}]", "tools[0]: util.random needs param 'shape': put it in params or fixed");
            cases.put("tools=[{node: util.sum}]", "tools[0]: input 'values' of util.sum must come from inputs (indices into x) or from-calls");
            cases.put("tools=[{node: util.sum, from-calls: [value]}]", "tools[0]: util.sum has no input 'value'; its inputs are values");
            for (Map.Entry<String, String> c : cases.entrySet()) {
                String[] kv = c.getKey().split("=", 2);
                Object value = kv[1].startsWith("[") || kv[1].startsWith("{")
                        ? new com.fasterxml.jackson.databind.ObjectMapper(new com.fasterxml.jackson.dataformat.yaml.YAMLFactory()).readValue(kv[1], Object.class) : kv[1];
                var spec = agent("llm-invalid", 1, server).with(kv[0], value).build();
                var problems = runs.engine().validate(spec);
                String text = problems.stream().map(p -> p.text()).toList().toString();
                assertEquals(1, problems.size(), c.getKey() + ": " + text);
                assertTrue(text.contains(c.getValue()), c.getKey() + ": " + text);
            }
        }
    }

    @Test
    void theKeyIsNotSentInClearToAnotherMachine() throws Exception {
        try (ScriptedServer server = new ScriptedServer()) {
            // 192.0.2.0/24 is TEST-NET-1: nothing answers there, and nothing is asked
            NodeRuns.Run run = runs.run(agent("llm-http", 1, server).with("base-url", "http://192.0.2.7:8080/v1").build());
            assertFalse(run.outcome().ok(), run.report().toString());
            assertEquals("permanent: base-url http://192.0.2.7:8080/v1 is plain http to another machine: the key in " + KEY_ENV
                    + " would travel in clear; use https, or set allow-http-key: true on a network you trust", error(run));
        }
        assertTrue(ChatClient.safeForKey("https://api.example.com/v1"));
        assertTrue(ChatClient.safeForKey("http://localhost:8080/v1"));
        assertTrue(ChatClient.safeForKey("http://[::1]:8080/v1"));
        assertTrue(ChatClient.safeForKey("http://127.0.0.1:8080/v1"));
        assertFalse(ChatClient.safeForKey("http://127.0.0.1.example.com/v1"), "a name, not the loopback address");
        assertFalse(ChatClient.safeForKey("http://10.0.0.5/v1"));
    }

    @Test
    void aKeyVariableThatIsNotSetIsAClearError() throws Exception {
        try (ScriptedServer server = new ScriptedServer(ScriptedServer.answer("unused", 1))) {
            NodeRuns.Run run = runs.run(agent("llm-nokey", 1, server).with("api-key-env", "MTFLOW_TEST_UNSET_KEY").build());
            assertFalse(run.outcome().ok(), run.report().toString());
            assertTrue(error(run).contains("api-key-env names MTFLOW_TEST_UNSET_KEY, which is not set"), error(run));
            assertTrue(server.requests().isEmpty());
        }
    }

    @Test
    void aToolTakesAnEarlierCallsOutputAsItsInput() throws Exception {
        long seed = TestSeeds.next();
        List<Map<String, Object>> tools = List.of(TOOLS.get(0), ordered("node", "util.sum", "name", "sum", "from-calls", List.of("values")));
        try (ScriptedServer server = new ScriptedServer(ScriptedServer.toolCalls(5, "random", args(-1, 1)),
                ScriptedServer.toolCalls(5, "sum", "{\"values\": \"call2.tensor\"}", "sum", "{\"values\": \"call1.tensor\"}"),
                ScriptedServer.answer("same", 5))) {
            NodeRuns.Run run = runs.run(agent("llm-chain", seed, server).with("tools", tools).build());
            String msg = "seed=" + seed + ": " + run.report();
            assertTrue(run.outcome().ok(), msg);
            List<JsonNode> results = toolMessages(server.requests().get(2));
            assertEquals("error: argument 'values' = \"call2.tensor\" names no earlier call; the calls so far are call1", results.get(1).path("content").asText(), msg);
            // the sum of one tensor is that tensor, byte for byte
            assertEquals(run.hash("llm/call1", "tensor"), run.hash("llm/call2", "tensor"), msg);
            assertTrue(run.report().path("tasks").path("llm/call3").isMissingNode(), msg);
        }
    }

    @Test
    void anAnswerTooLargeForAChatCompletionIsRefusedUnread() throws Exception {
        String huge = "{\"pad\": \"" + "x".repeat(ChatClient.MAX_BODY) + "\"}";
        try (ScriptedServer server = new ScriptedServer(ScriptedServer.body(huge))) {
            NodeRuns.Run run = runs.run(agent("llm-huge", 2, server).with("retries", 2).build());
            assertFalse(run.outcome().ok(), run.report().toString());
            assertEquals("permanent: " + server.baseUrl() + "/chat/completions sent an answer over 16 MiB; that is no chat completion", error(run));
            assertEquals(1, server.requests().size(), "not tried again");
        }
    }

    @Test
    void anAnswerCutAtMaxTokensStopsWithLength() throws Exception {
        var message = Json.MAPPER.createObjectNode().put("role", "assistant").put("content", "the best lam");
        try (ScriptedServer server = new ScriptedServer(ScriptedServer.body(ScriptedServer.reply(message, "length", 64).toString()))) {
            NodeRuns.Run run = runs.run(agent("llm-length", 2, server).with("max-tokens", 64).build());
            assertTrue(run.outcome().ok(), run.report().toString());
            assertEquals(64, server.requests().get(0).body().path("max_tokens").asInt());
            JsonNode result = json(run, "result");
            assertEquals("length", result.path("stop").asText());
            assertEquals("the best lam", result.path("answer").asText());
        }
    }
}
