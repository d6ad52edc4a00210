package org.mtflow.kernels.format;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mtflow.kernels.Tensor;

/**
 * The safetensors format (Hugging Face): a little-endian u64 header length, a JSON header mapping
 * tensor names to dtype, shape and data offsets (plus an optional {@code __metadata__} map of
 * strings), then the raw row-major data. This class reads and writes float32 tensors; a reader
 * maps the file and loads one tensor at a time.
 */
public final class Safetensors {
    /** Headers above this size are rejected before they are read (the format's own limit). */
    public static final long MAX_HEADER_BYTES = 100L * 1000 * 1000;
    private static final ObjectMapper JSON = new ObjectMapper();

    private Safetensors() {}

    /** Where a tensor lies in the file and what it holds. */
    public record Entry(String name, String dtype, int[] shape, long begin, long end) {
        public long elements() {
            long n = 1;
            for (int d : shape) n *= d;
            return n;
        }
    }

    /** Writes the tensors (in the map's order) and metadata to {@code out}; does not close it. */
    public static void write(OutputStream out, Map<String, Tensor> tensors, Map<String, String> metadata)
            throws IOException {
        ObjectNode header = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            if (e.getKey().equals("__metadata__")) throw new IllegalArgumentException("reserved tensor name __metadata__");
            ObjectNode t = header.putObject(e.getKey());
            t.put("dtype", "F32");
            ArrayNode shape = t.putArray("shape");
            for (int d : e.getValue().shape()) shape.add(d);
            long bytes = 4L * e.getValue().size();
            t.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] json = JSON.writeValueAsBytes(header);
        int padded = (json.length + 7) & ~7; // keep the data 8-byte aligned, as the reference writer does
        ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
        out.write(len.array());
        out.write(json);
        for (int i = json.length; i < padded; i++) out.write(' ');
        ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        for (Tensor t : tensors.values()) {
            float[] d = t.data();
            int i = 0;
            while (i < d.length) {
                int n = Math.min(buf.capacity() / 4, d.length - i);
                buf.clear();
                buf.asFloatBuffer().put(d, i, n);
                out.write(buf.array(), 0, n * 4);
                i += n;
            }
        }
    }

    /** Opens a safetensors file, validating its whole header. */
    public static Reader open(Path file) throws IOException {
        return new Reader(file);
    }

    /** An open safetensors file. Not thread-safe. */
    public static final class Reader implements AutoCloseable {
        private final Path file;
        private final FileChannel channel;
        private final long dataStart;
        private final Map<String, Entry> entries;
        private final Map<String, String> metadata;

        private Reader(Path file) throws IOException {
            this.file = file;
            this.channel = FileChannel.open(file, StandardOpenOption.READ);
            try {
                long size = channel.size();
                if (size < 8) throw new FormatException(file, "file of " + size + " bytes is too short for a safetensors header");
                ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
                readFully(lenBuf, 0);
                long headerLen = lenBuf.flip().getLong();
                if (headerLen < 2 || headerLen > MAX_HEADER_BYTES) {
                    throw new FormatException(file, "header length " + Long.toUnsignedString(headerLen)
                            + " is outside 2.." + MAX_HEADER_BYTES + " bytes");
                }
                if (headerLen > size - 8) {
                    throw new FormatException(file, "header length " + headerLen + " runs past the end of the "
                            + size + "-byte file");
                }
                ByteBuffer header = ByteBuffer.allocate((int) headerLen);
                readFully(header, 8);
                this.dataStart = 8 + headerLen;
                JsonNode root;
                try {
                    root = JSON.readTree(new String(header.array(), StandardCharsets.UTF_8));
                } catch (JsonProcessingException e) {
                    throw new FormatException(file, "header is not valid JSON: " + e.getOriginalMessage());
                }
                if (root == null || !root.isObject()) throw new FormatException(file, "header is not a JSON object");
                Map<String, String> meta = new LinkedHashMap<>();
                Map<String, Entry> map = new LinkedHashMap<>();
                for (Map.Entry<String, JsonNode> f : root.properties()) {
                    if (f.getKey().equals("__metadata__")) {
                        if (!f.getValue().isObject()) throw new FormatException(file, "__metadata__ is not an object");
                        for (Map.Entry<String, JsonNode> kv : f.getValue().properties()) {
                            if (!kv.getValue().isTextual()) {
                                throw new FormatException(file, "__metadata__." + kv.getKey() + " is not a string");
                            }
                            meta.put(kv.getKey(), kv.getValue().asText());
                        }
                    } else {
                        map.put(f.getKey(), parseEntry(f.getKey(), f.getValue(), size - dataStart));
                    }
                }
                checkOverlaps(map.values());
                this.entries = Collections.unmodifiableMap(map);
                this.metadata = Collections.unmodifiableMap(meta);
            } catch (IOException | RuntimeException e) {
                channel.close();
                throw e;
            }
        }

        private Entry parseEntry(String name, JsonNode t, long dataBytes) throws FormatException {
            String where = "tensor '" + name + "'";
            if (!t.isObject()) throw new FormatException(file, where + " is not an object");
            JsonNode dtype = t.get("dtype"), shape = t.get("shape"), offsets = t.get("data_offsets");
            if (dtype == null || !dtype.isTextual()) throw new FormatException(file, where + " has no dtype");
            if (!dtype.asText().equals("F32")) {
                throw new FormatException(file, where + " has dtype " + dtype.asText() + "; supported: F32");
            }
            if (shape == null || !shape.isArray()) throw new FormatException(file, where + " has no shape array");
            int[] dims = new int[shape.size()];
            long elements = 1;
            for (int i = 0; i < dims.length; i++) {
                JsonNode d = shape.get(i);
                if (!d.canConvertToInt() || !d.isIntegralNumber() || d.asInt() < 0) {
                    throw new FormatException(file, where + " has a bad dimension " + d);
                }
                dims[i] = d.asInt();
                elements = Math.multiplyExact(elements, dims[i]);
            }
            if (offsets == null || !offsets.isArray() || offsets.size() != 2
                    || !offsets.get(0).canConvertToLong() || !offsets.get(1).canConvertToLong()) {
                throw new FormatException(file, where + " needs data_offsets [begin, end]");
            }
            long begin = offsets.get(0).asLong(), end = offsets.get(1).asLong();
            if (begin < 0 || end < begin || end > dataBytes) {
                throw new FormatException(file, where + " has data_offsets [" + begin + ", " + end
                        + "] outside the " + dataBytes + "-byte data section");
            }
            if (end - begin != elements * 4) {
                throw new FormatException(file, where + " has shape " + shape + " (" + elements * 4
                        + " bytes) but its data_offsets span " + (end - begin) + " bytes");
            }
            if (elements > Integer.MAX_VALUE - 8) {
                throw new FormatException(file, where + " has " + elements + " elements, above the 2^31 limit of one tensor");
            }
            return new Entry(name, dtype.asText(), dims, begin, end);
        }

        private void checkOverlaps(java.util.Collection<Entry> all) throws FormatException {
            List<Entry> sorted = new ArrayList<>(all);
            sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
            for (int i = 1; i < sorted.size(); i++) {
                Entry prev = sorted.get(i - 1), cur = sorted.get(i);
                if (cur.begin() < prev.end()) {
                    throw new FormatException(file, "tensors '" + prev.name() + "' and '" + cur.name() + "' overlap");
                }
            }
        }

        private void readFully(ByteBuffer buf, long position) throws IOException {
            while (buf.hasRemaining()) {
                int n = channel.read(buf, position + buf.position());
                if (n < 0) throw new FormatException(file, "unexpected end of file");
            }
        }

        public Path file() { return file; }

        public Map<String, Entry> entries() { return entries; }

        public Map<String, String> metadata() { return metadata; }

        /** Reads one tensor into a new float array. */
        public Tensor read(String name) throws IOException {
            Entry e = entries.get(name);
            if (e == null) throw new FormatException(file, "no tensor named '" + name + "'; it has " + entries.keySet());
            float[] data = new float[(int) e.elements()];
            long pos = dataStart + e.begin();
            int done = 0;
            // Map in windows so that files (and tensors) past 2 GiB work.
            while (done < data.length) {
                int n = Math.min(data.length - done, 1 << 28);
                MappedByteBuffer map = channel.map(FileChannel.MapMode.READ_ONLY, pos + 4L * done, 4L * n);
                map.order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(data, done, n);
                done += n;
            }
            return Tensor.of(data, e.shape());
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }
}
