package org.mtflow.test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code merge.ties} and {@code merge.dare-ties} with param output, in a real {@code mtflow run}
 * killed with SIGKILL once some of their shard subtasks ({@code <merge>/shard-00001}…) have finished,
 * then {@code mtflow resume}d: the finished shards are taken from the run journal, not merged again,
 * and each output directory ends byte for byte as an uninterrupted run's, with no stray file.
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
        // Caching off in both: only the run journal can spare finished shards.
        Cli.Result reference = Cli.run("run", WORKFLOW.toString(), "--home", straight.resolve("home").toString(), "--run-id", "r",
                "--jvm-only", "--no-cache", "--param", "dir=" + straight.resolve("out"));
        assertEquals(0, reference.exit(), reference.toString());

        Path out = killed.resolve("out");
        Path events = killed.resolve("home/runs/r/events.jsonl");
        Process p = Cli.start(killed.resolve("first.log"), "run", WORKFLOW.toString(), "--home", killed.resolve("home").toString(),
                "--run-id", "r", "--jvm-only", "--no-cache", "--param", "dir=" + out);
        RunEvents.killWhen(p, () -> shardsDone(RunEvents.succeeded(events)) >= 2);
        Map<String, Integer> before = RunEvents.succeeded(events);
        assertFalse(before.keySet().containsAll(MERGES), "killed before both merges were done: " + before);

        Cli.Result resumed = Cli.run("resume", "r", "--home", killed.resolve("home").toString(), "--jvm-only", "--no-cache");
        assertEquals(0, resumed.exit(), resumed.toString());

        JsonNode report = JSON.readTree(killed.resolve("home/runs/r/report.json").toFile());
        assertEquals("succeeded", report.path("status").asText(), report.toString());
        RunEvents.assertNoTaskRanTwice(events, before);
        for (String m : MERGES) {
            Path got = out.resolve(m), want = straight.resolve("out").resolve(m);
            assertEquals(files(want), files(got), m + ": the same files as an uninterrupted run's, nothing left over");
            for (String f : files(want)) {
                assertArrayEquals(Files.readAllBytes(want.resolve(f)), Files.readAllBytes(got.resolve(f)), m + "/" + f);
            }
            int shards = report.path("tasks").path(m).path("metrics").path("shards").asInt();
            assertTrue(shards > 10, m + " has many shards: " + shards);
            // (report.json, not TaskSucceeded lines: a shard journaled just before the kill may have had no time to log its line)
            assertEquals(shards, report.path("tasks").properties().stream()
                    .filter(t -> t.getValue().path("parent").asText().equals(m) && t.getValue().path("status").asText().equals("succeeded"))
                    .count(), m + ": one subtask per shard");
        }
    }

    private static long shardsDone(Map<String, Integer> succeeded) {
        return succeeded.keySet().stream().filter(t -> MERGES.stream().anyMatch(m -> t.startsWith(m + "/shard-"))).count();
    }

    private static List<String> files(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(f -> f.getFileName().toString()).sorted().toList();
        }
    }
}
