package org.mtflow.kernels.aparapi;

import com.aparapi.Kernel;

/**
 * Fused optimizer steps, one pass over param, grad and the state tensors; chunks per work-item as in
 * {@link ElementwiseKernel}.
 *
 * <ul>
 *   <li>{@link #SGD}: g = grad + wd·p; v = μ·v + g; p −= lr·(nesterov ? g + μ·v : v).
 *   <li>{@link #ADAMW}: p −= lr·wd·p; m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²;
 *       p −= lr·(m / bc1) / (√(v / bc2) + ε), bc = 1 − β^t from the host.
 * </ul>
 */
public final class OptimizerKernel extends Kernel {
    static final int SGD = 0;
    static final int ADAMW = 1;

    float[] param = new float[1];
    float[] grad = new float[1];
    /** SGD's velocity, Adam's first moment. */
    float[] m = new float[1];
    /** Adam's second moment. */
    float[] v = new float[1];
    int n;
    int chunk = 4096;
    int op;
    float lr;
    float weightDecay;
    float momentum;
    int nesterov;
    float beta1;
    float beta2;
    float eps;
    float biasCorrection1;
    float biasCorrection2;

    void release() {
        param = grad = m = v = new float[1];
    }

    @Override
    public void run() {
        int lo = getGlobalId() * chunk;
        int hi = lo + min(chunk, n - lo);
        if (op == SGD) {
            for (int i = lo; i < hi; i++) {
                float p = param[i];
                float g = grad[i] + weightDecay * p;
                float vel = momentum * m[i] + g;
                m[i] = vel;
                // A select on the uniform flag, not an if/else around two loops: Aparapi's decompiler
                // fails on that shape.
                float step = nesterov != 0 ? g + momentum * vel : vel;
                param[i] = p - lr * step;
            }
        } else if (op == ADAMW) {
            float decay = 1f - lr * weightDecay;
            for (int i = lo; i < hi; i++) {
                float g = grad[i];
                float p = param[i] * decay;
                float mi = beta1 * m[i] + (1f - beta1) * g;
                float vi = beta2 * v[i] + (1f - beta2) * g * g;
                m[i] = mi;
                v[i] = vi;
                param[i] = p - lr * (mi / biasCorrection1) / (sqrt(vi / biasCorrection2) + eps);
            }
        }
    }
}
