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
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.DigestOutputStream;
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
 * file version per process). Cache entries live in {@code cache/<key>.json}.
 */
public final class ArtifactStore {
    private final Path root;
    private final Path objects;
    private final Path tmp;
    private final Path cache;
    /** Files already verified in this process: hash → "size:mtime" of the verified version. */
    private final ConcurrentHashMap<String, String> verified = new ConcurrentHashMap<>();

    public ArtifactStore(Path root) throws IOException {
        this.root = root.toAbsolutePath().normalize();
        this.objects = this.root.resolve("objects");
        this.tmp = this.root.resolve("tmp");
        this.cache = this.root.resolve("cache");
        Files.createDirectories(objects);
        Files.createDirectories(tmp);
        Files.createDirectories(cache);
    }

    public Path root() { return root; }

    /** Where the artifact lives (whether or not it is there). */
    public Path pathOf(ArtifactRef ref) {
        return objects.resolve(ref.sha256().substring(0, 2)).resolve(ref.sha256());
    }

    /** Writes an artifact through {@code writer}, hashing as it goes, and publishes it atomically. */
    public ArtifactRef write(OutputWriter writer) throws IOException {
        Path temp = Files.createTempFile(tmp, "w-", ".part");
        try {
            MessageDigest sha = sha256();
            long size;
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                CountingOutputStream counter;
                try (OutputStream out = new DigestOutputStream(
                        counter = new CountingOutputStream(new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16)), sha)) {
                    writer.write(new NonClosingOutputStream(out));
                    out.flush();
                    size = counter.count;
                    ch.force(true);
                }
            }
            ArtifactRef ref = new ArtifactRef(HexFormat.of().formatHex(sha.digest()), size);
            publish(temp, ref);
            return ref;
        } finally {
            Files.deleteIfExists(temp);
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
        verified.put(ref.sha256(), fingerprint(target));
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
        if (!Files.isRegularFile(p)) throw new CorruptArtifactException(ref, "missing from the store at " + p);
        String fp = fingerprint(p);
        if (fp.equals(verified.get(ref.sha256()))) return p;
        long size = Files.size(p);
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
        Path p = cacheEntryPath(key);
        return Files.isRegularFile(p) ? Optional.of(Files.readAllBytes(p)) : Optional.empty();
    }

    /** Records a cache entry atomically (temp, fsync, rename). */
    public void writeCacheEntry(String key, byte[] json) throws IOException {
        AtomicFiles.write(cacheEntryPath(key), json);
    }

    private Path cacheEntryPath(String key) {
        if (!key.matches("[0-9a-f]{64}")) throw new IllegalArgumentException("bad cache key " + key);
        return cache.resolve(key + ".json");
    }

    private static String fingerprint(Path p) throws IOException {
        BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
        return a.size() + ":" + a.lastModifiedTime().toMillis() + ":" + a.fileKey();
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static final class CountingOutputStream extends java.io.FilterOutputStream {
        long count;

        CountingOutputStream(OutputStream out) { super(out); }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
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
