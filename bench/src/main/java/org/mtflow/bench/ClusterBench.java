package org.mtflow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Issue 5's cluster figures on a 3-node loopback cluster of real {@code mtflow node} JVMs
 * ({@code cli/target/mtflow.jar}, {@code --devices jvm}), runs submitted to node 1 with
 * {@code mtflow run FILE --cluster 127.0.0.1:HTTP} as a user would; figures read from node 1's
 * {@code events.jsonl} and {@code report.json} (node 1 coordinates every run, so all timestamps come
 * from one clock, and this machine's: the nodes share it on loopback).
 * <ol>
 *   <li><b>Throughput</b>: two runs of {@code --tasks} {@code util.noop} tasks: a fan-out/fan-in (one
 *       root, the middles reading its output, one sink reading them all: placement prefers the node
 *       holding the inputs, so most stay on the root's node) and a wide one (the middles without
 *       inputs: spread by free slots); tasks/s = tasks / (RunStarted → RunFinished), and how many
 *       tasks ran on each node. A smaller warm-up run goes first.</li>
 *   <li><b>Dispatch latency</b>: three independent chains of {@code --chain} {@code util.noop} tasks
 *       (each chain's root has no inputs, so the three land on three nodes, and locality keeps each
 *       chain on its node), so one task per chain is in flight and nothing waits for a slot. Per task:
 *       ready → dispatched (TaskQueued → TaskStarted, both stamped by the coordinator when it queues
 *       the task and when it sends the attempt) and the dispatch round trip (TaskStarted →
 *       TaskSucceeded minus the attempt's own run time: the Execute message to the node, its worker
 *       picking it up, and the result back), p50/p99 per node. The events hold no worker-side start
 *       time, so the one-way hop to a remote worker cannot be split from the way back.</li>
 *   <li><b>Recovery</b>: {@code --kills} rounds; each submits three {@code util.sleep} tasks (one per
 *       node, so the survivors have a free slot: the figure is detection + rescheduling, not waiting
 *       for a slot), with {@code --no-cache}, {@code kill -9}s node 2 or 3 (alternately) once one of them has started there, and
 *       measures the kill to the first TaskStarted of a task lost with it on another node. The node
 *       is restarted on its old port before the next round. Target (issue 5): &lt; 10 s p99.</li>
 * </ol>
 * Every child JVM is killed at the end, on failure and on Ctrl-C (a shutdown hook); the temp dir is
 * deleted unless {@code --keep}.
 *
 * <pre>bench/run.sh ClusterBench [--tasks 10000] [--warmup 2000] [--chain 200] [--kills 5] [--sleep-ms 8000] [--keep]</pre>
 */
public final class ClusterBench {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration FORM = Duration.ofSeconds(120);
    private static final String USAGE = "usage: ClusterBench [--tasks 10000] [--warmup 2000] [--chain 200] [--kills 5] "
            + "[--sleep-ms 8000] [--keep]";

    private final Path root = Path.of("").toAbsolutePath();
    private final Path jar = root.resolve("cli/target/mtflow.jar");
    private final List<Process> children = new CopyOnWriteArrayList<>();
    private final Process[] nodes = new Process[3];
    private final Path dir;
    private int[] ports;
    private int[] http;
    private int restarts;

    private ClusterBench(Path dir) {
        this.dir = dir;
    }

    public static void main(String[] args) throws Exception {
        int tasks = 10_000, warmup = 2_000, chain = 200, kills = 5;
        long sleepMs = 8_000;
        boolean keep = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--tasks" -> tasks = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--chain" -> chain = Integer.parseInt(args[++i]);
                case "--kills" -> kills = Integer.parseInt(args[++i]);
                case "--sleep-ms" -> sleepMs = Long.parseLong(args[++i]);
                case "--keep" -> keep = true;
                case "--help" -> {
                    System.out.println(USAGE);
                    return;
                }
                default -> {
                    System.err.println("unknown option " + args[i] + "; " + USAGE);
                    System.exit(2);
                }
            }
        }
        if (tasks < 3 || chain < 1 || kills < 0 || sleepMs < 1000) {
            System.err.println("--tasks >= 3, --chain >= 1, --kills >= 0, --sleep-ms >= 1000; " + USAGE);
            System.exit(2);
        }
        ClusterBench b = new ClusterBench(Files.createTempDirectory("mtflow-cluster-bench"));
        boolean keepDir = keep;
        Thread hook = new Thread(() -> b.cleanUp(keepDir), "cluster-bench-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
        int exit = 0;
        try {
            b.run(tasks, warmup, chain, kills, sleepMs);
        } catch (Exception e) {
            System.out.println("FAILED: " + e);
            b.printLogTails();
            exit = 1;
        }
        System.out.flush();
        System.exit(exit); // the hook kills the nodes and deletes the temp dir
    }

    private void run(int tasks, int warmup, int chain, int kills, long sleepMs) throws Exception {
        if (!Files.isRegularFile(jar)) throw new IllegalStateException(jar + " is missing: mvn -pl cli -am package");
        System.out.printf(Locale.ROOT, "# ClusterBench: 3 mtflow node JVMs on loopback (--devices jvm), %d cores, load %s; dir %s%n",
                Runtime.getRuntime().availableProcessors(), load(), dir);
        long t0 = System.nanoTime();
        startCluster();
        System.out.printf(Locale.ROOT, "cluster formed in %.1f s: nodes %s%n", (System.nanoTime() - t0) / 1e9, labels());

        // 1. Throughput.
        if (warmup >= 3) {
            RunFigures w = fanRun("warm", warmup, false);
            System.out.printf(Locale.ROOT, "warm-up: %d noop tasks, %.0f tasks/s%n", w.tasks, w.tasksPerSecond());
        }
        System.out.printf(Locale.ROOT, "%n## 1. throughput: %,d util.noop tasks per run, submitted with run --cluster%n", tasks);
        for (boolean fromRoot : new boolean[] {true, false}) {
            RunFigures f = fanRun(fromRoot ? "fan" : "wide", tasks, fromRoot);
            System.out.println(fromRoot ? "fan-out/fan-in (root -> middles reading root.out -> sink reading them all):"
                    : "wide (root, middles without inputs, sink reading them all):");
            System.out.printf(Locale.ROOT, "  run %.2f s (RunStarted -> RunFinished): %,.0f tasks/s; client wall %.2f s incl. its JVM start: %,.0f tasks/s%n",
                    f.runSeconds, f.tasksPerSecond(), f.clientSeconds, f.tasks / f.clientSeconds);
            System.out.println("  tasks per node (report.json): " + f.perNode);
            System.out.printf(Locale.ROOT, "  queued -> started (mostly waiting for a slot: %,d tasks ready at once): p50 %.1f ms, p99 %.1f ms%n",
                    fromRoot ? tasks - 2 : tasks - 1, pct(f.queuedToStarted, 50), pct(f.queuedToStarted, 99));
        }

        // 2. Dispatch latency.
        System.out.printf(Locale.ROOT, "%n## 2. dispatch latency: 3 chains of %d util.noop tasks (one task in flight per chain)%n", chain);
        latency(chain);

        // 3. Recovery from kill -9.
        System.out.printf(Locale.ROOT, "%n## 3. kill -9 of a worker node -> its lost task started on another node (%d rounds, 3 x util.sleep %d ms, one per node, so a free slot awaits the lost task)%n",
                kills, sleepMs);
        List<Double> samples = new ArrayList<>();
        for (int r = 1; r <= kills; r++) {
            int victim = 1 + (r - 1) % 2;
            double s = killRound(r, victim, sleepMs);
            samples.add(s);
            System.out.printf(Locale.ROOT, "round %d: killed node %d (%s): lost task running again elsewhere after %.2f s%n",
                    r, victim + 1, label(victim), s);
        }
        if (!samples.isEmpty()) {
            double[] a = samples.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            double p99 = pct(a, 99);
            System.out.printf(Locale.ROOT, "kill -> running again: p50 %.2f s, p99 %.2f s (= max of %d), target < 10 s: %s%n",
                    pct(a, 50), p99, a.length, p99 < 10 ? "ok" : "MISSED");
        }
        System.out.printf(Locale.ROOT, "%n# done in %.0f s; load %s%n", (System.nanoTime() - t0) / 1e9, load());
    }

    // --- the cluster ----------------------------------------------------------------------

    private void startCluster() throws IOException, InterruptedException {
        ports = freePorts(6);
        http = new int[] {ports[3], ports[4], ports[5]};
        for (int i = 0; i < 3; i++) nodes[i] = startNode(i, "n" + (i + 1));
        for (int i = 0; i < 3; i++) awaitText(log("n" + (i + 1)), "(3 up)", FORM, nodes[i]);
        awaitCount(log("n1"), "cluster devices: 3", 1, FORM);
    }

    private Process startNode(int i, String name) throws IOException {
        List<String> args = new ArrayList<>(List.of("node", "--port", String.valueOf(ports[i]), "--http-port",
                String.valueOf(http[i]), "--devices", "jvm", "--home", dir.resolve(name).toString()));
        if (i > 0) args.addAll(List.of("--seed", "127.0.0.1:" + ports[0]));
        return start(log(name), args);
    }

    private Process start(Path log, List<String> args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:LoopUnrollLimit=250", "-jar", jar.toString()));
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).directory(root.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        children.add(p);
        return p;
    }

    private Path log(String name) {
        return dir.resolve(name + ".log");
    }

    private String label(int i) {
        return "jvm@127.0.0.1:" + ports[i];
    }

    private List<String> labels() {
        return List.of(label(0), label(1), label(2));
    }

    /** Runs the CLI client to the end (at most {@code limit}); returns its wall seconds. */
    private double client(String runId, Path workflow, Duration limit) throws IOException, InterruptedException {
        Path log = log("client-" + runId);
        long t0 = System.nanoTime();
        Process c = start(log, List.of("run", workflow.toString(), "--cluster", "127.0.0.1:" + http[0], "--run-id", runId,
                "--progress=plain"));
        finish(c, log, runId, limit);
        return (System.nanoTime() - t0) / 1e9;
    }

    private void finish(Process c, Path log, String runId, Duration limit) throws IOException, InterruptedException {
        if (!c.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
            c.destroyForcibly();
            throw new IllegalStateException("run " + runId + " did not end within " + limit + ":\n" + tail(log));
        }
        children.remove(c);
        if (c.exitValue() != 0) throw new IllegalStateException("run " + runId + " exited " + c.exitValue() + ":\n" + tail(log));
    }

    // --- 1. throughput ----------------------------------------------------------------------

    record RunFigures(int tasks, double runSeconds, double clientSeconds, Map<String, Integer> perNode, double[] queuedToStarted) {
        double tasksPerSecond() { return tasks / runSeconds; }
    }

    /**
     * {@code fromRoot}: the middles read the root's output (fan-out/fan-in; locality then keeps most of
     * them on the root's node); else they have no inputs (placement spreads them by free slots).
     */
    private RunFigures fanRun(String runId, int n, boolean fromRoot) throws Exception {
        StringBuilder y = new StringBuilder("name: bench-fan\nseed: 1\ntasks:\n  root: {type: util.noop}\n");
        StringBuilder sink = new StringBuilder("  sink: {type: util.noop, inputs: {x: [");
        for (int i = 1; i <= n - 2; i++) {
            y.append("  m").append(i).append(fromRoot ? ": {type: util.noop, inputs: {x: root.out}}\n" : ": {type: util.noop}\n");
            sink.append(i > 1 ? ", " : "").append('m').append(i).append(".out");
        }
        y.append(sink).append("]}}\n");
        Path wf = dir.resolve(runId + ".yaml");
        Files.writeString(wf, y, StandardCharsets.UTF_8);
        double wall = client(runId, wf, Duration.ofMinutes(10));
        List<JsonNode> events = events(runId);
        Instant started = null;
        long millis = -1;
        Map<String, Instant> queued = new HashMap<>();
        List<Double> waits = new ArrayList<>();
        for (JsonNode e : events) {
            switch (e.path("type").asText()) {
                case "RunStarted" -> started = time(e);
                case "RunFinished" -> {
                    if (!e.path("status").asText().equals("succeeded")) throw new IllegalStateException("run " + runId + " " + e);
                    millis = e.path("millis").asLong();
                }
                case "TaskQueued" -> queued.putIfAbsent(e.path("task").asText(), time(e));
                case "TaskStarted" -> {
                    Instant q = queued.get(e.path("task").asText());
                    if (q != null && e.path("attempt").asInt() == 1) waits.add(ms(q, time(e)));
                }
                default -> { }
            }
        }
        if (started == null || millis < 0) throw new IllegalStateException("run " + runId + ": no RunStarted/RunFinished");
        Map<String, Integer> perNode = new TreeMap<>();
        JsonNode report = JSON.readTree(dir.resolve("n1/runs/" + runId + "/report.json").toFile());
        report.path("tasks").fields().forEachRemaining(t -> perNode.merge(t.getValue().path("device").asText(), 1, Integer::sum));
        int total = perNode.values().stream().mapToInt(Integer::intValue).sum();
        if (total != n) throw new IllegalStateException("report.json of " + runId + " lists " + total + " tasks, not " + n);
        return new RunFigures(n, millis / 1000.0, wall, perNode, sorted(waits));
    }

    // --- 2. dispatch latency ---------------------------------------------------------------

    private void latency(int length) throws Exception {
        StringBuilder y = new StringBuilder("name: bench-chains\nseed: 1\ntasks:\n");
        for (char c : new char[] {'a', 'b', 'c'}) {
            y.append("  ").append(c).append("0: {type: util.noop}\n");
            for (int i = 1; i < length; i++) {
                y.append("  ").append(c).append(i).append(": {type: util.noop, inputs: {x: ").append(c).append(i - 1).append(".out}}\n");
            }
        }
        Path wf = dir.resolve("chains.yaml");
        Files.writeString(wf, y, StandardCharsets.UTF_8);
        client("chains", wf, Duration.ofMinutes(10));
        Map<String, Instant> queued = new HashMap<>(), started = new HashMap<>();
        Map<String, List<Double>> dispatch = new TreeMap<>(), roundTrip = new TreeMap<>();
        for (JsonNode e : events("chains")) {
            String task = e.path("task").asText();
            switch (e.path("type").asText()) {
                case "TaskQueued" -> queued.put(task, time(e));
                case "TaskStarted" -> {
                    started.put(task, time(e));
                    Instant q = queued.get(task);
                    if (q != null) dispatch.computeIfAbsent(e.path("device").asText(), k -> new ArrayList<>()).add(ms(q, time(e)));
                }
                case "TaskSucceeded" -> {
                    Instant s = started.get(task);
                    if (s != null) {
                        roundTrip.computeIfAbsent(e.path("device").asText(), k -> new ArrayList<>())
                                .add(ms(s, time(e)) - e.path("millis").asLong());
                    }
                }
                default -> { }
            }
        }
        List<Double> allD = new ArrayList<>(), allR = new ArrayList<>();
        for (String node : roundTrip.keySet()) {
            double[] d = sorted(dispatch.getOrDefault(node, List.of())), r = sorted(roundTrip.get(node));
            allD.addAll(dispatch.getOrDefault(node, List.of()));
            allR.addAll(roundTrip.get(node));
            System.out.printf(Locale.ROOT, "%s%s: %d tasks; ready->dispatched p50 %.2f ms p99 %.2f ms; dispatch round trip p50 %.2f ms p99 %.2f ms%n",
                    node, node.equals(label(0)) ? " (coordinator's node)" : "", r.length, pct(d, 50), pct(d, 99), pct(r, 50), pct(r, 99));
        }
        double[] d = sorted(allD), r = sorted(allR);
        System.out.printf(Locale.ROOT, "all nodes: ready->dispatched p50 %.2f ms p99 %.2f ms; dispatch round trip p50 %.2f ms p99 %.2f ms%n",
                pct(d, 50), pct(d, 99), pct(r, 50), pct(r, 99));
        System.out.println("(round trip = TaskStarted -> TaskSucceeded at the coordinator minus the attempt's run time, whole ms; "
                + "no worker-side start time in the events, so the one-way hop is not measured on its own)");
    }

    // --- 3. kill -9 --------------------------------------------------------------------------

    private double killRound(int round, int victim, long sleepMs) throws Exception {
        String runId = "kill" + round;
        StringBuilder y = new StringBuilder("name: bench-kill\nseed: 1\ntasks:\n");
        for (int i = 1; i <= 3; i++) y.append("  s").append(i).append(": {type: util.sleep, with: {ms: ").append(sleepMs).append("}}\n");
        Path wf = dir.resolve(runId + ".yaml");
        Files.writeString(wf, y, StandardCharsets.UTF_8);
        Path clientLog = log("client-" + runId);
        Process client = start(clientLog, List.of("run", wf.toString(), "--cluster", "127.0.0.1:" + http[0], "--run-id", runId,
                "--no-cache", "--progress=plain")); // util.sleep is cacheable: every round must run
        String dead = label(victim);
        awaitTrue(() -> startedOn(runId, dead), Duration.ofSeconds(60), "a task of " + runId + " to start on " + dead);
        Instant killed = Instant.now();
        nodes[victim].destroyForcibly(); // SIGKILL
        if (!nodes[victim].waitFor(30, TimeUnit.SECONDS)) throw new IllegalStateException("node " + (victim + 1) + " survived SIGKILL");
        children.remove(nodes[victim]);
        Instant[] again = new Instant[1];
        awaitTrue(() -> {
            again[0] = rerun(runId, dead, killed);
            return again[0] != null;
        }, Duration.ofSeconds(60), "a task lost on " + dead + " to start elsewhere");
        finish(client, clientLog, runId, Duration.ofSeconds(120));
        // Back to three nodes for the next round: the same ports, a fresh home.
        restarts++;
        String name = "n" + (victim + 1) + "-r" + round;
        nodes[victim] = startNode(victim, name);
        awaitText(log(name), "(3 up)", FORM, nodes[victim]);
        awaitCount(log("n1"), "cluster devices: 3", 1 + restarts, FORM);
        return Duration.between(killed, again[0]).toNanos() / 1e9;
    }

    private boolean startedOn(String runId, String device) {
        for (JsonNode e : eventsQuietly(runId)) {
            if (e.path("type").asText().equals("TaskStarted") && e.path("device").asText().equals(device)) return true;
        }
        return false;
    }

    /** The first TaskStarted, after the kill and not on the dead node, of a task that had started there. */
    private Instant rerun(String runId, String dead, Instant killed) {
        Set<String> lost = new HashSet<>();
        Instant first = null;
        for (JsonNode e : eventsQuietly(runId)) {
            if (!e.path("type").asText().equals("TaskStarted")) continue;
            String task = e.path("task").asText(), device = e.path("device").asText();
            if (device.equals(dead)) {
                lost.add(task);
            } else if (lost.contains(task)) {
                Instant t = time(e);
                if (!t.isBefore(killed) && (first == null || t.isBefore(first))) first = t;
            }
        }
        return first;
    }

    // --- events, waiting, cleanup ---------------------------------------------------------

    private List<JsonNode> events(String runId) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        Path f = dir.resolve("n1/runs/" + runId + "/events.jsonl");
        if (!Files.exists(f)) return out;
        for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
            if (!line.isBlank()) out.add(JSON.readTree(line));
        }
        return out;
    }

    /** While the run is being written: a half-written last line reads as none. */
    private List<JsonNode> eventsQuietly(String runId) {
        List<JsonNode> out = new ArrayList<>();
        Path f = dir.resolve("n1/runs/" + runId + "/events.jsonl");
        try {
            if (!Files.exists(f)) return out;
            for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                if (line.isBlank()) continue;
                try {
                    out.add(JSON.readTree(line));
                } catch (IOException half) {
                    break;
                }
            }
        } catch (IOException e) {
            return out;
        }
        return out;
    }

    private static Instant time(JsonNode e) {
        return Instant.parse(e.path("time").asText());
    }

    private static double ms(Instant from, Instant to) {
        return Duration.between(from, to).toNanos() / 1e6;
    }

    private static double[] sorted(List<Double> xs) {
        return xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    }

    /** Nearest-rank percentile of a sorted array; NaN when empty. */
    private static double pct(double[] sorted, double p) {
        if (sorted.length == 0) return Double.NaN;
        int rank = (int) Math.ceil(p / 100 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    private static void awaitText(Path log, String text, Duration limit, Process p) throws InterruptedException {
        awaitTrue(() -> {
            if (!p.isAlive()) throw new IllegalStateException(log.getFileName() + ": the process exited " + p.exitValue() + ":\n" + tail(log));
            return read(log).contains(text);
        }, limit, log.getFileName() + " to print '" + text + "'");
    }

    private static void awaitCount(Path log, String text, int count, Duration limit) throws InterruptedException {
        awaitTrue(() -> read(log).split(java.util.regex.Pattern.quote(text), -1).length - 1 >= count, limit,
                log.getFileName() + " to print '" + text + "' " + count + " times");
    }

    private static void awaitTrue(BooleanSupplier done, Duration limit, String what) throws InterruptedException {
        long end = System.nanoTime() + limit.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > end) throw new IllegalStateException("timed out after " + limit.toSeconds() + " s waiting for " + what);
            Thread.sleep(20);
        }
    }

    private static String read(Path log) {
        try {
            return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "";
        }
    }

    private static String tail(Path log) {
        List<String> lines = read(log).lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    }

    private void printLogTails() {
        try (var files = Files.list(dir)) {
            for (Path p : files.filter(f -> f.toString().endsWith(".log")).sorted().toList()) {
                System.out.println("--- " + p.getFileName() + " (last lines)\n" + tail(p));
            }
        } catch (IOException ignored) {
            // best effort
        }
    }

    private void cleanUp(boolean keep) {
        List<Process> all = new ArrayList<>(children);
        Collections.reverse(all);
        for (Process p : all) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        for (Process p : all) {
            try {
                p.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (keep) {
            System.out.println("# kept " + dir);
            return;
        }
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException e) {
            System.err.println("could not delete " + dir + ": " + e.getMessage());
        }
    }

    private static String load() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "n/a";
        }
    }

    private static int[] freePorts(int n) throws IOException {
        int[] out = new int[n];
        List<ServerSocket> held = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                ServerSocket s = new ServerSocket(0);
                held.add(s);
                out[i] = s.getLocalPort();
            }
        } finally {
            for (ServerSocket s : held) s.close();
        }
        return out;
    }
}
