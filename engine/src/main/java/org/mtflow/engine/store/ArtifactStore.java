package org.mtflow.engine.store;

import org.mtflow.kernels.io.AtomicFiles;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.mtflow.engine.node.TaskContext.OutputWriter;

/**
 * The content-addressed artifact store: {@code objects/ab/abcdef…} holds the artifact whose SHA-256
 * is {@code abcdef…}. Artifacts are written to a temp file, fsynced and renamed into place, so a
 * crash never leaves a partial artifact under a real name; reads verify the checksum (once per
 * file version per process). Cache entries live in {@code cache/index.log}, one appended record
 * each (see {@link CacheIndex}); a store written before that keeps {@code cache/<key>.json} files,
 * still read.
 */
public final class ArtifactStore {
    private static final java.util.regex.Pattern CACHE_KEY = java.util.regex.Pattern.compile("[0-9a-f]{64}");

    private final Path root;
    private final Path objects;
    private final Path tmp;
    private final Path cache;
    private final CacheIndex cacheIndex;
    /** Files already verified in this process: hash → the size, mtime and file key of the verified version. */
    private final ConcurrentHashMap<String, Fingerprint> verified = new ConcurrentHashMap<>();

    private record Fingerprint(long size, long mtimeMillis, Object fileKey) {
        static Fingerprint of(BasicFileAttributes a) {
            return new Fingerprint(a.size(), a.lastModifiedTime().toMillis(), a.fileKey());
        }
    }

    public ArtifactStore(Path root) throws IOException {
        this.root = root.toAbsolutePath().normalize();
        this.objects = this.root.resolve("objects");
        this.tmp = this.root.resolve("tmp");
        this.cache = this.root.resolve("cache");
        Files.createDirectories(objects);
        Files.createDirectories(tmp);
        Files.createDirectories(cache);
        this.cacheIndex = new CacheIndex(cache.resolve("index.log"));
    }

    public Path root() { return root; }

    /** Where the artifact lives (whether or not it is there). */
    public Path pathOf(ArtifactRef ref) {
        String sha = ref.sha256();
        return objects.resolve(sha.substring(0, 2) + "/" + sha);
    }

    /**
     * Outputs up to this size are hashed in memory before any file is touched: when the store
     * already holds that content intact (content-addressed, so equal bytes are the same artifact),
     * nothing is written at all. Bigger ones stream to a temp file as they come.
     */
    static final int IN_MEMORY_LIMIT = 1 << 20;

    /**
     * Writes an artifact through {@code writer}, hashing as it goes, and publishes it atomically: a
     * new artifact is written to a temp file, fsynced and renamed into place; content the store
     * already holds intact is not written again.
     */
    public ArtifactRef write(OutputWriter writer) throws IOException {
        return write(writer, null);
    }

    /**
     * Stores bytes that must be the artifact {@code expected} (one fetched from another node): bytes
     * that are not, by size or hash, are discarded unpublished and reported as corrupt.
     */
    public ArtifactRef receive(ArtifactRef expected, OutputWriter writer) throws IOException {
        return write(writer, java.util.Objects.requireNonNull(expected, "expected"));
    }

    private ArtifactRef write(OutputWriter writer, ArtifactRef expected) throws IOException {
        MessageDigest sha = sha256();
        SpillingOutputStream spill = new SpillingOutputStream(sha);
        try {
            writer.write(new NonClosingOutputStream(spill));
            spill.flush();
            ArtifactRef ref = new ArtifactRef(HexFormat.of().formatHex(sha.digest()), spill.count);
            if (expected != null && !ref.equals(expected)) {
                throw new CorruptArtifactException(expected, "received " + ref.size() + " bytes hashing to " + ref.sha256());
            }
            if (spill.temp == null) {
                if (intact(ref)) return ref; // same content already there: no file, no fsync
                spill.spill(); // new: to a temp file like any other
            }
            spill.finish(); // fsync, close
            publish(spill.temp, ref);
            return ref;
        } finally {
            spill.discard();
        }
    }

    /** Copies a file into the store. */
    public ArtifactRef put(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return write(in::transferTo);
        }
    }

    private void publish(Path temp, ArtifactRef ref) throws IOException {
        Path target = pathOf(ref);
        if (intact(ref)) return; // same content already there
        Files.createDirectories(target.getParent());
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException | FileAlreadyExistsException e) {
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
        }
        AtomicFiles.syncDirectory(target.getParent());
        verified.put(ref.sha256(), Fingerprint.of(Files.readAttributes(target, BasicFileAttributes.class)));
    }

    /** Whether the artifact is present and its bytes hash to its name: a corrupt copy gets replaced. */
    private boolean intact(ArtifactRef ref) throws IOException {
        try {
            read(ref);
            return true;
        } catch (CorruptArtifactException e) {
            return false;
        }
    }

    /** Whether the artifact is present with the right size (its bytes are checked on read). */
    public boolean contains(ArtifactRef ref) {
        Path p = pathOf(ref);
        try {
            return Files.isRegularFile(p) && Files.size(p) == ref.size();
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * The artifact's file, after checking that its bytes still hash to its name. A missing or
     * corrupt artifact is an error the engine answers by recomputing it, never by trusting it.
     */
    public Path read(ArtifactRef ref) throws IOException {
        Path p = pathOf(ref);
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(p, BasicFileAttributes.class); // one stat: present, and which version
        } catch (NoSuchFileException e) {
            a = null;
        }
        if (a == null || !a.isRegularFile()) throw new CorruptArtifactException(ref, "missing from the store at " + p);
        Fingerprint fp = Fingerprint.of(a);
        if (fp.equals(verified.get(ref.sha256()))) return p;
        long size = a.size();
        if (size != ref.size()) throw new CorruptArtifactException(ref, "size " + size + " != " + ref.size());
        MessageDigest sha = sha256();
        try (InputStream in = Files.newInputStream(p)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) sha.update(buf, 0, n);
        }
        String actual = HexFormat.of().formatHex(sha.digest());
        if (!actual.equals(ref.sha256())) throw new CorruptArtifactException(ref, "content hashes to " + actual);
        verified.put(ref.sha256(), fp);
        return p;
    }

    /** The cache entry for a key, if one was recorded. */
    public Optional<byte[]> readCacheEntry(String key) throws IOException {
        Path legacy = cacheEntryPath(key); // checks the key
        Optional<byte[]> entry = cacheIndex.read(key);
        if (entry.isPresent()) return entry;
        return Files.isRegularFile(legacy) ? Optional.of(Files.readAllBytes(legacy)) : Optional.empty();
    }

    /**
     * Records a cache entry: appended to the cache index, without an fsync. An entry is a hint that
     * is checked on use (an unreadable entry is ignored, and the artifacts it names are verified),
     * the artifacts it names are already durable, and a finished run's record is the run journal. A
     * power loss can therefore cost recomputing the last tasks, never a wrong result; an fsync per
     * task would cap a run of small tasks at a few hundred tasks/s.
     */
    public void writeCacheEntry(String key, byte[] json) throws IOException {
        cacheEntryPath(key); // checks the key
        cacheIndex.append(key, json);
    }

    private Path cacheEntryPath(String key) {
        if (!CACHE_KEY.matcher(key).matches()) throw new IllegalArgumentException("bad cache key " + key);
        return cache.resolve(key + ".json");
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Hashes and counts what is written, keeping it in memory up to {@link #IN_MEMORY_LIMIT}; past
     * that (or on {@link #spill}) it moves to a temp file under {@code tmp/} and streams there.
     */
    private final class SpillingOutputStream extends OutputStream {
        private final MessageDigest sha;
        private byte[] buf = new byte[256];
        private int buffered;
        long count;
        Path temp;
        private FileChannel channel;
        private OutputStream file;

        SpillingOutputStream(MessageDigest sha) {
            this.sha = sha;
        }

        @Override
        public void write(int b) throws IOException {
            sha.update((byte) b);
            count++;
            if (file != null) {
                file.write(b);
                return;
            }
            if (buffered == buf.length && !grow(1)) {
                spill();
                file.write(b);
                return;
            }
            buf[buffered++] = (byte) b;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            java.util.Objects.checkFromIndexSize(off, len, b.length);
            sha.update(b, off, len);
            count += len;
            if (file != null) {
                file.write(b, off, len);
                return;
            }
            if (buf.length - buffered < len && !grow(len)) {
                spill();
                file.write(b, off, len);
                return;
            }
            System.arraycopy(b, off, buf, buffered, len);
            buffered += len;
        }

        /** Makes room for {@code more} bytes in memory; false when that would pass the limit. */
        private boolean grow(int more) {
            long need = (long) buffered + more;
            if (need > IN_MEMORY_LIMIT) return false;
            buf = java.util.Arrays.copyOf(buf, (int) Math.min(IN_MEMORY_LIMIT, Math.max(need, 2L * buf.length)));
            return true;
        }

        /** From now on the bytes go to a temp file (what is buffered first). */
        void spill() throws IOException {
            if (file != null) return;
            temp = Files.createTempFile(tmp, "w-", ".part");
            channel = FileChannel.open(temp, StandardOpenOption.WRITE);
            file = new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16);
            file.write(buf, 0, buffered);
            buf = null;
            buffered = 0;
        }

        @Override
        public void flush() throws IOException {
            if (file != null) file.flush();
        }

        /** Flushes, fsyncs and closes the temp file. */
        void finish() throws IOException {
            file.flush();
            channel.force(true);
            file.close();
            file = null;
            channel = null;
        }

        /** Closes and deletes the temp file if it is still there (after a failure, or once published). */
        void discard() throws IOException {
            try {
                if (channel != null) channel.close();
            } finally {
                if (temp != null) Files.deleteIfExists(temp);
            }
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }

    /** Keeps a writer from closing the stream before the store has fsynced it. */
    private static final class NonClosingOutputStream extends java.io.FilterOutputStream {
        NonClosingOutputStream(OutputStream out) { super(out); }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            out.flush();
        }
    }
}
