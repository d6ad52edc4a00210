package org.mtflow.kernels.aparapi;

import java.util.stream.IntStream;

/** The small host-side steps of AparapiOps's kernels: the last select of top-k, DARE's threshold, SLERP's weights. */
final class HostSteps {
    private HostSteps() {}

    /**
     * The k-th largest (1 ≤ k ≤ count) of non-negative ints {@code v[0 .. count)}: a radix select of
     * 11 + 10 + 10 bits, the digits of {@link TopkKernel}; O(count), no sort.
     */
    static int kthLargest(int[] v, int count, long k) {
        int prefix = 0, shift = 31;
        long need = k;
        for (int width : new int[] {11, 10, 10}) {
            int high = shift;
            shift -= width;
            int bins = 1 << width;
            long[] hist = new long[bins];
            for (int i = 0; i < count; i++) {
                if ((long) v[i] >>> high == prefix) hist[(v[i] >>> shift) & (bins - 1)]++;
            }
            int d = bins - 1;
            while (hist[d] < need) need -= hist[d--];
            prefix = (prefix << width) | d;
        }
        return prefix;
    }

    /** round(p · 2^24): draws whose top 24 bits are at least this are kept. */
    static int dropThreshold(float p) {
        return (int) Math.round(p * 0x1.0p24);
    }

    /**
     * {Σ a², Σ b², Σ a·b} in double, blocks in parallel and summed in order (deterministic). SLERP's
     * weights need this precision: near antiparallel vectors sin θ is small and the weights are
     * large, so a float32 dot's 1e-7 error in cos θ becomes 1e-5 in the output. A host pass reads
     * the arrays where Aparapi keeps them anyway, so it costs no more than a reduction kernel.
     */
    static double[] squaresAndDot(float[] a, float[] b) {
        int n = a.length, block = 1 << 16, blocks = (n + block - 1) / block;
        double[][] partial = new double[blocks][];
        IntStream.range(0, blocks).parallel().forEach(blk -> {
            double aa = 0, bb = 0, ab = 0;
            for (int i = blk * block, hi = Math.min(n, i + block); i < hi; i++) {
                double x = a[i], y = b[i];
                aa = Math.fma(x, x, aa);
                bb = Math.fma(y, y, bb);
                ab = Math.fma(x, y, ab);
            }
            partial[blk] = new double[] {aa, bb, ab};
        });
        double[] sums = new double[3];
        for (double[] p : partial) for (int j = 0; j < 3; j++) sums[j] += p[j];
        return sums;
    }
}
