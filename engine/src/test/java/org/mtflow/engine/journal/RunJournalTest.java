package org.mtflow.engine.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import java.util.function.Function;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.mtflow.engine.journal.JournalSettings.Backend;
import org.mtflow.engine.store.ArtifactRef;

/**
 * The run journal on each embedded backend, across actor-system restarts on one directory, and on
 * PostgreSQL (the cluster journal), in a schema of its own per test: a real server on loopback,
 * which scripts/test.sh starts (scripts/postgres.sh).
 */
class RunJournalTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dir;
    private final List<ActorTestKit> kits = new ArrayList<>();

    private static final String PG_URL = env("MTFLOW_TEST_POSTGRES_URL", "jdbc:postgresql://127.0.0.1:5432/mtflow_test");
    private static final String PG_USER = env("MTFLOW_TEST_POSTGRES_USER", "mtflow");
    private static final String PG_PASSWORD = env("MTFLOW_TEST_POSTGRES_PASSWORD", "mtflow");
    private String pgSchema;

    @AfterEach
    void shutdown() throws SQLException {
        kits.forEach(ActorTestKit::shutdownTestKit);
        if (pgSchema != null) postgres("DROP SCHEMA " + pgSchema + " CASCADE");
    }

    private static String env(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? fallback : v;
    }

    static Stream<String> journals() {
        return Stream.of("H2", "SQLITE", "POSTGRES");
    }

    /** The durable journal of {@code kind}: an embedded one in this test's directory, or this test's PostgreSQL schema. */
    private Config journal(String kind) {
        if (!kind.equals("POSTGRES")) return JournalSettings.durable(Backend.valueOf(kind), dir);
        if (pgSchema == null) {
            pgSchema = "journal_test_" + Long.toHexString(System.nanoTime());
            postgres("CREATE SCHEMA " + pgSchema);
        }
        return JournalSettings.postgres(PG_URL + (PG_URL.contains("?") ? "&" : "?") + "currentSchema=" + pgSchema,
                PG_USER, PG_PASSWORD);
    }

    private static void postgres(String sql) {
        try (Connection c = DriverManager.getConnection(PG_URL, PG_USER, PG_PASSWORD); Statement s = c.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            fail("PostgreSQL at " + PG_URL + " (user " + PG_USER + "): " + e.getMessage()
                    + "; start a server with scripts/postgres.sh (scripts/test.sh does), or set MTFLOW_TEST_POSTGRES_URL/_USER/_PASSWORD");
        }
    }

    /** An actor system on {@code journal}, with the engine's config (and surefire's serialize-messages) behind it. */
    private ActorTestKit start(Config journal) {
        ActorTestKit kit = ActorTestKit.create(journal.withFallback(ConfigFactory.load()));
        kits.add(kit);
        return kit;
    }

    private static void stop(ActorTestKit kit) {
        kit.shutdownTestKit(); // waits for the actor system to terminate, and with it the database pool
    }

    private static void append(ActorTestKit kit, ActorRef<RunJournal.Command> journal, List<JournalEntry> batch) {
        TestProbe<RunJournal.Appended> probe = kit.createTestProbe();
        journal.tell(new RunJournal.Append(batch, probe.getRef()));
        assertEquals(new RunJournal.Appended(batch.size()), probe.receiveMessage(WAIT));
    }

    private static List<JournalEntry> read(ActorTestKit kit, ActorRef<RunJournal.Command> journal) {
        TestProbe<RunJournal.History> probe = kit.createTestProbe();
        journal.tell(new RunJournal.Read(probe.getRef()));
        return probe.receiveMessage(WAIT).entries();
    }

    @ParameterizedTest
    @MethodSource("journals")
    void readsEveryAppendedEntryInOrderAfterARestart(String backend) {
        long seed = System.nanoTime();
        SplittableRandom random = new SplittableRandom(seed);
        List<JournalEntry> written = new ArrayList<>();

        ActorTestKit first = start(journal(backend));
        ActorRef<RunJournal.Command> journal = first.spawn(RunJournal.create("run-1"));
        assertEquals(List.of(), read(first, journal), "a new run has no history");
        int batches = 3 + random.nextInt(8);
        for (int b = 0; b < batches; b++) {
            List<JournalEntry> batch = randomBatch(random, written.size(), 1 + random.nextInt(40));
            append(first, journal, batch);
            written.addAll(batch);
        }
        stop(first);

        ActorTestKit second = start(journal(backend));
        ActorRef<RunJournal.Command> again = second.spawn(RunJournal.create("run-1"));
        assertEquals(written, read(second, again), "seed " + seed);
        // The resumed run goes on appending to the same journal.
        List<JournalEntry> more = randomBatch(random, written.size(), 5);
        append(second, again, more);
        written.addAll(more);
        stop(second);

        ActorTestKit third = start(journal(backend));
        assertEquals(written, read(third, third.spawn(RunJournal.create("run-1"))), "seed " + seed);
    }

    @Test
    void manyAppendsSentAtOnceAreAllWrittenInTheOrderSent() {
        long seed = System.nanoTime();
        SplittableRandom random = new SplittableRandom(seed);
        ActorTestKit kit = start(JournalSettings.durable(dir));
        ActorRef<RunJournal.Command> journal = kit.spawn(RunJournal.create("busy"));
        TestProbe<RunJournal.Appended> probe = kit.createTestProbe();
        List<JournalEntry> written = new ArrayList<>();
        int appends = 300; // all but one wait in the stash, first behind recovery, then behind each write
        for (int i = 0; i < appends; i++) {
            List<JournalEntry> batch = randomBatch(random, written.size(), 1 + random.nextInt(5));
            journal.tell(new RunJournal.Append(batch, probe.getRef()));
            written.addAll(batch);
        }
        int acknowledged = 0;
        for (int i = 0; i < appends; i++) acknowledged += probe.receiveMessage(WAIT).count();
        assertEquals(written.size(), acknowledged, "seed " + seed);
        stop(kit);

        ActorTestKit after = start(JournalSettings.durable(dir));
        assertEquals(written, read(after, after.spawn(RunJournal.create("busy"))), "seed " + seed);
    }

    @Test
    void anEmptyRunReadsAnEmptyHistory() {
        ActorTestKit kit = start(JournalSettings.durable(dir));
        ActorRef<RunJournal.Command> journal = kit.spawn(RunJournal.create("nothing-yet"));
        assertEquals(List.of(), read(kit, journal));
        // An empty Append writes nothing and is acknowledged at once.
        append(kit, journal, List.of());
    }

    @Test
    void twoRunsJournalsDoNotMix() {
        long seed = System.nanoTime();
        SplittableRandom random = new SplittableRandom(seed);
        Map<String, List<JournalEntry>> written = new LinkedHashMap<>();
        ActorTestKit kit = start(JournalSettings.durable(dir));
        // "a" and "a|b" would collide if the id were joined carelessly.
        Map<String, ActorRef<RunJournal.Command>> journals = new LinkedHashMap<>();
        for (String run : List.of("a", "a|b", "b")) {
            journals.put(run, kit.spawn(RunJournal.create(run)));
            written.put(run, new ArrayList<>());
        }
        for (int i = 0; i < 12; i++) {
            String run = List.copyOf(journals.keySet()).get(i % 3);
            List<JournalEntry> batch = randomBatch(random, i * 100, 1 + random.nextInt(10));
            append(kit, journals.get(run), batch);
            written.get(run).addAll(batch);
        }
        stop(kit);

        ActorTestKit after = start(JournalSettings.durable(dir));
        for (String run : written.keySet()) {
            assertEquals(written.get(run), read(after, after.spawn(RunJournal.create(run))), "run " + run + ", seed " + seed);
        }
        assertEquals(List.of(), read(after, after.spawn(RunJournal.create("c"))));
    }

    @ParameterizedTest
    @MethodSource("journals")
    void schemaCreationIsIdempotent(String backend) {
        journal(backend);
        Config again = journal(backend);
        ActorTestKit kit = start(again);
        ActorRef<RunJournal.Command> journal = kit.spawn(RunJournal.create("r"));
        List<JournalEntry> batch = List.of(new JournalEntry.RunEnded("succeeded"));
        append(kit, journal, batch);
        stop(kit);

        // Opening a directory that holds events must not touch them.
        ActorTestKit after = start(journal(backend));
        assertEquals(batch, read(after, after.spawn(RunJournal.create("r"))));
    }

    @Test
    void inMemoryJournalKeepsEntriesForTheLifeOfTheSystem() {
        ActorTestKit kit = start(JournalSettings.inMemory());
        List<JournalEntry> batch = randomBatch(new SplittableRandom(1), 0, 20);
        append(kit, kit.spawn(RunJournal.create("m")), batch);
        // A second actor for the same run (the first one is still alive but idle) replays it.
        assertEquals(batch, read(kit, kit.spawn(RunJournal.create("m"))));
    }

    @Test
    void aSecondReadStopsTheJournalRatherThanAnswerWithoutTheRecoveredEntries() {
        ActorTestKit kit = start(JournalSettings.inMemory());
        ActorRef<RunJournal.Command> journal = kit.spawn(RunJournal.create("twice"));
        assertEquals(List.of(), read(kit, journal));
        TestProbe<RunJournal.History> probe = kit.createTestProbe();
        journal.tell(new RunJournal.Read(probe.getRef()));
        probe.expectTerminated(journal, WAIT);
    }

    @Test
    void aFailedWriteStopsTheJournal() {
        ActorTestKit kit = start(ConfigFactory.parseString(BrokenJournal.config("fail"))
                .withFallback(JournalSettings.inMemory()));
        ActorRef<RunJournal.Command> journal = kit.spawn(RunJournal.create("r"));
        TestProbe<RunJournal.Appended> probe = kit.createTestProbe();
        journal.tell(new RunJournal.Append(List.of(new JournalEntry.RunEnded("failed")), probe.getRef()));
        probe.expectTerminated(journal, WAIT);
        probe.expectNoMessage(Duration.ofMillis(100));
    }

    @Test
    void tooManyAppendsWaitingBehindAWriteStopTheJournalInsteadOfDroppingOne() {
        ActorTestKit kit = start(ConfigFactory.parseString(BrokenJournal.config("hang")
                + "\npekko.persistence.typed.stash-capacity = 4").withFallback(JournalSettings.inMemory()));
        ActorRef<RunJournal.Command> journal = kit.spawn(RunJournal.create("r"));
        TestProbe<RunJournal.Appended> probe = kit.createTestProbe();
        for (int i = 0; i < 10; i++) {
            journal.tell(new RunJournal.Append(List.of(new JournalEntry.RunEnded("x" + i)), probe.getRef()));
        }
        probe.expectTerminated(journal, WAIT);
    }

    // --- random entries ---

    private static List<JournalEntry> randomBatch(SplittableRandom random, int first, int n) {
        List<JournalEntry> batch = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int k = random.nextInt(10);
            String task = "t" + (first + i);
            if (k < 7) {
                batch.add(new JournalEntry.TaskDone(task, outputs(random, r -> ref(r)), metrics(random),
                        1 + random.nextInt(3), random.nextBoolean() ? "jvm" : "opencl0", random.nextLong(0, 1L << 40)));
            } else if (k < 9) {
                Map<String, List<ArtifactRef>> inputs = outputs(random, r -> {
                    List<ArtifactRef> refs = new ArrayList<>();
                    for (int j = r.nextInt(4); j > 0; j--) refs.add(ref(r));
                    return refs;
                });
                batch.add(new JournalEntry.TaskSpawned("p" + random.nextInt(100), task, "util.noop", metrics(random), inputs));
            } else {
                batch.add(new JournalEntry.RunEnded(random.nextBoolean() ? "succeeded" : "failed"));
            }
        }
        return batch;
    }

    private static <V> Map<String, V> outputs(SplittableRandom random, Function<SplittableRandom, V> value) {
        Map<String, V> map = new LinkedHashMap<>();
        for (int i = random.nextInt(4); i > 0; i--) map.put("out" + random.nextInt(1000), value.apply(random));
        return map;
    }

    private static ArtifactRef ref(SplittableRandom random) {
        StringBuilder hex = new StringBuilder(64);
        for (int i = 0; i < 4; i++) hex.append(String.format("%016x", random.nextLong()));
        return new ArtifactRef(hex.toString(), random.nextLong(0, 1L << 40));
    }

    private static ObjectNode metrics(SplittableRandom random) {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        for (int i = random.nextInt(4); i > 0; i--) {
            switch (random.nextInt(4)) {
                case 0 -> node.put("loss" + i, random.nextDouble());
                case 1 -> node.put("count" + i, random.nextInt());
                case 2 -> node.put("name" + i, "v" + random.nextInt(1000) + "é∑");
                default -> node.putArray("list" + i).add(random.nextLong(1L << 32, Long.MAX_VALUE)).add(random.nextBoolean()); // a long beyond int stays a LongNode in CBOR
            }
        }
        return node;
    }
}
