package org.mtflow.kernels.jvm;

import static org.mtflow.kernels.jvm.Parallel.BLOCK;

import org.mtflow.kernels.HalfFloats;
import org.mtflow.kernels.TensorOps.HalfType;

/**
 * Elementwise ops and casts. Each loop reads and writes index i only, so out may alias an input,
 * and indexes every array by the same i so that C2 vectorizes it; ternaries (which C2 does not
 * vectorize) are replaced by min/max step functions where the op is hot.
 */
final class JavaElementwise {
    /**
     * 2^100 · 2^49 = 2^149 in two steps (2^149 is not a float): scales the smallest subnormal to 1,
     * so {@code min(max(x·S1·S2, −1), 1)} is the sign of x, ±0 and NaN kept.
     */
    static final float S1 = 0x1p100f, S2 = 0x1p49f;

    private JavaElementwise() {}

    static void add(Parallel par, float[] x, float[] y, float[] z) {
        par.forEachBlock(z.length, blk -> {
            int lo = blk * BLOCK, hi = Math.min(z.length, lo + BLOCK);
            for (int i = lo; i < hi; i++) z[i] = x[i] + y[i];
        });
    }

    static void sub(Parallel par, float[] x, float[] y, float[] z) {
        par.forEachBlock(z.length, blk -> {
            int lo = blk * BLOCK, hi = Math.min(z.length, lo + BLOCK);
            for (int i = lo; i < hi; i++) z[i] = x[i] - y[i];
        });
    }

    static void mul(Parallel par, float[] x, float[] y, float[] z) {
        par.forEachBlock(z.length, blk -> {
            int lo = blk * BLOCK, hi = Math.min(z.length, lo + BLOCK);
            for (int i = lo; i < hi; i++) z[i] = x[i] * y[i];
        });
    }

    static void scale(Parallel par, float[] x, float s, float[] z) {
        par.forEachBlock(z.length, blk -> {
            int lo = blk * BLOCK, hi = Math.min(z.length, lo + BLOCK);
            for (int i = lo; i < hi; i++) z[i] = s * x[i];
        });
    }

    static void axpy(Parallel par, float alpha, float[] x, float[] y) {
        par.forEachBlock(y.length, blk -> {
            int lo = blk * BLOCK, hi = Math.min(y.length, lo + BLOCK);
            for (int i = lo; i < hi; i++) y[i] = Math.fma(alpha, x[i], y[i]);
        });
    }

    static void clamp(Parallel par, float[] x, float lo, float hi, float[] z) {
        par.forEachBlock(z.length, blk -> {
            int from = blk * BLOCK, to = Math.min(z.length, from + BLOCK);
            for (int i = from; i < to; i++) z[i] = Math.min(Math.max(x[i], lo), hi);
        });
    }

    /** {@link Math#signum(float)}, branch-free: 1, −1, ±0 kept, NaN kept. */
    static void sign(Parallel par, float[] x, float[] z) {
        par.forEachBlock(z.length, blk -> {
            int lo = blk * BLOCK, hi = Math.min(z.length, lo + BLOCK);
            for (int i = lo; i < hi; i++) z[i] = Math.min(Math.max(x[i] * S1 * S2, -1f), 1f);
        });
    }

    static void abs(Parallel par, float[] x, float[] z) {
        par.forEachBlock(z.length, blk -> {
            int lo = blk * BLOCK, hi = Math.min(z.length, lo + BLOCK);
            for (int i = lo; i < hi; i++) z[i] = Math.abs(x[i]);
        });
    }

    static void relu(Parallel par, float[] x, float[] z) {
        par.forEachBlock(z.length, blk -> {
            int lo = blk * BLOCK, hi = Math.min(z.length, lo + BLOCK);
            for (int i = lo; i < hi; i++) z[i] = Math.max(x[i], 0f);
        });
    }

    static void reluBackward(Parallel par, float[] x, float[] g, float[] z) {
        par.forEachBlock(z.length, blk -> {
            int lo = blk * BLOCK, hi = Math.min(z.length, lo + BLOCK);
            for (int i = lo; i < hi; i++) z[i] = x[i] > 0f ? g[i] : 0f;
        });
    }

    /** √(2/π) and the cubic coefficient of GELU's tanh form. */
    private static final double GELU_C = Math.sqrt(2 / Math.PI), GELU_A = 0.044715;

    /** 0.5·a·(1 + tanh u) = a / (1 + e^(−2u)): one exp, no overflow (e^(+∞) gives a/∞ = 0). */
    static void gelu(Parallel par, float[] x, float[] z) {
        par.forEachBlock(z.length, blk -> {
            int lo = blk * BLOCK, hi = Math.min(z.length, lo + BLOCK);
            for (int i = lo; i < hi; i++) {
                double a = x[i];
                double u = GELU_C * (a + GELU_A * a * a * a);
                z[i] = (float) (a / (1 + Math.exp(-2 * u)));
            }
        });
    }

    /** d/da of 0.5·a·(1 + tanh u): 0.5·(1 + t) + 0.5·a·(1 − t²)·u', t = tanh u. */
    static void geluBackward(Parallel par, float[] x, float[] g, float[] z) {
        par.forEachBlock(z.length, blk -> {
            int lo = blk * BLOCK, hi = Math.min(z.length, lo + BLOCK);
            for (int i = lo; i < hi; i++) {
                double a = x[i];
                double t = Math.tanh(GELU_C * (a + GELU_A * a * a * a));
                double du = GELU_C * (1 + 3 * GELU_A * a * a);
                z[i] = (float) (g[i] * (0.5 * (1 + t) + 0.5 * a * (1 - t * t) * du));
            }
        });
    }

    static void fill(Parallel par, float[] z, float value) {
        par.forEachBlock(z.length, blk -> {
            int lo = blk * BLOCK, hi = Math.min(z.length, lo + BLOCK);
            java.util.Arrays.fill(z, lo, hi, value);
        });
    }

    static void copy(Parallel par, float[] x, float[] z) {
        if (x == z) return;
        par.forEachBlock(z.length, blk -> {
            int lo = blk * BLOCK, hi = Math.min(z.length, lo + BLOCK);
            System.arraycopy(x, lo, z, lo, hi - lo);
        });
    }

    static void encodeHalf(Parallel par, float[] x, HalfType type, short[] out, int offset) {
        par.forEachBlock(x.length, blk -> {
            int lo = blk * BLOCK, n = Math.min(x.length, lo + BLOCK) - lo;
            if (type == HalfType.F16) HalfFloats.toHalf(x, lo, out, offset + lo, n);
            else HalfFloats.toBf16(x, lo, out, offset + lo, n);
        });
    }

    static void decodeHalf(Parallel par, short[] in, int offset, HalfType type, float[] z) {
        par.forEachBlock(z.length, blk -> {
            int lo = blk * BLOCK, n = Math.min(z.length, lo + BLOCK) - lo;
            if (type == HalfType.F16) HalfFloats.fromHalf(in, offset + lo, z, lo, n);
            else HalfFloats.fromBf16(in, offset + lo, z, lo, n);
        });
    }
}
