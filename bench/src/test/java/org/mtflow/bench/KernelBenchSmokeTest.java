package org.mtflow.bench;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.reflect.Proxy;
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
import org.mtflow.kernels.TensorOps;
import org.mtflow.kernels.jvm.JavaOps;

/**
 * Runs {@link KernelBench} in --quick mode in-process, so the harness cannot rot: one row per op,
 * size and device, every figure parses, and no op fails to run or gives a wrong result.
 */
class KernelBenchSmokeTest {
    /** What issue 3 ("Speed") and the bench's brief ask figures for, in the bench's order. */
    static final List<String> ISSUE_3_OPS = List.of("matmul:A*B", "matmul:At*B", "matmul:A*Bt",
            "softmaxCrossEntropy:fwd+bwd", "gelu:tanh", "add:-", "scale:-", "axpy:-", "encodeHalf:F16",
            "encodeHalf:BF16", "decodeHalf:F16", "decodeHalf:BF16", "electSign:SUM", "electSign:COUNT",
            "disjointMerge:mean", "dropAndRescale:p=0.9", "uniform:-", "maskAtLeast:-", "sum:-", "norm2:-", "dot:-", "adamW:-",
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

    /** The checks above must be able to fail: an op that throws, and one that computes a wrong result. */
    @Test
    void theChecksRejectAnErrorAndAWrongResult() {
        JavaOps java = new JavaOps(1);
        // JavaOps, except that add throws and sum lies.
        TensorOps faulty = (TensorOps) Proxy.newProxyInstance(TensorOps.class.getClassLoader(),
                new Class<?>[] {TensorOps.class}, (proxy, m, args) -> switch (m.getName()) {
                    case "add" -> throw new IllegalStateException("boom");
                    case "sum" -> 0.0;
                    default -> m.invoke(java, args);
                });
        Device fake = new Device(new DeviceInfo("fake", DeviceKind.JVM, "faulty backend", 1, 1L << 30, "java"),
                () -> faulty);
        KernelBenchOptions o = KernelBenchOptions.parse("--quick", "--ops", "add,sum,axpy", "--elems", "4096");
        Run run = run(o, List.of(fake));
        assertEquals(3, run.rows.size(), run.text);

        List<String> problems = naProblems(run.results);
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).contains("add") && problems.get(0).contains("IllegalStateException"), problems.get(0));
        String[] sum = run.rows.stream().filter(r -> r[1].equals("sum")).findFirst().orElseThrow();
        assertEquals("WRONG", sum[13], run.text);
        assertFalse(figureProblems(sum).isEmpty(), "a WRONG row is not a figure");
        String[] axpy = run.rows.stream().filter(r -> r[1].equals("axpy")).findFirst().orElseThrow();
        assertEquals(List.of(), figureProblems(axpy), run.text);
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
        cell(r, 9, kind == KernelCase.Kind.SELECT || kind == KernelCase.Kind.RANDOM, where, p);
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

    /** Every backend implements every op: an op that did not run is a problem, whatever the reason. */
    static List<String> naProblems(List<KernelResult> results) {
        List<String> p = new ArrayList<>();
        for (KernelResult r : results) {
            if (r.status() != Status.UNSUPPORTED && r.status() != Status.FAILED) continue;
            p.add(r.device() + " " + r.kase().op() + " " + r.kase().variant() + " " + r.size() + ": did not run: "
                    + r.failure());
        }
        return p;
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
}
