package org.mtflow.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.mtflow.devices.Devices;
import org.mtflow.engine.event.EventSink;
import org.mtflow.engine.event.Json;
import org.mtflow.engine.event.RunEvent;
import org.mtflow.engine.event.RunReport;
import org.mtflow.engine.run.Engine;
import org.mtflow.engine.run.EngineSettings;
import org.mtflow.engine.run.RunOptions;
import org.mtflow.engine.run.RunOutcome;
import org.mtflow.engine.spec.InputBinding;
import org.mtflow.engine.spec.OutputRef;
import org.mtflow.engine.spec.Problem;
import org.mtflow.engine.spec.Resources;
import org.mtflow.engine.spec.RetryPolicy;
import org.mtflow.engine.spec.TaskSpec;
import org.mtflow.engine.spec.WorkflowSpec;
import org.mtflow.nodes.BuiltinNodes;

/**
 * The engine figures of issue 4 ("Speed"): {@code util.noop} workflows as a chain, a wide
 * fan-out/fan-in and a seeded random DAG of out-degree ≤ 4, each run on a fresh engine (fresh home:
 * empty store and cache) with the JVM device, with the journal off and with the embedded durable
 * journal. Per run: tasks/s (tasks / wall time from {@code Engine.start} to its done future, which
 * includes the engine's own validation), and p50/p99 dispatch latency: TaskQueued → TaskStarted of
 * each task, stamped with {@code System.nanoTime()} when the event reaches the listener (events are
 * delivered synchronously on the coordinator's thread). One warm-up run per configuration precedes
 * the measured ones.
 *
 * <p>Then the heap of a {@code --heap-tasks} graph (default 1,000,000): used heap after GC with
 * nothing built, with the spec built, and inside the listener at RunStarted (the coordinator has
 * built its graph) and at RunFinished (every task holds its result); minus the run's report state
 * (measured on its own), that is the coordinator's heap per task. Needs a big heap:
 * {@code JAVA_OPTS=-Xmx8g}.
 *
 * <pre>bench/run.sh EngineBench [--tasks N] [--shapes chain,fanout,dag] [--journal off,durable]
 *     [--reps R] [--warmup-tasks N] [--heap-tasks N] [--heap-shape dag|chain] [--slots N] [--seed S]
 *     [--csv FILE] [--quick]</pre>
 */
public final class EngineBench {
    private EngineBench() {}

    /** Issue 4's targets, tasks/s on this 2-core machine. */
    static final double TARGET_OFF = 50_000, TARGET_DURABLE = 20_000;

    /** Parsed command line. */
    record Options(int tasks, List<String> shapes, List<String> journals, int reps, int warmupTasks, int heapTasks,
                   String heapShape, int slots, long seed, Path csv, Path dir) {
        static Options parse(String... args) {
            int tasks = 100_000, reps = 1, warmup = -1, heapTasks = 1_000_000, slots = Runtime.getRuntime().availableProcessors();
            List<String> shapes = List.of("chain", "fanout", "dag"), journals = List.of("off", "durable");
            String heapShape = "dag";
            long seed = 42;
            Path csv = null, dir = null;
            boolean quick = false;
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--tasks" -> tasks = count(args[++i]);
                    case "--shapes" -> shapes = List.of(args[++i].split(","));
                    case "--journal" -> journals = List.of(args[++i].split(","));
                    case "--reps" -> reps = Integer.parseInt(args[++i]);
                    case "--warmup-tasks" -> warmup = count(args[++i]);
                    case "--heap-tasks" -> heapTasks = count(args[++i]);
                    case "--heap-shape" -> heapShape = args[++i];
                    case "--slots" -> slots = Integer.parseInt(args[++i]);
                    case "--seed" -> seed = Long.parseLong(args[++i]);
                    case "--csv" -> csv = Path.of(args[++i]);
                    case "--dir" -> dir = Path.of(args[++i]);
                    case "--quick" -> quick = true;
                    default -> throw new IllegalArgumentException("unknown option " + args[i]);
                }
            }
            if (quick) {
                tasks = Math.min(tasks, 2_000);
                heapTasks = Math.min(heapTasks, 20_000);
            }
            for (String s : shapes) if (!List.of("chain", "fanout", "dag").contains(s)) throw new IllegalArgumentException("unknown shape " + s);
            for (String j : journals) if (!List.of("off", "durable", "inmem").contains(j)) throw new IllegalArgumentException("unknown journal " + j);
            if (!List.of("chain", "dag", "fanout").contains(heapShape)) throw new IllegalArgumentException("unknown heap shape " + heapShape);
            if (tasks < 3) throw new IllegalArgumentException("--tasks must be at least 3");
            if (reps < 1) throw new IllegalArgumentException("--reps must be at least 1");
            if (warmup < 0) warmup = Math.min(tasks, 20_000);
            return new Options(tasks, shapes, journals, reps, warmup, heapTasks, heapShape, slots, seed, csv, dir);
        }

        static int count(String s) {
            String t = s.replace("_", "").replace(",", "");
            int mult = 1;
            if (t.endsWith("k")) { mult = 1_000; t = t.substring(0, t.length() - 1); }
            else if (t.endsWith("M")) { mult = 1_000_000; t = t.substring(0, t.length() - 1); }
            return Math.multiplyExact(Integer.parseInt(t), mult);
        }
    }

    /** One measured run. */
    record Row(String shape, String journal, int tasks, String status, double seconds, double tasksPerSecond,
               double validateMs, double p50Ms, double p99Ms, double maxMs, int latencies, double target) {
        String mark() { return tasksPerSecond >= target ? "ok" : "BELOW"; }
    }

    /** The heap figures. */
    record Heap(String shape, int tasks, double specBytesPerTask, double reportBytesPerTask,
                double startBytesPerTask, double endBytesPerTask, double validateSeconds, double runSeconds,
                double gcSeconds, String status) {
        double coordinatorAtStart() { return startBytesPerTask - reportBytesPerTask; }

        double coordinatorAtEnd() { return endBytesPerTask - reportBytesPerTask; }
    }

    public static void main(String[] args) throws Exception {
        Options o;
        try {
            o = Options.parse(args);
        } catch (RuntimeException e) {
            System.err.println("error: " + e.getMessage());
            System.err.println("usage: bench/run.sh EngineBench [--tasks N] [--shapes chain,fanout,dag] [--journal off,durable]"
                    + " [--reps R] [--warmup-tasks N] [--heap-tasks N (0: skip)] [--heap-shape dag|chain] [--slots N]"
                    + " [--seed S] [--csv FILE] [--dir DIR] [--quick]");
            System.exit(2);
            return;
        }
        int bad = run(o, System.out);
        System.exit(bad == 0 ? 0 : 1);
    }

    /** Runs everything {@code o} asks for and prints it; returns the number of runs that did not succeed. */
    static int run(Options o, PrintStream out) throws Exception {
        out.printf(Locale.ROOT, "EngineBench: util.noop workflows on the JVM device (%d slots); %s; max heap %,d MB; load %s%n",
                o.slots(), ManagementFactory.getRuntimeMXBean().getInputArguments(),
                Runtime.getRuntime().maxMemory() >> 20, load());
        List<Row> rows = new ArrayList<>();
        for (String shape : o.shapes()) {
            for (String journal : o.journals()) {
                WorkflowSpec warm = build(shape, o.warmupTasks(), o.seed());
                measure(o, warm, shape, journal, out, "warm-up");
                WorkflowSpec spec = build(shape, o.tasks(), o.seed());
                for (int r = 0; r < o.reps(); r++) rows.add(measure(o, spec, shape, journal, out, "run " + (r + 1)));
            }
        }
        out.println();
        out.printf(Locale.ROOT, "%-7s %-8s %9s %-10s %8s %10s %9s %9s %9s %9s %8s %s%n", "shape", "journal", "tasks",
                "status", "run_s", "tasks/s", "valid_ms", "p50_ms", "p99_ms", "max_ms", "target", "mark");
        for (Row r : rows) {
            out.printf(Locale.ROOT, "%-7s %-8s %9d %-10s %8.2f %10.0f %9.0f %9.3f %9.3f %9.1f %8.0f %s%n", r.shape(),
                    r.journal(), r.tasks(), r.status(), r.seconds(), r.tasksPerSecond(), r.validateMs(), r.p50Ms(),
                    r.p99Ms(), r.maxMs(), r.target(), r.mark());
        }
        Heap heap = null;
        if (o.heapTasks() > 0) {
            heap = heap(o, out);
            out.println();
            out.printf(Locale.ROOT, "heap, %,d-task %s (journal off): spec %.0f B/task; report state %.0f B/task;"
                            + " coordinator %.0f B/task at RunStarted, %.0f B/task at RunFinished (<= 1024: %s)%n",
                    heap.tasks(), heap.shape(), heap.specBytesPerTask(), heap.reportBytesPerTask(),
                    heap.coordinatorAtStart(), heap.coordinatorAtEnd(),
                    Math.max(heap.coordinatorAtStart(), heap.coordinatorAtEnd()) <= 1024 ? "ok" : "BELOW");
            out.printf(Locale.ROOT, "      validate %.2f s; run %s in %.1f s (%.1f s of it the bench's GCs: %.0f tasks/s without them)%n",
                    heap.validateSeconds(), heap.status(), heap.runSeconds(), heap.gcSeconds(),
                    heap.tasks() / Math.max(1e-9, heap.runSeconds() - heap.gcSeconds()));
        }
        out.println("load at end: " + load());
        if (o.csv() != null) writeCsv(o.csv(), rows, heap);
        int bad = 0;
        for (Row r : rows) if (!r.status().equals("succeeded")) bad++;
        if (heap != null && !heap.status().equals("succeeded")) bad++;
        return bad;
    }

    // --- workflows ----------------------------------------------------------------------------

    static String id(int i) {
        return "t" + i;
    }

    private static TaskSpec noop(int i, List<Integer> from, ObjectNode noParams) {
        Map<String, InputBinding> inputs = new LinkedHashMap<>();
        if (!from.isEmpty()) {
            List<OutputRef> refs = new ArrayList<>(from.size());
            for (int f : from) refs.add(new OutputRef(id(f), "out"));
            inputs.put("x", new InputBinding.Many(refs));
        }
        return new TaskSpec(id(i), "util.noop", noParams, inputs, RetryPolicy.NONE, null, Resources.DEFAULT, true);
    }

    /**
     * {@code chain}: t0 → t1 → … ; {@code fanout}: t0 feeds t1..t(n-2), and t(n-1) takes all of them
     * as its list input {@code x}; {@code dag}: every task feeds 1-4 distinct later tasks among the
     * next 1000 (seeded), so out-degree ≤ 4, in declaration (topological) order.
     */
    static WorkflowSpec build(String shape, int n, long seed) {
        ObjectNode noParams = Json.MAPPER.createObjectNode();
        List<TaskSpec> tasks = new ArrayList<>(n);
        switch (shape) {
            case "chain" -> {
                for (int i = 0; i < n; i++) tasks.add(noop(i, i == 0 ? List.of() : List.of(i - 1), noParams));
            }
            case "fanout" -> {
                tasks.add(noop(0, List.of(), noParams));
                for (int i = 1; i < n - 1; i++) tasks.add(noop(i, List.of(0), noParams));
                List<Integer> middles = new ArrayList<>(n - 2);
                for (int i = 1; i < n - 1; i++) middles.add(i);
                tasks.add(noop(n - 1, middles, noParams));
            }
            case "dag" -> {
                List<List<Integer>> inputs = new ArrayList<>(n);
                for (int i = 0; i < n; i++) inputs.add(new ArrayList<>(2));
                SplittableRandom random = new SplittableRandom(seed);
                for (int i = 0; i < n - 1; i++) {
                    int window = Math.min(1000, n - 1 - i);
                    int degree = Math.min(window, 1 + random.nextInt(4));
                    int[] picked = new int[degree];
                    for (int k = 0; k < degree; k++) {
                        int j;
                        boolean dup;
                        do {
                            j = i + 1 + random.nextInt(window);
                            dup = false;
                            for (int q = 0; q < k; q++) dup |= picked[q] == j;
                        } while (dup);
                        picked[k] = j;
                        inputs.get(j).add(i);
                    }
                }
                for (int i = 0; i < n; i++) tasks.add(noop(i, inputs.get(i), noParams));
            }
            default -> throw new IllegalArgumentException("unknown shape " + shape);
        }
        return new WorkflowSpec(shape + "-" + n, seed, Json.MAPPER.createObjectNode(), tasks);
    }

    // --- throughput and dispatch latency -------------------------------------------------------

    /** Stamps TaskQueued and TaskStarted per task (ids are t0..t(n-1)). */
    static final class LatencyProbe implements EventSink {
        final long[] queued;
        final long[] latency;
        int count;

        LatencyProbe(int n) {
            queued = new long[n];
            latency = new long[n];
        }

        @Override
        public void accept(RunEvent event) {
            long now = System.nanoTime();
            if (event instanceof RunEvent.TaskQueued q) {
                queued[index(q.task())] = now;
            } else if (event instanceof RunEvent.TaskStarted s) {
                int i = index(s.task());
                if (queued[i] != 0 && count < latency.length) latency[count++] = now - queued[i];
            }
        }

        static int index(String id) {
            return Integer.parseInt(id, 1, id.length(), 10);
        }

        long[] sorted() {
            long[] l = Arrays.copyOf(latency, count);
            Arrays.sort(l);
            return l;
        }
    }

    static EngineSettings.Journal journal(String j) {
        return switch (j) {
            case "off" -> EngineSettings.Journal.OFF;
            case "durable" -> EngineSettings.Journal.DURABLE;
            case "inmem" -> EngineSettings.Journal.IN_MEMORY;
            default -> throw new IllegalArgumentException(j);
        };
    }

    static Row measure(Options o, WorkflowSpec spec, String shape, String journal, PrintStream out, String label)
            throws Exception {
        int n = spec.tasks().size();
        Path home = home(o);
        try (Engine engine = new Engine(home, BuiltinNodes.catalog(), List.of(Devices.jvmDevice(o.slots())),
                new EngineSettings(Map.of(), journal(journal)))) {
            long v0 = System.nanoTime();
            List<Problem> problems = engine.validate(spec);
            double validateMs = (System.nanoTime() - v0) / 1e6;
            if (!problems.isEmpty()) throw new IllegalStateException("invalid bench workflow: " + problems.get(0).text());
            LatencyProbe probe = new LatencyProbe(n);
            long t0 = System.nanoTime();
            Engine.RunHandle handle = engine.start(spec, new RunOptions("bench", "# EngineBench " + spec.name() + "\n", true, 0),
                    probe);
            RunOutcome outcome = handle.done().get(30, TimeUnit.MINUTES);
            double seconds = (System.nanoTime() - t0) / 1e9;
            String status = outcome.status();
            if (outcome.ok() && outcome.succeeded() + outcome.cached() != n) status = "short:" + outcome.succeeded();
            if (!Files.isRegularFile(handle.dir().resolve("report.json"))
                    || !Files.isRegularFile(handle.dir().resolve("events.jsonl"))) {
                status = "no-files";
            }
            long[] l = probe.sorted();
            Row row = new Row(shape, journal, n, status, seconds, n / seconds, validateMs,
                    l.length == 0 ? Double.NaN : l[l.length / 2] / 1e6,
                    l.length == 0 ? Double.NaN : l[Math.min(l.length - 1, (int) (l.length * 0.99))] / 1e6,
                    l.length == 0 ? Double.NaN : l[l.length - 1] / 1e6, l.length,
                    journal.equals("off") ? TARGET_OFF : TARGET_DURABLE);
            out.printf(Locale.ROOT, "%-7s %-8s %-8s %,9d tasks %-9s in %7.2f s = %,8.0f tasks/s; dispatch p50 %.3f ms p99 %.3f ms"
                            + " (validate %.0f ms)%n",
                    shape, journal, label, n, status, seconds, n / seconds, row.p50Ms(), row.p99Ms(), validateMs);
            return row;
        } finally {
            deleteTree(home);
        }
    }

    // --- heap ------------------------------------------------------------------------------------

    static long usedAfterGc() {
        MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++) {
            System.gc();
            long u = mem.getHeapMemoryUsage().getUsed();
            if (u < used) used = u;
        }
        return used;
    }

    static Heap heap(Options o, PrintStream out) throws Exception {
        int n = o.heapTasks();
        out.printf(Locale.ROOT, "%nheap: %,d-task %s, journal off%n", n, o.heapShape());
        Path home = home(o);
        try (Engine engine = new Engine(home, BuiltinNodes.catalog(), List.of(Devices.jvmDevice(o.slots())),
                new EngineSettings(Map.of(), EngineSettings.Journal.OFF))) {
            // The report state the run keeps (RunFiles' RunReport), measured on its own to subtract it.
            List<String> ids = new ArrayList<>(n);
            for (int i = 0; i < n; i++) ids.add(id(i));
            long r0 = usedAfterGc();
            RunReport report = new RunReport(ids);
            long r1 = usedAfterGc();
            double reportPerTask = (r1 - r0) / (double) n;
            report.report(); // keep it alive until measured
            report = null;
            ids = null;

            long base = usedAfterGc();
            WorkflowSpec spec = build(o.heapShape(), n, o.seed());
            long withSpec = usedAfterGc();
            double specPerTask = (withSpec - base) / (double) n;
            out.printf(Locale.ROOT, "  spec built: %,.0f MB (%.0f B/task); report state alone %.0f B/task%n",
                    (withSpec - base) / 1e6, specPerTask, reportPerTask);
            long v0 = System.nanoTime();
            List<Problem> problems = engine.validate(spec);
            double validateS = (System.nanoTime() - v0) / 1e9;
            if (!problems.isEmpty()) throw new IllegalStateException("invalid bench workflow: " + problems.get(0).text());
            out.printf(Locale.ROOT, "  validated in %.2f s%n", validateS);
            long[] atStart = {-1}, atEnd = {-1}, gcNanos = {0};
            EventSink listener = e -> {
                if (e instanceof RunEvent.RunStarted || e instanceof RunEvent.RunFinished) {
                    long g0 = System.nanoTime();
                    long used = usedAfterGc();
                    gcNanos[0] += System.nanoTime() - g0;
                    if (e instanceof RunEvent.RunStarted) atStart[0] = used; else atEnd[0] = used;
                }
            };
            long t0 = System.nanoTime();
            Engine.RunHandle handle = engine.start(spec, new RunOptions("heap", "# EngineBench heap\n", true, 0), listener);
            RunOutcome outcome = handle.done().get(120, TimeUnit.MINUTES);
            double runS = (System.nanoTime() - t0) / 1e9;
            Heap h = new Heap(o.heapShape(), n, specPerTask, reportPerTask, (atStart[0] - withSpec) / (double) n,
                    (atEnd[0] - withSpec) / (double) n, validateS, runS, gcNanos[0] / 1e9, outcome.status());
            out.printf(Locale.ROOT, "  run heap above the spec: %.0f B/task at RunStarted, %.0f B/task at RunFinished"
                    + " (both include the report state)%n", h.startBytesPerTask(), h.endBytesPerTask());
            spec.tasks(); // the spec stays reachable through the measurements
            return h;
        } finally {
            deleteTree(home);
        }
    }

    // --- plumbing ------------------------------------------------------------------------------

    private static Path home(Options o) throws IOException {
        if (o.dir() == null) return Files.createTempDirectory("mtflow-engine-bench-");
        Files.createDirectories(o.dir());
        return Files.createTempDirectory(o.dir(), "home-");
    }

    private static String load() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "?";
        }
    }

    static void writeCsv(Path csv, List<Row> rows, Heap heap) throws IOException {
        if (csv.toAbsolutePath().getParent() != null) Files.createDirectories(csv.toAbsolutePath().getParent());
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(csv))) {
            w.println("kind,shape,journal,tasks,status,run_s,tasks_per_s,validate_ms,p50_ms,p99_ms,max_ms,target,mark,"
                    + "spec_bytes_per_task,report_bytes_per_task,coordinator_bytes_per_task_start,"
                    + "coordinator_bytes_per_task_end,bench_gc_s");
            for (Row r : rows) {
                w.printf(Locale.ROOT, "throughput,%s,%s,%d,%s,%.3f,%.0f,%.1f,%.4f,%.4f,%.3f,%.0f,%s,,,,,%n", r.shape(),
                        r.journal(), r.tasks(), r.status(), r.seconds(), r.tasksPerSecond(), r.validateMs(), r.p50Ms(),
                        r.p99Ms(), r.maxMs(), r.target(), r.mark());
            }
            if (heap != null) {
                w.printf(Locale.ROOT, "heap,%s,off,%d,%s,%.3f,%.0f,%.1f,,,,1024,%s,%.0f,%.0f,%.0f,%.0f,%.3f%n", heap.shape(),
                        heap.tasks(), heap.status(), heap.runSeconds(),
                        heap.tasks() / Math.max(1e-9, heap.runSeconds() - heap.gcSeconds()), heap.validateSeconds() * 1e3,
                        Math.max(heap.coordinatorAtStart(), heap.coordinatorAtEnd()) <= 1024 ? "ok" : "BELOW",
                        heap.specBytesPerTask(), heap.reportBytesPerTask(), heap.coordinatorAtStart(),
                        heap.coordinatorAtEnd(), heap.gcSeconds());
            }
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (dir == null || !Files.exists(dir)) return;
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
