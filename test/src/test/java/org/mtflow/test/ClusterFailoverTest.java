package org.mtflow.test;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.mtflow.test.ClusterNodesTest.awaitLine;
import static org.mtflow.test.ClusterNodesTest.freePorts;
import static org.mtflow.test.ClusterNodesTest.read;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mtflow.engine.journal.JournalEntry;
import org.mtflow.engine.journal.JournalSettings;
import org.mtflow.engine.journal.RunJournal;

/**
 * Losing the node that coordinates a run: three real {@code mtflow node} processes sharing a
 * PostgreSQL journal (a schema of this test's own) and a store directory. The run's coordinator
 * lives on the oldest node; killed with SIGKILL, or frozen with SIGSTOP until the others down it,
 * the run goes on from its journal on another node: no task the journal holds as done runs again,
 * the client that followed it sees it finish, and the artifacts equal a single-machine run's.
 */
class ClusterFailoverTest {
    private static final Duration FORM = Duration.ofSeconds(90);
    private static final String WORKFLOW = "test/src/test/resources/workflows/failover.yaml";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PG_URL = env("MTFLOW_TEST_POSTGRES_URL", "jdbc:postgresql://127.0.0.1:5432/mtflow_test");
    private static final String PG_USER = env("MTFLOW_TEST_POSTGRES_USER", "mtflow");
    private static final String PG_PASSWORD = env("MTFLOW_TEST_POSTGRES_PASSWORD", "mtflow");

    @TempDir
    Path dir;
    private final List<Process> nodes = new ArrayList<>();
    private int[] ports;
    private int[] http;
    private String journalUrl;

    @AfterEach
    void stopNodes() throws Exception {
        for (Process p : nodes) {
            signal(p, "CONT"); // a frozen JVM ignores nothing, but let it die promptly
            p.destroyForcibly();
        }
        for (Process p : nodes) p.waitFor(30, TimeUnit.SECONDS);
    }

    @Test
    void aRunGoesOnWhenItsCoordinatorsNodeIsKilled() throws Exception {
        Map<String, JsonNode> expected = singleMachineOutputs();
        startCluster();
        Path clientLog = dir.resolve("client.log");
        Process client = Cli.start(clientLog, "run", WORKFLOW, "--cluster", clusterNodes(), "--run-id", "f1",
                "--progress=plain");
        Set<String> done = awaitSecondWave("f1");

        Instant killed = Instant.now();
        nodes.get(0).destroyForcibly().waitFor();

        assertTrue(client.waitFor(120, TimeUnit.SECONDS), "the client did not end: " + read(clientLog));
        assertEquals(0, client.exitValue(), read(clientLog) + logs());
        assertTrue(read(clientLog).contains("run f1 succeeded"), read(clientLog));
        assertTrue(read(clientLog).contains("now coordinated at"), read(clientLog));

        Path events = takenOverBy("f1");
        List<JsonNode> after = lines(events);
        assertNothingFinishedRanAgain(done, after);
        Instant again = firstStart(after);
        System.out.printf("ClusterFailoverTest: kill -9 of the coordinator's node to the run's tasks running again in %.1f s%n",
                Duration.between(killed, again).toMillis() / 1000.0);
        assertEquals(expected, outputs(JSON.readTree(events.resolveSibling("report.json").toFile()).path("tasks")));

        // Any live node answers for the run, wherever it ended.
        Cli.Result status = Cli.run("status", "f1", "--cluster", "127.0.0.1:" + http[2]);
        assertEquals(0, status.exit(), status.toString());
        assertTrue(status.out().contains("run f1: ended, succeeded"), status.toString());
    }

    @Test
    void aFrozenCoordinatorNodeIsDownedAndCommitsNothingTwice() throws Exception {
        Map<String, JsonNode> expected = singleMachineOutputs();
        startCluster();
        Path clientLog = dir.resolve("client.log");
        Process client = Cli.start(clientLog, "run", WORKFLOW, "--cluster", clusterNodes(), "--run-id", "p1",
                "--progress=plain");
        Set<String> done = awaitSecondWave("p1");

        // Unresponsive, not dead: the others' split-brain resolver downs it, and the run moves.
        Process frozen = nodes.get(0);
        signal(frozen, "STOP");
        assertTrue(client.waitFor(120, TimeUnit.SECONDS), "the client did not end: " + read(clientLog));
        assertEquals(0, client.exitValue(), read(clientLog) + logs());
        Path events = takenOverBy("p1");
        assertNothingFinishedRanAgain(done, lines(events));
        assertEquals(expected, outputs(JSON.readTree(events.resolveSibling("report.json").toFile()).path("tasks")));

        // Woken up, it finds itself downed and stops; whatever its coordinator still tried to write
        // was refused, so the journal holds each task's completion once.
        signal(frozen, "CONT");
        assertTrue(frozen.waitFor(60, TimeUnit.SECONDS), "the downed node did not stop: " + read(dir.resolve("n1.log")));
        Map<String, Integer> completions = new HashMap<>();
        int ends = 0;
        for (JournalEntry e : journal("p1")) {
            if (e instanceof JournalEntry.TaskDone d) completions.merge(d.task(), 1, Integer::sum);
            if (e instanceof JournalEntry.RunEnded) ends++;
        }
        assertEquals(20, completions.size(), completions.toString());
        completions.forEach((task, n) -> assertEquals(1, n, task + " is journaled as done " + n + " times"));
        assertEquals(1, ends);

        // The two left go on taking runs, and a run of theirs can be cancelled through any of them.
        Path secondLog = dir.resolve("client2.log");
        Process second = Cli.start(secondLog, "run", WORKFLOW, "--cluster", "127.0.0.1:" + http[1], "--run-id", "p2",
                "--progress=plain", "--no-cache");
        await().atMost(Duration.ofSeconds(60)).until(() -> read(secondLog).contains("submitted"));
        Cli.Result cancel = Cli.run("cancel", "p2", "--cluster", "127.0.0.1:" + http[2], "--reason", "test");
        assertEquals(0, cancel.exit(), cancel.toString());
        assertTrue(second.waitFor(60, TimeUnit.SECONDS), read(secondLog));
        assertEquals(1, second.exitValue(), read(secondLog));
        assertTrue(read(secondLog).contains("run p2 cancelled"), read(secondLog));
        Cli.Result unknown = Cli.run("cancel", "nope", "--cluster", "127.0.0.1:" + http[1]);
        assertEquals(1, unknown.exit(), unknown.toString());
        assertTrue(unknown.err().contains("no run 'nope'"), unknown.toString());
    }

    /** Waits until the first wave is journaled as done and the second runs; returns the tasks done. */
    private Set<String> awaitSecondWave(String run) throws IOException {
        Path events = dir.resolve("n1/runs/" + run + "/events.jsonl");
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(20)).ignoreExceptions() // a half-written line
                .until(() -> finished(lines(events)).containsAll(List.of("s1", "s2", "s3", "s4", "s5", "s6")));
        Set<String> done = finished(lines(events));
        assertFalse(done.contains("total"), "the run is too far on: " + done);
        return done;
    }

    /** The events of the node that took the run over (the next oldest: whichever has the run now). */
    private Path takenOverBy(String run) {
        for (String n : List.of("n2", "n3")) {
            Path events = dir.resolve(n + "/runs/" + run + "/events.jsonl");
            if (Files.exists(events)) return events;
        }
        fail("no node took run " + run + " over");
        return null;
    }

    /** Tasks the journal held as done before the loss are recovered there, never started again. */
    private static void assertNothingFinishedRanAgain(Set<String> done, List<JsonNode> after) {
        Set<String> recovered = new HashSet<>();
        for (JsonNode e : after) {
            String task = e.path("task").asText();
            if (e.path("type").asText().equals("TaskRecovered")) recovered.add(task);
            assertFalse(e.path("type").asText().equals("TaskStarted") && done.contains(task), task + " ran again: " + e);
        }
        assertTrue(recovered.containsAll(done), "recovered " + recovered + ", done before " + done);
        assertTrue(finished(after).size() + recovered.size() >= 20, after.toString());
    }

    private static Set<String> finished(List<JsonNode> events) {
        Set<String> out = new HashSet<>();
        for (JsonNode e : events) {
            String type = e.path("type").asText();
            if (type.equals("TaskSucceeded") || type.equals("TaskCached")) out.add(e.path("task").asText());
        }
        return out;
    }

    private static Instant firstStart(List<JsonNode> events) {
        for (JsonNode e : events) {
            if (e.path("type").asText().equals("TaskStarted")) return Instant.parse(e.path("time").asText());
        }
        fail("no task started after the takeover: " + events);
        return null;
    }

    private void startCluster() throws IOException {
        String schema = "failover_" + Long.toHexString(System.nanoTime());
        try (Connection c = DriverManager.getConnection(PG_URL, PG_USER, PG_PASSWORD); Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA " + schema);
        } catch (SQLException e) {
            fail("PostgreSQL at " + PG_URL + " (user " + PG_USER + "): " + e.getMessage()
                    + "; start a server with scripts/postgres.sh (scripts/test.sh does), or set MTFLOW_TEST_POSTGRES_URL/_USER/_PASSWORD");
        }
        journalUrl = PG_URL + (PG_URL.contains("?") ? "&" : "?") + "currentSchema=" + schema;
        ports = freePorts(6);
        http = new int[] {ports[3], ports[4], ports[5]};
        Path log1 = start("n1", 0, List.of());
        // The first node is the oldest before the others start: the run registry, and the run, live there.
        awaitLine(log1, "cluster devices: 1", FORM);
        start("n2", 1, List.of("--seed", "127.0.0.1:" + ports[0]));
        start("n3", 2, List.of("--seed", "127.0.0.1:" + ports[0]));
        awaitLine(log1, "cluster devices: 3", FORM);
    }

    private Path start(String name, int i, List<String> extra) throws IOException {
        Path log = dir.resolve(name + ".log");
        List<String> args = new ArrayList<>(List.of("node", "--port", String.valueOf(ports[i]), "--http-port",
                String.valueOf(http[i]), "--devices", "jvm", "--home", dir.resolve(name).toString(),
                "--journal-url", journalUrl, "--journal-user", PG_USER, "--store", dir.resolve("shared-store").toString()));
        args.addAll(extra);
        nodes.add(Cli.start(log, Map.of("MTFLOW_JOURNAL_PASSWORD", PG_PASSWORD), args.toArray(String[]::new)));
        return log;
    }

    private String clusterNodes() {
        return "127.0.0.1:" + http[0] + ",127.0.0.1:" + http[1] + ",127.0.0.1:" + http[2];
    }

    private String logs() throws IOException {
        StringBuilder b = new StringBuilder();
        for (String n : List.of("n1", "n2", "n3")) b.append("\n--- ").append(n).append('\n').append(read(dir.resolve(n + ".log")));
        return b.toString();
    }

    /** The run's journal as the cluster wrote it, read back from PostgreSQL. */
    private List<JournalEntry> journal(String run) throws Exception {
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "journal-check",
                JournalSettings.postgres(journalUrl, PG_USER, PG_PASSWORD).withFallback(ConfigFactory.load()));
        try {
            ActorRef<RunJournal.Command> journal = system.systemActorOf(RunJournal.create(run), "journal",
                    org.apache.pekko.actor.typed.Props.empty());
            return AskPattern.<RunJournal.Command, RunJournal.History>ask(journal, RunJournal.Read::new,
                    Duration.ofSeconds(30), system.scheduler()).toCompletableFuture().get(60, TimeUnit.SECONDS).entries();
        } finally {
            system.terminate();
            system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    private Map<String, JsonNode> singleMachineOutputs() throws Exception {
        return ClusterRunTest.singleMachineOutputs(WORKFLOW, dir, 20);
    }

    private static Map<String, JsonNode> outputs(JsonNode tasks) {
        return ClusterRunTest.outputs(tasks, 20);
    }

    private static List<JsonNode> lines(Path events) throws IOException {
        return ClusterRunTest.lines(events);
    }

    private static void signal(Process p, String signal) throws IOException, InterruptedException {
        if (p.isAlive()) new ProcessBuilder("kill", "-" + signal, String.valueOf(p.pid())).start().waitFor();
    }

    private static String env(String name, String otherwise) {
        String v = System.getenv(name);
        return v == null || v.isEmpty() ? otherwise : v;
    }
}
