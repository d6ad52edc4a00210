package org.mtflow.engine.event;

import com.fasterxml.jackson.databind.ObjectWriter;
import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code events.jsonl}: one JSON event per line, appended (a resumed run continues the same file).
 * Events are queued as they come and turned into lines by {@link #flush} (the engine does so several
 * times a second, from its own thread, and at the end of a run): the run's coordinator, which emits
 * them, then spends no time on JSON, and a line per write would cost a system call per event. The
 * run journal, not this file, is what a resumed run trusts.
 */
public final class EventLog implements EventSink, AutoCloseable {
    private final OutputStream out;
    private final Object pendingLock = new Object();
    /** Events not yet written, in order; guarded by {@link #pendingLock} (writing by {@code this}). */
    private ArrayList<RunEvent> pending = new ArrayList<>();

    public EventLog(Path file) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        this.out = new BufferedOutputStream(Files.newOutputStream(file, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND, StandardOpenOption.WRITE), 1 << 16);
    }

    @Override
    public void accept(RunEvent event) {
        synchronized (pendingLock) {
            pending.add(event);
        }
    }

    /** Writes every queued event as a line and pushes the lines to the file. */
    public synchronized void flush() throws IOException {
        ArrayList<RunEvent> batch;
        synchronized (pendingLock) {
            batch = pending;
            if (batch.isEmpty()) {
                out.flush();
                return;
            }
            pending = new ArrayList<>(Math.max(16, batch.size()));
        }
        for (RunEvent e : batch) {
            try {
                out.write(WRITER.writeValueAsBytes(e));
            } catch (IOException ex) {
                throw new UncheckedIOException("cannot append to the event log", ex);
            }
            out.write('\n');
        }
        out.flush();
    }

    @Override
    public synchronized void close() throws IOException {
        try {
            flush();
        } finally {
            out.close();
        }
    }

    private static final ObjectWriter WRITER = Json.MAPPER.writer();

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
