package org.mtflow.nodes.agent.llm;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.mtflow.engine.event.Json;
import org.mtflow.engine.node.NodeException;
import org.mtflow.engine.spec.Durations;
import org.mtflow.engine.spec.ErrorClass;

/**
 * Posts chat-completions requests to an OpenAI-compatible endpoint ({@code <base-url>/chat/completions})
 * and returns the answer's body. Timeouts, failed connections, 5xx, 408 and 429 answers are tried again
 * up to {@code retries} times with a doubling pause; any other non-2xx answer fails at once, and so
 * does a body over {@link #MAX_BODY} bytes. The key travels only in the Authorization header and is
 * cut out of every message this class makes.
 */
public final class ChatClient {
    /** No chat answer comes near this; a server sending more is not one to keep reading from. */
    static final int MAX_BODY = 16 << 20;

    private final URI endpoint;
    private final String apiKey;
    private final Duration requestTimeout;
    private final int retries;
    private final Duration backoff;
    private final HttpClient http;

    /**
     * @param baseUrl an http(s) URL, e.g. {@code https://api.openai.com/v1} or {@code http://127.0.0.1:8080/v1}
     * @param apiKey  the bearer token, null for servers that take none
     * @param backoff the pause before the first retry (doubled after each)
     */
    public ChatClient(String baseUrl, String apiKey, Duration connectTimeout, Duration requestTimeout, int retries, Duration backoff) {
        this.endpoint = endpoint(baseUrl);
        this.apiKey = apiKey == null || apiKey.isEmpty() ? null : apiKey;
        this.requestTimeout = requestTimeout;
        this.retries = retries;
        this.backoff = backoff;
        this.http = HttpClient.newBuilder().connectTimeout(connectTimeout).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /** {@code <base-url>/chat/completions}; refuses anything but an absolute http(s) URL. */
    static URI endpoint(String baseUrl) {
        URI base;
        try {
            base = URI.create(baseUrl.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("base-url '" + baseUrl + "' is not a URL: " + e.getMessage());
        }
        String scheme = base.getScheme() == null ? "" : base.getScheme().toLowerCase(java.util.Locale.ROOT);
        if (!(scheme.equals("http") || scheme.equals("https")) || base.getHost() == null) {
            throw new IllegalArgumentException("base-url must be an http:// or https:// URL with a host, e.g. http://127.0.0.1:8080/v1, got '" + baseUrl + "'");
        }
        if (base.getUserInfo() != null) throw new IllegalArgumentException("base-url must not hold credentials; name the key's environment variable with api-key-env");
        String s = base.toString();
        return URI.create((s.endsWith("/") ? s : s + "/") + "chat/completions");
    }

    public URI endpoint() { return endpoint; }

    /** Whether a key may go to {@code baseUrl}: https, or http to this machine (a loopback name or address). */
    static boolean safeForKey(String baseUrl) {
        URI u = endpoint(baseUrl);
        if (u.getScheme().equalsIgnoreCase("https")) return true;
        String host = u.getHost().toLowerCase(java.util.Locale.ROOT);
        return host.equals("localhost") || host.matches("127(\\.[0-9]{1,3}){3}") || host.equals("[::1]") || host.equals("::1");
    }

    /** Sends {@code request} and returns the 2xx answer's body, or throws after the last try. */
    public String send(ObjectNode request) throws NodeException, InterruptedException {
        byte[] body;
        try {
            body = Json.MAPPER.writeValueAsBytes(request);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        HttpRequest.Builder b = HttpRequest.newBuilder(endpoint).timeout(requestTimeout)
                .header("Content-Type", "application/json").header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (apiKey != null) b.header("Authorization", "Bearer " + apiKey);
        HttpRequest httpRequest = b.build();
        String last = null;
        for (int attempt = 1; attempt <= retries + 1; attempt++) {
            if (attempt > 1) Thread.sleep(backoff.toMillis() << Math.min(attempt - 2, 10));
            CompletableFuture<HttpResponse<byte[]>> pending = http.sendAsync(httpRequest, info -> limited());
            try {
                // The request timeout covers the headers; this bounds the body too (a server may trickle it).
                HttpResponse<byte[]> r = pending.get(requestTimeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
                String text = new String(r.body(), StandardCharsets.UTF_8);
                int status = r.statusCode();
                if (status / 100 == 2) return text;
                last = "HTTP " + status + " " + snippet(text);
                if (!(status >= 500 || status == 429 || status == 408)) {
                    throw new NodeException(ErrorClass.PERMANENT, redact(endpoint + " answered " + last
                            + (status == 401 || status == 403 ? " (check the key in the environment variable api-key-env names)" : "")));
                }
            } catch (TimeoutException e) {
                pending.cancel(true);
                last = "no answer within " + Durations.format(requestTimeout);
            } catch (InterruptedException e) {
                pending.cancel(true);
                throw e;
            } catch (ExecutionException e) {
                Throwable c = e.getCause();
                if (c instanceof BodyTooLarge) throw new NodeException(ErrorClass.PERMANENT, endpoint + " " + c.getMessage());
                if (c instanceof HttpConnectTimeoutException) last = "no connection within the connect timeout";
                else if (c instanceof HttpTimeoutException) last = "no answer within " + Durations.format(requestTimeout);
                else last = "connection failed: " + c.getClass().getSimpleName() + (c.getMessage() == null ? "" : " " + c.getMessage());
            }
        }
        throw NodeException.transientError(redact(endpoint + ": " + last + " (" + (retries + 1) + " tries; raise timeout or retries)"));
    }

    /** An answer's body, refused past {@link #MAX_BODY} bytes. */
    private static final class BodyTooLarge extends IOException {
        BodyTooLarge() {
            super("sent an answer over " + (MAX_BODY >> 20) + " MiB; that is no chat completion");
        }
    }

    /** Collects a body of at most {@link #MAX_BODY} bytes; past that it stops reading and fails. */
    private static HttpResponse.BodySubscriber<byte[]> limited() {
        HttpResponse.BodySubscriber<byte[]> bytes = HttpResponse.BodySubscribers.ofByteArray();
        return new HttpResponse.BodySubscriber<>() {
            private long seen;
            private Flow.Subscription subscription;

            @Override public CompletionStage<byte[]> getBody() { return bytes.getBody(); }

            @Override public void onSubscribe(Flow.Subscription s) {
                subscription = s;
                bytes.onSubscribe(s);
            }

            @Override public void onNext(List<ByteBuffer> items) {
                for (ByteBuffer b : items) seen += b.remaining();
                if (seen > MAX_BODY) {
                    subscription.cancel();
                    bytes.onError(new BodyTooLarge());
                } else {
                    bytes.onNext(items);
                }
            }

            @Override public void onError(Throwable t) { bytes.onError(t); }

            @Override public void onComplete() { bytes.onComplete(); }
        };
    }

    /** {@code text} with the key replaced, for anything stored or shown. */
    public String redact(String text) {
        return redact(text, apiKey);
    }

    static String redact(String text, String key) {
        return key == null || text == null ? text : text.replace(key, "[redacted]");
    }

    private static String snippet(String body) {
        String s = body == null ? "" : body.strip().replaceAll("\\s+", " ");
        return s.length() > 300 ? s.substring(0, 297) + "..." : s;
    }
}
