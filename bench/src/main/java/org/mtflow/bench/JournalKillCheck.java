package org.mtflow.bench;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.typesafe.config.ConfigFactory;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.mtflow.engine.journal.JournalEntry;
import org.mtflow.engine.journal.JournalSettings;
import org.mtflow.engine.journal.JournalSettings.Backend;
import org.mtflow.engine.journal.RunJournal;
import org.mtflow.engine.store.ArtifactRef;

/**
 * Kills a process that appends to a run journal with {@code kill -9} (SIGKILL) at a random moment,
 * again and again on one directory, and checks after each kill that the next process recovers every
 * acknowledged entry, in order, and nothing else. Each child recovers, checks, then keeps appending
 * batches of 1–500 entries, printing the acknowledged total after each Append.
 *
 * <pre>bench/run.sh JournalKillCheck [--backend sqlite|h2] [--cycles 10] [--dir DIR]</pre>
 */
public final class JournalKillCheck {
    private JournalKillCheck() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 3 && args[0].equals("--child")) {
            child(Backend.valueOf(args[1]), Path.of(args[2]));
            return;
        }
        Backend backend = Backend.SQLITE;
        int cycles = 10;
        Path dir = Path.of("bench/target/journal-kill");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--backend" -> backend = Backend.valueOf(args[++i].toUpperCase(java.util.Locale.ROOT));
                case "--cycles" -> cycles = Integer.parseInt(args[++i]);
                case "--dir" -> dir = Path.of(args[++i]);
                default -> {
                    System.err.println("usage: bench/run.sh JournalKillCheck [--backend sqlite|h2] [--cycles N] [--dir DIR]");
                    System.exit(2);
                }
            }
        }
        dir = dir.resolve(backend.name().toLowerCase(java.util.Locale.ROOT));
        if (Files.exists(dir)) {
            try (var files = Files.walk(dir)) {
                for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
            }
        }
        SplittableRandom random = new SplittableRandom(System.nanoTime());
        long lastAcked = 0;
        int failures = 0;
        // One more start than kills: the last child only recovers and checks.
        for (int cycle = 0; cycle <= cycles; cycle++) {
            String java = ProcessHandle.current().info().command().orElse("java");
            Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                    JournalKillCheck.class.getName(), "--child", backend.name(), dir.toString())
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String line = out.readLine();
            if (line == null || !line.startsWith("recovered ")) {
                System.out.println("cycle " + cycle + ": child said " + line);
                p.destroyForcibly();
                System.exit(1);
            }
            long recovered = Long.parseLong(line.split(" ")[1]);
            boolean ok = recovered >= lastAcked;
            if (!ok) failures++;
            System.out.printf("cycle %2d: recovered %,d entries (acknowledged before the kill: %,d) %s%n",
                    cycle, recovered, lastAcked, ok ? "ok" : "LOST ACKNOWLEDGED ENTRIES");
            if (cycle == cycles) {
                p.destroyForcibly().waitFor();
                break;
            }
            long killAt = System.nanoTime() + (long) (random.nextDouble(0.2, 1.5) * 1e9);
            lastAcked = recovered;
            while (System.nanoTime() < killAt && (line = out.readLine()) != null) {
                if (line.startsWith("acked ")) lastAcked = Long.parseLong(line.split(" ")[1]);
                else if (line.startsWith("MISMATCH")) {
                    System.out.println(line);
                    failures++;
                }
            }
            // SIGKILL, like kill -9: no shutdown hook, no flush. Then every ack it printed counts,
            // including those still in the pipe (Process.destroyForcibly would close it: signal the handle).
            p.toHandle().destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
            while ((line = out.readLine()) != null) {
                if (line.startsWith("acked ")) lastAcked = Long.parseLong(line.split(" ")[1]);
            }
        }
        System.out.println(failures == 0 ? "no acknowledged entry lost in " + cycles + " kills" : failures + " FAILURES");
        System.exit(failures == 0 ? 0 : 1);
    }

    private static JournalEntry entry(long i) {
        SplittableRandom r = new SplittableRandom(i);
        StringBuilder hex = new StringBuilder(64);
        for (int k = 0; k < 4; k++) hex.append(String.format("%016x", r.nextLong()));
        return new JournalEntry.TaskDone("task-" + i, Map.of("out", new ArtifactRef(hex.toString(), r.nextInt(1 << 20))),
                JsonNodeFactory.instance.objectNode().put("loss", r.nextDouble()), 1, "jvm", r.nextInt(1000));
    }

    private static void child(Backend backend, Path dir) throws Exception {
        Duration timeout = Duration.ofSeconds(60);
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "kill",
                JournalSettings.durable(backend, dir).withFallback(ConfigFactory.load()));
        ActorRef<RunJournal.Command> journal = system.systemActorOf(RunJournal.create("kill"), "journal", Props.empty());
        List<JournalEntry> history = AskPattern.<RunJournal.Command, RunJournal.History>ask(journal,
                RunJournal.Read::new, timeout, system.scheduler()).toCompletableFuture().get(60, TimeUnit.SECONDS).entries();
        for (int i = 0; i < history.size(); i++) {
            if (!history.get(i).equals(entry(i))) {
                System.out.println("MISMATCH at entry " + i);
                System.out.flush();
                System.exit(1);
            }
        }
        System.out.println("recovered " + history.size());
        System.out.flush();
        SplittableRandom random = new SplittableRandom();
        long next = history.size();
        while (true) {
            int n = 1 + random.nextInt(500);
            List<JournalEntry> batch = new ArrayList<>(n);
            for (int i = 0; i < n; i++) batch.add(entry(next + i));
            AskPattern.<RunJournal.Command, RunJournal.Appended>ask(journal,
                    replyTo -> new RunJournal.Append(batch, replyTo), timeout, system.scheduler())
                    .toCompletableFuture().get(60, TimeUnit.SECONDS);
            next += n;
            System.out.println("acked " + next);
            System.out.flush();
        }
    }
}
