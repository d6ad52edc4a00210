package org.mtflow.nodes.agent.llm;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.mtflow.engine.event.Json;
import org.mtflow.engine.run.CacheKeys;

/**
 * The agent's journal of exchanges with the model: one JSON line per answer, {@code {"call": n,
 * "request-sha256": ..., "response": <body>}}, appended and fsynced before the answer is acted on. A
 * later attempt of the task (a retry, a resume) takes the recorded answers in order instead of asking
 * again, as long as it sends the same requests; a torn last line (a crash mid-write) is dropped.
 */
public final class Exchanges {
    private final Path file;
    private final List<Recorded> recorded;
    private int next;

    /** What the journal holds for one call. */
    public record Recorded(String requestSha256, String response) {}

    private Exchanges(Path file, List<Recorded> recorded) {
        this.file = file;
        this.recorded = new ArrayList<>(recorded);
    }

    /** Opens (or starts) the journal at {@code file}. */
    public static Exchanges open(Path file) throws IOException {
        List<Recorded> recorded = new ArrayList<>();
        boolean torn = false;
        if (Files.exists(file)) {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i);
                if (line.isBlank()) continue;
                JsonNode e;
                try {
                    e = Json.MAPPER.readTree(line);
                } catch (IOException ex) {
                    if (i == lines.size() - 1) { // torn by a crash while appending: that answer was never acted on
                        torn = true;
                        break;
                    }
                    throw new IOException(file + " line " + (i + 1) + " is not JSON; delete the file to ask the model again", ex);
                }
                if (e.path("call").asInt() != recorded.size() + 1 || !e.path("request-sha256").isTextual() || !e.path("response").isTextual()) {
                    throw new IOException(file + " line " + (i + 1) + " is not exchange " + (recorded.size() + 1) + "; delete the file to ask the model again");
                }
                recorded.add(new Recorded(e.get("request-sha256").asText(), e.get("response").asText()));
            }
            if (torn) rewrite(file, recorded); // so appends start on a fresh line
        }
        return new Exchanges(file, recorded);
    }

    /** How many answers were recorded by earlier attempts and not replayed yet. */
    public int pending() { return recorded.size() - next; }

    /**
     * The recorded answer for the next call, or null when this call is new. Throws when the journal
     * recorded a different request at this place.
     */
    public String replay(String requestSha256) {
        if (next >= recorded.size()) return null;
        Recorded r = recorded.get(next);
        if (!r.requestSha256().equals(requestSha256)) {
            throw new IllegalStateException("call " + (next + 1) + " sends a different request than the one recorded in " + file
                    + " (a subtask's result or the params changed since); delete " + file.getParent() + " to start the conversation over");
        }
        next++;
        return r.response();
    }

    /** Appends a new answer, durably, before the caller acts on it. */
    public void append(String requestSha256, String response) throws IOException {
        if (next != recorded.size()) throw new IllegalStateException("recorded answers are left to replay");
        Recorded r = new Recorded(requestSha256, response);
        write(file, line(recorded.size() + 1, r), StandardOpenOption.APPEND);
        recorded.add(r);
        next++;
    }

    public List<Recorded> recorded() { return Collections.unmodifiableList(recorded); }

    private static void rewrite(Path file, List<Recorded> recorded) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < recorded.size(); i++) sb.append(line(i + 1, recorded.get(i)));
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        write(tmp, sb.toString(), StandardOpenOption.TRUNCATE_EXISTING);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private static String line(int call, Recorded r) throws IOException {
        return Json.MAPPER.writeValueAsString(Json.MAPPER.createObjectNode().put("call", call)
                .put("request-sha256", r.requestSha256()).put("response", r.response())) + "\n";
    }

    private static void write(Path file, String text, StandardOpenOption mode) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, mode)) {
            ByteBuffer buf = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
            while (buf.hasRemaining()) ch.write(buf);
            ch.force(true);
        }
    }

    /** SHA-256 (hex) of the canonical JSON of a request: keys sorted at every level. */
    public static String sha256(JsonNode request) {
        return CacheKeys.canonicalSha256(request);
    }
}
