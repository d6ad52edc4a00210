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

    /** The ranking key of x: the bits of |x|, 0 for NaN (bits of a non-negative float order like its value). */
    static int key(float x) {
        int k = Float.floatToRawIntBits(x) & 0x7fffffff;
        return k > 0x7f800000 ? 0 : k;
    }

    /** The k-th largest magnitude among the n elements the pieces hold. */
    static float kthLargest(long n, long k, Pieces pieces) throws IOException {
        if (k < 0) throw new IllegalArgumentException("the top-k threshold needs k >= 0, got " + k);
        if (k >= n) return 0f;
        if (k == 0) return Float.POSITIVE_INFINITY;
        long[] high = new long[1 << 15];
        long[] seen = {0};
        pieces.each((x, len) -> {
            for (int i = 0; i < len; i++) high[key(x[i]) >>> 16]++;
            seen[0] += len;
        });
        if (seen[0] != n) throw new IllegalStateException("the pieces held " + seen[0] + " elements, expected " + n);
        long above = 0;
        int bucket = high.length - 1;
        while (above + high[bucket] < k) above += high[bucket--];
        int prefix = bucket;
        long[] low = new long[1 << 16];
        pieces.each((x, len) -> {
            for (int i = 0; i < len; i++) {
                int kk = key(x[i]);
                if (kk >>> 16 == prefix) low[kk & 0xffff]++;
            }
        });
        long need = k - above;
        int l = low.length - 1;
        while (low[l] < need) need -= low[l--];
        return Float.intBitsToFloat(prefix << 16 | l);
    }
}
