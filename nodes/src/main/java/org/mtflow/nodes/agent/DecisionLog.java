package org.mtflow.nodes.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.mtflow.engine.event.Json;
import org.mtflow.engine.node.NodeException;

/**
 * The search's decision trace in its task's checkpoint directory ({@code decisions.jsonl}, one JSON
 * object a line): a {@code search} line naming the policy, seed and space, then a {@code proposed} line
 * per candidate before it runs and an {@code observed} line (status, metrics, seconds, time) once it
 * ended. A resumed search replays its policy and checks each proposal against the recorded one: the
 * policy is a pure function of its history, so a difference means its code or inputs changed, and
 * going on would silently mix two searches.
 */
final class DecisionLog {
    static final String FILE = "decisions.jsonl";

    private final Path file;
    private final Map<Integer, JsonNode> proposed = new HashMap<>();
    private final Map<Integer, JsonNode> observed = new HashMap<>();

    private DecisionLog(Path file) {
        this.file = file;
    }

    /**
     * Opens the log in {@code dir}, reading what an earlier attempt recorded. A torn last line (the
     * process killed mid-write) is dropped; a {@code search} line unlike {@code header} is an error.
     */
    static DecisionLog open(Path dir, ObjectNode header, String task) throws IOException, NodeException {
        DecisionLog log = new DecisionLog(dir.resolve(FILE));
        if (!Files.exists(log.file)) {
            log.append(header);
            return log;
        }
        List<String> lines = Files.readAllLines(log.file, StandardCharsets.UTF_8);
        StringBuilder kept = new StringBuilder();
        for (String line : lines) {
            JsonNode n;
            try {
                n = Json.MAPPER.readTree(line);
            } catch (IOException torn) {
                break; // only the last line can be torn: it was being written when the process died
            }
            if (n == null) break;
            switch (n.path("event").asText()) {
                case "search" -> {
                    if (!n.equals(asRead(header))) {
                        throw NodeException.permanent("search task '" + task + "': " + log.file + " records another search (" + n
                                + ", now " + header + "); remove it to start over");
                    }
                }
                case "proposed" -> log.proposed.put(n.path("index").asInt(), n);
                case "observed" -> log.observed.put(n.path("index").asInt(), n);
                default -> { }
            }
            kept.append(line).append('\n');
        }
        Files.writeString(log.file, kept, StandardCharsets.UTF_8);
        if (kept.isEmpty()) log.append(header);
        return log;
    }

    /** Records a proposal, or checks a replayed one against the record. */
    void proposed(ObjectNode line, String task) throws IOException, NodeException {
        int index = line.path("index").asInt();
        JsonNode before = proposed.get(index);
        JsonNode now = asRead(line);
        if (before == null) {
            proposed.put(index, now);
            append(line);
        } else if (!before.equals(now)) {
            throw NodeException.permanent("search task '" + task + "': on resume the policy proposed candidate " + index + " as "
                    + line + ", but the run recorded " + before + " (in " + file + "). The policy is no longer a pure function of"
                    + " its history (its code or options changed?); remove that file to start the search over");
        }
    }

    /** Records how a candidate ended, once. */
    void observed(ObjectNode line) throws IOException {
        int index = line.path("index").asInt();
        if (observed.containsKey(index)) return;
        observed.put(index, line);
        append(line);
    }

    /** What an earlier attempt recorded of a candidate's end (its time and seconds), or null. */
    JsonNode observedBefore(int index) { return observed.get(index); }

    /** The line as it reads back from the file: a long 3 is read as an int 3, and only equal reads compare equal. */
    private static JsonNode asRead(JsonNode line) throws IOException {
        return Json.MAPPER.readTree(Json.MAPPER.writeValueAsString(line));
    }

    private void append(JsonNode line) throws IOException {
        Files.writeString(file, Json.MAPPER.writeValueAsString(line) + "\n", StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.SYNC);
    }
}
