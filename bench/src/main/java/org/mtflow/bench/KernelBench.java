package org.mtflow.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import org.mtflow.bench.KernelCase.Kind;
import org.mtflow.bench.KernelCase.Prepared;
import org.mtflow.bench.KernelResult.Status;
import org.mtflow.devices.Device;
import org.mtflow.devices.DeviceKind;
import org.mtflow.devices.Devices;
import org.mtflow.kernels.TensorOps;
import org.mtflow.kernels.aparapi.AparapiOps;

/**
 * The kernel figures of issue 3 ("Speed"), for every device here and every op of the list in
 * {@link KernelCases}: per op and size, the best and median time of the timed calls after warm-up,
 * GFLOP/s (matmul, softmax cross-entropy, GELU), GB/s under a stated bytes model with its ratio to a
 * {@link System#arraycopy} of the same bytes timed in the same rounds as the op, G elements/s for
 * the top-k threshold and the random ops, and "ok"/"BELOW" against the targets.
 *
 * <p>An op a backend does not implement yet (UnsupportedOperationException) prints "n/a" and the
 * run goes on. Each op's first call is spot-checked against a scalar reference: a wrong result is
 * marked WRONG rather than reported as a speed. See bench/README.md.
 *
 * <pre>bench/run.sh KernelBench [--ops matmul,axpy] [--sizes 1024] [--device jvm] [--reps 10] [--quick] [--csv FILE]</pre>
 */
public final class KernelBench {
    private KernelBench() {}

    public static void main(String[] args) {
        KernelBenchOptions options;
        try {
            options = KernelBenchOptions.parse(args);
            if (options.help()) {
                System.out.print(KernelBenchOptions.USAGE);
                return;
            }
            if (options.list()) {
                for (KernelCase c : KernelCases.all()) {
                    System.out.printf(Locale.ROOT, "%-19s %-7s %-7s %s%n", c.op(), c.variant(), c.kind(), c.model());
                }
                return;
            }
            checkSelectors(options);
        } catch (IllegalArgumentException e) {
            System.err.println("KernelBench: " + e.getMessage());
            System.err.print(KernelBenchOptions.USAGE);
            System.exit(2);
            return;
        }
        List<KernelResult> results;
        try {
            results = run(options, selectDevices(options), System.out);
        } catch (IllegalArgumentException e) {
            System.err.println("KernelBench: " + e.getMessage());
            System.exit(2);
            return;
        }
        boolean bad = results.stream().anyMatch(r -> r.status() == Status.FAILED || r.status() == Status.WRONG);
        System.exit(bad ? 1 : 0);
    }

    /** Every --ops selector must name something, so a typo is not a silently empty run. */
    static void checkSelectors(KernelBenchOptions o) {
        List<KernelCase> all = KernelCases.all();
        for (String s : o.ops()) {
            KernelBenchOptions one = new KernelBenchOptions(List.of(s), o.sizes(), o.elems(), o.topkElems(),
                    o.devices(), o.plan(), o.quick(), null, false, false);
            if (all.stream().noneMatch(c -> one.selects(c.op(), c.variant()))) {
                String names = all.stream().map(c -> c.op() + (c.variant().equals("-") ? "" : ":" + c.variant()))
                        .collect(Collectors.joining(", "));
                throw new IllegalArgumentException("--ops: no op '" + s + "'; ops: " + names);
            }
        }
    }

    /** The devices the options name (all by default); OpenCL is not even probed for {@code --device jvm}. */
    static List<Device> selectDevices(KernelBenchOptions o) {
        boolean openCl = o.devices().isEmpty() || o.devices().stream().anyMatch(id -> !id.equals("jvm"));
        List<Device> all = Devices.discover(openCl);
        if (o.devices().isEmpty()) return all;
        List<Device> chosen = new ArrayList<>();
        for (String id : o.devices()) {
            Device d = all.stream().filter(x -> x.id().equals(id)).findFirst().orElseThrow(() ->
                    new IllegalArgumentException("--device: no device '" + id + "' here; devices: "
                            + all.stream().map(Device::id).collect(Collectors.joining(", "))
                            + openClProblem()));
            if (!chosen.contains(d)) chosen.add(d);
        }
        return chosen;
    }

    private static String openClProblem() {
        String problem = Devices.probeOpenCl().problem();
        return problem == null ? "" : " (" + problem + ")";
    }

    /** Runs the bench on the given devices, printing the table to {@code out} as rows finish. */
    static List<KernelResult> run(KernelBenchOptions o, List<Device> devices, PrintStream out) {
        List<KernelResult> results = new ArrayList<>();
        PrintWriter csv = openCsv(o);
        try {
            preamble(o, out);
            out.println(KernelResult.header());
            for (Device d : devices) {
                TensorOps ops = null;
                Throwable opsFailure = null;
                try {
                    ops = d.ops();
                    // The engine's CPU-device backend runs matmul on the host (AparapiOps.forDevice):
                    // measure the OpenCL kernels themselves here.
                    if (ops instanceof AparapiOps cl) {
                        ops.close();
                        ops = new AparapiOps(cl.device());
                    }
                } catch (RuntimeException | LinkageError e) {
                    opsFailure = e;
                }
                String backend = ops == null ? "backend failed to start: " + opsFailure : ops.name();
                String name = backend.contains(d.info().name()) ? "" : d.info().name() + ", ";
                out.printf(Locale.ROOT, "# %s: %s (%s%s, %d compute units)%n", d.id(), backend, name, d.kind(),
                        d.info().computeUnits());
                for (KernelCase c : KernelCases.all()) {
                    if (!o.selects(c.op(), c.variant())) continue;
                    for (int size : KernelCases.sizesOf(c, o)) {
                        KernelResult r = ops == null
                                ? failed(d, "?", c, c.label().apply(size), opsFailure)
                                : runOne(d, ops, c, size, o);
                        results.add(r);
                        out.println(r.tableRow());
                        out.flush();
                        if (csv != null) {
                            csv.println(r.csvRow());
                            csv.flush();
                        }
                    }
                }
                d.close();
            }
            out.println(load("end"));
            out.println(summary(results));
        } finally {
            if (csv != null) csv.close();
        }
        return results;
    }

    private static PrintWriter openCsv(KernelBenchOptions o) {
        if (o.csv() == null) return null;
        try {
            if (o.csv().toAbsolutePath().getParent() != null) Files.createDirectories(o.csv().toAbsolutePath().getParent());
            PrintWriter w = new PrintWriter(Files.newBufferedWriter(o.csv(), StandardCharsets.UTF_8));
            w.println(KernelResult.csvHeader());
            return w;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + o.csv(), e);
        }
    }

    private static void preamble(KernelBenchOptions o, PrintStream out) {
        Timing.Plan p = o.plan();
        out.printf(Locale.ROOT, "# KernelBench%s: best and median of up to %d timed calls per row (a row stops after %.1f s"
                + " of timed calls), after >= %d calls and >= %.1f s of warm-up (capped at %.1f s); "
                + "figures from the best call%n", o.quick() ? " --quick (smoke test sizes, not figures)" : "",
                p.reps(), p.maxSeconds(), p.minWarmups(), p.warmupSeconds(), p.warmupCapSeconds());
        out.println("# GB/s = the op's bytes model (reads + writes) / time; copy_GB/s = System.arraycopy of the same"
                + " bytes (read + write), timed in the same rounds as the op (copy, copy, op, ...), the faster of"
                + " one call on one thread and one call per core on slices; vs_copy = GB/s / copy_GB/s");
        out.printf(Locale.ROOT, "# Java %s (%s), %d cores, max heap %.1f GiB, JVM flags: %s%s%n",
                Runtime.version(), System.getProperty("java.vm.name"), Runtime.getRuntime().availableProcessors(),
                Runtime.getRuntime().maxMemory() / (double) (1L << 30),
                String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments()),
                System.getenv("POCL_EXTRA_BUILD_FLAGS") == null ? ""
                        : ", POCL_EXTRA_BUILD_FLAGS=" + System.getenv("POCL_EXTRA_BUILD_FLAGS"));
        out.println(load("start"));
    }

    /** The 1-minute load average: above the core count, other processes took cores from these figures. */
    private static String load(String when) {
        double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        int cores = Runtime.getRuntime().availableProcessors();
        return String.format(Locale.ROOT, "# load average at %s: %.2f on %d cores%s", when, load, cores,
                load > cores ? " (other processes compete for the cores: figures may be low)" : "");
    }

    private static String summary(List<KernelResult> results) {
        long ok = results.stream().filter(r -> r.mark().equals("ok")).count();
        long below = results.stream().filter(r -> r.mark().equals("BELOW")).count();
        long untargeted = results.stream().filter(r -> r.status() == Status.MEASURED && r.mark().equals("-")).count();
        long fallback = results.stream().filter(r -> r.mark().equals("FALLBACK")).count();
        long unsupported = results.stream().filter(r -> r.status() == Status.UNSUPPORTED).count();
        long failed = results.stream().filter(r -> r.status() == Status.FAILED).count();
        long wrong = results.stream().filter(r -> r.status() == Status.WRONG).count();
        return String.format(Locale.ROOT, "# %d rows: %d ok, %d BELOW target, %d without a target, %d FALLBACK,"
                + " %d n/a unsupported, %d n/a failed, %d WRONG", results.size(), ok, below, untargeted, fallback,
                unsupported, failed, wrong);
    }

    // ------------------------------------------------------------------ one row

    private static KernelResult runOne(Device d, TensorOps ops, KernelCase c, int size, KernelBenchOptions o) {
        String label = c.label().apply(size);
        Prepared p = null;
        try {
            p = c.prepare().apply(size);
            long fallbacks0 = fallbackLaunches(ops);
            long t0 = System.nanoTime();
            String wrong = p.first(ops);
            double firstSeconds = (System.nanoTime() - t0) / 1e9;
            Prepared prepared = p;
            Runnable op = () -> prepared.run(ops);
            Timing t;
            CopyReference copy = null;
            if (c.kind() == Kind.MATMUL) {
                t = Timing.measure(op, 1, firstSeconds, o.plan());
            } else {
                // The copy reference timed in the same rounds as the op, with the op's inputs allocated.
                CopyReference.Calls copies = CopyReference.calls(p.bytes());
                List<Timing> ts = Timing.alongside(op, 1, firstSeconds,
                        List.of(copies.oneThread(), copies.allCores()), o.plan());
                t = ts.get(0);
                copy = copies.timed(ts.get(1), ts.get(2));
            }
            long fellBack = fallbackLaunches(ops) - fallbacks0;
            Status status = wrong == null ? Status.MEASURED : Status.WRONG;
            String note = wrong == null ? null : "wrong result: " + wrong;
            if (fallbacks0 >= 0 && fellBack > 0) {
                note = (note == null ? "" : note + "; ") + fellBack + " launches fell back to Aparapi's Java threads";
            }
            KernelResult draft = new KernelResult(d.id(), ops.name(), c, label, status, t, p.flops(),
                    p.bytes(), p.elements(), copy, NO_TARGET, KernelResult.NONE, note, null);
            Target target = target(c, size, d.kind());
            String mark = status == Status.WRONG ? "WRONG" : fellBack > 0 && fallbacks0 >= 0 ? "FALLBACK"
                    : target.mark(draft);
            return new KernelResult(d.id(), ops.name(), c, label, status, t, p.flops(), p.bytes(),
                    p.elements(), copy, target.label(), mark, note, null);
        } catch (UnsupportedOperationException e) {
            return new KernelResult(d.id(), ops.name(), c, label, Status.UNSUPPORTED, null, 0, 0, 0,
                    null, target(c, size, d.kind()).label(), KernelResult.NA, String.valueOf(e.getMessage()), e);
        } catch (RuntimeException | OutOfMemoryError e) {
            p = null; // let the inputs go before anything else allocates
            return failed(d, ops.name(), c, label, e);
        } finally {
            p = null;
            System.gc(); // free this row's arrays now, not during the next row's timed calls
        }
    }

    private static KernelResult failed(Device d, String backend, KernelCase c, String label,
            Throwable e) {
        return new KernelResult(d.id(), backend, c, label, Status.FAILED, null, 0, 0, 0, null,
                KernelResult.NONE, KernelResult.NA, "error: " + e, e);
    }

    /** Launches that Aparapi ran on its Java thread pool instead of OpenCL; -1 for a backend without kernels. */
    static long fallbackLaunches(TensorOps ops) {
        return ops instanceof AparapiOps cl ? cl.fallbackLaunches() : -1;
    }

    // ------------------------------------------------------------------ targets

    /** An issue-3 target of a row: its label and how to mark a measured row against it. */
    interface Target {
        String label();

        String mark(KernelResult r);
    }

    private static final String NO_TARGET = KernelResult.NONE;

    private static Target target(KernelCase c, int size, DeviceKind kind) {
        switch (c.kind()) {
            case MATMUL -> {
                if (size != 1024) return none();
                double min = kind == DeviceKind.JVM ? 100 : 80;
                return target(String.format(Locale.ROOT, ">=%.0fGFLOP/s", min), r -> r.gflops() >= min);
            }
            case MEMORY -> {
                return target(">=80%copy", r -> r.vsCopy() >= 0.80);
            }
            case SELECT -> {
                return target(">=1Gelem/s", r -> r.gelems() >= 1.0);
            }
            default -> {
                return none();
            }
        }
    }

    private static Target none() {
        return target(NO_TARGET, null);
    }

    private static Target target(String label, java.util.function.Predicate<KernelResult> met) {
        return new Target() {
            @Override public String label() { return label; }

            @Override
            public String mark(KernelResult r) {
                if (met == null) return KernelResult.NONE;
                return met.test(r) ? "ok" : "BELOW";
            }
        };
    }
}
