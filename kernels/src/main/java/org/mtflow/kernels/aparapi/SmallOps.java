package org.mtflow.kernels.aparapi;

import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.TensorOps;
import org.mtflow.kernels.random.Philox;

/**
 * The plain-Java path of {@link AparapiOps}: single-threaded loops for tensors too small to be worth a
 * kernel launch (and for a kernel that failed to build). Its exact ops compute exactly what the
 * kernels compute — same operations, same order — so the result of an exact op does not depend on
 * which path ran. Arguments are checked by AparapiOps before they get here. {@link #normal} is not
 * here: AparapiOps hands it to the Java backend, which owns the Box–Muller definition.
 */
final class SmallOps implements TensorOps {

    @Override
    public String name() { return "aparapi-small"; }

    // ---------------------------------------------------------------- linear algebra

    @Override
    public void matmul(Tensor a, boolean transposeA, Tensor b, boolean transposeB, Tensor out) {
        int m = out.dim(0), n = out.dim(1), k = transposeA ? a.dim(0) : a.dim(1);
        float[] av = a.data(), bv = b.data(), c = out.data();
        int aRow = transposeA ? 1 : k, aCol = transposeA ? m : 1;
        if (transposeB) {
            // B is [n,k]: dot products of contiguous B rows.
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    float s = 0f;
                    for (int p = 0; p < k; p++) s = Math.fma(av[i * aRow + p * aCol], bv[j * k + p], s);
                    c[i * n + j] = s;
                }
            }
            return;
        }
        for (int i = 0; i < m; i++) {
            int ci = i * n;
            java.util.Arrays.fill(c, ci, ci + n, 0f);
            for (int p = 0; p < k; p++) {
                float x = av[i * aRow + p * aCol];
                int bp = p * n;
                for (int j = 0; j < n; j++) c[ci + j] = Math.fma(x, bv[bp + j], c[ci + j]);
            }
        }
    }

    @Override
    public void addBias(Tensor x, Tensor bias, Tensor out) {
        int cols = x.cols();
        float[] a = x.data(), b = bias.data(), o = out.data();
        for (int i = 0; i < a.length; i++) o[i] = a[i] + b[i % cols];
    }

    @Override
    public void sumRows(Tensor x, Tensor out) {
        int cols = x.cols(), rows = x.rows();
        float[] a = x.data();
        double[] s = new double[cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) s[c] += a[r * cols + c];
        }
        float[] o = out.data();
        for (int c = 0; c < cols; c++) o[c] = (float) s[c];
    }

    @Override
    public void outerAccumulate(float alpha, Tensor x, Tensor y, Tensor a) {
        float[] xv = x.data(), yv = y.data(), av = a.data();
        int n = yv.length;
        for (int i = 0; i < xv.length; i++) {
            float s = alpha * xv[i];
            for (int j = 0; j < n; j++) av[i * n + j] = Math.fma(s, yv[j], av[i * n + j]);
        }
    }

    // ---------------------------------------------------------------- elementwise

    @Override
    public void add(Tensor a, Tensor b, Tensor out) {
        float[] x = a.data(), y = b.data(), o = out.data();
        for (int i = 0; i < o.length; i++) o[i] = x[i] + y[i];
    }

    @Override
    public void sub(Tensor a, Tensor b, Tensor out) {
        float[] x = a.data(), y = b.data(), o = out.data();
        for (int i = 0; i < o.length; i++) o[i] = x[i] - y[i];
    }

    @Override
    public void mul(Tensor a, Tensor b, Tensor out) {
        float[] x = a.data(), y = b.data(), o = out.data();
        for (int i = 0; i < o.length; i++) o[i] = x[i] * y[i];
    }

    @Override
    public void scale(Tensor a, float s, Tensor out) {
        float[] x = a.data(), o = out.data();
        for (int i = 0; i < o.length; i++) o[i] = s * x[i];
    }

    @Override
    public void axpy(float alpha, Tensor x, Tensor y) {
        float[] xv = x.data(), yv = y.data();
        for (int i = 0; i < yv.length; i++) yv[i] = Math.fma(alpha, xv[i], yv[i]);
    }

    @Override
    public void clamp(Tensor a, float lo, float hi, Tensor out) {
        float[] x = a.data(), o = out.data();
        for (int i = 0; i < o.length; i++) o[i] = Math.min(Math.max(x[i], lo), hi);
    }

    @Override
    public void sign(Tensor a, Tensor out) {
        float[] x = a.data(), o = out.data();
        for (int i = 0; i < o.length; i++) o[i] = Math.signum(x[i]);
    }

    @Override
    public void abs(Tensor a, Tensor out) {
        float[] x = a.data(), o = out.data();
        for (int i = 0; i < o.length; i++) o[i] = abs(x[i]);
    }

    /** |x| by clearing the sign bit, as OpenCL's fabs (Math.abs keeps a NaN's sign on some paths). */
    static float abs(float x) {
        return Float.intBitsToFloat(Float.floatToRawIntBits(x) & 0x7FFFFFFF);
    }

    @Override
    public void relu(Tensor a, Tensor out) {
        float[] x = a.data(), o = out.data();
        for (int i = 0; i < o.length; i++) o[i] = Math.max(x[i], 0f);
    }

    @Override
    public void reluBackward(Tensor x, Tensor gradOut, Tensor gradIn) {
        float[] xv = x.data(), g = gradOut.data(), o = gradIn.data();
        for (int i = 0; i < o.length; i++) o[i] = xv[i] > 0f ? g[i] : 0f;
    }

    private static final float GELU_C = 0.7978845608f;

    @Override
    public void gelu(Tensor a, Tensor out) {
        float[] x = a.data(), o = out.data();
        for (int i = 0; i < o.length; i++) {
            float v = x[i];
            o[i] = (float) (0.5 * v * (1 + Math.tanh(GELU_C * (v + 0.044715 * v * v * v))));
        }
    }

    @Override
    public void geluBackward(Tensor x, Tensor gradOut, Tensor gradIn) {
        float[] xv = x.data(), g = gradOut.data(), o = gradIn.data();
        for (int i = 0; i < o.length; i++) {
            double v = xv[i];
            double th = Math.tanh(GELU_C * (v + 0.044715 * v * v * v));
            double du = GELU_C * (1 + 3 * 0.044715 * v * v);
            o[i] = (float) (g[i] * (0.5 * (1 + th) + 0.5 * v * (1 - th * th) * du));
        }
    }

    @Override
    public void fill(Tensor out, float value) {
        java.util.Arrays.fill(out.data(), value);
    }

    @Override
    public void copy(Tensor a, Tensor out) {
        System.arraycopy(a.data(), 0, out.data(), 0, out.size());
    }

    // ---------------------------------------------------------------- casts

    @Override
    public void encodeHalf(Tensor a, HalfType type, short[] out, int offset) {
        float[] x = a.data();
        for (int i = 0; i < x.length; i++) {
            out[offset + i] = (short) (type == HalfType.F16 ? toF16(x[i]) : toBf16(x[i]));
        }
    }

    @Override
    public void decodeHalf(short[] in, int offset, HalfType type, Tensor out) {
        float[] o = out.data();
        for (int i = 0; i < o.length; i++) {
            int h = in[offset + i] & 0xFFFF;
            o[i] = type == HalfType.F16 ? fromF16(h) : fromBf16(h);
        }
    }

    /** binary16 bits, round to nearest even: the integer algorithm of {@link CastKernel#toF16}. */
    static int toF16(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int mag = bits & 0x7FFFFFFF;
        int h;
        if (mag >= 0x7F800000) {
            h = mag > 0x7F800000 ? 0x7E00 | ((mag >>> 13) & 0x3FF) : 0x7C00;
        } else if (mag >= 0x477FF000) {
            h = 0x7C00;
        } else if (mag >= 0x38800000) {
            int r = mag - 0x38000000;
            h = (r + 0xFFF + ((r >>> 13) & 1)) >>> 13;
        } else {
            int e = mag >>> 23;
            int m = (mag & 0x7FFFFF) | 0x800000;
            int shift = 126 - e;
            h = 0;
            if (shift <= 24) {
                int q = m >>> shift;
                int rem = m & ((1 << shift) - 1);
                int halfway = 1 << (shift - 1);
                if (rem > halfway || (rem == halfway && (q & 1) != 0)) q++;
                h = q;
            }
        }
        return sign | h;
    }

    static int toBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7FFFFFFF) > 0x7F800000) return (bits >>> 16) | 0x40;
        return (bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16;
    }

    static float fromF16(int h) {
        int e = (h >>> 10) & 0x1F, m = h & 0x3FF;
        float f;
        if (e == 0x1F) f = Float.intBitsToFloat(0x7F800000 | (m << 13));
        else if (e == 0) f = m * 0x1.0p-24f;
        else f = Float.intBitsToFloat(((e + 112) << 23) | (m << 13));
        return (h & 0x8000) != 0 ? -f : f;
    }

    static float fromBf16(int h) {
        return Float.intBitsToFloat(h << 16);
    }

    // ---------------------------------------------------------------- reductions

    @Override
    public double sum(Tensor a) {
        double s = 0;
        for (float v : a.data()) s += v;
        return s;
    }

    @Override
    public float max(Tensor a) {
        float m = Float.NEGATIVE_INFINITY;
        for (float v : a.data()) m = Math.max(m, v);
        return m;
    }

    @Override
    public void argmaxRows(Tensor a, int[] out) {
        int cols = a.cols();
        float[] x = a.data();
        for (int r = 0; r < out.length; r++) {
            int base = r * cols, best = 0;
            float bestValue = x[base];
            for (int c = 1; c < cols; c++) {
                if (x[base + c] > bestValue) {
                    best = c;
                    bestValue = x[base + c];
                }
            }
            out[r] = best;
        }
    }

    @Override
    public double norm1(Tensor a) {
        double s = 0;
        for (float v : a.data()) s += Math.abs(v);
        return s;
    }

    @Override
    public double norm2(Tensor a) {
        double s = 0;
        for (float v : a.data()) s += (double) v * v;
        return Math.sqrt(s);
    }

    @Override
    public double dot(Tensor a, Tensor b) {
        float[] x = a.data(), y = b.data();
        double s = 0;
        for (int i = 0; i < x.length; i++) s += (double) x[i] * y[i];
        return s;
    }

    @Override
    public void softmaxRows(Tensor a, Tensor out) {
        int cols = a.cols();
        float[] x = a.data(), o = out.data();
        for (int base = 0; base < x.length; base += cols) {
            float m = Float.NEGATIVE_INFINITY;
            for (int c = 0; c < cols; c++) m = Math.max(m, x[base + c]);
            double s = 0;
            for (int c = 0; c < cols; c++) {
                o[base + c] = (float) Math.exp(x[base + c] - m);
                s += o[base + c];
            }
            float inv = (float) (1 / s);
            for (int c = 0; c < cols; c++) o[base + c] *= inv;
        }
    }

    @Override
    public double softmaxCrossEntropy(Tensor logits, int[] labels, Tensor grad) {
        int cols = logits.cols(), rows = logits.rows();
        float[] x = logits.data();
        float[] g = grad == null ? null : grad.data();
        double total = 0;
        for (int r = 0; r < rows; r++) {
            int base = r * cols;
            float target = x[base + labels[r]];
            float m = Float.NEGATIVE_INFINITY;
            for (int c = 0; c < cols; c++) m = Math.max(m, x[base + c]);
            double s = 0;
            for (int c = 0; c < cols; c++) s += Math.exp(x[base + c] - m);
            total += Math.log(s) + m - target;
            if (g != null) {
                for (int c = 0; c < cols; c++) g[base + c] = (float) (Math.exp(x[base + c] - m) / s / rows);
                g[base + labels[r]] -= 1f / rows;
            }
        }
        return total / rows;
    }

    // ---------------------------------------------------------------- optimizers

    @Override
    public void sgdMomentum(Tensor param, Tensor grad, Tensor velocity, float lr, float momentum, float weightDecay,
                            boolean nesterov) {
        float[] p = param.data(), g = grad.data(), v = velocity.data();
        for (int i = 0; i < p.length; i++) {
            float gi = g[i] + weightDecay * p[i];
            float vi = momentum * v[i] + gi;
            v[i] = vi;
            p[i] -= lr * (nesterov ? gi + momentum * vi : vi);
        }
    }

    @Override
    public void adamW(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps,
                      float weightDecay, int step) {
        float[] p = param.data(), g = grad.data(), mv = m.data(), vv = v.data();
        float bc1 = (float) (1 - Math.pow(beta1, step)), bc2 = (float) (1 - Math.pow(beta2, step));
        float decay = 1f - lr * weightDecay;
        for (int i = 0; i < p.length; i++) {
            float gi = g[i];
            float pi = p[i] * decay;
            float mi = beta1 * mv[i] + (1f - beta1) * gi;
            float vi = beta2 * vv[i] + (1f - beta2) * gi * gi;
            mv[i] = mi;
            vv[i] = vi;
            p[i] = pi - lr * (mi / bc1) / ((float) Math.sqrt(vi / bc2) + eps);
        }
    }

    // ---------------------------------------------------------------- merging

    @Override
    public float topkThreshold(Tensor a, long k) {
        float[] x = a.data();
        int[] bits = new int[x.length];
        for (int i = 0; i < x.length; i++) bits[i] = Float.floatToRawIntBits(x[i]) & 0x7FFFFFFF;
        return Float.intBitsToFloat(kthLargest(bits, bits.length, k));
    }

    /**
     * The k-th largest (1 ≤ k ≤ count) of non-negative ints {@code v[0 .. count)}: a radix select of
     * 11 + 10 + 10 bits, the digits of {@link TopkKernel}; O(count), no sort.
     */
    static int kthLargest(int[] v, int count, long k) {
        int prefix = 0, shift = 31;
        long need = k;
        for (int width : new int[] {11, 10, 10}) {
            int high = shift;
            shift -= width;
            int bins = 1 << width;
            long[] hist = new long[bins];
            for (int i = 0; i < count; i++) {
                if ((long) v[i] >>> high == prefix) hist[(v[i] >>> shift) & (bins - 1)]++;
            }
            int d = bins - 1;
            while (hist[d] < need) need -= hist[d--];
            prefix = (prefix << width) | d;
        }
        return prefix;
    }

    @Override
    public void maskAtLeast(Tensor a, float threshold, Tensor mask) {
        float[] x = a.data(), o = mask.data();
        for (int i = 0; i < o.length; i++) o[i] = abs(x[i]) >= threshold ? 1f : 0f;
    }

    @Override
    public void electSign(Tensor[] xs, SignElection mode, Tensor out) {
        float[] o = out.data();
        for (int i = 0; i < o.length; i++) {
            float t = 0f;
            for (Tensor x : xs) {
                float v = x.data()[i];
                t += mode == SignElection.SUM ? v : sgn(v);
            }
            o[i] = sgn(t);
        }
    }

    /** +1, −1, or +0 (also for NaN): the elected sign. */
    static float sgn(float x) {
        return x > 0f ? 1f : x < 0f ? -1f : 0f;
    }

    @Override
    public void disjointMerge(Tensor[] xs, Tensor sign, boolean mean, Tensor out) {
        float[] s = sign.data(), o = out.data();
        for (int i = 0; i < o.length; i++) {
            float si = sgn(s[i]), sum = 0f, count = 0f;
            for (Tensor x : xs) {
                float v = x.data()[i];
                if (v * si > 0f) {
                    sum += v;
                    count++;
                }
            }
            o[i] = mean && count > 0f ? sum / count : sum;
        }
    }

    @Override
    public void dropAndRescale(Tensor a, float p, long seed, long stream, Tensor out) {
        float[] x = a.data(), o = out.data();
        int threshold = dropThreshold(p);
        float scale = 1f / (1f - p);
        for (int i = 0; i < o.length; i++) {
            o[i] = (Philox.bits(seed, stream, i) >>> 8) >= threshold ? x[i] * scale : 0f;
        }
    }

    /** round(p · 2^24): draws whose top 24 bits are at least this are kept. */
    static int dropThreshold(float p) {
        return (int) Math.round(p * 0x1.0p24);
    }

    @Override
    public void slerp(Tensor a, Tensor b, float t, Tensor out) {
        double[] c = slerpCoefficients(dot(a, b), norm2(a), norm2(b), t);
        float ca = (float) c[0], cb = (float) c[1];
        float[] x = a.data(), y = b.data(), o = out.data();
        for (int i = 0; i < o.length; i++) o[i] = ca * x[i] + cb * y[i];
    }

    /**
     * The weights of a and b: sin((1−t)θ)/sin θ and sin(tθ)/sin θ, or 1 − t and t where the vectors
     * are (nearly) colinear (|cos θ| &gt; 0.9995) or one of them is zero.
     */
    static double[] slerpCoefficients(double dot, double normA, double normB, float t) {
        double cos = normA == 0 || normB == 0 ? 1 : dot / (normA * normB);
        if (Math.abs(cos) > 0.9995) return new double[] {1 - t, t};
        double theta = Math.acos(Math.max(-1, Math.min(1, cos)));
        double sin = Math.sin(theta);
        return new double[] {Math.sin((1 - t) * theta) / sin, Math.sin(t * theta) / sin};
    }

    @Override
    public void rowTopkMask(Tensor a, int k, Tensor mask) {
        int cols = a.cols();
        float[] x = a.data(), o = mask.data();
        int[] hist = new int[256];
        for (int base = 0; base < x.length; base += cols) {
            if (k <= 0 || k >= cols) {
                java.util.Arrays.fill(o, base, base + cols, k <= 0 ? 0f : 1f);
                continue;
            }
            int prefix = 0, need = k;
            for (int pass = 0; pass < 4; pass++) {
                int shift = pass == 3 ? 0 : 23 - 8 * pass, width = pass == 3 ? 7 : 8;
                java.util.Arrays.fill(hist, 0);
                int mask2 = (1 << width) - 1;
                for (int c = 0; c < cols; c++) {
                    int v = Float.floatToRawIntBits(x[base + c]) & 0x7FFFFFFF;
                    if ((v >>> (shift + width)) == prefix) hist[(v >>> shift) & mask2]++;
                }
                int d = mask2;
                while (hist[d] < need) need -= hist[d--];
                prefix = (prefix << width) | d;
            }
            for (int c = 0; c < cols; c++) {
                int v = Float.floatToRawIntBits(x[base + c]) & 0x7FFFFFFF;
                boolean keep = v > prefix || (v == prefix && need-- > 0);
                o[base + c] = keep ? 1f : 0f;
            }
        }
    }

    // ---------------------------------------------------------------- random

    @Override
    public void uniform(long seed, long stream, float lo, float hi, Tensor out) {
        Philox.fillUniform(out.data(), seed, stream, 0, lo, hi);
    }

    @Override
    public void normal(long seed, long stream, float mean, float std, Tensor out) {
        Philox.fillNormal(out.data(), 0, out.size(), seed, stream, mean, std);
    }
}
