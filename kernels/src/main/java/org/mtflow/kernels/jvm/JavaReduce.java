package org.mtflow.kernels.jvm;

import static org.mtflow.kernels.jvm.Parallel.BLOCK;

/**
 * Reductions, row softmax and the fused softmax + cross-entropy. Sums follow the backend's rule:
 * each fixed block of {@link Parallel#BLOCK} elements is summed in float (four interleaved
 * accumulators, combined in a fixed order), the block sums in double in block order; so a result
 * is the same on any thread count. Row ops split rows into fixed row blocks the same way.
 */
final class JavaReduce {
    private JavaReduce() {}

    static double sum(Parallel par, float[] x) {
        double[] partial = new double[Parallel.blocks(x.length)];
        par.forEachBlock(x.length, blk -> {
            int lo = blk * BLOCK, hi = Math.min(x.length, lo + BLOCK);
            float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
            int i = lo;
            for (; i + 3 < hi; i += 4) {
                s0 += x[i];
                s1 += x[i + 1];
                s2 += x[i + 2];
                s3 += x[i + 3];
            }
            for (; i < hi; i++) s0 += x[i];
            partial[blk] = (s0 + s1) + (s2 + s3);
        });
        return total(partial);
    }

    static double norm1(Parallel par, float[] x) {
        double[] partial = new double[Parallel.blocks(x.length)];
        par.forEachBlock(x.length, blk -> {
            int lo = blk * BLOCK, hi = Math.min(x.length, lo + BLOCK);
            float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
            int i = lo;
            for (; i + 3 < hi; i += 4) {
                s0 += Math.abs(x[i]);
                s1 += Math.abs(x[i + 1]);
                s2 += Math.abs(x[i + 2]);
                s3 += Math.abs(x[i + 3]);
            }
            for (; i < hi; i++) s0 += Math.abs(x[i]);
            partial[blk] = (s0 + s1) + (s2 + s3);
        });
        return total(partial);
    }

    /** Σ a² accumulates in double even within a block: squares of |a| > 1.8e19 overflow float. */
    static double sumSquares(Parallel par, float[] x) {
        double[] partial = new double[Parallel.blocks(x.length)];
        par.forEachBlock(x.length, blk -> {
            int lo = blk * BLOCK, hi = Math.min(x.length, lo + BLOCK);
            double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            int i = lo;
            for (; i + 3 < hi; i += 4) {
                double v0 = x[i], v1 = x[i + 1], v2 = x[i + 2], v3 = x[i + 3];
                s0 = Math.fma(v0, v0, s0);
                s1 = Math.fma(v1, v1, s1);
                s2 = Math.fma(v2, v2, s2);
                s3 = Math.fma(v3, v3, s3);
            }
            for (; i < hi; i++) s0 = Math.fma((double) x[i], x[i], s0);
            partial[blk] = (s0 + s1) + (s2 + s3);
        });
        return total(partial);
    }

    /** Σ a·b, float fmas within a block. */
    static double dot(Parallel par, float[] x, float[] y) {
        double[] partial = new double[Parallel.blocks(x.length)];
        par.forEachBlock(x.length, blk -> {
            int lo = blk * BLOCK, hi = Math.min(x.length, lo + BLOCK);
            float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
            int i = lo;
            for (; i + 3 < hi; i += 4) {
                s0 = Math.fma(x[i], y[i], s0);
                s1 = Math.fma(x[i + 1], y[i + 1], s1);
                s2 = Math.fma(x[i + 2], y[i + 2], s2);
                s3 = Math.fma(x[i + 3], y[i + 3], s3);
            }
            for (; i < hi; i++) s0 = Math.fma(x[i], y[i], s0);
            partial[blk] = (s0 + s1) + (s2 + s3);
        });
        return total(partial);
    }

    private static double total(double[] partial) {
        double t = 0;
        for (double p : partial) t += p;
        return t;
    }

    /** The largest element; NaN when any is (Math.max propagates it); −∞ when empty. Exact in any order. */
    static float max(Parallel par, float[] x) {
        float[] partial = new float[Parallel.blocks(x.length)];
        par.forEachBlock(x.length, blk -> {
            int lo = blk * BLOCK, hi = Math.min(x.length, lo + BLOCK);
            float m = Float.NEGATIVE_INFINITY;
            for (int i = lo; i < hi; i++) m = Math.max(m, x[i]);
            partial[blk] = m;
        });
        float m = Float.NEGATIVE_INFINITY;
        for (float p : partial) m = Math.max(m, p);
        return m;
    }

    /** Rows per task of the row ops: about one {@link Parallel#BLOCK} of elements. */
    static int rowsPerBlock(int cols) {
        return Math.max(1, BLOCK / Math.max(1, cols));
    }

    /**
     * The first index of each row's largest element; a NaN counts as larger than any number; −1 for
     * rows without columns.
     */
    static void argmaxRows(Parallel par, float[] x, int rows, int cols, int[] out) {
        int rpb = rowsPerBlock(cols);
        par.forEach((rows + rpb - 1) / rpb, (long) rows * cols >= Parallel.MIN_PARALLEL_ELEMENTS, blk -> {
            int r1 = Math.min(rows, blk * rpb + rpb);
            for (int r = blk * rpb; r < r1; r++) {
                if (cols == 0) {
                    out[r] = -1;
                    continue;
                }
                int base = r * cols, best = 0;
                float bestValue = x[base];
                for (int c = 1; c < cols && bestValue == bestValue; c++) {
                    float v = x[base + c];
                    if (v > bestValue || v != v) {
                        bestValue = v;
                        best = c;
                    }
                }
                out[r] = best;
            }
        });
    }

    /**
     * Softmax of each row: e^(x − max) / Σ e^(x − max), the exponentials and their sum in double.
     * Reads a whole row before writing it, so out may even alias x.
     */
    static void softmaxRows(Parallel par, float[] x, int rows, int cols, float[] out) {
        int rpb = rowsPerBlock(cols);
        par.forEach((rows + rpb - 1) / rpb, (long) rows * cols >= Parallel.MIN_PARALLEL_ELEMENTS / 8, blk -> {
            int r1 = Math.min(rows, blk * rpb + rpb);
            double[] e = new double[cols];
            for (int r = blk * rpb; r < r1; r++) {
                int base = r * cols;
                float mx = rowMax(x, base, cols);
                double s = 0;
                for (int c = 0; c < cols; c++) s += e[c] = Math.exp((double) x[base + c] - mx);
                double inv = 1 / s;
                for (int c = 0; c < cols; c++) out[base + c] = (float) (e[c] * inv);
            }
        });
    }

    private static float rowMax(float[] x, int base, int cols) {
        float mx = Float.NEGATIVE_INFINITY;
        for (int c = 0; c < cols; c++) mx = Math.max(mx, x[base + c]);
        return mx;
    }

    /**
     * Mean over rows of {@code log Σ e^(x − max) − (x[label] − max)}; grad, when given, gets
     * {@code (softmax − onehot) / rows}. Row losses are summed in double per fixed row block, the
     * blocks in order. Labels are checked by the caller.
     */
    static double softmaxCrossEntropy(Parallel par, float[] x, int rows, int cols, int[] labels, float[] grad) {
        int rpb = rowsPerBlock(cols);
        int blocks = (rows + rpb - 1) / rpb;
        double[] partial = new double[blocks];
        double invRows = 1.0 / rows;
        par.forEach(blocks, (long) rows * cols >= Parallel.MIN_PARALLEL_ELEMENTS / 8, blk -> {
            int r1 = Math.min(rows, blk * rpb + rpb);
            double[] e = new double[cols];
            double loss = 0;
            for (int r = blk * rpb; r < r1; r++) {
                int base = r * cols, label = labels[r];
                float mx = rowMax(x, base, cols);
                double s = 0;
                for (int c = 0; c < cols; c++) s += e[c] = Math.exp((double) x[base + c] - mx);
                loss += Math.log(s) - ((double) x[base + label] - mx);
                if (grad != null) {
                    double scale = invRows / s;
                    for (int c = 0; c < cols; c++) grad[base + c] = (float) (e[c] * scale);
                    grad[base + label] = (float) (e[label] * scale - invRows);
                }
            }
            partial[blk] = loss;
        });
        return total(partial) * invRows;
    }
}
