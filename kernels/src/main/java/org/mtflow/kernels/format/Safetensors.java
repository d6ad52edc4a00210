package org.mtflow.kernels.format;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.MappedByteBuffer;
import java.nio.ShortBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.TensorOps.HalfType;
import org.mtflow.kernels.io.AtomicFiles;
import org.mtflow.kernels.jvm.HalfCodec;

/**
 * The safetensors format (Hugging Face): a little-endian u64 header length N, N bytes of UTF-8 JSON
 * (starting with '{', possibly padded with spaces) mapping tensor names to dtype, shape and
 * [begin, end) offsets into the data section, plus an optional {@code __metadata__} map of strings,
 * then the data section: raw row-major little-endian tensors that cover it exactly, no holes, no
 * overlaps, nothing after the last tensor.
 *
 * <p>Reading validates the whole header when the file is opened and then maps and converts one tensor
 * at a time to float32 (see {@link Dtype#readable()}); files above 2 GiB work, a single tensor must fit
 * a Java array. Writing stores float32 tensors as F32, F16, BF16 or F64, each tensor its own dtype.
 */
public final class Safetensors {
    /** Headers above this size are rejected before they are read (the format's own limit). */
    public static final long MAX_HEADER_BYTES = 100L * 1000 * 1000;
    /** The most elements one tensor can have here: the largest Java array. */
    public static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;
    private static final int DEFAULT_WINDOW_BYTES = 1 << 30;
    static final ObjectMapper JSON = strictMapper();

    private Safetensors() {}

    /** A parser that rejects duplicate keys and anything after the JSON value, with the format's size limit. */
    static ObjectMapper strictMapper() {
        JsonFactory factory = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder().maxStringLength((int) MAX_HEADER_BYTES).build())
                .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .build();
        return new ObjectMapper(factory).enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    }

    /** Where a tensor lies in the data section and what it holds. */
    public record Entry(String name, Dtype dtype, int[] shape, long begin, long end) {
        public Entry {
            shape = shape.clone();
        }

        @Override
        public int[] shape() { return shape.clone(); }

        public long elements() {
            long n = 1;
            for (int d : shape) n *= d;
            return n;
        }

        /** Bytes of this tensor's data ({@code end - begin}). */
        public long byteSize() { return end - begin; }

        @Override
        public boolean equals(Object o) {
            return o instanceof Entry e && name.equals(e.name) && dtype == e.dtype && Arrays.equals(shape, e.shape)
                    && begin == e.begin && end == e.end;
        }

        @Override
        public int hashCode() {
            return Objects.hash(name, dtype, Arrays.hashCode(shape), begin, end);
        }

        @Override
        public String toString() {
            return name + " " + dtype + Arrays.toString(shape) + " @[" + begin + ", " + end + ")";
        }
    }

    // ------------------------------------------------------------------ writing

    /** Writes the tensors as F32 (in the map's order) and the metadata to {@code out}; does not close it. */
    public static void write(OutputStream out, Map<String, Tensor> tensors, Map<String, String> metadata)
            throws IOException {
        writer().putAll(tensors).metadata(metadata).write(out);
    }

    /** Writes the tensors as F32 to {@code file} atomically (temp file, fsync, rename). */
    public static void writeFile(Path file, Map<String, Tensor> tensors, Map<String, String> metadata)
            throws IOException {
        writer().putAll(tensors).metadata(metadata).writeFile(file);
    }

    /** A writer to which tensors are added one by one, each with the dtype to store it as. */
    public static Writer writer() {
        return new Writer();
    }

    /** A tensor to be written, and the dtype to store it as. */
    record Stored(String name, Tensor tensor, Dtype dtype) {
        static Stored of(String name, Tensor tensor, Dtype dtype) {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(tensor, "tensor");
            Objects.requireNonNull(dtype, "dtype");
            if (name.equals("__metadata__")) throw new IllegalArgumentException("reserved tensor name __metadata__");
            if (!dtype.writable()) {
                throw new IllegalArgumentException("cannot write tensor '" + name + "' as " + dtype
                        + "; writable dtypes: F32, F16, BF16, F64");
            }
            return new Stored(name, tensor, dtype);
        }

        long bytes() {
            return (long) tensor.size() * (dtype.bits() / 8);
        }
    }

    /**
     * Collects tensors and metadata, then writes one safetensors file. Tensors are held by reference and
     * read when written. In the file, tensors are ordered by element size (widest first, so every
     * tensor is aligned to its element size), then in the order they were put; metadata keys are sorted,
     * so the same calls give the same bytes.
     */
    public static final class Writer {
        private final Map<String, Stored> tensors = new LinkedHashMap<>();
        private final Map<String, String> metadata = new TreeMap<>();

        private Writer() {}

        /** Adds a tensor to store as F32. */
        public Writer put(String name, Tensor tensor) {
            return put(name, tensor, Dtype.F32);
        }

        /** Adds a tensor to store as {@code dtype} (F32, F16, BF16 or F64; 16-bit types round to nearest even). */
        public Writer put(String name, Tensor tensor, Dtype dtype) {
            Stored s = Stored.of(name, tensor, dtype);
            if (tensors.putIfAbsent(name, s) != null) throw new IllegalArgumentException("tensor '" + name + "' was already added");
            return this;
        }

        /** Adds every tensor of the map (in its order) as F32. */
        public Writer putAll(Map<String, Tensor> all) {
            all.forEach(this::put);
            return this;
        }

        public Writer metadata(String key, String value) {
            metadata.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /** Adds entries to the file's {@code __metadata__} map. */
        public Writer metadata(Map<String, String> entries) {
            entries.forEach(this::metadata);
            return this;
        }

        /** Bytes of tensor data (the data section) the file will hold. */
        public long dataBytes() {
            long n = 0;
            for (Stored s : tensors.values()) n += s.bytes();
            return n;
        }

        /** Writes the file to {@code out}; does not close it. */
        public void write(OutputStream out) throws IOException {
            writeTo(out, new ArrayList<>(tensors.values()), metadata);
        }

        /** Writes the file atomically: a temp file in the same directory, fsynced, then renamed over {@code file}. */
        public void writeFile(Path file) throws IOException {
            List<Stored> list = new ArrayList<>(tensors.values());
            AtomicFiles.write(file, out -> writeTo(out, list, metadata));
        }
    }

    static void writeTo(OutputStream out, List<Stored> tensors, Map<String, String> metadata) throws IOException {
        List<Stored> ordered = fileOrder(tensors, s -> s.dtype().bits());
        List<TensorSpec> specs = new ArrayList<>();
        for (Stored s : ordered) specs.add(new TensorSpec(s.name(), s.dtype(), s.tensor().shape()));
        out.write(header(specs, metadata));
        ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        for (Stored s : ordered) {
            float[] d = s.tensor().data();
            for (int i = 0; i < d.length; ) {
                int n = encode(d, i, d.length - i, s.dtype(), buf);
                out.write(buf.array(), 0, buf.limit());
                i += n;
            }
        }
    }

    /** Tensors in file order: widest element first (so each is aligned to its element size), then as given. */
    static <T> List<T> fileOrder(List<T> tensors, java.util.function.ToIntFunction<T> bits) {
        List<T> ordered = new ArrayList<>(tensors);
        ordered.sort(Comparator.comparingInt((T t) -> -bits.applyAsInt(t))); // stable: given order within a size
        return ordered;
    }

    /**
     * The bytes before the data section of a file holding {@code ordered} back to back in that order:
     * the u64 header length and the JSON header, space-padded to 8 bytes; metadata keys sorted.
     */
    static byte[] header(List<TensorSpec> ordered, Map<String, String> metadata) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            new TreeMap<>(metadata).forEach(meta::put);
        }
        long offset = 0;
        for (TensorSpec s : ordered) {
            ObjectNode t = header.putObject(s.name());
            t.put("dtype", s.dtype().name());
            ArrayNode shape = t.putArray("shape");
            for (int d : s.shape()) shape.add(d);
            t.putArray("data_offsets").add(offset).add(offset + s.bytes());
            offset += s.bytes();
        }
        byte[] json = JSON.writeValueAsBytes(header);
        int padded = (json.length + 7) & ~7; // keep the data 8-byte aligned, as the reference writer does
        ByteBuffer b = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).put(json);
        while (b.hasRemaining()) b.put((byte) ' ');
        return b.array();
    }

    /**
     * Encodes up to {@code n} elements of {@code d} from {@code from} as {@code dtype} into {@code buf}
     * (cleared first, flipped after: its bytes are [0, limit)); returns how many elements fit.
     */
    static int encode(float[] d, int from, int n, Dtype dtype, ByteBuffer buf) {
        int size = dtype.bits() / 8;
        n = Math.min(buf.capacity() / size, n);
        buf.clear();
        switch (dtype) {
            case F32 -> buf.asFloatBuffer().put(d, from, n);
            case F64 -> { DoubleBuffer b = buf.asDoubleBuffer(); for (int k = 0; k < n; k++) b.put(d[from + k]); }
            case F16, BF16 -> { // convert into an array, then one bulk copy: per-element view puts are slow
                short[] h = new short[n];
                HalfCodec.encode(d, from, dtype == Dtype.F16 ? HalfType.F16 : HalfType.BF16, h, n);
                buf.asShortBuffer().put(h, 0, n);
            }
            default -> throw new IllegalArgumentException("cannot write " + dtype);
        }
        buf.position(n * size).flip();
        return n;
    }

    // ------------------------------------------------------------------ reading

    /** Opens a safetensors file, validating its whole header and layout. */
    public static Reader open(Path file) throws IOException {
        return new Reader(file, DEFAULT_WINDOW_BYTES);
    }

    /** As {@link #open(Path)}, mapping at most {@code windowBytes} at a time (small windows for tests). */
    static Reader open(Path file, int windowBytes) throws IOException {
        return new Reader(file, windowBytes);
    }

    /**
     * An open safetensors file. Its header has been validated; each {@link #read} maps the tensor's bytes
     * (in windows) and converts them to a new float32 tensor. Reads may run concurrently.
     */
    public static final class Reader implements AutoCloseable {
        private final Path file;
        private final FileChannel channel;
        private final int windowBytes;
        private final long dataStart;
        private final long fileSize;
        private final Map<String, Entry> entries;
        private final Map<String, String> metadata;

        private Reader(Path file, int windowBytes) throws IOException {
            this.file = file;
            this.windowBytes = Math.max(8, windowBytes);
            this.channel = FileChannel.open(file, StandardOpenOption.READ);
            try {
                long size = channel.size();
                this.fileSize = size;
                if (size < 8) throw problem("file of " + size + " bytes is too short for a safetensors header");
                ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
                readFully(lenBuf, 0);
                long headerLen = lenBuf.flip().getLong();
                if (headerLen < 0 || headerLen > MAX_HEADER_BYTES) {
                    throw problem("header length " + Long.toUnsignedString(headerLen) + " is above the format's limit of "
                            + MAX_HEADER_BYTES + " bytes");
                }
                if (headerLen > size - 8) {
                    throw problem("header length " + headerLen + " runs past the end of the " + size + "-byte file");
                }
                if (headerLen < 2) throw problem("header length " + headerLen + " is too short for a JSON object");
                ByteBuffer header = ByteBuffer.allocate((int) headerLen);
                readFully(header, 8);
                this.dataStart = 8 + headerLen;
                long dataBytes = size - dataStart;
                JsonNode root = parseHeader(header.flip());
                Map<String, String> meta = new LinkedHashMap<>();
                Map<String, Entry> map = new LinkedHashMap<>();
                for (Map.Entry<String, JsonNode> f : root.properties()) {
                    if (f.getKey().equals("__metadata__")) {
                        if (!f.getValue().isObject()) throw problem("__metadata__ is not an object of strings");
                        for (Map.Entry<String, JsonNode> kv : f.getValue().properties()) {
                            if (!kv.getValue().isTextual()) {
                                throw problem("__metadata__ value of '" + kv.getKey() + "' is not a string: " + kv.getValue());
                            }
                            meta.put(kv.getKey(), kv.getValue().asText());
                        }
                    } else {
                        map.put(f.getKey(), parseEntry(f.getKey(), f.getValue(), dataBytes));
                    }
                }
                checkCoverage(map.values(), dataBytes);
                this.entries = Collections.unmodifiableMap(map);
                this.metadata = Collections.unmodifiableMap(meta);
            } catch (IOException | RuntimeException | Error e) {
                channel.close();
                throw e;
            }
        }

        private FormatException problem(String what) {
            return new FormatException(file, what);
        }

        private JsonNode parseHeader(ByteBuffer bytes) throws FormatException {
            String text;
            try {
                text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(bytes).toString();
            } catch (CharacterCodingException e) {
                throw problem("header is not valid UTF-8");
            }
            if (!text.startsWith("{")) {
                throw problem("header does not start with '{' (it starts with " + quote(text.substring(0, Math.min(16, text.length()))) + ")");
            }
            JsonNode root;
            try {
                root = JSON.readTree(text);
            } catch (JsonProcessingException e) {
                throw problem("header " + jsonProblem(e));
            }
            if (root == null || !root.isObject()) throw problem("header is not a JSON object");
            return root;
        }

        private Entry parseEntry(String name, JsonNode t, long dataBytes) throws FormatException {
            String where = "tensor '" + name + "'";
            if (!t.isObject()) throw problem(where + " is not an object with dtype, shape and data_offsets");
            JsonNode dtypeNode = t.get("dtype"), shape = t.get("shape"), offsets = t.get("data_offsets");
            if (dtypeNode == null || !dtypeNode.isTextual()) throw problem(where + " has no dtype string");
            Dtype dtype = Dtype.named(dtypeNode.asText()).orElseThrow(() -> problem(where + " has unknown dtype "
                    + quote(dtypeNode.asText()) + " (known: " + Arrays.toString(Dtype.values()) + ")"));
            if (shape == null || !shape.isArray()) throw problem(where + " has no shape array");
            int[] dims = new int[shape.size()];
            boolean empty = false, tooMany = false;
            long elements = 1;
            for (int i = 0; i < dims.length; i++) {
                JsonNode d = shape.get(i);
                if (!d.isIntegralNumber()) throw problem(where + " has a dimension that is not an integer: " + d + " in shape " + shape);
                if (d.bigIntegerValue().signum() < 0) throw problem(where + " has a negative dimension " + d + " in shape " + shape);
                if (!d.canConvertToInt()) throw problem(where + " has dimension " + d + ", above 2^31-1, in shape " + shape);
                dims[i] = d.intValue();
                if (dims[i] == 0) empty = true;
                try {
                    elements = Math.multiplyExact(elements, (long) dims[i]);
                } catch (ArithmeticException overflow) {
                    tooMany = true;
                }
            }
            long bits;
            try {
                if (empty) elements = 0;
                else if (tooMany) throw new ArithmeticException();
                bits = Math.multiplyExact(elements, (long) dtype.bits());
            } catch (ArithmeticException overflow) {
                throw problem(where + " has shape " + shape + " with more elements than a 64-bit size can count");
            }
            if (bits % 8 != 0) {
                throw problem(where + " of dtype " + dtype + " and shape " + shape + " is not a whole number of bytes");
            }
            long bytes = bits / 8;
            if (offsets == null || !offsets.isArray() || offsets.size() != 2) {
                throw problem(where + " needs data_offsets [begin, end], got " + offsets);
            }
            for (JsonNode o : offsets) {
                if (!o.isIntegralNumber() || o.bigIntegerValue().signum() < 0 || !o.canConvertToLong()) {
                    throw problem(where + " has data_offsets " + offsets + "; they must be non-negative integers");
                }
            }
            long begin = offsets.get(0).longValue(), end = offsets.get(1).longValue();
            if (end < begin) throw problem(where + " has data_offsets " + offsets + " that end before they begin");
            if (end > dataBytes) {
                throw problem(where + " has data_offsets " + offsets + " out of range: past the end of the "
                        + dataBytes + "-byte data section");
            }
            if (end - begin != bytes) {
                throw problem(where + " of dtype " + dtype + " and shape " + shape + " needs " + bytes
                        + " bytes but its data_offsets " + offsets + " span " + (end - begin) + " (shape/size mismatch)");
            }
            return new Entry(name, dtype, dims, begin, end);
        }

        /** The tensors must tile the data section exactly: no overlap, no hole, nothing after the last. */
        private void checkCoverage(java.util.Collection<Entry> all, long dataBytes) throws FormatException {
            List<Entry> sorted = new ArrayList<>(all);
            sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
            long covered = 0;
            Entry last = null;
            for (Entry e : sorted) {
                if (e.begin() < covered) {
                    throw problem("tensors '" + last.name() + "' [" + last.begin() + ", " + last.end() + ") and '"
                            + e.name() + "' [" + e.begin() + ", " + e.end() + ") overlap");
                }
                if (e.begin() > covered) {
                    throw problem("hole in the data section: bytes [" + covered + ", " + e.begin()
                            + ") belong to no tensor (before '" + e.name() + "'); the format requires full coverage");
                }
                covered = e.end();
                last = e;
            }
            if (covered != dataBytes) {
                throw problem((dataBytes - covered) + " trailing bytes after the last tensor (data section of "
                        + dataBytes + " bytes, tensors cover " + covered + "); the format allows none");
            }
        }

        private void readFully(ByteBuffer buf, long position) throws IOException {
            while (buf.hasRemaining()) {
                int n = channel.read(buf, position + buf.position());
                if (n < 0) throw problem("unexpected end of file");
            }
        }

        public Path file() { return file; }

        /** The tensors, in header order. */
        public Map<String, Entry> entries() { return entries; }

        /** The {@code __metadata__} map (empty when the file has none). */
        public Map<String, String> metadata() { return metadata; }

        /** The entry for {@code name}, or a FormatException naming the tensors the file has. */
        public Entry entry(String name) throws FormatException {
            Entry e = entries.get(name);
            if (e == null) {
                String have = entries.size() <= 20 ? entries.keySet().toString() : entries.size() + " tensors";
                throw problem("no tensor named '" + name + "'; the file has " + have);
            }
            return e;
        }

        /** Reads one tensor and converts it to float32. Either the whole tensor or an exception. */
        public Tensor read(String name) throws IOException {
            Entry e = entry(name);
            if (e.elements() > MAX_ELEMENTS) {
                throw problem("tensor '" + name + "' has " + e.elements() + " elements; one tensor holds at most "
                        + MAX_ELEMENTS + " (the largest Java array); read it in ranges with readRange");
            }
            return Tensor.of(decodeRange(e, 0, (int) e.elements()), e.shape());
        }

        /**
         * Reads elements {@code [from, from + count)} of a tensor (row-major) as a 1-D float32 tensor: how
         * a tensor too large for the heap, or for one Java array, is streamed in pieces.
         */
        public Tensor readRange(String name, long from, int count) throws IOException {
            Entry e = entry(name);
            if (from < 0 || count < 0 || from > e.elements() - count) {
                throw problem("range [" + from + ", " + (from + count) + ") is outside tensor '" + name + "' of "
                        + e.elements() + " elements");
            }
            return Tensor.of(decodeRange(e, from, count), count);
        }

        private float[] decodeRange(Entry e, long from, int count) throws IOException {
            if (!e.dtype().readable()) {
                throw problem("tensor '" + e.name() + "' has dtype " + e.dtype() + ", which cannot be read as float32");
            }
            if (channel.size() != fileSize) {
                throw problem("the file changed size since it was opened (" + fileSize + " -> " + channel.size() + " bytes)");
            }
            float[] data = new float[count];
            int size = e.dtype().bits() / 8;
            int perWindow = Math.max(1, windowBytes / size);
            long pos = dataStart + e.begin() + size * from;
            int done = 0;
            // Map in windows: the file (and its offsets) may be past 2 GiB, a mapping may not.
            while (done < data.length) {
                int n = Math.min(data.length - done, perWindow);
                MappedByteBuffer map = channel.map(FileChannel.MapMode.READ_ONLY, pos + (long) size * done, (long) size * n);
                map.order(ByteOrder.LITTLE_ENDIAN);
                decode(e, map, data, done, n);
                done += n;
            }
            return data;
        }

        private void decode(Entry e, ByteBuffer b, float[] out, int at, int n) throws FormatException {
            switch (e.dtype()) {
                case F32 -> { FloatBuffer f = b.asFloatBuffer(); f.get(out, at, n); }
                case F64 -> { DoubleBuffer d = b.asDoubleBuffer(); for (int i = 0; i < n; i++) out[at + i] = (float) d.get(i); }
                case F16, BF16 -> { // bulk copies into an array, then convert: per-element view gets are slow
                    ShortBuffer s = b.asShortBuffer();
                    short[] h = new short[Math.min(n, 1 << 20)];
                    HalfType type = e.dtype() == Dtype.F16 ? HalfType.F16 : HalfType.BF16;
                    for (int i = 0; i < n; ) {
                        int m = Math.min(h.length, n - i);
                        s.get(h, 0, m);
                        HalfCodec.decode(h, type, out, at + i, m);
                        i += m;
                    }
                }
                case F8_E4M3 -> { for (int i = 0; i < n; i++) out[at + i] = HalfConversions.e4m3ToFloat(b.get(i)); }
                case F8_E5M2 -> { for (int i = 0; i < n; i++) out[at + i] = HalfConversions.e5m2ToFloat(b.get(i)); }
                case F8_E8M0 -> { for (int i = 0; i < n; i++) out[at + i] = HalfConversions.e8m0ToFloat(b.get(i)); }
                case I8 -> { for (int i = 0; i < n; i++) out[at + i] = b.get(i); }
                case U8 -> { for (int i = 0; i < n; i++) out[at + i] = b.get(i) & 0xFF; }
                case BOOL -> {
                    for (int i = 0; i < n; i++) {
                        int v = b.get(i);
                        if (v != 0 && v != 1) {
                            throw problem("BOOL tensor '" + e.name() + "' holds byte " + (v & 0xFF) + " at element "
                                    + (at + i) + "; a BOOL byte must be 0 or 1");
                        }
                        out[at + i] = v;
                    }
                }
                case I16 -> { for (int i = 0; i < n; i++) out[at + i] = b.getShort(2 * i); }
                case U16 -> { for (int i = 0; i < n; i++) out[at + i] = b.getShort(2 * i) & 0xFFFF; }
                case I32 -> { for (int i = 0; i < n; i++) out[at + i] = b.getInt(4 * i); }
                case U32 -> { for (int i = 0; i < n; i++) out[at + i] = b.getInt(4 * i) & 0xFFFF_FFFFL; }
                case I64 -> { for (int i = 0; i < n; i++) out[at + i] = b.getLong(8 * i); }
                case U64 -> { for (int i = 0; i < n; i++) out[at + i] = HalfConversions.u64ToFloat(b.getLong(8 * i)); }
                default -> throw problem("tensor '" + e.name() + "' has dtype " + e.dtype() + ", which cannot be read as float32");
            }
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }

    /** A parser's complaint in a sentence: "has a duplicate key 'x'", "is not valid JSON: ... (line 1, column 7)". */
    static String jsonProblem(JsonProcessingException e) {
        String m = String.valueOf(e.getOriginalMessage());
        if (m.startsWith("Duplicate field ")) return "has a duplicate key " + m.substring("Duplicate field ".length());
        if (m.startsWith("Trailing token")) return "is not valid JSON: more follows the JSON object";
        m = m.replaceAll("\\s*\\(start marker at \\[Source: [^\\]]*\\]\\)", "");
        var at = e.getLocation();
        return "is not valid JSON: " + m + (at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")");
    }

    static String quote(String s) {
        StringBuilder b = new StringBuilder("'");
        for (char c : s.toCharArray()) {
            if (c < 0x20 || c == 0x7F) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('\'').toString();
    }
}
