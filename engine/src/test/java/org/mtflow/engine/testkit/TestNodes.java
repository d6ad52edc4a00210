package org.mtflow.engine.testkit;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.mtflow.engine.event.Json;
import org.mtflow.engine.node.Doc;
import org.mtflow.engine.node.NoParams;
import org.mtflow.engine.node.NodeCatalog;
import org.mtflow.engine.node.NodeException;
import org.mtflow.engine.node.NodeType;
import org.mtflow.engine.node.Port;
import org.mtflow.engine.node.Required;
import org.mtflow.engine.node.Subtask;
import org.mtflow.engine.node.TaskCancelledException;
import org.mtflow.engine.node.TaskContext;
import org.mtflow.kernels.random.Philox;

/**
 * Node types for engine tests. Each counts its invocations in a static counter ({@link #reset()}
 * before each test), so a test can tell a cached task (not invoked) from one that ran.
 */
public final class TestNodes {
    private TestNodes() {}

    public static NodeCatalog catalog() {
        return new NodeCatalog(List.of(new Source(), new Scale(), new Sum(), new Flaky(), new Fail(), new Sleep(),
                new Spin(), new Probe(), new Forgetful(), new Rogue(), new FanOut(), new DeviceFail(), new Toggle(), new Trivial(),
                new Gate(), new Metrics(), new Checkpointed(), new Tolerant()));
    }

    public static void reset() {
        Source.INVOCATIONS.set(0);
        Scale.INVOCATIONS.set(0);
        Sum.INVOCATIONS.set(0);
        Flaky.INVOCATIONS.set(0);
        Fail.INVOCATIONS.set(0);
        Sleep.INVOCATIONS.set(0);
        Sleep.INTERRUPTED.set(0);
        Spin.INVOCATIONS.set(0);
        Spin.STOPPED.set(0);
        Probe.INVOCATIONS.set(0);
        Probe.reset();
        FanOut.INVOCATIONS.set(0);
        FanOut.FAIL_AFTER_CHILDREN.set(false);
        DeviceFail.INVOCATIONS.set(0);
        Toggle.INVOCATIONS.set(0);
        Toggle.BROKEN.set(false);
        Trivial.THREADS.clear();
        Metrics.RAN.clear();
        Checkpointed.DIRS.clear();
        Gate.INVOCATIONS.set(0);
        Gate.INTERRUPTED.set(0);
        Gate.OPEN.countDown(); // frees an attempt a test left waiting
        Gate.OPEN = new CountDownLatch(1);
    }

    /** The output every single-output helper node writes: its task id, so distinct tasks differ. */
    static final Port OUT = Port.one("out", "a small marker artifact");

    private static void writeMarker(TaskContext<?> ctx) throws java.io.IOException {
        byte[] marker = ("out of " + ctx.taskId()).getBytes(StandardCharsets.UTF_8);
        ctx.output("out", o -> o.write(marker));
    }

    /**
     * Counts its attempts in a file of its checkpoint directory and fails (transiently) until the
     * count reaches {@code attempts}; its output is the count, so it shows what survived the failures.
     */
    public static final class Checkpointed implements NodeType<Checkpointed.Params> {
        /** The checkpoint directory each attempt saw, in order. */
        public static final List<Path> DIRS = java.util.Collections.synchronizedList(new ArrayList<>());

        public record Params(@Required @Doc("the attempt that succeeds") Integer attempts) {}

        @Override public String name() { return "test.checkpointed"; }
        @Override public String description() { return "counts attempts in its checkpoint directory"; }
        @Override public Class<Params> paramsType() { return Params.class; }
        @Override public List<Port> inputs() { return List.of(); }
        @Override public List<Port> outputs() { return List.of(OUT); }

        @Override
        public void run(TaskContext<Params> ctx) throws Exception {
            Path dir = ctx.checkpointDir();
            DIRS.add(dir);
            Path count = dir.resolve("count");
            int n = java.nio.file.Files.exists(count) ? Integer.parseInt(java.nio.file.Files.readString(count)) + 1 : 1;
            java.nio.file.Files.writeString(count, Integer.toString(n));
            if (n < ctx.params().attempts()) throw NodeException.transientError("checkpointed " + n);
            byte[] out = ("count " + n).getBytes(StandardCharsets.UTF_8);
            ctx.output("out", o -> o.write(out));
        }
    }

    /** {@code n} uniform floats in [low, high) from Philox, keyed by the run seed and the task id. */
    public static final class Source implements NodeType<Source.Params> {
        public static final AtomicInteger INVOCATIONS = new AtomicInteger();

        public record Params(@Required @Doc("how many floats") Integer n, Double low, Double high) {
            public Params {
                if (n != null && n < 0) throw new IllegalArgumentException("n must be >= 0, got " + n);
                if (low == null) low = -1.0;
                if (high == null) high = 1.0;
            }
        }

        /** What a source task writes, computed here without the engine: the test's reference. */
        public static float[] expected(long seed, String taskId, int n, float low, float high) {
            float[] out = new float[n];
            Philox.fillUniform(out, seed, Philox.stream("task", taskId, "values"), 0, low, high);
            return out;
        }

        @Override public String name() { return "test.source"; }
        @Override public String description() { return "seeded random floats"; }
        @Override public Class<Params> paramsType() { return Params.class; }
        @Override public List<Port> inputs() { return List.of(); }
        @Override public List<Port> outputs() { return List.of(Port.one("values", "float32 little-endian")); }

        @Override
        public void run(TaskContext<Params> ctx) throws Exception {
            INVOCATIONS.incrementAndGet();
            Params p = ctx.params();
            float[] v = new float[p.n()];
            Philox.fillUniform(v, ctx.seed(), ctx.stream("values"), 0, p.low().floatValue(), p.high().floatValue());
            ctx.output("values", out -> Floats.write(out, v));
            ctx.metric("count", p.n());
            ctx.metric("device", ctx.device().id());
            ctx.progress(1.0, "drew " + p.n() + " floats");
        }
    }

    /** y = (float) (x · factor). */
    public static final class Scale implements NodeType<Scale.Params> {
        public static final AtomicInteger INVOCATIONS = new AtomicInteger();

        public record Params(@Required Double factor) {}

        @Override public String name() { return "test.scale"; }
        @Override public String description() { return "multiplies by a factor"; }
        @Override public Class<Params> paramsType() { return Params.class; }
        @Override public List<Port> inputs() { return List.of(Port.one("x", "float32")); }
        @Override public List<Port> outputs() { return List.of(Port.one("y", "float32")); }

        @Override
        public void run(TaskContext<Params> ctx) throws Exception {
            INVOCATIONS.incrementAndGet();
            float[] x = Floats.read(ctx.input("x"));
            float[] y = new float[x.length];
            for (int i = 0; i < x.length; i++) y[i] = (float) (x[i] * ctx.params().factor());
            ctx.output("y", out -> Floats.write(out, y));
        }
    }

    /** The float64 sum of every element of every input, in input order. */
    public static final class Sum implements NodeType<NoParams> {
        public static final AtomicInteger INVOCATIONS = new AtomicInteger();

        @Override public String name() { return "test.sum"; }
        @Override public String description() { return "sums float32 artifacts in float64"; }
        @Override public Class<NoParams> paramsType() { return NoParams.class; }
        @Override public List<Port> inputs() { return List.of(Port.many("values", "float32 artifacts")); }
        @Override public List<Port> outputs() { return List.of(Port.one("sum", "one float64")); }

        @Override
        public void run(TaskContext<NoParams> ctx) throws Exception {
            INVOCATIONS.incrementAndGet();
            double sum = 0;
            for (Path p : ctx.inputs("values")) {
                for (float f : Floats.read(p)) sum += f;
            }
            double total = sum;
            ctx.output("sum", out -> Floats.writeDouble(out, total));
            ctx.metric("sum", total);
        }
    }

    /** Fails its first {@code failures} attempts (a transient NodeException, or a RuntimeException). */
    public static final class Flaky implements NodeType<Flaky.Params> {
        public static final AtomicInteger INVOCATIONS = new AtomicInteger();

        public record Params(Integer failures, Boolean crash, Boolean badFile) {
            public Params {
                if (failures == null) failures = 0;
                if (crash == null) crash = false;
                if (badFile == null) badFile = false;
            }
        }

        @Override public String name() { return "test.flaky"; }
        @Override public String description() { return "fails its first N attempts"; }
        @Override public Class<Params> paramsType() { return Params.class; }
        @Override public List<Port> inputs() { return List.of(Port.optionalMany("x", "ignored")); }
        @Override public List<Port> outputs() { return List.of(OUT); }

        @Override
        public void run(TaskContext<Params> ctx) throws Exception {
            INVOCATIONS.incrementAndGet();
            if (ctx.attempt() <= ctx.params().failures()) {
                if (ctx.params().crash()) throw new IllegalStateException("crash " + ctx.attempt());
                if (ctx.params().badFile()) {
                    throw new org.mtflow.kernels.format.FormatException(java.nio.file.Path.of("in.idx"), "truncated");
                }
                throw NodeException.transientError("planned failure " + ctx.attempt());
            }
            writeMarker(ctx);
        }
    }

    /** Always fails with a permanent error. */
    public static final class Fail implements NodeType<NoParams> {
        public static final AtomicInteger INVOCATIONS = new AtomicInteger();

        @Override public String name() { return "test.fail"; }
        @Override public String description() { return "fails for good"; }
        @Override public Class<NoParams> paramsType() { return NoParams.class; }
        @Override public List<Port> inputs() { return List.of(Port.optionalMany("x", "ignored")); }
        @Override public List<Port> outputs() { return List.of(OUT); }

        @Override
        public void run(TaskContext<NoParams> ctx) throws Exception {
            INVOCATIONS.incrementAndGet();
            throw NodeException.permanent("broken on purpose");
        }
    }

    /** Spawns a {@code test.fail} subtask, sees it fail, and succeeds anyway (as a search does with a failed candidate). */
    public static final class Tolerant implements NodeType<NoParams> {
        @Override public String name() { return "test.tolerant"; }
        @Override public String description() { return "succeeds whatever its subtask does"; }
        @Override public Class<NoParams> paramsType() { return NoParams.class; }
        @Override public List<Port> inputs() { return List.of(); }
        @Override public List<Port> outputs() { return List.of(OUT); }

        @Override
        public void run(TaskContext<NoParams> ctx) throws Exception {
            Subtask bad = ctx.spawn("bad", "test.fail", Json.MAPPER.createObjectNode(), Map.of());
            boolean failed = !ctx.await(List.of(bad)).get(0).succeeded();
            ctx.output("out", o -> o.write(failed ? 1 : 0));
        }
    }

    /** Sleeps (interruptibly) on attempts up to {@code until-attempt} (default: every attempt). */
    public static final class Sleep implements NodeType<Sleep.Params> {
        public static final AtomicInteger INVOCATIONS = new AtomicInteger();
        public static final AtomicInteger INTERRUPTED = new AtomicInteger();

        public record Params(@Required Long millis, Integer untilAttempt) {
            public Params {
                if (untilAttempt == null) untilAttempt = Integer.MAX_VALUE;
            }
        }

        @Override public String name() { return "test.sleep"; }
        @Override public String description() { return "sleeps"; }
        @Override public Class<Params> paramsType() { return Params.class; }
        @Override public List<Port> inputs() { return List.of(Port.optionalMany("x", "ignored")); }
        @Override public List<Port> outputs() { return List.of(OUT); }

        @Override
        public void run(TaskContext<Params> ctx) throws Exception {
            INVOCATIONS.incrementAndGet();
            if (ctx.attempt() <= ctx.params().untilAttempt()) {
                try {
                    Thread.sleep(ctx.params().millis());
                } catch (InterruptedException e) {
                    INTERRUPTED.incrementAndGet();
                    throw e;
                }
            }
            writeMarker(ctx);
        }
    }

    /** Never ends by itself: polls {@link TaskContext#checkCancelled()} until the engine cancels it. */
    public static final class Spin implements NodeType<NoParams> {
        public static final AtomicInteger INVOCATIONS = new AtomicInteger();
        public static final AtomicInteger STOPPED = new AtomicInteger();

        @Override public String name() { return "test.spin"; }
        @Override public String description() { return "waits for cancellation"; }
        @Override public Class<NoParams> paramsType() { return NoParams.class; }
        @Override public List<Port> inputs() { return List.of(); }
        @Override public List<Port> outputs() { return List.of(OUT); }

        @Override
        public void run(TaskContext<NoParams> ctx) throws Exception {
            INVOCATIONS.incrementAndGet();
            try {
                while (true) {
                    ctx.checkCancelled();
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2)); // does not throw on interrupt
                }
            } catch (TaskCancelledException e) {
                STOPPED.incrementAndGet();
                throw e;
            }
        }
    }

    /**
     * Waits until the test opens {@link #OPEN}, or its attempt is cancelled (interrupted): a task that
     * runs exactly as long as a test needs it to. Closed after {@link #reset()}.
     */
    public static final class Gate implements NodeType<NoParams> {
        public static final AtomicInteger INVOCATIONS = new AtomicInteger();
        public static final AtomicInteger INTERRUPTED = new AtomicInteger();
        public static volatile CountDownLatch OPEN = new CountDownLatch(1);

        @Override public String name() { return "test.gate"; }
        @Override public String description() { return "waits until the test opens it"; }
        @Override public Class<NoParams> paramsType() { return NoParams.class; }
        @Override public List<Port> inputs() { return List.of(Port.optionalMany("x", "ignored")); }
        @Override public List<Port> outputs() { return List.of(OUT); }

        @Override
        public void run(TaskContext<NoParams> ctx) throws Exception {
            INVOCATIONS.incrementAndGet();
            try {
                OPEN.await();
            } catch (InterruptedException e) {
                INTERRUPTED.incrementAndGet();
                throw e;
            }
            writeMarker(ctx);
        }
    }

    /** Sleeps {@code millis} while recording how many attempts run at once, overall and per device. */
    public static final class Probe implements NodeType<Probe.Params> {
        public static final AtomicInteger INVOCATIONS = new AtomicInteger();
        private static final AtomicInteger RUNNING = new AtomicInteger();
        private static final AtomicInteger MAX_RUNNING = new AtomicInteger();
        private static final Map<String, AtomicInteger> RUNNING_ON = new ConcurrentHashMap<>();
        private static final Map<String, AtomicInteger> MAX_RUNNING_ON = new ConcurrentHashMap<>();
        private static final List<String> DEVICES = java.util.Collections.synchronizedList(new ArrayList<>());

        public record Params(@Required Long millis) {}

        static void reset() {
            RUNNING.set(0);
            MAX_RUNNING.set(0);
            RUNNING_ON.clear();
            MAX_RUNNING_ON.clear();
            DEVICES.clear();
        }

        public static int maxRunning() { return MAX_RUNNING.get(); }

        public static Map<String, Integer> maxRunningPerDevice() {
            Map<String, Integer> out = new java.util.TreeMap<>();
            MAX_RUNNING_ON.forEach((k, v) -> out.put(k, v.get()));
            return out;
        }

        /** The device of each invocation, in start order. */
        public static List<String> devices() {
            synchronized (DEVICES) {
                return List.copyOf(DEVICES);
            }
        }

        @Override public String name() { return "test.probe"; }
        @Override public String description() { return "measures concurrency"; }
        @Override public Class<Params> paramsType() { return Params.class; }
        @Override public List<Port> inputs() { return List.of(Port.optionalMany("x", "ignored")); }
        @Override public List<Port> outputs() { return List.of(OUT); }

        @Override
        public void run(TaskContext<Params> ctx) throws Exception {
            INVOCATIONS.incrementAndGet();
            String device = ctx.device().id();
            DEVICES.add(device);
            AtomicInteger on = RUNNING_ON.computeIfAbsent(device, k -> new AtomicInteger());
            AtomicInteger maxOn = MAX_RUNNING_ON.computeIfAbsent(device, k -> new AtomicInteger());
            MAX_RUNNING.accumulateAndGet(RUNNING.incrementAndGet(), Math::max);
            maxOn.accumulateAndGet(on.incrementAndGet(), Math::max);
            try {
                Thread.sleep(ctx.params().millis());
            } finally {
                on.decrementAndGet();
                RUNNING.decrementAndGet();
            }
            ctx.metric("device", device);
            writeMarker(ctx);
        }
    }

    /** Returns without writing its declared output. */
    public static final class Forgetful implements NodeType<NoParams> {
        @Override public String name() { return "test.forgetful"; }
        @Override public String description() { return "forgets its output"; }
        @Override public Class<NoParams> paramsType() { return NoParams.class; }
        @Override public List<Port> inputs() { return List.of(); }
        @Override public List<Port> outputs() { return List.of(OUT); }
        @Override public void run(TaskContext<NoParams> ctx) {}
    }

    /** Writes an output it did not declare. */
    public static final class Rogue implements NodeType<NoParams> {
        @Override public String name() { return "test.rogue"; }
        @Override public String description() { return "writes an undeclared output"; }
        @Override public Class<NoParams> paramsType() { return NoParams.class; }
        @Override public List<Port> inputs() { return List.of(); }
        @Override public List<Port> outputs() { return List.of(OUT); }

        @Override
        public void run(TaskContext<NoParams> ctx) throws Exception {
            ctx.output("other", o -> o.write(1));
        }
    }

    /**
     * Spawns {@code children} subtasks and sums what they produce: {@code test.source} subtasks
     * {@code c0..} drawing {@code n + i} floats, or, with {@code depth > 1}, nested {@code test.fanout}s.
     */
    public static final class FanOut implements NodeType<FanOut.Params> {
        public static final AtomicInteger INVOCATIONS = new AtomicInteger();
        /** When set, the next invocation fails for good after its subtasks ended (a crash stand-in). */
        public static final java.util.concurrent.atomic.AtomicBoolean FAIL_AFTER_CHILDREN =
                new java.util.concurrent.atomic.AtomicBoolean();

        public record Params(@Required Integer children, @Required Integer n, Integer depth) {
            public Params {
                if (depth == null) depth = 1;
            }
        }

        @Override public String name() { return "test.fanout"; }
        @Override public String description() { return "spawns subtasks and sums their outputs"; }
        @Override public Class<Params> paramsType() { return Params.class; }
        @Override public List<Port> inputs() { return List.of(); }
        @Override public List<Port> outputs() { return List.of(Port.one("sum", "one float64")); }

        @Override
        public void run(TaskContext<Params> ctx) throws Exception {
            INVOCATIONS.incrementAndGet();
            Params p = ctx.params();
            List<org.mtflow.engine.node.Subtask> subs = new ArrayList<>();
            for (int i = 0; i < p.children(); i++) {
                com.fasterxml.jackson.databind.node.ObjectNode params = org.mtflow.engine.event.Json.MAPPER.createObjectNode();
                if (p.depth() > 1) {
                    params.put("children", p.children()).put("n", p.n()).put("depth", p.depth() - 1);
                    subs.add(ctx.spawn("c" + i, "test.fanout", params, Map.of()));
                } else {
                    params.put("n", p.n() + i);
                    subs.add(ctx.spawn("c" + i, "test.source", params, Map.of()));
                }
            }
            double sum = 0;
            for (org.mtflow.engine.node.SubtaskResult r : ctx.await(subs)) {
                if (p.depth() > 1) {
                    sum += Floats.readDouble(ctx.artifact(r.output("sum")));
                } else {
                    for (float f : Floats.read(ctx.artifact(r.output("values")))) sum += f;
                }
            }
            if (FAIL_AFTER_CHILDREN.getAndSet(false)) throw NodeException.permanent("failing after the subtasks, on purpose");
            double total = sum;
            ctx.output("sum", out -> Floats.writeDouble(out, total));
        }
    }

    /** Fails with a device error on the device named {@code broken}; elsewhere writes its marker. */
    public static final class DeviceFail implements NodeType<DeviceFail.Params> {
        public static final AtomicInteger INVOCATIONS = new AtomicInteger();

        public record Params(@Required String broken) {}

        @Override public String name() { return "test.device-fail"; }
        @Override public String description() { return "a kernel that fails on one device"; }
        @Override public Class<Params> paramsType() { return Params.class; }
        @Override public List<Port> inputs() { return List.of(Port.optionalMany("x", "ignored")); }
        @Override public List<Port> outputs() { return List.of(OUT); }

        @Override
        public void run(TaskContext<Params> ctx) throws Exception {
            INVOCATIONS.incrementAndGet();
            if (ctx.device().id().equals(ctx.params().broken())) {
                throw new NodeException(org.mtflow.engine.spec.ErrorClass.DEVICE, "CL_OUT_OF_RESOURCES on " + ctx.device().id());
            }
            writeMarker(ctx);
        }
    }

    /** Fails for good while {@link #BROKEN} is set: a bug a user fixes before resuming the run. */
    public static final class Toggle implements NodeType<NoParams> {
        public static final AtomicInteger INVOCATIONS = new AtomicInteger();
        public static final java.util.concurrent.atomic.AtomicBoolean BROKEN = new java.util.concurrent.atomic.AtomicBoolean();

        @Override public String name() { return "test.toggle"; }
        @Override public String description() { return "fails while broken"; }
        @Override public Class<NoParams> paramsType() { return NoParams.class; }
        @Override public List<Port> inputs() { return List.of(Port.optionalMany("x", "ignored")); }
        @Override public List<Port> outputs() { return List.of(OUT); }

        @Override
        public void run(TaskContext<NoParams> ctx) throws Exception {
            INVOCATIONS.incrementAndGet();
            if (BROKEN.get()) throw NodeException.permanent("broken until fixed");
            writeMarker(ctx);
        }
    }

    /** Reports its params {@code score} and {@code label} as metrics (those given), for {@code when:} conditions. */
    public static final class Metrics implements NodeType<Metrics.Params> {
        /** The ids of the tasks that ran it, in the order they ran. */
        public static final List<String> RAN = new java.util.concurrent.CopyOnWriteArrayList<>();

        public record Params(Double score, String label) {}

        @Override public String name() { return "test.metrics"; }
        @Override public String description() { return "reports its params as metrics"; }
        @Override public Class<Params> paramsType() { return Params.class; }
        @Override public List<Port> inputs() { return List.of(Port.optionalMany("x", "ignored")); }
        @Override public List<Port> outputs() { return List.of(OUT); }

        @Override
        public void run(TaskContext<Params> ctx) throws Exception {
            RAN.add(ctx.taskId());
            if (ctx.params().score() != null) ctx.metric("score", ctx.params().score());
            if (ctx.params().label() != null) ctx.metric("label", ctx.params().label());
            writeMarker(ctx);
        }
    }

    /** A trivial node type (run on the worker's own thread when its inputs are small): records where it ran. */
    public static final class Trivial implements NodeType<NoParams> {
        /** Task id → the name of the thread that ran it. */
        public static final Map<String, String> THREADS = new ConcurrentHashMap<>();

        @Override public String name() { return "test.trivial"; }
        @Override public String description() { return "writes a marker; trivial"; }
        @Override public boolean trivial() { return true; }
        @Override public Class<NoParams> paramsType() { return NoParams.class; }
        @Override public List<Port> inputs() { return List.of(Port.optionalMany("x", "anything")); }
        @Override public List<Port> outputs() { return List.of(OUT); }

        @Override
        public void run(TaskContext<NoParams> ctx) throws Exception {
            THREADS.put(ctx.taskId(), Thread.currentThread().getName());
            writeMarker(ctx);
        }
    }
}
