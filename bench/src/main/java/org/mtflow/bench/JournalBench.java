package org.mtflow.bench;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.mtflow.engine.journal.JournalEntry;
import org.mtflow.engine.journal.JournalSettings;
import org.mtflow.engine.journal.JournalSettings.Backend;
import org.mtflow.engine.journal.RunJournal;
import org.mtflow.engine.store.ArtifactRef;

/**
 * The run-journal figures of issue 4 ("Caching and durable resume"), per embedded backend:
 * <ul>
 *   <li>start-up: schema check + actor system + the first one-entry Append acknowledged, on an
 *       empty directory (the first backend in a JVM also pays for loading Pekko's classes);
 *   <li>completions/s: a producer thread offers {@code --entries} TaskDone entries as fast as it
 *       can (or at {@code --rate}/s); the appender, like the run coordinator, keeps one Append in
 *       flight and sends whatever has accumulated (≤ {@code --max-batch}) as soon as the last one is
 *       acknowledged; p50/p99 of the write (Append → Appended) time;
 *   <li>replay: the actor system is stopped, a new one is started on the same directory, and a
 *       fresh RunJournal's Read is timed until the whole History arrives (checked entry by entry).
 * </ul>
 *
 * <pre>bench/run.sh JournalBench [--backends h2,sqlite,inmem] [--entries 100000] [--max-batch 1000] [--rate R] [--dir DIR]</pre>
 */
public final class JournalBench {
    private JournalBench() {}

    private static final Duration TIMEOUT = Duration.ofSeconds(120);

    public static void main(String[] args) throws Exception {
        List<String> backends = List.of("h2", "sqlite");
        int entries = 100_000, maxBatch = 1000;
        double rate = 0;
        Path root = Path.of("bench/target/journal-bench");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--backends" -> backends = List.of(args[++i].split(","));
                case "--entries" -> entries = Integer.parseInt(args[++i]);
                case "--max-batch" -> maxBatch = Integer.parseInt(args[++i]);
                case "--rate" -> rate = Double.parseDouble(args[++i]);
                case "--dir" -> root = Path.of(args[++i]);
                default -> {
                    System.err.println("usage: bench/run.sh JournalBench [--backends h2,sqlite,inmem] [--entries N]"
                            + " [--max-batch N] [--rate PER_SECOND] [--dir DIR]");
                    System.exit(2);
                }
            }
        }
        System.out.printf(Locale.ROOT, "JournalBench: %,d TaskDone entries, batches <= %d, one Append in flight%s%n",
                entries, maxBatch, rate > 0 ? String.format(Locale.ROOT, ", offered at %.0f/s", rate) : ", offered at once");
        for (String b : backends) {
            Path dir = root.resolve(b);
            deleteTree(dir);
            run(b, dir, entries, maxBatch, rate);
        }
    }

    private static Config journalConfig(String backend, Path dir) {
        return switch (backend) {
            case "h2" -> JournalSettings.durable(Backend.H2, dir);
            case "sqlite" -> JournalSettings.durable(Backend.SQLITE, dir);
            case "inmem" -> JournalSettings.inMemory();
            default -> throw new IllegalArgumentException("unknown backend " + backend + " (h2, sqlite, inmem)");
        };
    }

    private static void run(String backend, Path dir, int entries, int maxBatch, double rate) throws Exception {
        System.out.printf("%n== %s%s%n", backend, backend.equals("h2") ? " (WRITE_DELAY=0, no fsync per commit)"
                : backend.equals("sqlite") ? " (WAL, synchronous=FULL: fsync per commit)" : " (no durability)");
        // Start-up: schema, actor system, journal recovery and the first write.
        long t0 = System.nanoTime();
        Config config = journalConfig(backend, dir);
        long tSchema = System.nanoTime();
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "bench", config.withFallback(ConfigFactory.load()));
        long tSystem = System.nanoTime();
        ActorRef<RunJournal.Command> journal = system.systemActorOf(RunJournal.create("bench"), "journal-0",
                org.apache.pekko.actor.typed.Props.empty());
        append(system, journal, List.of(new JournalEntry.RunEnded("started")));
        long tFirst = System.nanoTime();
        System.out.printf(Locale.ROOT, "start-up      %6.0f ms  (schema %.0f, actor system %.0f, recovery + first write %.0f)%n",
                ms(tFirst - t0), ms(tSchema - t0), ms(tSystem - tSchema), ms(tFirst - tSystem));
        if (backend.equals("sqlite")) printPragmas(config.getString("jdbc-journal.slick.db.url"));

        // Appends: the run's journal for the figures is a fresh one, so replay reads only its entries.
        ActorRef<RunJournal.Command> run = system.systemActorOf(RunJournal.create("run"), "journal-1",
                org.apache.pekko.actor.typed.Props.empty());
        ask(system, run, RunJournal.Read::new); // recovery done before the clock starts
        List<JournalEntry> expected = new ArrayList<>(entries);
        SplittableRandom random = new SplittableRandom(42);
        for (int i = 0; i < entries; i++) expected.add(taskDone(random, i));
        BlockingQueue<JournalEntry> completions = new ArrayBlockingQueue<>(entries);
        Thread producer = new Thread(() -> offer(expected, completions, rate), "completions");
        long[] writeNs = new long[entries];
        int writes = 0, done = 0;
        long start = System.nanoTime();
        producer.start();
        List<JournalEntry> batch = new ArrayList<>(maxBatch);
        while (done < entries) {
            batch.clear();
            if (completions.drainTo(batch, maxBatch) == 0) batch.add(completions.take());
            long w0 = System.nanoTime();
            append(system, run, batch);
            writeNs[writes++] = System.nanoTime() - w0;
            done += batch.size();
        }
        long appendNs = System.nanoTime() - start;
        producer.join();
        long[] w = Arrays.copyOf(writeNs, writes);
        Arrays.sort(w);
        System.out.printf(Locale.ROOT, "append        %,8.0f completions/s  (%,d in %.2f s; %d writes, mean batch %.0f; write p50 %.2f ms, p99 %.2f ms)%n",
                entries / (appendNs / 1e9), entries, appendNs / 1e9, writes, entries / (double) writes,
                ms(w[writes / 2]), ms(w[Math.min(writes - 1, (int) (writes * 0.99))]));
        system.terminate();
        system.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
        if (backend.equals("inmem")) return; // nothing survives the system

        // Replay on a new actor system.
        long r0 = System.nanoTime();
        ActorSystem<Void> again = ActorSystem.create(Behaviors.empty(), "bench",
                journalConfig(backend, dir).withFallback(ConfigFactory.load()));
        long r1 = System.nanoTime();
        ActorRef<RunJournal.Command> resumed = again.systemActorOf(RunJournal.create("run"), "journal-1",
                org.apache.pekko.actor.typed.Props.empty());
        List<JournalEntry> history = ask(again, resumed, RunJournal.Read::new).entries();
        long r2 = System.nanoTime();
        if (!history.equals(expected)) {
            throw new IllegalStateException("replay returned " + history.size() + " entries, not the " + entries + " written");
        }
        System.out.printf(Locale.ROOT, "replay        %6.0f ms for %,d entries (%,.0f entries/s; + %.0f ms to start the actor system)%n",
                ms(r2 - r1), history.size(), history.size() / ((r2 - r1) / 1e9), ms(r1 - r0));
        again.terminate();
        again.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
        System.out.printf(Locale.ROOT, "on disk       %,.1f MB in %s%n", treeSize(dir) / 1e6, dir);
    }

    private static void offer(List<JournalEntry> all, BlockingQueue<JournalEntry> queue, double rate) {
        long start = System.nanoTime();
        for (int i = 0; i < all.size(); i++) {
            if (rate > 0) {
                long due = start + (long) (i / rate * 1e9);
                while (System.nanoTime() < due) Thread.onSpinWait();
            }
            queue.add(all.get(i));
        }
    }

    private static void append(ActorSystem<?> system, ActorRef<RunJournal.Command> journal, List<JournalEntry> batch)
            throws Exception {
        List<JournalEntry> copy = List.copyOf(batch);
        RunJournal.Appended ack = AskPattern.<RunJournal.Command, RunJournal.Appended>ask(journal,
                        replyTo -> new RunJournal.Append(copy, replyTo), TIMEOUT, system.scheduler())
                .toCompletableFuture().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        if (ack.count() != copy.size()) throw new IllegalStateException("acknowledged " + ack.count() + " of " + copy.size());
    }

    private static RunJournal.History ask(ActorSystem<?> system, ActorRef<RunJournal.Command> journal,
                                         java.util.function.Function<ActorRef<RunJournal.History>, RunJournal.Command> read)
            throws Exception {
        return AskPattern.ask(journal, read::apply, TIMEOUT, system.scheduler())
                .toCompletableFuture().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    }

    /** A completion like a small node's: one or two outputs, one metric. */
    private static JournalEntry taskDone(SplittableRandom random, int i) {
        ObjectNode metrics = JsonNodeFactory.instance.objectNode().put("loss", random.nextDouble());
        Map<String, ArtifactRef> outputs = random.nextBoolean()
                ? Map.of("out", ref(random))
                : Map.of("out", ref(random), "aux", ref(random));
        return new JournalEntry.TaskDone("task-" + i, outputs, metrics, 1, "jvm", random.nextInt(1000));
    }

    private static ArtifactRef ref(SplittableRandom random) {
        StringBuilder hex = new StringBuilder(64);
        for (int i = 0; i < 4; i++) hex.append(String.format("%016x", random.nextLong()));
        return new ArtifactRef(hex.toString(), random.nextInt(1 << 20));
    }

    /** What SQLite really runs with: journal_mode must be wal and synchronous 2 (FULL). */
    private static void printPragmas(String url) throws SQLException {
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            StringBuilder out = new StringBuilder("sqlite        ");
            for (String p : List.of("journal_mode", "synchronous")) {
                try (ResultSet r = s.executeQuery("PRAGMA " + p)) {
                    r.next();
                    out.append(p).append('=').append(r.getString(1)).append("  ");
                }
            }
            System.out.println(out.toString().strip() + "  (synchronous 2 = FULL)");
        }
    }

    private static double ms(long ns) {
        return ns / 1e6;
    }

    private static long treeSize(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).sum();
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
