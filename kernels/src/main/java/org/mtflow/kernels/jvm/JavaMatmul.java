package org.mtflow.kernels.jvm;

import java.util.Arrays;

/**
 * Matrix product {@code C = op(A)·op(B)} in plain Java, written so that HotSpot C2 vectorizes it.
 *
 * <p>C2 vectorizes a loop only when every array in it is indexed by the same expression, so B is
 * repacked into panels of at most {@link #NB} columns, each panel row its own {@code float[]}, and
 * each task accumulates its tile of C in row arrays of the same width. The inner loop then updates
 * 6 rows of C from 3 rows of B (3 k-steps) with 18 scalar elements of A held in registers: 18 FMAs
 * per 3 loads of B and 6 loads and stores of C. It needs {@code -XX:LoopUnrollLimit=250}: without
 * it C2 does not unroll, hence does not vectorize, a body this big. (Measured on Java 17: C2
 * vectorized the 6 × 3 shape with B held in locals; with 4 or more k-steps held in locals it never
 * did, and 4 × 4 reloading B ran ~10 % slower.)
 *
 * <p>Determinism: every element of C is computed by one task, as one chain of FMAs in increasing k,
 * so the result does not depend on the thread count.
 */
final class JavaMatmul {
    /** Columns of a B panel and of a C tile: one C strip (6 × NB) and 3 B rows stay in L1. */
    static final int NB = 512;
    /** Rows of B (k-steps) per block, a multiple of Q: a B block (KB × NB) stays in L2 while C strips pass. */
    static final int KB = 255;
    /** Rows of C per task at most, a multiple of R (fewer when m is small, to give every thread work). */
    static final int MB = 60;
    /** Rows of C per strip and k-steps per inner loop of {@link #kernel6x3}. */
    private static final int R = 6, Q = 3;
    /** Below this many multiply-adds the product runs on the calling thread. */
    private static final long MIN_PARALLEL_FMAS = 1L << 18;

    private JavaMatmul() {}

    /**
     * {@code c[m,n] = op(a)·op(b)}, op(a) being [m,k] and op(b) [k,n]: a is stored [m,k], or [k,m]
     * when {@code ta}; b is stored [k,n], or [n,k] when {@code tb}. c must not alias a or b.
     */
    static void matmul(Parallel par, float[] a, boolean ta, float[] b, boolean tb, float[] c, int m, int k, int n) {
        if (m == 0 || n == 0) return;
        if (k == 0) {
            Arrays.fill(c, 0, m * n, 0f);
            return;
        }
        boolean fork = (long) m * n * k >= MIN_PARALLEL_FMAS;
        int panels = (n + NB - 1) / NB;
        int kBlocks = (k + KB - 1) / KB;
        // packed[panel][p] is row p of B restricted to the panel's columns.
        float[][][] packed = new float[panels][k][];
        par.forEach(panels * kBlocks, fork, task -> {
            int panel = task / kBlocks, kb = task % kBlocks;
            packB(b, tb, k, n, panel, kb, packed[panel]);
        });
        // Rows per task: ~4 tasks per thread when m is small. Any split gives the same bits: a task
        // only decides who computes an element, not how.
        int mb = Math.min(MB, Math.max(R, (m + 4 * par.threads() * R - 1) / (4 * par.threads() * R) * R));
        int rowBlocks = (m + mb - 1) / mb;
        par.forEach(rowBlocks * panels, fork, task -> {
            int rb = task / panels, panel = task % panels;
            int i0 = rb * mb, i1 = Math.min(m, i0 + mb), j0 = panel * NB;
            if (n - j0 >= NB) tileFull(a, ta, packed[panel], c, m, k, n, i0, i1, j0);
            else tileNarrow(a, ta, packed[panel], c, m, k, n, i0, i1, j0);
        });
    }

    private static void packB(float[] b, boolean tb, int k, int n, int panel, int kb, float[][] rows) {
        int j0 = panel * NB, w = Math.min(NB, n - j0);
        int p0 = kb * KB, p1 = Math.min(k, p0 + KB);
        for (int p = p0; p < p1; p++) rows[p] = new float[w];
        if (!tb) {
            for (int p = p0; p < p1; p++) System.arraycopy(b, p * n + j0, rows[p], 0, w);
        } else {
            // b is [n,k]: read along k (contiguous), scatter across the row arrays.
            for (int j = 0; j < w; j++) {
                int src = (j0 + j) * k;
                for (int p = p0; p < p1; p++) rows[p][j] = b[src + p];
            }
        }
    }

    /**
     * Rows [i0, i1) × the full-width panel at column j0 ({@link #NB} columns) of C, from all of k.
     * {@link #tileNarrow} is the same code for narrower panels, kept apart (and calling its own
     * kernels) so that each has its own profile and compilation: sharing one, a JVM that first ran
     * many narrow products (an MLP's 128- and 10-column layers) compiled the inner loop for short
     * trips and left later 1024³ products scalar at ~30 GFLOP/s.
     */
    private static void tileFull(float[] a, boolean ta, float[][] bRows, float[] c, int m, int k, int n, int i0, int i1,
                                 int j0) {
        int rows = i1 - i0, paddedRows = (rows + R - 1) / R * R;
        float[][] acc = new float[paddedRows][NB];
        // A's values for one strip and one k-block, k-major: aPack[(p - p0) * R + r] = op(A)[i + r][p].
        float[] aPack = new float[KB * R];
        for (int p0 = 0; p0 < k; p0 += KB) {
            int p1 = Math.min(k, p0 + KB), kw = p1 - p0, kq = kw - kw % Q;
            for (int s = 0; s < paddedRows; s += R) {
                packA(a, ta, m, k, i0 + s, Math.min(R, rows - s), p0, kw, aPack);
                float[] c0 = acc[s], c1 = acc[s + 1], c2 = acc[s + 2], c3 = acc[s + 3], c4 = acc[s + 4], c5 = acc[s + 5];
                int e = 0;
                for (int p = 0; p < kq; p += Q, e += Q * R) {
                    kernel6x3(c0, c1, c2, c3, c4, c5, bRows[p0 + p], bRows[p0 + p + 1], bRows[p0 + p + 2], NB,
                            aPack[e], aPack[e + 6], aPack[e + 12], aPack[e + 1], aPack[e + 7], aPack[e + 13],
                            aPack[e + 2], aPack[e + 8], aPack[e + 14], aPack[e + 3], aPack[e + 9], aPack[e + 15],
                            aPack[e + 4], aPack[e + 10], aPack[e + 16], aPack[e + 5], aPack[e + 11], aPack[e + 17]);
                }
                for (int p = kq; p < kw; p++, e += R) {
                    kernel6x1(c0, c1, c2, c3, c4, c5, bRows[p0 + p], NB,
                            aPack[e], aPack[e + 1], aPack[e + 2], aPack[e + 3], aPack[e + 4], aPack[e + 5]);
                }
            }
        }
        for (int s = 0; s < rows; s++) System.arraycopy(acc[s], 0, c, (i0 + s) * n + j0, NB);
    }

    /**
     * {@link #tileFull} for a panel narrower than {@link #NB} (the last one, or all when n < NB).
     * Known weakness: whether C2 vectorizes this one depends on what the JVM ran first (measured: a
     * 256³ product at 74 GFLOP/s in a fresh JVM, 20 after many 64×784×128 ones).
     */
    private static void tileNarrow(float[] a, boolean ta, float[][] bRows, float[] c, int m, int k, int n, int i0,
                                   int i1, int j0) {
        int w = n - j0;
        int rows = i1 - i0, paddedRows = (rows + R - 1) / R * R;
        float[][] acc = new float[paddedRows][w];
        float[] aPack = new float[KB * R];
        for (int p0 = 0; p0 < k; p0 += KB) {
            int p1 = Math.min(k, p0 + KB), kw = p1 - p0, kq = kw - kw % Q;
            for (int s = 0; s < paddedRows; s += R) {
                packA(a, ta, m, k, i0 + s, Math.min(R, rows - s), p0, kw, aPack);
                float[] c0 = acc[s], c1 = acc[s + 1], c2 = acc[s + 2], c3 = acc[s + 3], c4 = acc[s + 4], c5 = acc[s + 5];
                int e = 0;
                for (int p = 0; p < kq; p += Q, e += Q * R) {
                    kernel6x3Narrow(c0, c1, c2, c3, c4, c5, bRows[p0 + p], bRows[p0 + p + 1], bRows[p0 + p + 2], w,
                            aPack[e], aPack[e + 6], aPack[e + 12], aPack[e + 1], aPack[e + 7], aPack[e + 13],
                            aPack[e + 2], aPack[e + 8], aPack[e + 14], aPack[e + 3], aPack[e + 9], aPack[e + 15],
                            aPack[e + 4], aPack[e + 10], aPack[e + 16], aPack[e + 5], aPack[e + 11], aPack[e + 17]);
                }
                for (int p = kq; p < kw; p++, e += R) {
                    kernel6x1Narrow(c0, c1, c2, c3, c4, c5, bRows[p0 + p], w,
                            aPack[e], aPack[e + 1], aPack[e + 2], aPack[e + 3], aPack[e + 4], aPack[e + 5]);
                }
            }
        }
        for (int s = 0; s < rows; s++) System.arraycopy(acc[s], 0, c, (i0 + s) * n + j0, w);
    }

    /** op(A)[i + r][p0 + q] for r < live, q < kw into out[q * R + r]; rows past live are zeros. */
    private static void packA(float[] a, boolean ta, int m, int k, int i, int live, int p0, int kw, float[] out) {
        if (live < R) Arrays.fill(out, 0, kw * R, 0f);
        if (!ta) {
            for (int r = 0; r < live; r++) {
                int src = (i + r) * k + p0;
                for (int q = 0; q < kw; q++) out[q * R + r] = a[src + q];
            }
        } else {
            // Stored [k,m]: the strip's rows are adjacent in each stored row; one cache line per q.
            for (int q = 0; q < kw; q++) {
                int src = (p0 + q) * m + i;
                for (int r = 0; r < live; r++) out[q * R + r] = a[src + r];
            }
        }
    }

    /**
     * c_r[j] += Σ_q a_rq · b_q[j] for 6 rows r and 3 k-steps q: the hot loop. 6 × 3 with B in locals
     * is the shape C2 vectorized reliably here; 4 k-steps with B in locals it never vectorized.
     */
    private static void kernel6x3(float[] c0, float[] c1, float[] c2, float[] c3, float[] c4, float[] c5,
                                  float[] b0, float[] b1, float[] b2, int w,
                                  float a00, float a01, float a02, float a10, float a11, float a12,
                                  float a20, float a21, float a22, float a30, float a31, float a32,
                                  float a40, float a41, float a42, float a50, float a51, float a52) {
        for (int j = 0; j < w; j++) {
            float x0 = b0[j], x1 = b1[j], x2 = b2[j];
            c0[j] = Math.fma(a02, x2, Math.fma(a01, x1, Math.fma(a00, x0, c0[j])));
            c1[j] = Math.fma(a12, x2, Math.fma(a11, x1, Math.fma(a10, x0, c1[j])));
            c2[j] = Math.fma(a22, x2, Math.fma(a21, x1, Math.fma(a20, x0, c2[j])));
            c3[j] = Math.fma(a32, x2, Math.fma(a31, x1, Math.fma(a30, x0, c3[j])));
            c4[j] = Math.fma(a42, x2, Math.fma(a41, x1, Math.fma(a40, x0, c4[j])));
            c5[j] = Math.fma(a52, x2, Math.fma(a51, x1, Math.fma(a50, x0, c5[j])));
        }
    }

    /** {@link #kernel6x3} for {@link #tileNarrow}: the same loop, its own profile. */
    private static void kernel6x3Narrow(float[] c0, float[] c1, float[] c2, float[] c3, float[] c4, float[] c5,
                                        float[] b0, float[] b1, float[] b2, int w,
                                        float a00, float a01, float a02, float a10, float a11, float a12,
                                        float a20, float a21, float a22, float a30, float a31, float a32,
                                        float a40, float a41, float a42, float a50, float a51, float a52) {
        for (int j = 0; j < w; j++) {
            float x0 = b0[j], x1 = b1[j], x2 = b2[j];
            c0[j] = Math.fma(a02, x2, Math.fma(a01, x1, Math.fma(a00, x0, c0[j])));
            c1[j] = Math.fma(a12, x2, Math.fma(a11, x1, Math.fma(a10, x0, c1[j])));
            c2[j] = Math.fma(a22, x2, Math.fma(a21, x1, Math.fma(a20, x0, c2[j])));
            c3[j] = Math.fma(a32, x2, Math.fma(a31, x1, Math.fma(a30, x0, c3[j])));
            c4[j] = Math.fma(a42, x2, Math.fma(a41, x1, Math.fma(a40, x0, c4[j])));
            c5[j] = Math.fma(a52, x2, Math.fma(a51, x1, Math.fma(a50, x0, c5[j])));
        }
    }

    /** One k-step for 6 rows: the k remainder. */
    private static void kernel6x1(float[] c0, float[] c1, float[] c2, float[] c3, float[] c4, float[] c5,
                                  float[] b0, int w, float a0, float a1, float a2, float a3, float a4, float a5) {
        for (int j = 0; j < w; j++) {
            float x = b0[j];
            c0[j] = Math.fma(a0, x, c0[j]);
            c1[j] = Math.fma(a1, x, c1[j]);
            c2[j] = Math.fma(a2, x, c2[j]);
            c3[j] = Math.fma(a3, x, c3[j]);
            c4[j] = Math.fma(a4, x, c4[j]);
            c5[j] = Math.fma(a5, x, c5[j]);
        }
    }
    /** {@link #kernel6x1} for {@link #tileNarrow}. */
    private static void kernel6x1Narrow(float[] c0, float[] c1, float[] c2, float[] c3, float[] c4, float[] c5,
                                        float[] b0, int w, float a0, float a1, float a2, float a3, float a4, float a5) {
        for (int j = 0; j < w; j++) {
            float x = b0[j];
            c0[j] = Math.fma(a0, x, c0[j]);
            c1[j] = Math.fma(a1, x, c1[j]);
            c2[j] = Math.fma(a2, x, c2[j]);
            c3[j] = Math.fma(a3, x, c3[j]);
            c4[j] = Math.fma(a4, x, c4[j]);
            c5[j] = Math.fma(a5, x, c5[j]);
        }
    }
}
