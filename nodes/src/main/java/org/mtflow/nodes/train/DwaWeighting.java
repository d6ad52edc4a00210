package org.mtflow.nodes.train;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.TensorOps;

/**
 * Liu, Johns and Davison (2019), Dynamic Weight Average: w_t = T·exp(r_t/temp) / Σ_k exp(r_k/temp)
 * with r_t = L_t(e−1) / L_t(e−2), the ratio of a task's last two epoch losses, so a task whose loss
 * falls slowly gets more weight; all weights 1 for the first two epochs.
 */
public final class DwaWeighting implements TaskWeighting {
    private final double temperature;
    private double[] w;

    DwaWeighting(int tasks, double temperature) {
        if (!(temperature > 0)) throw new IllegalArgumentException("dwa temperature must be positive, got " + temperature);
        this.temperature = temperature;
        w = new double[tasks];
        Arrays.fill(w, 1);
    }

    /** The weights for the epoch after those in {@code epochLosses} (one array of per-task mean losses per epoch). */
    static double[] weights(List<double[]> epochLosses, int tasks, double temperature) {
        double[] w = new double[tasks];
        int e = epochLosses.size();
        if (e < 2) {
            Arrays.fill(w, 1);
            return w;
        }
        double[] last = epochLosses.get(e - 1), before = epochLosses.get(e - 2);
        double max = Double.NEGATIVE_INFINITY;
        double[] z = new double[tasks];
        for (int t = 0; t < tasks; t++) {
            z[t] = last[t] / before[t] / temperature;
            max = Math.max(max, z[t]);
        }
        double sum = 0;
        for (int t = 0; t < tasks; t++) sum += w[t] = Math.exp(z[t] - max); // shifted by the max: same ratios, no overflow
        for (int t = 0; t < tasks; t++) w[t] = tasks * w[t] / sum;
        return w;
    }

    @Override
    public void beforeEpoch(List<double[]> epochLosses) { w = weights(epochLosses, w.length, temperature); }

    @Override
    public void combine(TensorOps ops, double[] losses, List<Map<String, Tensor>> grads, List<String> shared, float lr, long step,
                        Map<String, Tensor> out) {
        TaskWeighting.weightedSum(ops, w, grads, out);
    }

    @Override public double[] weights() { return w.clone(); }
}
