package org.mtflow.engine.event;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectWriter;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code events.jsonl}: one JSON event per line, appended (a resumed run continues the same file).
 * Lines are buffered and flushed by {@link #flush} (the engine does so several times a second and at
 * the end of a run): a line per write would cost a system call per event, and the run journal, not
 * this file, is what a resumed run trusts.
 */
public final class EventLog implements EventSink, AutoCloseable {
    private final BufferedWriter out;

    public EventLog(Path file) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        this.out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND, StandardOpenOption.WRITE);
    }

    /** Writes into the log's buffer directly (no String per event), leaving the file open. */
    private static final ObjectWriter LINE = Json.MAPPER.writer().without(JsonGenerator.Feature.AUTO_CLOSE_TARGET)
            .without(JsonGenerator.Feature.FLUSH_PASSED_TO_STREAM);

    @Override
    public synchronized void accept(RunEvent event) {
        try {
            LINE.writeValue(out, event);
            out.write('\n');
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to the event log", e);
        }
    }

    /** Appends an event already written as one line of JSON. */
    public synchronized void append(String json) throws IOException {
        out.write(json);
        out.write('\n');
    }

    public synchronized void flush() throws IOException {
        out.flush();
    }

    @Override
    public synchronized void close() throws IOException {
        out.close();
    }

    /**
     * The events in a log, in order. A process killed mid-write leaves a torn last line: it is
     * dropped, and the file is cut back to the last whole line so appends start on a fresh one.
     */
    public static List<RunEvent> read(Path file) throws IOException {
        List<RunEvent> events = new ArrayList<>();
        if (!Files.exists(file)) return events;
        long whole = 0;
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.isBlank()) {
                    whole += line.getBytes(StandardCharsets.UTF_8).length + 1;
                    continue;
                }
                try {
                    events.add(Json.MAPPER.readValue(line, RunEvent.class));
                } catch (IOException e) {
                    break; // the torn tail of a crash; nothing after it was written
                }
                whole += line.getBytes(StandardCharsets.UTF_8).length + 1;
            }
        }
        if (whole < Files.size(file)) {
            try (var ch = java.nio.channels.FileChannel.open(file, StandardOpenOption.WRITE)) {
                ch.truncate(whole);
            }
        }
        return events;
    }
}
