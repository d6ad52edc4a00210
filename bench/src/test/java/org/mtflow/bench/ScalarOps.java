package org.mtflow.bench;

import java.util.Arrays;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.TensorOps;
import org.mtflow.kernels.random.Philox;

/**
 * The benchmarked ops written the simplest way from TensorOps' javadoc, single-threaded and in
 * float like a real backend: a complete backend for testing the bench's spot checks and its
 * "no n/a" path before the real backends implement everything.
 */
final class ScalarOps implements TensorOps {
    @Override public String name() { return "scalar"; }

    @Override
    public void matmul(Tensor a, boolean ta, Tensor b, boolean tb, Tensor out) {
        int m = ta ? a.dim(1) : a.dim(0), k = ta ? a.dim(0) : a.dim(1), n = tb ? b.dim(0) : b.dim(1);
        float[] x = a.data(), y = b.data(), z = out.data();
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float s = 0;
                for (int p = 0; p < k; p++) s = Math.fma(ta ? x[p * m + i] : x[i * k + p], tb ? y[j * k + p] : y[p * n + j], s);
                z[i * n + j] = s;
            }
        }
    }

    @Override
    public double softmaxCrossEntropy(Tensor logits, int[] labels, Tensor grad) {
        int rows = logits.rows(), cols = logits.cols();
        float[] x = logits.data(), g = grad.data();
        double loss = 0;
        for (int r = 0; r < rows; r++) {
            float max = Float.NEGATIVE_INFINITY, sum = 0;
            for (int c = 0; c < cols; c++) max = Math.max(max, x[r * cols + c]);
            for (int c = 0; c < cols; c++) sum += (float) Math.exp(x[r * cols + c] - max);
            loss -= x[r * cols + labels[r]] - max - Math.log(sum);
            for (int c = 0; c < cols; c++) {
                g[r * cols + c] = ((float) Math.exp(x[r * cols + c] - max) / sum - (c == labels[r] ? 1 : 0)) / rows;
            }
        }
        return loss / rows;
    }

    @Override
    public void gelu(Tensor a, Tensor out) {
        float[] x = a.data(), z = out.data();
        for (int i = 0; i < x.length; i++) {
            float v = x[i];
            z[i] = 0.5f * v * (1 + (float) Math.tanh(0.7978845608f * (v + 0.044715f * v * v * v)));
        }
    }

    @Override
    public void add(Tensor a, Tensor b, Tensor out) {
        for (int i = 0; i < out.size(); i++) out.data()[i] = a.data()[i] + b.data()[i];
    }

    @Override
    public void scale(Tensor a, float s, Tensor out) {
        for (int i = 0; i < out.size(); i++) out.data()[i] = s * a.data()[i];
    }

    @Override
    public void axpy(float alpha, Tensor x, Tensor y) {
        for (int i = 0; i < y.size(); i++) y.data()[i] = Math.fma(alpha, x.data()[i], y.data()[i]);
    }

    @Override
    public void encodeHalf(Tensor a, HalfType type, short[] out, int offset) {
        for (int i = 0; i < a.size(); i++) {
            out[offset + i] = type == HalfType.BF16 ? HalfFloats.toBf16(a.data()[i]) : HalfFloats.toF16(a.data()[i]);
        }
    }

    @Override
    public void decodeHalf(short[] in, int offset, HalfType type, Tensor out) {
        for (int i = 0; i < out.size(); i++) {
            out.data()[i] = type == HalfType.BF16 ? HalfFloats.fromBf16(in[offset + i]) : HalfFloats.fromF16(in[offset + i]);
        }
    }

    @Override
    public void electSign(Tensor[] xs, SignElection mode, Tensor out) {
        for (int i = 0; i < out.size(); i++) {
            float s = 0;
            for (Tensor x : xs) s += mode == SignElection.SUM ? x.data()[i] : Math.signum(x.data()[i]);
            out.data()[i] = Math.signum(s);
        }
    }

    @Override
    public void disjointMerge(Tensor[] xs, Tensor sign, boolean mean, Tensor out) {
        for (int i = 0; i < out.size(); i++) {
            float s = 0, sg = sign.data()[i];
            int n = 0;
            for (Tensor x : xs) {
                float v = x.data()[i];
                if (v != 0 && sg != 0 && Math.signum(v) == sg) {
                    s += v;
                    n++;
                }
            }
            out.data()[i] = n == 0 ? 0 : mean ? s / n : s;
        }
    }

    @Override
    public void dropAndRescale(Tensor a, float p, long seed, long stream, Tensor out) {
        int cut = Math.round(p * 0x1.0p24f);
        float keepScale = 1 / (1 - p);
        for (int i = 0; i < out.size(); i++) {
            boolean keep = (Philox.bits(seed, stream, i) >>> 8) >= cut;
            out.data()[i] = keep ? a.data()[i] * keepScale : 0;
        }
    }

    @Override
    public void maskAtLeast(Tensor a, float threshold, Tensor mask) {
        for (int i = 0; i < mask.size(); i++) mask.data()[i] = Math.abs(a.data()[i]) >= threshold ? 1 : 0;
    }

    @Override
    public double sum(Tensor a) {
        double s = 0;
        for (float v : a.data()) s += v;
        return s;
    }

    @Override
    public double norm2(Tensor a) {
        return Math.sqrt(dot(a, a));
    }

    @Override
    public double dot(Tensor a, Tensor b) {
        float s = 0; // float accumulation, as a real kernel's blocks do
        for (int i = 0; i < a.size(); i++) s = Math.fma(a.data()[i], b.data()[i], s);
        return s;
    }

    @Override
    public void adamW(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps,
            float weightDecay, int step) {
        float c1 = 1 - (float) Math.pow(beta1, step), c2 = 1 - (float) Math.pow(beta2, step);
        for (int i = 0; i < param.size(); i++) {
            float p = param.data()[i], g = grad.data()[i];
            p -= lr * weightDecay * p;
            float mi = beta1 * m.data()[i] + (1 - beta1) * g;
            float vi = beta2 * v.data()[i] + (1 - beta2) * g * g;
            m.data()[i] = mi;
            v.data()[i] = vi;
            param.data()[i] = p - lr * (mi / c1) / ((float) Math.sqrt(vi / c2) + eps);
        }
    }

    @Override
    public void sgdMomentum(Tensor param, Tensor grad, Tensor velocity, float lr, float momentum, float weightDecay,
            boolean nesterov) {
        for (int i = 0; i < param.size(); i++) {
            float p = param.data()[i], g = grad.data()[i] + weightDecay * p;
            float v = momentum * velocity.data()[i] + g;
            velocity.data()[i] = v;
            param.data()[i] = p - lr * (nesterov ? g + momentum * v : v);
        }
    }

    @Override
    public float topkThreshold(Tensor a, long k) {
        if (k >= a.size()) return 0;
        if (k == 0) return Float.POSITIVE_INFINITY;
        float[] mags = new float[a.size()];
        for (int i = 0; i < mags.length; i++) mags[i] = Math.abs(a.data()[i]);
        Arrays.sort(mags); // a test reference: a sort is fine here, never in a backend
        return mags[(int) (mags.length - k)];
    }
}
