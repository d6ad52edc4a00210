package org.mtflow.kernels.aparapi;

import com.aparapi.device.OpenCLDevice;
import java.util.Locale;
import java.util.SplittableRandom;
import org.mtflow.kernels.Reference;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.TensorOps;
import org.mtflow.kernels.TensorOps.HalfType;
import org.mtflow.kernels.TensorOps.SignElection;
import org.mtflow.kernels.jvm.JavaOps;

/**
 * Figures of the OpenCL kernels on this machine (not a test): run with libjsig preloaded, e.g.
 * <pre>
 *   java -cp kernels/target/classes:kernels/target/test-classes:$CP \
 *       org.mtflow.kernels.aparapi.AparapiKernelsBench figures      # matmul, bandwidth, top-k
 *   ... AparapiKernelsBench thresholds                              # plain Java vs kernel per size
 * </pre>
 * Memory-bound ops are compared with a {@code System.arraycopy} measured in the same run: GB/s
 * counts the bytes each op reads and writes, the copy's GB/s its bytes read plus written.
 */
public final class AparapiKernelsBench {
    private AparapiKernelsBench() {}

    public static void main(String[] args) {
        String mode = args.length > 0 ? args[0] : "figures";
        OpenCLDevice device = OpenCLDevice.listDevices(null).get(0);
        try (AparapiOps ops = new AparapiOps(device)) {
            System.out.println("device: " + ops.name());
            switch (mode) {
                case "figures" -> figures(ops, args);
                case "matmul" -> matmul(ops, args.length > 1 ? Integer.parseInt(args[1]) : 1024);
                case "thresholds" -> thresholds(ops);
                default -> throw new IllegalArgumentException("mode: figures | matmul [size] | thresholds");
            }
            if (ops.fallbackLaunches() != 0) throw new IllegalStateException("fallback launches: " + ops.fallbackLaunches());
        }
    }

    /** Best seconds per call of {@code body} over {@code reps} timed rounds, after one warm-up. */
    private static double best(int reps, Runnable body) {
        body.run();
        double best = Double.MAX_VALUE;
        for (int r = 0; r < reps; r++) {
            long t0 = System.nanoTime();
            body.run();
            best = Math.min(best, (System.nanoTime() - t0) / 1e9);
        }
        return best;
    }

    /** Best seconds per call, timing batches of {@code inner} calls (for calls of microseconds). */
    private static double bestOf(int reps, int inner, Runnable body) {
        return best(reps, () -> {
            for (int i = 0; i < inner; i++) body.run();
        }) / inner;
    }

    private static void figures(AparapiOps ops, String[] args) {
        matmul(ops, 1024);
        SplittableRandom rng = new SplittableRandom(1);
        int n = 1 << 24;
        Tensor x = Reference.random(rng, n), y = Reference.random(rng, n), out = Tensor.zeros(n);
        float[] src = new float[n * 2], dst = new float[n * 2];
        double copyGbs = 2.0 * 4 * src.length / best(5, () -> System.arraycopy(src, 0, dst, 0, src.length)) / 1e9;
        System.out.printf(Locale.ROOT, "System.arraycopy %d MB: %.1f GB/s (read + write)%n", src.length * 4 >> 20, copyGbs);
        // The same copy split over two threads: the machine's copy bandwidth with both cores busy.
        double copy2Gbs = 2.0 * 4 * src.length / best(5, () -> java.util.stream.IntStream.range(0, 2).parallel()
                .forEach(h -> System.arraycopy(src, h * n, dst, h * n, n))) / 1e9;
        System.out.printf(Locale.ROOT, "System.arraycopy on 2 threads: %.1f GB/s; percentages below are of the "
                + "1-thread copy, the 2-thread ratio is ×%.2f%n", copy2Gbs, copyGbs / copy2Gbs);
        bandwidth("axpy", 12.0 * n, copyGbs, () -> ops.axpy(1e-3f, x, y));
        bandwidth("add", 12.0 * n, copyGbs, () -> ops.add(x, y, out));
        bandwidth("copy", 8.0 * n, copyGbs, () -> ops.copy(x, out));
        short[] halves = new short[n];
        for (HalfType t : HalfType.values()) {
            bandwidth("encodeHalf " + t, 6.0 * n, copyGbs, () -> ops.encodeHalf(x, t, halves, 0));
            bandwidth("decodeHalf " + t, 6.0 * n, copyGbs, () -> ops.decodeHalf(halves, 0, t, out));
        }
        for (int k : new int[] {3, 8}) {
            int m = n / 2;
            Tensor[] xs = new Tensor[k];
            for (int j = 0; j < k; j++) xs[j] = Reference.random(rng, m);
            Tensor sign = Tensor.zeros(m), merged = Tensor.zeros(m);
            bandwidth("electSign COUNT K=" + k, 4.0 * (k + 1) * m, copyGbs, () -> ops.electSign(xs, SignElection.COUNT, sign));
            bandwidth("electSign SUM K=" + k, 4.0 * (k + 1) * m, copyGbs, () -> ops.electSign(xs, SignElection.SUM, sign));
            bandwidth("disjointMerge mean K=" + k, 4.0 * (k + 2) * m, copyGbs, () -> ops.disjointMerge(xs, sign, true, merged));
        }
        bandwidth("dropAndRescale", 8.0 * n, copyGbs, () -> ops.dropAndRescale(x, 0.3f, 1, 2, out));
        bandwidth("uniform", 4.0 * n, copyGbs, () -> ops.uniform(1, 2, -1f, 1f, out));
        bandwidth("sum", 4.0 * n, copyGbs, () -> ops.sum(x));
        bandwidth("max", 4.0 * n, copyGbs, () -> ops.max(x));
        bandwidth("dot", 8.0 * n, copyGbs, () -> ops.dot(x, y));
        Tensor second = Tensor.zeros(n);
        bandwidth("adamW", 28.0 * n, copyGbs, () -> ops.adamW(x, y, out, second, 1e-3f, 0.9f, 0.999f, 1e-8f, 0f, 3));
        int big = 50_000_000;
        Tensor t = Tensor.zeros(big);
        float[] d = t.data();
        for (int i = 0; i < big; i++) d[i] = (float) (rng.nextGaussian() * 0.02);
        for (long k : new long[] {big / 100, big / 5, big / 2}) {
            double s = best(5, () -> ops.topkThreshold(t, k));
            System.out.printf(Locale.ROOT, "topkThreshold 50M k=%d: %.1f ms, %.2f G elements/s%n", k, s * 1e3, big / s / 1e9);
        }
        Tensor logits = Reference.random(rng, 4096, 1000), probs = Tensor.zeros(4096, 1000);
        bandwidth("softmaxRows 4096x1000", 8.0 * logits.size(), copyGbs, () -> ops.softmaxRows(logits, probs));
    }

    /** Scratch for the copies that bandwidth() measures beside each op. */
    private static float[] copySrc = new float[0];
    private static float[] copyDst = new float[0];

    /**
     * GB/s of {@code body}, which reads and writes {@code bytes}, against a System.arraycopy that
     * moves the same bytes (reads half, writes half), the two timed alternately so that both see the
     * same load on this shared machine; best of 9 each.
     */
    private static void bandwidth(String op, double bytes, double copyGbs, Runnable body) {
        int floats = (int) (bytes / 8);
        if (copySrc.length < floats) {
            copySrc = new float[floats];
            copyDst = new float[floats];
            java.util.Arrays.fill(copySrc, 1f);
            java.util.Arrays.fill(copyDst, 2f);
        }
        body.run();
        System.arraycopy(copySrc, 0, copyDst, 0, floats);
        double opBest = Double.MAX_VALUE, copyBest = Double.MAX_VALUE;
        for (int r = 0; r < 9; r++) {
            long t0 = System.nanoTime();
            body.run();
            long t1 = System.nanoTime();
            System.arraycopy(copySrc, 0, copyDst, 0, floats);
            long t2 = System.nanoTime();
            opBest = Math.min(opBest, (t1 - t0) / 1e9);
            copyBest = Math.min(copyBest, (t2 - t1) / 1e9);
        }
        double gbs = bytes / opBest / 1e9, copy = 8.0 * floats / copyBest / 1e9;
        System.out.printf(Locale.ROOT, "%-28s %8.2f ms %7.1f GB/s | arraycopy of the same bytes %6.2f ms %5.1f GB/s | %4.0f %%%n",
                op, opBest * 1e3, gbs, copyBest * 1e3, copy, 100 * gbs / copy);
    }

    private static void matmul(AparapiOps ops, int size) {
        SplittableRandom rng = new SplittableRandom(2);
        Tensor a = Reference.random(rng, size, size), b = Reference.random(rng, size, size), c = Tensor.zeros(size, size);
        for (int t = 0; t < 4; t++) {
            boolean ta = (t & 1) != 0, tb = (t & 2) != 0;
            double s = best(7, () -> ops.matmul(a, ta, b, tb, c));
            System.out.printf(Locale.ROOT, "matmul %d^3 %s: %.2f ms, %.1f GFLOP/s%n", size,
                    (ta ? "T" : "") + "A·" + (tb ? "T" : "") + "B", s * 1e3, 2.0 * size * size * size / s / 1e9);
        }
    }

    /** Results of timed calls go here, so the JIT cannot drop a call whose result is unused. */
    static volatile double sink;

    /** Plain Java against the kernel per size, for every op family: where the kernel starts to win. */
    private static void thresholds(AparapiOps ops) {
        SplittableRandom rng = new SplittableRandom(3);
        System.out.println("op                       size     java us   kernel us");
        for (int n = 1 << 9; n <= 1 << 22; n <<= 1) {
            Tensor x = Reference.random(rng, n), y = Reference.random(rng, n), out = Tensor.zeros(n);
            Tensor v = Tensor.zeros(n);
            short[] h = new short[n];
            Tensor[] xs = {x, y, Reference.random(rng, n)};
            int size = n;
            boolean cheapOnly = n > 1 << 18;
            compare(ops, "add", n, o -> o.add(x, y, out));
            compare(ops, "axpy", n, o -> o.axpy(1e-3f, x, out));
            compare(ops, "copy", n, o -> o.copy(x, out));
            compare(ops, "encodeHalf F16", n, o -> o.encodeHalf(x, HalfType.F16, h, 0));
            compare(ops, "decodeHalf F16", n, o -> o.decodeHalf(h, 0, HalfType.F16, out));
            compare(ops, "sum", n, o -> sink += o.sum(x));
            compare(ops, "max", n, o -> sink += o.max(x));
            compare(ops, "adamW", n, o -> o.adamW(x, y, out, v, 1e-3f, 0.9f, 0.99f, 1e-8f, 0f, 1));
            compare(ops, "electSign K=3", 3L * n, o -> o.electSign(xs, SignElection.SUM, out));
            compare(ops, "disjointMerge K=3", 3L * n, o -> o.disjointMerge(xs, x, true, out));
            if (cheapOnly) continue;
            compare(ops, "gelu", n, o -> o.gelu(x, out));
            compare(ops, "uniform", n, o -> o.uniform(1, 2, 0f, 1f, out));
            compare(ops, "dropAndRescale", n, o -> o.dropAndRescale(x, 0.5f, 1, 2, out));
            compare(ops, "topkThreshold", n, o -> sink += o.topkThreshold(x, size / 3));
            Tensor rows = Tensor.of(x.data(), n / 64, 64), rowsOut = Tensor.of(out.data(), n / 64, 64);
            compare(ops, "softmaxRows x64", n, o -> o.softmaxRows(rows, rowsOut));
            compare(ops, "argmaxRows x64", n, o -> o.argmaxRows(rows, new int[size / 64]));
            compare(ops, "rowTopkMask x64", n, o -> o.rowTopkMask(rows, 10, rowsOut));
            Tensor wide = Tensor.of(x.data(), 64, n / 64), sums = Tensor.zeros(n / 64);
            compare(ops, "sumRows 64 rows", n, o -> o.sumRows(wide, sums));
            int side = (int) Math.round(Math.cbrt(n * 64.0));
            Tensor a = Reference.random(rng, side, side), b = Reference.random(rng, side, side), c = Tensor.zeros(side, side);
            compare(ops, "matmul " + side + "^3", (long) side * side * side, o -> o.matmul(a, false, b, false, c));
        }
        System.out.println("(java = JavaOps on one thread; kernel = AparapiOps with thresholds ignored)");
    }

    private interface Call { void run(TensorOps o); }

    private static void compare(AparapiOps ops, String op, long work, Call call) {
        TensorOps small = new JavaOps(1);
        int inner = (int) Math.max(1, Math.min(1000, 1_000_000 / work));
        double java = bestOf(5, inner, () -> call.run(small));
        ops.ignoreThresholds = true;
        double kernel = bestOf(5, inner, () -> call.run(ops));
        ops.ignoreThresholds = false;
        System.out.printf(Locale.ROOT, "%-22s %8d %10.1f %10.1f %s%n", op, work, java * 1e6, kernel * 1e6,
                kernel < java ? "kernel" : "java");
    }
}
