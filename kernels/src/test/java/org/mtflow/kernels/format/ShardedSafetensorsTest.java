package org.mtflow.kernels.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.mtflow.kernels.Tensor;

class ShardedSafetensorsTest {
    private static final long SEED = Long.getLong("mtflow.test.seed", System.nanoTime());
    @TempDir Path dir;

    private List<String> listing(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void roundTripSplitsByMaxShardSizeAndReadsBackBitExactly() throws IOException {
        SplittableRandom rng = new SplittableRandom(SEED);
        Dtype[] types = {Dtype.F32, Dtype.BF16, Dtype.F16, Dtype.F64};
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, Dtype> dtypes = new LinkedHashMap<>();
        ShardedSafetensors.Writer w = ShardedSafetensors.writer().maxShardBytes(1000).metadata("arch", "mlp");
        for (int i = 0; i < 12; i++) {
            Tensor t = SafetensorsTest.spicy(rng, 1 + rng.nextInt(20), 1 + rng.nextInt(12));
            Dtype d = types[rng.nextInt(types.length)];
            String name = "layers." + i + ".weight";
            tensors.put(name, t);
            dtypes.put(name, d);
            w.put(name, t, d);
        }
        tensors.put("huge", SafetensorsTest.spicy(rng, 400)); // 1600 bytes > the limit: a shard of its own
        dtypes.put("huge", Dtype.F32);
        w.put("huge", tensors.get("huge"));
        Path index = w.write(dir);

        assertEquals(dir.resolve(ShardedSafetensors.INDEX_FILE_NAME), index);
        List<String> files = listing(dir);
        int n = files.size() - 1;
        assertTrue(n >= 3, "several shards: " + files + " (seed " + SEED + ")");
        for (int i = 1; i <= n; i++) {
            assertTrue(files.contains(String.format("model-%05d-of-%05d.safetensors", i, n)), files.toString());
        }
        JsonNode json = new ObjectMapper().readTree(index.toFile());
        long total = 0;
        for (var e : tensors.entrySet()) total += (long) e.getValue().size() * (dtypes.get(e.getKey()).bits() / 8);
        assertEquals(total, json.get("metadata").get("total_size").asLong());
        assertEquals("mlp", json.get("metadata").get("arch").asText());
        assertEquals(tensors.size(), json.get("weight_map").size());

        try (ShardedSafetensors s = ShardedSafetensors.open(dir)) {
            assertEquals(index, s.indexFile());
            assertEquals(tensors.keySet(), s.entries().keySet());
            assertEquals(String.valueOf(total), s.metadata().get("total_size"));
            assertEquals(n, s.shards().size());
            for (Path shard : s.shards()) {
                try (Safetensors.Reader r = Safetensors.open(shard)) {
                    long bytes = 0;
                    for (Safetensors.Entry e : r.entries().values()) bytes += e.byteSize();
                    assertTrue(bytes <= 1000 || r.entries().size() == 1, shard + " holds " + bytes + " bytes");
                    assertEquals(Map.of("format", "pt", "arch", "mlp"), r.metadata());
                }
            }
            try (Safetensors.Reader r = Safetensors.open(s.shardOf("huge"))) {
                assertEquals(List.of("huge"), List.copyOf(r.entries().keySet()));
            }
            for (var e : tensors.entrySet()) {
                Dtype d = dtypes.get(e.getKey());
                assertEquals(d, s.entries().get(e.getKey()).dtype());
                Tensor back = s.read(e.getKey());
                assertArrayEquals(e.getValue().shape(), back.shape());
                for (int i = 0; i < back.size(); i++) {
                    SafetensorsTest.assertBits(SafetensorsTest.expected(e.getValue().data()[i], d), back.data()[i], e.getKey() + "[" + i + "]");
                }
            }
            FormatException e = assertThrows(FormatException.class, () -> s.read("nope"));
            assertTrue(e.getMessage().contains("'nope'"), e.getMessage());
        }
        try (ShardedSafetensors s = ShardedSafetensors.open(index)) { // by the index file, too
            assertEquals(tensors.size(), s.entries().size());
        }
    }

    @Test
    void aPrefixNamesShardsAndIndexAndOneShardIsStillIndexed() throws IOException {
        Path index = ShardedSafetensors.writer().prefix("adapter").put("a", Tensor.zeros(2, 2)).write(dir.resolve("new"));
        assertEquals(List.of("adapter-00001-of-00001.safetensors", "adapter.safetensors.index.json"), listing(dir.resolve("new")));
        try (ShardedSafetensors s = ShardedSafetensors.open(index)) {
            assertArrayEquals(new float[4], s.read("a").data(), 0f);
        }
    }

    @Test
    void writerRejectsMisuse() {
        assertThrows(IllegalArgumentException.class, () -> ShardedSafetensors.writer().maxShardBytes(0));
        for (String bad : new String[] {"", "..", "a/b", "a\\b"}) {
            assertThrows(IllegalArgumentException.class, () -> ShardedSafetensors.writer().prefix(bad), bad);
        }
        assertThrows(IllegalArgumentException.class, () -> ShardedSafetensors.writer().put("a", Tensor.zeros(1)).put("a", Tensor.zeros(1)));
        assertThrows(IllegalArgumentException.class, () -> ShardedSafetensors.writer().put("a", Tensor.zeros(1), Dtype.U8));
    }

    @Test
    void aFailedWriteLeavesNoShardNoTempAndNoIndex() throws IOException {
        // Two shards; the second's name is taken by a non-empty directory, so its rename fails after the first's.
        Files.createDirectories(dir.resolve("model-00002-of-00002.safetensors").resolve("x"));
        ShardedSafetensors.Writer w = ShardedSafetensors.writer().maxShardBytes(16)
                .put("a", Tensor.zeros(4)).put("b", Tensor.zeros(4));
        assertThrows(IOException.class, () -> w.write(dir));
        assertEquals(List.of("model-00002-of-00002.safetensors"), listing(dir));
    }

    // ------------------------------------------------------------------ index validation

    /** Writes shard files by the single-file writer, then the given index text. */
    private Path checkpoint(String index, Map<String, List<String>> shards) throws IOException {
        for (var s : shards.entrySet()) {
            Safetensors.Writer w = Safetensors.writer();
            for (String t : s.getValue()) w.put(t, Tensor.zeros(2));
            w.writeFile(dir.resolve(s.getKey()));
        }
        Path file = dir.resolve(ShardedSafetensors.INDEX_FILE_NAME);
        Files.writeString(file, index);
        return file;
    }

    static String index(String weightMap) {
        return "{\"metadata\":{\"total_size\":16},\"weight_map\":{" + weightMap + "}}";
    }

    static Stream<Arguments> badIndexes() {
        Map<String, List<String>> ab = Map.of("s1.safetensors", List.of("a"), "s2.safetensors", List.of("b"));
        return Stream.of(
                Arguments.of("bad-json", "{\"weight_map\": {", ab, "index is not valid JSON"),
                Arguments.of("not-object", "[]", ab, "index is not a JSON object"),
                Arguments.of("no-weight-map", "{\"metadata\":{}}", ab, "no \"weight_map\""),
                Arguments.of("weight-map-not-object", "{\"weight_map\":[]}", ab, "no \"weight_map\""),
                Arguments.of("metadata-not-object", "{\"metadata\":3,\"weight_map\":{}}", ab, "\"metadata\" is not an object"),
                Arguments.of("shard-not-string", index("\"a\":1"), ab, "is not a file name"),
                Arguments.of("duplicate-tensor", index("\"a\":\"s1.safetensors\",\"a\":\"s1.safetensors\""), ab, "duplicate key 'a'"),
                Arguments.of("missing-shard", index("\"a\":\"s1.safetensors\",\"b\":\"s3.safetensors\""), ab, "shard 's3.safetensors' (of tensor 'b') does not exist"),
                Arguments.of("parent-dir", index("\"a\":\"../s1.safetensors\""), ab, "contains a '.' or '..' segment"),
                Arguments.of("nested-parent", index("\"a\":\"sub/../../s1.safetensors\""), ab, "contains a '.' or '..' segment"),
                Arguments.of("absolute", index("\"a\":\"/etc/passwd\""), ab, "is an absolute path"),
                Arguments.of("backslash", index("\"a\":\"..\\\\s1.safetensors\""), ab, "backslash"),
                Arguments.of("empty-name", index("\"a\":\"\""), ab, "is empty"),
                Arguments.of("not-in-its-shard", index("\"a\":\"s1.safetensors\",\"b\":\"s2.safetensors\",\"c\":\"s2.safetensors\""), ab,
                        "tensor 'c' is not in shard 's2.safetensors'"),
                Arguments.of("stored-twice", index("\"a\":\"s1.safetensors\",\"b\":\"s2.safetensors\""),
                        Map.of("s1.safetensors", List.of("a"), "s2.safetensors", List.of("b", "a")), "tensor 'a' is stored in two shards"),
                Arguments.of("unlisted-tensor", index("\"a\":\"s1.safetensors\""),
                        Map.of("s1.safetensors", List.of("a", "extra")), "holds tensor 'extra', which the weight_map does not list"),
                Arguments.of("wrong-shard", index("\"a\":\"s2.safetensors\",\"b\":\"s1.safetensors\",\"c\":\"s2.safetensors\""),
                        Map.of("s1.safetensors", List.of("a", "b"), "s2.safetensors", List.of("c")), "puts tensor 'a' in shard 's2.safetensors' but it is stored in 's1.safetensors'"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badIndexes")
    void rejectsBadIndexes(String kind, String indexText, Map<String, List<String>> shards, String mustSay) throws IOException {
        Path index = checkpoint(indexText, shards);
        FormatException e = assertThrows(FormatException.class, () -> ShardedSafetensors.open(dir).close());
        assertTrue(e.getMessage().startsWith(index + ": "), "error names the index: " + e.getMessage());
        assertTrue(e.getMessage().contains(mustSay), "error says '" + mustSay + "': " + e.getMessage());
    }

    @Test
    void aMalformedShardIsReportedByItsOwnName() throws IOException {
        Path index = checkpoint(index("\"a\":\"s1.safetensors\",\"b\":\"s2.safetensors\""),
                Map.of("s1.safetensors", List.of("a"), "s2.safetensors", List.of("b")));
        Path s2 = dir.resolve("s2.safetensors");
        byte[] bytes = Files.readAllBytes(s2);
        Files.write(s2, java.util.Arrays.copyOf(bytes, bytes.length - 1)); // truncated by one byte
        FormatException e = assertThrows(FormatException.class, () -> ShardedSafetensors.open(index).close());
        assertTrue(e.getMessage().startsWith(s2 + ": "), e.getMessage());
    }

    @Test
    void shardsInSubdirectoriesAndSymlinksAreAllowed() throws IOException {
        Files.createDirectories(dir.resolve("sub"));
        Path blob = Files.createDirectories(dir.resolve("blobs")).resolve("abc123");
        Safetensors.writer().put("a", Tensor.zeros(2)).writeFile(dir.resolve("sub/s1.safetensors"));
        Safetensors.writer().put("b", Tensor.zeros(3)).writeFile(blob);
        Path ckpt = Files.createDirectories(dir.resolve("snapshot"));
        Files.createDirectories(ckpt.resolve("sub"));
        Files.move(dir.resolve("sub/s1.safetensors"), ckpt.resolve("sub/s1.safetensors"));
        try {
            Files.createSymbolicLink(ckpt.resolve("s2.safetensors"), ckpt.relativize(blob)); // as the Hugging Face cache does
        } catch (UnsupportedOperationException | IOException e) {
            org.junit.jupiter.api.Assumptions.abort("no symlinks here: " + e);
        }
        Files.writeString(ckpt.resolve(ShardedSafetensors.INDEX_FILE_NAME),
                index("\"a\":\"sub/s1.safetensors\",\"b\":\"s2.safetensors\""));
        try (ShardedSafetensors s = ShardedSafetensors.open(ckpt)) {
            assertEquals(List.of("a", "b"), new ArrayList<>(s.entries().keySet()));
            assertEquals(3, s.read("b").size());
        }
    }
}
