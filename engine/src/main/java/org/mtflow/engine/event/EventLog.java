package org.mtflow.engine.event;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * {@code events.jsonl}: one JSON event per line, appended (a resumed run continues the same file).
 * Each line is flushed as it is written, so the file tells what happened up to a crash.
 */
public final class EventLog implements EventSink, AutoCloseable {
    private final BufferedWriter out;

    public EventLog(Path file) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        this.out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND, StandardOpenOption.WRITE);
    }

    @Override
    public synchronized void accept(RunEvent event) {
        try {
            out.write(Json.MAPPER.writeValueAsString(event));
            out.write('\n');
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to the event log", e);
        }
    }

    @Override
    public synchronized void close() throws IOException {
        out.close();
    }
}
