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
import javax.net.ssl.SSLContext;
import org.mtflow.engine.cluster.ClusterSettings;
import org.mtflow.engine.cluster.TlsContexts;
import org.mtflow.engine.event.Json;
import org.mtflow.engine.event.RunEvent;

/**
 * The client side of a node's run endpoint (see {@link RunServer}): submits a workflow, follows
 * its events (reconnecting where it left off when the connection drops) and asks for a run's status.
 */
final class ClusterClient {
    /** How long a dropped event stream is retried before the client gives up (the run goes on). */
    private static final Duration RECONNECT_FOR = Duration.ofSeconds(60);

    private final String node;
    private final String scheme;
    private final HttpClient http;

    /**
     * {@code node}: host:port of a node's HTTP endpoint; {@code tls}: this client's credentials for
     * a TLS node (HTTPS with a client certificate; the node's certificate must name its address),
     * null for a plain one on loopback.
     */
    ClusterClient(String node, SSLContext tls) {
        this.node = node;
        this.scheme = tls == null ? "http" : "https";
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10));
        this.http = (tls == null ? b : b.sslContext(tls)).build();
    }

    /**
     * A client of the node at {@code node} with the TLS credentials the options give; null, after
     * saying why on stderr, when the address or the credentials are wrong (the command exits 2).
     */
    static ClusterClient open(String node, TlsOptions options) {
        String problem = problem(node);
        if (problem != null) {
            System.err.println("error: " + problem);
            return null;
        }
        try {
            ClusterSettings.Tls tls = options.tls();
            return new ClusterClient(node, tls == null ? null : TlsContexts.of(tls));
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
        return URI.create(scheme + "://" + node + pathAndQuery);
    }

    /** Submits the workflow; returns the run id, or null after printing why it was refused. */
    String submit(Path file, List<String> params, String runId, boolean noCache, int maxConcurrency)
            throws IOException, InterruptedException {
        StringBuilder q = new StringBuilder("/runs?file=").append(enc(file.getFileName().toString()));
        for (String p : params) q.append("&param=").append(enc(p));
        if (runId != null) q.append("&run-id=").append(enc(runId));
        if (noCache) q.append("&no-cache=true");
        if (maxConcurrency > 0) q.append("&max-concurrency=").append(maxConcurrency);
        HttpRequest request = HttpRequest.newBuilder(uri(q.toString()))
                .POST(HttpRequest.BodyPublishers.ofByteArray(Files.readAllBytes(file))).build();
        HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 201) return r.body().trim();
        System.err.print(r.body().replace(file.getFileName().toString(), file.toString()));
        return null;
    }

    /**
     * Streams the run's events into {@code view} until it finishes; returns the RunFinished event,
     * or null when the stream ended without one (the node stopped, or did not come back in time).
     */
    RunEvent.RunFinished follow(String runId, ConsoleView view) throws InterruptedException {
        long lines = 0;
        long deadline = System.nanoTime() + RECONNECT_FOR.toNanos();
        while (true) {
            try {
                HttpRequest request = HttpRequest.newBuilder(uri("/runs/" + enc(runId) + "/events?from=" + lines)).GET().build();
                HttpResponse<InputStream> r = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
                if (r.statusCode() != 200) {
                    try (InputStream in = r.body()) {
                        System.err.print(new String(in.readAllBytes(), StandardCharsets.UTF_8));
                    }
                    return null;
                }
                try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
                    for (String line = in.readLine(); line != null; line = in.readLine()) {
                        lines++;
                        deadline = System.nanoTime() + RECONNECT_FOR.toNanos();
                        RunEvent event = Json.MAPPER.readValue(line, RunEvent.class);
                        view.accept(event);
                        if (event instanceof RunEvent.RunFinished f) return f;
                    }
                }
                return null; // the run ended without finishing (its node stopped it)
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    System.err.println("error: lost the connection to " + node + ": " + e.getMessage()
                            + " (the run goes on there; follow it with: mtflow status " + runId + " --cluster " + node + ")");
                    return null;
                }
                Thread.sleep(1000);
            }
        }
    }

    /** Prints the run's status; returns the exit code of the status command. */
    int status(String runId) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri("/runs/" + enc(runId))).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            System.err.print("error: " + r.body());
            return Main.FAILED;
        }
        JsonNode json = Json.MAPPER.readTree(r.body());
        JsonNode report = json.path("report");
        System.out.println("run " + runId + ": " + json.path("state").asText() + ", " + report.path("status").asText("unknown"));
        StatusCommand.printTasks(report);
        return Main.OK;
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
