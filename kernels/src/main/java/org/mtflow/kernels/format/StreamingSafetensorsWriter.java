package org.mtflow.kernels.format;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.io.AtomicFiles;

/**
 * Writes a checkpoint in the Hugging Face layout one tensor at a time, so a model of any size is
 * written holding one tensor (or one piece of one) in memory.
 *
 * <p>Every tensor is declared up front (name, dtype, shape), which fixes the whole layout: shards are
 * planned greedily in declared order up to {@code maxShardBytes} of tensor data each (a larger tensor
 * gets a shard of its own), named {@code model-00001-of-00003.safetensors}…, plus the index
 * {@code model.safetensors.index.json}; a plan of one shard is a single {@code model.safetensors}
 * without index, as {@code save_pretrained} writes it. Headers are then known, so each tensor's bytes
 * have a fixed place and tensors may be written <b>in any order</b>, from several threads at once, a
 * large one in pieces ({@link #write(String, long, Tensor)}; the pieces of one tensor in order).
 *
 * <p>Crash safety: a shard is written to a hidden {@code .partial} file; when its last tensor is
 * written it is fsynced, renamed into place, and a record of its size, header hash and CRC32C is
 * written beside it ({@code .<shard>.done}). The index is written last, by {@link #finish()}, so a
 * directory without an index (or, for one shard, without {@code model.safetensors}) is a checkpoint
 * still being written. Opening a writer on such a directory resumes: a planned shard whose record
 * matches the file (size, header bytes, CRC32C) is kept and its tensors are not written again (see
 * {@link #pending()}); anything else (partial files, unrecorded or mismatched shards, shards of another
 * plan, a stale index) is removed. The final bytes are the same as those of an uninterrupted write.
 */
public final class StreamingSafetensorsWriter implements AutoCloseable {
    private static final int CHUNK_BYTES = 1 << 20;

    /** One planned shard: its file name, its tensors in file order, and its header. */
    public record Shard(String fileName, List<TensorSpec> tensors, long dataBytes) {
        public Shard {
            tensors = List.copyOf(tensors);
        }
    }

    private final Path directory;
    private final String prefix;
    private final List<Shard> plan;
    private final Map<String, Slot> slots = new LinkedHashMap<>(); // declared order
    private final List<ShardState> shards = new ArrayList<>();
    private final List<Path> kept = new ArrayList<>();
    private final byte[] indexBytes; // null for a single-file checkpoint
    private final FileChannel lockChannel;
    private final FileLock lock;
    private boolean finished, closed;

    public static Builder to(Path directory) {
        return new Builder(directory);
    }

    /** Declares the tensors and options; {@link #open()} plans the shards and resumes what it can. */
    public static final class Builder {
        private final Path directory;
        private final Map<String, TensorSpec> specs = new LinkedHashMap<>();
        private final Map<String, String> metadata = new TreeMap<>();
        private long maxShardBytes = ShardedSafetensors.DEFAULT_MAX_SHARD_BYTES;
        private String prefix = "model";

        private Builder(Path directory) {
            this.directory = Objects.requireNonNull(directory, "directory");
        }

        public Builder declare(String name, Dtype dtype, int... shape) {
            return declare(new TensorSpec(name, dtype, shape));
        }

        public Builder declare(TensorSpec spec) {
            if (!spec.dtype().writable()) {
                throw new IllegalArgumentException("cannot write tensor '" + spec.name() + "' as " + spec.dtype()
                        + "; writable dtypes: F32, F16, BF16, F64");
            }
            if (specs.putIfAbsent(spec.name(), spec) != null) {
                throw new IllegalArgumentException("tensor '" + spec.name() + "' was declared twice");
            }
            return this;
        }

        /** The most tensor-data bytes one shard holds (headers not counted, as Hugging Face does). */
        public Builder maxShardBytes(long bytes) {
            if (bytes <= 0) throw new IllegalArgumentException("maxShardBytes must be positive, got " + bytes);
            this.maxShardBytes = bytes;
            return this;
        }

        public Builder prefix(String prefix) {
            ShardedSafetensors.writer().prefix(prefix); // the same rule as the in-memory writer
            this.prefix = prefix;
            return this;
        }

        /** Metadata for every shard's {@code __metadata__} (with {@code "format": "pt"} unless given) and the index. */
        public Builder metadata(String key, String value) {
            metadata.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
            return this;
        }

        public Builder metadata(Map<String, String> entries) {
            entries.forEach(this::metadata);
            return this;
        }

        public StreamingSafetensorsWriter open() throws IOException {
            if (specs.isEmpty()) throw new IllegalArgumentException("no tensors declared for " + directory);
            return new StreamingSafetensorsWriter(this);
        }
    }

    /** Where a declared tensor goes and how much of it is written. */
    private static final class Slot {
        final TensorSpec spec;
        final ShardState shard;
        final long fileOffset;
        long written; // elements, guarded by this
        volatile boolean done; // read without the lock by pending(), so finish() never waits on a slot

        Slot(TensorSpec spec, ShardState shard, long fileOffset) {
            this.spec = spec;
            this.shard = shard;
            this.fileOffset = fileOffset;
        }
    }

    private static final class ShardState {
        final Shard shard;
        final Path target, partial, record;
        final byte[] header;
        final long size;
        boolean kept, complete;
        String crc32c; // once complete
        int remaining; // tensors not yet written, guarded by this
        FileChannel channel;

        ShardState(Shard shard, Path dir, byte[] header) {
            this.shard = shard;
            this.target = dir.resolve(shard.fileName());
            this.partial = dir.resolve("." + shard.fileName() + ".partial");
            this.record = dir.resolve("." + shard.fileName() + ".done");
            this.header = header;
            this.size = header.length + shard.dataBytes();
            this.remaining = shard.tensors().size();
        }
    }

    private StreamingSafetensorsWriter(Builder b) throws IOException {
        this.directory = b.directory.toAbsolutePath();
        this.prefix = b.prefix;
        Layout layout = layout(new ArrayList<>(b.specs.values()), b.maxShardBytes, b.prefix, b.metadata);
        this.plan = layout.shards();
        Files.createDirectories(directory);
        Path lockFile = directory.resolve("." + prefix + ".safetensors.lock");
        this.lockChannel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        try {
            FileLock l;
            try {
                l = lockChannel.tryLock();
            } catch (OverlappingFileLockException e) {
                l = null;
            }
            if (l == null) throw new IOException(directory + ": another writer is writing this checkpoint (" + lockFile + " is locked)");
            this.lock = l;
            for (int i = 0; i < plan.size(); i++) {
                ShardState st = new ShardState(plan.get(i), directory, layout.headers().get(i));
                shards.add(st);
                long offset = st.header.length;
                for (TensorSpec t : st.shard.tensors()) {
                    slots.put(t.name(), new Slot(t, st, offset));
                    offset += t.bytes();
                }
            }
            // Keep the declared order for pending(): slots were added in file order.
            Map<String, Slot> declared = new LinkedHashMap<>();
            for (String name : b.specs.keySet()) declared.put(name, slots.get(name));
            slots.clear();
            slots.putAll(declared);
            this.indexBytes = layout.index();
            resume();
        } catch (IOException | RuntimeException | Error e) {
            lockChannel.close();
            throw e;
        }
    }

    /**
     * Every byte a writer of these tensors lays out besides the tensor data: its shards (as {@link
     * #plan()}), each shard's header, and the index (null for a one-shard plan). What lets the shards
     * be written apart, each by its own task ({@link ShardOutput}), and put together into the same
     * directory this writer would write.
     */
    public record Layout(List<Shard> shards, List<byte[]> headers, byte[] index, String indexFileName) {
        public Layout {
            shards = List.copyOf(shards);
            headers = List.copyOf(headers);
        }
    }

    /** The layout of these tensors in declared order, with shard metadata as {@link Builder#metadata(Map)} takes it. */
    public static Layout layout(List<TensorSpec> declared, long maxShardBytes, String prefix, Map<String, String> metadata) throws IOException {
        List<Shard> plan = plan(declared, maxShardBytes, prefix);
        Map<String, String> shardMeta = new TreeMap<>(metadata);
        shardMeta.putIfAbsent("format", "pt");
        List<byte[]> headers = new ArrayList<>();
        long totalSize = 0;
        Map<String, String> weightMap = new TreeMap<>();
        for (Shard s : plan) {
            headers.add(Safetensors.header(s.tensors(), shardMeta));
            for (TensorSpec t : s.tensors()) weightMap.put(t.name(), s.fileName());
            totalSize += s.dataBytes();
        }
        byte[] index = plan.size() == 1 ? null : ShardedSafetensors.indexBytes(totalSize, metadata, weightMap);
        return new Layout(plan, headers, index, prefix + ".safetensors.index.json");
    }

    static List<Shard> plan(List<TensorSpec> specs, long maxShardBytes, String prefix) {
        List<List<TensorSpec>> groups = ShardedSafetensors.group(specs, TensorSpec::bytes, maxShardBytes);
        List<Shard> shards = new ArrayList<>();
        int n = groups.size();
        for (int i = 0; i < n; i++) {
            String name = n == 1 ? prefix + ".safetensors" : String.format("%s-%05d-of-%05d.safetensors", prefix, i + 1, n);
            List<TensorSpec> ordered = Safetensors.fileOrder(groups.get(i), t -> t.dtype().bits());
            long data = 0;
            for (TensorSpec t : ordered) data += t.bytes();
            shards.add(new Shard(name, ordered, data));
        }
        return shards;
    }

    /** Removes what marks a finished or stale checkpoint, keeps the planned shards whose record checks out. */
    private void resume() throws IOException {
        // From here on the directory reads as incomplete (a one-shard model.safetensors is checked below).
        Files.deleteIfExists(directory.resolve(prefix + ".safetensors.index.json"));
        // Shards, partial shards, records, and AtomicFiles' temps of a record or index a kill left before their rename.
        Pattern ours = Pattern.compile("\\.?" + Pattern.quote(prefix)
                + "(-\\d{5}-of-\\d{5})?\\.safetensors(\\.partial|\\.done|\\.done\\.[0-9a-f]+\\.tmp|\\.index\\.json\\.[0-9a-f]+\\.tmp)?");
        List<Path> stale = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory)) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                if (ours.matcher(name).matches()) stale.add(f);
            }
        }
        for (ShardState s : shards) {
            if (verifies(s)) {
                s.kept = true;
                s.complete = true;
                s.remaining = 0;
                kept.add(s.target);
                stale.remove(s.target);
                stale.remove(s.record);
                for (TensorSpec t : s.shard.tensors()) {
                    Slot slot = slots.get(t.name());
                    slot.done = true;
                    slot.written = t.elements();
                }
            }
        }
        for (Path f : stale) Files.deleteIfExists(f);
        AtomicFiles.syncDirectory(directory);
    }

    private boolean verifies(ShardState s) throws IOException {
        if (!Files.isRegularFile(s.target) || !Files.isRegularFile(s.record)) return false;
        JsonNode rec;
        try {
            rec = Safetensors.JSON.readTree(Files.readAllBytes(s.record));
        } catch (IOException e) {
            return false; // a torn or foreign record: rewrite the shard
        }
        if (rec == null || !rec.isObject() || rec.path("size").asLong(-1) != s.size
                || !rec.path("header_sha256").asText().equals(sha256(s.header))
                || Files.size(s.target) != s.size) {
            return false;
        }
        try (FileChannel ch = FileChannel.open(s.target, StandardOpenOption.READ)) {
            ByteBuffer head = ByteBuffer.allocate(s.header.length);
            while (head.hasRemaining()) {
                if (ch.read(head, head.position()) < 0) return false;
            }
            if (!Arrays.equals(head.array(), s.header)) return false;
            String crc = crc32c(ch, s.size);
            s.crc32c = crc;
            return rec.path("crc32c").asText().equals(crc);
        }
    }

    /** The shards as planned, in file order. */
    public List<Shard> plan() { return plan; }

    /** The final file: the index, or {@code model.safetensors} when the plan is one shard. */
    public Path indexFile() {
        return indexBytes == null ? directory.resolve(plan.get(0).fileName()) : directory.resolve(prefix + ".safetensors.index.json");
    }

    /** Shards a previous, interrupted write had completed and this one keeps. */
    public List<Path> keptShards() { return List.copyOf(kept); }

    /** The declared tensors still to write, in declared order (tensors of kept shards are not). */
    public List<String> pending() {
        List<String> names = new ArrayList<>();
        for (Slot s : slots.values()) {
            if (!s.done) names.add(s.spec.name());
        }
        return names;
    }

    /** Each shard file's CRC32C (8 hex digits), by file name, once {@link #finish()} has run. */
    public synchronized Map<String, String> checksums() {
        if (!finished) throw new IllegalStateException("the checkpoint in " + directory + " is not finished");
        Map<String, String> crc = new LinkedHashMap<>();
        for (ShardState s : shards) crc.put(s.shard.fileName(), s.crc32c);
        return crc;
    }

    /** The CRC32C of a whole file, as {@link #checksums()} writes it. */
    public static String crc32c(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return crc32c(ch, ch.size());
        }
    }

    /** The declaration of a tensor. */
    public TensorSpec spec(String name) {
        return slot(name).spec;
    }

    /**
     * Writes a whole tensor, converted to its declared dtype. Returns false, writing nothing, when the
     * tensor's shard was kept from an earlier write.
     */
    public boolean write(String name, Tensor tensor) throws IOException {
        Slot s = slot(name);
        if (!Arrays.equals(tensor.shape(), s.spec.shape())) {
            throw new IllegalArgumentException("tensor '" + name + "' has shape " + Arrays.toString(tensor.shape())
                    + " but was declared " + Arrays.toString(s.spec.shape()));
        }
        return write(name, 0, tensor);
    }

    /**
     * Writes elements {@code [from, from + chunk.size())} of a tensor (row-major; the chunk's shape is
     * ignored). The pieces of one tensor must come in order; different tensors in any order, from any
     * thread. Returns false, writing nothing, when the tensor's shard was kept from an earlier write.
     */
    public boolean write(String name, long from, Tensor chunk) throws IOException {
        Slot s = slot(name);
        ShardState shard = s.shard;
        if (shard.kept) return false;
        synchronized (s) {
            if (s.done) throw new IllegalStateException("tensor '" + name + "' was already written");
            if (from != s.written) {
                throw new IllegalArgumentException("tensor '" + name + "': a piece at element " + from + " but "
                        + s.written + " elements are written so far; the pieces of a tensor go in order");
            }
            if (chunk.size() > s.spec.elements() - from) {
                throw new IllegalArgumentException("tensor '" + name + "': a piece of " + chunk.size() + " elements at "
                        + from + " runs past its " + s.spec.elements() + " declared elements " + Arrays.toString(s.spec.shape()));
            }
            FileChannel ch = channel(shard);
            int size = s.spec.dtype().bits() / 8;
            ByteBuffer buf = ByteBuffer.allocate(Math.min(CHUNK_BYTES, Math.max(size, chunk.size() * size))).order(ByteOrder.LITTLE_ENDIAN);
            float[] d = chunk.data();
            long pos = s.fileOffset + from * size;
            for (int i = 0; i < d.length; ) {
                int n = Safetensors.encode(d, i, d.length - i, s.spec.dtype(), buf);
                while (buf.hasRemaining()) pos += ch.write(buf, pos);
                i += n;
            }
            s.written += d.length;
            if (s.written < s.spec.elements()) return true;
            s.done = true;
        }
        boolean last;
        synchronized (shard) {
            last = --shard.remaining == 0;
        }
        if (last) complete(shard);
        return true;
    }

    private synchronized FileChannel channel(ShardState shard) throws IOException {
        if (closed) throw new IllegalStateException("the writer of " + directory + " is closed");
        if (shard.channel == null) {
            FileChannel ch = FileChannel.open(shard.partial, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE, StandardOpenOption.READ);
            ByteBuffer h = ByteBuffer.wrap(shard.header);
            while (h.hasRemaining()) ch.write(h, h.position());
            shard.channel = ch;
        }
        return shard.channel;
    }

    /** The shard's last tensor is in: fsync, checksum, rename into place, then record it. */
    private void complete(ShardState shard) throws IOException {
        FileChannel ch;
        synchronized (this) {
            ch = shard.channel;
            shard.channel = null;
        }
        String crc;
        try (ch) {
            if (ch.size() != shard.size) {
                throw new IOException(shard.partial + ": " + ch.size() + " bytes written, " + shard.size + " planned");
            }
            ch.force(true);
            crc = crc32c(ch, shard.size);
        }
        AtomicFiles.commit(shard.partial, shard.target);
        ObjectNode rec = Safetensors.JSON.createObjectNode();
        rec.put("size", shard.size).put("header_sha256", sha256(shard.header)).put("crc32c", crc);
        AtomicFiles.write(shard.record, Safetensors.JSON.writeValueAsBytes(rec));
        synchronized (this) {
            shard.crc32c = crc;
            shard.complete = true;
        }
    }

    /**
     * Checks that every declared tensor is written, writes the index (the commit point) and removes the
     * shard records. Returns the index, or {@code model.safetensors} for a one-shard checkpoint.
     */
    public synchronized Path finish() throws IOException {
        if (finished) return indexFile();
        List<String> missing = pending();
        if (!missing.isEmpty()) {
            throw new IllegalStateException(directory + ": " + missing.size() + " declared tensors were not written: "
                    + (missing.size() <= 10 ? missing : missing.subList(0, 10) + "…"));
        }
        for (ShardState s : shards) {
            if (!s.complete) throw new IllegalStateException(directory + ": shard " + s.shard.fileName() + " is not complete");
        }
        if (indexBytes != null) AtomicFiles.write(indexFile(), indexBytes);
        for (ShardState s : shards) Files.deleteIfExists(s.record);
        AtomicFiles.syncDirectory(directory);
        finished = true;
        return indexFile();
    }

    /**
     * Releases the directory. Without {@link #finish()} (a failed write) partial shards are removed and
     * completed ones kept with their records, for a later writer to resume from.
     */
    @Override
    public synchronized void close() throws IOException {
        if (closed) return;
        closed = true;
        IOException first = null;
        for (ShardState s : shards) {
            if (s.channel != null) {
                try {
                    s.channel.close();
                    Files.deleteIfExists(s.partial);
                } catch (IOException e) {
                    if (first == null) first = e;
                }
                s.channel = null;
            }
        }
        try {
            lock.release();
            lockChannel.close();
            if (finished) Files.deleteIfExists(directory.resolve("." + prefix + ".safetensors.lock"));
        } catch (IOException e) {
            if (first == null) first = e;
        }
        if (first != null) throw first;
    }

    private Slot slot(String name) {
        Slot s = slots.get(name);
        if (s == null) {
            throw new IllegalArgumentException("tensor '" + name + "' was not declared for " + directory
                    + " (" + slots.size() + " tensors declared)");
        }
        return s;
    }

    private static String crc32c(FileChannel ch, long size) throws IOException {
        CRC32C crc = new CRC32C();
        for (long pos = 0; pos < size; ) {
            long n = Math.min(1L << 30, size - pos);
            MappedByteBuffer map = ch.map(FileChannel.MapMode.READ_ONLY, pos, n);
            crc.update(map);
            pos += n;
        }
        return String.format("%08x", crc.getValue());
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by the Java platform", e);
        }
    }
}
