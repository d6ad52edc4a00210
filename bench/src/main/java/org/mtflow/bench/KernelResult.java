package org.mtflow.bench;

import java.util.Locale;

/**
 * One row of the kernel bench: an op at one size on one device.
 *
 * @param device       device id ({@code jvm}, {@code opencl0}…)
 * @param backend      the backend's {@code TensorOps.name()}
 * @param kase         what was measured
 * @param size         the size as printed
 * @param status       whether there are figures, and why not
 * @param timing       the op's timing (null without figures)
 * @param flops        flops of one call (model)
 * @param bytes        bytes one call moves (model: reads + writes)
 * @param elements     elements one call processes
 * @param copy         the System.arraycopy reference of the same bytes, timed in the same rounds as the op (null for
 *                     matmul and rows without figures)
 * @param target       the target for this row, or "-"
 * @param mark         ok, BELOW, -, n/a, WRONG or FALLBACK
 * @param note         why n/a, what is wrong, or that Aparapi fell back to Java threads
 * @param failure      the exception behind an n/a
 */
record KernelResult(String device, String backend, KernelCase kase, String size, Status status,
        Timing timing, double flops, double bytes, double elements, CopyReference copy, String target,
        String mark, String note, Throwable failure) {

    enum Status {
        /** Timed, and the first call's output passed its spot check. */
        MEASURED,
        /** The backend threw UnsupportedOperationException: printed as n/a. */
        UNSUPPORTED,
        /** Any other exception (or out of memory): printed as n/a, and the run exits non-zero. */
        FAILED,
        /** Timed, but the first call's output was wrong: the figures mean nothing. */
        WRONG
    }

    static final String NA = "n/a";
    static final String NONE = "-";

    private static final String ROW = "%-8s %-19s %-7s %-11s %4s %10s %10s %8s %7s %7s %9s %7s %-13s %-8s %s";
    static final String[] COLUMNS = {"device", "op", "variant", "size", "reps", "best_ms", "median_ms", "GFLOP/s",
        "GB/s", "Gelem/s", "copy_GB/s", "vs_copy", "target", "mark", "note"};
    static final String[] CSV_COLUMNS = {"device", "backend", "op", "variant", "size", "status", "reps", "best_ms",
        "median_ms", "gflop_s", "gb_s", "gelem_s", "copy_gb_s", "vs_copy", "target", "mark", "flops", "bytes",
        "elements", "copy_bytes", "copy_1thread_gb_s", "copy_allcores_gb_s", "copy_threads", "note"};

    boolean measured() { return timing != null; }

    double bestSeconds() { return timing.bestNs() / 1e9; }

    /** GFLOP/s of the best call; NaN where flops are not counted or there is no timing. */
    double gflops() {
        return measured() && (kase.kind() == KernelCase.Kind.MATMUL || kase.kind() == KernelCase.Kind.COMPUTE)
                ? flops / bestSeconds() / 1e9 : Double.NaN;
    }

    /** GB/s of the best call under the bytes model; NaN for matmul. */
    double gbs() {
        return measured() && kase.kind() != KernelCase.Kind.MATMUL ? bytes / bestSeconds() / 1e9 : Double.NaN;
    }

    double gelems() {
        boolean counted = kase.kind() == KernelCase.Kind.SELECT || kase.kind() == KernelCase.Kind.RANDOM;
        return measured() && counted ? elements / bestSeconds() / 1e9 : Double.NaN;
    }

    double copyGbs() {
        return measured() && copy != null ? copy.gbs() : Double.NaN;
    }

    /** The op's GB/s over the copy reference's GB/s (both best calls). */
    double vsCopy() { return gbs() / copyGbs(); }

    static String header() {
        return String.format(Locale.ROOT, ROW, (Object[]) COLUMNS).stripTrailing();
    }

    String tableRow() {
        return String.format(Locale.ROOT, ROW, device, kase.op(), kase.variant(), size,
                measured() ? Integer.toString(timing.reps()) : NA,
                measured() ? String.format(Locale.ROOT, "%.3f", timing.bestNs() / 1e6) : NA,
                measured() ? String.format(Locale.ROOT, "%.3f", timing.medianNs() / 1e6) : NA,
                cell(gflops()), cell(gbs()), cell(gelems()), cell(copyGbs()),
                measured() ? (Double.isNaN(vsCopy()) ? NONE : percent(vsCopy())) : NA,
                target, mark, note == null ? "" : note).stripTrailing();
    }

    private String cell(double v) {
        if (!measured()) return NA;
        if (Double.isNaN(v)) return NONE;
        return figure(v);
    }

    /** One decimal from 10 up, else three significant figures. */
    static String figure(double v) {
        if (v >= 10) return String.format(Locale.ROOT, "%.1f", v);
        if (v >= 1) return String.format(Locale.ROOT, "%.2f", v);
        return String.format(Locale.ROOT, "%.3f", v);
    }

    /** 95%, 8.3%, 0.052%: never a misleading 0%. */
    static String percent(double ratio) {
        double v = 100 * ratio;
        if (v >= 10) return String.format(Locale.ROOT, "%.0f%%", v);
        if (v >= 1) return String.format(Locale.ROOT, "%.1f%%", v);
        return String.format(Locale.ROOT, "%.2g%%", v);
    }

    static String csvHeader() { return String.join(",", CSV_COLUMNS); }

    String csvRow() {
        String[] v = {device, backend, kase.op(), kase.variant(), size, status.name(),
            measured() ? Integer.toString(timing.reps()) : "",
            measured() ? num(timing.bestNs() / 1e6) : "", measured() ? num(timing.medianNs() / 1e6) : "",
            num(gflops()), num(gbs()), num(gelems()), num(copyGbs()), num(vsCopy()), target, mark,
            num(flops), num(bytes), num(elements), copy == null ? "" : num(copy.bytes()),
            copy == null ? "" : num(copy.gbs(copy.oneThread())), copy == null ? "" : num(copy.gbs(copy.allCores())),
            copy == null ? "" : Integer.toString(copy.threads()), note == null ? "" : note};
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < v.length; i++) {
            if (i > 0) sb.append(',');
            sb.append(csvField(v[i]));
        }
        return sb.toString();
    }

    private static String num(double v) {
        return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.6g", v);
    }

    static String csvField(String s) {
        if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0) return s;
        return '"' + s.replace("\"", "\"\"").replace('\n', ' ') + '"';
    }
}
