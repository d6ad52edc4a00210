package org.mtflow.bench;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mtflow.bench.KernelResult.Status;
import org.mtflow.devices.Device;
import org.mtflow.devices.DeviceInfo;
import org.mtflow.devices.DeviceKind;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.TensorOps;

/**
 * Runs {@link KernelBench} in --quick mode in-process, so the harness cannot rot: one row per op,
 * size and device, every figure parses, and "n/a" only where a backend still inherits a TEMPORARY
 * default of TensorOps.
 */
class KernelBenchSmokeTest {
    /** What issue 3 ("Speed") and the bench's brief ask figures for, in the bench's order. */
    static final List<String> ISSUE_3_OPS = List.of("matmul:A*B", "matmul:At*B", "matmul:A*Bt",
            "softmaxCrossEntropy:fwd+bwd", "gelu:tanh", "add:-", "scale:-", "axpy:-", "encodeHalf:F16",
            "encodeHalf:BF16", "decodeHalf:F16", "decodeHalf:BF16", "electSign:SUM", "electSign:COUNT",
            "disjointMerge:mean", "dropAndRescale:p=0.9", "maskAtLeast:-", "sum:-", "norm2:-", "dot:-", "adamW:-",
            "sgdMomentum:-", "topkThreshold:k=n/5");

    @Test
    void quickRunPrintsAParseableRowForEveryOpOnEveryDevice(@TempDir Path dir) throws IOException {
        Path csv = dir.resolve("kernels.csv");
        KernelBenchOptions o = KernelBenchOptions.parse("--quick", "--csv", csv.toString());
        List<Device> devices = KernelBench.selectDevices(o);
        assertTrue(devices.stream().anyMatch(d -> d.id().equals("jvm")), "the JVM device is always there");

        Run run = run(o, devices);
        System.out.print(run.text); // in the surefire report, for whoever reads a failure

        List<String[]> expected = KernelCases.expectedRows(o);
        assertEquals(ISSUE_3_OPS, expected.stream().map(e -> e[0] + ":" + e[1]).toList(),
                "the ops issue 3 asks figures for, one size each in quick mode");
        assertEquals(devices.size() * expected.size(), run.rows.size(), "rows:\n" + run.text);
        for (Device d : devices) {
            for (String[] e : expected) {
                long n = run.rows.stream().filter(r -> r[0].equals(d.id()) && r[1].equals(e[0]) && r[2].equals(e[1])
                        && r[3].equals(e[2])).count();
                assertEquals(1, n, "one row for " + d.id() + " " + String.join(" ", e) + " in\n" + run.text);
            }
        }
        List<String> problems = new ArrayList<>();
        for (String[] row : run.rows) problems.addAll(figureProblems(row));
        problems.addAll(naProblems(run.results));
        assertEquals(List.of(), problems, run.text);

        List<String> lines = Files.readAllLines(csv, UTF_8);
        assertEquals(KernelResult.csvHeader(), lines.get(0));
        assertEquals(run.rows.size() + 1, lines.size(), "one CSV line per row");
    }

    /** The checks above must be able to fail: a backend that errs, lies about TEMPORARY, or computes wrong. */
    @Test
    void theChecksRejectAnErrorAFalseTemporaryAndAWrongResult() {
        Device fake = new Device(new DeviceInfo("fake", DeviceKind.JVM, "fake backend", 1, 1L << 30, "java"),
                FaultyOps::new);
        KernelBenchOptions o = KernelBenchOptions.parse("--quick", "--ops", "add,scale,sum,axpy", "--elems", "4096");
        Run run = run(o, List.of(fake));
        assertEquals(4, run.rows.size(), run.text);

        List<String> problems = naProblems(run.results);
        assertEquals(2, problems.size(), problems.toString());
        assertTrue(problems.get(0).contains("add") && problems.get(0).contains("IllegalStateException"), problems.get(0));
        assertTrue(problems.get(1).contains("scale") && problems.get(1).contains("overrides"), problems.get(1));

        String[] sum = run.rows.stream().filter(r -> r[1].equals("sum")).findFirst().orElseThrow();
        assertEquals("WRONG", sum[13], run.text);
        assertFalse(figureProblems(sum).isEmpty(), "a WRONG row is not a figure");
        String[] axpy = run.rows.stream().filter(r -> r[1].equals("axpy")).findFirst().orElseThrow();
        assertEquals(List.of(), figureProblems(axpy), "an inherited TEMPORARY default is a legitimate n/a");
        if (temporaryDefaultsRemain()) assertEquals(List.of(), naProblems(List.of(result(run, "axpy"))));
    }

    /** On a backend with every op, every row has figures and every spot check passes: no n/a, no WRONG. */
    @Test
    void aCompleteBackendGetsAFigureForEveryOp() {
        Device scalar = new Device(new DeviceInfo("scalar", DeviceKind.JVM, "scalar reference", 1, 1L << 30, "java"),
                ScalarOps::new);
        KernelBenchOptions o = KernelBenchOptions.parse("--quick", "--sizes", "48", "--elems", "50000",
                "--topk-elems", "100000", "--reps", "1");
        Run run = run(o, List.of(scalar));
        assertEquals(ISSUE_3_OPS.size(), run.rows.size(), run.text);
        for (KernelResult r : run.results) assertEquals(Status.MEASURED, r.status(), r.tableRow());
        List<String> problems = new ArrayList<>();
        for (String[] row : run.rows) problems.addAll(figureProblems(row));
        assertEquals(List.of(), problems, run.text);
    }

    // ------------------------------------------------------------------ the checks

    /** Columns of a printed row: see {@link KernelResult#COLUMNS}. */
    static List<String> figureProblems(String[] r) {
        List<String> p = new ArrayList<>();
        String where = r[0] + " " + r[1] + " " + r[2] + " " + r[3] + ": ";
        String mark = r[13];
        if (mark.equals("n/a")) {
            for (int i = 4; i <= 11; i++) if (!r[i].equals("n/a")) p.add(where + KernelResult.COLUMNS[i] + " should be n/a");
            if (r.length < 15 || r[14].isBlank()) p.add(where + "n/a without a reason");
            return p;
        }
        if (!Set.of("ok", "BELOW", "-", "FALLBACK").contains(mark)) p.add(where + "mark " + mark + " " + note(r));
        KernelCase.Kind kind = KernelCases.all().stream().filter(c -> c.op().equals(r[1]) && c.variant().equals(r[2]))
                .findFirst().orElseThrow(() -> new AssertionError(where + "unknown op")).kind();
        try {
            if (Integer.parseInt(r[4]) < 1) p.add(where + "no timed calls");
        } catch (NumberFormatException e) {
            p.add(where + "reps '" + r[4] + "'");
        }
        double best = number(r[5], where + "best_ms", p), median = number(r[6], where + "median_ms", p);
        if (best > median) p.add(where + "best " + best + " > median " + median);
        boolean flops = kind == KernelCase.Kind.MATMUL || kind == KernelCase.Kind.COMPUTE;
        boolean bytes = kind != KernelCase.Kind.MATMUL;
        cell(r, 7, flops, where, p);
        cell(r, 8, bytes, where, p);
        cell(r, 9, kind == KernelCase.Kind.SELECT, where, p);
        cell(r, 10, bytes, where, p);
        if (bytes) number(r[11].endsWith("%") ? r[11].substring(0, r[11].length() - 1) : "x" + r[11], where + "vs_copy", p);
        else if (!r[11].equals("-")) p.add(where + "vs_copy should be -");
        boolean hasTarget = !r[12].equals("-");
        if (mark.equals("ok") || mark.equals("BELOW") ? !hasTarget : mark.equals("-") && hasTarget) {
            p.add(where + "mark " + mark + " with target " + r[12]);
        }
        return p;
    }

    private static String note(String[] r) { return r.length > 14 ? r[14] : ""; }

    private static void cell(String[] r, int i, boolean applies, String where, List<String> p) {
        if (applies) number(r[i], where + KernelResult.COLUMNS[i], p);
        else if (!r[i].equals("-")) p.add(where + KernelResult.COLUMNS[i] + " should be -, is " + r[i]);
    }

    private static double number(String s, String what, List<String> p) {
        try {
            double v = Double.parseDouble(s);
            if (v > 0 && Double.isFinite(v)) return v;
        } catch (NumberFormatException ignored) {
            // reported below
        }
        p.add(what + " '" + s + "' is not a positive number");
        return Double.NaN;
    }

    /**
     * n/a is acceptable only for an UnsupportedOperationException("TEMPORARY…") from a TensorOps
     * default the backend still inherits, and only while TensorOps still has such defaults.
     */
    static List<String> naProblems(List<KernelResult> results) {
        boolean temporaryLeft = temporaryDefaultsRemain();
        List<String> p = new ArrayList<>();
        for (KernelResult r : results) {
            if (r.status() != Status.UNSUPPORTED && r.status() != Status.FAILED) continue;
            String where = r.device() + " " + r.kase().op() + " " + r.kase().variant() + " " + r.size() + ": ";
            Throwable f = r.failure();
            Method m = r.kase().method();
            if (!(f instanceof UnsupportedOperationException) || f.getMessage() == null
                    || !f.getMessage().startsWith("TEMPORARY")) {
                p.add(where + "n/a for a reason other than a TEMPORARY default: " + f);
            } else if (!temporaryLeft) {
                p.add(where + "n/a, but TensorOps has no TEMPORARY default left: " + f.getMessage());
            } else if (!m.isDefault()) {
                p.add(where + "n/a, but TensorOps." + m.getName() + " is no longer a default method");
            } else if (!inheritsDefault(r.backendClass(), m)) {
                p.add(where + r.backendClass().getSimpleName() + " overrides " + m.getName()
                        + " yet throws TEMPORARY: " + f.getMessage());
            }
        }
        return p;
    }

    /** Whether the backend class runs TensorOps' own default of {@code m} (does not override it). */
    static boolean inheritsDefault(Class<?> backend, Method m) {
        try {
            Method impl = backend.getMethod(m.getName(), m.getParameterTypes());
            return impl.getDeclaringClass() == TensorOps.class && impl.isDefault();
        } catch (NoSuchMethodException e) {
            throw new AssertionError(backend + " lacks " + m, e);
        }
    }

    /** Whether TensorOps' bytecode still holds the "TEMPORARY" message of its placeholder defaults. */
    static boolean temporaryDefaultsRemain() {
        try (InputStream in = TensorOps.class.getResourceAsStream("TensorOps.class")) {
            byte[] code = in.readAllBytes();
            byte[] word = "TEMPORARY".getBytes(UTF_8);
            outer:
            for (int i = 0; i + word.length <= code.length; i++) {
                for (int j = 0; j < word.length; j++) if (code[i + j] != word[j]) continue outer;
                return true;
            }
            return false;
        } catch (IOException e) {
            throw new AssertionError("cannot read TensorOps.class", e);
        }
    }

    // ------------------------------------------------------------------ running and parsing

    record Run(String text, List<String[]> rows, List<KernelResult> results) {}

    static Run run(KernelBenchOptions o, List<Device> devices) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        List<KernelResult> results = KernelBench.run(o, devices, new PrintStream(buf, true, UTF_8));
        String text = buf.toString(UTF_8);
        List<String> lines = text.lines().filter(l -> !l.isBlank() && !l.startsWith("#")).toList();
        assertTrue(lines.size() >= 1 && lines.get(0).equals(KernelResult.header()), "header first:\n" + text);
        assertEquals(List.of(KernelResult.COLUMNS), Arrays.asList(lines.get(0).split("\\s+")));
        List<String[]> rows = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            String[] cols = line.split("\\s+", KernelResult.COLUMNS.length);
            if (cols.length < KernelResult.COLUMNS.length - 1) fail("short row: " + line);
            rows.add(cols);
        }
        assertEquals(results.size(), rows.size());
        return new Run(text, rows, results);
    }

    private static KernelResult result(Run run, String op) {
        return run.results.stream().filter(r -> r.kase().op().equals(op)).findFirst().orElseThrow();
    }

    /** add fails, scale overrides its default yet claims TEMPORARY, sum is wrong, axpy inherits the default. */
    static final class FaultyOps implements TensorOps {
        @Override public String name() { return "faulty"; }

        @Override public void add(Tensor a, Tensor b, Tensor out) { throw new IllegalStateException("boom"); }

        @Override public void scale(Tensor a, float s, Tensor out) {
            throw new UnsupportedOperationException("TEMPORARY: faulty lacks this op");
        }

        @Override public double sum(Tensor a) { return 0; }
    }
}
