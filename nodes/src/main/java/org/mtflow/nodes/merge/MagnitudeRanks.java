package org.mtflow.nodes.merge;

import java.util.stream.IntStream;

/**
 * Ranks by magnitude within each row of a [rows, cols] array: rank 0 for the smallest |x|, equal
 * magnitudes ranked by column, NaNs last — the order a stable sort under {@link Float#compare} of |x|
 * gives. A least-significant-digit radix sort of the magnitudes' bits (stable, 8 bits a pass, passes
 * whose digit is the same for the whole row skipped), rows spread over all cores: DELLA's MagPrune
 * ranks every element of every task vector, and a comparison sort took ~4 times as long.
 */
final class MagnitudeRanks {
    private MagnitudeRanks() {}

    /** Rows per job: enough to amortize the scratch arrays. */
    private static final int ROWS_PER_JOB = 64;

    /** What to do with each element's rank. */
    interface Sink {
        void rank(int index, int rank);
    }

    /** Calls {@code sink.rank(r·cols + c, rank)} once for every element (from several threads, each row on one). */
    static void forEach(float[] x, int rows, int cols, Sink sink) {
        int jobs = (rows + ROWS_PER_JOB - 1) / ROWS_PER_JOB;
        IntStream range = IntStream.range(0, jobs);
        (x.length >= 1 << 16 ? range.parallel() : range).forEach(job -> {
            Scratch s = new Scratch(cols);
            for (int r = job * ROWS_PER_JOB, end = Math.min(rows, r + ROWS_PER_JOB); r < end; r++) {
                int base = r * cols;
                s.sort(x, base);
                for (int rank = 0; rank < cols; rank++) sink.rank(base + s.order[rank], rank);
            }
        });
    }

    private static final class Scratch {
        int[] order, key, order2, key2;
        final int[] count = new int[257];
        final int cols;

        Scratch(int cols) {
            this.cols = cols;
            order = new int[cols];
            key = new int[cols];
            order2 = new int[cols];
            key2 = new int[cols];
        }

        /** Leaves in {@code order} the columns of row x[base..base+cols) by ascending |x|, stable. */
        void sort(float[] x, int base) {
            for (int c = 0; c < cols; c++) {
                order[c] = c;
                key[c] = Float.floatToIntBits(Math.abs(x[base + c])); // ≥ 0; one NaN pattern, above ∞
            }
            for (int shift = 0; shift < 32; shift += 8) {
                java.util.Arrays.fill(count, 0);
                for (int c = 0; c < cols; c++) count[((key[c] >>> shift) & 0xff) + 1]++;
                if (count[((key[0] >>> shift) & 0xff) + 1] == cols) continue; // one digit: the order stands
                for (int d = 0; d < 256; d++) count[d + 1] += count[d];
                for (int c = 0; c < cols; c++) {
                    int at = count[(key[c] >>> shift) & 0xff]++;
                    key2[at] = key[c];
                    order2[at] = order[c];
                }
                int[] t = key; key = key2; key2 = t;
                t = order; order = order2; order2 = t;
            }
        }
    }
}
