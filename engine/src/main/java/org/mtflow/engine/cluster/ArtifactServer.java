package org.mtflow.engine.cluster;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import org.mtflow.engine.store.ArtifactRef;
import org.mtflow.engine.store.ArtifactStore;
import org.mtflow.engine.store.CorruptArtifactException;

/**
 * Serves a node's artifacts to the other nodes: {@code GET /artifacts/SHA256?size=N} streams the
 * artifact's bytes (after the store checked them), 404 when this node does not hold it intact. Only
 * that one shape of path is answered, so nothing outside the store can be named. Over HTTPS with
 * client certificates required when the node has TLS credentials.
 */
public final class ArtifactServer implements AutoCloseable {
    private static final Pattern PATH = Pattern.compile("/artifacts/([0-9a-f]{64})");
    private static final Pattern SIZE = Pattern.compile("size=(\\d{1,18})");

    private final HttpServer server;
    private final ExecutorService threads;
    private final URI base;

    private ArtifactServer(HttpServer server, ExecutorService threads, URI base) {
        this.server = server;
        this.threads = threads;
        this.base = base;
    }

    /** Starts serving {@code store} on host:port (0: a free port); {@code tls} null for plain HTTP. */
    public static ArtifactServer start(ArtifactStore store, String host, int port, SSLContext tls) throws IOException {
        InetSocketAddress address = new InetSocketAddress(host, port);
        HttpServer server;
        if (tls == null) {
            server = HttpServer.create(address, 64);
        } else {
            HttpsServer https = HttpsServer.create(address, 64);
            https.setHttpsConfigurator(new HttpsConfigurator(tls) {
                @Override
                public void configure(HttpsParameters params) {
                    SSLParameters p = tls.getDefaultSSLParameters();
                    p.setNeedClientAuth(true);
                    params.setSSLParameters(p);
                }
            });
            server = https;
        }
        // Unbounded: a run's event stream holds its thread for as long as the run lasts.
        ExecutorService threads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "mtflow-artifact-server");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(threads);
        server.createContext("/artifacts/", exchange -> serve(store, exchange));
        server.start();
        String scheme = tls == null ? "http" : "https";
        URI base = URI.create(scheme + "://" + hostForUri(host) + ":" + server.getAddress().getPort());
        return new ArtifactServer(server, threads, base);
    }

    private static String hostForUri(String host) {
        return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }

    /** Where other nodes reach this server, e.g. {@code http://127.0.0.1:40123}. */
    public URI base() { return base; }

    /** Serves paths under {@code prefix} with {@code handler} too, with the same transport security. */
    public void handle(String prefix, com.sun.net.httpserver.HttpHandler handler) {
        server.createContext(prefix, handler);
    }

    private static void serve(ArtifactStore store, HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!exchange.getRequestMethod().equals("GET")) {
                reply(exchange, 405, "only GET");
                return;
            }
            Matcher path = PATH.matcher(exchange.getRequestURI().getRawPath());
            String query = exchange.getRequestURI().getRawQuery();
            Matcher size = SIZE.matcher(query == null ? "" : query);
            if (!path.matches() || !size.matches()) {
                reply(exchange, 400, "expected /artifacts/<sha256>?size=<bytes>");
                return;
            }
            Path file;
            try {
                file = store.read(new ArtifactRef(path.group(1), Long.parseLong(size.group(1))));
            } catch (CorruptArtifactException e) {
                reply(exchange, 404, "not held here intact: " + e.getMessage());
                return;
            }
            long bytes = Files.size(file);
            // Content-Length 0 would mean "chunked" to this server: -1 is its "no body" length.
            exchange.sendResponseHeaders(200, bytes == 0 ? -1 : bytes);
            if (bytes > 0) {
                try (OutputStream out = exchange.getResponseBody()) {
                    Files.copy(file, out);
                }
            }
        }
    }

    /** Answers with a plain-text body (also for the node's other endpoints). */
    public static void reply(HttpExchange exchange, int status, String text) throws IOException {
        byte[] body = text.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
