package org.mtflow.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.channels.FileChannel;
import java.nio.ByteBuffer;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.mtflow.dsl.LoadedWorkflow;
import org.mtflow.dsl.WorkflowLoader;
import org.mtflow.engine.cluster.ArtifactServer;
import org.mtflow.engine.event.Json;
import org.mtflow.engine.run.ClusterRuns;
import org.mtflow.engine.run.Engine;
import org.mtflow.engine.run.RunRegistry;
import org.mtflow.engine.run.RunIds;
import org.mtflow.engine.run.RunOptions;
import org.mtflow.engine.spec.SpecException;
import org.mtflow.nodes.BuiltinNodes;

/**
 * A node's run endpoint, on its artifact server (loopback, or HTTPS with client certificates).
 * Any node takes requests; the cluster's {@link org.mtflow.engine.run.RunRegistry} coordinates
 * the runs on its node and says where each is:
 * <ul>
 *   <li>{@code POST /runs?run-id=ID&no-cache=true&max-concurrency=N&param=NAME%3DVALUE} with the
 *   workflow's YAML as the body: validates it and hands it to the registry, whose coordinator
 *   places tasks on the devices of every node. 201 and the run id; 422 and one line per problem
 *   when the workflow is invalid; 409 when that run is running.</li>
 *   <li>{@code GET /runs/ID/events?from=N}: the run's events (events.jsonl lines) from line N on,
 *   streamed as they are written until the run ends, with an empty line every 2 s while the run is
 *   quiet (a node that stops answering is told from a quiet run). A client that goes away stops
 *   only its stream; it reconnects with the number of lines it has.</li>
 *   <li>{@code GET /runs/ID}: {"run", "state": running|ended, "report": report.json}.</li>
 *   <li>{@code POST /runs/ID/cancel?reason=TEXT}: cancels the run; 202 and "cancelling" or how it ended.</li>
 * </ul>
 * A run coordinated on another node is answered with a 307 to that node's endpoint (its events
 * there start at line 0 when its coordinator moved there from a lost node); 503 while the
 * registry moves, which a client retries.
 */
final class RunServer {
    private static final Pattern RUN = Pattern.compile("/runs/([A-Za-z0-9._-]{1,200})");
    private static final Pattern EVENTS = Pattern.compile("/runs/([A-Za-z0-9._-]{1,200})/events");
    private static final Pattern CANCEL = Pattern.compile("/runs/([A-Za-z0-9._-]{1,200})/cancel");
    private static final int MAX_SPEC_BYTES = 16 << 20;
    /** A quiet event stream gets an empty line this often (see {@link ClusterClient}'s silence limit). */
    static final long HEARTBEAT_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(2);

    private final Engine engine;
    private final ClusterRuns runs;
    private final String here;

    RunServer(Engine engine, ClusterRuns runs) {
        this.engine = engine;
        this.runs = runs;
        this.here = engine.server().base().toString();
    }

    void install() {
        engine.server().handle("/runs", exchange -> {
            try (exchange) {
                handle(exchange);
            } catch (IOException e) {
                // The client went away: its stream ends, the run goes on.
            } catch (RuntimeException e) {
                try {
                    reply(exchange, 500, "error: " + e + "\n");
                } catch (IOException | RuntimeException ignored) {
                    // The answer cannot go out either.
                }
            }
        });
    }

    private void handle(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getRawPath();
        String method = exchange.getRequestMethod();
        Map<String, List<String>> query = query(exchange.getRequestURI().getRawQuery());
        if (path.equals("/runs") && method.equals("POST")) {
            submit(exchange, query);
            return;
        }
        Matcher cancel = CANCEL.matcher(path);
        if (cancel.matches() && method.equals("POST")) {
            cancel(exchange, cancel.group(1), first(query, "reason", "cancelled by a client"));
            return;
        }
        if (!method.equals("GET")) {
            reply(exchange, 405, "expected POST /runs, GET /runs/ID, GET /runs/ID/events or POST /runs/ID/cancel\n");
            return;
        }
        Matcher events = EVENTS.matcher(path);
        if (events.matches()) {
            stream(exchange, events.group(1), query);
            return;
        }
        Matcher run = RUN.matcher(path);
        if (run.matches()) {
            status(exchange, run.group(1));
            return;
        }
        reply(exchange, 404, "no such resource: " + path + "\n");
    }

    private void submit(HttpExchange exchange, Map<String, List<String>> query) throws IOException {
        byte[] body;
        try (InputStream in = exchange.getRequestBody()) {
            body = in.readNBytes(MAX_SPEC_BYTES + 1);
        }
        if (body.length > MAX_SPEC_BYTES) {
            reply(exchange, 413, "a workflow is at most " + MAX_SPEC_BYTES + " bytes\n");
            return;
        }
        String file = first(query, "file", "workflow.yaml");
        Map<String, String> params = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        for (String p : query.getOrDefault("param", List.of())) {
            int eq = p.indexOf('=');
            if (eq <= 0) problems.add("error: --param '" + p + "' must be NAME=VALUE");
            else params.put(p.substring(0, eq), p.substring(eq + 1));
        }
        String runId = first(query, "run-id", null);
        if (runId != null && !RunIds.valid(runId)) {
            problems.add("error: --run-id '" + runId + "' is not a valid run id: use letters, digits, '.', '_' or '-'");
        }
        int maxConcurrency;
        try {
            maxConcurrency = Integer.parseInt(first(query, "max-concurrency", "0"));
            if (maxConcurrency < 0) throw new NumberFormatException();
        } catch (NumberFormatException e) {
            problems.add("error: --max-concurrency must be 0 (no cap) or more");
            maxConcurrency = 0;
        }
        if (!problems.isEmpty()) {
            reply(exchange, 422, String.join("\n", problems) + "\n");
            return;
        }
        LoadedWorkflow w;
        try {
            w = WorkflowLoader.load(new String(body, StandardCharsets.UTF_8), file, params, BuiltinNodes.catalog(),
                    engine.devices());
        } catch (SpecException e) {
            reply(exchange, 422, String.join("\n", e.lines()) + "\n");
            return;
        } catch (IllegalArgumentException e) {
            reply(exchange, 422, "error: " + e.getMessage() + "\n");
            return;
        }
        String id = runId != null ? runId : RunIds.fresh(w.spec().name());
        RunOptions options = new RunOptions(id, w.resolvedYaml(), !Boolean.parseBoolean(first(query, "no-cache", "false")),
                maxConcurrency);
        RunRegistry.Reply answer = runs.submit(options);
        if (answer instanceof RunRegistry.Refused r) {
            reply(exchange, r.code(), (r.message().startsWith("error: ") ? "" : "error: ") + r.message() + "\n");
            return;
        }
        System.out.println("run " + id + " submitted: " + w.spec().tasks().size() + " tasks, coordinated at "
                + ((RunRegistry.RunAt) answer).node());
        reply(exchange, 201, id + "\n");
    }

    private void cancel(HttpExchange exchange, String runId, String reason) throws IOException {
        RunRegistry.Reply answer = runs.cancel(runId, reason);
        if (answer instanceof RunRegistry.Refused r) {
            reply(exchange, r.code(), "error: " + r.message() + "\n");
        } else {
            RunRegistry.RunAt at = (RunRegistry.RunAt) answer;
            reply(exchange, 202, at.status().equals("running") ? "cancelling\n" : "ended " + at.status() + "\n");
        }
    }

    /**
     * Whether the run is coordinated (or was) on this node; if not, answers with a redirect to the
     * node that is, or with why it cannot say, and returns false.
     */
    private boolean here(HttpExchange exchange, String runId, String pathAndQuery) throws IOException {
        RunRegistry.Reply answer = runs.locate(runId);
        if (answer instanceof RunRegistry.Refused r) {
            reply(exchange, r.code(), "error: " + r.message() + "\n");
            return false;
        }
        RunRegistry.RunAt at = (RunRegistry.RunAt) answer;
        if (at.node().equals(here)) return true;
        exchange.getResponseHeaders().set("Location", at.node() + pathAndQuery);
        reply(exchange, 307, "run '" + runId + "' is at " + at.node() + "\n");
        return false;
    }

    /** Follows events.jsonl from line {@code from}, whole lines only, until the run is over and all is sent. */
    private void stream(HttpExchange exchange, String runId, Map<String, List<String>> query) throws IOException {
        Path file = engine.runDir(runId).resolve("events.jsonl");
        long from;
        try {
            from = Long.parseLong(first(query, "from", "0"));
        } catch (NumberFormatException e) {
            from = -1;
        }
        if (from < 0) {
            reply(exchange, 400, "from must be a line number (0 or more)\n");
            return;
        }
        if (!here(exchange, runId, "/runs/" + runId + "/events?from=" + from)) return;
        if (!Files.exists(file) && !engine.running(runId)) {
            reply(exchange, 404, "no run '" + runId + "' on this node\n");
            return;
        }
        exchange.getResponseHeaders().set("Content-Type", "application/x-ndjson");
        exchange.sendResponseHeaders(200, 0); // chunked
        OutputStream out = exchange.getResponseBody();
        long line = 0;
        long position = 0;
        long quietSince = System.nanoTime();
        ByteBuffer buf = ByteBuffer.allocate(1 << 16);
        java.io.ByteArrayOutputStream partial = new java.io.ByteArrayOutputStream();
        while (true) {
            boolean over = !engine.running(runId); // read after: nothing written before this is missed
            long read = 0;
            if (Files.exists(file)) {
                try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                    ch.position(position);
                    int n;
                    while ((n = ch.read(buf.clear())) > 0) {
                        read += n;
                        position += n;
                        byte[] bytes = buf.array();
                        int start = 0;
                        for (int i = 0; i < n; i++) {
                            if (bytes[i] != '\n') continue;
                            if (line >= from) {
                                partial.writeTo(out);
                                out.write(bytes, start, i + 1 - start);
                            }
                            partial.reset();
                            line++;
                            start = i + 1;
                        }
                        partial.write(bytes, start, n - start);
                    }
                }
            }
            out.flush();
            if (over && read == 0) break;
            if (read > 0) {
                quietSince = System.nanoTime();
            } else if (System.nanoTime() - quietSince > HEARTBEAT_NANOS) {
                out.write('\n'); // not an event: tells the client this node is alive while the run is quiet
                out.flush();
                quietSince = System.nanoTime();
            }
            if (read == 0) {
                try {
                    Thread.sleep(100); // the run's files are flushed every 200 ms
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        out.close();
    }

    private void status(HttpExchange exchange, String runId) throws IOException {
        if (!here(exchange, runId, "/runs/" + runId)) return;
        Path report = engine.runDir(runId).resolve("report.json");
        boolean running = engine.running(runId);
        if (!Files.exists(report) && !running) {
            reply(exchange, 404, "no run '" + runId + "' on this node\n");
            return;
        }
        ObjectNode json = Json.MAPPER.createObjectNode();
        json.put("run", runId);
        json.put("state", running ? "running" : "ended");
        if (Files.exists(report)) json.set("report", Json.MAPPER.readTree(report.toFile()));
        byte[] body = Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(json);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    private static String first(Map<String, List<String>> query, String name, String otherwise) {
        List<String> values = query.get(name);
        return values == null || values.isEmpty() ? otherwise : values.get(0);
    }

    private static Map<String, List<String>> query(String raw) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) return out;
        for (String part : raw.split("&")) {
            int eq = part.indexOf('=');
            String name = URLDecoder.decode(eq < 0 ? part : part.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(part.substring(eq + 1), StandardCharsets.UTF_8);
            out.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
        }
        return out;
    }

    private static void reply(HttpExchange exchange, int status, String text) throws IOException {
        ArtifactServer.reply(exchange, status, text);
    }
}
