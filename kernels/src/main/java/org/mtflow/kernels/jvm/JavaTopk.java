package org.mtflow.kernels.jvm;

/**
 * Magnitude top-k in O(n) by radix selection over the float bits of |x| (a non-negative float's
 * bits order like its value), never a sort. A NaN ranks as a magnitude of 0: it takes no place
 * above a number, and a threshold test {@code |x| ≥ t} never keeps it.
 */
final class JavaTopk {
    /** Elements per histogram task of the large-tensor threshold (each task has its own histograms). */
    private static final int TASK = 1 << 22;
    /** Elements staged into L1 at a time by the histogram passes. */
    private static final int STAGE = 2048;
    /** Up to this size the threshold runs as one small 8-bit-digit selection, no 384 KB histograms. */
    private static final int SMALL = 1 << 16;

    private JavaTopk() {}

    /** The ranking key of x: the bits of |x| (31 bits), 0 for NaN. */
    static int key(float x) {
        int k = Float.floatToRawIntBits(x) & 0x7fffffff;
        return k & ((k - 0x7f800001) >> 31); // all ones where k ≤ ∞'s bits, zero for NaN
    }

    /**
     * The k-th largest magnitude of x: 0 when k ≥ n, +∞ when k = 0. {@code vectors}: pass 2 in
     * {@link VectorLoops} (the JVM has jdk.incubator.vector).
     */
    static float threshold(Parallel par, float[] x, long k, boolean vectors) {
        int n = x.length;
        if (k >= n) return 0f;
        if (k == 0) return Float.POSITIVE_INFINITY;
        if (n <= SMALL) {
            int[] keys = new int[n];
            for (int i = 0; i < n; i++) keys[i] = key(x[i]);
            return Float.intBitsToFloat(kthLargest(keys, n, (int) k, new int[256]));
        }
        int tasks = (n + TASK - 1) / TASK;
        return thresholdByTwoPasses(par, x, k, tasks, vectors);
    }

    /**
     * Two histogram passes: bits 30..16 of the key, then bits 15..0 within the chosen bucket. With
     * vectors, both passes read x through vector loads ({@link VectorLoops}). Without, each pass
     * stages {@link #STAGE} elements at a time into an L1 array with System.arraycopy and runs the
     * scalar loop there: the copy's wide loads stream memory well, a scalar loop reading memory
     * directly ran 2.5× slower here (measured: 1.6 vs 0.65 ns per element for pass 1).
     */
    private static float thresholdByTwoPasses(Parallel par, float[] x, long k, int tasks, boolean vectors) {
        int n = x.length;
        // Pass 1: histogram of bits 30..16 of |x|, straight from the bits (no NaN mapping in the hot
        // loop: NaN and ∞ land in buckets ≥ 0x7f80, and if any is there the exact slow path runs).
        int[][] high = new int[tasks][];
        par.forEach(tasks, true, t -> {
            int[] h = new int[1 << 15];
            int hi = Math.min(n, t * TASK + TASK);
            if (vectors) {
                VectorLoops.highBitsHistogram(x, t * TASK, hi, new int[STAGE], h);
                high[t] = h;
                return;
            }
            float[] stage = new float[STAGE];
            for (int s = t * TASK; s < hi; s += STAGE) {
                int len = Math.min(STAGE, hi - s);
                System.arraycopy(x, s, stage, 0, len);
                for (int i = 0; i < len; i++) h[(Float.floatToRawIntBits(stage[i]) & 0x7fffffff) >>> 16]++;
            }
            high[t] = h;
        });
        int[] h1 = sum(high);
        for (int b = 0x7f80; b < h1.length; b++) if (h1[b] != 0) return thresholdWithNonFinite(par, x, k, tasks);
        long above = 0;
        int bucket = h1.length - 1;
        while (above + h1[bucket] < k) above += h1[bucket--];
        return Float.intBitsToFloat(bucket << 16 | lowBits(par, x, tasks, bucket, k - above, vectors));
    }

    /**
     * Pass 2: among the elements whose key has the high bits {@code prefix}, the low 16 bits of the
     * {@code need}-th largest. The filter is one compare, nearly never true: a well-predicted branch
     * (with vectors, one compare per vector: pass 2 then takes about half the time).
     */
    private static int lowBits(Parallel par, float[] x, int tasks, int prefix, long need, boolean vectors) {
        int n = x.length;
        int[][] low = new int[tasks][];
        par.forEach(tasks, true, t -> {
            int[] h = new int[1 << 16];
            int hi = Math.min(n, t * TASK + TASK);
            if (vectors) {
                VectorLoops.lowBitsHistogram(x, t * TASK, hi, prefix, h);
                low[t] = h;
                return;
            }
            float[] stage = new float[STAGE];
            for (int s = t * TASK; s < hi; s += STAGE) {
                int len = Math.min(STAGE, hi - s);
                System.arraycopy(x, s, stage, 0, len);
                for (int i = 0; i < len; i++) {
                    int kk = Float.floatToRawIntBits(stage[i]) & 0x7fffffff;
                    if (kk >>> 16 == prefix) h[kk & 0xffff]++;
                }
            }
            low[t] = h;
        });
        int[] h2 = sum(low);
        int l = h2.length - 1;
        while (h2[l] < need) need -= h2[l--];
        return l;
    }

    /** The same selection with NaN mapped to magnitude 0 in both passes: for tensors holding NaN or ∞. */
    private static float thresholdWithNonFinite(Parallel par, float[] x, long k, int tasks) {
        int n = x.length;
        int[][] high = new int[tasks][];
        par.forEach(tasks, true, t -> {
            int[] h = new int[1 << 15];
            int hi = Math.min(n, t * TASK + TASK);
            for (int i = t * TASK; i < hi; i++) h[key(x[i]) >>> 16]++;
            high[t] = h;
        });
        int[] h1 = sum(high);
        long above = 0;
        int bucket = h1.length - 1;
        while (above + h1[bucket] < k) above += h1[bucket--];
        int prefix = bucket;
        long need = k - above;
        int[][] low = new int[tasks][];
        par.forEach(tasks, true, t -> {
            int[] h = new int[1 << 16];
            int hi = Math.min(n, t * TASK + TASK);
            for (int i = t * TASK; i < hi; i++) {
                int kk = key(x[i]);
                if (kk >>> 16 == prefix) h[kk & 0xffff]++;
            }
            low[t] = h;
        });
        int[] h2 = sum(low);
        int l = h2.length - 1;
        while (h2[l] < need) need -= h2[l--];
        return Float.intBitsToFloat(prefix << 16 | l);
    }

    private static int[] sum(int[][] hs) {
        int[] total = hs[0];
        for (int t = 1; t < hs.length; t++) {
            int[] h = hs[t];
            for (int b = 0; b < total.length; b++) total[b] += h[b];
        }
        return total;
    }

    /**
     * The k-th largest (1 ≤ k ≤ n) of the 31-bit keys[0..n), by four 8-bit-digit histogram passes
     * (7 + 8 + 8 + 8 bits), each over the keys that share the digits found so far.
     */
    static int kthLargest(int[] keys, int n, int k, int[] hist) {
        int prefix = 0, prefixMask = 0;
        for (int shift = 24; shift >= 0; shift -= 8) {
            java.util.Arrays.fill(hist, 0);
            for (int i = 0; i < n; i++) {
                int kk = keys[i];
                if ((kk & prefixMask) == prefix) hist[(kk >>> shift) & 0xff]++;
            }
            int d = 255;
            while (hist[d] < k) k -= hist[d--];
            prefix |= d << shift;
            prefixMask |= 0xff << shift;
        }
        return prefix;
    }

    /**
     * Per row, 1 for the k largest magnitudes (ties to the lower column), 0 elsewhere: the row's k-th
     * largest key T; keys above T are kept, and of the keys equal to T the first (k − #above).
     */
    static void rowTopkMask(Parallel par, float[] x, int rows, int cols, int k, float[] mask) {
        int rpb = JavaReduce.rowsPerBlock(cols);
        par.forEach((rows + rpb - 1) / rpb, (long) rows * cols >= Parallel.MIN_PARALLEL_ELEMENTS / 4, blk -> {
            int r1 = Math.min(rows, blk * rpb + rpb);
            int[] keys = new int[cols], hist = new int[256];
            for (int r = blk * rpb; r < r1; r++) {
                int base = r * cols;
                if (k >= cols || k == 0) {
                    java.util.Arrays.fill(mask, base, base + cols, k == 0 ? 0f : 1f);
                    continue;
                }
                int above = 0;
                for (int c = 0; c < cols; c++) keys[c] = key(x[base + c]);
                int t = kthLargest(keys, cols, k, hist);
                for (int c = 0; c < cols; c++) if (keys[c] > t) above++;
                int ties = k - above;
                for (int c = 0; c < cols; c++) {
                    int kk = keys[c];
                    boolean keep = kk > t || (kk == t && ties-- > 0);
                    mask[base + c] = keep ? 1f : 0f;
                }
            }
        });
    }
}
