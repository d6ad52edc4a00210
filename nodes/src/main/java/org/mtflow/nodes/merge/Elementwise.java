package org.mtflow.nodes.merge;

import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.TensorOps;

/** Small compositions of kernel ops that several methods share. */
final class Elementwise {
    private Elementwise() {}

    /** {@code θ − θ₀}: a task vector. */
    static Tensor delta(TensorOps ops, Tensor model, Tensor base) {
        Tensor out = Tensor.zerosLike(model);
        ops.sub(model, base, out);
        return out;
    }

    /** {@code x ⊙ (|x| ≥ t)}. */
    static Tensor keepAtLeast(TensorOps ops, Tensor x, float threshold) {
        Tensor mask = Tensor.zerosLike(x);
        ops.maskAtLeast(x, threshold, mask);
        ops.mul(x, mask, mask);
        return mask;
    }

    /** 1 where {@code a > b}, else 0: {@code relu(sign(a − b))}, exact. */
    static Tensor greater(TensorOps ops, Tensor a, Tensor b) {
        Tensor out = Tensor.zerosLike(a);
        ops.sub(a, b, out);
        ops.sign(out, out);
        ops.relu(out, out);
        return out;
    }

    /** 1 − m for a 0/1 mask. */
    static Tensor not(TensorOps ops, Tensor mask) {
        Tensor out = Tensor.zerosLike(mask);
        ops.fill(out, 1f);
        ops.sub(out, mask, out);
        return out;
    }

    /**
     * {@code 1 / d}, or 1 where d is 0 or |d| < tiny (mergekit's guard for a divisor with no
     * contributions). In Java: TensorOps has no elementwise division.
     */
    static Tensor safeReciprocal(Tensor d, float tiny) {
        float[] in = d.data(), out = new float[in.length];
        for (int i = 0; i < in.length; i++) out[i] = in[i] == 0 || Math.abs(in[i]) < tiny ? 1f : 1f / in[i];
        return Tensor.of(out, d.shape());
    }
}
