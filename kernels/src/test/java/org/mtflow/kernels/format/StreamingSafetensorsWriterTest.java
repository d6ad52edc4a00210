package org.mtflow.kernels.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mtflow.kernels.Tensor;

class StreamingSafetensorsWriterTest {
    private static final long SEED = Long.getLong("mtflow.test.seed", System.nanoTime());
    private static final Dtype[] TYPES = {Dtype.F32, Dtype.F16, Dtype.BF16, Dtype.F64};
    @TempDir Path dir;

    /** Fresh random tensors of every writable dtype, some larger than a shard. */
    private record Model(Map<String, Tensor> tensors, Map<String, Dtype> dtypes) {
        static Model random(SplittableRandom rng, int count) {
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            Map<String, Dtype> dtypes = new LinkedHashMap<>();
            for (int i = 0; i < count; i++) {
                String name = "model.layers." + i + ".weight";
                tensors.put(name, SafetensorsTest.spicy(rng, 1 + rng.nextInt(20), 1 + rng.nextInt(30)));
                dtypes.put(name, TYPES[i % TYPES.length]);
            }
            tensors.put("lm_head.weight", SafetensorsTest.spicy(rng, 500)); // 2000 bytes: a shard of its own at 1000
            dtypes.put("lm_head.weight", Dtype.F32);
            tensors.put("scalar", SafetensorsTest.spicy(rng));
            dtypes.put("scalar", Dtype.BF16);
            return new Model(tensors, dtypes);
        }

        StreamingSafetensorsWriter.Builder declare(Path to, long maxShard) {
            StreamingSafetensorsWriter.Builder b = StreamingSafetensorsWriter.to(to).maxShardBytes(maxShard).metadata("arch", "llama");
            tensors.forEach((k, v) -> b.declare(k, dtypes.get(k), v.shape()));
            return b;
        }

        /** The same checkpoint by the in-memory writer, the reference for the bytes. */
        Path writeInMemory(Path to, long maxShard) throws IOException {
            ShardedSafetensors.Writer w = ShardedSafetensors.writer().maxShardBytes(maxShard).metadata("arch", "llama");
            tensors.forEach((k, v) -> w.put(k, v, dtypes.get(k)));
            return w.write(to);
        }
    }

    private static List<String> listing(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static void assertSameFiles(Path want, Path got) throws IOException {
        assertEquals(listing(want), listing(got), "files (seed " + SEED + ")");
        for (String f : listing(want)) {
            assertArrayEquals(Files.readAllBytes(want.resolve(f)), Files.readAllBytes(got.resolve(f)), f + " (seed " + SEED + ")");
        }
    }

    private static void assertReadsBack(Model m, Path dir) throws IOException {
        try (ShardedSafetensors s = ShardedSafetensors.open(dir)) {
            assertEquals(m.tensors().keySet(), s.entries().keySet());
            for (var e : m.tensors().entrySet()) {
                Tensor back = s.read(e.getKey());
                Dtype d = m.dtypes().get(e.getKey());
                assertEquals(d, s.entries().get(e.getKey()).dtype());
                assertArrayEquals(e.getValue().shape(), back.shape(), e.getKey());
                for (int i = 0; i < back.size(); i++) {
                    SafetensorsTest.assertBits(SafetensorsTest.expected(e.getValue().data()[i], d), back.data()[i],
                            d + " " + e.getKey() + "[" + i + "]");
                }
            }
        }
    }

    @Test
    void tensorsWrittenInRandomOrderAndPiecesGiveTheInMemoryWritersBytes() throws IOException {
        SplittableRandom rng = new SplittableRandom(SEED);
        Model m = Model.random(rng, 14);
        Path want = dir.resolve("want"), got = dir.resolve("got");
        m.writeInMemory(want, 1000);
        List<String> order = new ArrayList<>(m.tensors().keySet());
        Collections.shuffle(order, new Random(rng.nextLong()));
        try (StreamingSafetensorsWriter w = m.declare(got, 1000).open()) {
            assertEquals(order.size(), w.pending().size());
            for (String name : order) {
                Tensor t = m.tensors().get(name);
                if (rng.nextBoolean() || t.size() < 2) {
                    assertTrue(w.write(name, t));
                } else { // in pieces of random sizes
                    int at = 0;
                    while (at < t.size()) {
                        int n = Math.min(t.size() - at, 1 + rng.nextInt(t.size()));
                        assertTrue(w.write(name, at, Tensor.of(Arrays.copyOfRange(t.data(), at, at + n), n)));
                        at += n;
                    }
                }
            }
            assertEquals(List.of(), w.pending());
            assertEquals(got.resolve(ShardedSafetensors.INDEX_FILE_NAME), w.finish());
        }
        assertSameFiles(want, got);
        assertReadsBack(m, got);
    }

    @Test
    void shardsWrittenApartFromTheLayoutGiveTheWritersBytes() throws IOException {
        SplittableRandom rng = new SplittableRandom(SEED + 5);
        Model m = Model.random(rng, 14);
        for (long maxShard : new long[] {1000, 1L << 40}) { // several shards + index; one model.safetensors
            Path want = dir.resolve("want" + maxShard), got = dir.resolve("got" + maxShard);
            try (StreamingSafetensorsWriter w = m.declare(want, maxShard).open()) { // the reference: a writer given whole tensors
                for (var t : m.tensors().entrySet()) w.write(t.getKey(), t.getValue());
                w.finish();
            }
            List<TensorSpec> specs = new ArrayList<>();
            m.tensors().forEach((k, v) -> specs.add(new TensorSpec(k, m.dtypes().get(k), v.shape())));
            StreamingSafetensorsWriter.Layout layout = StreamingSafetensorsWriter.layout(specs, maxShard, "model", Map.of("arch", "llama"));
            Files.createDirectories(got);
            for (int i = layout.shards().size() - 1; i >= 0; i--) { // any order: each shard stands alone
                try (var out = Files.newOutputStream(got.resolve(layout.shards().get(i).fileName()))) {
                    ShardOutput shard = new ShardOutput(layout, i, out);
                    for (TensorSpec t : shard.tensors()) {
                        float[] d = m.tensors().get(t.name()).data();
                        int at = 0;
                        do { // in pieces of random sizes
                            int n = Math.min(d.length - at, 1 + rng.nextInt(Math.max(1, d.length)));
                            shard.write(t.name(), at, Tensor.of(Arrays.copyOfRange(d, at, at + n), n));
                            at += n;
                        } while (at < d.length);
                    }
                    shard.finish();
                }
            }
            assertEquals(maxShard == 1000, layout.index() != null);
            if (layout.index() != null) Files.write(got.resolve(layout.indexFileName()), layout.index());
            assertSameFiles(want, got);
        }

        StreamingSafetensorsWriter.Layout layout = StreamingSafetensorsWriter.layout(
                List.of(new TensorSpec("a", Dtype.F32, new int[] {2}), new TensorSpec("b", Dtype.F32, new int[] {2})), 1 << 20, "model", Map.of());
        ShardOutput shard = new ShardOutput(layout, 0, new java.io.ByteArrayOutputStream());
        var e = assertThrows(IllegalArgumentException.class, () -> shard.write("b", 0, Tensor.of(new float[] {1, 2}, 2)));
        assertTrue(e.getMessage().contains("'a' from element 0"), e.getMessage());
        shard.write("a", 0, Tensor.of(new float[] {1}, 1));
        e = assertThrows(IllegalArgumentException.class, () -> shard.write("a", 0, Tensor.of(new float[] {1}, 1)));
        assertTrue(e.getMessage().contains("from element 1"), e.getMessage());
        var unfinished = assertThrows(IllegalStateException.class, shard::finish);
        assertTrue(unfinished.getMessage().contains("'a'"), unfinished.getMessage());
    }

    @Test
    void tensorsWrittenFromSeveralThreadsAtOnceGiveTheSameBytes() throws Exception {
        SplittableRandom rng = new SplittableRandom(SEED + 5);
        Model m = Model.random(rng, 40);
        Path want = dir.resolve("want"), got = dir.resolve("got");
        m.writeInMemory(want, 1000);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try (StreamingSafetensorsWriter w = m.declare(got, 1000).open()) {
            List<java.util.concurrent.Future<Boolean>> writes = new ArrayList<>();
            for (String name : m.tensors().keySet()) writes.add(pool.submit(() -> w.write(name, m.tensors().get(name))));
            for (var f : writes) assertTrue(f.get());
            w.finish();
        } finally {
            pool.shutdownNow();
        }
        assertSameFiles(want, got);
    }

    @Test
    void shardsArePlannedGreedilyInDeclaredOrderAndOneShardIsASingleFile() throws IOException {
        StreamingSafetensorsWriter.Builder b = StreamingSafetensorsWriter.to(dir.resolve("a")).maxShardBytes(100)
                .declare("a", Dtype.F32, 10) // 40 bytes
                .declare("b", Dtype.F16, 20) // 40: 80 with a
                .declare("c", Dtype.F32, 6) // 24: over 100, next shard
                .declare("big", Dtype.F64, 30) // 240 > 100: its own shard
                .declare("d", Dtype.BF16, 3); // 6
        try (StreamingSafetensorsWriter w = b.open()) {
            List<StreamingSafetensorsWriter.Shard> plan = w.plan();
            assertEquals(List.of("model-00001-of-00004.safetensors", "model-00002-of-00004.safetensors",
                    "model-00003-of-00004.safetensors", "model-00004-of-00004.safetensors"),
                    plan.stream().map(StreamingSafetensorsWriter.Shard::fileName).toList());
            assertEquals(List.of(List.of("a", "b"), List.of("c"), List.of("big"), List.of("d")),
                    plan.stream().map(s -> s.tensors().stream().map(TensorSpec::name).toList()).toList());
            assertEquals(List.of(80L, 24L, 240L, 6L), plan.stream().map(StreamingSafetensorsWriter.Shard::dataBytes).toList());
        }
        Path single = dir.resolve("single");
        try (StreamingSafetensorsWriter w = StreamingSafetensorsWriter.to(single).declare("x", Dtype.F32, 2, 3)
                .declare("y", Dtype.BF16, 5).open()) {
            w.write("y", Tensor.of(new float[] {1, 2, 3, 4, 5}, 5));
            w.write("x", Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3));
            assertEquals(single.resolve("model.safetensors"), w.finish());
        }
        assertEquals(List.of("model.safetensors"), listing(single));
        Path ref = dir.resolve("ref.safetensors");
        Safetensors.writer().metadata("format", "pt").put("x", Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3))
                .put("y", Tensor.of(new float[] {1, 2, 3, 4, 5}, 5), Dtype.BF16).writeFile(ref);
        assertArrayEquals(Files.readAllBytes(ref), Files.readAllBytes(single.resolve("model.safetensors")));
    }

    @Test
    void indexCarriesTotalSizeAndTheWeightMap() throws IOException {
        SplittableRandom rng = new SplittableRandom(SEED + 1);
        Model m = Model.random(rng, 6);
        try (StreamingSafetensorsWriter w = m.declare(dir, 1000).open()) {
            for (String name : m.tensors().keySet()) w.write(name, m.tensors().get(name));
            w.finish();
        }
        JsonNode index = new ObjectMapper().readTree(dir.resolve(ShardedSafetensors.INDEX_FILE_NAME).toFile());
        long total = 0;
        for (var e : m.tensors().entrySet()) total += (long) e.getValue().size() * m.dtypes().get(e.getKey()).bits() / 8;
        assertEquals(total, index.get("metadata").get("total_size").asLong());
        assertEquals("llama", index.get("metadata").get("arch").asText());
        assertEquals(m.tensors().size(), index.get("weight_map").size());
        // Nothing but the checkpoint is left behind: no records, partial files or lock.
        for (String f : listing(dir)) assertTrue(f.matches("model(-\\d{5}-of-\\d{5}\\.safetensors|\\.safetensors\\.index\\.json)"), f);
    }

    private static Object inode(Path p) throws IOException {
        return Files.readAttributes(p, BasicFileAttributes.class).fileKey();
    }

    @Test
    void aCrashMidWriteLeavesNoIndexAndResumeKeepsCompletedShardsWithTheSameFinalBytes() throws IOException {
        SplittableRandom rng = new SplittableRandom(SEED + 2);
        Model m = Model.random(rng, 16);
        Path want = dir.resolve("want"), got = dir.resolve("got");
        m.writeInMemory(want, 1000);

        // First attempt: writes in declared order and "crashes" halfway (an exception; close() without finish()).
        List<String> names = new ArrayList<>(m.tensors().keySet());
        int stopAt = names.size() / 2;
        List<String> complete;
        try (StreamingSafetensorsWriter w = m.declare(got, 1000).open()) {
            for (int i = 0; i < stopAt; i++) w.write(names.get(i), m.tensors().get(names.get(i)));
            Tensor half = m.tensors().get(names.get(stopAt));
            w.write(names.get(stopAt), 0, Tensor.of(Arrays.copyOf(half.data(), half.size() / 2), half.size() / 2));
            complete = new ArrayList<>();
            for (StreamingSafetensorsWriter.Shard s : w.plan()) {
                if (s.tensors().stream().allMatch(t -> names.indexOf(t.name()) < stopAt)) complete.add(s.fileName());
            }
        }
        assertFalse(complete.isEmpty(), "the first attempt completed a shard (seed " + SEED + ")");
        assertFalse(Files.exists(got.resolve(ShardedSafetensors.INDEX_FILE_NAME)), "no index after a crash");
        assertThrows(IOException.class, () -> ShardedSafetensors.open(got));
        Map<String, Object> inodes = new LinkedHashMap<>();
        for (String f : complete) {
            assertTrue(Files.exists(got.resolve(f)), f);
            inodes.put(f, inode(got.resolve(f)));
        }
        // What a killed process would also leave: a partial shard and a torn temp file.
        Files.write(got.resolve(".model-00099-of-00099.safetensors.partial"), new byte[] {1, 2, 3});
        // AtomicFiles' temps of a shard record and of the index, killed before their rename
        Files.write(got.resolve("." + complete.get(0) + ".done.3f9a0c17e2b4d5a6.tmp"), new byte[] {'{'});
        Files.write(got.resolve("." + ShardedSafetensors.INDEX_FILE_NAME + ".12ab.tmp"), new byte[] {'{'});

        // Second attempt: keeps the completed shards, writes only what is pending (in reverse order).
        try (StreamingSafetensorsWriter w = m.declare(got, 1000).open()) {
            assertEquals(complete, w.keptShards().stream().map(p -> p.getFileName().toString()).toList());
            List<String> pending = new ArrayList<>(w.pending());
            for (String f : complete) {
                StreamingSafetensorsWriter.Shard s = w.plan().stream().filter(x -> x.fileName().equals(f)).findFirst().orElseThrow();
                for (TensorSpec t : s.tensors()) {
                    assertFalse(pending.contains(t.name()), t.name() + " is in kept shard " + f);
                    assertFalse(w.write(t.name(), m.tensors().get(t.name())), "a kept tensor is not written again");
                }
            }
            Collections.reverse(pending);
            for (String name : pending) assertTrue(w.write(name, m.tensors().get(name)));
            w.finish();
            for (var c : w.checksums().entrySet()) assertEquals(StreamingSafetensorsWriter.crc32c(got.resolve(c.getKey())), c.getValue(), c.getKey());
            assertEquals(listing(want).size() - 1, w.checksums().size());
        }
        for (String f : complete) assertEquals(inodes.get(f), inode(got.resolve(f)), f + " was kept, not rewritten");
        assertSameFiles(want, got);
        assertReadsBack(m, got);

        // A kept shard that no longer matches its record (here: one flipped byte) is rewritten.
        Path rerun = dir.resolve("rerun");
        String first;
        try (StreamingSafetensorsWriter w = m.declare(rerun, 1000).open()) {
            first = w.plan().get(0).fileName();
            for (TensorSpec t : w.plan().get(0).tensors()) w.write(t.name(), m.tensors().get(t.name()));
        }
        try (RandomAccessFile f = new RandomAccessFile(rerun.resolve(first).toFile(), "rw")) {
            f.seek(f.length() - 1);
            int b = f.read();
            f.seek(f.length() - 1);
            f.write(b ^ 0x40);
        }
        try (StreamingSafetensorsWriter w = m.declare(rerun, 1000).open()) {
            assertEquals(List.of(), w.keptShards(), "a corrupted shard is not kept");
            for (String name : w.pending()) w.write(name, m.tensors().get(name));
            w.finish();
        }
        assertSameFiles(want, rerun);
    }

    @Test
    void aFinishedCheckpointRewrittenWithAnotherPlanLeavesNoStaleShards() throws IOException {
        SplittableRandom rng = new SplittableRandom(SEED + 3);
        Model m = Model.random(rng, 10);
        try (StreamingSafetensorsWriter w = m.declare(dir, 1000).open()) {
            for (String name : w.pending()) w.write(name, m.tensors().get(name));
            w.finish();
        }
        try (StreamingSafetensorsWriter w = m.declare(dir, 1L << 40).open()) { // now one file
            for (String name : w.pending()) w.write(name, m.tensors().get(name));
            w.finish();
        }
        assertEquals(List.of("model.safetensors"), listing(dir));
    }

    @Test
    void misuseIsRefusedNamingTheTensor() throws IOException {
        try (StreamingSafetensorsWriter w = StreamingSafetensorsWriter.to(dir).declare("q_proj", Dtype.BF16, 4, 3)
                .declare("norm", Dtype.F32, 4).open()) {
            var e1 = assertThrows(IllegalArgumentException.class, () -> w.write("k_proj", Tensor.zeros(4, 3)));
            assertTrue(e1.getMessage().contains("'k_proj' was not declared"), e1.getMessage());
            var e2 = assertThrows(IllegalArgumentException.class, () -> w.write("q_proj", Tensor.zeros(3, 4)));
            assertTrue(e2.getMessage().contains("'q_proj' has shape [3, 4] but was declared [4, 3]"), e2.getMessage());
            var e3 = assertThrows(IllegalArgumentException.class, () -> w.write("q_proj", 5, Tensor.zeros(2)));
            assertTrue(e3.getMessage().contains("'q_proj': a piece at element 5 but 0 elements"), e3.getMessage());
            w.write("q_proj", 0, Tensor.zeros(10));
            var e4 = assertThrows(IllegalArgumentException.class, () -> w.write("q_proj", 10, Tensor.zeros(3)));
            assertTrue(e4.getMessage().contains("'q_proj': a piece of 3 elements at 10 runs past its 12"), e4.getMessage());
            var e5 = assertThrows(IllegalStateException.class, w::finish);
            assertTrue(e5.getMessage().contains("[q_proj, norm]"), e5.getMessage());
            w.write("q_proj", 10, Tensor.zeros(2));
            var e6 = assertThrows(IllegalStateException.class, () -> w.write("q_proj", Tensor.zeros(4, 3)));
            assertTrue(e6.getMessage().contains("'q_proj' was already written"), e6.getMessage());
            var e7 = assertThrows(IOException.class, () -> StreamingSafetensorsWriter.to(dir).declare("x", Dtype.F32, 1).open());
            assertTrue(e7.getMessage().contains("another writer"), e7.getMessage());
        }
        var e8 = assertThrows(IllegalArgumentException.class, () -> StreamingSafetensorsWriter.to(dir).declare("a", Dtype.I32, 1));
        assertTrue(e8.getMessage().contains("'a' as I32"), e8.getMessage());
        var e9 = assertThrows(IllegalArgumentException.class,
                () -> StreamingSafetensorsWriter.to(dir).declare("a", Dtype.F32, 1).declare("a", Dtype.F16, 2));
        assertTrue(e9.getMessage().contains("'a' was declared twice"), e9.getMessage());
    }

    @Test
    void readRangeReturnsThatSliceOfEveryDtype() throws IOException {
        SplittableRandom rng = new SplittableRandom(SEED + 4);
        for (Dtype d : TYPES) {
            Tensor t = SafetensorsTest.spicy(rng, 7, 13);
            Path file = dir.resolve(d + ".safetensors");
            Safetensors.writer().put("w", t, d).writeFile(file);
            for (int window : new int[] {1 << 30, 8, 24}) {
                try (Safetensors.Reader r = Safetensors.open(file, window)) {
                    for (int k = 0; k < 20; k++) {
                        int from = rng.nextInt(t.size() + 1), n = rng.nextInt(t.size() - from + 1);
                        Tensor part = r.readRange("w", from, n);
                        assertArrayEquals(new int[] {n}, part.shape());
                        for (int i = 0; i < n; i++) {
                            SafetensorsTest.assertBits(SafetensorsTest.expected(t.data()[from + i], d), part.data()[i],
                                    d + " w[" + (from + i) + "]");
                        }
                    }
                    var e = assertThrows(FormatException.class, () -> r.readRange("w", 90, 2));
                    assertTrue(e.getMessage().contains("range [90, 92) is outside tensor 'w' of 91 elements"), e.getMessage());
                }
            }
        }
    }
}
