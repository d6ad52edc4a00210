package org.mtflow.kernels.jvm;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Matrix product {@code C = op(A)·op(B)} with the Vector API: a register-blocked micro-kernel that
 * holds a 6 × 2-vector tile of C in 12 vector registers over a whole k-block, so each k-step is
 * 12 FMAs for 2 loads of B and 6 broadcasts of A, where {@link JavaMatmul}'s auto-vectorized loop
 * loads and stores C at every step. B is packed once per call into micro-panels of {@link #NR}
 * columns, contiguous along k, and A once into 6-row strips, k-major, that all tasks share. Narrow products (an
 * MLP's 256- and 10-column layers) run as fast per FMA as wide ones: no loop here depends on C2's
 * profile of trip counts. Only {@link JavaOps} calls this class, when the JVM has the module.
 *
 * <p>Determinism: every element of C is one chain of FMAs in increasing k starting from 0, the same
 * bits as {@link JavaMatmul} and the OpenCL kernels, on any thread count (tasks only decide who
 * computes a tile, and k-blocks pass a tile's partial sums through memory exactly).
 */
final class VectorMatmul {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    /** Rows and columns of the register tile. */
    static final int MR = 6, NR = 2 * L;
    /** k-steps per block: a B micro-panel block (KB × NR) stays in L1 while the task's row strips pass. */
    static final int KB = 256;
    /** Rows of C per task (twice as many for big products), a multiple of MR: B's micro-panel block serves 8 row strips from L1. */
    static final int MB = 48;
    /** Micro-panels (of NR columns) per task (4× as many for big products). */
    static final int PANELS_PER_TASK = 4;
    /** Below this many multiply-adds (~20 µs of work) the product runs on the calling thread. */
    private static final long MIN_PARALLEL_FMAS = 1L << 21;

    private VectorMatmul() {}

    /** As {@link JavaMatmul#matmul}. */
    static void matmul(Parallel par, float[] a, boolean ta, float[] b, boolean tb, float[] c, int m, int k, int n) {
        if (m == 0 || n == 0) return;
        if (k == 0) {
            java.util.Arrays.fill(c, 0, m * n, 0f);
            return;
        }
        boolean fork = (long) m * n * k >= MIN_PARALLEL_FMAS;
        int panels = (n + NR - 1) / NR;
        // bPack[(panel * k + p) * NR + jj] = op(B)[p][panel * NR + jj], zero past n.
        float[] bPack = packScratch(PACK, panels * k * NR);
        par.forEach(panels, fork, panel -> packB(b, tb, k, n, panel, bPack));
        // aPack[(strip * k + p) * MR + r] = op(A)[strip * MR + r][p], zero past m: packed once per call,
        // not once per column group of tiles (4× for an MLP's 128-row products).
        int strips = (m + MR - 1) / MR;
        float[] aPack = packScratch(A_PACK, strips * k * MR);
        par.forEach(strips, fork,
                s -> packA(a, ta, m, k, s * MR, Math.min(MR, m - s * MR), 0, k, aPack, s * k * MR));
        // Tasks are fixed tiles of C (from the problem size only): many small ones balance two busy
        // cores better than one per thread, and which thread takes a tile never changes its bits.
        // Big products take 4× bigger tiles: fewer repacks of A, more reuse of each B block.
        boolean big = (long) m * n >= 1L << 20;
        int mb = big ? 2 * MB : MB, perTask = big ? 4 * PANELS_PER_TASK : PANELS_PER_TASK;
        int panelGroups = (panels + perTask - 1) / perTask;
        int rowBlocks = (m + mb - 1) / mb;
        par.forEach(rowBlocks * panelGroups, fork, task -> {
            int rb = task / panelGroups, pg = task % panelGroups;
            int i0 = rb * mb, i1 = Math.min(m, i0 + mb);
            int q0 = pg * perTask, q1 = Math.min(panels, q0 + perTask);
            tile(aPack, bPack, c, k, n, i0, i1, q0, q1);
        });
    }

    /** Most floats of packed A or B kept per calling thread between calls (16 MiB each). */
    private static final int KEPT_PACK = 1 << 22;
    private static final ThreadLocal<float[]> PACK = new ThreadLocal<>(), A_PACK = new ThreadLocal<>(), EDGE = new ThreadLocal<>();

    /**
     * A buffer for packed B (or A, or a task's edge tile), kept per thread up to {@link #KEPT_PACK}
     * floats: a fresh one per call (1.6 MB for an MLP's 784×512 weights) is a G1 humongous
     * allocation, and fresh per-task arrays cost more in allocation and zeroing than the packing
     * (measured: 128×784×512 at 45 GFLOP/s with them, on one thread; the 784×128×512 weight
     * gradient 70 → 90). Every element a product reads is written first: packA and packB zero-pad,
     * and an edge tile is either loaded from C or started from zero by the kernel.
     */
    private static float[] packScratch(ThreadLocal<float[]> slot, int size) {
        if (size > KEPT_PACK) return new float[size];
        float[] kept = slot.get();
        if (kept == null || kept.length < size) {
            kept = new float[size];
            slot.set(kept);
        }
        return kept;
    }

    private static void packB(float[] b, boolean tb, int k, int n, int panel, float[] out) {
        int j0 = panel * NR, w = Math.min(NR, n - j0), base = panel * k * NR;
        if (w < NR) {
            for (int p = 0; p < k; p++) java.util.Arrays.fill(out, base + p * NR + w, base + p * NR + NR, 0f);
        }
        if (!tb) {
            for (int p = 0; p < k; p++) System.arraycopy(b, p * n + j0, out, base + p * NR, w);
        } else {
            // b is [n,k]: each of the panel's columns is a contiguous stored row.
            for (int jj = 0; jj < w; jj++) {
                int src = (j0 + jj) * k;
                for (int p = 0; p < k; p++) out[base + p * NR + jj] = b[src + p];
            }
        }
    }

    /** Rows [i0, i1) × micro-panels [q0, q1) of C; i0 is a multiple of {@link #MR}. */
    private static void tile(float[] aPack, float[] bPack, float[] c, int k, int n, int i0, int i1, int q0, int q1) {
        int strips = (i1 - i0 + MR - 1) / MR, s0 = i0 / MR;
        float[] edge = packScratch(EDGE, MR * NR);
        for (int p0 = 0; p0 < k; p0 += KB) {
            int kb = Math.min(KB, k - p0);
            boolean first = p0 == 0;
            for (int q = q0; q < q1; q++) {
                int j0 = q * NR, w = Math.min(NR, n - j0);
                int bOff = (q * k + p0) * NR;
                for (int s = 0; s < strips; s++) {
                    int i = i0 + s * MR, rows = Math.min(MR, i1 - i);
                    int aOff = ((s0 + s) * k + p0) * MR;
                    if (rows == MR && w == NR) {
                        kernel(aPack, aOff, bPack, bOff, kb, c, i * n + j0, n, first);
                    } else {
                        // A partial tile runs on a full one in scratch: padded rows of A and columns of B are zeros.
                        if (!first) {
                            for (int r = 0; r < rows; r++) System.arraycopy(c, (i + r) * n + j0, edge, r * NR, w);
                        }
                        kernel(aPack, aOff, bPack, bOff, kb, edge, 0, NR, first);
                        for (int r = 0; r < rows; r++) System.arraycopy(edge, r * NR, c, (i + r) * n + j0, w);
                    }
                }
            }
        }
    }

    /** op(A)[i + r][p0 + q] for r < live, q < kw into out[off + q * MR + r]; rows past live are zeros. */
    private static void packA(float[] a, boolean ta, int m, int k, int i, int live, int p0, int kw, float[] out, int off) {
        if (live < MR) java.util.Arrays.fill(out, off, off + kw * MR, 0f);
        if (!ta) {
            for (int r = 0; r < live; r++) {
                int src = (i + r) * k + p0;
                for (int q = 0; q < kw; q++) out[off + q * MR + r] = a[src + q];
            }
        } else {
            for (int q = 0; q < kw; q++) {
                int src = (p0 + q) * m + i;
                for (int r = 0; r < live; r++) out[off + q * MR + r] = a[src + r];
            }
        }
    }

    /**
     * The 6 × NR tile of C at {@code c[cOff]} (row stride ldc) plus Σ over kb k-steps of the packed
     * A strip times the packed B micro-panel; starts from zero when {@code first}.
     */
    private static void kernel(float[] a, int aOff, float[] b, int bOff, int kb, float[] c, int cOff, int ldc, boolean first) {
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
        if (first) {
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = FloatVector.zero(F);
        } else {
            c00 = FloatVector.fromArray(F, c, cOff);
            c01 = FloatVector.fromArray(F, c, cOff + L);
            c10 = FloatVector.fromArray(F, c, cOff + ldc);
            c11 = FloatVector.fromArray(F, c, cOff + ldc + L);
            c20 = FloatVector.fromArray(F, c, cOff + 2 * ldc);
            c21 = FloatVector.fromArray(F, c, cOff + 2 * ldc + L);
            c30 = FloatVector.fromArray(F, c, cOff + 3 * ldc);
            c31 = FloatVector.fromArray(F, c, cOff + 3 * ldc + L);
            c40 = FloatVector.fromArray(F, c, cOff + 4 * ldc);
            c41 = FloatVector.fromArray(F, c, cOff + 4 * ldc + L);
            c50 = FloatVector.fromArray(F, c, cOff + 5 * ldc);
            c51 = FloatVector.fromArray(F, c, cOff + 5 * ldc + L);
        }
        for (int p = 0; p < kb; p++) {
            int bo = bOff + p * NR, ao = aOff + p * MR;
            FloatVector b0 = FloatVector.fromArray(F, b, bo), b1 = FloatVector.fromArray(F, b, bo + L);
            FloatVector x = FloatVector.broadcast(F, a[ao]);
            c00 = b0.fma(x, c00);
            c01 = b1.fma(x, c01);
            x = FloatVector.broadcast(F, a[ao + 1]);
            c10 = b0.fma(x, c10);
            c11 = b1.fma(x, c11);
            x = FloatVector.broadcast(F, a[ao + 2]);
            c20 = b0.fma(x, c20);
            c21 = b1.fma(x, c21);
            x = FloatVector.broadcast(F, a[ao + 3]);
            c30 = b0.fma(x, c30);
            c31 = b1.fma(x, c31);
            x = FloatVector.broadcast(F, a[ao + 4]);
            c40 = b0.fma(x, c40);
            c41 = b1.fma(x, c41);
            x = FloatVector.broadcast(F, a[ao + 5]);
            c50 = b0.fma(x, c50);
            c51 = b1.fma(x, c51);
        }
        c00.intoArray(c, cOff);
        c01.intoArray(c, cOff + L);
        c10.intoArray(c, cOff + ldc);
        c11.intoArray(c, cOff + ldc + L);
        c20.intoArray(c, cOff + 2 * ldc);
        c21.intoArray(c, cOff + 2 * ldc + L);
        c30.intoArray(c, cOff + 3 * ldc);
        c31.intoArray(c, cOff + 3 * ldc + L);
        c40.intoArray(c, cOff + 4 * ldc);
        c41.intoArray(c, cOff + 4 * ldc + L);
        c50.intoArray(c, cOff + 5 * ldc);
        c51.intoArray(c, cOff + 5 * ldc + L);
    }
}
