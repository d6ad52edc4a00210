package org.mtflow.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Float64 references and helpers shared by the kernel tests: plain loops, written from the ops'
 * definitions and independently of any backend's code.
 */
public final class Reference {
    private Reference() {}

    public static Tensor random(SplittableRandom rng, int... shape) {
        Tensor t = Tensor.zeros(shape);
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) d[i] = (float) (rng.nextDouble() * 2 - 1);
        return t;
    }

    /** Uniform in [lo, hi). */
    public static Tensor randomIn(SplittableRandom rng, double lo, double hi, int... shape) {
        Tensor t = Tensor.zeros(shape);
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) d[i] = (float) (lo + rng.nextDouble() * (hi - lo));
        return t;
    }

    /** Small integers in [−range, range]: many exact ties and zeros. */
    public static Tensor integers(SplittableRandom rng, int range, int... shape) {
        Tensor t = Tensor.zeros(shape);
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) d[i] = rng.nextInt(2 * range + 1) - range;
        return t;
    }

    /** The values exact ops must get right beyond ordinary numbers. */
    public static final float[] SPECIALS = {0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
            Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, Float.MAX_VALUE, -Float.MAX_VALUE, 1f, -1f,
            0x1p-126f * 0.75f, 65504f, 65520f, -65536f, 0x1.ffep-15f};

    /** Random values with about 2 % special values and 2 % floats of any exponent. */
    public static Tensor withSpecials(SplittableRandom rng, int... shape) {
        Tensor t = randomIn(rng, -4, 4, shape);
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            int r = rng.nextInt(100);
            if (r < 2) d[i] = SPECIALS[rng.nextInt(SPECIALS.length)];
            else if (r < 4) d[i] = Float.intBitsToFloat(rng.nextInt());
        }
        return t;
    }

    /** A tensor full of NaN, so that an element an op forgets to write fails the comparison. */
    public static Tensor poisoned(int... shape) {
        Tensor t = Tensor.zeros(shape);
        Arrays.fill(t.data(), Float.NaN);
        return t;
    }

    /** The stored form of a logical [rows, cols] matrix: itself, or its transpose [cols, rows]. */
    public static Tensor stored(Tensor logical, boolean transposed) {
        if (!transposed) return logical;
        int r = logical.dim(0), c = logical.dim(1);
        Tensor t = Tensor.zeros(c, r);
        for (int i = 0; i < r; i++)
            for (int j = 0; j < c; j++) t.data()[j * r + i] = logical.data()[i * c + j];
        return t;
    }

    public static double[] matmul(Tensor a, Tensor b) {
        int m = a.dim(0), k = a.dim(1), n = b.dim(1);
        double[] c = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int p = 0; p < k; p++) {
                double aip = a.data()[i * k + p];
                for (int j = 0; j < n; j++) c[i * n + j] += aip * b.data()[p * n + j];
            }
        return c;
    }

    /** Relative Frobenius error ‖out − ref‖ / ‖ref‖, after checking every element is finite. */
    public static double relativeError(float[] out, double[] ref, String context) {
        assertEquals(ref.length, out.length, context + ": length");
        double num = 0, den = 0;
        for (int i = 0; i < ref.length; i++) {
            assertTrue(Float.isFinite(out[i]), context + ": element " + i + " not written (" + out[i] + ")");
            double d = out[i] - ref[i];
            num += d * d;
            den += ref[i] * ref[i];
        }
        return den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);
    }

    /** Bit equality, except that any NaN equals any NaN. */
    public static void assertSameFloat(float expected, float actual, String context) {
        if (Float.floatToIntBits(expected) != Float.floatToIntBits(actual)) {
            fail(context + ": expected " + expected + " (0x" + Integer.toHexString(Float.floatToRawIntBits(expected))
                    + ") but got " + actual + " (0x" + Integer.toHexString(Float.floatToRawIntBits(actual)) + ")");
        }
    }

    /** |actual − expected| ≤ tol, and actual written (not NaN unless expected is). */
    public static void assertClose(double expected, float actual, double tol, String context) {
        if (Double.isNaN(expected) && Float.isNaN(actual)) return;
        if (!(Math.abs(actual - expected) <= tol)) {
            fail(context + ": expected " + expected + " ± " + tol + " but got " + actual);
        }
    }

    // ---------------------------------------------------------------- elementwise

    public static double gelu(double a) {
        return 0.5 * a * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (a + 0.044715 * a * a * a)));
    }

    /** gelu'(a) by a central difference in double of the formula itself (h small, error ~1e-10). */
    public static double geluDerivative(double a) {
        double h = 1e-5 * Math.max(1, Math.abs(a));
        return (gelu(a + h) - gelu(a - h)) / (2 * h);
    }

    // ---------------------------------------------------------------- rows

    public static double[] softmax(float[] x, int base, int cols) {
        double mx = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < cols; c++) mx = Math.max(mx, x[base + c]);
        double s = 0;
        double[] e = new double[cols];
        for (int c = 0; c < cols; c++) s += e[c] = Math.exp(x[base + c] - mx);
        for (int c = 0; c < cols; c++) e[c] /= s;
        return e;
    }

    /** −log softmax(row)[label], via log-sum-exp. */
    public static double crossEntropy(float[] x, int base, int cols, int label) {
        double mx = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < cols; c++) mx = Math.max(mx, x[base + c]);
        double s = 0;
        for (int c = 0; c < cols; c++) s += Math.exp(x[base + c] - mx);
        return mx + Math.log(s) - x[base + label];
    }

    // ---------------------------------------------------------------- optimizers (PyTorch's formulas)

    /** One SGD step on double state: g = grad + wd·p; v = μ·v + g; p −= lr·(nesterov ? g + μ·v : v). */
    public static void sgdStep(double[] p, float[] grad, double[] v, double lr, double mu, double wd, boolean nesterov) {
        for (int i = 0; i < p.length; i++) {
            double g = grad[i] + wd * p[i];
            v[i] = mu * v[i] + g;
            p[i] -= lr * (nesterov ? g + mu * v[i] : v[i]);
        }
    }

    /** One AdamW step (t from 1) on double state, as torch.optim.AdamW. */
    public static void adamWStep(double[] p, float[] grad, double[] m, double[] v, double lr, double b1, double b2,
                                 double eps, double wd, int t) {
        double bc1 = 1 - Math.pow(b1, t), bc2 = 1 - Math.pow(b2, t);
        for (int i = 0; i < p.length; i++) {
            double g = grad[i];
            p[i] -= lr * wd * p[i];
            m[i] = b1 * m[i] + (1 - b1) * g;
            v[i] = b2 * v[i] + (1 - b2) * g * g;
            p[i] -= lr * (m[i] / bc1) / (Math.sqrt(v[i] / bc2) + eps);
        }
    }

    /** Column sums in double. */
    public static double[] columnSums(float[] x, int rows, int cols) {
        double[] s = new double[cols];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) s[c] += x[r * cols + c];
        return s;
    }

    // ---------------------------------------------------------------- merging

    /** The k-th largest |x| by sorting (k ≥ n: 0; k = 0: +∞). */
    public static float kthLargestMagnitude(float[] x, long k) {
        if (k >= x.length) return 0f;
        if (k == 0) return Float.POSITIVE_INFINITY;
        float[] m = new float[x.length];
        for (int i = 0; i < x.length; i++) m[i] = Math.abs(x[i]);
        Arrays.sort(m);
        return m[(int) (x.length - k)];
    }

    /** Row top-k mask by a stable sort: |x| descending, ties to the lower column. */
    public static float[] rowTopkMask(float[] x, int rows, int cols, int k) {
        float[] mask = new float[x.length];
        for (int r = 0; r < rows; r++) {
            int base = r * cols;
            Integer[] order = IntStream.range(0, cols).boxed().toArray(Integer[]::new);
            Arrays.sort(order, Comparator.comparingDouble((Integer c) -> -Math.abs(x[base + c])));
            for (int i = 0; i < Math.min(k, cols); i++) mask[base + order[i]] = 1f;
        }
        return mask;
    }

    /** Σ_k x_k[i] in double. */
    public static double[] sumOver(Tensor[] xs, int n) {
        double[] s = new double[n];
        for (Tensor x : xs)
            for (int i = 0; i < n; i++) s[i] += x.data()[i];
        return s;
    }

    /** Σ_k sign(x_k[i]): the votes of a COUNT election. */
    public static double[] votes(Tensor[] xs, int n) {
        double[] s = new double[n];
        for (Tensor x : xs)
            for (int i = 0; i < n; i++) s[i] += Math.signum(x.data()[i]);
        return s;
    }

    /**
     * Disjoint merge in double: over the x_k that are non-zero with the sign of a non-zero s[i], their
     * sum or mean ({@code out[0]}), and how many agreed ({@code out[1]}), and Σ|x_k| of those ({@code out[2]}).
     */
    public static double[][] disjointMerge(Tensor[] xs, float[] sign, boolean mean) {
        int n = sign.length;
        double[][] out = new double[3][n];
        for (int i = 0; i < n; i++) {
            double s = Math.signum(sign[i]), sum = 0, abs = 0;
            int count = 0;
            for (Tensor x : xs) {
                double v = x.data()[i];
                if (v != 0 && s != 0 && Math.signum(v) == s) {
                    sum += v;
                    abs += Math.abs(v);
                    count++;
                }
            }
            out[0][i] = count == 0 ? 0 : mean ? sum / count : sum;
            out[1][i] = count;
            out[2][i] = abs;
        }
        return out;
    }

    /** mergekit's slerp on flat vectors, in double. */
    public static double[] slerp(float[] a, float[] b, double t) {
        double na = 0, nb = 0, dot = 0;
        for (int i = 0; i < a.length; i++) {
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
            dot += (double) a[i] * b[i];
        }
        double[] out = new double[a.length];
        double cos = na == 0 || nb == 0 ? 1 : dot / Math.sqrt(na * nb);
        double ca, cb;
        if (Math.abs(cos) > 0.9995) {
            ca = 1 - t;
            cb = t;
        } else {
            double theta = Math.acos(cos);
            ca = Math.sin((1 - t) * theta) / Math.sin(theta);
            cb = Math.sin(t * theta) / Math.sin(theta);
        }
        for (int i = 0; i < a.length; i++) out[i] = ca * a[i] + cb * b[i];
        return out;
    }

    // ---------------------------------------------------------------- 16-bit floats

    /**
     * The bits of the 16-bit float nearest to v (ties to the even significand), for a format with
     * {@code mantBits} fraction bits, exponents [emin, emax] and bias −emin + 1; by scaling in double
     * and {@link Math#rint}, nothing shared with the bit-twiddling under test. NaN is not handled.
     */
    public static int roundToHalfFormat(float v, int mantBits, int emin, int emax) {
        int expBits = 32 - Integer.numberOfLeadingZeros(2 * emax + 1); // 5 for F16, 8 for BF16
        int sign = Float.floatToRawIntBits(v) < 0 ? 1 << (mantBits + expBits) : 0;
        double a = Math.abs((double) v);
        int infBits = ((1 << expBits) - 1) << mantBits;
        if (Double.isInfinite(a)) return sign | infBits;
        if (a == 0) return sign;
        int e = Math.max(Math.getExponent(a), emin);
        double quantum = Math.scalb(1.0, e - mantBits);
        double r = Math.rint(a / quantum) * quantum; // exact scaling; rint ties to even
        if (r >= Math.scalb(1.0, emax + 1)) return sign | infBits;
        if (r == 0) return sign;
        if (r < Math.scalb(1.0, emin)) return sign | (int) (r / Math.scalb(1.0, emin - mantBits)); // subnormal
        int re = Math.getExponent(r);
        int frac = (int) ((r / Math.scalb(1.0, re) - 1) * (1 << mantBits));
        return sign | (re - emin + 1) << mantBits | frac;
    }

    public static int roundToF16(float v) {
        return roundToHalfFormat(v, 10, -14, 15);
    }

    public static int roundToBf16(float v) {
        return roundToHalfFormat(v, 7, -126, 127);
    }

    /** The value of binary16 bits, from the format's definition. */
    public static double f16Value(int h) {
        int s = (h >>> 15) & 1, e = (h >>> 10) & 0x1f, m = h & 0x3ff;
        double mag;
        if (e == 0x1f) mag = m == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
        else if (e == 0) mag = m * Math.scalb(1.0, -24);
        else mag = (1 + m / 1024.0) * Math.scalb(1.0, e - 15);
        return s == 1 ? -mag : mag;
    }

    /** The value of bfloat16 bits, from the format's definition. */
    public static double bf16Value(int h) {
        int s = (h >>> 15) & 1, e = (h >>> 7) & 0xff, m = h & 0x7f;
        double mag;
        if (e == 0xff) mag = m == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
        else if (e == 0) mag = m * Math.scalb(1.0, -133);
        else mag = (1 + m / 128.0) * Math.scalb(1.0, e - 127);
        return s == 1 ? -mag : mag;
    }
}
