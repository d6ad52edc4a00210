package org.mtflow.nodes.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.mtflow.nodes.HfModelArtifacts;
import org.mtflow.nodes.NodeRuns;
import org.mtflow.nodes.TestSeeds;
import org.mtflow.nodes.Workflows;

/** model.hf: a local HF directory's manifest (every file with its size and CRC32C), and errors naming the directory. */
class HfModelNodeTest {
    @RegisterExtension static final NodeRuns runs = new NodeRuns();
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir Path tmp;

    private NodeRuns.Run read(long seed, Path dir) throws Exception {
        return runs.run(Workflows.named("hf", seed).task("m", "model.hf").with("path", dir.toString()).build(), false);
    }

    /** The manifest names every file of a sharded checkpoint, as the writer recorded them, and verifies. */
    @Test
    void manifestOfAShardedCheckpointMatchesTheWritersOwn() throws Exception {
        long seed = TestSeeds.next();
        SplittableRandom rnd = new SplittableRandom(seed);
        for (boolean sharded : new boolean[] {true, false}) {
            Path dir = tmp.resolve("m-" + sharded);
            NodeRuns.Run written = runs.run(Workflows.named("ckpt", seed).task("c", "data.synthetic-checkpoint")
                    .with("dir", dir.toString()).with("layers", 1 + rnd.nextInt(3)).with("hidden", 8).with("intermediate", 1 + rnd.nextInt(20))
                    .with("vocab", 1 + rnd.nextInt(30)).with("heads", 2).with("kv-heads", 1).with("dtype", "F32")
                    .with("max-shard-bytes", sharded ? 300 : 1_000_000_000L).build(), false);
            assertTrue(written.outcome().ok(), () -> "seed=" + seed + ": " + written.report());
            NodeRuns.Run run = read(seed, dir);
            String msg = "seed=" + seed + " sharded=" + sharded;
            assertTrue(run.outcome().ok(), () -> msg + ": " + run.report());
            JsonNode mine = JSON.readTree(run.artifact("m", "model").toFile());
            JsonNode writers = JSON.readTree(written.artifact("c", "model").toFile());
            // the same files, sizes and checksums as the writer recorded, plus the index (which the writer's omits)
            com.fasterxml.jackson.databind.node.ObjectNode withoutIndex = (com.fasterxml.jackson.databind.node.ObjectNode) mine.deepCopy();
            ((com.fasterxml.jackson.databind.node.ObjectNode) withoutIndex.get("files")).remove("model.safetensors.index.json");
            assertEquals(writers, withoutIndex, msg);
            assertEquals(new TreeSet<>(JSON.convertValue(mine.get("files"), java.util.Map.class).keySet()).stream().toList(),
                    iterate(mine.get("files").fieldNames()), msg + ": files in name order, for a deterministic manifest");
            // and it lists the directory's every file: nothing the writer made is left out
            try (Stream<Path> files = Files.list(dir)) {
                TreeSet<String> names = new TreeSet<>(files.map(p -> p.getFileName().toString()).toList());
                TreeSet<String> listed = new TreeSet<>();
                mine.get("files").fieldNames().forEachRemaining(listed::add);
                assertEquals(names, listed, msg);
                assertEquals(sharded, names.contains("model.safetensors.index.json"), msg);
            }
            assertEquals(dir.toAbsolutePath().normalize(), HfModelArtifacts.verify(run.artifact("m", "model")), msg);
            assertEquals(mine.get("files").size(), run.metrics("m").path("files").asInt(), msg);
        }
    }

    private static java.util.List<String> iterate(java.util.Iterator<String> it) {
        java.util.List<String> out = new java.util.ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }

    @Test
    void aMissingOrMalformedDirectoryFailsNamingIt() throws Exception {
        long seed = TestSeeds.next();
        Path missing = tmp.resolve("nope");
        NodeRuns.Run r1 = read(seed, missing);
        assertFalse(r1.outcome().ok());
        String e1 = r1.task("m").path("error").asText();
        assertTrue(e1.contains("model.hf: " + missing.toAbsolutePath() + ": no such model directory"), e1);

        Path noConfig = Files.createDirectories(tmp.resolve("noconfig"));
        Files.write(noConfig.resolve("model.safetensors"), new byte[16]);
        String e2 = read(seed, noConfig).task("m").path("error").asText();
        assertTrue(e2.contains(noConfig + ": no config.json in the model directory"), e2);

        Path bad = Files.createDirectories(tmp.resolve("bad"));
        Files.writeString(bad.resolve("config.json"), "{}");
        Files.write(bad.resolve("model.safetensors"), new byte[] {1, 2, 3});
        NodeRuns.Run r3 = read(seed, bad);
        assertEquals("failed", r3.status("m"));
        assertEquals(1, r3.attempts("m"), "a malformed model is a permanent error, not retried");
        assertTrue(r3.task("m").path("error").asText().contains(bad.resolve("model.safetensors").toString()), r3.task("m").toString());
    }
}
