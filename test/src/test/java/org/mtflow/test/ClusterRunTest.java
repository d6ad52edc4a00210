package org.mtflow.test;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mtflow.test.ClusterNodesTest.awaitLine;
import static org.mtflow.test.ClusterNodesTest.freePorts;
import static org.mtflow.test.ClusterNodesTest.read;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A workflow submitted to a three-node cluster of real {@code mtflow node} processes with
 * {@code run --cluster}: its tasks run on every node (inputs fetched between nodes) and its
 * artifacts equal a single-machine run's; with a worker node killed by SIGKILL mid-run, the tasks
 * lost with it run elsewhere, the artifacts only it held are recomputed, and the result is the same.
 */
class ClusterRunTest {
    private static final Duration FORM = Duration.ofSeconds(90);
    private static final String WORKFLOW = "test/src/test/resources/workflows/cluster.yaml";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    private final List<Process> nodes = new ArrayList<>();
    private int[] ports;
    private int[] http;

    @AfterEach
    void stopNodes() throws InterruptedException {
        for (Process p : nodes) p.destroyForcibly();
        for (Process p : nodes) p.waitFor(30, TimeUnit.SECONDS);
    }

    @Test
    void aThreeNodeClusterRunsTasksOnEveryNodeWithTheSingleMachineResult() throws Exception {
        Map<String, JsonNode> expected = singleMachineOutputs();
        startCluster();

        Cli.Result r = Cli.run("run", WORKFLOW, "--cluster", "127.0.0.1:" + http[0], "--run-id", "c1", "--progress=plain");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("run c1 succeeded"), r.toString());

        JsonNode tasks = report("c1").path("tasks");
        Set<String> devices = new HashSet<>();
        tasks.fields().forEachRemaining(t -> devices.add(t.getValue().path("device").asText()));
        for (int i = 0; i < 3; i++) {
            assertTrue(devices.contains("jvm@127.0.0.1:" + ports[i]), "no task ran on node " + ports[i] + ": " + devices
                    + "\n" + read(dir.resolve("n1.log")));
        }
        assertEquals(expected, outputs(tasks));
        // Subtasks spawned on one node ran on others too, fetching the input they were spawned with.
        Set<String> subtaskDevices = new HashSet<>();
        tasks.fields().forEachRemaining(t -> {
            if (t.getKey().startsWith("fan/")) subtaskDevices.add(t.getValue().path("device").asText());
        });
        assertTrue(subtaskDevices.size() > 1, "subtasks ran only on " + subtaskDevices);

        Cli.Result status = Cli.run("status", "c1", "--cluster", "127.0.0.1:" + http[0]);
        assertEquals(0, status.exit(), status.toString());
        assertTrue(status.out().contains("run c1: ended, succeeded"), status.toString());
        assertTrue(status.out().contains("jvm@127.0.0.1:" + ports[1]), status.toString());

        // The node validates what it is sent: an invalid workflow exits 2 with the problem named.
        Cli.Result invalid = Cli.run("run", "test/src/test/resources/workflows/unknown-type.yaml", "--cluster",
                "127.0.0.1:" + http[0]);
        assertEquals(2, invalid.exit(), invalid.toString());
        assertTrue(invalid.err().contains("unknown-type.yaml"), invalid.toString());
    }

    @Test
    void aWorkerNodeKilledMidRunCostsItsWorkAndItsArtifactsAreRecomputed() throws Exception {
        Map<String, JsonNode> expected = singleMachineOutputs();
        startCluster();
        Path clientLog = dir.resolve("client.log");
        Process client = Cli.start(clientLog, "run", WORKFLOW, "--cluster", "127.0.0.1:" + http[0], "--run-id", "k1",
                "--progress=plain");
        String victim = "jvm@127.0.0.1:" + ports[2];
        Path events = dir.resolve("n1/runs/k1/events.jsonl");
        // Killed while a slow task runs there, on the output of a task that ran there too.
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20)).ignoreExceptions() // a half-written line
                .until(() -> started(events).stream().anyMatch(e -> e.path("task").asText().startsWith("s")
                        && e.path("device").asText().equals(victim)));
        Instant killed = Instant.now();
        nodes.get(2).destroyForcibly().waitFor();

        assertTrue(client.waitFor(120, TimeUnit.SECONDS), "the client did not end: " + read(clientLog));
        assertEquals(0, client.exitValue(), read(clientLog));
        assertTrue(read(clientLog).contains("run k1 succeeded"), read(clientLog));

        List<JsonNode> all = lines(events);
        Set<String> lostThere = new HashSet<>();
        for (JsonNode e : all) {
            if (e.path("type").asText().equals("TaskStarted") && e.path("device").asText().equals(victim)) {
                lostThere.add(e.path("task").asText());
            }
        }
        Instant again = null;
        for (JsonNode e : all) {
            if (e.path("type").asText().equals("TaskStarted") && e.path("task").asText().startsWith("s")
                    && lostThere.contains(e.path("task").asText()) && e.path("attempt").asInt() > 1) {
                Instant t = Instant.parse(e.path("time").asText());
                if (again == null || t.isBefore(again)) again = t;
            }
        }
        assertTrue(again != null, "no lost task ran again: " + all);
        double seconds = Duration.between(killed, again).toMillis() / 1000.0;
        System.out.printf("ClusterRunTest: kill -9 of a worker node to its task running again elsewhere in %.1f s%n", seconds);
        assertTrue(seconds < 10, "took " + seconds + " s");
        // What only the dead node held was recomputed from its lineage.
        assertTrue(all.stream().anyMatch(e -> e.path("type").asText().equals("TaskInvalidated")
                && e.path("task").asText().startsWith("a") && lostThere.contains(e.path("task").asText())), all.toString());

        JsonNode tasks = report("k1").path("tasks");
        tasks.fields().forEachRemaining(t -> assertFalse(t.getValue().path("device").asText().equals(victim),
                t.getKey() + " is reported on the dead node"));
        assertEquals(expected, outputs(tasks));
    }

    private void startCluster() throws IOException {
        ports = freePorts(6);
        http = new int[] {ports[3], ports[4], ports[5]};
        Path log1 = start("n1", 0, List.of());
        start("n2", 1, List.of("--seed", "127.0.0.1:" + ports[0]));
        start("n3", 2, List.of("--seed", "127.0.0.1:" + ports[0]));
        // Every node's device is known to the first node's coordinators.
        awaitLine(log1, "cluster devices: 3", FORM);
    }

    private Path start(String name, int i, List<String> extra) throws IOException {
        Path log = dir.resolve(name + ".log");
        List<String> args = new ArrayList<>(List.of("node", "--port", String.valueOf(ports[i]), "--http-port",
                String.valueOf(http[i]), "--devices", "jvm", "--home", dir.resolve(name).toString()));
        args.addAll(extra);
        nodes.add(Cli.start(log, args.toArray(String[]::new)));
        return log;
    }

    private Map<String, JsonNode> singleMachineOutputs() throws Exception {
        return singleMachineOutputs(WORKFLOW, dir, 21);
    }

    /** Each task's outputs when {@code workflow} runs on one machine (under {@code dir/local}); {@code count} tasks. */
    static Map<String, JsonNode> singleMachineOutputs(String workflow, Path dir, int count) throws Exception {
        Cli.Result r = Cli.run("run", workflow, "--home", dir.resolve("local").toString(), "--jvm-only", "--run-id", "one",
                "--progress=plain");
        assertEquals(0, r.exit(), r.toString());
        return outputs(JSON.readTree(dir.resolve("local/runs/one/report.json").toFile()).path("tasks"), count);
    }

    private JsonNode report(String run) throws IOException {
        return JSON.readTree(dir.resolve("n1/runs/" + run + "/report.json").toFile());
    }

    private static Map<String, JsonNode> outputs(JsonNode tasks) {
        return outputs(tasks, 21); // 15 declared, 6 spawned
    }

    /** Each task's outputs (name → hash) from a report's tasks, which must be {@code count}. */
    static Map<String, JsonNode> outputs(JsonNode tasks, int count) {
        Map<String, JsonNode> out = new TreeMap<>();
        tasks.fields().forEachRemaining(t -> out.put(t.getKey(), t.getValue().path("outputs")));
        assertEquals(count, out.size(), tasks.toString());
        return out;
    }

    private static List<JsonNode> started(Path events) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode e : lines(events)) if (e.path("type").asText().equals("TaskStarted")) out.add(e);
        return out;
    }

    /** A run's events.jsonl, parsed; empty while it does not exist. */
    static List<JsonNode> lines(Path events) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        if (!Files.exists(events)) return out;
        for (String line : Files.readAllLines(events)) {
            if (!line.isBlank()) out.add(JSON.readTree(line));
        }
        return out;
    }
}
