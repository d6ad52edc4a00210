package org.mtflow.test;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code merge.ties} and {@code merge.dare-ties} with param output, in a real {@code mtflow run}
 * killed with SIGKILL while the output shards are being written, then {@code mtflow resume}d: each
 * output directory ends byte for byte as an uninterrupted run's, with no stray file, and the shards
 * finished before the kill are kept (the same files, not written again).
 */
class MergeCrashResumeTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path WORKFLOW = Cli.REPO.resolve("test/src/test/resources/workflows/merge-crash.yaml");
    private static final List<String> MERGES = List.of("ties", "dare-ties");

    @TempDir
    Path killed;
    @TempDir
    Path straight;

    @Test
    void aMergeKilledMidShardsResumesKeepingFinishedShardsAndEndsWithTheSameBytes() throws Exception {
        Cli.Result reference = Cli.run("run", WORKFLOW.toString(), "--home", straight.resolve("home").toString(), "--run-id", "r",
                "--jvm-only", "--param", "dir=" + straight.resolve("out"));
        assertEquals(0, reference.exit(), reference.toString());

        Path out = killed.resolve("out");
        Process p = Cli.start(killed.resolve("first.log"), "run", WORKFLOW.toString(), "--home", killed.resolve("home").toString(),
                "--run-id", "r", "--jvm-only", "--param", "dir=" + out);
        Map<String, Map<String, Object>> keptBefore = new TreeMap<>();
        try {
            // A shard is finished once its record (.<shard>.done) is written beside it; the index comes last.
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(5))
                    .until(() -> finishedShards(out.resolve("ties")).size() >= 2 || finishedShards(out.resolve("dare-ties")).size() >= 2);
        } finally {
            p.destroyForcibly(); // SIGKILL: no shutdown hook, no cleanup
            p.waitFor();
        }
        boolean midMerge = false;
        for (String m : MERGES) {
            Path dir = out.resolve(m);
            Map<String, Object> ids = new TreeMap<>();
            for (String shard : finishedShards(dir)) ids.put(shard, identity(dir.resolve(shard)));
            keptBefore.put(m, ids);
            midMerge |= !ids.isEmpty() && !Files.exists(dir.resolve("model.safetensors.index.json"));
        }
        assertTrue(midMerge, "killed after a merge had finished shards but not its index: " + keptBefore);

        Cli.Result resumed = Cli.run("resume", "r", "--home", killed.resolve("home").toString(), "--jvm-only");
        assertEquals(0, resumed.exit(), resumed.toString());

        JsonNode report = JSON.readTree(killed.resolve("home/runs/r/report.json").toFile());
        assertEquals("succeeded", report.path("status").asText(), report.toString());
        for (String m : MERGES) {
            Path got = out.resolve(m), want = straight.resolve("out").resolve(m);
            assertEquals(files(want), files(got), m + ": the same files as an uninterrupted run's, nothing left over");
            for (String f : files(want)) {
                assertArrayEquals(Files.readAllBytes(want.resolve(f)), Files.readAllBytes(got.resolve(f)), m + "/" + f);
            }
            Map<String, Object> before = keptBefore.get(m);
            for (var e : before.entrySet()) {
                assertEquals(e.getValue(), identity(got.resolve(e.getKey())), m + "/" + e.getKey() + " was finished before the kill: kept, not rewritten");
            }
            JsonNode metrics = report.path("tasks").path(m).path("metrics");
            assertEquals(before.size(), metrics.path("kept-shards").asInt(-1), m + ": " + metrics);
        }
    }

    /** The shards of an output directory that have their finished-shard record. */
    private static List<String> finishedShards(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(f -> f.getFileName().toString()).filter(n -> n.startsWith(".model-") && n.endsWith(".safetensors.done"))
                    .map(n -> n.substring(1, n.length() - ".done".length())).filter(n -> Files.exists(dir.resolve(n))).sorted().toList();
        }
    }

    /** What tells a file from a rewritten one of the same name and bytes: its inode and modification time. */
    private static Object identity(Path file) throws IOException {
        BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
        return List.of(String.valueOf(a.fileKey()), a.lastModifiedTime().toString());
    }

    private static List<String> files(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(f -> f.getFileName().toString()).sorted().toList();
        }
    }
}
