package org.mtflow.nodes.train;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.TensorOps;

/**
 * Chen et al. (2018), GradNorm: the weighted gradient norms G_t = w_t·‖∇_W L_t‖ on the last shared
 * layer's weight W are pulled towards Ḡ·r_t^α, where r_t is task t's loss ratio L_t/L_t(0) over the
 * mean ratio (a task that trains slowly gets a larger target); the weights take a gradient step on
 * Σ_t |G_t − target_t| (targets held constant) and are renormalised to sum to T.
 */
public final class GradNormWeighting implements TaskWeighting {
    /** Weights never fall below this, so a task is not switched off for good. */
    static final double MIN_WEIGHT = 1e-3;

    private final double alpha;
    private double[] w;
    private double[] initialLosses;

    GradNormWeighting(int tasks, double alpha) {
        if (!(alpha >= 0)) throw new IllegalArgumentException("gradnorm alpha must be at least 0, got " + alpha);
        this.alpha = alpha;
        w = new double[tasks];
        Arrays.fill(w, 1);
    }

    /**
     * One GradNorm update: the new weights from the current ones, each task's unweighted gradient
     * norm on the last shared layer, its current and first losses, alpha and the step size.
     */
    static double[] update(double[] w, double[] gradNorms, double[] losses, double[] initialLosses, double alpha, double lr) {
        int tasks = w.length;
        double[] g = new double[tasks], ratio = new double[tasks];
        double meanG = 0, meanRatio = 0;
        for (int t = 0; t < tasks; t++) {
            g[t] = w[t] * gradNorms[t];
            ratio[t] = losses[t] / initialLosses[t];
            meanG += g[t] / tasks;
            meanRatio += ratio[t] / tasks;
        }
        double[] next = new double[tasks];
        double sum = 0;
        for (int t = 0; t < tasks; t++) {
            double target = meanG * Math.pow(ratio[t] / meanRatio, alpha);
            // d|G_t − target_t|/d w_t = sign(G_t − target_t)·‖∇_W L_t‖
            next[t] = Math.max(MIN_WEIGHT, w[t] - lr * Math.signum(g[t] - target) * gradNorms[t]);
            sum += next[t];
        }
        for (int t = 0; t < tasks; t++) next[t] = tasks * next[t] / sum;
        return next;
    }

    @Override
    public void combine(TensorOps ops, double[] losses, List<Map<String, Tensor>> grads, List<String> shared, float lr, long step,
                        Map<String, Tensor> out) {
        TaskWeighting.weightedSum(ops, w, grads, out);
        if (initialLosses == null) initialLosses = losses.clone();
        String last = lastSharedWeight(shared);
        double[] norms = new double[w.length];
        for (int t = 0; t < w.length; t++) norms[t] = ops.norm2(grads.get(t).get(last));
        w = update(w, norms, losses, initialLosses, alpha, lr);
    }

    /** The weights, then the first step's losses once there are any. */
    @Override
    public double[] stateNumbers() {
        if (initialLosses == null) return w.clone();
        double[] n = java.util.Arrays.copyOf(w, 2 * w.length);
        System.arraycopy(initialLosses, 0, n, w.length, w.length);
        return n;
    }

    @Override
    public void restore(Map<String, Tensor> tensors, double[] numbers) {
        w = java.util.Arrays.copyOfRange(numbers, 0, w.length);
        initialLosses = numbers.length > w.length ? java.util.Arrays.copyOfRange(numbers, w.length, 2 * w.length) : null;
    }

    static String lastSharedWeight(List<String> shared) {
        for (int i = shared.size() - 1; i >= 0; i--) if (shared.get(i).endsWith(".weight")) return shared.get(i);
        throw new IllegalArgumentException("gradnorm needs a shared layer: give the model at least one hidden layer");
    }

    @Override public double[] weights() { return w.clone(); }
}
