package org.mtflow.kernels.aparapi;

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
     * The weights of a and b: sin((1−t)θ)/sin θ and sin(tθ)/sin θ, or 1 − t and t where the vectors
     * are (nearly) colinear (|cos θ| &gt; 0.9995) or one of them is zero.
     */
    static double[] slerpCoefficients(double dot, double normA, double normB, float t) {
        double cos = normA == 0 || normB == 0 ? 1 : dot / (normA * normB);
        if (Math.abs(cos) > 0.9995) return new double[] {1 - t, t};
        double theta = Math.acos(Math.max(-1, Math.min(1, cos)));
        double sin = Math.sin(theta);
        return new double[] {Math.sin((1 - t) * theta) / sin, Math.sin(t * theta) / sin};
    }
}
