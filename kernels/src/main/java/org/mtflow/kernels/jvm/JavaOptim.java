package org.mtflow.kernels.jvm;

import static org.mtflow.kernels.jvm.Parallel.BLOCK;

/** Fused optimizer steps: one pass over param, grad and the state, in float, elementwise. */
final class JavaOptim {
    private JavaOptim() {}

    /** PyTorch SGD: g = grad + wd·p; v = μ·v + g; p −= lr·(nesterov ? g + μ·v : v). */
    static void sgdMomentum(Parallel par, float[] p, float[] grad, float[] v, float lr, float mu, float wd,
                            boolean nesterov) {
        par.forEachBlock(p.length, blk -> {
            int lo = blk * BLOCK, hi = Math.min(p.length, lo + BLOCK);
            if (nesterov) {
                for (int i = lo; i < hi; i++) {
                    float g = grad[i] + wd * p[i];
                    float vi = mu * v[i] + g;
                    v[i] = vi;
                    p[i] = p[i] - lr * (g + mu * vi);
                }
            } else {
                for (int i = lo; i < hi; i++) {
                    float g = grad[i] + wd * p[i];
                    float vi = mu * v[i] + g;
                    v[i] = vi;
                    p[i] = p[i] - lr * vi;
                }
            }
        });
    }

    /**
     * AdamW as PyTorch computes it: p ·= 1 − lr·wd; m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²;
     * p −= (lr / (1 − β1^t)) · m / (√v / √(1 − β2^t) + ε). The bias corrections are computed once, in
     * double.
     */
    static void adamW(Parallel par, float[] p, float[] grad, float[] m, float[] v, float lr, float beta1, float beta2,
                      float eps, float wd, int step) {
        float decay = (float) (1.0 - (double) lr * wd);
        float stepSize = (float) (lr / (1.0 - Math.pow(beta1, step)));
        float invSqrtBc2 = (float) (1.0 / Math.sqrt(1.0 - Math.pow(beta2, step)));
        float b1c = 1f - beta1, b2c = 1f - beta2;
        par.forEachBlock(p.length, blk -> {
            int lo = blk * BLOCK, hi = Math.min(p.length, lo + BLOCK);
            for (int i = lo; i < hi; i++) {
                float g = grad[i];
                float mi = beta1 * m[i] + b1c * g;
                float vi = beta2 * v[i] + b2c * g * g;
                m[i] = mi;
                v[i] = vi;
                p[i] = p[i] * decay - stepSize * mi / ((float) Math.sqrt(vi) * invSqrtBc2 + eps);
            }
        });
    }
}
