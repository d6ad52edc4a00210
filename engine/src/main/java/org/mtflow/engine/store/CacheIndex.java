package org.mtflow.engine.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The cache entries of a store in one append-only file: a record per entry, {@code <key> <length>\n}
 * then the entry's bytes and {@code \n}; a key recorded again takes its latest record. Appending
 * costs one write where a file per entry cost a create, a write and a rename. The file is read
 * once when the store opens (only where each record is, not its bytes, is kept in memory) and
 * again from where it left off when a key is not found (another process may have appended).
 *
 * <p>Like the entries it replaces, a record is a hint that is checked on use and not fsynced. A
 * crash mid-append leaves a torn last record: it is cut off when the index opens.
 */
final class CacheIndex {
    private static final int KEY_LENGTH = 64;
    /** The longest header: the key, a space, a length of up to 10 digits, the newline. */
    private static final int MAX_HEADER = KEY_LENGTH + 12;

    private record Location(long offset, int length) {}

    private final Path file;
    private final Map<String, Location> entries = new HashMap<>();
    /** How far the file is parsed: every whole record before this offset is in {@link #entries}. */
    private long parsed;
    /** Open once the file exists, for positional reads. */
    private FileChannel reader;
    /** Open once this store appended: O_APPEND, so records of several processes never overlap. */
    private FileChannel appender;

    CacheIndex(Path file) throws IOException {
        this.file = file;
        if (Files.exists(file)) {
            catchUp();
            if (parsed < Files.size(file)) { // a torn tail: later appends must start on a fresh record
                try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                    ch.truncate(parsed);
                }
            }
        }
    }

    /** The channel to read the file with; null while there is no file. */
    private FileChannel reader() throws IOException {
        if (reader == null && Files.exists(file)) reader = FileChannel.open(file, StandardOpenOption.READ);
        return reader;
    }

    synchronized Optional<byte[]> read(String key) throws IOException {
        FileChannel ch = reader();
        if (ch == null) return Optional.empty();
        Location at = entries.get(key);
        if (at == null) {
            catchUp();
            at = entries.get(key);
        }
        if (at == null) return Optional.empty();
        ByteBuffer buf = ByteBuffer.allocate(at.length());
        while (buf.hasRemaining()) {
            if (ch.read(buf, at.offset() + buf.position()) < 0) return Optional.empty(); // cut since
        }
        return Optional.of(buf.array());
    }

    synchronized void append(String key, byte[] entry) throws IOException {
        byte[] header = (key + " " + entry.length + "\n").getBytes(StandardCharsets.US_ASCII);
        ByteBuffer record = ByteBuffer.allocate(header.length + entry.length + 1);
        record.put(header).put(entry).put((byte) '\n').flip();
        if (appender == null) {
            appender = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        }
        long before = appender.size();
        while (record.hasRemaining()) appender.write(record);
        long after = appender.size();
        if (before == parsed && after == before + record.limit()) { // nobody else appended meanwhile
            entries.put(key, new Location(before + header.length, entry.length));
            parsed = after;
        } else {
            catchUp(); // finds where it landed among other processes' records
        }
    }

    /** Parses whole records from {@link #parsed} on; stops before a record that is not whole (yet). */
    private void catchUp() throws IOException {
        FileChannel ch = reader();
        if (ch == null) return;
        long size = ch.size();
        ByteBuffer header = ByteBuffer.allocate(MAX_HEADER);
        while (parsed < size) {
            header.clear();
            ch.read(header, parsed);
            int newline = -1;
            for (int i = 0; i < header.position(); i++) {
                if (header.get(i) == '\n') {
                    newline = i;
                    break;
                }
            }
            if (newline <= KEY_LENGTH + 1 || header.get(KEY_LENGTH) != ' ') return;
            String key = new String(header.array(), 0, KEY_LENGTH, StandardCharsets.US_ASCII);
            int length;
            try {
                length = Integer.parseInt(new String(header.array(), KEY_LENGTH + 1, newline - KEY_LENGTH - 1,
                        StandardCharsets.US_ASCII));
            } catch (NumberFormatException e) {
                return;
            }
            long body = parsed + newline + 1;
            if (length < 0 || body + length + 1 > size) return;
            ByteBuffer end = ByteBuffer.allocate(1);
            ch.read(end, body + length);
            if (end.get(0) != '\n') return;
            entries.put(key, new Location(body, length));
            parsed = body + length + 1;
        }
    }
}
