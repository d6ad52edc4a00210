package org.mtflow.nodes.merge;

import java.io.IOException;

/**
 * The exact k-th largest magnitude of a tensor read in pieces, for tensors too large to hold whole:
 * two passes over the pieces, a histogram of bits 30..16 of |x|, then of bits 15..0 within the chosen
 * bucket. Same result as {@code TensorOps.topkThreshold}: NaN ranks as a magnitude of 0, k ≥ n gives
 * 0, k = 0 gives +∞. Heap: one 32K and one 64K count table, whatever the tensor's size.
 */
final class StreamingThreshold {
    private StreamingThreshold() {}

    /** Receives one piece of the tensor: its first {@code length} elements are the values. */
    interface Piece {
        void accept(float[] values, int length);
    }

    /** Feeds every piece of the tensor, once per call, in any order. */
    interface Pieces {
        void each(Piece piece) throws IOException;
    }

    /** Elements per slice of a piece counted on its own thread: counts are integers, so slicing never changes them. */
    private static final int SLICE = 1 << 20;

    private interface Slice {
        void count(int from, int to);
    }

    /** Counts [0, len) in slices, on the common pool when there are several (the counting pass is most of TIES's time). */
    private static void inSlices(int len, Slice slice) {
        int slices = (len + SLICE - 1) / SLICE;
        if (slices <= 1) {
            slice.count(0, len);
            return;
        }
        java.util.stream.IntStream.range(0, slices).parallel().forEach(j -> slice.count(j * SLICE, Math.min(len, (j + 1) * SLICE)));
    }

    /** The ranking key of x: the bits of |x|, 0 for NaN (bits of a non-negative float order like its value). */
    static int key(float x) {
        int k = Float.floatToRawIntBits(x) & 0x7fffffff;
        return k > 0x7f800000 ? 0 : k;
    }

    /** The k-th largest magnitude among the n elements the pieces hold. */
    static float kthLargest(long n, long k, Pieces pieces) throws IOException {
        return kthLargest(n, new long[] {k}, pieces)[0];
    }

    /** The k-th largest magnitude for each k of {@code ks}, from the same two passes over the pieces. */
    static float[] kthLargest(long n, long[] ks, Pieces pieces) throws IOException {
        Search search = new Search(n, ks);
        pieces.each(search::countHigh);
        if (search.needsSecondPass()) pieces.each(search::countLow);
        return search.thresholds();
    }

    /**
     * One tensor's search, for callers that feed the pieces themselves (the {@link Merger} feeds several
     * models' searches from one read of the base): every piece to {@link #countHigh}, then, if {@link
     * #needsSecondPass}, every piece again to {@link #countLow}; then {@link #thresholds}.
     */
    static final class Search {
        private final long n;
        private final long[] ks;
        private final long[] high = new long[1 << 15];
        private long seen;
        /** Per k: the high bucket holding the k-th largest, and how many lie above that bucket. */
        private final int[] prefix;
        private final long[] above;
        /** One low table per distinct bucket (at most ks.length of them). */
        private int[] buckets;
        private long[][] low;
        private int tables = -1;

        Search(long n, long[] ks) {
            for (long k : ks) {
                if (k < 0) throw new IllegalArgumentException("the top-k threshold needs k >= 0, got " + k);
            }
            this.n = n;
            this.ks = ks.clone();
            this.prefix = new int[ks.length];
            this.above = new long[ks.length];
        }

        void countHigh(float[] x, int len) {
            inSlices(len, (lo, hi) -> {
                int[] h = new int[1 << 15];
                for (int i = lo; i < hi; i++) h[key(x[i]) >>> 16]++;
                synchronized (high) {
                    for (int b = 0; b < h.length; b++) high[b] += h[b];
                }
            });
            seen += len;
        }

        /** Ends the first pass: whether some k needs the second. */
        boolean needsSecondPass() {
            if (tables >= 0) return tables > 0;
            if (seen != n) throw new IllegalStateException("the pieces held " + seen + " elements, expected " + n);
            buckets = new int[ks.length];
            low = new long[ks.length][];
            int distinct = 0;
            for (int j = 0; j < ks.length; j++) {
                long k = ks[j];
                if (k >= n || k == 0) continue;
                int bucket = high.length - 1;
                while (above[j] + high[bucket] < k) above[j] += high[bucket--];
                prefix[j] = bucket;
                int t = 0;
                while (t < distinct && buckets[t] != bucket) t++;
                if (t == distinct) {
                    buckets[distinct] = bucket;
                    low[distinct++] = new long[1 << 16];
                }
            }
            tables = distinct;
            return tables > 0;
        }

        void countLow(float[] x, int len) {
            int tables = this.tables;
            inSlices(len, (lo, hi) -> {
                int[][] l = new int[tables][1 << 16];
                for (int i = lo; i < hi; i++) {
                    int kk = key(x[i]), b = kk >>> 16;
                    for (int t = 0; t < tables; t++) {
                        if (b == buckets[t]) l[t][kk & 0xffff]++;
                    }
                }
                synchronized (low) {
                    for (int t = 0; t < tables; t++) {
                        for (int v = 0; v < l[t].length; v++) low[t][v] += l[t][v];
                    }
                }
            });
        }

        /** The thresholds, in the order of the ranks given. */
        float[] thresholds() {
            if (tables < 0) needsSecondPass();
            float[] out = new float[ks.length];
            for (int j = 0; j < ks.length; j++) {
                long k = ks[j];
                if (k >= n) {
                    out[j] = 0f;
                } else if (k == 0) {
                    out[j] = Float.POSITIVE_INFINITY;
                } else {
                    int t = 0;
                    while (buckets[t] != prefix[j]) t++;
                    long[] table = low[t];
                    long need = k - above[j];
                    int l = table.length - 1;
                    while (table[l] < need) need -= table[l--];
                    out[j] = Float.intBitsToFloat(prefix[j] << 16 | l);
                }
            }
            return out;
        }
    }
}
