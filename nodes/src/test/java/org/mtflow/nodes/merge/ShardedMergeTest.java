package org.mtflow.nodes.merge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.format.Dtype;
import org.mtflow.kernels.format.HfModel;
import org.mtflow.kernels.format.Safetensors;
import org.mtflow.kernels.format.StreamingSafetensorsWriter;
import org.mtflow.kernels.jvm.JavaOps;
import org.mtflow.nodes.NodeRuns;
import org.mtflow.nodes.TestSeeds;
import org.mtflow.nodes.Workflows;

/**
 * merge.* with param output, merged shard by shard in subtasks and assembled, against the reference
 * written here the way one task streamed the whole merge before: {@link Merger#merge} into one
 * {@link StreamingSafetensorsWriter} (tensors above 4M elements in pieces), config.json copied.
 */
class ShardedMergeTest {
    @RegisterExtension static final NodeRuns runs = new NodeRuns();

    @TempDir Path dir;

    /** Three merges: BF16 (ties, pieces with per-tensor thresholds), F32 (dare-ties), one shard (ties, topk: global). */
    private record Case(String task, String method, Map<String, Object> parameters, Long seed, String dtype, Long maxShardBytes) {}

    @Test
    void shardsMergedBySubtasksAssembleToTheBytesOfOneStreamingMerge() throws Exception {
        long seed = TestSeeds.next();
        // embed_tokens and lm_head are 16400 × 256 = 4,198,400 elements: above the 4M of a piece
        Map<String, Object> shape = Map.of("layers", 2, "hidden", 256, "intermediate", 320, "vocab", 16400, "heads", 4, "kv-heads", 2,
                "max-shard-bytes", 3_000_000);
        var w = Workflows.named("sharded-merge", seed)
                .task("base", "data.synthetic-checkpoint").with("dir", dir.resolve("base").toString()).with("seed", seed).withAll(shape);
        String[] models = new String[3];
        for (int i = 0; i < 3; i++) {
            w = w.task("m" + i, "data.synthetic-checkpoint").with("dir", dir.resolve("m" + i).toString()).with("base", seed)
                    .with("seed", seed + 1 + i).with("noise", 0.01).withAll(shape);
            models[i] = "m" + i + ".model";
        }
        List<Case> cases = List.of(
                new Case("ties", "ties", Map.of("density", 0.3, "lambda", 0.9), null, null, 400_000L),
                new Case("dare", "dare-ties", Map.of("density", 0.4), seed + 9, "F32", 1_000_000L),
                new Case("one", "ties", Map.of("density", 0.2, "topk", "global"), null, null, null));
        for (Case c : cases) {
            w = w.task(c.task(), "merge." + c.method()).input("base", "base.model").inputs("models", models).with("parameters", c.parameters())
                    .with("output", dir.resolve("out-" + c.task()).toString());
            if (c.seed() != null) w = w.with("seed", c.seed());
            if (c.dtype() != null) w = w.with("dtype", c.dtype());
            if (c.maxShardBytes() != null) w = w.with("max-shard-bytes", c.maxShardBytes());
        }
        NodeRuns.Run run = runs.run(w.build());
        assertTrue(run.outcome().ok(), () -> "seed " + seed + ": " + run.report());

        List<Path> inputs = List.of(run.artifact("m0", "model"), run.artifact("m1", "model"), run.artifact("m2", "model"));
        for (Case c : cases) {
            Path want = dir.resolve("want-" + c.task()), got = dir.resolve("out-" + c.task());
            long drops = c.seed() != null ? c.seed() : seed;
            reference(c, run.artifact("base", "model"), inputs, drops, want);
            List<String> files = listing(want);
            assertEquals(files, listing(got), "seed " + seed + ": " + c.task() + "'s files");
            for (String f : files) {
                assertArrayEquals(Files.readAllBytes(want.resolve(f)), Files.readAllBytes(got.resolve(f)), "seed " + seed + ": " + c.task() + "/" + f);
            }
            int shards = (int) files.stream().filter(f -> f.endsWith(".safetensors")).count();
            assertEquals(shards, run.metrics(c.task()).path("shards").asInt(), c.task());
            for (int i = 1; i <= shards; i++) {
                assertEquals("succeeded", run.status(c.task() + "/shard-" + String.format("%05d", i)), c.task() + " shard " + i);
            }
            // Shard 1 is the store's file itself, hard-linked, where the store and the directory share a filesystem.
            Path artifact = run.artifact(c.task() + "/shard-00001", "shard");
            Path placed = got.resolve(files.stream().filter(f -> f.endsWith(".safetensors")).findFirst().orElseThrow());
            if (Files.getFileStore(artifact).equals(Files.getFileStore(got))) {
                assertEquals(Files.readAttributes(artifact, BasicFileAttributes.class).fileKey(),
                        Files.readAttributes(placed, BasicFileAttributes.class).fileKey(), c.task() + ": " + placed + " links " + artifact);
            }
            long children = run.report().path("tasks").properties().stream()
                    .filter(t -> t.getValue().path("parent").asText().equals(c.task())).count();
            assertEquals(shards, children, c.task() + ": one subtask per shard");
        }
        // The engine has 2 slots and the parents wait without holding theirs: shards run two at a time.
        List<java.time.Instant[]> spans = run.report().path("tasks").properties().stream()
                .filter(t -> t.getKey().contains("/shard-"))
                .map(t -> new java.time.Instant[] {java.time.Instant.parse(t.getValue().path("start").asText()),
                        java.time.Instant.parse(t.getValue().path("end").asText())}).toList();
        assertTrue(spans.stream().anyMatch(a -> spans.stream().anyMatch(b -> a != b && a[0].isBefore(b[1]) && b[0].isBefore(a[1]))),
                "some shards ran at the same time: " + run.report());
        assertTrue(listing(dir.resolve("out-ties")).size() > 5, "ties has several shards: " + listing(dir.resolve("out-ties")));
        assertTrue(listing(dir.resolve("out-dare")).size() > 3, "dare-ties has several shards: " + listing(dir.resolve("out-dare")));
        assertEquals(List.of("config.json", "model.safetensors"), listing(dir.resolve("out-one")));
        try (HfModel m = HfModel.open(dir.resolve("out-dare"))) {
            assertEquals(Dtype.F32, m.entry("model.embed_tokens.weight").dtype());
        }

        // Run again with the directories emptied: the shards come from the cache, the directories are written again.
        for (Case c : cases) {
            try (Stream<Path> s = Files.list(dir.resolve("out-" + c.task()))) {
                for (Path f : s.toList()) Files.delete(f);
            }
        }
        // What an older model or a killed write leaves: another plan's shard, an index, temps, a streaming writer's records.
        for (String f : List.of("model-00099-of-00099.safetensors", "model.safetensors.index.json", ".model-00001-of-00007.safetensors.9c2f.tmp",
                ".config.json.3e1a.tmp", ".model-00002-of-00007.safetensors.done", ".model-00003-of-00007.safetensors.partial")) {
            Files.writeString(dir.resolve("out-ties").resolve(f), "left over");
        }
        Files.writeString(dir.resolve("out-one/model-00001-of-00002.safetensors"), "an older model's shard");
        Files.writeString(dir.resolve("out-ties/notes.txt"), "the user's own file");
        NodeRuns.Run again = runs.run(w.build());
        assertTrue(again.outcome().ok(), () -> "seed " + seed + ": " + again.report());
        for (Case c : cases) {
            Path want = dir.resolve("want-" + c.task()), got = dir.resolve("out-" + c.task());
            List<String> wantFiles = new java.util.ArrayList<>(listing(want));
            if (c.task().equals("ties")) wantFiles.add("notes.txt"); // not ours: left alone
            wantFiles.sort(null);
            assertEquals(wantFiles, listing(got), c.task() + ": stale shards and leftovers removed");
            for (String f : listing(want)) assertArrayEquals(Files.readAllBytes(want.resolve(f)), Files.readAllBytes(got.resolve(f)), c.task() + "/" + f);
        }
    }

    /** The merge as one streaming task wrote it: Merger's tensors into a StreamingSafetensorsWriter, config.json copied. */
    private static void reference(Case c, Path base, List<Path> models, long seed, Path out) throws IOException {
        Files.createDirectories(out);
        StreamingSafetensorsWriter[] writer = new StreamingSafetensorsWriter[1];
        Path[] config = new Path[1];
        try {
            Merger.merge(new JavaOps(2), MergeMethods.named(c.method()).orElseThrow(), base, models, c.parameters(), null, seed, new Merger.Sink() {
                @Override
                public void start(Collection<Safetensors.Entry> entries, Map<String, String> metadata, Path configFile) throws IOException {
                    StreamingSafetensorsWriter.Builder b = StreamingSafetensorsWriter.to(out).metadata(metadata);
                    if (c.maxShardBytes() != null) b.maxShardBytes(c.maxShardBytes());
                    for (Safetensors.Entry e : entries) b.declare(e.name(), c.dtype() != null ? Dtype.valueOf(c.dtype()) : e.dtype(), e.shape());
                    writer[0] = b.open();
                    config[0] = configFile;
                }

                @Override
                public void put(String name, Tensor merged, Safetensors.Entry like) throws IOException {
                    writer[0].write(name, merged);
                }

                @Override public int pieceElements() { return 1 << 22; }

                @Override
                public void putPiece(String name, long from, Tensor piece, Safetensors.Entry like) throws IOException {
                    writer[0].write(name, from, piece);
                }
            });
            writer[0].finish();
        } finally {
            if (writer[0] != null) writer[0].close();
        }
        Files.copy(config[0], out.resolve(HfModel.CONFIG_FILE_NAME));
        assertFalse(Files.exists(out.resolve(".model.safetensors.lock")), "a finished writer leaves no lock");
    }

    private static List<String> listing(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
