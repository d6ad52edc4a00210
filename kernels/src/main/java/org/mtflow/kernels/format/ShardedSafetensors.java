package org.mtflow.kernels.format;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.io.AtomicFiles;

/**
 * A checkpoint split into several safetensors files ("shards") by a Hugging Face index,
 * {@code model.safetensors.index.json}: {@code {"metadata": {...}, "weight_map": {tensor: shard file}}}.
 *
 * <p>Opening validates the whole checkpoint: every shard named by the index is a file inside the
 * checkpoint's directory, is a valid safetensors file, and holds exactly the tensors the index puts in
 * it; no tensor is stored in two shards. Tensors are then read one at a time.
 */
public final class ShardedSafetensors implements AutoCloseable {
    /** The index file name Hugging Face uses for a sharded {@code model.safetensors}. */
    public static final String INDEX_FILE_NAME = "model.safetensors.index.json";
    /** Hugging Face's default largest shard ("5GB"). */
    public static final long DEFAULT_MAX_SHARD_BYTES = 5_000_000_000L;
    private static final int MAX_SHARDS = 99_999; // five digits in the file names

    private final Path indexFile;
    private final Map<String, String> metadata;
    private final Map<String, Safetensors.Entry> entries;
    private final Map<String, Safetensors.Reader> shardOf;
    private final List<Safetensors.Reader> readers;

    private ShardedSafetensors(Path indexFile, Map<String, String> metadata, Map<String, Safetensors.Entry> entries,
            Map<String, Safetensors.Reader> shardOf, List<Safetensors.Reader> readers) {
        this.indexFile = indexFile;
        this.metadata = metadata;
        this.entries = entries;
        this.shardOf = shardOf;
        this.readers = readers;
    }

    /** Opens a sharded checkpoint by its index file, or by a directory holding {@value #INDEX_FILE_NAME}. */
    public static ShardedSafetensors open(Path indexOrDirectory) throws IOException {
        Path index = Files.isDirectory(indexOrDirectory) ? indexOrDirectory.resolve(INDEX_FILE_NAME) : indexOrDirectory;
        Path dir = AtomicFiles.directoryOf(index);
        JsonNode root = parseIndex(index);

        Map<String, String> metadata = new LinkedHashMap<>();
        JsonNode meta = root.get("metadata");
        if (meta != null && !meta.isNull()) {
            if (!meta.isObject()) throw new FormatException(index, "\"metadata\" is not an object");
            // Hugging Face stores numbers here (total_size): keep strings as they are, other values as JSON text.
            for (Map.Entry<String, JsonNode> kv : meta.properties()) {
                metadata.put(kv.getKey(), kv.getValue().isTextual() ? kv.getValue().asText() : kv.getValue().toString());
            }
        }
        JsonNode weightMap = root.get("weight_map");
        if (weightMap == null || !weightMap.isObject()) {
            throw new FormatException(index, "no \"weight_map\" object (tensor name -> shard file)");
        }
        Map<String, String> shardNameOf = new LinkedHashMap<>();
        Map<String, Path> shardFiles = new LinkedHashMap<>(); // shard name -> file, in first-use order
        for (Map.Entry<String, JsonNode> kv : weightMap.properties()) {
            String tensor = kv.getKey();
            if (!kv.getValue().isTextual()) {
                throw new FormatException(index, "weight_map value for tensor '" + tensor + "' is not a file name: " + kv.getValue());
            }
            String shard = kv.getValue().asText();
            if (!shardFiles.containsKey(shard)) {
                Path file = shardPath(index, dir, tensor, shard);
                if (!Files.isRegularFile(file)) {
                    throw new FormatException(index, "shard '" + shard + "' (of tensor '" + tensor + "') does not exist: " + file);
                }
                shardFiles.put(shard, file);
            }
            shardNameOf.put(tensor, shard);
        }

        Map<String, Safetensors.Reader> readerOf = new LinkedHashMap<>();
        List<Safetensors.Reader> opened = new ArrayList<>();
        try {
            Map<String, String> heldBy = new LinkedHashMap<>(); // tensor -> shard whose header has it
            for (Map.Entry<String, Path> s : shardFiles.entrySet()) {
                Safetensors.Reader r = Safetensors.open(s.getValue());
                opened.add(r);
                readerOf.put(s.getKey(), r);
                for (String tensor : r.entries().keySet()) {
                    String other = heldBy.putIfAbsent(tensor, s.getKey());
                    if (other != null) {
                        throw new FormatException(index, "tensor '" + tensor + "' is stored in two shards, '" + other
                                + "' and '" + s.getKey() + "'");
                    }
                    if (!shardNameOf.containsKey(tensor)) {
                        throw new FormatException(index, "shard '" + s.getKey() + "' holds tensor '" + tensor
                                + "', which the weight_map does not list");
                    }
                }
            }
            Map<String, Safetensors.Entry> entries = new LinkedHashMap<>();
            Map<String, Safetensors.Reader> shardOf = new LinkedHashMap<>();
            for (Map.Entry<String, String> kv : shardNameOf.entrySet()) {
                String tensor = kv.getKey(), shard = kv.getValue();
                String holder = heldBy.get(tensor);
                if (holder == null) {
                    throw new FormatException(index, "tensor '" + tensor + "' is not in shard '" + shard
                            + "', where the weight_map puts it (nor in any other shard)");
                }
                if (!holder.equals(shard)) {
                    throw new FormatException(index, "the weight_map puts tensor '" + tensor + "' in shard '" + shard
                            + "' but it is stored in '" + holder + "'");
                }
                Safetensors.Reader r = readerOf.get(shard);
                entries.put(tensor, r.entries().get(tensor));
                shardOf.put(tensor, r);
            }
            return new ShardedSafetensors(index, Collections.unmodifiableMap(metadata),
                    Collections.unmodifiableMap(entries), shardOf, List.copyOf(opened));
        } catch (IOException | RuntimeException | Error e) {
            for (Safetensors.Reader r : opened) {
                try {
                    r.close();
                } catch (IOException c) {
                    e.addSuppressed(c);
                }
            }
            throw e;
        }
    }

    private static JsonNode parseIndex(Path index) throws IOException {
        long size = Files.size(index);
        if (size > Safetensors.MAX_HEADER_BYTES) {
            throw new FormatException(index, "index of " + size + " bytes is above the limit of " + Safetensors.MAX_HEADER_BYTES);
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(Files.readAllBytes(index))).toString();
        } catch (CharacterCodingException e) {
            throw new FormatException(index, "index is not valid UTF-8");
        }
        JsonNode root;
        try {
            root = Safetensors.JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new FormatException(index, "index " + Safetensors.jsonProblem(e));
        }
        if (root == null || !root.isObject()) throw new FormatException(index, "index is not a JSON object");
        return root;
    }

    /**
     * A shard's file: a relative name that stays inside the checkpoint directory (no "." or "..", no
     * absolute path). Checked on the name only: a shard may be a symlink (the Hugging Face cache links
     * snapshot files to blobs elsewhere).
     */
    private static Path shardPath(Path index, Path dir, String tensor, String shard) throws FormatException {
        String why = null;
        Path rel = null;
        if (shard.isEmpty()) why = "is empty";
        else if (shard.indexOf('\\') >= 0 || shard.indexOf('\0') >= 0) why = "contains a backslash or NUL";
        else {
            try {
                rel = dir.getFileSystem().getPath(shard);
                if (rel.isAbsolute() || rel.getRoot() != null) why = "is an absolute path";
                else {
                    for (Path part : rel) {
                        if (part.toString().equals("..") || part.toString().equals(".")) why = "contains a '.' or '..' segment";
                    }
                }
            } catch (InvalidPathException e) {
                why = "is not a valid file name";
            }
        }
        if (why == null && !dir.resolve(rel).normalize().startsWith(dir.normalize())) why = "leaves the directory";
        if (why != null) {
            throw new FormatException(index, "shard name " + Safetensors.quote(shard) + " (of tensor '" + tensor + "') "
                    + why + "; shards must be files inside the checkpoint directory " + dir);
        }
        return dir.resolve(rel).normalize();
    }

    public Path indexFile() { return indexFile; }

    public Path directory() { return AtomicFiles.directoryOf(indexFile); }

    /** The index's "metadata" (strings as they are, other JSON values as JSON text, e.g. total_size). */
    public Map<String, String> metadata() { return metadata; }

    /** Every tensor of the checkpoint, in the index's order, with its place in its shard. */
    public Map<String, Safetensors.Entry> entries() { return entries; }

    /** The shard files, in the order the index first names them. */
    public List<Path> shards() {
        List<Path> files = new ArrayList<>();
        for (Safetensors.Reader r : readers) files.add(r.file());
        return files;
    }

    /** The shard file that holds {@code name}. */
    public Path shardOf(String name) throws FormatException {
        return reader(name).file();
    }

    /** Reads one tensor (converted to float32) from its shard. */
    public Tensor read(String name) throws IOException {
        return reader(name).read(name);
    }

    /** Reads elements {@code [from, from + count)} of one tensor (see {@link Safetensors.Reader#readRange}). */
    public Tensor readRange(String name, long from, int count) throws IOException {
        return reader(name).readRange(name, from, count);
    }

    private Safetensors.Reader reader(String name) throws FormatException {
        Safetensors.Reader r = shardOf.get(name);
        if (r == null) throw new FormatException(indexFile, "no tensor named '" + name + "' in the weight_map");
        return r;
    }

    @Override
    public void close() throws IOException {
        IOException first = null;
        for (Safetensors.Reader r : readers) {
            try {
                r.close();
            } catch (IOException e) {
                if (first == null) first = e;
                else first.addSuppressed(e);
            }
        }
        if (first != null) throw first;
    }

    // ------------------------------------------------------------------ writing

    public static Writer writer() {
        return new Writer();
    }

    /**
     * Splits tensors into shards of at most {@link #maxShardBytes} bytes of tensor data each (in the order
     * they were put; a tensor larger than the limit gets a shard of its own) and writes them as
     * {@code model-00001-of-00003.safetensors}… plus the index {@code model.safetensors.index.json}.
     *
     * <p>All shards and the index are first written to fsynced temp files, then renamed into place, the
     * index last. A failure before the renames changes nothing in the directory; a failure during them
     * removes the shards this write had put in place (a checkpoint being overwritten is then incomplete
     * and its index fails to open rather than mixing old and new shards). Shards of an earlier, larger
     * checkpoint with the same prefix are not removed.
     */
    public static final class Writer {
        private final Map<String, Safetensors.Stored> tensors = new LinkedHashMap<>();
        private final Map<String, String> metadata = new TreeMap<>();
        private long maxShardBytes = DEFAULT_MAX_SHARD_BYTES;
        private String prefix = "model";

        private Writer() {}

        /** The most tensor-data bytes one shard holds (headers not counted, as Hugging Face does). */
        public Writer maxShardBytes(long bytes) {
            if (bytes <= 0) throw new IllegalArgumentException("maxShardBytes must be positive, got " + bytes);
            this.maxShardBytes = bytes;
            return this;
        }

        /** The file name prefix: shards {@code <prefix>-00001-of-0000N.safetensors}, index {@code <prefix>.safetensors.index.json}. */
        public Writer prefix(String prefix) {
            Objects.requireNonNull(prefix, "prefix");
            if (prefix.isEmpty() || prefix.equals(".") || prefix.equals("..") || prefix.indexOf('/') >= 0
                    || prefix.indexOf('\\') >= 0 || prefix.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("prefix must be a plain file name, got " + Safetensors.quote(prefix));
            }
            this.prefix = prefix;
            return this;
        }

        public Writer put(String name, Tensor tensor) {
            return put(name, tensor, Dtype.F32);
        }

        public Writer put(String name, Tensor tensor, Dtype dtype) {
            Safetensors.Stored s = Safetensors.Stored.of(name, tensor, dtype);
            if (tensors.putIfAbsent(name, s) != null) throw new IllegalArgumentException("tensor '" + name + "' was already added");
            return this;
        }

        public Writer putAll(Map<String, Tensor> all) {
            all.forEach(this::put);
            return this;
        }

        /**
         * Metadata written into every shard's {@code __metadata__} and into the index's "metadata" (beside
         * total_size). Shards get {@code "format": "pt"} unless a format is given: Hugging Face's loader
         * refuses shard metadata without one.
         */
        public Writer metadata(String key, String value) {
            metadata.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
            return this;
        }

        public Writer metadata(Map<String, String> entries) {
            entries.forEach(this::metadata);
            return this;
        }

        /** The index file name this writer uses. */
        public String indexFileName() {
            return prefix + ".safetensors.index.json";
        }

        /** Writes the shards and the index into {@code directory} (created if missing); returns the index file. */
        public Path write(Path directory) throws IOException {
            List<List<Safetensors.Stored>> shards = plan();
            int n = shards.size();
            Files.createDirectories(directory);
            Map<String, String> shardMeta = new TreeMap<>(metadata);
            shardMeta.putIfAbsent("format", "pt");

            List<Path> targets = new ArrayList<>();
            Map<String, String> weightMap = new TreeMap<>();
            long totalSize = 0;
            for (int i = 0; i < n; i++) {
                String name = String.format("%s-%05d-of-%05d.safetensors", prefix, i + 1, n);
                targets.add(directory.resolve(name));
                for (Safetensors.Stored s : shards.get(i)) {
                    weightMap.put(s.name(), name);
                    totalSize += s.bytes();
                }
            }
            byte[] indexBytes = indexBytes(totalSize, metadata, weightMap);
            Path indexTarget = directory.resolve(indexFileName());

            Map<Path, Path> temps = new LinkedHashMap<>(); // target -> temp, shards then index
            List<Path> committed = new ArrayList<>();
            try {
                for (int i = 0; i < n; i++) {
                    List<Safetensors.Stored> shard = shards.get(i);
                    temps.put(targets.get(i), AtomicFiles.writeTemp(targets.get(i), out -> Safetensors.writeTo(out, shard, shardMeta)));
                }
                temps.put(indexTarget, AtomicFiles.writeTemp(indexTarget, out -> out.write(indexBytes)));
                for (Map.Entry<Path, Path> t : temps.entrySet()) {
                    AtomicFiles.commit(t.getValue(), t.getKey());
                    committed.add(t.getKey());
                }
            } catch (IOException | RuntimeException | Error e) {
                for (Map.Entry<Path, Path> t : temps.entrySet()) {
                    AtomicFiles.deleteQuietly(t.getValue(), e);
                    if (committed.contains(t.getKey())) AtomicFiles.deleteQuietly(t.getKey(), e);
                }
                throw e;
            }
            return indexTarget;
        }

        private List<List<Safetensors.Stored>> plan() {
            return group(new ArrayList<>(tensors.values()), Safetensors.Stored::bytes, maxShardBytes);
        }
    }

    /**
     * Splits items, in order, into shards of at most {@code maxShardBytes} bytes each (a larger item gets a
     * shard of its own); always at least one shard.
     */
    static <T> List<List<T>> group(List<T> items, java.util.function.ToLongFunction<T> bytesOf, long maxShardBytes) {
        List<List<T>> shards = new ArrayList<>();
        List<T> current = new ArrayList<>();
        long bytes = 0;
        for (T item : items) {
            long b = bytesOf.applyAsLong(item);
            if (!current.isEmpty() && bytes + b > maxShardBytes) {
                shards.add(current);
                current = new ArrayList<>();
                bytes = 0;
            }
            current.add(item);
            bytes += b;
        }
        shards.add(current);
        if (shards.size() > MAX_SHARDS) {
            throw new IllegalArgumentException(shards.size() + " shards needed at " + maxShardBytes
                    + " bytes each; at most " + MAX_SHARDS + " fit the file naming");
        }
        return shards;
    }

    /** The index file's bytes: "metadata" (total_size first, then the given entries) and the sorted weight_map. */
    static byte[] indexBytes(long totalSize, Map<String, String> metadata, Map<String, String> weightMap) throws IOException {
        ObjectNode index = Safetensors.JSON.createObjectNode();
        ObjectNode meta = index.putObject("metadata");
        meta.put("total_size", totalSize);
        metadata.forEach((k, v) -> { if (!k.equals("total_size")) meta.put(k, v); });
        ObjectNode wm = index.putObject("weight_map");
        new TreeMap<>(weightMap).forEach(wm::put);
        byte[] json = Safetensors.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(index);
        byte[] withNewline = java.util.Arrays.copyOf(json, json.length + 1);
        withNewline[json.length] = '\n';
        return withNewline;
    }
}
