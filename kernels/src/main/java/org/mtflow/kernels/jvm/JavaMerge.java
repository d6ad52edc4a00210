package org.mtflow.kernels.jvm;

import static org.mtflow.kernels.jvm.JavaElementwise.S1;
import static org.mtflow.kernels.jvm.JavaElementwise.S2;
import static org.mtflow.kernels.jvm.Parallel.BLOCK;

import org.mtflow.kernels.TensorOps;
import org.mtflow.kernels.TensorOps.SignElection;
import org.mtflow.kernels.random.Philox;

/**
 * Model-merging primitives over task vectors: sign election, disjoint merge, masks, DARE's
 * drop-and-rescale, SLERP. The K-input ops read up to four task vectors in one loop (all indexed by
 * the same i, so C2 vectorizes it), accumulating in {@code out}; a group short of four repeats its
 * last input with weight 0, which costs no memory traffic (the line is already in L1).
 */
final class JavaMerge {
    /** Elements per pass over a group of inputs: the accumulator chunk stays in L1 across groups. */
    private static final int CHUNK = 4096;

    private JavaMerge() {}

    /** {@link Math#signum(float)} as min/max steps (C2 vectorizes those; it does not vectorize branches). */
    private static float sgn(float v) {
        return Math.min(Math.max(v * S1 * S2, -1f), 1f);
    }

    /** 1 where v > 0, 0 where v ≤ 0 (NaN stays NaN). */
    private static float positive(float v) {
        return Math.min(Math.max(v * S1 * S2, 0f), 1f);
    }

    /**
     * SUM: {@code sign(x0 + x1 + …)} summed in float in input order; COUNT: {@code sign(Σ sign(x_k))},
     * exact. Zero comes out as +0.
     */
    static void electSign(Parallel par, float[][] xs, SignElection mode, float[] out) {
        int n = out.length, groups = (xs.length + 3) / 4;
        boolean count = mode == SignElection.COUNT;
        par.forEachBlock(n, blk -> {
            int blockEnd = Math.min(n, blk * BLOCK + BLOCK);
            for (int lo = blk * BLOCK; lo < blockEnd; lo += CHUNK) {
                int hi = Math.min(blockEnd, lo + CHUNK);
                for (int g = 0; g < groups; g++) {
                    int k = 4 * g, live = Math.min(4, xs.length - k);
                    float[] x0 = xs[k], x1 = xs[k + Math.min(1, live - 1)], x2 = xs[k + Math.min(2, live - 1)],
                            x3 = xs[k + live - 1];
                    float u1 = live > 1 ? 1f : 0f, u2 = live > 2 ? 1f : 0f, u3 = live > 3 ? 1f : 0f;
                    boolean first = g == 0;
                    if (count) {
                        // One input per loop: four sign steps in one loop body kept C2 from vectorizing it.
                        for (int j = k; j < k + live; j++) {
                            float[] xj = xs[j];
                            if (j == 0) {
                                for (int i = lo; i < hi; i++) out[i] = sgn(xj[i]);
                            } else {
                                for (int i = lo; i < hi; i++) out[i] += sgn(xj[i]);
                            }
                        }
                    } else if (first) {
                        // The first group starts the sum at x0, later groups add in input order.
                        for (int i = lo; i < hi; i++) out[i] = x0[i] + u1 * x1[i] + u2 * x2[i] + u3 * x3[i];
                    } else {
                        for (int i = lo; i < hi; i++) out[i] = out[i] + x0[i] + u1 * x1[i] + u2 * x2[i] + u3 * x3[i];
                    }
                }
                for (int i = lo; i < hi; i++) out[i] = sgn(out[i]) + 0f; // + 0f: −0 becomes +0
            }
        });
    }

    /**
     * Over the x_k with {@code x_k · sign(s) > 0} (non-zero and agreeing with a non-zero sign): their
     * sum, or their mean; 0 where none agree. Summed in float in input order.
     */
    static void disjointMerge(Parallel par, float[][] xs, float[] sign, boolean mean, float[] out) {
        int n = out.length, groups = (xs.length + 3) / 4;
        // With more than one group the agreeing counts need their own array (same index as out).
        float[] counts = mean && groups > 1 ? new float[n] : null;
        par.forEachBlock(n, blk -> {
            int blockEnd = Math.min(n, blk * BLOCK + BLOCK);
            for (int lo = blk * BLOCK; lo < blockEnd; lo += CHUNK) {
                int hi = Math.min(blockEnd, lo + CHUNK);
                for (int g = 0; g < groups; g++) {
                    int k = 4 * g, live = Math.min(4, xs.length - k);
                    float[] x0 = xs[k], x1 = xs[k + Math.min(1, live - 1)], x2 = xs[k + Math.min(2, live - 1)],
                            x3 = xs[k + live - 1];
                    float u1 = live > 1 ? 1f : 0f, u2 = live > 2 ? 1f : 0f, u3 = live > 3 ? 1f : 0f;
                    boolean first = g == 0;
                    if (groups == 1 && mean) {
                        for (int i = lo; i < hi; i++) {
                            float s = sgn(sign[i]);
                            float a0 = x0[i], a1 = x1[i], a2 = x2[i], a3 = x3[i];
                            float w0 = positive(a0 * s), w1 = u1 * positive(a1 * s), w2 = u2 * positive(a2 * s),
                                    w3 = u3 * positive(a3 * s);
                            float sum = w0 * a0 + w1 * a1 + w2 * a2 + w3 * a3;
                            out[i] = sum / Math.max(w0 + w1 + w2 + w3, 1f) + 0f;
                        }
                    } else {
                        // Separate loops for the first group: a select inside would stop C2 vectorizing.
                        if (first) {
                            for (int i = lo; i < hi; i++) out[i] = agreeingSum(sign[i], x0[i], x1[i], x2[i], x3[i], u1, u2, u3);
                        } else {
                            for (int i = lo; i < hi; i++) {
                                out[i] = out[i] + agreeingSum(sign[i], x0[i], x1[i], x2[i], x3[i], u1, u2, u3);
                            }
                        }
                        if (counts != null && first) {
                            for (int i = lo; i < hi; i++) counts[i] = agreeing(sign[i], x0[i], x1[i], x2[i], x3[i], u1, u2, u3);
                        } else if (counts != null) {
                            for (int i = lo; i < hi; i++) {
                                counts[i] = counts[i] + agreeing(sign[i], x0[i], x1[i], x2[i], x3[i], u1, u2, u3);
                            }
                        }
                    }
                }
                if (counts != null) {
                    for (int i = lo; i < hi; i++) out[i] = out[i] / Math.max(counts[i], 1f) + 0f;
                } else if (!mean) {
                    for (int i = lo; i < hi; i++) out[i] = out[i] + 0f;
                }
            }
        });
    }

    /** Σ of the inputs that agree with sign(s), the k-th weighted by u_k (0 for a repeated input). */
    private static float agreeingSum(float sign, float a0, float a1, float a2, float a3, float u1, float u2, float u3) {
        float s = sgn(sign);
        return positive(a0 * s) * a0 + u1 * positive(a1 * s) * a1 + u2 * positive(a2 * s) * a2
                + u3 * positive(a3 * s) * a3;
    }

    /** How many of the inputs agree with sign(s). */
    private static float agreeing(float sign, float a0, float a1, float a2, float a3, float u1, float u2, float u3) {
        float s = sgn(sign);
        return positive(a0 * s) + u1 * positive(a1 * s) + u2 * positive(a2 * s) + u3 * positive(a3 * s);
    }

    /**
     * {@code mask = |a| ≥ t ? 1 : 0} (NaN elements give 0), branch-free: {@code 1 − positive(t − |a|)}
     * (t − |a| is 0 only when they are equal, gradual underflow guarantees it), so C2 vectorizes it;
     * a NaN element gives NaN there and is fixed to 0 by a second, nearly always idle, loop. t = NaN
     * or +∞ (where ∞ − ∞ is NaN) take the plain comparison.
     */
    static void maskAtLeast(Parallel par, float[] x, float t, float[] mask) {
        boolean plain = t != t || t == Float.POSITIVE_INFINITY;
        par.forEachBlock(mask.length, blk -> {
            int lo = blk * BLOCK, hi = Math.min(mask.length, lo + BLOCK);
            if (plain) {
                for (int i = lo; i < hi; i++) mask[i] = Math.abs(x[i]) >= t ? 1f : 0f;
                return;
            }
            for (int i = lo; i < hi; i++) mask[i] = 1f - positive(t - Math.abs(x[i]));
            for (int i = lo; i < hi; i++) if (mask[i] != mask[i]) mask[i] = 0f;
        });
    }

    /**
     * DARE: element i is kept iff {@code (bits(seed, stream, i) >>> 8) ≥ round(p·2^24)}, then scaled
     * by the float {@code 1f / (1f − p)}; dropped elements are +0. p = 1 drops everything. Element j
     * of x is element offset + j of the whole tensor: an offset off the 16-element block grid draws
     * each element on its own (slower, same bits).
     */
    static void dropAndRescale(Parallel par, float[] x, float p, long seed, long stream, long offset, float[] out) {
        int threshold = dropThreshold(p);
        float scale = 1f / (1f - p);
        int k0 = (int) seed, k1 = (int) (seed >>> 32), s0 = (int) stream, s1 = (int) (stream >>> 32);
        boolean aligned = offset % 16 == 0;
        par.forEach(Parallel.blocks(out.length), out.length >= Parallel.MIN_PARALLEL_ELEMENTS / 16, blk -> {
            int lo = blk * BLOCK, hi = Math.min(out.length, lo + BLOCK); // BLOCK is a multiple of 4
            if (!aligned) {
                for (int i = lo; i < hi; i++) {
                    out[i] = (Philox.bits(seed, stream, offset + i) >>> 8) >= threshold ? x[i] * scale : 0f;
                }
                return;
            }
            int[] w = new int[16];
            for (int b = lo; b < hi; b += 16) { // blocks start at multiples of 16
                Philox.block4((int) ((offset + b) >>> 2), s0, s1, k0, k1, w);
                for (int j = 0; j < 16 && b + j < hi; j++) {
                    out[b + j] = (w[j] >>> 8) >= threshold ? x[b + j] * scale : 0f;
                }
            }
        });
    }

    /** DARE keeps element i iff {@code (bits(i) >>> 8) >= dropThreshold(p)}: round(p·2^24), half up. */
    static int dropThreshold(float p) {
        return Math.round(p * 0x1p24f);
    }

    /**
     * SLERP of flat vectors: θ from the cosine (dot and norms in one double pass); where
     * |cos θ| > 0.9995, or either vector is all zeros, linear interpolation. The coefficients are
     * computed in double, rounded to float, and {@code out = fma(cb, b, ca·a)}.
     */
    static void slerp(Parallel par, float[] a, float[] b, float t, float[] out) {
        double[] s = JavaReduce.squaresAndDot(par, a, b);
        double[] w = TensorOps.slerpWeights(s[0], s[1], s[2], t);
        float fa = (float) w[0], fb = (float) w[1];
        par.forEachBlock(out.length, blk -> {
            int lo = blk * BLOCK, hi = Math.min(out.length, lo + BLOCK);
            for (int i = lo; i < hi; i++) out[i] = Math.fma(fb, b[i], fa * a[i]);
        });
    }
}
