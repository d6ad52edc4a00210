package org.mtflow.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import org.mtflow.engine.cluster.ClusterSettings;
import org.mtflow.engine.cluster.TlsContexts;
import org.mtflow.engine.event.Json;
import org.mtflow.engine.event.RunEvent;

/**
 * The client side of the nodes' run endpoint (see {@link RunServer}): submits a workflow, follows
 * its events (reconnecting where it left off when the connection drops, to the next node given
 * when a node is gone, and to wherever the cluster moved the run) and asks for a run's status.
 */
final class ClusterClient {
    /** How long a dropped event stream is retried before the client gives up (the run goes on). */
    private static final Duration RECONNECT_FOR = Duration.ofSeconds(60);
    /** How long a submit waits for a cluster that is not up yet (no node answers, or no registry yet). */
    private static final Duration CLUSTER_UP_WITHIN = Duration.ofSeconds(120);
    /** How long a node may take to start answering (submitting waits for the registry: up to 30 s). */
    private static final Duration ANSWER_WITHIN = Duration.ofSeconds(45);
    /** How long a node may take to start a run's event stream (it asks the registry: up to 10 s). */
    private static final Duration LOCATED_WITHIN = Duration.ofSeconds(15);
    /** How long an event stream may say nothing (a node sends a heartbeat every 2 s) before it is given up. */
    private static final Duration SILENCE_LIMIT = Duration.ofSeconds(8);
    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "mtflow-stream-watchdog");
        t.setDaemon(true);
        return t;
    });

    /** The nodes this client may ask (host:port of their HTTP endpoints), the one it asks first first. */
    private final List<String> nodes;
    private final String scheme;
    private final HttpClient http;
    private int current;

    /**
     * {@code nodes}: host:port of nodes' HTTP endpoints; {@code tls}: this client's credentials for
     * a TLS cluster (HTTPS with a client certificate; a node's certificate must name its address),
     * null for a plain one on loopback.
     */
    ClusterClient(List<String> nodes, SSLContext tls) {
        this.nodes = List.copyOf(nodes);
        this.scheme = tls == null ? "http" : "https";
        // Redirects are followed by hand: where a run's events come from decides where to count lines from.
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
                .followRedirects(HttpClient.Redirect.NEVER);
        this.http = (tls == null ? b : b.sslContext(tls)).build();
    }

    /**
     * A client of the nodes at {@code nodes} with the TLS credentials the options give; null, after
     * saying why on stderr, when an address or the credentials are wrong (the command exits 2).
     */
    static ClusterClient open(List<String> nodes, TlsOptions options) {
        for (String node : nodes) {
            String problem = problem(node);
            if (problem != null) {
                System.err.println("error: " + problem);
                return null;
            }
        }
        try {
            ClusterSettings.Tls tls = options.tls();
            return new ClusterClient(nodes, tls == null ? null : TlsContexts.of(tls));
        } catch (IllegalArgumentException | IOException e) {
            System.err.println("error: " + e.getMessage());
            return null;
        }
    }

    /** Whether {@code node} looks like host:port; else says why. */
    static String problem(String node) {
        int colon = node.lastIndexOf(':');
        if (colon <= 0) return "--cluster '" + node + "' must be HOST:PORT (the node's http endpoint, printed at its start)";
        try {
            int port = Integer.parseInt(node.substring(colon + 1));
            if (port < 1 || port > 65535) throw new NumberFormatException();
        } catch (NumberFormatException e) {
            return "--cluster '" + node + "': the port must be 1 to 65535";
        }
        return null;
    }

    private URI uri(String pathAndQuery) {
        return URI.create(scheme + "://" + nodes.get(current) + pathAndQuery);
    }

    /**
     * Sends to the current node, moving on to the next ones while a node cannot be reached, or (a
     * request that may be repeated: not a submit, which could start the run twice) does not answer.
     */
    private <T> HttpResponse<T> send(java.util.function.Function<URI, HttpRequest> request, String pathAndQuery,
                                     HttpResponse.BodyHandler<T> body) throws IOException, InterruptedException {
        IOException last = null;
        for (int tries = 0; tries < nodes.size(); tries++) {
            HttpRequest r = request.apply(uri(pathAndQuery));
            try {
                return http.send(r, body);
            } catch (java.net.ConnectException | java.net.http.HttpConnectTimeoutException e) {
                last = e;
            } catch (java.net.http.HttpTimeoutException e) {
                if (r.method().equals("POST") && pathAndQuery.startsWith("/runs?")) throw e;
                last = e;
            }
            current = (current + 1) % nodes.size();
        }
        throw last;
    }

    /** Submits the workflow; returns the run id, or null after printing why it was refused. */
    String submit(Path file, List<String> params, String runId, boolean noCache, int maxConcurrency)
            throws IOException, InterruptedException {
        StringBuilder q = new StringBuilder("/runs?file=").append(enc(file.getFileName().toString()));
        for (String p : params) q.append("&param=").append(enc(p));
        if (runId != null) q.append("&run-id=").append(enc(runId));
        if (noCache) q.append("&no-cache=true");
        if (maxConcurrency > 0) q.append("&max-concurrency=").append(maxConcurrency);
        byte[] body = Files.readAllBytes(file);
        // A cluster just started (a script that starts nodes, then submits) is waited for.
        long deadline = System.nanoTime() + CLUSTER_UP_WITHIN.toNanos();
        boolean said = false;
        HttpResponse<String> r;
        while (true) {
            try {
                r = send(u -> HttpRequest.newBuilder(u).timeout(ANSWER_WITHIN)
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                        .build(), q.toString(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() != 503 || System.nanoTime() > deadline) break;
            } catch (java.net.ConnectException e) {
                if (System.nanoTime() > deadline) throw e;
            }
            if (!said) {
                System.err.println("waiting for the cluster at " + String.join(",", nodes) + " to be up...");
                said = true;
            }
            Thread.sleep(1000);
        }
        if (r.statusCode() == 201) return r.body().trim();
        System.err.print(r.body().replace(file.getFileName().toString(), file.toString()));
        return null;
    }

    /**
     * Streams the run's events into {@code view} until it finishes; returns the RunFinished event,
     * or null when the stream ended without one (the run was stopped, or no node answered in time).
     */
    RunEvent.RunFinished follow(String runId, ConsoleView view) throws InterruptedException {
        long lines = 0;
        URI log = null; // the node that coordinates the run, as far as this client knows
        URI countedAt = null; // the node whose event log the counted lines are from
        long deadline = System.nanoTime() + RECONNECT_FOR.toNanos();
        String why = null;
        while (System.nanoTime() < deadline) {
            String path = "/runs/" + enc(runId) + "/events?from=";
            try {
                HttpResponse<InputStream> r = log != null
                        ? http.send(HttpRequest.newBuilder(URI.create(log + path + lines)).timeout(LOCATED_WITHIN).GET().build(),
                                HttpResponse.BodyHandlers.ofInputStream())
                        : send(u -> HttpRequest.newBuilder(u).timeout(LOCATED_WITHIN).GET().build(), path + lines,
                                HttpResponse.BodyHandlers.ofInputStream());
                if (r.statusCode() == 307) {
                    r.body().close();
                    URI at = URI.create(r.headers().firstValue("Location").orElseThrow());
                    log = URI.create(at.getScheme() + "://" + at.getRawAuthority());
                    continue;
                }
                if (r.statusCode() == 503) { // the registry is moving: ask again shortly
                    try (InputStream in = r.body()) {
                        why = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
                    }
                    Thread.sleep(500);
                    continue;
                }
                if (r.statusCode() != 200) {
                    try (InputStream in = r.body()) {
                        System.err.print(new String(in.readAllBytes(), StandardCharsets.UTF_8));
                    }
                    return null;
                }
                URI answered = URI.create(r.uri().getScheme() + "://" + r.uri().getRawAuthority());
                log = answered;
                if (countedAt != null && !countedAt.equals(answered) && lines > 0) {
                    // Its coordinator moved: the new node's log starts again, with what it recovered.
                    r.body().close();
                    System.err.println("run " + runId + " is now coordinated at " + answered + "; following it there");
                    lines = 0;
                    countedAt = answered;
                    continue;
                }
                countedAt = answered;
                InputStream body = r.body();
                AtomicLong heard = new AtomicLong(System.nanoTime());
                // A frozen or cut-off node keeps the connection open but says nothing, not even the
                // heartbeat: closing the stream ends the read, and the client asks the others.
                ScheduledFuture<?> watchdog = WATCHDOG.scheduleWithFixedDelay(() -> {
                    if (System.nanoTime() - heard.get() > SILENCE_LIMIT.toNanos()) {
                        try {
                            body.close();
                        } catch (IOException ignored) {
                            // closing is all it can do
                        }
                    }
                }, 1, 1, TimeUnit.SECONDS);
                try (BufferedReader in = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
                    for (String line = in.readLine(); line != null; line = in.readLine()) {
                        heard.set(System.nanoTime());
                        if (line.isEmpty()) continue; // a heartbeat
                        lines++;
                        deadline = System.nanoTime() + RECONNECT_FOR.toNanos();
                        RunEvent event = Json.MAPPER.readValue(line, RunEvent.class);
                        view.accept(event);
                        if (event instanceof RunEvent.RunFinished f) return f;
                    }
                } finally {
                    watchdog.cancel(false);
                }
                if (System.nanoTime() - heard.get() > SILENCE_LIMIT.toNanos()) {
                    throw new IOException(log + " said nothing for " + SILENCE_LIMIT.toSeconds() + " s");
                }
                why = "the stream from " + log + " ended before the run finished";
                log = null; // that node stopped coordinating it: ask the cluster where it went
                Thread.sleep(500);
            } catch (IOException e) {
                why = e.toString();
                if (log != null) {
                    log = null; // the coordinating node is gone: ask another where the run went
                    current = (current + 1) % nodes.size();
                }
                Thread.sleep(1000);
            }
        }
        System.err.println("error: lost the run's event stream (" + why + "); the run goes on: follow it with "
                + "mtflow status " + runId + " --cluster " + String.join(",", nodes));
        return null;
    }

    /** Prints the run's status; returns the exit code of the status command. */
    int status(String runId) throws IOException, InterruptedException {
        HttpResponse<String> r = get("/runs/" + enc(runId));
        if (r.statusCode() != 200) {
            System.err.print("error: " + r.body().replaceFirst("^error: ", ""));
            return Main.FAILED;
        }
        JsonNode json = Json.MAPPER.readTree(r.body());
        JsonNode report = json.path("report");
        System.out.println("run " + runId + ": " + json.path("state").asText() + ", " + report.path("status").asText("unknown"));
        StatusCommand.printTasks(report);
        return Main.OK;
    }

    /** The run's report.json as the cluster has it, or null when the node does not answer with one. */
    JsonNode report(String runId) throws IOException, InterruptedException {
        HttpResponse<String> r = get("/runs/" + enc(runId));
        return r.statusCode() == 200 ? Json.MAPPER.readTree(r.body()).path("report") : null;
    }

    /** Asks the cluster to cancel the run; returns the exit code of the cancel command. */
    int cancel(String runId, String reason) throws IOException, InterruptedException {
        HttpResponse<String> r = send(u -> HttpRequest.newBuilder(u).timeout(ANSWER_WITHIN)
                        .POST(HttpRequest.BodyPublishers.noBody()).build(),
                "/runs/" + enc(runId) + "/cancel?reason=" + enc(reason), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 202) {
            System.err.print("error: " + r.body().replaceFirst("^error: ", ""));
            return Main.FAILED;
        }
        String state = r.body().trim();
        System.out.println("run " + runId + ": " + (state.equals("cancelling") ? "cancelling" : "already " + state));
        return Main.OK;
    }

    /** A GET that follows the cluster's redirect to the node coordinating the run. */
    private HttpResponse<String> get(String pathAndQuery) throws IOException, InterruptedException {
        HttpResponse<String> r = send(u -> HttpRequest.newBuilder(u).timeout(ANSWER_WITHIN).GET().build(), pathAndQuery,
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 307) {
            URI at = URI.create(r.headers().firstValue("Location").orElseThrow());
            r = http.send(HttpRequest.newBuilder(at).timeout(ANSWER_WITHIN).GET().build(), HttpResponse.BodyHandlers.ofString());
        }
        return r;
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
