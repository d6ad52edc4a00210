package org.mtflow.nodes.agent.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.mtflow.engine.event.Json;

/**
 * A chat-completions endpoint on 127.0.0.1 that answers each POST to {@code /v1/chat/completions} with
 * the next entry of its script, and records every request (body and Authorization header). Past the
 * end of the script it answers 500, which a test sees as a failed run.
 */
final class ScriptedServer implements AutoCloseable {

    /** One scripted answer. */
    @FunctionalInterface
    interface Answer {
        void answer(HttpExchange exchange) throws IOException, InterruptedException;
    }

    /** A request as the server saw it. */
    record Request(JsonNode body, String authorization, String path) {}

    private final HttpServer server;
    private final ExecutorService pool = Executors.newCachedThreadPool();
    private final List<Answer> script;
    private final List<Request> requests = Collections.synchronizedList(new ArrayList<>());
    private final CountDownLatch released = new CountDownLatch(1);

    private final boolean hangs;

    ScriptedServer(Answer... script) throws IOException {
        this(false, script);
    }

    /** A server that takes every request and never answers until it closes: a hung endpoint. */
    static ScriptedServer hanging() throws IOException {
        return new ScriptedServer(true);
    }

    private ScriptedServer(boolean hangs, Answer... script) throws IOException {
        this.hangs = hangs;
        this.script = List.of(script);
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(pool);
        server.createContext("/", this::handle);
        server.start();
    }

    String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
    }

    List<Request> requests() {
        synchronized (requests) {
            return List.copyOf(requests);
        }
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            byte[] body = ex.getRequestBody().readAllBytes();
            int n;
            synchronized (requests) {
                requests.add(new Request(Json.MAPPER.readTree(body), ex.getRequestHeaders().getFirst("Authorization"), ex.getRequestURI().getPath()));
                n = requests.size();
            }
            if (hangs) {
                released.await();
                return;
            }
            if (n > script.size()) {
                send(ex, 500, "{\"error\": {\"message\": \"the test script has " + script.size() + " answers, this is request " + n + "\"}}");
                return;
            }
            script.get(n - 1).answer(ex);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Answers {@code status} with {@code body}. */
    static Answer status(int status, String body) {
        return ex -> send(ex, status, body);
    }

    /** A 200 answer with {@code body} as it is (well-formed or not). */
    static Answer body(String body) {
        return status(200, body);
    }

    /** A final answer: content, no tool calls. */
    static Answer answer(String content, long tokens) {
        ObjectNode message = Json.MAPPER.createObjectNode().put("role", "assistant").put("content", content);
        return body(reply(message, "stop", tokens).toString());
    }

    /** An answer with tool calls, each {@code {name, arguments-as-text}}; ids are {@code id-<name>-<i>}. */
    static Answer toolCalls(long tokens, String... nameThenArguments) {
        ObjectNode message = Json.MAPPER.createObjectNode().put("role", "assistant").putNull("content");
        ArrayNode calls = message.putArray("tool_calls");
        for (int i = 0; i < nameThenArguments.length; i += 2) {
            calls.addObject().put("id", "id-" + i / 2).put("type", "function").putObject("function")
                    .put("name", nameThenArguments[i]).put("arguments", nameThenArguments[i + 1]);
        }
        return body(reply(message, "tool_calls", tokens).toString());
    }

    static ObjectNode reply(ObjectNode message, String finishReason, long tokens) {
        ObjectNode r = Json.MAPPER.createObjectNode().put("id", "chatcmpl-test").put("object", "chat.completion").put("model", "scripted");
        ObjectNode choice = r.putArray("choices").addObject().put("index", 0);
        choice.set("message", message);
        choice.put("finish_reason", finishReason);
        r.putObject("usage").put("prompt_tokens", tokens / 2).put("completion_tokens", tokens - tokens / 2).put("total_tokens", tokens);
        return r;
    }

    private static void send(HttpExchange ex, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        released.countDown();
        server.stop(0);
        pool.shutdownNow();
    }
}
