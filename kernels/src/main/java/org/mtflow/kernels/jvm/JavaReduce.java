package org.mtflow.kernels.jvm;

import static org.mtflow.kernels.jvm.Parallel.BLOCK;

/**
 * Reductions, row softmax and the fused softmax + cross-entropy. Sums follow the backend's rule:
 * each fixed block of {@link Parallel#BLOCK} elements is summed in float (eight interleaved
 * accumulators, combined in a fixed order), the block sums in double in block order; so a result
 * is the same on any thread count. Row ops split rows into fixed row blocks the same way.
 */
final class JavaReduce {
    private JavaReduce() {}

    /** Elements staged into L1 at a time: scalar loops reading memory directly ran 2-3× slower here. */
    private static final int STAGE = 2048;

    static double sum(Parallel par, float[] x) {
        double[] partial = new double[Parallel.blocks(x.length)];
        par.forEachBlock(x.length, blk -> {
            int lo = blk * BLOCK, hi = Math.min(x.length, lo + BLOCK);
            float[] st = new float[STAGE];
            float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f, s4 = 0f, s5 = 0f, s6 = 0f, s7 = 0f;
            for (int c = lo; c < hi; c += STAGE) {
                int len = Math.min(STAGE, hi - c), i = 0;
                System.arraycopy(x, c, st, 0, len);
                for (; i + 7 < len; i += 8) {
                    s0 += st[i];
                    s1 += st[i + 1];
                    s2 += st[i + 2];
                    s3 += st[i + 3];
                    s4 += st[i + 4];
                    s5 += st[i + 5];
                    s6 += st[i + 6];
                    s7 += st[i + 7];
                }
                for (; i < len; i++) s0 += st[i];
            }
            partial[blk] = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
        });
        return total(partial);
    }

    static double norm1(Parallel par, float[] x) {
        double[] partial = new double[Parallel.blocks(x.length)];
        par.forEachBlock(x.length, blk -> {
            int lo = blk * BLOCK, hi = Math.min(x.length, lo + BLOCK);
            float[] st = new float[STAGE];
            float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f, s4 = 0f, s5 = 0f, s6 = 0f, s7 = 0f;
            for (int c = lo; c < hi; c += STAGE) {
                int len = Math.min(STAGE, hi - c), i = 0;
                System.arraycopy(x, c, st, 0, len);
                for (; i + 7 < len; i += 8) {
                    s0 += Math.abs(st[i]);
                    s1 += Math.abs(st[i + 1]);
                    s2 += Math.abs(st[i + 2]);
                    s3 += Math.abs(st[i + 3]);
                    s4 += Math.abs(st[i + 4]);
                    s5 += Math.abs(st[i + 5]);
                    s6 += Math.abs(st[i + 6]);
                    s7 += Math.abs(st[i + 7]);
                }
                for (; i < len; i++) s0 += Math.abs(st[i]);
            }
            partial[blk] = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
        });
        return total(partial);
    }

    /** Σ a² accumulates in double even within a block: squares of |a| > 1.8e19 overflow float. */
    static double sumSquares(Parallel par, float[] x) {
        double[] partial = new double[Parallel.blocks(x.length)];
        par.forEachBlock(x.length, blk -> {
            int lo = blk * BLOCK, hi = Math.min(x.length, lo + BLOCK);
            float[] st = new float[STAGE];
            double s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
            for (int c = lo; c < hi; c += STAGE) {
                int len = Math.min(STAGE, hi - c), i = 0;
                System.arraycopy(x, c, st, 0, len);
                for (; i + 7 < len; i += 8) {
                    double v0 = st[i], v1 = st[i + 1], v2 = st[i + 2], v3 = st[i + 3];
                    double v4 = st[i + 4], v5 = st[i + 5], v6 = st[i + 6], v7 = st[i + 7];
                    s0 = Math.fma(v0, v0, s0);
                    s1 = Math.fma(v1, v1, s1);
                    s2 = Math.fma(v2, v2, s2);
                    s3 = Math.fma(v3, v3, s3);
                    s4 = Math.fma(v4, v4, s4);
                    s5 = Math.fma(v5, v5, s5);
                    s6 = Math.fma(v6, v6, s6);
                    s7 = Math.fma(v7, v7, s7);
                }
                for (; i < len; i++) s0 = Math.fma((double) st[i], st[i], s0);
            }
            partial[blk] = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
        });
        return total(partial);
    }

    /** Σ a·b, float fmas within a block. */
    static double dot(Parallel par, float[] x, float[] y) {
        double[] partial = new double[Parallel.blocks(x.length)];
        par.forEachBlock(x.length, blk -> {
            int lo = blk * BLOCK, hi = Math.min(x.length, lo + BLOCK);
            float[] sx = new float[STAGE], sy = new float[STAGE];
            float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f, s4 = 0f, s5 = 0f, s6 = 0f, s7 = 0f;
            for (int c = lo; c < hi; c += STAGE) {
                int len = Math.min(STAGE, hi - c), i = 0;
                System.arraycopy(x, c, sx, 0, len);
                System.arraycopy(y, c, sy, 0, len);
                for (; i + 7 < len; i += 8) {
                    s0 = Math.fma(sx[i], sy[i], s0);
                    s1 = Math.fma(sx[i + 1], sy[i + 1], s1);
                    s2 = Math.fma(sx[i + 2], sy[i + 2], s2);
                    s3 = Math.fma(sx[i + 3], sy[i + 3], s3);
                    s4 = Math.fma(sx[i + 4], sy[i + 4], s4);
                    s5 = Math.fma(sx[i + 5], sy[i + 5], s5);
                    s6 = Math.fma(sx[i + 6], sy[i + 6], s6);
                    s7 = Math.fma(sx[i + 7], sy[i + 7], s7);
                }
                for (; i < len; i++) s0 = Math.fma(sx[i], sy[i], s0);
            }
            partial[blk] = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
        });
        return total(partial);
    }

    /**
     * {Σ a², Σ b², Σ a·b} in one pass, each in double within a block and across blocks in order
     * (SLERP needs all three; one pass reads a and b once instead of three times).
     */
    static double[] squaresAndDot(Parallel par, float[] x, float[] y) {
        int blocks = Parallel.blocks(x.length);
        double[] partial = new double[3 * blocks];
        par.forEachBlock(x.length, blk -> {
            int lo = blk * BLOCK, hi = Math.min(x.length, lo + BLOCK);
            float[] sx = new float[STAGE], sy = new float[STAGE];
            double xx0 = 0, xx1 = 0, yy0 = 0, yy1 = 0, xy0 = 0, xy1 = 0;
            for (int c = lo; c < hi; c += STAGE) {
                int len = Math.min(STAGE, hi - c), i = 0;
                System.arraycopy(x, c, sx, 0, len);
                System.arraycopy(y, c, sy, 0, len);
                for (; i + 1 < len; i += 2) {
                    double a0 = sx[i], b0 = sy[i], a1 = sx[i + 1], b1 = sy[i + 1];
                    xx0 = Math.fma(a0, a0, xx0);
                    yy0 = Math.fma(b0, b0, yy0);
                    xy0 = Math.fma(a0, b0, xy0);
                    xx1 = Math.fma(a1, a1, xx1);
                    yy1 = Math.fma(b1, b1, yy1);
                    xy1 = Math.fma(a1, b1, xy1);
                }
                for (; i < len; i++) {
                    double a0 = sx[i], b0 = sy[i];
                    xx0 = Math.fma(a0, a0, xx0);
                    yy0 = Math.fma(b0, b0, yy0);
                    xy0 = Math.fma(a0, b0, xy0);
                }
            }
            partial[3 * blk] = xx0 + xx1;
            partial[3 * blk + 1] = yy0 + yy1;
            partial[3 * blk + 2] = xy0 + xy1;
        });
        double[] t = new double[3];
        for (int blk = 0; blk < blocks; blk++)
            for (int j = 0; j < 3; j++) t[j] += partial[3 * blk + j];
        return t;
    }

    /** The blocks' partial sums added in block order: the same on any number of threads. */
    static double total(double[] partial) {
        double t = 0;
        for (double p : partial) t += p;
        return t;
    }

    /** The largest element; NaN when any is (Math.max propagates it); −∞ when empty. Exact in any order. */
    static float max(Parallel par, float[] x) {
        float[] partial = new float[Parallel.blocks(x.length)];
        par.forEachBlock(x.length, blk -> {
            int lo = blk * BLOCK, hi = Math.min(x.length, lo + BLOCK);
            float[] st = new float[STAGE];
            float m0 = Float.NEGATIVE_INFINITY, m1 = m0, m2 = m0, m3 = m0;
            for (int c = lo; c < hi; c += STAGE) {
                int len = Math.min(STAGE, hi - c), i = 0;
                System.arraycopy(x, c, st, 0, len);
                for (; i + 3 < len; i += 4) {
                    m0 = Math.max(m0, st[i]);
                    m1 = Math.max(m1, st[i + 1]);
                    m2 = Math.max(m2, st[i + 2]);
                    m3 = Math.max(m3, st[i + 3]);
                }
                for (; i < len; i++) m0 = Math.max(m0, st[i]);
            }
            partial[blk] = Math.max(Math.max(m0, m1), Math.max(m2, m3));
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
                for (int c = 1; c < cols; c++) {
                    float v = x[base + c];
                    if (v > bestValue) { // strict: the first of equals wins, and NaN never does (but column 0)
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
